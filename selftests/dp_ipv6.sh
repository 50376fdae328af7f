#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 end to end, through the node (PRE_ROUTING) and from the node itself
# (LOCAL_OUT):
#
#   client 2001:db8:1::2 --> node (lbipam) --> be1 2001:db8:2::2:8080
#                                          --> be2 2001:db8:2::3:8080
#        to VIP [2001:db8:ff::10]:80
#
# TCP and UDP must reach a backend's port 8080, the answer must come from
# [VIP]:80 (a TCP connect to the VIP; a UDP socket connected to the VIP only
# accepts datagrams from exactly there) and the backend must see the
# client's own address. Before configuration nothing may answer, so a pass
# is lbipam's doing. The IPv6 Maglev table must spread flows over both
# backends, and an IPv6 service must not catch IPv4 traffic.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 16

BE1_6=$(lb_be6_ip 1)
BE2_6=$(lb_be6_ip 2)
tsvc="[$VIP6]:$VPORT/tcp"
usvc="[$VIP6]:$VPORT/udp"

lb_check "topology with 2 backends (IPv6 nodad), servers on tcp6 and udp6 $BPORT (be1 tcp4 too)" \
	lb_dp_setup 2 all/tcp/6 all/udp/6 be1/tcp/4

# The IPv6 path works without lbipam: client to backend directly.
out=$(lb_tcp "$LB_CLIENT" "$BE1_6" "$BPORT" 2>&1)
lb_expect_eq "client reaches backend directly over IPv6" "be1 $CLIENT6" "$out"

out=$(lb_tcp "$LB_CLIENT" "$VIP6" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "unconfigured IPv6 VIP does not answer TCP" tcp $? "$out"

lb_cfg "service add $tsvc" lbctl -N "$LB_NODE" service add "$tsvc"
lb_cfg "backend add $tsvc [$BE1_6]:$BPORT" \
	lbctl -N "$LB_NODE" backend add "$tsvc" "[$BE1_6]:$BPORT"
lb_cfg "service add $usvc" lbctl -N "$LB_NODE" service add "$usvc"
lb_cfg "backend add $usvc [$BE1_6]:$BPORT" \
	lbctl -N "$LB_NODE" backend add "$usvc" "[$BE1_6]:$BPORT"

out=$(lb_tcp "$LB_CLIENT" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "TCP to [VIP6]:$VPORT reaches be1:$BPORT, client address kept" \
	"be1 $CLIENT6" "$out"

out=$(lb_udp "$LB_CLIENT" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "UDP to [VIP6]:$VPORT reaches be1:$BPORT, reply from the VIP" \
	"be1 $CLIENT6" "$out"

# LOCAL_OUT for IPv6: the node's own connection. Its source is the address
# of the route to the VIP (the default route via the client side).
out=$(lb_tcp "$LB_NODE" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "TCP from the node itself to [VIP6]:$VPORT reaches be1" \
	"be1 $NODE_CLIENT6" "$out"

out=$(lb_udp "$LB_NODE" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "UDP from the node itself to [VIP6]:$VPORT reaches be1" \
	"be1 $NODE_CLIENT6" "$out"

lb_cfg "backend add $usvc [$BE2_6]:$BPORT" \
	lbctl -N "$LB_NODE" backend add "$usvc" "[$BE2_6]:$BPORT"

# 200 flows from distinct source ports over the IPv6 Maglev table: both
# backends take flows and every flow gets its answer.
out=$(lb_traffic "$LB_CLIENT" conns -c 200 -s 20000 udp "$VIP6" "$VPORT" 2>&1)
n1=$(lb_count be1 <<<"$out")
n2=$(lb_count be2 <<<"$out")
if [ "$n1" -ge 40 ] && [ "$n2" -ge 40 ] && [ $((n1 + n2)) -eq 200 ]; then
	lb_ok "200 IPv6 UDP flows all answered, spread over both backends ($n1/$n2)"
else
	lb_not_ok "200 IPv6 UDP flows all answered, spread over both backends" \
		"be1=$n1 be2=$n2 (want >= 40 each, 200 in all)" "$(sort -k2 <<<"$out" | uniq -c -f1)"
fi

# The family is part of the key: an IPv6 service does not translate IPv4
# traffic to the IPv4 VIP with the same port.
out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "IPv4 VIP:$VPORT is not translated by the IPv6 service" tcp $? "$out"

out=$(lbctl -N "$LB_NODE" -j stats "$tsvc" | jq -r '.[0].stats.conns, .[0].backends[0].stats.conns' | tr '\n' ' ')
lb_expect_eq "stats count the 2 IPv6 TCP connections (service, backend)" "2 2 " "$out"
n=$(lb_conntrack "$LB_NODE" -f ipv6 -p tcp --orig-dst "$VIP6" --orig-port-dst "$VPORT" | wc -l)
out=$(lb_stat "$LB_NODE" "$tsvc" '.stats.tracked')
lb_expect_eq "conntrack(8) and lbctl stats both track the 2 IPv6 TCP connections" "2 2" "$n $out"

lb_exit
