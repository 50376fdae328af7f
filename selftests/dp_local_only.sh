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
#
# Cluster CIDRs: a source inside one (a pod, routed through the node; here
# a second client address, POD_IP) is in-cluster traffic and uses every
# backend, as kube-proxy does for its --cluster-cidr; the client's own
# address, outside them, stays external.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 33

tsvc="$VIP:$VPORT/tcp"
usvc="$VIP:$VPORT/udp"
N=16
POD_IP=10.244.1.2
CLUSTER_CIDR=10.244.0.0/16

lb_check "topology with 2 backends, TCP and UDP servers on each" lb_dp_setup 2 all/tcp/4 all/udp/4

# shellcheck disable=SC2317 # called through lb_check
conf() {
	lb_svc "$LB_NODE" "$tsvc" local-only -- "$BE1_IP:$BPORT,local" "$BE2_IP:$BPORT" &&
		lb_svc "$LB_NODE" "$usvc" local-only -- "$BE2_IP:$BPORT"
}
lb_check "local-only TCP service (be1 local, be2 not), UDP service (be2 only)" conf

out=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -c '[.[0].local_only, [.[0].backends[].local]]')
lb_expect_eq "service show reports local-only and the local flags" '[true,[true,false]]' "$out"

# backends NS [SRC]: the distinct backends N connections from NS (from
# source address SRC) reach.
backends() {
	lb_traffic "$1" conns -c "$N" ${2:+-b "$2"} tcp "$VIP" "$VPORT" |
		awk '{print $2}' | sort -u | tr '\n' ' '
}

lb_expect_eq "external: all $N connections go to the local be1" "be1 " "$(backends "$LB_CLIENT")"
lb_expect_eq "node itself: $N connections use be1 and be2" "be1 be2 " "$(backends "$LB_NODE")"

lb_check "client address $POD_IP (a pod's)" ip -n "$LB_CLIENT" addr add "$POD_IP/32" dev eth0
lb_expect_eq "no cluster CIDR: $N connections from $POD_IP go to be1 only" "be1 " \
	"$(backends "$LB_CLIENT" "$POD_IP")"
lb_cfg "service set $tsvc local-only cluster-cidr $CLUSTER_CIDR" \
	lbctl -N "$LB_NODE" service set "$tsvc" local-only cluster-cidr "$CLUSTER_CIDR"
out=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -c '[.[0].local_only, .[0].cluster_cidrs]')
lb_expect_eq "service show lists the cluster CIDR" "[true,[\"$CLUSTER_CIDR\"]]" "$out"
lb_expect_eq "in-cluster source $POD_IP: $N connections use be1 and be2" "be1 be2 " \
	"$(backends "$LB_CLIENT" "$POD_IP")"
lb_expect_eq "external source $CLIENT_IP: still all $N to the local be1" "be1 " \
	"$(backends "$LB_CLIENT" "$CLIENT_IP")"

# Refused, by lbctl and below it by the kernel, and nothing changes.
before=$(lbctl -N "$LB_NODE" -j service show "$tsvc")
out=$(lbctl -N "$LB_NODE" service set "$tsvc" local-only cluster-cidr 2001:db8::/32 2>&1)
lb_expect_eq "lbctl refuses an IPv6 cluster CIDR for an IPv4 service" \
	"1 lbctl: cluster-cidr '2001:db8::/32' is not of the service's address family" "$? $out"
out=$(lbctl -N "$LB_NODE" service set "$tsvc" local-only cluster-cidr 10.244.0.1/16 2>&1)
lb_expect_eq "lbctl refuses a cluster CIDR with host bits" \
	"1 lbctl: cluster-cidr '10.244.0.1/16': host bits set beyond /16" "$? $out"
key=(svc "addr4=$VIP" "port=$VPORT" proto=6 flags=2)
printf '%s\n' "service-set ${key[*]} cluster-cidr=2001:db8::/32" \
	"service-set ${key[*]} cluster-cidr=10.244.0.1/16" \
	"service-set ${key[*]} cluster-cidr=10.244.0.0/33" |
	ip netns exec "$LB_NODE" python3 "$LB_SELFTEST_DIR/lb_genl.py" >"$LB_TMP/raw.out" 2>&1
