#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BGP through BIRD with real daemons on both sides: lbipamd renders
# Cilium's BGP objects into the node BIRD's include file; a router BIRD
# peers with it, over eBGP on IPv4 and iBGP on IPv6, and installs what it
# learns in its kernel; a client behind the router reaches the backends.
#
#   outside --- router (BIRD, AS 65000) --- eth1 node (BIRD + lbipamd
#                                                 + lbipam.ko) --> be1, be2
#
# The router learns the Service's /32 and /128 and the client's TCP
# reaches a backend through it; relabelling the Service withdraws both
# routes; killing the node's BIRD (kill -9) leaves them on the router as
# stale (graceful restart) and traffic flows on; once BIRD is back,
# lbipamd configures it again and the sessions and routes are back.

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
lb_require_tools bird birdc
lb_plan 27

node=$LB_RUN-node
router=$LB_RUN-router
outside=$LB_RUN-outside
BE1_6=$(lb_be6_ip 1)
BE2_6=$(lb_be6_ip 2)
NODE4=172.30.0.2
ROUTER4=172.30.0.1
NODE6=fd30::2
ROUTER6=fd30::1
NODE_BIRD=$LB_TMP/node-bird
ROUTER_BIRD=$LB_TMP/router-bird

# The router between the node's eth1 and outside; it forwards.
router_topology() {
	local ns
	for ns in "$router" "$outside"; do
		lb_ns_add "$ns" || return 1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 || return 1
	done
	ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip netns exec "$router" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	ip link add r0 netns "$router" type veth peer name eth1 netns "$node" || return 1
	ip link add r1 netns "$router" type veth peer name eth0 netns "$outside" || return 1
	ip -n "$node" addr add "$NODE4/24" dev eth1 || return 1
	ip -n "$node" addr add "$NODE6/64" dev eth1 nodad || return 1
	ip -n "$node" link set eth1 up || return 1
	ip -n "$router" addr add "$ROUTER4/24" dev r0 || return 1
	ip -n "$router" addr add "$ROUTER6/64" dev r0 nodad || return 1
	ip -n "$router" addr add 172.31.0.1/24 dev r1 || return 1
	ip -n "$router" addr add fd31::1/64 dev r1 nodad || return 1
	ip -n "$router" link set r0 up || return 1
	ip -n "$router" link set r1 up || return 1
	ip -n "$outside" addr add 172.31.0.2/24 dev eth0 || return 1
	ip -n "$outside" addr add fd31::2/64 dev eth0 nodad || return 1
	ip -n "$outside" link set eth0 up || return 1
	ip -n "$outside" route add default via 172.31.0.1 || return 1
	ip -n "$outside" -6 route add default via fd31::1 || return 1
	# The node answers outside through the router.
	ip -n "$node" route add 172.31.0.0/24 via "$ROUTER4" || return 1
	ip -n "$node" -6 route add fd31::/64 via "$ROUTER6"
}

# The node's bird.conf is examples/bird.conf's shape: one include line.
birds() {
	mkdir -p "$NODE_BIRD/lbipam.d" "$ROUTER_BIRD" || return 1
	cat >"$NODE_BIRD/bird.conf" <<EOF
router id $NODE4;
protocol device {}
include "$NODE_BIRD/lbipam.d/*.conf";
EOF
	cat >"$ROUTER_BIRD/bird.conf" <<EOF
router id $ROUTER4;
protocol device {}
protocol kernel { ipv4 { import none; export all; }; }
protocol kernel { ipv6 { import none; export all; }; }
protocol bgp node4 {
	local $ROUTER4 as 65000;
	neighbor $NODE4 as 65001;
	ipv4 { import all; export none; };
}
protocol bgp node6 {
	local $ROUTER6 as 65000;
	neighbor $NODE6 as 65000;
	direct;
	ipv6 { import all; export none; gateway direct; };
}
EOF
	node_bird && ip netns exec "$router" bird -c "$ROUTER_BIRD/bird.conf" \
		-s "$ROUTER_BIRD/ctl" -P "$ROUTER_BIRD/pid"
}

node_bird() {
	ip netns exec "$node" bird -c "$NODE_BIRD/bird.conf" -s "$NODE_BIRD/ctl" \
		-P "$NODE_BIRD/pid"
}

objects() {
	e2e_apply <<YAML
apiVersion: v1
kind: Node
metadata:
  name: kind-worker
  labels: {kubernetes.io/hostname: kind-worker}
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: bgp-pool}
spec:
  blocks: [{cidr: 20.0.30.0/24}, {cidr: "2004:30::/112"}]
---
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: tor}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: kind-worker}}
  bgpInstances:
  - name: ebgp
    localASN: 65001
    peers:
    - {name: router-v4, peerAddress: $ROUTER4, peerASN: 65000, peerConfigRef: {name: v4}}
  - name: ibgp
    localASN: 65000
    peers:
    - {name: router-v6, peerAddress: "$ROUTER6", peerASN: 65000, peerConfigRef: {name: v6}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: v4}
spec:
  gracefulRestart: {enabled: true, restartTimeSeconds: 120}
  families:
  - {afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: v6}
spec:
  gracefulRestart: {enabled: true, restartTimeSeconds: 120}
  families:
  - {afi: ipv6, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata:
  name: lb-ips
  labels: {advertise: bgp}
spec:
  advertisements:
  - advertisementType: Service
    service: {addresses: [LoadBalancerIP]}
    selector: {matchLabels: {bgp: "on"}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-v4
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: $BPORT, protocol: TCP}]
endpoints:
- {addresses: ["$BE1_IP"], conditions: {ready: true}}
- {addresses: ["$BE2_IP"], conditions: {ready: true}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-v6
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv6
ports: [{name: http, port: $BPORT, protocol: TCP}]
endpoints:
- {addresses: ["$BE1_6"], conditions: {ready: true}}
- {addresses: ["$BE2_6"], conditions: {ready: true}}
YAML
}

