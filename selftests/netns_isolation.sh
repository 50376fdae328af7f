#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbipam keeps its configuration per network namespace. Two complete
# client - node - backends topologies, A and B, use the very same addresses;
# their nodes configure the same VIP with different backends:
#
#   A: VIP:80/tcp -> 198.51.100.2:8080 (A-be1), VIP2:443/udp -> A-be2
#   B: VIP:80/tcp -> 198.51.100.3:8080 (B-be2)
#
# Each client must land on its own node's backend, each node must list only
# its own services, a namespace without configuration lists nothing, and
# deleting a service in A must leave B untouched.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_plan 21

a=$LB_RUN-a
b=$LB_RUN-b
empty=$LB_RUN-empty
svc=$VIP:$VPORT/tcp
svc2=$VIP2:443/udp

lb_check "build topology A with two backends" lb_topology "$a" 2
lb_check "build topology B with two backends" lb_topology "$b" 2
lb_check "build an unconfigured namespace" lb_ns_add "$empty"
# shellcheck disable=SC2317 # called through lb_check
servers() {
	lb_servers "$a-be1" be-a1 && lb_servers "$a-be2" be-a2 &&
		lb_servers "$b-be1" be-b1 && lb_servers "$b-be2" be-b2
}
lb_check "servers listen in all four backends" servers

lb_cfg "A: service add $svc" lbctl -N "$a-node" service add "$svc"
lb_cfg "A: backend add $svc $BE1_IP:$BPORT" \
	lbctl -N "$a-node" backend add "$svc" "$BE1_IP:$BPORT"
lb_cfg "A: service add $svc2" lbctl -N "$a-node" service add "$svc2"
lb_cfg "A: backend add $svc2 $BE2_IP:$BPORT" \
	lbctl -N "$a-node" backend add "$svc2" "$BE2_IP:$BPORT"
lb_cfg "B: service add $svc" lbctl -N "$b-node" service add "$svc"
lb_cfg "B: backend add $svc $BE2_IP:$BPORT" \
	lbctl -N "$b-node" backend add "$svc" "$BE2_IP:$BPORT"

out=$(lb_tcp "$a-client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "A: TCP to VIP reaches A's backend be1" "be-a1 $CLIENT_IP" "$out"
out=$(lb_tcp "$b-client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "B: TCP to VIP reaches B's backend be2" "be-b2 $CLIENT_IP" "$out"

out=$(lb_udp "$a-client" "$VIP2" 443 2>&1)
lb_expect_eq "A: UDP to VIP2:443 reaches A's backend be2" "be-a2 $CLIENT_IP" "$out"
out=$(lb_udp "$b-client" "$VIP2" 443 2>&1)
lb_expect_silent "B: UDP to VIP2:443 (configured only in A) is not translated" \
	udp $? "$out"

out=$(lbctl -N "$a-node" service list 2>&1)
lb_expect_eq "A: service list shows only A's services" \
	"$(printf '%s\n  -> %s\n%s\n  -> %s' "$svc" "$BE1_IP:$BPORT" "$svc2" "$BE2_IP:$BPORT")" \
	"$out"
out=$(lbctl -N "$b-node" service list 2>&1)
lb_expect_eq "B: service list shows only B's service" \
	"$(printf '%s\n  -> %s' "$svc" "$BE2_IP:$BPORT")" "$out"
out=$(lbctl -N "$empty" -j service list 2>&1 | tr -d ' \t\n')
lb_expect_eq "unconfigured netns: service list -j is empty" "[]" "$out"

# Deleting in A must not touch B.
lb_cfg "A: service del $svc" lbctl -N "$a-node" service del "$svc"
out=$(lb_tcp "$a-client" "$VIP" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "A: TCP to VIP is not translated after A's delete" tcp $? "$out"
out=$(lb_tcp "$b-client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "B: TCP to VIP still reaches B's backend after A's delete" \
	"be-b2 $CLIENT_IP" "$out"
out=$(lbctl -N "$b-node" service list 2>&1)
lb_expect_eq "B: service list unchanged after A's delete" \
	"$(printf '%s\n  -> %s' "$svc" "$BE2_IP:$BPORT")" "$out"

lb_exit