mapfile -t raw <"$LB_TMP/raw.out"
lb_expect_eq "kernel refuses a cluster CIDR of the wrong family" \
	"EINVAL cluster CIDR needs one address of the service's family" "${raw[0]% (offset*}"
lb_expect_eq "kernel refuses a cluster CIDR with host bits" \
	"EINVAL cluster CIDR has host bits set beyond its prefix length" "${raw[1]% (offset*}"
lb_expect_eq "kernel refuses a cluster CIDR prefix length of 33" \
	"ERANGE cluster CIDR prefix length is too long for its family" "${raw[2]% (offset*}"
lb_expect_eq "the refused requests changed nothing" "$before" \
	"$(lbctl -N "$LB_NODE" -j service show "$tsvc")"

lb_cfg "backend set be1 (no longer local)" lbctl -N "$LB_NODE" backend set "$tsvc" "$BE1_IP:$BPORT"
out=$(lb_tcp_from "$LB_CLIENT" "$CLIENT_IP" "$VIP" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "no local backend: external TCP is dropped" tcp $? "$out"
out=$(backends "$LB_NODE")
lb_expect_eq "no local backend: the node itself still reaches be1 and be2" "be1 be2 " "$out"
out=$(backends "$LB_CLIENT" "$POD_IP")
lb_expect_eq "no local backend: in-cluster $POD_IP still reaches be1 and be2" "be1 be2 " "$out"
out=$(lb_stat "$LB_NODE" "$tsvc" '"\(.stats.drops >= 1) \(.stats.rejects)"')
lb_expect_eq "stats $tsvc: drops counted, no rejects" "true 0" "$out"

out=$(lb_ask "$LB_CLIENT" udp "$VIP" "$VPORT" "$LB_TIMEOUT" -b "$CLIENT_IP" 2>&1)
lb_expect_silent "no local backend: external UDP is dropped" udp $? "$out"
out=$(lb_udp "$LB_NODE" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "no local backend: UDP from the node itself reaches be2" "be2 $NODE_CLIENT_IP" "$out"
out=$(lb_stat "$LB_NODE" "$usvc" '"\(.stats.conns) \(.stats.drops) \(.stats.rejects)"')
lb_expect_eq "stats $usvc: 1 conn, 1 drop, 0 rejects" "1 1 0" "$out"

out=$(lb_stat "$LB_NODE" "$usvc" '.cluster_cidrs')
lb_expect_eq "no cluster CIDR on $usvc" "[]" "$(tr -d ' \n' <<<"$out")"
out=$(lb_ask "$LB_CLIENT" udp "$VIP" "$VPORT" "$LB_TIMEOUT" -b "$POD_IP" 2>&1)
lb_expect_silent "no cluster CIDR on $usvc: UDP from $POD_IP is dropped too" udp $? "$out"
lb_cfg "service set $usvc local-only cluster-cidr $CLUSTER_CIDR" \
	lbctl -N "$LB_NODE" service set "$usvc" local-only cluster-cidr "$CLUSTER_CIDR"
out=$(lb_ask "$LB_CLIENT" udp "$VIP" "$VPORT" "$LB_TIMEOUT" -b "$POD_IP" 2>&1)
lb_expect_eq "UDP from in-cluster $POD_IP reaches the remote be2" "be2 $POD_IP" "$out"

lb_cfg "backend set be2 local" lbctl -N "$LB_NODE" backend set "$tsvc" "$BE2_IP:$BPORT" local
lb_expect_eq "external: all $N connections go to the now local be2" "be2 " "$(backends "$LB_CLIENT" "$CLIENT_IP")"

lb_cfg "service set $tsvc (local-only off)" lbctl -N "$LB_NODE" service set "$tsvc"
lb_expect_eq "without local-only external connections use both" "be1 be2 " "$(backends "$LB_CLIENT" "$CLIENT_IP")"

lb_exit
