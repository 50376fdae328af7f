#!/usr/bin/env bash
# Install (as root, on Debian 12) every package the project needs to build and
# to run its tests in the qemu VM. Idempotent: when everything is already
# installed it only runs dpkg-query and exits in well under a second.
# Usage: scripts/deps.sh        (prints the kernel release KV as the last line)
# The kernels: Debian's newest 6.1 and 6.12 headers (the VM downloads the
# matching images), and both source packages for the debug kernel
# (scripts/debug-kernel.sh; bc to libssl-dev are what its build needs).
# The real servers the tests start themselves: etcd (cluster mode),
# Prometheus (metrics), BIRD (BGP); debhelper, dh-dkms and lintian for `make deb`;
# linux-perf for make bench-ref's profiles (LBIPAM_BENCH_PERF=1).
set -euo pipefail

PKGS=(
	build-essential linux-headers-amd64 linux-source-6.1
	linux-headers-6.12-amd64 linux-source-6.12
	bc bison flex libelf-dev libssl-dev xz-utils
	libnl-3-dev libnl-genl-3-dev libjansson-dev libyaml-dev libsqlite3-dev
	libsystemd-dev pkg-config
	qemu-system-x86 busybox-static cpio kmod dkms
	iproute2 socat iptables nftables ipvsadm conntrack ethtool tcpdump
	python3 python3-yaml rsync perl shellcheck util-linux procps gnuplot-nox jq
	git ca-certificates
	docker.io debootstrap
	etcd-server etcd-client libcurl4-openssl-dev
	prometheus libmicrohttpd-dev
	debhelper dh-dkms lintian bird2 linux-perf
)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# List the packages that are not fully installed yet.
missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ "$st" == installed ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	if ((EUID != 0)); then
		echo "deps.sh: missing packages (${missing[*]}); run as root" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	echo "deps.sh: installing: ${missing[*]}" >&2
	# A fresh machine may have empty package lists; an old list may point at
	# versions the mirror no longer has, so refresh once and retry on failure.
	apt_install() {
		apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	}
	if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
		apt-get update -q >&2
	fi
	if ! apt_install; then
		apt-get update -q >&2
		apt_install
	fi
fi

# The kernel release the module is built against and the VM boots.
"$here/kver.sh"
