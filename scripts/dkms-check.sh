#!/usr/bin/env bash
# Proves dkms.conf: add, build against the installed 6.1 headers, remove.
# Works on a copy under a scratch /usr/src name so that it never touches an
# lbipam the machine may have installed for real.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kv=$("$top/scripts/kver.sh")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/lbipam-$ver

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
dkms add -m lbipam -v "$ver"
dkms build -m lbipam -v "$ver" -k "$kv"
ko=$(find "/var/lib/dkms/lbipam/$ver/$kv" -name 'lbipam.ko*' | head -n 1)
[[ -n "$ko" ]] || { echo "dkms-check: no lbipam.ko built" >&2; exit 1; }
modinfo "$ko" | grep -E '^(version|alias|license):'
modinfo -F alias "$ko" | grep -qx 'net-pf-16-proto-16-family-lbipam'
echo "dkms-check: built $ko"
