#!/usr/bin/env bash
# Proves dkms.conf (made from dkms.conf.in by make dkms-install): add, then
# build and install against every installed Debian header set of the
# supported series (6.1 and 6.12; both must be there), remove. A header set
# that dkms.conf's BUILD_EXCLUSIVE_KERNEL excludes must be refused.
# Works on a copy under a scratch /usr/src name so that it never touches an
# lbipam the machine may have installed for real.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ver=$(cat "$top/VERSION")
excl=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"/\1/p' "$top/dkms.conf.in")
src=/usr/src/lbipam-$ver

# The newest of each series must be installed (scripts/deps.sh), plus any
# other generic amd64 header set that happens to be there.
want=()
for s in 6.1 6.12; do want+=("$("$top/scripts/kver.sh" "$s")"); done
kvs=("${want[@]}")
shopt -s nullglob
for d in /usr/src/linux-headers-*-amd64; do
	kv=${d#/usr/src/linux-headers-}
	[[ "$kv" =~ ^[0-9.]+(-[0-9]+|\+deb[0-9]+)-amd64$ && -e /lib/modules/$kv/build ]] || continue
	[[ " ${kvs[*]} " == *" $kv "* ]] || kvs+=("$kv")
done

if dkms status -m lbipam -v "$ver" 2>/dev/null | grep -q .; then
	echo "dkms-check: lbipam/$ver is already registered with DKMS; not touching it" >&2
	exit 1
fi
cleanup() {
	dkms remove -m lbipam -v "$ver" --all >/dev/null 2>&1 || true
	rm -rf "$src"
}
trap cleanup EXIT

make -s -C "$top" dkms-install DESTDIR=
grep -qx "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf" ||
	{ echo "dkms-check: $src/dkms.conf does not carry version $ver" >&2; exit 1; }
dkms add -m lbipam -v "$ver"
for kv in "${kvs[@]}"; do
	if [[ ! "$kv" =~ $excl ]]; then
		for w in "${want[@]}"; do
			if [[ "$kv" == "$w" ]]; then
				echo "dkms-check: BUILD_EXCLUSIVE_KERNEL excludes the tested $kv" >&2
				exit 1
			fi
		done
		echo "dkms-check: $kv is outside BUILD_EXCLUSIVE_KERNEL; DKMS must refuse it"
		if dkms build -m lbipam -v "$ver" -k "$kv"; then
			echo "dkms-check: DKMS built for the excluded $kv" >&2
			exit 1
		fi
		continue
	fi
	dkms build -m lbipam -v "$ver" -k "$kv"
	ko=$(find "/var/lib/dkms/lbipam/$ver/$kv" -name 'lbipam.ko*' | head -n 1)
	[[ -n "$ko" ]] || { echo "dkms-check: no lbipam.ko built for $kv" >&2; exit 1; }
	modinfo "$ko" | grep -E '^(version|vermagic|alias|license):'
	modinfo -F vermagic "$ko" | grep -q "^$kv " ||
		{ echo "dkms-check: $ko is not built for $kv" >&2; exit 1; }
	modinfo -F alias "$ko" | grep -qx 'net-pf-16-proto-16-family-lbipam'
	echo "dkms-check: built $ko"
	# Installed where modprobe finds it; the cleanup's dkms remove takes
	# it out again.
	dkms install -m lbipam -v "$ver" -k "$kv"
	inst=$(modinfo -k "$kv" -F filename lbipam 2>/dev/null || true)
	[[ "$inst" == /lib/modules/$kv/updates/dkms/lbipam.ko* ]] ||
		{ echo "dkms-check: modinfo -k $kv finds '${inst:-nothing}', not DKMS's lbipam" >&2; exit 1; }
	echo "dkms-check: installed $inst"
done
dkms remove -m lbipam -v "$ver" --all
for kv in "${kvs[@]}"; do
	if inst=$(modinfo -k "$kv" -F filename lbipam 2>/dev/null); then
		echo "dkms-check: dkms remove left $inst behind" >&2
		exit 1
	fi
done
