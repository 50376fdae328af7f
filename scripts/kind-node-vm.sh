#!/usr/bin/env bash
# Inside the test VM: Debian's docker.io, two kind nodes, the module from DKMS
# and the installed selftests' functional group run in a node container.
#
# Usage (run by scripts/kind-node.sh through scripts/vm-run.sh, as root):
#   scripts/kind-node-vm.sh --import IMAGE.tar
#       on a fresh ext4 disk (/dev/vda): docker's data root with IMAGE.tar
#       imported as lbipam/kind-node:latest, which kind-node.sh then caches
#   scripts/kind-node-vm.sh KSELFTEST.tar.gz [COLLECTION:TEST...]
#       on that disk (as a snapshot): the tests; "walk" among the TESTs adds
#       the walk-through
# Each part's TAP and status (0 = passed) are also kept in
# build/kind/results/ (functional, walk; .tap and .rc) for scripts/check.sh
# to count.
#
# The VM is the "host" of a kind cluster: the module DKMS installed for its
# kernel is loaded there; the node containers share its kernel, each
# with its own network namespace. The nodes are started with kind's own
# `docker run` flags on a user-defined bridge network "kind" (IPv4 + IPv6)
# from an image with only kind's packages, so the tests see what they would
# see on a user's kind node. Prints the run_kselftest.sh TAP output, then
# (when no TEST is named, or "walk" is among them) scripts/kind-walk-vm.sh's, then
# "kind-node: N passed, N failed, N skipped" for the functional group.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
say() { echo "# kind-node: $*"; }
die() { echo "not ok 1 kind-node setup: $*"; exit 1; }

