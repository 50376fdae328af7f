#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# loadBalancerSourceRanges: with source ranges set, only clients inside one
# of them may connect; the others are dropped (no answer, no reset: the
# client runs into its timeout) and counted in the service's drops.
#
#   client 192.0.2.2 and 192.0.2.3 --> node (lbipam) --> be1
#
# The client namespace has two addresses, so the same host is inside or
# outside a /32 range depending on the source address it binds.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 20

CLIENT_IP2=192.0.2.3
tsvc="$VIP:$VPORT/tcp"
usvc="$VIP:$VPORT/udp"
t6svc="[$VIP6]:$VPORT/tcp"

lb_check "topology with 1 backend (IPv4, IPv6), servers on be1" \
	lb_dp_setup 1 be1/tcp/4 be1/udp/4 be1/tcp/6
lb_check "second client address $CLIENT_IP2" ip -n "$LB_CLIENT" addr add "$CLIENT_IP2/24" dev eth0

# shellcheck disable=SC2317 # called through lb_check
conf() {
	lb_svc "$LB_NODE" "$tsvc" source-range "$CLIENT_IP/32" -- "$BE1_IP:$BPORT" &&
		lb_svc "$LB_NODE" "$usvc" source-range 10.0.0.0/8 -- "$BE1_IP:$BPORT" &&
		lb_svc "$LB_NODE" "$t6svc" source-range 2001:db8:1::/64 -- \
			"[$(lb_be6_ip 1)]:$BPORT"
}
lb_check "services: tcp from $CLIENT_IP/32, udp from 10.0.0.0/8, tcp6 from 2001:db8:1::/64" conf

out=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -c '.[0].source_ranges')
lb_expect_eq "service show lists the range" "[\"$CLIENT_IP/32\"]" "$out"

out=$(lb_tcp_from "$LB_CLIENT" "$CLIENT_IP" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "TCP from $CLIENT_IP (inside) works" "be1 $CLIENT_IP" "$out"
out=$(lb_tcp_from "$LB_CLIENT" "$CLIENT_IP2" "$VIP" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "TCP from $CLIENT_IP2 (outside) is dropped" tcp $? "$out"
# The backend itself is reachable from there: the drop is lbipam's.
out=$(lb_tcp_from "$LB_CLIENT" "$CLIENT_IP2" "$BE1_IP" "$BPORT" 2>&1)
lb_expect_eq "TCP from $CLIENT_IP2 straight to be1 works" "be1 $CLIENT_IP2" "$out"

out=$(lb_udp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_silent "UDP from $CLIENT_IP, outside 10.0.0.0/8, is dropped" udp $? "$out"

out=$(lb_stat "$LB_NODE" "$tsvc" '"\(.stats.conns) \(.stats.drops >= 1) \(.stats.rejects)"')
lb_expect_eq "stats $tsvc: 1 conn, drops counted, no rejects" "1 true 0" "$out"
out=$(lb_stat "$LB_NODE" "$usvc" '"\(.stats.conns) \(.stats.drops) \(.stats.rejects)"')
lb_expect_eq "stats $usvc: 0 conns, 1 drop, no rejects" "0 1 0" "$out"

# Several ranges: inside any one is enough.
lb_cfg "service set $usvc with 10.0.0.0/8 and 192.0.2.0/24" \
	lbctl -N "$LB_NODE" service set "$usvc" source-range 10.0.0.0/8 source-range 192.0.2.0/24
out=$(lb_udp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "UDP from $CLIENT_IP, inside the second range, works" "be1 $CLIENT_IP" "$out"

# A range with host bits set is refused, and the request changes nothing.
before=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -c '.[0].source_ranges')
lb_check_fail "source-range 192.0.2.1/24 (host bits set) is refused" \
	lbctl -N "$LB_NODE" service set "$tsvc" source-range 192.0.2.1/24
after=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -c '.[0].source_ranges')
lb_expect_eq "the refused set changed nothing" "$before" "$after"

# Without ranges, everyone may connect again.
lb_cfg "service set $tsvc (no ranges)" lbctl -N "$LB_NODE" service set "$tsvc"
out=$(lb_tcp_from "$LB_CLIENT" "$CLIENT_IP2" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "no ranges: TCP from $CLIENT_IP2 works" "be1 $CLIENT_IP2" "$out"

# IPv6 ranges.
out=$(lb_tcp "$LB_CLIENT" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "IPv6 TCP from inside 2001:db8:1::/64 works" "be1 $CLIENT6" "$out"
lb_cfg "service set $t6svc source-range 2001:db8:9::/64" \
	lbctl -N "$LB_NODE" service set "$t6svc" source-range 2001:db8:9::/64
out=$(lb_tcp "$LB_CLIENT" "$VIP6" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "IPv6 TCP from outside 2001:db8:9::/64 is dropped" tcp $? "$out"
out=$(lb_stat "$LB_NODE" "$t6svc" '"\(.stats.conns) \(.stats.drops >= 1)"')
lb_expect_eq "stats $t6svc: 1 conn, drops counted" "1 true" "$out"

lb_exit
