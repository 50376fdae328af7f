#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Backends that stop taking new connections keep their established ones:
#
#   client --> node (lbipam) --> be1, be2   (TCP and UDP, VIP:80)
#
# A long-lived TCP connection (one socket that sends a line and gets it
# echoed whenever the test asks) lands on some backend X. X is then put in
# state terminating, then maintenance, then active with weight 0. After each
# step the old connection must still be echoed by X, while every new
# connection goes to the other backend. Back at weight 1, X takes new
# connections again; deleted, X still serves the old connection (TCP
# drains naturally). Same for a UDP flow: when its backend turns
# terminating, the flow keeps its backend (the module must not flush it).

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 24

tsvc="$VIP:$VPORT/tcp"
usvc="$VIP:$VPORT/udp"
ctl=$LB_TMP/ctl
NEW=12

lb_check "2 backends, TCP and UDP servers; TCP and UDP services with be1 and be2" \
	lb_dp_setup 2 all/tcp/4 all/udp/4 -- "$tsvc=be1+be2" "$usvc=be1+be2"

# ip_of TAG: the backend's address.
ip_of() {
	lb_be_ip "${1#be}"
}

# new_conns: NEW fresh TCP connections; prints how many reached $other.
new_conns() {
	lb_traffic "$LB_CLIENT" conns -c "$NEW" tcp "$VIP" "$VPORT" | lb_count "$other"
}

# ask N: make the long-lived connection send line N; print the echo.
ask() {
	touch "$ctl.$1"
	lb_wait_grep "$LB_TMP/hold" "^reply $1 " >/dev/null 2>&1
	sed -n "s/^reply $1 //p" "$LB_TMP/hold"
}

lb_traffic_bg "$LB_CLIENT" "$LB_TMP/hold" hold -C "$ctl" tcp "$VIP" "$VPORT"
holder=$LB_PID
lb_check "long-lived TCP connection established" lb_wait_grep "$LB_TMP/hold" '^greet be[12] '
x=$(sed -n 's/^greet \(be[12]\) .*/\1/p' "$LB_TMP/hold")
x=${x:-be1}
if [ "$x" = be1 ]; then other=be2; else other=be1; fi
xip=$(ip_of "$x")
lb_diag "long-lived connection is on $x ($xip), the other backend is $other"

lb_expect_eq "active: the connection echoes" "$x msg1" "$(ask 1)"

step=2
for state in terminating maintenance; do
	lb_cfg "backend set $x state $state" \
		lbctl -N "$LB_NODE" backend set "$tsvc" "$xip:$BPORT" state "$state"
	out=$(lbctl -N "$LB_NODE" -j service show "$tsvc" |
		jq -r ".[0].backends[] | select(.address == \"$xip\") | .state")
	lb_expect_eq "service show reports $x $state" "$state" "$out"
	lb_expect_eq "$state: all $NEW new connections go to $other" "$NEW" "$(new_conns)"
	lb_expect_eq "$state: the established connection still echoes via $x" \
		"$x msg$step" "$(ask $step)"
	step=$((step + 1))
done

# Options are replaced as a whole: this also sets the state back to active.
lb_cfg "backend set $x weight 0" lbctl -N "$LB_NODE" backend set "$tsvc" "$xip:$BPORT" weight 0
lb_expect_eq "weight 0: all $NEW new connections go to $other" "$NEW" "$(new_conns)"
lb_expect_eq "weight 0: the established connection still echoes via $x" \
	"$x msg$step" "$(ask $step)"

lb_cfg "backend set $x (active, weight 1)" lbctl -N "$LB_NODE" backend set "$tsvc" "$xip:$BPORT"
n=$(lb_traffic "$LB_CLIENT" conns -c 20 tcp "$VIP" "$VPORT" | lb_count "$x")
if [ "$n" -gt 0 ]; then
	lb_ok "active again: $x takes new connections ($n of 20)"
else
	lb_not_ok "active again: $x takes new connections" "0 of 20 new connections reached $x"
fi

# Even deleting the backend leaves an established TCP connection alone: it
# drains naturally (only UDP entries are flushed).
step=$((step + 1))
lb_cfg "backend del $x" lbctl -N "$LB_NODE" backend del "$tsvc" "$xip:$BPORT"
lb_expect_eq "deleted: the established connection still echoes via $x" \
	"$x msg$step" "$(ask $step)"
touch "$ctl.end"
lb_check "long-lived client ends cleanly" wait "$holder"

# --- UDP: a flow on a terminating backend keeps it --------------------
lb_traffic_bg "$LB_CLIENT" "$LB_TMP/uhold" hold -s 40000 -C "$ctl.u" udp "$VIP" "$VPORT"
lb_check "long-lived UDP flow gets answers" lb_wait_grep "$LB_TMP/uhold" '^answer [0-9]+ be[12] '
ux=$(sed -n 's/^answer [0-9]* \(be[12]\) .*/\1/p' "$LB_TMP/uhold" | head -n 1)
ux=${ux:-be1}
if [ "$ux" = be1 ]; then other=be2; else other=be1; fi
uxip=$(ip_of "$ux")
lb_cfg "UDP: backend set $ux state terminating" \
	lbctl -N "$LB_NODE" backend set "$usvc" "$uxip:$BPORT" state terminating
mark=$(wc -l <"$LB_TMP/uhold")
# Five more answers, at 0.2 s per datagram.
ok=1
for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
	if [ "$(tail -n +$((mark + 1)) "$LB_TMP/uhold" | grep -c '^answer')" -ge 5 ]; then
		ok=0
		break
	fi
	sleep 0.1
done
# One snapshot: the flow keeps running while we count.
snap=$(tail -n +$((mark + 1)) "$LB_TMP/uhold")
lb_result "$ok" "UDP: the flow keeps getting answers after its backend turned terminating" \
	"$(tail -n 5 <<<"$snap")"
others=$(grep '^answer' <<<"$snap" | grep -v "^answer [0-9]* $ux " | head -n 3)
lb_expect_eq "UDP: every later answer still comes from $ux" "" "$others"
n=$(lb_traffic "$LB_CLIENT" conns -c 20 udp "$VIP" "$VPORT" | lb_count "$other")
lb_expect_eq "UDP: 20 new flows all go to $other" 20 "$n"
touch "$ctl.u.end"

lb_exit
