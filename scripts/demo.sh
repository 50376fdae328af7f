#!/usr/bin/env bash
# The README's main command: on a fresh Debian 12 (as root) install what is
# needed, build, and show one VIP translated end to end by lbipam.ko inside
# the test VM (the host itself may not be able to load modules).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
scripts/deps.sh
make -s all kselftest
LBIPAM_REQUIRE_MODULE=1 exec scripts/vm-run.sh --module "$top/lbipam.ko" \
	-- scripts/demo-vm.sh
