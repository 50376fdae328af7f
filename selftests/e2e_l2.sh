#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The user's walk-through, ended from outside the node: the blue Service's
# LB IP (IPv4 and IPv6) answers a machine on the node's L2 segment once a
# CiliumL2AnnouncementPolicy selects it, as the user's own machine sits on
# the kind bridge.
#
#   outside --- lan (bridge) --- eth1 node (lbipamd + lbipam.ko) --> be1, be2
#   outside2 ------------------- mgmt0 /      (not a listed interface)
#
# The LB IPs are on-link for "outside" (a route to the pool's block via its
# interface, as a user adds one to the kind bridge), so it resolves them
# with ARP and neighbour solicitations. Before any policy nothing answers
# (where the seed's author saw it fail); with the policy, TCP from outside
# reaches a backend over both families and the neighbour entry is the
# node's eth1 MAC. The red Service (not selected), the unlisted interface,
# a Node whose labels the nodeSelector excludes, and a deleted policy get
# no answer; a policy with a bad interface pattern gets Cilium's condition
# and changes nothing announced.

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
lb_plan 28

node=$LB_RUN-node
lan=$LB_RUN-lan
outside=$LB_RUN-outside
outside2=$LB_RUN-outside2
BE1_6=$(lb_be6_ip 1)
BE2_6=$(lb_be6_ip 2)
# kind's network: 172.18.0.0/16 and fc00:f853:ccd:e793::/64.
NODE_LAN=172.18.0.2
OUT_LAN=172.18.0.1
NODE_LAN6=fc00:f853:ccd:e793::2
OUT_LAN6=fc00:f853:ccd:e793::1

# no_dad NS: addresses (the link-local ones too) usable at once.
no_dad() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 &&
		ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0
}

# The segment: a bridge in "lan" with the node's eth1 and outside's eth0;
# outside2 on a link of its own to the node's mgmt0.
lan_topology() {
	local ns
	for ns in "$lan" "$outside" "$outside2"; do
		lb_ns_add "$ns" || return 1
	done
	for ns in "$lan" "$outside" "$outside2" "$node"; do
		no_dad "$ns" || return 1
	done
	ip -n "$lan" link add br0 type bridge || return 1
	ip -n "$lan" link set br0 up || return 1
	# On 6.1 the first name of "ip link add NAME netns NS type veth" must
	# be free in the caller's namespace too (a kind node has its own
	# eth0); the peer's name is only checked where it goes.
	ip link add pn netns "$lan" type veth peer name eth1 netns "$node" || return 1
	ip link add po netns "$lan" type veth peer name eth0 netns "$outside" || return 1
	ip -n "$lan" link set pn master br0 up || return 1
	ip -n "$lan" link set po master br0 up || return 1
	ip -n "$node" addr add "$NODE_LAN/16" dev eth1 || return 1
	ip -n "$node" addr add "$NODE_LAN6/64" dev eth1 nodad || return 1
	ip -n "$node" link set eth1 up || return 1
	ip -n "$outside" addr add "$OUT_LAN/16" dev eth0 || return 1
	ip -n "$outside" addr add "$OUT_LAN6/64" dev eth0 nodad || return 1
	ip -n "$outside" link set eth0 up || return 1
	ip link add mgmt0 netns "$node" type veth peer name eth0 netns "$outside2" || return 1
	ip -n "$node" addr add 172.19.0.2/16 dev mgmt0 || return 1
	ip -n "$node" link set mgmt0 up || return 1
	ip -n "$outside2" addr add 172.19.0.1/16 dev eth0 || return 1
	ip -n "$outside2" link set eth0 up || return 1
	# The pools' blocks are on-link for the machines of the segments.
	ip -n "$outside" route add 20.0.0.0/16 dev eth0 || return 1
	ip -n "$outside" -6 route add 2004:20::/112 dev eth0 || return 1
	ip -n "$outside2" route add 20.0.0.0/16 dev eth0
}

lb_check "topology: 2 backends (TCP, IPv4 and IPv6), the node" \
	lb_dp_setup 2 all/tcp/4 all/tcp/6
lb_check "the segment: outside on a bridge with the node's eth1, outside2 on mgmt0" \
	lan_topology
eth1_mac=$(ip -n "$node" -j link show dev eth1 | jq -r '.[0].address')
lb_check "lbipamd starts as node kind-worker" e2e_start "$node" --node-name kind-worker

