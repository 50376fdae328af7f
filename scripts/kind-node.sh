#!/usr/bin/env bash
# The selftests' functional group on a kind node: builds the node image (once,
# cached) and the kselftest tarball here, then runs scripts/kind-node-vm.sh in
# the test VM (docker, DKMS, two nodes with kind's flags).
#
# Usage: scripts/kind-node.sh [--timeout SECS] [COLLECTION:TEST...]
#   no TEST: the whole functional group (run_kselftest.sh -c lbipam) and
#   the walk-through; "walk" among TESTs adds the walk-through to them,
#   "vm-group" the VM-only groups, run in the VM afterwards (check.sh's
#   6.1 suite: `scripts/kind-node.sh walk vm-group`)
# Ends with "kind-node: N passed, N failed, N skipped"; exits non-zero unless
# every test passed and none was skipped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
timeout_s=5400
if [[ "${1:-}" == --timeout ]]; then
	timeout_s=$2
	shift 2
fi

start=$SECONDS
rm -rf "$top/build/kind/results"
image=$("$here/kind-image.sh")
echo "# kind-node: node image $image ($((SECONDS - start)) s)"
inst=$top/build/kind/kselftest_install
rm -rf "$inst"
make -s -C "$top/selftests" gen_tar INSTALL_PATH="$inst" >/dev/null
tgz=$inst/kselftest-packages/kselftest.tar.gz
[[ -s "$tgz" ]] || { echo "kind-node: $tgz not built" >&2; exit 1; }

# The module's DKMS build, for the VM's kernel (the build host has its
# headers); the VM runs `dkms install` on it.
kv=$("$here/kver.sh")
ver=$(cat "$top/VERSION")
dk=$top/build/kind/dkms
rm -rf "$dk"
mkdir -p "$dk/tree"
make -s -C "$top" dkms-install DESTDIR="$dk/src"
dkms_args=(-m lbipam -v "$ver" --sourcetree "$dk/src/usr/src" --dkmstree "$dk/tree")
if ! { dkms add "${dkms_args[@]}" && dkms build "${dkms_args[@]}" -k "$kv"; } \
	>"$dk/build.log" 2>&1; then
	cat "$dk/build.log" >&2
	echo "kind-node: dkms build failed" >&2
	exit 1
fi
echo "# kind-node: dkms build for $kv ($((SECONDS - start)) s)"

# docker's data root is a tmpfs in the VM: the node image (~350 MB) and
# the containers' layers live in guest memory.
cd "$top"
LBIPAM_VM_MEM=${LBIPAM_VM_MEM:-3G} "$here/vm-run.sh" --timeout "$timeout_s" \
	-- "$here/kind-node-vm.sh" "$image" "$tgz" "$@"