usage() {
	echo "usage: $0 --import IMAGE.tar | $0 KSELFTEST.tar.gz [TEST...]" >&2
	exit 2
}
import_tar=""
if [[ "${1:-}" == --import ]]; then
	(($# == 2)) || usage
	import_tar=$2
else
	(($# >= 1)) || usage
	ksft_tgz=$1
	shift
fi
# /usr/local/bin may hold another docker client; use Debian's.
docker=/usr/bin/docker
nodes=(kind-control-plane kind-worker)
t0=$SECONDS
lap() { say "$1 ($((SECONDS - t0)) s since start)"; }

# Scratch: the VM's root is read-only 9p. docker's data root is the disk
# (ext4), with the node image already in it: importing the 235 MB image
# under TCG took 75-130 s a run, so kind-node.sh does it once per machine.
scratch=/tmp/lbipam-kind
mkdir -p "$scratch"
mount -t tmpfs -o size=50% tmpfs "$scratch"
mkdir -p "$scratch/docker" "$scratch/exec"
modprobe -a virtio_blk ext4 || die "modprobe virtio_blk ext4 failed"
for ((i = 0; i < 50; i++)); do
	[[ -b /dev/vda ]] && break
	sleep 0.1
done
mount -t ext4 /dev/vda "$scratch/docker" || die "cannot mount docker's disk /dev/vda"

if [[ -z "$import_tar" ]]; then
	# --- the module DKMS installed (scripts/kind-node.sh: dkms add, build
	# and install on the build host, for this kernel), loaded as on a
	# kind host ---
	modprobe lbipam || die "modprobe lbipam failed"
	lap "modprobe lbipam: $(modinfo -F filename lbipam)"
fi

# --- Debian's dockerd (measured recipe: vm-harness-notes.md) ---
modprobe -a overlay br_netfilter veth bridge
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
mount -t tmpfs tmpfs /etc/docker 2>/dev/null ||
	{ mkdir -p "$scratch/etc" && mount --bind "$scratch/etc" /etc/docker; }
# up_within_300s NAME LOG COMMAND...: COMMAND succeeds within 300 s, else
# LOG's tail and "NAME did not come up".
up_within_300s() {
	local name=$1 log=$2 i
	shift 2
	for ((i = 0; i < 300; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
	done
	"$@" >/dev/null 2>&1 && return 0
	tail -n 30 "$log"
	die "$name did not come up"
}
# containerd first, as dockerd would start it (its root and state where
# dockerd keeps them, no CRI): dockerd gives its own containerd 15 s, and
# under the load of CI's other VMs this guest once needed more ("failed to
# start containerd: timeout waiting for containerd to start").
ctrd_sock=$scratch/exec/containerd/containerd.sock
mkdir -p "$scratch/exec/containerd"
cat >"$scratch/exec/containerd/containerd.toml" <<CONF
version = 2
root = "$scratch/docker/containerd/daemon"
state = "$scratch/exec/containerd/daemon"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ctrd_sock"
CONF
containerd --config "$scratch/exec/containerd/containerd.toml" \
	>"$scratch/containerd.log" 2>&1 &
ctrd_pid=$!
up_within_300s containerd "$scratch/containerd.log" \
	ctr --address "$ctrd_sock" version
dockerd --data-root "$scratch/docker" --exec-root "$scratch/exec" \
	--containerd "$ctrd_sock" \
	--pidfile "$scratch/exec/dockerd.pid" >"$scratch/dockerd.log" 2>&1 &
up_within_300s dockerd "$scratch/dockerd.log" "$docker" info
lap "dockerd up: $("$docker" info -f '{{.ServerVersion}} {{.Driver}} cgroup v{{.CgroupVersion}}')"

# stop_pid PID: PID gone within 60 s of a SIGTERM.
stop_pid() {
	local i
	kill "$1" 2>/dev/null || return 0
	for ((i = 0; i < 60; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 1
	done
	return 1
}
# stop_dockerd: dockerd, then containerd, gone, so that the data root is
# complete on disk.
stop_dockerd() {
	local dpid
	if dpid=$(cat "$scratch/exec/dockerd.pid" 2>/dev/null); then
		stop_pid "$dpid" || return 1
	fi
	stop_pid "$ctrd_pid"
}

if [[ -n "$import_tar" ]]; then
	"$docker" import "$import_tar" lbipam/kind-node:latest >/dev/null ||
		die "docker import $import_tar failed"
	lap "node image imported"
	stop_dockerd || die "dockerd did not stop"
	umount "$scratch/docker" || die "cannot unmount docker's disk"
	exit 0
fi
"$docker" image inspect lbipam/kind-node:latest >/dev/null 2>&1 ||
	die "docker's disk lacks the image lbipam/kind-node:latest"

# kind's network: a user-defined bridge, IPv6 too (kind's default ULA).
"$docker" network create -d bridge --ipv6 --subnet fc00:f853:ccd:e793::/64 \
	-o com.docker.network.bridge.enable_ip_masquerade=true kind >/dev/null ||
	die "docker network create kind failed"

# kind's provider/docker/create.go flags; the command stands in for kind's
# entrypoint + systemd (the tests need neither).
for n in "${nodes[@]}"; do
	"$docker" run -d --name "$n" --hostname "$n" \
		--privileged --security-opt seccomp=unconfined \
		--security-opt apparmor=unconfined \
		--tmpfs /tmp --tmpfs /run --volume /var \
		--volume /lib/modules:/lib/modules:ro \
		--cgroupns=private --init=false --net kind \
		lbipam/kind-node:latest sleep infinity >/dev/null ||
		die "docker run $n failed"
done
lap "nodes ${nodes[*]} running"

# --- the installed selftests in the first node, as a user copies them ---
node=${nodes[0]}
"$docker" cp "$ksft_tgz" "$node:/root/kselftest.tar.gz"
"$docker" exec "$node" sh -c \
	'mkdir -p /root/kselftest && tar -C /root/kselftest -xzf /root/kselftest.tar.gz'
# What the tests must not find: the node image lacks them, and so the
# tree must not need them.
for t in socat make gcc nft; do
	if "$docker" exec "$node" sh -c "command -v $t" >/dev/null 2>&1; then
		die "the node image has $t; it must not"
	fi
done

# "walk" among the TESTs: the walk-through too (it runs by itself when no
# TEST is named).
do_walk=1
if (($#)); then
	do_walk=0
	tests=()
	for t in "$@"; do
		case $t in
		walk) do_walk=1 ;;
		*) tests+=("$t") ;;
		esac
	done
	set -- "${tests[@]}"
	((${#tests[@]} || do_walk)) || do_walk=1
fi
results=$top/build/kind/results
mkdir -p "$results"
sel=(-c lbipam)
if (($#)); then
	sel=()
	for t in "$@"; do sel+=(-t "$t"); done
fi
lap "running run_kselftest.sh ${sel[*]} in $node"
out=$scratch/ksft.out
"$docker" exec -e LBIPAM_REQUIRE_MODULE=1 -e LBIPAM_SCALE="${LBIPAM_SCALE:-}" "$node" \
	/root/kselftest/run_kselftest.sh "${sel[@]}" 2>&1 | tee "$out"
lap "run_kselftest.sh done"

want=$("$docker" exec "$node" /root/kselftest/run_kselftest.sh -l |
	grep -c "^lbipam:" || true)
(($#)) && want=$#
p=$(grep -Ec '^ok [0-9]+ selftests: ' "$out" || true)
s=$(grep -Ec '^ok [0-9]+ selftests: .*# *SKIP' "$out" || true)
f=$(grep -Ec '^not ok [0-9]+ selftests: ' "$out" || true)
p=$((p - s))
group_ok=0
((f == 0 && s == 0 && p == want)) || group_ok=1

closing="kind-node: $p passed, $f failed, $s skipped (of $want, $((SECONDS - t0)) s)"
{ cat "$out"; echo "$closing"; } >"$results/functional.tap"
echo "$group_ok" >"$results/functional.rc"

# The user's walk-through across the two nodes (item 4 of the kind issue).
walk_ok=0
if ((do_walk)); then
	"$here/kind-walk-vm.sh" "$scratch" "${nodes[0]}" "${nodes[1]}" |
		tee "$results/walk.tap" || walk_ok=1
	echo "$walk_ok" >"$results/walk.rc"
	lap "walk-through done"
fi
echo "$closing"

((group_ok == 0 && walk_ok == 0))
