#!/usr/bin/env bash
# "make install" into a scratch DESTDIR puts every file where it belongs.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kv=$("$top/scripts/kver.sh")
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr
for f in usr/sbin/lbctl usr/sbin/lbipamd usr/share/man/man8/lbctl.8 \
	usr/share/man/man8/lbipamd.8 "lib/modules/$kv/updates/lbipam.ko"; do
	[[ -f "$dest/$f" ]] || { echo "install-check: missing /$f" >&2; exit 1; }
	echo "installed /$f"
done
"$dest/usr/sbin/lbctl" -V
"$dest/usr/sbin/lbipamd" --version
