#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/ref-planes.sh's Maglev build request: one LBIPAM_CMD_BACKEND_REPLACE
of N IPv4 backends at weight 1 (10.100+.x.y:PORT), timed send to answer.

usage: maglev-build.py VIP VPORT N PORT

Prints the milliseconds (3 decimals) of the request alone, not Python's
start nor the family lookup; or the error, and exits 1. N = 65k needs a
request of ~3 MB: the socket's send buffer is forced up (root).
"""

import errno
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "selftests"))
import lb_genl as L  # noqa: E402 (after the path is set)

SO_SNDBUFFORCE = 32


def main(argv):
    if len(argv) != 5:
        print("usage: maglev-build.py VIP VPORT N PORT")
        return 1
    vip, vport, n, port = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    genl = L.Genl(timeout=600)
    genl.sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 64 << 20)
    genl.resolve()
    svc = L.nest(L.A_SERVICE, L.svc_key_attrs(vip, vport, socket.IPPROTO_TCP))
    bes = []
    for i in range(1, n + 1):
        addr = "10.%d.%d.%d" % (100 + (i >> 16), (i >> 8) & 255, i & 255)
        bes.append(L.nest(L.A_BACKEND,
                          L.nla(L.BE_A_ADDR4, L.packed(addr)[1]),
                          L.nla(L.BE_A_PORT, L.u16(port)),
                          L.nla(L.BE_A_WEIGHT, L.u16(1))))
    body = svc + b"".join(bes)
    t0 = time.monotonic()
    err, msg, _, _, _ = genl.request(L.CMD_BACKEND_REPLACE, body)
    ms = (time.monotonic() - t0) * 1000
    if err:
        print("error %s %s after %.0fms"
              % (errno.errorcode.get(-err, str(-err)), msg or "", ms))
        return 1
    print("%.3f" % ms)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, L.NlError) as e:
        print("maglev-build.py: %s" % e)
        sys.exit(1)
