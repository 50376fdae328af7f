#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cluster mode, L2 announcements: three nodes on one segment elect, per
# Service, the node that answers ARP for its LB IP; when that node dies
# (lbipamd killed -9 and its eth1 down), another takes over with a
# gratuitous ARP and an outside client keeps reaching the LB IP.
#
#   outside 172.18.0.100 --- lan (br1) --- eth1 of n1, n2, n3 (172.18.0.1N)
#   srv 172.18.0.200:8080 -/               e0 of each node --- etcd (br0)
#
# Failed connections during the failover window are counted.

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
# kind's node image has no etcd: cluster mode is tested in the VM.
if ! type -P etcd >/dev/null || ! type -P etcdctl >/dev/null; then
	lb_skip "etcd is not installed here (scripts/deps.sh installs etcd-server)"
fi
lb_plan 14

etcdns=$LB_RUN-etcd
lan=$LB_RUN-lan
out=$LB_RUN-out
srv=$LB_RUN-srv
nodes=("$LB_RUN-n1" "$LB_RUN-n2" "$LB_RUN-n3")
EP=http://10.99.0.1:2379
TTL=4
declare -A pid=()
# shellcheck source-path=SCRIPTDIR source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"

topology() {
	local i=1 n
	for n in "$etcdns" "$lan" "$out" "$srv" "${nodes[@]}"; do
		lb_ns_add "$n" || return 1
	done
	ip -n "$etcdns" link add br0 type bridge || return 1
	ip -n "$etcdns" addr add 10.99.0.1/24 dev br0 || return 1
	ip -n "$etcdns" link set br0 up || return 1
	ip -n "$lan" link add br1 type bridge || return 1
	ip -n "$lan" link set br1 up || return 1
	for n in "${nodes[@]}"; do
		ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 || return 1
		ip link add e0 netns "$n" type veth peer name "v$i" \
			netns "$etcdns" || return 1
		ip -n "$etcdns" link set "v$i" master br0 up || return 1
		ip -n "$n" addr add "10.99.0.1$i/24" dev e0 || return 1
		ip -n "$n" link set e0 up || return 1
		ip link add eth1 netns "$n" type veth peer name "l$i" \
			netns "$lan" || return 1
		ip -n "$lan" link set "l$i" master br1 up || return 1
		ip -n "$n" addr add "172.18.0.1$i/16" dev eth1 || return 1
		ip -n "$n" link set eth1 up || return 1
		i=$((i + 1))
	done
	for n in "$out" "$srv"; do
		ip link add eth0 netns "$n" type veth peer name "l-${n##*-}" \
			netns "$lan" || return 1
		ip -n "$lan" link set "l-${n##*-}" master br1 up || return 1
		ip -n "$n" link set eth0 up || return 1
	done
	ip -n "$out" addr add 172.18.0.100/16 dev eth0 || return 1
	# The pool's block on-link, as a user routes it to the kind bridge.
	ip -n "$out" route add 20.0.10.0/24 dev eth0 || return 1
	ip -n "$srv" addr add 172.18.0.200/16 dev eth0 || return 1
}

objects() {
	on "${nodes[1]}" apply -f - <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: lan}
spec:
  blocks: [{cidr: 20.0.10.0/24}]
---
apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata: {name: eth1}
spec:
  interfaces: ["^eth1$"]
  loadBalancerIPs: true
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: ["172.18.0.200"], conditions: {ready: true}}
YAML
}

holder() {
	etcd_ctl get /lbipam/announce/default/web --print-value-only 2>/dev/null
}

