#!/usr/bin/env bash
# Inside the test VM: Debian's docker.io, two kind nodes, the module from DKMS
# and the installed selftests' functional group run in a node container.
#
# Usage (run by scripts/kind-node.sh through scripts/vm-run.sh, as root):
#   scripts/kind-node-vm.sh IMAGE.tar KSELFTEST.tar.gz [COLLECTION:TEST...]
#   "walk" among the TESTs adds the walk-through, "vm-group" the VM-only
#   groups (cluster and robustness) run afterwards in the VM itself, with
#   the nodes and dockerd stopped: together with the node's functional group
#   that is the whole suite on this kernel, each test run once.
# Each part's TAP and status (0 = passed) are also kept in
# build/kind/results/ (functional, walk, vm-group; .tap and .rc) for
# scripts/check.sh to count.
#
# The VM is the "host" of a kind cluster: the module is installed on it
# through DKMS and loaded there; the node containers share its kernel, each
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

(($# >= 2)) || { echo "usage: $0 IMAGE.tar KSELFTEST.tar.gz [TEST...]" >&2; exit 2; }
image_tar=$1 ksft_tgz=$2
shift 2
# /usr/local/bin may hold another docker client; use Debian's.
docker=/usr/bin/docker
nodes=(kind-control-plane kind-worker)
kv=$(uname -r)
t0=$SECONDS
lap() { say "$1 ($((SECONDS - t0)) s since start)"; }

# Scratch for DKMS and docker's data: the VM's root is read-only 9p.
scratch=/tmp/lbipam-kind
mkdir -p "$scratch"
mount -t tmpfs -o size=85% tmpfs "$scratch"

# --- the module, through DKMS, as a user installs it on the kind host ---
# scripts/kind-node.sh ran `dkms add` + `dkms build` on the build host
# against this kernel's headers (compiling under TCG takes many minutes);
# here `dkms install` installs that build into this kernel's module tree,
# and modprobe loads it, as on a user's machine.
ver=$(cat "$top/VERSION")
dk=$top/build/kind/dkms
[[ -d "$dk/tree/lbipam/$ver/$kv" ]] || die "no DKMS build for $kv in $dk (run scripts/kind-node.sh)"
cp -a "$dk/tree" "$scratch/dkms"
if ! dkms install -m lbipam -v "$ver" -k "$kv" --sourcetree "$dk/src/usr/src" \
	--dkmstree "$scratch/dkms" >"$scratch/dkms.log" 2>&1; then
	sed 's/^/#   /' "$scratch/dkms.log"
	die "dkms install failed"
fi
modprobe lbipam || die "modprobe lbipam failed after dkms install"
lap "dkms install + modprobe lbipam: $(modinfo -F filename lbipam)"

# --- Debian's dockerd (measured recipe: vm-harness-notes.md) ---
modprobe -a overlay br_netfilter veth bridge
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
mount -t tmpfs tmpfs /etc/docker 2>/dev/null ||
	{ mkdir -p "$scratch/etc" && mount --bind "$scratch/etc" /etc/docker; }
mkdir -p "$scratch/docker" "$scratch/exec"
dockerd --data-root "$scratch/docker" --exec-root "$scratch/exec" \
	--pidfile "$scratch/exec/dockerd.pid" >"$scratch/dockerd.log" 2>&1 &
for ((i = 0; i < 300; i++)); do
	"$docker" info >/dev/null 2>&1 && break
	sleep 1
done
"$docker" info >/dev/null 2>&1 || { tail -n 30 "$scratch/dockerd.log"; die "dockerd did not come up"; }
lap "dockerd up: $("$docker" info -f '{{.ServerVersion}} {{.Driver}} cgroup v{{.CgroupVersion}}')"

"$docker" import "$image_tar" lbipam/kind-node:latest >/dev/null ||
	die "docker import $image_tar failed"
lap "node image imported"

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
# TEST is named); "vm-group": the VM-only groups after it.
do_walk=1 do_vm_group=0
if (($#)); then
	do_walk=0
	tests=()
	for t in "$@"; do
		case $t in
		walk) do_walk=1 ;;
		vm-group) do_vm_group=1 ;;
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
"$docker" exec -e LBIPAM_REQUIRE_MODULE=1 "$node" \
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

# The VM-only groups, from the source tree as `make vm-test` runs them, on
# the DKMS-installed module: the nodes and dockerd go first, since
# module_unload and rb_unload take the module away under them.
vm_ok=0
if ((do_vm_group)); then
	"$docker" rm -f "${nodes[@]}" >/dev/null 2>&1 || true
	dpid=$(cat "$scratch/exec/dockerd.pid" 2>/dev/null || true)
	if [[ -n "$dpid" ]]; then
		kill "$dpid" 2>/dev/null || true
		for ((i = 0; i < 60; i++)); do
			kill -0 "$dpid" 2>/dev/null || break
			sleep 1
		done
	fi
	lap "nodes and dockerd stopped; the VM-only groups"
	vm_tests=$(make -s -C "$top/selftests" list-vm-only)
	LBIPAM_REQUIRE_MODULE=1 LBIPAM_LBCTL=$top/userspace/lbctl/lbctl \
		make -s -C "$top/selftests" run_tests TEST_PROGS="$vm_tests" 2>&1 |
		tee "$results/vm-group.tap" || vm_ok=1
	grep -Eq '^not ok [0-9]+ ' "$results/vm-group.tap" && vm_ok=1
	echo "$vm_ok" >"$results/vm-group.rc"
	lap "VM-only groups done"
fi
((group_ok == 0 && walk_ok == 0 && vm_ok == 0))
