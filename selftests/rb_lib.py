#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers for the lbipam robustness selftests (rb_*.sh, rb_fuzz.py).

Python standard library only: the test VM and kind nodes have nothing else.

Library part: a minimal raw generic netlink client (no libnl, so that the
fuzz test can send arbitrarily broken messages) and a model of the service
table built from lbctl batch files.

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
  rb_lib.py echo-server PORT
      TCP and UDP echo server on PORT.
  rb_lib.py flow tcp|udp ADDR PORT INTERVAL STOPFILE REPORT
      a long-lived flow to ADDR:PORT (see flow()).
  rb_lib.py probe tcp|udp ADDR PORT [COUNT]
      COUNT (1) new connections or datagrams to ADDR:PORT must be echoed.
  rb_lib.py dump-raw BATCH... [--exact] [--quiet]
      one raw NLM_F_DUMP of SERVICE_GET, no retry even if the kernel flags it
      NLM_F_DUMP_INTR: every modelled service must appear exactly once, no
      key twice, keys strictly increasing.
"""

import json
import os
import random
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_CAP_ACK = 10

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_ECHO = 0x8
NLM_F_DUMP_INTR = 0x10
NLM_F_ROOT = 0x100
NLM_F_MATCH = 0x200
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLM_F_CAPPED = 0x100        # in NLMSG_ERROR replies
NLM_F_ACK_TLVS = 0x200      # in NLMSG_ERROR replies
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3fff
NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2

GENL_ID_CTRL = 16
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2

# uapi/linux/lbipam.h
CMD_SERVICE_NEW = 1
CMD_SERVICE_DEL = 2
CMD_SERVICE_GET = 3
CMD_BACKEND_NEW = 4
CMD_BACKEND_DEL = 5
CMD_SERVICE_SET = 6
CMD_BACKEND_SET = 7
CMD_BACKEND_REPLACE = 8
CMD_FLUSH = 9
CMD_MAX = 9
A_SERVICE = 1
A_BACKEND = 2
SVC_A_ADDR4, SVC_A_ADDR6, SVC_A_PORT, SVC_A_PROTO = 1, 2, 3, 4
SVC_A_BACKEND_COUNT, SVC_A_SCHED, SVC_A_AFFINITY, SVC_A_FLAGS = 5, 6, 7, 8
SVC_A_SOURCE_RANGE, SVC_A_STATS = 9, 10
SVC_A_MAX = 10
CIDR_A_ADDR4, CIDR_A_ADDR6, CIDR_A_PREFIXLEN = 1, 2, 3
BE_A_ADDR4, BE_A_ADDR6, BE_A_PORT, BE_A_WEIGHT = 1, 2, 3, 4
BE_A_STATE, BE_A_FLAGS, BE_A_STATS = 5, 6, 7
BE_A_MAX = 7

PROTOS = {"tcp": 6, "udp": 17, "sctp": 132}
STATES = {"active": 0, "terminating": 1, "maintenance": 2}


# ------------------------------------------------------------ netlink ---

def nla(atype, payload):
    """One attribute, padded to 4 bytes."""
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def nest(atype, *attrs):
    return nla(atype | NLA_F_NESTED, b"".join(attrs))


def u8(v):
    return struct.pack("=B", v)


def u16(v):
    return struct.pack("=H", v)


def u32(v):
    return struct.pack("=I", v)


def parse_attrs(buf):
    """{type: [payload, ...]} of a run of attributes (flags stripped)."""
    out = {}
    off = 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4 or off + alen > len(buf):
            raise ValueError("malformed attribute at %d" % off)
        out.setdefault(atype & NLA_TYPE_MASK, []).append(buf[off + 4:off + alen])
        off += (alen + 3) & ~3
    return out


class NlError(Exception):
    pass


class Genl:
    """A NETLINK_GENERIC socket in the caller's network namespace."""

    def __init__(self, timeout=5.0, ext_ack=True):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.sock.settimeout(timeout)
        # Dumps of 100k services arrive faster than python reads them.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        if ext_ack:
            self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.seq = random.Random(os.getpid()).randrange(1, 1 << 30)
        self.family = None

    def next_seq(self):
        self.seq = (self.seq + 1) & 0xffffffff or 1
        return self.seq

    def send_raw(self, data):
        self.sock.send(data)

    @staticmethod
    def msg(mtype, flags, seq, payload):
        return struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq,
                           0) + payload

    @staticmethod
    def genl_payload(cmd, attrs=b"", version=1, reserved=0):
        return struct.pack("=BBH", cmd, version, reserved) + attrs

    def recv_msgs(self):
        """One datagram, split into (type, flags, seq, payload)."""
        data = self.sock.recv(1 << 20)
        out = []
        off = 0
        while off + 16 <= len(data):
            mlen, mtype, mflags, mseq, _pid = struct.unpack_from("=IHHII",
                                                                 data, off)
            if mlen < 16 or off + mlen > len(data):
                raise NlError("kernel sent a malformed message")
            out.append((mtype, mflags, mseq, data[off + 16:off + mlen]))
            off += (mlen + 3) & ~3
        return out

    @staticmethod
    def parse_error(payload, flags):
        """(errno value, extack msg or None, extack offset or None)."""
        err, = struct.unpack_from("=i", payload, 0)
        msg = offs = None
        if flags & NLM_F_ACK_TLVS:
            if flags & NLM_F_CAPPED:
                tlv_off = 4 + 16
            else:
                olen, = struct.unpack_from("=I", payload, 4)
                tlv_off = 4 + ((olen + 3) & ~3)
            tlvs = parse_attrs(payload[tlv_off:])
            if NLMSGERR_ATTR_MSG in tlvs:
                msg = tlvs[NLMSGERR_ATTR_MSG][0].rstrip(b"\0").decode(
                    errors="replace")
            if NLMSGERR_ATTR_OFFS in tlvs:
                offs, = struct.unpack("=I", tlvs[NLMSGERR_ATTR_OFFS][0][:4])
        return err, msg, offs

    def transact(self, data, seq):
        """Send DATA, read until the NLMSG_ERROR/NLMSG_DONE of SEQ.

        Returns (error, extack msg, extack offset, [data payloads], intr).
        Raises socket.timeout when the kernel never answers.
        """
        self.sock.send(data)
        payloads = []
        intr = False
        while True:
            for mtype, mflags, mseq, payload in self.recv_msgs():
                if mseq != seq:
                    continue        # an answer to an earlier, unacked message
                if mflags & NLM_F_DUMP_INTR:
                    intr = True
                if mtype == NLMSG_ERROR:
                    err, msg, offs = self.parse_error(payload, mflags)
                    return err, msg, offs, payloads, intr
                if mtype == NLMSG_DONE:
                    err = 0
                    if len(payload) >= 4:
                        err, = struct.unpack_from("=i", payload, 0)
                    return err, None, None, payloads, intr
                payloads.append((mtype, mflags, payload))
                if not mflags & NLM_F_MULTI:
                    # A plain reply; the ACK may follow if asked for.
                    pass

    def resolve(self, name="lbipam"):
        seq = self.next_seq()
        req = self.msg(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq,
                       self.genl_payload(CTRL_CMD_GETFAMILY,
                                         nla(CTRL_ATTR_FAMILY_NAME,
                                             name.encode() + b"\0")))
        err, msg, _, payloads, _ = self.transact(req, seq)
        for mtype, _flags, payload in payloads:
            attrs = parse_attrs(payload[4:])
            if CTRL_ATTR_FAMILY_ID in attrs:
                self.family, = struct.unpack("=H",
                                             attrs[CTRL_ATTR_FAMILY_ID][0])
                return self.family
        raise NlError("cannot resolve family %s: %s %s" % (
            name, os.strerror(-err) if err else "no id", msg or ""))

    def request(self, cmd, attrs=b"", flags=NLM_F_REQUEST | NLM_F_ACK,
                reserved=0, version=1):
        seq = self.next_seq()
        data = self.msg(self.family, flags, seq,
                        self.genl_payload(cmd, attrs, version, reserved))
        return self.transact(data, seq)


