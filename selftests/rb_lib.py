#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers for the lbipam robustness selftests (rb_*.sh, rb_fuzz.py).

Python standard library only: the test VM and kind nodes have nothing else.

Library part: a model of the service table built from lbctl batch files
(the netlink client is lb_genl.py's).

Command line part (used by the shell tests):

  rb_lib.py gen-services OUT N SEED [BACKEND_EVERY]
      write a batch file creating N distinct services (IPv4 TCP/UDP and a few
      IPv6), in random order, every BACKEND_EVERY-th with a backend set.
  rb_lib.py gen-backends OUT N NBE
      N IPv4 TCP services, each "service add" + "backend replace" with NBE
      backends (rb_batch.sh).
  rb_lib.py verify LIST.json BATCH[@K]... [--subset]
      replay BATCH files into the model and compare with `lbctl -j service
      list`: same services, each once, in key order, same options and
      backends. --subset: LIST may hold other services too (a concurrent
      writer), but every modelled one exactly once, and order still holds.
  rb_lib.py dump-raw BATCH... [--exact] [--quiet]
      one raw NLM_F_DUMP of SERVICE_GET, no retry even if the kernel flags it
      NLM_F_DUMP_INTR: every modelled service must appear exactly once, no
      key twice, keys strictly increasing.
"""

import gc
import json
import os
import random
import socket
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lb_genl import (CMD_SERVICE_GET, NLM_F_DUMP, NLM_F_REQUEST,  # noqa: E402
                     Genl, NlError, decode_service, packed)

# lbctl's words for the protocols (IPPROTO_* numbers, the kernel's ABI).
PROTOS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP,
          "sctp": socket.IPPROTO_SCTP}


# -------------------------------------------------------------- model ---

def norm_addr(addr):
    """The canonical text of an address (IPv6 compressed), as lbctl prints."""
    if ":" in addr:
        return socket.inet_ntop(socket.AF_INET6,
                                socket.inet_pton(socket.AF_INET6, addr))
    socket.inet_pton(socket.AF_INET, addr)      # validates
    return addr


def key_of(svc):
    """Kernel key order: family, address, protocol, port (uapi header)."""
    addr, port, proto = svc
    ver, raw = packed(addr)
    return (ver, raw, PROTOS[proto], port)


def parse_service(text):
    """'ADDR:PORT/PROTO' or '[ADDR6]:PORT/PROTO' -> (addr, port, proto)."""
    ep, proto = text.rsplit("/", 1)
    addr, port = parse_endpoint(ep)
    return (addr, port, proto)


def parse_endpoint(text):
    host, port = text.rsplit(":", 1)
    host = host.strip("[]")
    return norm_addr(host), int(port)


def parse_backend_spec(text):
    """ADDR:PORT[,weight=W][,state=S][,local] of backend replace."""
    parts = text.split(",")
    addr, port = parse_endpoint(parts[0])
    be = {"address": addr, "port": port, "weight": 1, "state": "active",
          "local": False}
    for opt in parts[1:]:
        if opt == "local":
            be["local"] = True
        else:
            k, v = opt.split("=", 1)
            be[k] = int(v) if k == "weight" else v
    return be


def new_service(svc, opts):
    o = {"sched": "maglev", "affinity": 0, "masquerade": False,
         "local_only": False, "source_ranges": [], "backends": []}
    i = 0
    while i < len(opts):
        w = opts[i]
        if w in ("sched", "affinity", "source-range"):
            v = opts[i + 1]
            i += 1
            if w == "sched":
                o["sched"] = v
            elif w == "affinity":
                o["affinity"] = int(v)
            else:
                o["source_ranges"].append(v)
        elif w == "masquerade":
            o["masquerade"] = True
        elif w == "local-only":
            o["local_only"] = True
        else:
            raise ValueError("model: unknown service option %r" % w)
        i += 1
    return o


class Model:
    """What the kernel should hold after a series of batch files."""

    def __init__(self):
        self.svcs = {}

    def apply_line(self, line):
        w = line.split()
        if not w or w[0].startswith("#"):
            return
        obj, cmd = w[0], w[1]
        if obj == "flush":
            self.svcs.clear()
            return
        svc = parse_service(w[2])
        if obj == "service" and cmd == "add":
            if svc in self.svcs:
                raise ValueError("model: %s added twice" % w[2])
            self.svcs[svc] = new_service(svc, w[3:])
        elif obj == "service" and cmd == "del":
            del self.svcs[svc]
        elif obj == "backend" and cmd == "replace":
            self.svcs[svc]["backends"] = [parse_backend_spec(b)
                                          for b in w[3:]]
        elif obj == "backend" and cmd == "add":
            be = parse_backend_spec(w[3])
            opts = w[4:]
            for j, opt in enumerate(opts):
                if opt == "weight":
                    be["weight"] = int(opts[j + 1])
                elif opt == "state":
                    be["state"] = opts[j + 1]
                elif opt == "local":
                    be["local"] = True
            self.svcs[svc]["backends"].append(be)
        elif obj == "backend" and cmd == "del":
            addr, port = parse_endpoint(w[3])
            self.svcs[svc]["backends"] = [
                b for b in self.svcs[svc]["backends"]
                if (b["address"], b["port"]) != (addr, port)]
        else:
            raise ValueError("model: cannot model %r" % line)

    def apply_file(self, path, upto=None):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if upto is not None and n > upto:
                    break
                self.apply_line(line)


def svc_from_json(o):
    return (norm_addr(o["address"]), o["port"], o["protocol"])


def verify(listing, model, subset=False, limit=10):
    """Problems (strings) of LISTING (lbctl -j service list) vs MODEL."""
    problems = []

    def bad(msg):
        if len(problems) < limit:
            problems.append(msg)
        elif len(problems) == limit:
            problems.append("... (more problems not shown)")

    seen = {}
    prev = None
    for pos, o in enumerate(listing):
        svc = svc_from_json(o)
        k = key_of(svc)
        if prev is not None and k <= prev:
            bad("entry %d %s:%d/%s is not after the previous one (order or "
                "duplicate)" % (pos, *svc))
        prev = k
        if svc in seen:
            bad("%s:%d/%s listed twice (entries %d and %d)" % (
                *svc, seen[svc], pos))
            continue
        seen[svc] = pos
        want = model.svcs.get(svc)
        if want is None:
            if not subset:
                bad("%s:%d/%s listed but never created (or deleted)" % svc)
            continue
        for opt in ("sched", "affinity", "masquerade", "local_only",
                    "source_ranges"):
            if o.get(opt) != want[opt]:
                bad("%s:%d/%s: %s is %r, want %r" % (*svc, opt, o.get(opt),
                                                      want[opt]))
        got_be = [{k2: b.get(k2) for k2 in ("address", "port", "weight",
                                            "state", "local")}
                  for b in o.get("backends", [])]
        if got_be != want["backends"]:
            bad("%s:%d/%s: backends %s, want %s" % (
                *svc, json.dumps(got_be)[:300],
                json.dumps(want["backends"])[:300]))
        if "backend_count" in o and o["backend_count"] != len(want["backends"]):
            bad("%s:%d/%s: backend_count %d, want %d" % (
                *svc, o["backend_count"], len(want["backends"])))
    missing = [s for s in model.svcs if s not in seen]
    if missing:
        bad("%d services missing, e.g. %s" % (
            len(missing), ", ".join("%s:%d/%s" % s for s in missing[:5])))
    return problems


# ---------------------------------------------------------- generators ---

def gen_services(path, n, seed, backend_every=0):
    """N distinct services in random order; keys collide in every field but
    one with their neighbours, so the kernel's ordering is really tested."""
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        if i % 100 == 50:
            addr = "[2001:db8::%x:%x]" % (i >> 16, i & 0xffff)
        else:
            # Four services per address: two ports x two protocols.
            a = i // 4
            addr = "10.%d.%d.%d" % ((a >> 16) & 0xff, (a >> 8) & 0xff,
                                    a & 0xff)
        port = 80 if i % 2 == 0 else 8080
        proto = "tcp" if (i // 2) % 2 == 0 else "udp"
        svc = "%s:%d/%s" % (addr, port, proto)
        opts = ""
        if i % 7 == 3:
            opts = " sched random"
        elif i % 11 == 5:
            opts = " affinity %d" % (10 + i % 1000)
        lines.append(["service add %s%s" % (svc, opts)])
        if backend_every and i % backend_every == 0:
            bes = []
            for j in range(1 + i % 3):
                if addr.startswith("["):
                    be = "[2001:db8:1::%x]:%d" % (j + 1, 9000 + j)
                else:
                    be = "198.51.100.%d:%d" % (2 + j, 9000 + j)
                if j == 1:
                    be += ",weight=%d" % (1 + i % 100)
                if j == 2:
                    be += ",state=terminating"
                bes.append(be)
            lines[-1].append("backend replace %s %s" % (svc, " ".join(bes)))
    rnd.shuffle(lines)
    with open(path, "w") as f:
        for group in lines:
            for line in group:
                f.write(line + "\n")


def gen_backends(path, n, nbe):
    with open(path, "w") as f:
        for i in range(n):
            svc = "10.%d.%d.%d:443/tcp" % (100 + (i >> 16), (i >> 8) & 0xff,
                                          i & 0xff)
            f.write("service add %s\n" % svc)
            bes = " ".join("172.16.%d.%d:%d,weight=%d" % (
                (i >> 8) & 0xff, i & 0xff, 8000 + j, 1 + j)
                for j in range(nbe))
            f.write("backend replace %s %s\n" % (svc, bes))


def dump_raw(batches, exact=False, quiet=False):
    """One raw SERVICE_GET dump, checked against the model of BATCHES.

    No retry on NLM_F_DUMP_INTR: the cursor is a key, so even a raced dump
    must hold every service that existed throughout, once, in order.
    EXACT: nothing else may be listed. QUIET: nothing changed meanwhile,
    so the dump must not be flagged NLM_F_DUMP_INTR either.
    """
    model = Model()
    for path in batches:
        model.apply_file(path)
    want = {key_of(s): len(v["backends"]) for s, v in model.svcs.items()}
    nl = Genl(timeout=60)
    nl.resolve()
    err, msg, _, payloads, intr = nl.request(
        CMD_SERVICE_GET, flags=NLM_F_REQUEST | NLM_F_DUMP)
    if err:
        print("dump failed: %s %s" % (os.strerror(-err), msg or ""))
        return 1
    keys = []
    nbe = {}
    for _t, _f, p in payloads:
        k, n = decode_service(p)
        # A service whose backends do not fit in one message continues in
        # the next ones, which repeat its key: readers merge them.
        if keys and keys[-1] == k:
            nbe[k] += n
            continue
        keys.append(k)
        nbe[k] = n
    problems = []
    for a, b in zip(keys, keys[1:]):
        if b <= a:
            problems.append("key order broken or key repeated: %r then %r"
                            % (a, b))
            break
    miss = [k for k in want if k not in nbe]
    if miss:
        problems.append("%d services that existed throughout are missing, "
                        "e.g. %r" % (len(miss), miss[:3]))
    wrong = [k for k in want if k in nbe and nbe[k] != want[k]]
    if wrong:
        problems.append("%d services have a wrong number of backends across "
                        "their messages, e.g. %r: %d, want %d" % (
                            len(wrong), wrong[0], nbe[wrong[0]],
                            want[wrong[0]]))
    extra = [k for k in nbe if k not in want]
    if exact and extra:
        problems.append("%d services listed that should not exist, e.g. %r"
                        % (len(extra), extra[:3]))
    if quiet and intr:
        problems.append("NLM_F_DUMP_INTR set although nothing changed")
    print("raw dump: %d messages, %d services, NLM_F_DUMP_INTR %s" % (
        len(payloads), len(keys), "set" if intr else "not set"))
    for p in problems:
        print(p)
    return 1 if problems else 0


# -------------------------------------------------------------- main ---

def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "gen-services":
        gen_services(argv[2], int(argv[3]), int(argv[4]),
                     int(argv[5]) if len(argv) > 5 else 0)
        return 0
    if cmd == "gen-backends":
        gen_backends(argv[2], int(argv[3]), int(argv[4]))
        return 0
    if cmd == "verify":
        args = [a for a in argv[3:] if not a.startswith("--")]
        subset = "--subset" in argv
        model = Model()
        for path in args:
            # FILE@K: only its lines 1..K (a batch that stopped at K+1).
            upto = None
            if "@" in path:
                path, upto = path.rsplit("@", 1)
                upto = int(upto)
            model.apply_file(path, upto)
        with open(argv[2]) as f:
            text = f.read()
        try:
            listing = json.loads(text)
        except ValueError as e:
            print("output is not JSON (%s): %s" % (e, text[:300]))
            return 1
        problems = verify(listing, model, subset)
        print("listed %d services, expected %s%d" % (
            len(listing), ">= " if subset else "", len(model.svcs)))
        for p in problems:
            print(p)
        return 1 if problems else 0
    if cmd == "dump-raw":
        return dump_raw([a for a in argv[2:] if not a.startswith("--")],
                        exact="--exact" in argv, quiet="--quiet" in argv)
    print("unknown command %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    # The models and listings hold 100k services' dicts, all alive until
    # exit: the cyclic collector would walk them again and again while they
    # are built (half the time of a check under emulation) and free none.
    gc.disable()
    try:
        sys.exit(main(sys.argv))
    except (OSError, NlError) as e:
        print("error: %s" % e)
        sys.exit(1)
