#!/usr/bin/env bash
# Build (once per machine) a root tarball with exactly the packages of kind's
# node image, for the kind-node test; prints the tarball's path.
#
# Usage: scripts/kind-image.sh
#
# kind's images/base/Dockerfile installs these on debian:bookworm-slim; we
# start from `debootstrap --variant=minbase bookworm` (what the slim image
# is) and add the same list. containerd, runc, crictl and the CNI plugins of
# the real image are left out: the selftests never use them. The tarball is
# cached as /var/cache/lbipam/kind-node-<hash>.tar, the hash over the
# package list and this script's recipe, so only the first run builds it.
# Environment:
#   LBIPAM_CACHE   cache directory (default /var/cache/lbipam)
#   LBIPAM_MIRROR  Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail

KIND_PKGS=(systemd conntrack iptables iproute2 ethtool util-linux mount
	ebtables kmod libseccomp2 pigz fuse-overlayfs nfs-common open-iscsi
	bash ca-certificates curl jq procps)
RECIPE=v1

say() { echo "kind-image: $*" >&2; }

cache=${LBIPAM_CACHE:-/var/cache/lbipam}
mirror=${LBIPAM_MIRROR:-http://deb.debian.org/debian}
hash=$(printf '%s\n' "$RECIPE" "${KIND_PKGS[@]}" | sha256sum | cut -c1-16)
tar=$cache/kind-node-$hash.tar

if [[ -s "$tar" ]]; then
	echo "$tar"
	exit 0
fi
command -v debootstrap >/dev/null ||
	{ say "debootstrap missing (run scripts/deps.sh)"; exit 2; }
((EUID == 0)) || { say "building the node root needs root"; exit 2; }

mkdir -p "$cache"
root=$(mktemp -d "$cache/kind-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
start=$SECONDS
pkgs=$(IFS=,; echo "${KIND_PKGS[*]}")
say "building the node root (debootstrap minbase bookworm + ${#KIND_PKGS[@]} packages)"
if ! debootstrap --variant=minbase --include="$pkgs" bookworm "$root" \
	"$mirror" >"$cache/kind-node-$hash.log" 2>&1; then
	say "debootstrap failed; log: $cache/kind-node-$hash.log"
	tail -n 20 "$cache/kind-node-$hash.log" >&2
	exit 1
fi
# What kind's image does after its apt-get install: no package caches.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" --numeric-owner -cf "$tar.tmp" .
mv "$tar.tmp" "$tar"
say "built $tar ($(du -h "$tar" | cut -f1)) in $((SECONDS - start)) s"
echo "$tar"