def svc_key_attrs(addr, port, proto):
    ver, raw = packed(addr)
    a = nla(SVC_A_ADDR4 if ver == 4 else SVC_A_ADDR6, raw)
    return a + nla(SVC_A_PORT, u16(port)) + nla(SVC_A_PROTO, u8(proto))


def decode_service(payload):
    """Key and backends of one SERVICE_GET reply message."""
    attrs = parse_attrs(payload[4:])
    s = parse_attrs(attrs[A_SERVICE][0])
    if SVC_A_ADDR4 in s:
        ver, raw = 4, s[SVC_A_ADDR4][0]
    else:
        ver, raw = 6, s[SVC_A_ADDR6][0]
    port, = struct.unpack("=H", s[SVC_A_PORT][0])
    proto, = struct.unpack("=B", s[SVC_A_PROTO][0])
    return (ver, bytes(raw), proto, port), len(attrs.get(A_BACKEND, []))


# -------------------------------------------------------------- model ---

# ipaddress is far too slow for 100k services in an emulated VM (minutes):
# the socket module's C parsers do the same job.
def packed(addr):
    """(4 or 6, address bytes) of a textual address."""
    if ":" in addr:
        return 6, socket.inet_pton(socket.AF_INET6, addr)
    return 4, socket.inet_pton(socket.AF_INET, addr)


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


# -------------------------------------------------------------- flows ---

