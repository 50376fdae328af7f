#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# LOCAL_OUT: a process on the node itself (in the node netns) connects to
# the VIP and must reach the backend, over TCP and UDP, with the reply
# translated back to VIP:80. The backend sees one of the node's own
# addresses: lbipam only rewrites the destination.
#
#   node (process, lbipam) --> be1 198.51.100.2:8080
#      to VIP 203.0.113.10:80

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_plan 10

node=$LB_RUN-node
be1=$LB_RUN-be1

lb_check "build topology client - node - backend" lb_topology "$LB_RUN" 1
lb_check "backend servers listen on tcp and udp $BPORT" lb_servers "$be1" be1

# node -> VIP picks its source address from the route to the VIP (via c0,
# so 192.0.2.1); after the rewrite the packet leaves through b1, keeping it.
node_saw="be1 $NODE_CLIENT_IP"

out=$(lb_tcp "$node" "$BE1_IP" "$BPORT" 2>&1)
lb_expect_eq "node reaches backend directly" "be1 $NODE_BACKEND_IP" "$out"

out=$(lb_tcp "$node" "$VIP" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "unconfigured VIP does not answer the node" tcp $? "$out"

lb_cfg "service add $VIP:$VPORT/tcp" lbctl -N "$node" service add "$VIP:$VPORT/tcp"
lb_cfg "backend add $VIP:$VPORT/tcp $BE1_IP:$BPORT" \
	lbctl -N "$node" backend add "$VIP:$VPORT/tcp" "$BE1_IP:$BPORT"
lb_cfg "service add $VIP:$VPORT/udp" lbctl -N "$node" service add "$VIP:$VPORT/udp"
lb_cfg "backend add $VIP:$VPORT/udp $BE1_IP:$BPORT" \
	lbctl -N "$node" backend add "$VIP:$VPORT/udp" "$BE1_IP:$BPORT"

out=$(lb_tcp "$node" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "TCP from the node to VIP:$VPORT reaches be1:$BPORT" "$node_saw" "$out"

out=$(lb_udp "$node" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "UDP from the node to VIP:$VPORT reaches be1:$BPORT, reply from VIP" \
	"$node_saw" "$out"

lb_exit
