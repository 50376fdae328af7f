#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# BGP through BIRD (issue 17): how long from `lbctl apply` of a Service to
# its route on the router, and how long a router takes to get 10k routes
# once the session comes up.
#
# Usage: bench/bgp.sh OUTDIR LBIPAMD LBCTL
#   On the host, no module needed (lbipamd allocates and drives BIRD; the
#   kernel table is not part of this path): lbipamd, a node BIRD and a
#   router BIRD peering over eBGP on loopback.
# Environment:
#   LBIPAM_BENCH_BGP_REPS   Services applied one by one (default 100)
#   LBIPAM_BENCH_BGP_BULK   Services advertised at once (default 10000)
#
# Latency: each Service is applied alone (lbctl, which returns once lbipamd
# has configured BIRD) and the router's BIRD is polled (birdc, every few
# ms) until the /32 is there; the time is from just before lbctl starts.
# Bulk: with the router's BIRD stopped, BULK Services are applied and the
# node's BIRD holds every route; then the router's BIRD starts and the
# time until it has all of them is measured (session set-up included).
#
# Last, 20 more Services one by one on top of the BULK advertised ones: the
# whole fragment is rendered and loaded each time.
#
# Writes OUTDIR/bgp.tsv and OUTDIR/bgp-10k.tsv ("rep ms" lines) and
# OUTDIR/bgp.txt.
set -euo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: $0 OUTDIR LBIPAMD LBCTL" >&2
	exit 2
