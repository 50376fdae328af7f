#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What masquerade does to ports and to the node's own clients, as kube-proxy
# does it:
#
#   client 192.0.2.2 --> node (lbipam) --> be1
#
# (a) Fully random SNAT ports (kube-proxy's --random-fully): masqueraded
#     connections get a random source port, not the client's own (which
#     plain masquerade keeps when it is free): of 20 UDP flows and 20 TCP
#     connections at most one each may keep its port by chance (1 in
#     ~64000 each). conntrack -L shows both ports of every entry.
# (c) masq-local: the node's own connections to the VIP are masqueraded to
#     the address of the interface towards the backend; without it (or
#     with masquerade alone) they keep their source; masq-local alone
#     leaves external clients alone.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack awk
lb_plan 15

tsvc="$VIP:$VPORT/tcp"
usvc="$VIP:$VPORT/udp"

lb_check "1 backend, TCP and UDP servers; TCP and UDP services with be1" \
	lb_dp_setup 1 be1/tcp/4 be1/udp/4 -- "$tsvc=be1" "$usvc=be1"

# shellcheck disable=SC2317 # called through lb_check
masq() {
	lbctl -N "$LB_NODE" service set "$tsvc" masquerade &&
		lbctl -N "$LB_NODE" service set "$usvc" masquerade
}
lb_check "service set ... masquerade (both)" masq

# ports PROTO: "TOTAL KEPT MASQUERADED" over the node's entries of the
# client's connections to the VIP: how many there are, how many kept the
# client's source port in the reply direction, how many reply to the node.
ports() {
	lb_conntrack "$LB_NODE" -p "$1" --orig-src "$CLIENT_IP" --orig-dst "$VIP" |
		awk -v node="$NODE_BACKEND_IP" '{
			sp = ""; dp = ""; ns = 0; nd = 0; rdst = ""
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "sport" && ++ns == 1) sp = kv[2]
				if (kv[1] == "dport" && ++nd == 2) dp = kv[2]
				if (kv[1] == "dst") rdst = kv[2]
			}
			n++
			if (sp == dp) kept++
			if (rdst == node) masq++
		} END { print n + 0, kept + 0, masq + 0 }'
}

out=$(lb_traffic "$LB_CLIENT" conns -c 20 udp "$VIP" "$VPORT")
lb_expect_eq "20 UDP flows answered by be1" 20 "$(lb_count be1 <<<"$out")"
read -r n kept masqd <<<"$(ports udp)"
lb_diag "UDP: $n entries, $kept kept the client's port, $masqd masqueraded"
if [ "$n" -eq 20 ] && [ "$masqd" -eq 20 ] && [ "$kept" -le 1 ]; then
	lb_ok "(a) UDP: the 20 masqueraded flows got random source ports"
else
	lb_not_ok "(a) UDP: the 20 masqueraded flows got random source ports" \
		"$n entries (want 20), $masqd masqueraded (want 20), $kept kept the client's port (want <= 1)" \
		"$(lb_conntrack "$LB_NODE" -p udp | head -n 5)"
fi

out=$(lb_traffic "$LB_CLIENT" conns -c 20 tcp "$VIP" "$VPORT")
lb_expect_eq "20 TCP connections answered by be1" 20 "$(lb_count be1 <<<"$out")"
read -r n kept masqd <<<"$(ports tcp)"
lb_diag "TCP: $n entries, $kept kept the client's port, $masqd masqueraded"
if [ "$n" -eq 20 ] && [ "$masqd" -eq 20 ] && [ "$kept" -le 1 ]; then
	lb_ok "(a) TCP: the 20 masqueraded connections got random source ports"
else
	lb_not_ok "(a) TCP: the 20 masqueraded connections got random source ports" \
		"$n entries (want 20), $masqd masqueraded (want 20), $kept kept the client's port (want <= 1)" \
		"$(lb_conntrack "$LB_NODE" -p tcp | head -n 5)"
fi

# (c) The node's own connections. Its source towards the VIP is 192.0.2.1
# (its route to the VIP points at the client's link).
out=$(lb_tcp "$LB_NODE" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "(c) masquerade alone: the node's own TCP connection keeps its source" \
	"be1 $NODE_CLIENT_IP" "$out"

# shellcheck disable=SC2317 # called through lb_check
masq_local() {
	lbctl -N "$LB_NODE" service set "$tsvc" masq-local &&
		lbctl -N "$LB_NODE" service set "$usvc" masq-local
}
lb_check "service set ... masq-local (both; masquerade off)" masq_local
out=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -c '[.[0].masquerade, .[0].masq_local]')
lb_expect_eq "service show reports masq-local" "[false,true]" "$out"
out=$(lb_tcp "$LB_NODE" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "(c) masq-local: the node's own TCP connection is masqueraded" \
	"be1 $NODE_BACKEND_IP" "$out"
out=$(lb_udp "$LB_NODE" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "(c) masq-local: the node's own UDP flow is masqueraded" \
	"be1 $NODE_BACKEND_IP" "$out"
out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "(c) masq-local alone: an external client keeps its address" \
	"be1 $CLIENT_IP" "$out"
out=$(lbctl -N "$LB_NODE" service show "$tsvc" | head -n 1)
lb_expect_eq "service show, text: masq-local" "$tsvc masq-local" "$out"

lb_cfg "service set $tsvc (no flags)" lbctl -N "$LB_NODE" service set "$tsvc"
out=$(lb_tcp "$LB_NODE" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "(c) without masq-local the node's own connection keeps its source again" \
	"be1 $NODE_CLIENT_IP" "$out"

lb_exit
