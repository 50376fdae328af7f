#!/usr/bin/env bash
# Inside the test VM, after scripts/kind-node-vm.sh started the nodes: the
# user's walk-through across kind nodes, as TAP.
#
# Usage: scripts/kind-walk-vm.sh SCRATCH NODE OTHER_NODE
#
# lbipamd runs as a DaemonSet pod would: its own container from the node
# image, in NODE's network namespace (--net container:NODE), the socket on
# NODE's /var volume. `lbctl apply` runs on NODE (the installed tree in
# /root/kselftest) with a pool inside the kind network's own subnet (as
# MetalLB's kind guide does), a Service and its EndpointSlice whose backend
# is a server on NODE, and a CiliumL2AnnouncementPolicy on eth0. The LB IP
# must then answer from OTHER_NODE and from the VM (the kind host) through
# the kind bridge with no route for it: they resolve it with ARP, and NODE's
# module answers with NODE's MAC.
set -uo pipefail

(($# == 3)) || { echo "usage: $0 SCRATCH NODE OTHER_NODE" >&2; exit 2; }
scratch=$1 node=$2 other=$3
docker=/usr/bin/docker
tree=/root/kselftest/lbipam
sock=/var/lib/lbipam/lbipamd.sock
n=0 failed=0

result() { # RC DESC [DIAG]
	n=$((n + 1))
	if (($1 == 0)); then
		echo "ok $n kind-walk: $2"
	else
		failed=$((failed + 1))
		echo "not ok $n kind-walk: $2"
		if [[ -n "${3:-}" ]]; then printf '%s\n' "$3" | sed 's/^/#   /'; fi
	fi
}
check() { # DESC CMD...
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	result "$rc" "$desc" "$out"
}
node_ip() {
	"$docker" inspect -f '{{(index .NetworkSettings.Networks "kind").IPAddress}}' "$1"
}
on() { # NODE CMD...: in the node, with the daemon's socket
	local c=$1
	shift
	"$docker" exec -i -e LBIPAM_SOCKET=$sock "$c" "$@"
}

ip4=$(node_ip "$node")
other4=$(node_ip "$other")
# The top of the kind network's /16, as in MetalLB's kind guide: on-link
# for every node and for the host.
pool=${ip4%.*.*}.255.200/29
echo "# kind-walk: $node $ip4, $other $other4"

# The daemon's pod: the program from the installed tree, nothing else.
start_daemon() {
	on "$node" mkdir -p /var/lib/lbipam || return 1
	"$docker" cp "$node:$tree/lbipamd" "$scratch/lbipamd" || return 1
	"$docker" create --name lbipamd --net "container:$node" --privileged \
		--volumes-from "$node" lbipam/kind-node:latest \
		/usr/local/sbin/lbipamd --state /var/lib/lbipam/state.db \
		--socket $sock --node-name "$node" >/dev/null || return 1
	"$docker" cp "$scratch/lbipamd" lbipamd:/usr/local/sbin/lbipamd || return 1
	"$docker" start lbipamd >/dev/null || return 1
	local i
	for ((i = 0; i < 300; i++)); do
		on "$node" "$tree/lbctl" get ippools >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$docker" logs lbipamd 2>&1 | tail -n 20
	return 1
}
check "lbipamd in $node's network namespace answers lbctl on $node" start_daemon

check "backend server on $node:8080" \
	"$docker" exec -d "$node" "$tree/lb_traffic" serve ".,$node,tcp,4,8080"

apply() {
	on "$node" "$tree/lbctl" apply -f - <<YAML
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: kind-pool
spec:
  blocks:
  - cidr: "$pool"
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.30
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, port: 8080, protocol: TCP}
endpoints:
- addresses: ["$ip4"]
---
apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata:
  name: kind-l2
spec:
  interfaces: ["^eth0$"]
  loadBalancerIPs: true
YAML
}
check "lbctl apply on $node: a pool in the kind subnet, the web Service, its EndpointSlice, an L2 policy on eth0" apply

lbip=""
for ((i = 0; i < 100; i++)); do
	lbip=$(on "$node" "$tree/lbctl" get services -n default web -o json 2>/dev/null |
		on "$node" jq -r '[.status.loadBalancer.ingress[]?.ip][0] // ""')
	[[ "$lbip" == "${pool%.*}".* ]] && break
	sleep 0.2
done
result "$([[ "$lbip" == "${pool%.*}".* ]]; echo $?)" "web got an LB IP from $pool ($lbip)"
check "the kernel in $node holds $lbip:80/tcp" \
	on "$node" "$tree/lbctl" service show "$lbip:80/tcp"

# ask WHERE EXPECT_PEER CMD...: the answer is "<backend> <peer>".
ask() {
	local peer=$1 out
	shift
	out=$("$@" "$tree/lb_traffic" ask -t 10 tcp "$lbip" 80 2>&1) || { echo "$out"; return 1; }
	[[ "$out" == "$node $peer"* ]] || { echo "answer '$out', want '$node $peer...'"; return 1; }
}
# The client: the same helper, copied to the other node and to the host.
copy_client() {
	"$docker" exec "$other" mkdir -p $tree &&
		"$docker" cp "$node:$tree/lb_traffic" "$scratch/lb_traffic" &&
		"$docker" cp "$scratch/lb_traffic" "$other:$tree/lb_traffic"
}
check "lb_traffic copied to $other and the host" copy_client
announced() {
	on "$node" "$tree/lbctl" l2 list | grep -q "^$lbip dev eth0 "
}
check "the module in $node announces $lbip on eth0" announced
ask_other() { local p=$1; shift; ask "$p" "$docker" exec "$other"; }
check "$lbip:80 answers from $other (backend $node, source $other4)" \
	ask_other "$other4"

gw=$("$docker" network inspect -f '{{(index .IPAM.Config 0).Gateway}}' kind)
ask_host() {
	local out
	out=$("$scratch/lb_traffic" ask -t 10 tcp "$lbip" 80 2>&1) || { echo "$out"; return 1; }
	[[ "$out" == "$node $gw"* ]] || { echo "answer '$out', want '$node $gw...'"; return 1; }
}
check "$lbip:80 answers from the kind host (backend $node, source $gw)" ask_host
mac=$("$docker" exec "$node" cat /sys/class/net/eth0/address)
host_mac() {
	local got
	got=$(ip -j neigh show "$lbip" | jq -r '.[0].lladdr // empty')
	[[ "$got" == "$mac" ]] || { echo "the host resolved $lbip to '$got'"; return 1; }
}
check "the kind host resolved $lbip to $node's eth0 ($mac), with no route for it" host_mac

"$docker" rm -f lbipamd >/dev/null 2>&1
echo "kind-walk: $((n - failed)) passed, $failed failed"
((failed == 0))
