#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hairpin: a backend that connects to its own service and is picked itself.
#
#   be1 198.51.100.2 --> node (lbipam) --> be1 198.51.100.2 (the only backend)
#        to VIP:80
#
# Without source NAT be1 would answer itself directly, from its own address,
# and its socket (connected to the VIP) would never see the answer. lbipam
# must SNAT such a connection to the node's address: be1 then sees
# 198.51.100.1 as the peer and the answer returns through the node. A
# backend reaching the service while another backend is picked (be2 -> VIP
# -> be1) is not hairpin and keeps its address. IPv4 TCP, UDP and IPv6 TCP.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 8

be1=$LB_RUN-be1
be2=$LB_RUN-be2

# Every service has be1 as its only backend.
lb_check "2 backends, servers on be1; TCP, UDP and IPv6 TCP services, be1 the only backend" \
	lb_dp_setup 2 be1/tcp/4 be1/udp/4 be1/tcp/6 -- \
	"$VIP:$VPORT/tcp=be1" "$VIP:$VPORT/udp=be1" "[$VIP6]:$VPORT/tcp=be1"

out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "an external client reaches be1 with its own address" "be1 $CLIENT_IP" "$out"

out=$(lb_tcp "$be1" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "hairpin TCP: be1 -> VIP -> be1 answers, SNATed to the node" \
	"be1 $NODE_BACKEND_IP" "$out"
out=$(lb_udp "$be1" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "hairpin UDP: be1 -> VIP -> be1 answers, SNATed to the node" \
	"be1 $NODE_BACKEND_IP" "$out"
out=$(lb_tcp "$be1" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "hairpin IPv6 TCP: be1 -> VIP6 -> be1 answers, SNATed to the node" \
	"be1 $NODE_BACKEND6" "$out"

# Not hairpin: be2's connection goes to be1, no SNAT. The backends' /24
# makes be1 think be2 is on its link, but each backend has its own veth to
# the node: route be1's replies to be2 through the node, as pods' are.
lb_check "be1 routes to be2 through the node" \
	ip -n "$be1" route add "$BE2_IP/32" via "$NODE_BACKEND_IP"
out=$(lb_tcp "$be2" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "be2 -> VIP -> be1 keeps be2's address (no SNAT)" "be1 $BE2_IP" "$out"

out=$(lb_stat "$LB_NODE" "$VIP:$VPORT/tcp" '.stats.conns')
lb_expect_eq "stats count the 3 TCP connections" 3 "$out"

lb_exit
