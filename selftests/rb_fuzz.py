#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Netlink fuzz test of the lbipam family (issue 3, robustness (3)).

Runs in a fresh network namespace made by rb_fuzz.sh (or in the caller's, if
started directly as root: it then creates and flushes services there).

1. Resolves the family with CTRL_CMD_GETFAMILY over a raw NETLINK_GENERIC
   socket (no libnl, so messages can be broken at will).
2. Extended ACK: known-bad requests are refused with the documented errno
   and a message naming what is wrong (port 0 -> "port", ...), and where one
   attribute is to blame NLMSGERR_ATTR_OFFS points at it.
3. Sends RB_FUZZ_COUNT (default 5000) random and malformed messages, within
   RB_FUZZ_SECONDS (default 60): random commands (0, > max), wrong attribute
   types, truncated attributes and headers, nests without NLA_F_NESTED,
   nests in nests, huge values, wrong lengths, random bytes, valid requests
   with one field corrupted, a non-zero reserved byte, dump flags on
   commands that do not dump. Every message whose netlink header is intact
   must get an ACK or an error, a negative errno, within the socket timeout.
   Messages with a broken netlink header are dropped by the kernel's
   netlink core without an answer; after each of those a probe request
   must still be answered.
4. The seed is fixed (RB_FUZZ_SEED, default 1) and printed, so a failure
   reproduces; the first problems are printed with the message in hex.

