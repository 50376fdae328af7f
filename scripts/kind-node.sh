#!/usr/bin/env bash
# The selftests' functional group on a kind node: builds the node image and
# a docker data root holding it (once per machine, cached), the kselftest
# tarball and the module through DKMS here, then runs scripts/kind-node-vm.sh
# in the test VM (docker, two nodes with kind's flags).
#
# Usage: scripts/kind-node.sh [--timeout SECS] [COLLECTION:TEST...]
#   no TEST: the whole functional group (run_kselftest.sh -c lbipam) and
#   the walk-through; "walk" among TESTs adds the walk-through to them
#   (check.sh's 6.1 suite: `scripts/kind-node.sh walk`)
# Environment: LBIPAM_CACHE  cache directory (default /var/cache/lbipam)
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

# The module through DKMS, for the VM's kernel: add, build and install run
# here, natively, with the install tree standing for the VM kernel's
# /lib/modules (the build host has its headers). Under TCG the install
# alone took 30 s (60-90 s beside CI's other VMs), two thirds of it
# depmod reading the kernel's 4000 modules over 9p; vm-run.sh builds the
# same index here from the image's modules in a second. The VM loads
# DKMS's module with modprobe, as the kind host does.
kv=$("$here/kver.sh")
ver=$(cat "$top/VERSION")
dk=$top/build/kind/dkms
rm -rf "$dk"
mkdir -p "$dk/tree" "$dk/install/$kv"
make -s -C "$top" dkms-install DESTDIR="$dk/src"
dkms_args=(-m lbipam -v "$ver" -k "$kv" --sourcetree "$dk/src/usr/src"
	--dkmstree "$dk/tree" --installtree "$dk/install")
if ! { dkms add "${dkms_args[@]}" && dkms build "${dkms_args[@]}" &&
	dkms install --no-depmod "${dkms_args[@]}"; } >"$dk/build.log" 2>&1; then
	cat "$dk/build.log" >&2
	echo "kind-node: dkms add/build/install failed" >&2
	exit 1
fi
ko=$dk/install/$kv/updates/dkms/lbipam.ko
[[ -f "$ko" ]] || { echo "kind-node: dkms install left no $ko" >&2; exit 1; }
echo "# kind-node: dkms add + build + install for $kv: $ko ($((SECONDS - start)) s)"

cd "$top"
export LBIPAM_VM_MEM=${LBIPAM_VM_MEM:-3G}
# docker's data root: an ext4 disk with the node image imported, made by a
# VM of its own on the first run and cached, keyed by the image, Debian's
# docker.io and this recipe. The test VM gets it as a snapshot: its writes
# (the containers) are dropped when it ends.
cache=${LBIPAM_CACHE:-/var/cache/lbipam}
dver=$(dpkg-query -W -f '${Version}' docker.io 2>/dev/null) ||
	{ echo "kind-node: docker.io is not installed (run scripts/deps.sh)" >&2; exit 2; }
dkey=$(printf '%s\n' disk-v1 "$(basename "$image")" "$dver" | sha256sum | cut -c1-16)
disk=$cache/kind-docker-$dkey.img
if [[ ! -s "$disk" ]]; then
	new=$(mktemp "$cache/kind-docker.XXXXXX")
	trap 'rm -f "$new"' EXIT
	truncate -s 2G "$new"
	# The inode tables and journal are written here, natively, rather
	# than by the guest's ext4lazyinit under emulation.
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$new"
	"$here/vm-run.sh" --timeout 1200 --disk "$new" \
		-- "$here/kind-node-vm.sh" --import "$image" ||
		{ echo "kind-node: importing $image into docker's disk failed" >&2; exit 1; }
	chmod 644 "$new" && mv "$new" "$disk"
	trap - EXIT
	echo "# kind-node: docker's data root $disk ($((SECONDS - start)) s)"
fi
"$here/vm-run.sh" --timeout "$timeout_s" --module "$ko" --disk "$disk" \
	--snapshot -- "$here/kind-node-vm.sh" "$tgz" "$@"
