#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# expire-nodest (IPVS's expire_nodest_conn, as kube-proxy sets it): the
# TCP connections of a backend that leaves a service are expired instead of
# left to drain, so that the client's next packet reaches a live backend,
# which resets it, and the client reconnects at once instead of
# retransmitting into the void:
#
#   client --> node (lbipam) --> be1, be2   (TCP VIP:80, expire-nodest)
#
# - a backend that turns terminating keeps its connection (not removed);
# - "backend del" of the connection's backend: its conntrack entry goes,
#   and the connection's next message is answered with a reset (by the
#   other backend) rather than echoed by the removed one; new connections
#   go to the other backend;
# - "service del": the service's TCP entries go too.
# Without the flag the same connection drains (delete.sh, dp_terminating.sh).

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 14

tsvc="$VIP:$VPORT/tcp"
ctl=$LB_TMP/ctl

lb_check "2 backends, TCP servers; TCP service with be1 and be2" \
	lb_dp_setup 2 all/tcp/4 -- "$tsvc=be1+be2"
lb_cfg "service set $tsvc expire-nodest" lbctl -N "$LB_NODE" service set "$tsvc" expire-nodest
out=$(lbctl -N "$LB_NODE" -j service show "$tsvc" | jq -c '.[0].expire_nodest')
lb_expect_eq "service show reports expire-nodest" true "$out"

# ask N: make the long-lived connection send line N; print the answer.
ask() {
	touch "$ctl.$1"
	lb_wait_grep "$LB_TMP/hold" "^reply $1 " >/dev/null 2>&1
	sed -n "s/^reply $1 //p" "$LB_TMP/hold"
}

# entries_to ADDR: the node's TCP entries of the VIP translated to ADDR.
# shellcheck disable=SC2317 # called through gone
entries_to() {
	lb_conntrack "$LB_NODE" -p tcp --orig-dst "$VIP" --reply-src "$1" | wc -l
}

# gone ADDR: wait until no entry of the VIP is translated to ADDR.
# shellcheck disable=SC2317 # called through lb_check
gone() {
	local i
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		[ "$(entries_to "$1")" -eq 0 ] && return 0
		sleep 0.1
	done
	echo "$(entries_to "$1") entries still translated to $1" >&2
	return 1
}

lb_traffic_bg "$LB_CLIENT" "$LB_TMP/hold" hold -C "$ctl" tcp "$VIP" "$VPORT"
lb_check "long-lived TCP connection established" lb_wait_grep "$LB_TMP/hold" '^greet be[12] '
x=$(sed -n 's/^greet \(be[12]\) .*/\1/p' "$LB_TMP/hold")
x=${x:-be1}
if [ "$x" = be1 ]; then other=be2; else other=be1; fi
xip=$(lb_be_ip "${x#be}")
lb_diag "the connection is on $x ($xip)"
lb_expect_eq "the connection echoes" "$x msg1" "$(ask 1)"

lb_cfg "backend set $x state terminating" \
	lbctl -N "$LB_NODE" backend set "$tsvc" "$xip:$BPORT" state terminating
lb_expect_eq "terminating is not removed: the connection still echoes via $x" \
	"$x msg2" "$(ask 2)"

lb_cfg "backend del $x" lbctl -N "$LB_NODE" backend del "$tsvc" "$xip:$BPORT"
lb_check "the connection's conntrack entry is expired" gone "$xip"
out=$(ask 3)
lb_expect_eq "its next message is reset (by $other), not echoed by $x" \
	"error Connection reset by peer" "$out"
out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "a new connection goes to $other" "$other $CLIENT_IP" "$out"

# Service delete: a connection to the remaining backend is expired too.
oip=$(lb_be_ip "${other#be}")
lb_traffic_bg "$LB_CLIENT" "$LB_TMP/hold2" hold -C "$ctl.b" tcp "$VIP" "$VPORT"
lb_check "another long-lived connection, on $other" \
	lb_wait_grep "$LB_TMP/hold2" "^greet $other "
lb_cfg "service del $tsvc" lbctl -N "$LB_NODE" service del "$tsvc"
lb_check "service del: its TCP entries are expired" gone "$oip"
touch "$ctl.end" "$ctl.b.end"

lb_exit
