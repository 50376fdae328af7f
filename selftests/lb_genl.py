#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The selftests' one generic netlink client of the lbipam family.

A raw NETLINK_GENERIC socket (no libnl), so that tests can hand the kernel
exactly the malformed requests lbctl never sends; Python standard library
only (kind nodes have nothing else). The family's names and numbers come
from lbipam_uapi.py, generated at build time from uapi/lbipam.yaml and
checked against uapi/linux/lbipam.h (lb_uapi_gen.py): nothing is retyped
here. They are available both with their header names and without the
LBIPAM_ prefix (CMD_SERVICE_NEW, SVC_A_PORT, ...).

As a library: Genl, nla(), nest(), parse_attrs(), svc_key_attrs(), ...
(rb_fuzz.py, rb_lib.py). As a command:

usage: lb_genl.py CMD [ITEM...]
       lb_genl.py < FILE       one "CMD [ITEM...]" request per line

CMD   a command of the spec: service-new, service-del, service-get, ...
ITEM  svc | be | l2   open an LBIPAM_A_SERVICE / _BACKEND / _L2 nest
      svc! | be! | l2!  the same without NLA_F_NESTED
      NAME=VALUE      attribute NAME of the open nest (top level before
                      any), encoded as the spec's type: addresses for
                      addr4/addr6, numbers for u8/u16/u32/u64
      NAME=ADDR/LEN   a prefix nest (source-range, cluster-cidr): its
                      address as addr4 or addr6 by ADDR's family, LEN as
                      its prefixlen, host bits as given
      port32=N        the port as a u32 (a wrong size on purpose)
      attr=NAME:HEX   attribute NAME (or a number, e.g. an unknown one) of
                      the open nest with a raw payload
      resv=N          the genetlink header's reserved field

