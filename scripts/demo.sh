#!/usr/bin/env bash
# The README's main command: on a fresh Debian 12 (as root) install what is
# needed, build, and show inside the test VM (the host itself may not be
# able to load modules) one VIP translated end to end by lbipam.ko, then the
# user's walk-through with lbipamd: the blue/red pool conflict, the pending
# Service, the fix, and the LB IP and ClusterIP answering; then the same
# LB IP from outside the node (a machine on the node's bridge, as the
# user's on the kind bridge), silent until an L2 announcement policy
# selects the Service, answering over IPv4 and IPv6 after.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
scripts/deps.sh
make -s all kselftest
LBIPAM_REQUIRE_MODULE=1 LBIPAM_LBCTL="$top/userspace/lbctl/lbctl" \
	exec scripts/vm-run.sh --timeout 1800 \
	--module "$top/lbipam.ko" \
	-- sh -c 'scripts/demo-vm.sh && echo && echo "== the user scenario (seed-scenario.md) with lbipamd" && selftests/e2e_seed.sh && echo && echo "== from outside the node: L2 announcements" && selftests/e2e_l2.sh' 