# service NAME COLOR CLUSTERIP [CLUSTERIP6]: the seed's Service (port 80
# to 8080), dual stack when it has an IPv6 ClusterIP.
service() {
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: default\n  labels: {color: %s}\nspec:\n  type: LoadBalancer\n' "$1" "$2"
	if [ -n "${4:-}" ]; then
		printf '  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv4, IPv6]\n  clusterIPs: [%s, "%s"]\n' "$3" "$4"
	fi
	printf '  clusterIP: %s\n  selector: {app: %s}\n  ports:\n  - {name: http, port: 80, protocol: TCP, targetPort: 8080}\n' "$3" "$2"
}

# slice NAME SERVICE IPv4|IPv6 ADDR...: its EndpointSlice, every endpoint
# ready, port http = BPORT.
slice() {
	local a
	printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s\n  namespace: default\n  labels: {kubernetes.io/service-name: %s}\naddressType: %s\nports:\n- {name: http, port: %s, protocol: TCP}\nendpoints:\n' "$1" "$2" "$3" "$BPORT"
	shift 3
	for a in "$@"; do
		printf -- '- addresses: ["%s"]\n  conditions: {ready: true}\n' "$a"
	done
}

# relabel VALUE: this node's Node object, with lbipam.example/l2=VALUE (the
# L2 policy's nodeSelector wants "on").
relabel() {
	e2e_apply <<YAML
apiVersion: v1
kind: Node
metadata:
  name: kind-worker
  labels:
    kubernetes.io/hostname: kind-worker
    lbipam.example/l2: "$1"
YAML
}

objects() {
	e2e_apply <"$LB_SELFTEST_DIR/seed-pools.yaml" || return 1
	e2e_apply <<YAML
apiVersion: "cilium.io/v2alpha1"
kind: CiliumLoadBalancerIPPool
metadata:
  name: "blue-pool"
spec:
  blocks:
  - cidr: "20.0.20.0/24"
  - cidr: "2004:20::/112"
  serviceSelector:
    matchExpressions:
      - {key: color, operator: In, values: [blue, cyan]}
YAML
	relabel on || return 1
	{
		service service-blue blue 10.96.0.10 fd00:96::10
		service service-red red 10.96.0.11
		slice service-blue-v4 service-blue IPv4 "$BE1_IP" "$BE2_IP"
		slice service-blue-v6 service-blue IPv6 "$BE1_6" "$BE2_6"
		slice service-red-x1 service-red IPv4 "$BE2_IP"
	} | e2e_apply
}
lb_check "apply the pools (blue-pool on 20.0.20.0/24 and 2004:20::/112), the Node, blue (dual stack) and red" \
	objects
