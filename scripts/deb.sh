#!/usr/bin/env bash
# Build the Debian packages lbipam and lbipam-dkms into build/deb/ with
# debhelper, from a copy of the tracked tree (so that the checkout's own
# build outputs never reach the package), then run lintian on them: any
# lintian error fails the build.
# debian/changelog is written here from VERSION, which stays the one place
# the version is defined; its date is the last commit's, so that two
# builds of one commit give the same packages.
# Usage: scripts/deb.sh      (prints the .deb paths)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ver=$(cat "$top/VERSION")
out=$top/build/deb
src=$out/lbipam-$ver

rm -rf "$out"
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$src")
	when=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
else
	(cd "$top" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$src" -xf -
	when=$(date -R)
fi
[[ -f "$src/debian/control" ]] || { echo "deb.sh: debian/ is missing from the copy" >&2; exit 1; }

cat >"$src/debian/changelog" <<CHANGELOG
lbipam ($ver) unstable; urgency=medium

  * Release $ver.

 -- lbipam developers <lbipam@lists.lbipam.org>  $when
CHANGELOG

(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; echo "deb.sh: dpkg-buildpackage failed (build/deb/build.log)" >&2; exit 1; }

changes=$(ls "$out"/lbipam_"$ver"_*.changes)
# Errors fail; warnings are printed for the reader.
if ! lintian --fail-on error --tag-display-limit 0 "$changes" | tee "$out/lintian.log"; then
	echo "deb.sh: lintian reports errors (build/deb/lintian.log)" >&2
	exit 1
fi
ls "$out"/*.deb