fi
out=$1 daemon=$2 lbctl=$3
reps=${LBIPAM_BENCH_BGP_REPS:-100}
bulk=${LBIPAM_BENCH_BGP_BULK:-10000}
mkdir -p "$out"
tmp=$(mktemp -d)
pid=
cleanup() {
	local f
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	for f in "$tmp"/*.pid; do
		[[ -e "$f" ]] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
say() { echo "bgp-bench: $*" >&2; }
now_ms() { date +%s%3N; }
export LBIPAM_SOCKET=$tmp/s.sock
pn=$((30000 + $$ % 20000))
pr=$((pn + 1))

mkdir -p "$tmp/lbipam.d"
cat >"$tmp/node.conf" <<EOF
router id 10.255.0.1;
protocol device {}
include "$tmp/lbipam.d/*.conf";
EOF
cat >"$tmp/router.conf" <<EOF
router id 10.255.0.2;
protocol device {}
protocol bgp node {
	local 127.0.0.2 port $pr as 65000;
	neighbor 127.0.0.1 port $pn as 65001;
	multihop 2;
	connect delay time 1;
	connect retry time 1;
	ipv4 { import all; export none; };
}
EOF
router_start() {
	bird -c "$tmp/router.conf" -s "$tmp/router.ctl" -P "$tmp/router.pid"
}
# routes: how many routes the router learned.
routes() {
	birdc -s "$tmp/router.ctl" show route count 2>/dev/null |
		awk '/routes for/ { print $1; exit }'
}
has() {
	birdc -s "$tmp/router.ctl" show route "$1/32" 2>/dev/null | grep -q "^$1/32"
}

bird -c "$tmp/node.conf" -s "$tmp/node.ctl" -P "$tmp/node.pid"
router_start
"$daemon" --config /dev/null --state :memory: --socket "$tmp/s.sock" \
	--node-name n1 --log-level warn --bgp-bird-socket "$tmp/node.ctl" \
	--bgp-bird-include "$tmp/lbipam.d/lbipam.conf" 2>"$tmp/log" &
pid=$!
for ((i = 0; i < 100; i++)); do
	"$lbctl" get status >/dev/null 2>&1 && break
	sleep 0.1
done
"$lbctl" apply -f - >/dev/null <<EOF
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: p}
spec:
  blocks: [{cidr: 10.64.0.0/16}]
---
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: cc}
spec:
  bgpInstances:
  - name: i
    localASN: 65001
    localPort: $pn
    peers:
    - {name: r, peerAddress: 127.0.0.2, peerASN: 65000, peerConfigRef: {name: pc}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: pc}
spec:
  transport: {peerPort: $pr}
  ebgpMultihop: 2
  families:
  - {afi: ipv4, safi: unicast, advertisements: {matchLabels: {adv: lb}}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata: {name: lb, labels: {adv: lb}}
spec:
  advertisements:
  - advertisementType: Service
    service: {addresses: [LoadBalancerIP]}
    selector: {matchLabels: {bgp: "yes"}}
EOF
# The session first: the latency is of a route, not of a session.
for ((i = 0; i < 300; i++)); do
	birdc -s "$tmp/router.ctl" show protocols node | grep -q Established && break
	sleep 0.1
done

svc() {
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s, labels: {bgp: "yes"}}\nspec:\n  type: LoadBalancer\n  ipFamilies: [IPv4]\n  ports: [{port: 80}]\n---\n' "$1" "$2"
}

# latency NS COUNT TSV: COUNT Services of namespace NS applied one by one,
# "rep ms" lines into TSV.
latency() {
	local r t0 ip
	: >"$3"
	for ((r = 0; r < $2; r++)); do
		t0=$(now_ms)
		svc "lat-$r" "$1" | "$lbctl" apply -f - >/dev/null
		ip=$("$lbctl" get services -n "$1" "lat-$r" -o json |
			jq -r '.status.loadBalancer.ingress[0].ip')
		until has "$ip"; do
			sleep 0.002
			if (($(now_ms) - t0 > 30000)); then
				say "no route for $ip after 30 s"
				exit 1
			fi
		done
		echo "$r $(($(now_ms) - t0))" >>"$3"
	done
}

# pct TSV: p50 and p99 of its ms column.
pct() {
	awk '{ print $2 }' "$1" | sort -n | awk '{ v[NR] = $1 } END {
		i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5)
		if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
		print v[i50], v[i99] }'
}

say "latency: $reps Services one by one"
latency lat "$reps" "$out/bgp.tsv"
read -r p50 p99 < <(pct "$out/bgp.tsv")

say "bulk: $bulk Services with the router down"
kill -9 "$(cat "$tmp/router.pid")"
rm -f "$tmp/router.pid"
t0=$(now_ms)
for ((i = 0; i < bulk; i++)); do svc "b-$i" bulk; done >"$tmp/bulk.yaml"
"$lbctl" apply -f "$tmp/bulk.yaml" >/dev/null
apply_ms=$(($(now_ms) - t0))
node_has=$(birdc -s "$tmp/node.ctl" show route table lbipam4 count |
	awk '/routes for/ { print $1; exit }')
want=$((reps + bulk))
t0=$(now_ms)
router_start
est_ms=
until [[ "$(routes)" == "$want" ]]; do
	if [[ -z "$est_ms" ]] &&
		birdc -s "$tmp/router.ctl" show protocols node | grep -q Established; then
		est_ms=$(($(now_ms) - t0))
	fi
	sleep 0.05
	if (($(now_ms) - t0 > 120000)); then
		say "router has $(routes) of $want after 120 s"
		exit 1
	fi
done
up_ms=$(($(now_ms) - t0))
say "latency with $want routes: 20 Services one by one"
latency big 20 "$out/bgp-10k.tsv"
read -r b50 b99 < <(pct "$out/bgp-10k.tsv")

{
	echo "host: $(nproc) CPUs, $(bird --version 2>&1), $(date -u +%F)"
	echo "apply to route on the router, $reps Services one by one: p50 $p50 ms, p99 $p99 ms"
	echo "$bulk Services in one apply (router down): $apply_ms ms, node BIRD then holds $node_has routes"
	echo "router started: all $want routes after $up_ms ms (session Established after ${est_ms:-?} ms)"
	echo "apply to route with $want routes advertised, 20 Services: p50 $b50 ms, p99 $b99 ms"
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/bgp.txt"