Prints one line per request: "0" on success, else the errno name, the
extended ACK message and, if the kernel named the attribute to blame, its
offset in the request, e.g. "ERANGE service port must be 1-65535 (offset
36)". Reading requests from stdin saves starting Python once per request,
which costs seconds in an emulated VM.
"""

import errno
import os
import random
import socket
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lbipam_uapi as U  # noqa: E402 (after the path is set)

# Short names: CMD_SERVICE_NEW for LBIPAM_CMD_SERVICE_NEW, ...
globals().update({k[len("LBIPAM_"):]: v for k, v in vars(U).items()
                  if k.startswith("LBIPAM_")})

# Netlink and genetlink control constants: <linux/netlink.h> and
# <linux/genetlink.h>, the kernel's stable ABI, not the lbipam family's.
NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11

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


def u64(v):
    return struct.pack("=Q", v)


def parse_attrs(buf):
    """{type: [payload, ...]} of a run of attributes (flags stripped)."""
    out = {}
    off = 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4 or off + alen > len(buf):
            raise ValueError("malformed attribute at %d" % off)
        out.setdefault(atype & NLA_TYPE_MASK, []).append(
            buf[off + 4:off + alen])
        off += (alen + 3) & ~3
    return out


# ipaddress is far too slow for 100k services in an emulated VM (minutes):
# the socket module's C parsers do the same job.
def packed(addr):
    """(4 or 6, address bytes) of a textual address."""
    if ":" in addr:
        return 6, socket.inet_pton(socket.AF_INET6, addr)
    return 4, socket.inet_pton(socket.AF_INET, addr)


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
    def genl_payload(cmd, attrs=b"", version=GENL_VERSION, reserved=0):
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
            # struct nlmsgerr: error, then the request's header, then its
            # payload unless the kernel capped it.
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

    def resolve(self, name=GENL_NAME):
        seq = self.next_seq()
        req = self.msg(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq,
                       self.genl_payload(CTRL_CMD_GETFAMILY,
                                         nla(CTRL_ATTR_FAMILY_NAME,
                                             name.encode() + b"\0")))
        err, msg, _, payloads, _ = self.transact(req, seq)
        for _mtype, _flags, payload in payloads:
            attrs = parse_attrs(payload[4:])
            if CTRL_ATTR_FAMILY_ID in attrs:
                self.family, = struct.unpack("=H",
                                             attrs[CTRL_ATTR_FAMILY_ID][0])
                return self.family
        raise NlError("cannot resolve family %s: %s %s" % (
            name, os.strerror(-err) if err else "no id", msg or ""))

    def request(self, cmd, attrs=b"", flags=NLM_F_REQUEST | NLM_F_ACK,
                reserved=0, version=GENL_VERSION):
        seq = self.next_seq()
        data = self.msg(self.family, flags, seq,
                        self.genl_payload(cmd, attrs, version, reserved))
        return self.transact(data, seq)


# ------------------------------------------------------------ lbipam ---

def svc_key_attrs(addr, port, proto):
    """The key attributes of a service nest."""
    ver, raw = packed(addr)
    a = nla(SVC_A_ADDR4 if ver == 4 else SVC_A_ADDR6, raw)
    return a + nla(SVC_A_PORT, u16(port)) + nla(SVC_A_PROTO, u8(proto))


def decode_service(payload):
    """Key and number of backends of one SERVICE_GET reply message."""
    attrs = parse_attrs(payload[4:])
    s = parse_attrs(attrs[A_SERVICE][0])
    if SVC_A_ADDR4 in s:
        ver, raw = 4, s[SVC_A_ADDR4][0]
    else:
        ver, raw = 6, s[SVC_A_ADDR6][0]
    port, = struct.unpack("=H", s[SVC_A_PORT][0])
    proto, = struct.unpack("=B", s[SVC_A_PROTO][0])
    return (ver, bytes(raw), proto, port), len(attrs.get(A_BACKEND, []))


# ------------------------------------------------------------ command ---

# The item words for the top-level nests.
NESTS = {"svc": "service", "be": "backend", "l2": "l2"}
INTS = {"u8": u8, "u16": u16, "u32": u32, "u64": u64}


def attr_number(aset, name):
    """Number of attribute NAME (or a plain number) in set ASET."""
    if name.isdigit():
        return int(name)
    if name not in U.ATTRS[aset]:
        raise ValueError("no attribute %r in set %r" % (name, aset))
    return U.ATTRS[aset][name][0]


def encode(aset, key, val):
    """One NAME=VALUE item as an attribute of set ASET."""
    if key == "attr":
        name, _, hexval = val.partition(":")
        return nla(attr_number(aset, name), bytes.fromhex(hexval))
    if key == "port32":
        return nla(attr_number(aset, "port"), u32(int(val, 0)))
    if key not in U.ATTRS[aset]:
        raise ValueError("no attribute %r in set %r" % (key, aset))
    num, atype, sub = U.ATTRS[aset][key]
    if atype in INTS:
        return nla(num, INTS[atype](int(val, 0)))
    if sub == "cidr":
        addr, _, plen = val.partition("/")
        ver, raw = packed(addr)
        cidr = U.ATTRS["cidr"]
        return nest(num, nla(cidr["addr%d" % ver][0], raw),
                    nla(cidr["prefixlen"][0], u8(int(plen))))
    if key in ("addr4", "addr6"):
        return nla(num, packed(val)[1])
    raise ValueError("cannot encode %s=%s (type %s)" % (key, val, atype))


def build(items):
    """Turn the ITEM words into (payload, reserved)."""
    top = b""
    nest_type = None
    nest_set = GENL_NAME
    body = b""
    reserved = 0

    def close():
        nonlocal top, nest_type, body
        if nest_type is not None:
            top += nla(nest_type, body)
        nest_type, body = None, b""

    for item in items:
        key, _, val = item.partition("=")
        if key.rstrip("!") in NESTS and not val:
            close()
            num, _, nest_set = U.ATTRS[GENL_NAME][NESTS[key.rstrip("!")]]
            nest_type = num if key.endswith("!") else num | NLA_F_NESTED
            continue
        if key == "resv":
            reserved = int(val)
            continue
        attr = encode(nest_set if nest_type is not None else GENL_NAME,
                      key, val)
        if nest_type is None:
            top += attr
        else:
            body += attr
    close()
    return top, reserved


def run(genl, words):
    """Send one request given as words; return the line to print."""
    if not words or words[0] not in U.CMDS:
        raise ValueError("unknown command %r" % " ".join(words))
    payload, reserved = build(words[1:])
    err, msg, offs, _, _ = genl.request(U.CMDS[words[0]], payload,
                                        reserved=reserved)
    if err == 0:
        return "0"
    text = msg or ""
    if offs is not None:
        text += " (offset %d)" % offs
    return "%s %s" % (errno.errorcode.get(-err, str(-err)), text)


def main(argv):
    genl = Genl()
    genl.resolve()
    if len(argv) > 1:
        print(run(genl, argv[1:]))
        return 0
    for line in sys.stdin:
        print(run(genl, line.split()), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, NlError) as e:
        print("lb_genl.py: %s" % e, file=sys.stderr)
        sys.exit(1)
