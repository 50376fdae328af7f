#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rb_maglev_build.sh's request: one LBIPAM_CMD_BACKEND_REPLACE with N IPv4
backends, the first at weight 65535, the others at weight 1.

usage: rb_maglev_build.py VIP VPORT N

Prints the milliseconds the kernel took to answer (the request alone, not
Python's start or the family lookup), or the error and exits 1.
"""

import errno
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lb_genl as L  # noqa: E402 (after the path is set)


def main(argv):
    vip, vport, n = argv[1], int(argv[2]), int(argv[3])
    # A build that does not scale may hold the request for minutes: let it
    # finish, so that the test reports how long it took.
    genl = L.Genl(timeout=600)
    genl.resolve()
    svc = L.nest(L.A_SERVICE, L.svc_key_attrs(vip, vport, socket.IPPROTO_TCP))
    bes = []
    for i in range(n):
        addr = "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255 or 1)
        port = 8080 if i & 255 else 9090  # .1 twice otherwise
        weight = 65535 if i == 0 else 1
        bes.append(L.nest(L.A_BACKEND,
                          L.nla(L.BE_A_ADDR4, L.packed(addr)[1]),
                          L.nla(L.BE_A_PORT, L.u16(port)),
                          L.nla(L.BE_A_WEIGHT, L.u16(weight))))
    t0 = time.monotonic()
    err, msg, _, _, _ = genl.request(L.CMD_BACKEND_REPLACE,
                                     svc + b"".join(bes))
    ms = (time.monotonic() - t0) * 1000
    if err:
        print("error %s %s after %dms"
              % (errno.errorcode.get(-err, str(-err)), msg or "", ms))
        return 1
    print("%d" % ms)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, L.NlError) as e:
        print("rb_maglev_build.py: %s" % e)
        sys.exit(1)
