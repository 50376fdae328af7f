#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Makes many conntrack entries in the current network namespace at once.

conntrack -I makes one entry per process, and a process costs the better
part of a second in the emulated test VM; this makes thousands in one,
over a raw NETLINK_NETFILTER socket (ctnetlink, IPCTNL_MSG_CT_NEW), with
the Python standard library only.

usage: ct_fill.py < FILE

One entry per line, IPv4 only, lasting an hour:

    udp|tcp SRC SPORT DST DPORT [NATADDR:NATPORT]

With NATADDR:NATPORT the entry is destination-NATed there, as lbipam
translates a connection to a backend (status DST_NAT, the reply from the
backend); TCP entries are ESTABLISHED. Exits 1 naming the first line the
kernel refused, with its error.
"""

import errno
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW = 0
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x200, 0x400
NLMSG_ERROR = 2
NLA_F_NESTED = 0x8000

CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_PROTOINFO = 1, 2, 4
CTA_TIMEOUT, CTA_NAT_DST = 7, 13
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
CTA_NAT_V4_MINIP, CTA_NAT_V4_MAXIP, CTA_NAT_PROTO = 1, 2, 3
CTA_PROTONAT_PORT_MIN, CTA_PROTONAT_PORT_MAX = 1, 2
CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE = 1, 1
TCP_CONNTRACK_ESTABLISHED = 3
PROTOS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP}


def nla(kind, payload):
    hdr = struct.pack("=HH", 4 + len(payload), kind)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def nest(kind, *attrs):
    return nla(kind | NLA_F_NESTED, b"".join(attrs))


def tuple_attrs(kind, src, sport, dst, dport, proto):
    return nest(kind,
                nest(CTA_TUPLE_IP,
                     nla(CTA_IP_V4_SRC, socket.inet_aton(src)),
                     nla(CTA_IP_V4_DST, socket.inet_aton(dst))),
                nest(CTA_TUPLE_PROTO,
                     nla(CTA_PROTO_NUM, struct.pack("B", proto)),
                     nla(CTA_PROTO_SRC_PORT, struct.pack("!H", sport)),
                     nla(CTA_PROTO_DST_PORT, struct.pack("!H", dport))))


def request(fields, seq):
    proto = PROTOS[fields[0]]
    src, sport, dst, dport = fields[1], int(fields[2]), fields[3], int(fields[4])
    body = tuple_attrs(CTA_TUPLE_ORIG, src, sport, dst, dport, proto)
    body += tuple_attrs(CTA_TUPLE_REPLY, dst, dport, src, sport, proto)
    body += nla(CTA_TIMEOUT, struct.pack("!I", 3600))
    if proto == socket.IPPROTO_TCP:
        body += nest(CTA_PROTOINFO,
                     nest(CTA_PROTOINFO_TCP,
                          nla(CTA_PROTOINFO_TCP_STATE,
                              struct.pack("B", TCP_CONNTRACK_ESTABLISHED))))
    if len(fields) > 5:
        addr, port = fields[5].rsplit(":", 1)
        body += nest(CTA_NAT_DST,
                     nla(CTA_NAT_V4_MINIP, socket.inet_aton(addr)),
                     nla(CTA_NAT_V4_MAXIP, socket.inet_aton(addr)),
                     nest(CTA_NAT_PROTO,
                          nla(CTA_PROTONAT_PORT_MIN, struct.pack("!H", int(port))),
                          nla(CTA_PROTONAT_PORT_MAX, struct.pack("!H", int(port)))))
    nfgen = struct.pack("=BBH", socket.AF_INET, 0, 0)
    kind = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    payload = nfgen + body
    return struct.pack("=IHHII", 16 + len(payload), kind, flags, seq, 0) + payload


def main():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    lines = [line.split() for line in sys.stdin if line.strip()]
    # A window of requests in flight: one round trip each would be slow.
    window, sent, done = 64, 0, 0
    while done < len(lines):
        while sent < len(lines) and sent - done < window:
            sock.send(request(lines[sent], sent + 1))
            sent += 1
        data = sock.recv(65536)
        off = 0
        while off < len(data):
            length, kind, _, seq = struct.unpack_from("=IHHI", data, off)
            if kind == NLMSG_ERROR:
                err = -struct.unpack_from("=i", data, off + 16)[0]
                if err:
                    sys.stderr.write("ct_fill.py: line %d (%s): %s\n" %
                                     (seq, " ".join(lines[seq - 1]),
                                      errno.errorcode.get(err, str(err))))
                    return 1
                done += 1
            off += (length + 3) & ~3
    return 0


if __name__ == "__main__":
    sys.exit(main())