ips=$(e2e_wait_ip default/service-blue '^20\.0\.20\.[0-9]+ 2004:20::')
blue4=${ips%% *}
blue6=${ips#* }
red4=$(e2e_wait_ip default/service-red '^20\.0\.10\.[0-9]+$')
lb_check "blue has $blue4 and $blue6, red has $red4" test -n "$ips" -a -n "$red4"
lb_diag "$(lbctl get services -o wide)"

# ask NS ADDR: TCP to ADDR:80 from NS within 3 s; prints the answer.
ask() {
	lb_tcp "$1" "$2" 80 3 2>&1
}

# neigh NS ADDR: the link-layer address NS resolved ADDR to, if any.
neigh() {
	ip -n "$1" -j neigh show "$2" | jq -r '.[0].lladdr // empty'
}

# wait_for DESC COND: one test point, ok once COND (evaluated) holds,
# within LB_TIMEOUT seconds: the daemon programs the kernel after it
# answered the apply.
wait_for() {
	local i
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if eval "$2"; then
			lb_ok "$1"
			return
		fi
		sleep 0.1
	done
	lb_not_ok "$1" "still false after ${LB_TIMEOUT}s: $2" "$(lbctl -N "$node" l2 list 2>&1)"
}

# flush_neigh: forget what outside and outside2 resolved.
flush_neigh() {
	ip -n "$outside" neigh flush dev eth0
	ip -n "$outside" -6 neigh flush dev eth0
	ip -n "$outside2" neigh flush dev eth0
}

out=$(ask "$outside" "$blue4")
lb_check "before any L2 policy, $blue4 does not answer outside (the seed's failure: $out)" \
	eval '! [[ "$out" =~ ^be[12]\  ]]'
lb_expect_eq "... nothing announced in the kernel" "" "$(lbctl -N "$node" -j l2 list | jq -c '.[]')"

policy() {
	e2e_apply <<'YAML'
apiVersion: "cilium.io/v2alpha1"
kind: CiliumL2AnnouncementPolicy
metadata:
  name: blue-l2
spec:
  serviceSelector:
    matchLabels:
      color: blue
  nodeSelector:
    matchLabels:
      lbipam.example/l2: "on"
  interfaces:
  - ^eth[0-9]+$
  loadBalancerIPs: true
YAML
}
lb_check "apply the L2 policy blue-l2 (color blue, interfaces ^eth[0-9]+\$)" policy
flush_neigh

# announced: the kernel's announcements, "ADDRESS DEV" sorted.
announced() {
	lbctl -N "$node" -j l2 list | jq -r '.[] | "\(.address) \(.interface)"' | sort | xargs
}
# shellcheck disable=SC2034 # read by the wait_for conditions
want="$(printf '%s eth1\n%s eth1\n' "$blue4" "$blue6" | sort | xargs)"
wait_for "the kernel announces blue's two addresses on eth1 only" \
	'[ "$(announced)" = "$want" ]'
lb_diag "$(lbctl -N "$node" l2 list)"

out=$(ask "$outside" "$blue4")
lb_check "TCP from outside to $blue4:80 reaches a backend ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'
lb_expect_eq "outside resolved $blue4 to the node's eth1 ($eth1_mac)" "$eth1_mac" \
	"$(neigh "$outside" "$blue4")"
out=$(ask "$outside" "$blue6")
lb_check "TCP from outside to [$blue6]:80 reaches a backend ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'
lb_expect_eq "outside resolved $blue6 to the node's eth1" "$eth1_mac" \
	"$(neigh "$outside" "$blue6")"

out=$(ask "$outside" "$red4")
lb_check "the red Service ($red4), not selected, does not answer outside ($out)" \
	eval '! [[ "$out" =~ ^be[12]\  ]] && [ -z "$(neigh "$outside" "$red4")" ]'
out=$(ask "$outside2" "$blue4")
lb_check "outside2, behind the unlisted mgmt0, gets no answer for $blue4 ($out)" \
	eval '! [[ "$out" =~ ^be[12]\  ]] && [ -z "$(neigh "$outside2" "$blue4")" ]'

lbctl describe service service-blue >"$LB_TMP/describe" 2>&1
lb_diag "$(sed -n '/^L2 Announcement:/,$p' "$LB_TMP/describe")"
lb_check "describe service: announced by kind-worker on eth1" \
	eval 'grep -q "Node: *kind-worker" "$LB_TMP/describe" && grep -q "$blue4 dev eth1" "$LB_TMP/describe"'
lb_check "the kernel counted the answers" \
	eval '[ "$(lbctl -N "$node" -j l2 list | jq "[.[].stats.answers] | add")" -ge 2 ]'

# A bad pattern: Cilium's condition on that policy, nothing else changes.
before=$(announced)
badre() {
	e2e_apply <<'YAML'
apiVersion: "cilium.io/v2alpha1"
kind: CiliumL2AnnouncementPolicy
metadata:
  name: bad-re
spec:
  interfaces: ["eth("]
  loadBalancerIPs: true
YAML
}
badre >"$LB_TMP/badre" 2>&1
lbctl describe l2announcementpolicy bad-re >"$LB_TMP/badre.describe" 2>&1
lb_diag "$(cat "$LB_TMP/badre" "$LB_TMP/badre.describe")"
lb_check "a policy with the pattern 'eth(' is refused or gets io.cilium/bad-interface-regex" \
	eval 'grep -q "eth(" "$LB_TMP/badre" || grep -q "io.cilium/bad-interface-regex *True" "$LB_TMP/badre.describe"'
lb_expect_eq "... and the announcements are unchanged" "$before" "$(announced)"
lbctl delete l2announcementpolicy bad-re >/dev/null 2>&1

# The nodeSelector: this node's labels no longer match.
lb_check "relabel the Node lbipam.example/l2=off" relabel off
wait_for "the nodeSelector excludes the node: nothing announced" '[ -z "$(announced)" ]'
flush_neigh
out=$(ask "$outside" "$blue4")
lb_check "... and $blue4 no longer answers outside ($out)" eval '! [[ "$out" =~ ^be[12]\  ]]'
lb_check "relabel the Node lbipam.example/l2=on" relabel on
wait_for "announced again" '[ "$(announced)" = "$want" ]'
flush_neigh
out=$(ask "$outside" "$blue4")
lb_check "TCP from outside to $blue4:80 answers again ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'

lb_check "delete the L2 policy" lbctl delete l2announcementpolicy blue-l2
wait_for "nothing announced" '[ -z "$(announced)" ]'
flush_neigh
out=$(ask "$outside" "$blue6")
lb_check "[$blue6] no longer answers outside ($out)" eval '! [[ "$out" =~ ^be[12]\  ]]'

lb_exit
