#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Masquerade after the egress address changes:
#
#   client 192.0.2.2 --> node (lbipam, masquerade) --b1--> be1
#
# A UDP client keeps sending from one source port through a masquerading
# service, so its conntrack entry never expires; be1 sees the node's
# address on b1 (198.51.100.1). Then that address is replaced by
# 198.51.100.254. The entry masqueraded to the dead address must go (the
# NAT core's masquerade notifiers delete it, as for iptables' MASQUERADE),
# so that the flow's next datagram is masqueraded to the new address and
# answered again, instead of being sent from an address nobody can answer.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 9

usvc="$VIP:$VPORT/udp"
ctl=$LB_TMP/ctl
SPORT=40000
NEW_IP=198.51.100.254

lb_check "1 backend, UDP server; UDP service with be1, masquerade" \
	lb_dp_setup 1 be1/udp/4 -- "$usvc=be1"
lb_cfg "service set $usvc masquerade" lbctl -N "$LB_NODE" service set "$usvc" masquerade

lb_traffic_bg "$LB_CLIENT" "$LB_TMP/flow" hold -s "$SPORT" -C "$ctl" udp "$VIP" "$VPORT"
lb_check "the flow is answered, be1 sees the node's address on b1" \
	lb_wait_grep "$LB_TMP/flow" "^answer [0-9]+ be1 $NODE_BACKEND_IP\$"
lb_check "its entry is masqueraded to $NODE_BACKEND_IP" \
	lb_wait_ct_udp_reply dst "$SPORT" "$NODE_BACKEND_IP"

# The new address first, so that b1 is never without one; the route to be1
# names its source and goes with the old address.
# shellcheck disable=SC2317 # called through lb_check
readdress() {
	ip -n "$LB_NODE" addr add "$NEW_IP/32" dev b1 &&
		ip -n "$LB_NODE" addr del "$NODE_BACKEND_IP/32" dev b1 &&
		ip -n "$LB_NODE" route replace "$BE1_IP/32" dev b1 src "$NEW_IP"
}
lb_check "b1's address changes to $NEW_IP" readdress
lb_check "the entry masqueraded to the old address is gone; the new one uses $NEW_IP" \
	lb_wait_ct_udp_reply dst "$SPORT" "$NEW_IP"
lb_check "the same socket is answered again, be1 sees $NEW_IP" \
	lb_wait_grep "$LB_TMP/flow" "^answer [0-9]+ be1 $NEW_IP\$"
out=$(lb_conntrack "$LB_NODE" -p udp --reply-dst "$NODE_BACKEND_IP" | grep -c .)
lb_expect_eq "no entry is masqueraded to the old address" 0 "$out"

# A new flow, too.
out=$(lb_udp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "a new flow is masqueraded to $NEW_IP" "be1 $NEW_IP" "$out"
touch "$ctl.end"

lb_exit
