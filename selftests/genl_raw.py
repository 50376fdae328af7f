#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one hand-built lbipam generic netlink request and print the answer.

lbctl refuses bad input before the kernel sees it; this tool lets the
selftests hand the kernel exactly the malformed requests lbctl never sends.

usage: genl_raw.py CMD [ITEM...]
       genl_raw.py < FILE       one "CMD [ITEM...]" request per line

CMD   service-new | service-del | service-get | backend-new | backend-del
ITEM  svc | be        open an LBIPAM_A_SERVICE / LBIPAM_A_BACKEND nest
      svc! | be!      the same without NLA_F_NESTED
      addr4=IPV4 addr6=IPV6 port=N (u16) port32=N (u32) proto=N (u8)
                      an attribute in the open nest
      attr=TYPE:HEX   a raw attribute in the open nest (top level before any)
      resv=N          the genetlink header's reserved field

Prints one line per request: "0" on success, else the errno name, the extended ACK
message and, if the kernel named the attribute to blame, its offset in the
request, e.g. "ERANGE service port must be 1-65535 (offset 36)". Exit status
0 when the kernel answered every request, 1 otherwise. Reading requests
from stdin saves starting Python once per request, which costs seconds in an
emulated VM.
"""

import errno
import ipaddress
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 16
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLMSG_ERROR = 2
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLA_F_NESTED = 0x8000
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11

# From uapi/linux/lbipam.h.
CMDS = {
    "service-new": 1,
    "service-del": 2,
    "service-get": 3,
    "backend-new": 4,
    "backend-del": 5,
}
NESTS = {"svc": 1, "be": 2}
# Attribute numbers inside the nests; the same in both except PROTO.
ADDR4, ADDR6, PORT, PROTO = 1, 2, 3, 4


def nla(atype, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, atype) + payload + b"\0" * (-length % 4)


def attrs_of(data):
    """Yield (type, payload) of the attributes packed in data."""
    off = 0
    while off + 4 <= len(data):
        length, atype = struct.unpack_from("=HH", data, off)
        if length < 4:
            return
        yield atype & 0x3FFF, data[off + 4:off + length]
        off += (length + 3) & ~3


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.seq = 0

    def request(self, family, cmd, payload, version=1, reserved=0):
        """Send a request with NLM_F_ACK; return (error, message, replies)."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, reserved) + payload
        hdr = struct.pack("=IHHII", 16 + len(body), family,
                          NLM_F_REQUEST | NLM_F_ACK, self.seq, 0)
        self.sock.send(hdr + body)
        replies = []
        while True:
            data = self.sock.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                length, mtype, flags, _, _ = struct.unpack_from("=IHHII",
                                                                data, off)
                msg = data[off:off + length]
                off += (length + 3) & ~3
                if mtype != NLMSG_ERROR:
                    replies.append(msg)
                    continue
                err = struct.unpack_from("=i", msg, 16)[0]
                text = ""
                offs = None
                if flags & NLM_F_ACK_TLVS:
                    # struct nlmsgerr: error, then the request's header, then
                    # its payload unless the kernel capped it.
                    inner_len = struct.unpack_from("=I", msg, 20)[0]
                    tlv_off = 20 + (16 if flags & NLM_F_CAPPED else inner_len)
                    for atype, val in attrs_of(msg[tlv_off:]):
                        if atype == NLMSGERR_ATTR_MSG:
                            text = val.rstrip(b"\0").decode(errors="replace")
                        elif atype == NLMSGERR_ATTR_OFFS:
                            offs = struct.unpack("=I", val[:4])[0]
                if offs is not None:
                    text += f" (offset {offs})"
                return err, text, replies

    def family(self, name):
        err, text, replies = self.request(
            GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
            nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        if err or not replies:
            raise OSError(-err, f"family {name}: {text}")
        for atype, val in attrs_of(replies[0][20:]):
            if atype == CTRL_ATTR_FAMILY_ID:
                return struct.unpack("=H", val[:2])[0]
        raise OSError(errno.ENOENT, f"family {name}: no id in reply")


def build(items):
    """Turn the ITEM words into (payload, reserved)."""
    top = b""
    nest_type = None
    nest = b""
    reserved = 0

    def close():
        nonlocal top, nest_type, nest
        if nest_type is not None:
            top += nla(nest_type, nest)
        nest_type, nest = None, b""

    for item in items:
        key, _, val = item.partition("=")
        if key.rstrip("!") in NESTS and not val:
            close()
            nest_type = NESTS[key.rstrip("!")]
            if not key.endswith("!"):
                nest_type |= NLA_F_NESTED
            continue
        if key == "resv":
            reserved = int(val)
            continue
        if key == "addr4":
            attr = nla(ADDR4, ipaddress.IPv4Address(val).packed)
        elif key == "addr6":
            attr = nla(ADDR6, ipaddress.IPv6Address(val).packed)
        elif key == "port":
            attr = nla(PORT, struct.pack("=H", int(val)))
        elif key == "port32":
            attr = nla(PORT, struct.pack("=I", int(val)))
        elif key == "proto":
            attr = nla(PROTO, struct.pack("=B", int(val)))
        elif key == "attr":
            atype, _, hexval = val.partition(":")
            attr = nla(int(atype), bytes.fromhex(hexval))
        else:
            raise ValueError(f"unknown item {item!r}")
        if nest_type is None:
            top += attr
        else:
            nest += attr
    close()
    return top, reserved


def run(genl, family, words):
    """Send one request given as words; return the line to print."""
    if not words or words[0] not in CMDS:
        raise ValueError(f"unknown command {' '.join(words)!r}")
    payload, reserved = build(words[1:])
    err, text, _ = genl.request(family, CMDS[words[0]], payload,
                                reserved=reserved)
    if err == 0:
        return "0"
    return f"{errno.errorcode.get(-err, str(-err))} {text}"


def main(argv):
    genl = Genl()
    family = genl.family("lbipam")
    if len(argv) > 1:
        print(run(genl, family, argv[1:]))
        return 0
    for line in sys.stdin:
        print(run(genl, family, line.split()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
