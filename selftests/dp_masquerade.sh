#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-service masquerade (externalTrafficPolicy Cluster):
#
#   client 192.0.2.2 --> node (lbipam) --> be1 (sees the peer address)
#
# Without it be1 sees the client's own address. With "service set VIP
# masquerade" be1 sees the node's address towards it (198.51.100.1), so
# replies return through the node whatever the backend's routing. The
# node's own connections (LOCAL_OUT) keep their source address. Turning the
# flag off again restores the client's address. IPv4 TCP and UDP, IPv6 TCP.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 14

tsvc="$VIP:$VPORT/tcp"
usvc="$VIP:$VPORT/udp"
t6svc="[$VIP6]:$VPORT/tcp"

lb_check "1 backend, servers; TCP, UDP and IPv6 TCP services with be1, no masquerade" \
	lb_dp_setup 1 be1/tcp/4 be1/udp/4 be1/tcp/6 -- "$tsvc=be1" "$usvc=be1" "$t6svc=be1"

out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "no masquerade: be1 sees the client's address (TCP)" "be1 $CLIENT_IP" "$out"
out=$(lb_udp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "no masquerade: be1 sees the client's address (UDP)" "be1 $CLIENT_IP" "$out"
out=$(lb_tcp "$LB_CLIENT" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "no masquerade: be1 sees the client's address (IPv6)" "be1 $CLIENT6" "$out"

# shellcheck disable=SC2317 # called through lb_check
masq() {
	lbctl -N "$LB_NODE" service set "$tsvc" masquerade &&
		lbctl -N "$LB_NODE" service set "$usvc" masquerade &&
		lbctl -N "$LB_NODE" service set "$t6svc" masquerade
}
lb_check "service set ... masquerade (all three)" masq
out=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -r '.[0].masquerade')
lb_expect_eq "service show reports masquerade" true "$out"

out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "masquerade: be1 sees the node's address (TCP)" "be1 $NODE_BACKEND_IP" "$out"
out=$(lb_udp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "masquerade: be1 sees the node's address (UDP)" "be1 $NODE_BACKEND_IP" "$out"
out=$(lb_tcp "$LB_CLIENT" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "masquerade: be1 sees the node's address (IPv6)" "be1 $NODE_BACKEND6" "$out"

# The node's own connection: its source is the address of its route to the
# VIP (192.0.2.1, towards the client), and masquerade leaves it alone.
out=$(lb_tcp "$LB_NODE" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "masquerade: the node's own TCP connection is not translated" \
	"be1 $NODE_CLIENT_IP" "$out"
out=$(lb_udp "$LB_NODE" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "masquerade: the node's own UDP flow is not translated" \
	"be1 $NODE_CLIENT_IP" "$out"

# The entry in the node's conntrack table shows the SNAT: the reply
# direction goes to the node's address.
out=$(lb_conntrack "$LB_NODE" -p tcp --orig-src "$CLIENT_IP" --orig-dst "$VIP" --reply-dst "$NODE_BACKEND_IP" | grep -c .)
if [ "$out" -ge 1 ]; then
	lb_ok "conntrack shows the client's connection masqueraded"
else
	lb_not_ok "conntrack shows the client's connection masqueraded" \
		"$(lb_conntrack "$LB_NODE" -p tcp)"
fi

lb_cfg "service set $tsvc (masquerade off)" lbctl -N "$LB_NODE" service set "$tsvc"
out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "masquerade off: be1 sees the client's address again" "be1 $CLIENT_IP" "$out"

lb_exit
