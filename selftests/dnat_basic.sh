#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end DNAT through the node (PRE_ROUTING):
#
#   client 192.0.2.2 --> node (lbipam) --> be1 198.51.100.2:8080
#        to VIP 203.0.113.10:80
#
# TCP and UDP to VIP:80 must reach the backend's port 8080, the answer must
# come back from VIP:80 (a TCP connect to the VIP, a UDP socket connected to
# the VIP), and the backend must see the client's own address (no SNAT).
# Before configuration the VIP must not answer, which shows that a pass is
# lbipam's doing and not the topology's.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq
lb_plan 15

client=$LB_RUN-client
node=$LB_RUN-node
be1=$LB_RUN-be1

lb_check "build topology client - node - backend" lb_topology "$LB_RUN" 1
lb_check "backend servers listen on tcp and udp $BPORT" lb_servers "$be1" be1

# The path itself works: the client reaches the backend directly, and the
# backend sees the client's address.
out=$(lb_tcp "$client" "$BE1_IP" "$BPORT" 2>&1)
lb_expect_eq "client reaches backend directly" "be1 $CLIENT_IP" "$out"

# Nothing configured yet: nothing may answer on the VIP.
out=$(lb_tcp "$client" "$VIP" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "unconfigured VIP does not answer TCP" tcp $? "$out"
out=$(lb_udp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_silent "unconfigured VIP does not answer UDP" udp $? "$out"

lb_cfg "service add $VIP:$VPORT/tcp" lbctl -N "$node" service add "$VIP:$VPORT/tcp"
lb_cfg "backend add $VIP:$VPORT/tcp $BE1_IP:$BPORT" \
	lbctl -N "$node" backend add "$VIP:$VPORT/tcp" "$BE1_IP:$BPORT"
lb_cfg "service add $VIP:$VPORT/udp" lbctl -N "$node" service add "$VIP:$VPORT/udp"
lb_cfg "backend add $VIP:$VPORT/udp $BE1_IP:$BPORT" \
	lbctl -N "$node" backend add "$VIP:$VPORT/udp" "$BE1_IP:$BPORT"

# Connecting to VIP:80 succeeds only if the SYN-ACK comes back from VIP:80,
# i.e. the reply was un-NATed; the text proves backend port 8080 answered and
# saw the client's own address.
out=$(lb_tcp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "TCP to VIP:$VPORT reaches be1:$BPORT, client address kept" \
	"be1 $CLIENT_IP" "$out"

out=$(lb_udp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "UDP to VIP:$VPORT reaches be1:$BPORT, reply from VIP:$VPORT" \
	"be1 $CLIENT_IP" "$out"

# Every new connection is translated, not only the first one.
good=0
for i in 1 2 3; do
	out=$(lb_tcp "$client" "$VIP" "$VPORT" 2>&1)
	if [ "$out" = "be1 $CLIENT_IP" ]; then
		good=$((good + 1))
	else
		lb_diag "connection $i: $out"
	fi
done
lb_expect_eq "3 further TCP connections all translated" 3 "$good"

# The service key includes the port: another port on the VIP is untouched.
out=$(lb_tcp "$client" "$VIP" 81 "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "TCP to VIP:81 (no service) is not translated" tcp $? "$out"

expect="$VIP:$VPORT/tcp
  -> $BE1_IP:$BPORT
$VIP:$VPORT/udp
  -> $BE1_IP:$BPORT"
out=$(lbctl -N "$node" service list 2>&1)
lb_expect_eq "service list shows both services and their backend" "$expect" "$out"

# The documented keys (lbctl(8)); counters vary, so compare a projection.
expect='tcp 203.0.113.10:80 maglev 0 [198.51.100.2:8080:1:active]
udp 203.0.113.10:80 maglev 0 [198.51.100.2:8080:1:active]'
# "numbers": a port, affinity or weight that is not a JSON number drops
# the line, and the comparison fails.
out=$(lbctl -N "$node" -j service list 2>&1 | jq -r '.[] |
	"\(.protocol) \(.address):\(.port | numbers) \(.sched) \(.affinity | numbers) [" +
	([.backends[] | "\(.address):\(.port | numbers):\(.weight | numbers):\(.state)"] |
	 join(",")) + "]"')
lb_expect_eq "service list -j prints the documented JSON" "$expect" "$out"

lb_exit