def echo_server(port):
    """TCP and UDP echo on PORT, one process (no fork per packet: floods)."""
    import selectors
    sel = selectors.DefaultSelector()
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("0.0.0.0", port))
    lst.listen(64)
    lst.setblocking(False)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", port))
    udp.setblocking(False)
    sel.register(lst, selectors.EVENT_READ, "accept")
    sel.register(udp, selectors.EVENT_READ, "udp")
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == "accept":
                try:
                    c, _a = s.accept()
                except OSError:
                    continue
                c.setblocking(True)
                c.settimeout(5)
                sel.register(c, selectors.EVENT_READ, "tcp")
            elif key.data == "udp":
                for _i in range(64):
                    try:
                        d, a = s.recvfrom(65535)
                    except OSError:
                        break
                    try:
                        s.sendto(d, a)
                    except OSError:
                        pass
            else:
                try:
                    d = s.recv(65536)
                    if d:
                        s.sendall(d)
                except OSError:
                    d = b""
                if not d:
                    sel.unregister(s)
                    s.close()


def flow(proto, addr, port, interval, stop, report, wait=5.0):
    """A long-lived flow: every INTERVAL s send a numbered line and wait up
    to WAIT s for its echo (interval 0: as fast as answers come back, a
    flood). Runs until the file STOP exists, then writes a one-line JSON
    summary to REPORT; meanwhile REPORT.progress holds the number of
    answers so far. TCP: one connection for the whole run, any error or
    unanswered line ends it (broken). UDP: one connected socket; an answer
    may be lost, counted.
    """
    import time
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(wait)
    res = {"proto": proto, "sent": 0, "answered": 0, "broken": None,
           "max_gap": 0.0}
    t_start = time.monotonic()
    last_ok = t_start
    last_progress = 0.0
    try:
        s.connect((addr, port))
        if proto == "udp":
            s.settimeout(min(wait, 1.0))
        buf = b""
        n = 0
        while not os.path.exists(stop):
            n += 1
            line = b"%d\n" % n
            s.send(line)
            res["sent"] += 1
            if proto == "tcp":
                while not buf.startswith(line):
                    if len(buf) >= len(line):
                        raise OSError("answer %r, want %r" % (buf[:20], line))
                    d = s.recv(4096)
                    if not d:
                        raise OSError("connection closed by peer")
                    buf += d
                buf = buf[len(line):]
                ok = True
            else:
                ok = False
                try:
                    while True:
                        d = s.recv(4096)
                        if d == line:
                            ok = True
                            break
                except socket.timeout:
                    pass
            now = time.monotonic()
            if ok:
                res["answered"] += 1
                res["max_gap"] = max(res["max_gap"], now - last_ok)
                last_ok = now
            # Progress for the shell, at most every 0.5 s (floods too).
            if now - last_progress >= 0.5:
                last_progress = now
                with open(report + ".progress.tmp", "w") as f:
                    f.write("%d\n" % res["answered"])
                os.rename(report + ".progress.tmp", report + ".progress")
            if interval:
                time.sleep(interval)
    except (OSError, socket.timeout) as e:
        res["broken"] = "%s after %d lines, %.1f s" % (
            e or type(e).__name__, res["sent"], time.monotonic() - t_start)
    res["max_gap"] = round(max(res["max_gap"], time.monotonic() - last_ok), 2)
    res["seconds"] = round(time.monotonic() - t_start, 1)
    with open(report, "w") as f:
        f.write(json.dumps(res) + "\n")
    return 0 if res["broken"] is None else 1


def probe(proto, addr, port, count=1, wait=5.0):
    """COUNT new connections (or sockets sending a datagram) through
    ADDR:PORT, one after the other, each echoed back."""
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    for i in range(count):
        s = socket.socket(socket.AF_INET, kind)
        s.settimeout(wait)
        try:
            s.connect((addr, port))
            s.send(b"probe\n")
            d = s.recv(100)
        except OSError as e:
            print("probe %d %s %s:%d: %s" % (i, proto, addr, port,
                                             e or type(e).__name__))
            return 1
        finally:
            s.close()
        if d != b"probe\n":
            print("probe %d %s %s:%d: answer %r" % (i, proto, addr, port, d))
            return 1
    return 0


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
    if cmd == "echo-server":
        echo_server(int(argv[2]))
        return 0
    if cmd == "flow":
        # flow tcp|udp ADDR PORT INTERVAL STOPFILE REPORT
        return flow(argv[2], argv[3], int(argv[4]), float(argv[5]), argv[6],
                    argv[7])
    if cmd == "probe":
        return probe(argv[2], argv[3], int(argv[4]),
                     int(argv[5]) if len(argv) > 5 else 1)
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
    try:
        sys.exit(main(sys.argv))
    except (OSError, NlError) as e:
        print("error: %s" % e)
        sys.exit(1)