# web BGP: the Service, labelled bgp=BGP (the advertisement wants "on").
web() {
	e2e_apply <<YAML
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, labels: {bgp: "$1"}}
spec:
  type: LoadBalancer
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv4, IPv6]
  clusterIPs: [10.96.0.30, "fd00:96::30"]
  clusterIP: 10.96.0.30
  selector: {app: web}
  ports: [{name: http, port: 80, protocol: TCP, targetPort: $BPORT}]
YAML
}

# learned PROTO: the prefixes the router learned from PROTO.
learned() {
	birdc -s "$ROUTER_BIRD/ctl" show route protocol "$1" |
		awk '$1 ~ /\// { print $1 }' | sort | xargs
}

# wait_for DESC COND: one test point, ok once COND (evaluated) holds
# within 30 s (BGP sessions take a few seconds to come up).
wait_for() {
	local i
	for ((i = 0; i < 300; i++)); do
		if eval "$2"; then
			lb_ok "$1"
			return
		fi
		sleep 0.1
	done
	lb_not_ok "$1" "still false after 30 s: $2" \
		"$(birdc -s "$ROUTER_BIRD/ctl" show protocols all 2>&1 | head -n 40)" \
		"$(grep -i bird "$E2E_LOG" | tail -n 10)"
}

ask() {
	lb_tcp "$outside" "$1" 80 3 2>&1
}

sessions() {
	lbctl get bgp peers -o json | jq -r '[.[] | .sessionState] | join(" ")'
}

lb_check "topology: 2 backends (TCP, IPv4 and IPv6), the node" \
	lb_dp_setup 2 all/tcp/4 all/tcp/6
lb_check "a router between the node's eth1 and outside" router_topology
lb_check "BIRD in the node and in the router" birds
lb_check "lbipamd starts as kind-worker, BGP through the node's BIRD" \
	e2e_start "$node" --node-name kind-worker \
	--bgp-bird-socket "$NODE_BIRD/ctl" \
	--bgp-bird-include "$NODE_BIRD/lbipam.d/lbipam.conf"
lb_check "apply the Node, the pool, the BGP objects and web's EndpointSlices" objects
lb_check "apply web (bgp=on)" web on
ips=$(e2e_wait_ip default/web '^20\.0\.30\.[0-9]+ 2004:30::')
v4=${ips%% *}
v6=${ips#* }
lb_check "web has $v4 and $v6" test -n "$v4" -a -n "$v6"

wait_for "the router learns $v4/32 over eBGP" '[ "$(learned node4)" = "$v4/32" ]'
wait_for "the router learns $v6/128 over iBGP" '[ "$(learned node6)" = "$v6/128" ]'
lb_diag "$(birdc -s "$ROUTER_BIRD/ctl" show route all)"
lb_check "... and routes $v4 to the node" \
	eval 'ip -n "$router" route get "$v4" | grep -q "via $NODE4"'
out=$(ask "$v4")
lb_check "outside reaches a backend through the router at $v4:80 ($out)" \
	eval '[[ "$out" =~ ^be[12]\  ]]'
out=$(ask "$v6")
lb_check "... and at [$v6]:80 ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'
lbctl get bgp peers >"$LB_TMP/peers" 2>&1
lb_diag "$(cat "$LB_TMP/peers")"
lb_expect_eq "lbctl get bgp peers: both sessions Established" \
	"Established Established" "$(sessions)"
lb_expect_eq "lbctl get bgp routes: what BIRD exports to each peer" \
	"router-v4 $v4/32 router-v6 $v6/128" \
	"$(lbctl get bgp routes -o json | jq -r '[.[] | "\(.peer) \(.prefix)"] | join(" ")')"

lb_check "relabel web: bgp=off" web off
wait_for "both routes are withdrawn" '[ -z "$(learned node4)$(learned node6)" ]'
out=$(ask "$v4")
lb_check "outside no longer reaches $v4 ($out)" eval '! [[ "$out" =~ ^be[12]\  ]]'
lb_check "relabel web: bgp=on" web on
wait_for "advertised again" \
	'[ "$(learned node4)" = "$v4/32" ] && [ "$(learned node6)" = "$v6/128" ]'

# Graceful restart: the node's BIRD dies, the router keeps its routes.
kill -9 "$(cat "$NODE_BIRD/pid")"
sleep 2
lb_expect_eq "BIRD killed: the router keeps both routes (stale)" \
	"$v4/32 $v6/128" "$(learned node4) $(learned node6)"
out=$(ask "$v4")
lb_check "... and traffic goes on ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'
wait_for "lbipamd sees BIRD gone" \
	'[ "$(lbctl get status -o json | jq -r .bgp.state)" = unreachable ]'
lb_check "the node's BIRD starts again" node_bird
wait_for "lbipamd configures it and both sessions come back" \
	'[ "$(sessions 2>/dev/null)" = "Established Established" ]'
wait_for "the routes are on the router" \
	'[ "$(learned node4)" = "$v4/32" ] && [ "$(learned node6)" = "$v6/128" ]'
out=$(ask "$v6")
lb_check "outside reaches [$v6]:80 ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'

lb_check "lbipamd stops cleanly" e2e_stop
lb_exit
