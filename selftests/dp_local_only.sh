#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# local-only (externalTrafficPolicy Local):
#
#   client --> node (lbipam) --> be1 (marked local), be2 (not local)
#
# External connections (PRE_ROUTING) may only use backends marked local;
# with none they are dropped (kube-proxy's behaviour: no answer, no reset)
# and counted as drops. Connections from the node itself (LOCAL_OUT) use
# every backend, so they keep working with no local backend at all.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 16

tsvc="$VIP:$VPORT/tcp"
usvc="$VIP:$VPORT/udp"
N=16

lb_check "topology with 2 backends, TCP and UDP servers on each" lb_dp_setup 2 all/tcp/4 all/udp/4

# shellcheck disable=SC2317 # called through lb_check
conf() {
	lb_svc "$LB_NODE" "$tsvc" local-only -- "$BE1_IP:$BPORT,local" "$BE2_IP:$BPORT" &&
		lb_svc "$LB_NODE" "$usvc" local-only -- "$BE2_IP:$BPORT"
}
lb_check "local-only TCP service (be1 local, be2 not), UDP service (be2 only)" conf

out=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -c '[.[0].local_only, [.[0].backends[].local]]')
lb_expect_eq "service show reports local-only and the local flags" '[true,[true,false]]' "$out"

# backends NS: the distinct backends N connections from NS reach.
backends() {
	lb_traffic "$1" conns -c "$N" tcp "$VIP" "$VPORT" | awk '{print $2}' | sort -u | tr '\n' ' '
}

lb_expect_eq "external: all $N connections go to the local be1" "be1 " "$(backends "$LB_CLIENT")"
lb_expect_eq "node itself: $N connections use be1 and be2" "be1 be2 " "$(backends "$LB_NODE")"

lb_cfg "backend set be1 (no longer local)" lbctl -N "$LB_NODE" backend set "$tsvc" "$BE1_IP:$BPORT"
out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "no local backend: external TCP is dropped" tcp $? "$out"
out=$(backends "$LB_NODE")
lb_expect_eq "no local backend: the node itself still reaches be1 and be2" "be1 be2 " "$out"
out=$(lb_stat "$LB_NODE" "$tsvc" '"\(.stats.drops >= 1) \(.stats.rejects)"')
lb_expect_eq "stats $tsvc: drops counted, no rejects" "true 0" "$out"

out=$(lb_udp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_silent "no local backend: external UDP is dropped" udp $? "$out"
out=$(lb_udp "$LB_NODE" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "no local backend: UDP from the node itself reaches be2" "be2 $NODE_CLIENT_IP" "$out"
out=$(lb_stat "$LB_NODE" "$usvc" '"\(.stats.conns) \(.stats.drops) \(.stats.rejects)"')
lb_expect_eq "stats $usvc: 1 conn, 1 drop, 0 rejects" "1 1 0" "$out"

lb_cfg "backend set be2 local" lbctl -N "$LB_NODE" backend set "$tsvc" "$BE2_IP:$BPORT" local
lb_expect_eq "external: all $N connections go to the now local be2" "be2 " "$(backends "$LB_CLIENT")"

lb_cfg "service set $tsvc (local-only off)" lbctl -N "$LB_NODE" service set "$tsvc"
lb_expect_eq "without local-only external connections use both" "be1 be2 " "$(backends "$LB_CLIENT")"

lb_exit