# wait_holder [NOT]: a holder (other than NOT); prints it.
wait_holder() {
	local i h
	for ((i = 0; i < LB_TIMEOUT * 20; i++)); do
		h=$(holder)
		if [ -n "$h" ] && [ "$h" != "${1:-}" ]; then
			echo "$h"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# out_mac: the MAC outside has for the LB IP.
out_mac() {
	ip -n "$out" neigh show "$ip" dev eth0 | awk '{print $3}'
}

eth1_mac() {
	ip -n "$1" -br link show eth1 | awk '{print $3}'
}

# Connections from outside, one every 100 ms with a 1 s timeout, each
# logged "START-MS ok|fail END-MS" until $LB_TMP/stop exists.
client_loop() {
	local t
	while [ ! -e "$LB_TMP/stop" ]; do
		t=$(lb_now_ms)
		if lb_tcp "$out" "$ip" 80 1 2>/dev/null | grep -q '^srv '; then
			echo "$t ok $(lb_now_ms)"
		else
			echo "$t fail $(lb_now_ms)"
		fi
		sleep 0.1
	done >"$LB_TMP/conns"
}

lb_check "topology: three nodes, a segment, etcd" topology
lb_check "TCP server behind the segment" lb_serve "$srv,srv,tcp,4,8080"
lb_check "etcd starts" start_etcd
for n in "${nodes[@]}"; do
	lb_check "lbipamd starts in ${n#"$LB_RUN"-}" node_start "$n"
done
lb_check "pool, L2 policy, Service and slice applied through n2" objects
ip=$(LBIPAM_SOCKET=$LB_TMP/${nodes[0]}.sock e2e_wait_ip default/web '^20\.0\.10\.')
first=$(wait_holder)
lb_check "web ($ip) is announced by one node (${first#"$LB_RUN"-})" test -n "$first" -a -n "$ip"
out1=$(lb_tcp "$out" "$ip" 80 2>&1)
lb_check "outside reaches $ip through the segment ($out1)" \
	eval '[[ "$out1" =~ ^srv\  ]] && [ "$(out_mac)" = "$(eth1_mac "$first")" ]'

: >"$LB_TMP/conns"
client_loop &
loop=$!
_lb_pids+=("$loop")
sleep 2
t0=$(lb_now_ms)
kill -KILL "${pid[$first]}"
ip -n "$first" link set eth1 down
second=$(wait_holder "$first")
t1=$(lb_now_ms)
lb_check "another node takes web over (${second#"$LB_RUN"-}, $((t1 - t0)) ms after the kill)" \
	test -n "$second"
# Until a connection succeeds through the new announcer, then 2 s more.
for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
	tail -n 1 "$LB_TMP/conns" | grep -q ' ok ' &&
		[ "$(awk -v t="$t0" '$1 > t && $2 == "ok"' "$LB_TMP/conns" | wc -l)" -gt 0 ] &&
		break
	sleep 0.1
done
sleep 2
touch "$LB_TMP/stop"
wait "$loop"
fails=$(awk -v t="$t0" '$1 >= t && $2 == "fail"' "$LB_TMP/conns" | wc -l)
# Before the kill: connections that ended before it (one in flight at the
# kill, a second or more under emulation, fails because of it).
before=$(awk -v t="$t0" '$3 < t && $2 == "fail"' "$LB_TMP/conns" | wc -l)
back=$(awk -v t="$t0" '$1 > t && $2 == "ok" { print $3 - t; exit }' "$LB_TMP/conns")
lb_diag "connections (one process each, slow under emulation): $(wc -l <"$LB_TMP/conns"), failed after the kill: $fails, the first connection started after the kill answered ${back:-never} ms after it"
lb_diag "$(awk -v t="$t0" '{ print $1 - t, $2, $3 - t }' "$LB_TMP/conns")"
lb_check "no failure before the kill" test "$before" = 0
lb_check "outside reaches $ip again (after ${back:-?} ms, $fails failed)" \
	test -n "$back"
lb_check "... through the new announcer's eth1 (its gratuitous ARP)" eval \
	'[ "$(out_mac)" = "$(eth1_mac "$second")" ]'
# Once one connection started after the kill got through, every later one
# must: the new announcer holds (slow emulation makes few connections, so
# "the last N" would reach back into the failover window).
late=$(awk -v t="$t0" '$1 > t && $2 == "ok" { back = 1; next }
	back && $2 == "fail"' "$LB_TMP/conns" | wc -l)
lb_check "every connection after the first one back succeeds ($late failed)" \
	test "$late" = 0

lb_exit