The caller (rb_fuzz.sh) checks dmesg and that lbctl still works afterwards.
Prints TAP; exit 0 pass, 1 fail, 4 skip.
"""

import ipaddress
import os
import random
import socket
import struct
import sys
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lb_genl as L  # noqa: E402 (after the path is set)

# Valid and invalid values, from the spec's limits (lbipam_uapi.py).
SVC_F_ALL = L.SVC_F_MASQUERADE | L.SVC_F_LOCAL_ONLY
CMDS_ALL = list(range(1, L.CMD_MAX + 1))
CMDS_NOFLUSH = [c for c in CMDS_ALL if c != L.CMD_FLUSH]

SEED = int(os.environ.get("RB_FUZZ_SEED", "1"))
COUNT = int(os.environ.get("RB_FUZZ_COUNT", "5000"))
SECONDS = float(os.environ.get("RB_FUZZ_SECONDS", "60"))
TIMEOUT = 5.0

points = []


def tap(ok, desc, *diag):
    points.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(points), desc))
    for d in diag:
        for line in str(d).splitlines():
            print("# " + line)
    sys.stdout.flush()


# ---------------------------------------------------------- messages ---

def key4(addr="203.0.113.50", port=80, proto=6):
    return L.svc_key_attrs(addr, port, proto)


def be4(addr="198.51.100.2", port=8080, weight=None, state=None, flags=None):
    a = L.nla(L.BE_A_ADDR4, ipaddress.ip_address(addr).packed)
    a += L.nla(L.BE_A_PORT, L.u16(port))
    if weight is not None:
        a += L.nla(L.BE_A_WEIGHT, L.u16(weight))
    if state is not None:
        a += L.nla(L.BE_A_STATE, L.u8(state))
    if flags is not None:
        a += L.nla(L.BE_A_FLAGS, L.u32(flags))
    return a


class Gen:
    """Random requests, from valid to garbage."""

    def __init__(self, rnd):
        self.r = rnd
        self.clean = False

    def addr(self):
        r = self.r
        # Few keys: requests often meet services and backends that exist.
        if r.random() < 0.8:
            return "203.0.113.%d" % r.randrange(40, 44)
        return "2001:db8::%x" % r.randrange(1, 3)

    def pick(self, good, bad):
        """A valid value, or now and then (not in clean mode) a bad one."""
        if self.clean or self.r.random() < 0.75:
            return self.r.choice(good)
        return self.r.choice(bad)

    def svc_inner(self):
        r = self.r
        a = self.addr()
        # Keys from a small set, so that requests often reach existing
        # services and backends (deeper code) rather than -ENOENT.
        attrs = L.svc_key_attrs(a, self.pick([80, 443, 53],
                                             [0, r.randrange(65536)]),
                                self.pick([6, 17, 132],
                                          [0, 1, 255, r.randrange(256)]))
        if r.random() < 0.3:
            attrs += L.nla(L.SVC_A_SCHED, L.u8(self.pick(
                list(range(L.SCHED_MAX + 1)), [L.SCHED_MAX + 1, 255])))
        if r.random() < 0.3:
            attrs += L.nla(L.SVC_A_AFFINITY, L.u32(self.pick(
                [0, 1, 10800, L.MAX_AFFINITY],
                [L.MAX_AFFINITY + 1, 0xffffffff])))
        if r.random() < 0.3:
            attrs += L.nla(L.SVC_A_FLAGS, L.u32(self.pick(
                list(range(SVC_F_ALL + 1)),
                [SVC_F_ALL + 1, 0x80000000, 0xffffffff])))
        nranges = self.pick([0, 0, 0, 0, 1, 2, L.MAX_SOURCE_RANGES],
                            [L.MAX_SOURCE_RANGES + 1, 100])
        fam6 = ":" in a
        for _ in range(nranges):
            if self.clean or r.random() < 0.75:
                plen = r.choice([0, 8, 16] if not fam6 else [0, 32, 48])
                net = ipaddress.ip_network("%s/%d" % (a, plen), strict=False)
                cidr = L.nla(L.CIDR_A_ADDR6 if fam6 else L.CIDR_A_ADDR4,
                             net.network_address.packed)
                cidr += L.nla(L.CIDR_A_PREFIXLEN, L.u8(plen))
            else:
                cidr = L.nla(r.choice([L.CIDR_A_ADDR4, L.CIDR_A_ADDR6]),
                             os.urandom(r.choice([4, 16])))
                cidr += L.nla(L.CIDR_A_PREFIXLEN, L.u8(r.choice(
                    [24, 32, 33, 64, 128, 129, 255])))
            attrs += L.nest(L.SVC_A_SOURCE_RANGE, cidr)
        return attrs

    def be_inner(self):
        r = self.r
        return be4("198.51.100.%d" % r.randrange(2, 10),
                   self.pick([8080, 8081, 65535], [0, r.randrange(65536)]),
                   r.choice([None, 0, 1, 65535]),
                   self.pick([None] + list(range(L.BE_STATE_MAX + 1)),
                             [L.BE_STATE_MAX + 1, 255]),
                   self.pick([None, 0, L.BE_F_LOCAL],
                             [L.BE_F_LOCAL << 1, 0xffffffff]))

    def valid_attrs(self, cmd):
        r = self.r
        out = L.nest(L.A_SERVICE, self.svc_inner())
        if cmd in (L.CMD_BACKEND_NEW, L.CMD_BACKEND_SET, L.CMD_BACKEND_DEL):
            out += L.nest(L.A_BACKEND, self.be_inner())
        elif cmd == L.CMD_BACKEND_REPLACE:
            for _ in range(r.choice([0, 1, 3, 5, 40])):
                out += L.nest(L.A_BACKEND, self.be_inner())
        elif cmd == L.CMD_FLUSH and r.random() < 0.7:
            out = b""
        return out

    def random_attr(self, depth=0):
        """A random attribute: any type, any flags, any payload, nests."""
        r = self.r
        t = r.choice([0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 200, 0x3fff,
                      r.randrange(0x10000)])
        if r.random() < 0.3:
            t |= L.NLA_F_NESTED
        if depth < 4 and r.random() < 0.3:
            payload = b"".join(self.random_attr(depth + 1)
                               for _ in range(r.randrange(1, 4)))
        else:
            payload = os.urandom(r.choice([0, 1, 2, 3, 4, 5, 8, 16, 17,
                                           r.randrange(300)]))
        return L.nla(t, payload)

    def corrupt(self, data):
        """Change one thing in a well-formed attribute stream."""
        r = self.r
        b = bytearray(data)
        if not b:
            return bytes(b)
        how = r.randrange(7)
        if how == 0:            # flip a byte
            i = r.randrange(len(b))
            b[i] ^= 1 << r.randrange(8)
        elif how == 1:          # truncate
            del b[r.randrange(len(b)):]
        elif how == 2:          # an attribute length off
            off = self.attr_offset(b)
            if off is not None:
                ln = struct.unpack_from("=H", b, off)[0]
                struct.pack_into("=H", b, off, max(0, ln + r.choice(
                    [-5, -4, -3, -1, 1, 3, 4, 100, 0x7fff - ln])) & 0xffff)
        elif how == 3:          # an attribute type changed
            off = self.attr_offset(b)
            if off is not None:
                struct.pack_into("=H", b, off + 2, r.randrange(0x10000))
        elif how == 4:          # NLA_F_NESTED dropped from every nest
            self.strip_nested(b, 0, len(b))
        elif how == 5:          # garbage appended
            b += os.urandom(r.randrange(1, 40))
        else:                   # a huge value
            b += L.nla(r.choice([1, 2, 3]) | L.NLA_F_NESTED,
                       L.nla(r.randrange(12), b"\xff" * r.choice(
                           [8, 64, 1000, 60000])))
        return bytes(b)

    def attr_offset(self, b):
        """Offset of a random attribute header (top level or nested)."""
        offs = []
        self.walk(b, 0, len(b), offs)
        return self.r.choice(offs) if offs else None

    def walk(self, b, start, end, offs):
        off = start
        while off + 4 <= end:
            ln, t = struct.unpack_from("=HH", b, off)
            if ln < 4 or off + ln > end:
                return
            offs.append(off)
            if t & L.NLA_F_NESTED:
                self.walk(b, off + 4, off + ln, offs)
            off += (ln + 3) & ~3

    def strip_nested(self, b, start, end):
        off = start
        while off + 4 <= end:
            ln, t = struct.unpack_from("=HH", b, off)
            if ln < 4 or off + ln > end:
                return
            if t & L.NLA_F_NESTED:
                struct.pack_into("=H", b, off + 2, t & ~L.NLA_F_NESTED)
                self.strip_nested(b, off + 4, off + ln)
            off += (ln + 3) & ~3

    def message(self, family, seq):
        """(bytes, intact): INTACT when the netlink header is well formed, so
        the kernel must answer."""
        r = self.r
        kind = r.randrange(12)
        # Flush rarely: it would empty the table the others build.
        often = [L.CMD_SERVICE_NEW, L.CMD_BACKEND_NEW, L.CMD_BACKEND_REPLACE]
        cmd = r.choice(CMDS_NOFLUSH + often + often +
                       [0, L.CMD_MAX + 1, L.CMD_MAX + 2, 255,
                        r.randrange(256)] +
                       ([L.CMD_FLUSH] if r.random() < 0.02 else []))
        # Kinds 0-2 are well-formed requests with valid values.
        self.clean = kind <= 2
        flags = L.NLM_F_REQUEST | L.NLM_F_ACK
        version, reserved = L.GENL_VERSION, 0
        if kind <= 2:
            attrs = self.valid_attrs(cmd)
        elif kind <= 5:
            attrs = self.corrupt(self.valid_attrs(cmd))
        elif kind == 6:
            attrs = b"".join(self.random_attr()
                             for _ in range(r.randrange(1, 6)))
        elif kind == 7:         # nests inside nests
            inner = self.svc_inner()
            for _ in range(r.randrange(1, 6)):
                inner = L.nest(r.choice([L.A_SERVICE, L.A_BACKEND,
                                         L.SVC_A_SOURCE_RANGE]), inner)
            attrs = L.nest(L.A_SERVICE, inner)
        elif kind == 8:         # random bytes after the genl header
            attrs = os.urandom(r.randrange(0, 200))
        elif kind == 9:         # header fields
            attrs = self.valid_attrs(cmd)
            version = r.choice([0, 2, 255])
            reserved = r.choice([1, 0x100, 0xffff])
        elif kind == 10:        # dump flags on any command
            attrs = self.valid_attrs(cmd) if r.random() < 0.5 else b""
            flags |= L.NLM_F_DUMP
        else:                   # random flags (with REQUEST and ACK)
            attrs = self.valid_attrs(cmd)
            flags |= r.randrange(0x10000) & ~(L.NLM_F_ECHO)
        payload = struct.pack("=BBH", cmd, version, reserved) + attrs
        if r.random() < 0.05:   # genl header itself truncated
            payload = payload[:r.randrange(4)]
        msg = L.Genl.msg(family, flags, seq, payload)
        intact = True
        if r.random() < 0.04:   # broken netlink header: no answer expected
            b = bytearray(msg)
            how = r.randrange(3)
            if how == 0:
                struct.pack_into("=I", b, 0, r.randrange(0, 16))
            elif how == 1:
                struct.pack_into("=I", b, 0, len(b) + r.randrange(1, 1000))
            else:
                b = b[:r.randrange(1, 16)]
            msg = bytes(b)
            intact = False
        return msg, intact, kind, cmd


# -------------------------------------------------------------- main ---

def extack_checks(nl):
    """Known-bad requests: errno, message and offending attribute."""
    seq_cases = [
        ("port 0", L.CMD_SERVICE_NEW,
         L.nest(L.A_SERVICE, key4(port=0)), -34, "port", L.SVC_A_PORT),
        ("protocol 99", L.CMD_SERVICE_NEW,
         L.nest(L.A_SERVICE, key4(proto=99)), -93, "protocol", L.SVC_A_PROTO),
        ("affinity %d" % (L.MAX_AFFINITY + 1), L.CMD_SERVICE_NEW,
         L.nest(L.A_SERVICE, key4() + L.nla(L.SVC_A_AFFINITY,
                                            L.u32(L.MAX_AFFINITY + 1))),
         -34, "affinity", L.SVC_A_AFFINITY),
        ("scheduler 7", L.CMD_SERVICE_NEW,
         L.nest(L.A_SERVICE, key4() + L.nla(L.SVC_A_SCHED, L.u8(7))),
         -34, "sched", L.SVC_A_SCHED),
        ("backend state 9", L.CMD_BACKEND_NEW,
         L.nest(L.A_SERVICE, key4()) +
         L.nest(L.A_BACKEND, be4(state=9)), -34, "state", L.BE_A_STATE),
        ("no address", L.CMD_SERVICE_NEW,
         L.nest(L.A_SERVICE, L.nla(L.SVC_A_PORT, L.u16(80)) +
                L.nla(L.SVC_A_PROTO, L.u8(6))), -22, "address", None),
        ("service nest without NLA_F_NESTED", L.CMD_SERVICE_NEW,
         L.nla(L.A_SERVICE, key4()), -22, "", None),
        ("port of the wrong length", L.CMD_SERVICE_NEW,
         L.nest(L.A_SERVICE, L.svc_key_attrs("203.0.113.50", 80, 6)[:8] +
                L.nla(L.SVC_A_PORT, L.u32(80)) +
                L.nla(L.SVC_A_PROTO, L.u8(6))), -34, "", L.SVC_A_PORT),
        ("read-only backend count", L.CMD_SERVICE_NEW,
         L.nest(L.A_SERVICE, key4() + L.nla(L.SVC_A_BACKEND_COUNT,
                                            L.u32(1))), -22, "read-only",
         L.SVC_A_BACKEND_COUNT),
    ]
    for desc, cmd, attrs, want_err, want_word, attr in seq_cases:
        err, msg, offs, _, _ = nl.request(cmd, attrs)
        problems = []
        # "wrong length" is -ERANGE or -EINVAL depending on the policy type.
        if err != want_err and not (desc.startswith("port of") and
                                    err in (-22, -34)):
            problems.append("errno %d (%s), want %d" % (
                err, os.strerror(-err) if err < 0 else "ACK", want_err))
        if not msg:
            problems.append("no extack message")
        elif want_word.lower() not in msg.lower():
            problems.append("message %r does not mention %r" % (msg, want_word))
        if attr is not None:
            # The offending attribute's header, counted from the start of
            # the request's netlink header.
            if offs is None:
                problems.append("no NLMSGERR_ATTR_OFFS")
            else:
                full = L.Genl.msg(nl.family, 0, 0,
                                  L.Genl.genl_payload(cmd, attrs))
                got = struct.unpack_from("=HH", full, offs) if \
                    offs + 4 <= len(full) else None
                if not got or got[1] & L.NLA_TYPE_MASK != attr:
                    problems.append("NLMSGERR_ATTR_OFFS %d points at %r, "
                                    "want attribute type %d" % (offs, got,
                                                                attr))
        tap(not problems, "extack: %s -> %s" % (desc, msg), *problems)

    # uapi header: "a non-zero reserved byte in the genetlink header is
    # rejected with -EINVAL"; and a request that is fine otherwise.
    err, msg, _, _, _ = nl.request(
        L.CMD_SERVICE_GET, L.nest(L.A_SERVICE, key4(port=9)), reserved=1)
    tap(err == -22, "non-zero reserved byte is rejected with -EINVAL",
        "got %d (%s) %s" % (err, os.strerror(-err) if err < 0 else "ACK",
                            msg or ""))


def main():
    print("TAP version 13")
    print("1..13")
    print("# seed %d (RB_FUZZ_SEED=%d reproduces), %d messages, at most %d s"
          % (SEED, SEED, COUNT, SECONDS))
    rnd = random.Random(SEED)
    # os.urandom would not follow the seed: route it through rnd.
    os.urandom = lambda n: bytes(rnd.getrandbits(8) for _ in range(n))

    try:
        nl = L.Genl(timeout=TIMEOUT)
        fam = nl.resolve()
    except (OSError, L.NlError) as e:
        tap(False, "resolve the lbipam family", e)
        return 1
    tap(True, "resolve the lbipam family (id %d)" % fam)

    extack_checks(nl)

    gen = Gen(rnd)
    problems = []
    stats = {"ack": 0, "error": 0, "silent": 0}
    errnos = {}
    t0 = time.monotonic()
    sent = 0
    for i in range(COUNT):
        if time.monotonic() - t0 > SECONDS:
            break
        seq = nl.next_seq()
        msg, intact, kind, cmd = gen.message(fam, seq)
        sent += 1
        what = "message %d (kind %d, cmd %d, %s header): %s" % (
            i, kind, cmd, "intact" if intact else "broken", msg.hex())
        try:
            if intact:
                err, _m, _o, _p, _intr = nl.transact(msg, seq)
                if err == 0:
                    stats["ack"] += 1
                elif -4095 <= err < 0:
                    stats["error"] += 1
                    errnos[-err] = errnos.get(-err, 0) + 1
                else:
                    problems.append("error %d is no negative errno: %s" % (
                        err, what))
            else:
                nl.send_raw(msg)
                stats["silent"] += 1
                # The kernel drops it; the socket and family must still
                # answer the next request.
                err, _m, _o, _p, _i = nl.request(
                    L.CMD_SERVICE_GET, L.nest(L.A_SERVICE, key4(port=7)))
                if err != -2:
                    problems.append("probe after a broken header got %d, "
                                    "want -ENOENT: %s" % (err, what))
        except socket.timeout:
            problems.append("no answer within %.0f s: %s" % (TIMEOUT, what))
            # Start afresh so one lost answer does not spoil the rest.
            nl = L.Genl(timeout=TIMEOUT)
            nl.resolve()
        except (OSError, L.NlError, ValueError, struct.error) as e:
            problems.append("%s: %s" % (e, what))
            nl = L.Genl(timeout=TIMEOUT)
            nl.resolve()
        if len(problems) > 20:
            break
    dt = time.monotonic() - t0
    enough = sent >= min(COUNT, 1000)
    tap(not problems and enough,
        "%d fuzz messages answered cleanly in %.1f s" % (sent, dt),
        *(problems[:10] or ([] if enough else
                            ["only %d sent before the time limit" % sent])))
    print("# answers: %d ACK, %d errors, %d broken headers (no answer due); "
          "errnos: %s" % (stats["ack"], stats["error"], stats["silent"],
                          ", ".join("%s %d" % (os.strerror(e), n) for e, n in
                                    sorted(errnos.items()))))

    # The family still works for a well-formed request after all that.
    try:
        nl = L.Genl(timeout=TIMEOUT)
        nl.resolve()
        err, msg, _, _, _ = nl.request(L.CMD_FLUSH)
        err2, msg2, _, _, _ = nl.request(
            L.CMD_SERVICE_NEW, L.nest(L.A_SERVICE, key4(port=4242)))
        err3, _m, _o, payloads, _i = nl.request(
            L.CMD_SERVICE_GET, flags=L.NLM_F_REQUEST | L.NLM_F_DUMP)
        keys = [L.decode_service(p)[0] for _t, _f, p in payloads]
        ok = err == 0 and err2 == 0 and err3 == 0 and len(keys) == 1
        tap(ok, "after the fuzz: flush, add, dump still work",
            "flush %d %s, add %d %s, dump %d: %r" % (err, msg or "", err2,
                                                     msg2 or "", err3, keys))
    except (OSError, L.NlError) as e:
        tap(False, "after the fuzz: flush, add, dump still work", e)

    return 0 if all(points) else 1


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("TAP version 13\n1..0 # SKIP must run as root")
        sys.exit(4)
    sys.exit(main())
