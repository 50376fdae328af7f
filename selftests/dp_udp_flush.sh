#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# UDP conntrack hygiene. A UDP client that keeps sending from one socket
# (one source port, a datagram every 0.2 s) refreshes its conntrack entry
# forever, so without flushing it would stay bound to whatever the first
# datagram got:
#
#   (a) sent before the service exists: the entry is a null binding (not
#       translated). "service add" must delete it, so that the very same
#       socket gets answers once a backend is there;
#   (b) its backend is deleted (the backend's server still runs, so a stale
#       entry would keep answering from it): the entry must go, and the
#       flow's next datagrams reach the other backend;
#   (c) its backend is replaced away by "backend replace": the same;
#   (d) the service is deleted: the flow's entry must go, so the flow stops
#       getting answers from the backend.
#
# conntrack -L in the node shows the entries themselves.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 21

svc="$VIP:$VPORT/udp"
ctl=$LB_TMP/ctl
SPORT=40000

lb_check "topology with 2 backends, UDP servers on each" lb_dp_setup 2 all/udp/4

# answers_after LINE TAG: answers from TAG after line LINE of the output.
answers_after() {
	tail -n +$(($1 + 1)) "$LB_TMP/flow" | grep -c "^answer [0-9]* $2 "
}

# switch_to TAG FROM: after a change at output line $mark, wait for the flow
# to be answered by TAG, then for 5 more datagrams, and check none of them
# was answered by FROM any more.
# shellcheck disable=SC2317 # called through lb_check
switch_to() {
	local i
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if [ "$(answers_after "$mark" "$1")" -ge 1 ]; then
			break
		fi
		sleep 0.1
	done
	if [ "$(answers_after "$mark" "$1")" -eq 0 ]; then
		echo "no answer from $1 within ${LB_TIMEOUT}s; last lines:" >&2
		tail -n 5 "$LB_TMP/flow" >&2
		return 1
	fi
	local first
	first=$(tail -n +$((mark + 1)) "$LB_TMP/flow" | grep -n "^answer [0-9]* $1 " | head -n 1 | cut -d: -f1)
	first=$((mark + first))
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if [ "$(answers_after "$first" "$1")" -ge 5 ]; then
			break
		fi
		sleep 0.1
	done
	if [ "$(answers_after "$first" "$2")" -ne 0 ] || [ "$(answers_after "$first" "$1")" -lt 5 ]; then
		echo "after the switch to $1 still answers from $2, or too few from $1:" >&2
		tail -n +$((first + 1)) "$LB_TMP/flow" | tail -n 10 >&2
		return 1
	fi
}

# (a) The flow starts before the service exists. Another service makes
# lbipam (and with it conntrack) active in the node, as on any real node:
# without any, nothing would track the flow and there would be no stale
# entry to flush.
lb_cfg "another service, $VIP2:$VPORT/udp" lbctl -N "$LB_NODE" service add "$VIP2:$VPORT/udp"
lb_traffic_bg "$LB_CLIENT" "$LB_TMP/flow" hold -s "$SPORT" -C "$ctl" udp "$VIP" "$VPORT"
lb_check "before the service: the flow has an untranslated conntrack entry" \
	lb_wait_ct_udp_reply src "$SPORT" "$VIP"
sleep 1 # five more datagrams, all unanswered
lb_expect_eq "before the service: no answers" 0 "$(grep -c '^answer' "$LB_TMP/flow")"

mark=$(wc -l <"$LB_TMP/flow")
lb_cfg "service add $svc" lbctl -N "$LB_NODE" service add "$svc"
lb_cfg "backend add $svc be1" lbctl -N "$LB_NODE" backend add "$svc" "$BE1_IP:$BPORT"
lb_check "(a) the same socket now gets answers from be1" switch_to be1 none
lb_check "(a) the flow's conntrack entry is translated to be1" \
	lb_wait_ct_udp_reply src "$SPORT" "$BE1_IP"

# (b) Delete the flow's backend.
lb_cfg "backend add $svc be2" lbctl -N "$LB_NODE" backend add "$svc" "$BE2_IP:$BPORT"
sleep 0.5
lb_expect_eq "adding be2 does not move the flow" 0 "$(answers_after "$mark" be2)"
mark=$(wc -l <"$LB_TMP/flow")
lb_cfg "(b) backend del be1" lbctl -N "$LB_NODE" backend del "$svc" "$BE1_IP:$BPORT"
lb_check "(b) the flow moves to be2, be1 answers no more" switch_to be2 be1
lb_check "(b) the flow's conntrack entry is translated to be2" \
	lb_wait_ct_udp_reply src "$SPORT" "$BE2_IP"
out=$(lb_conntrack "$LB_NODE" -p udp --orig-dst "$VIP" | grep -c "src=$BE1_IP ")
lb_expect_eq "(b) no conntrack entry for the VIP points to be1" 0 "$out"

# (c) Replace the set so that the flow's backend is gone.
mark=$(wc -l <"$LB_TMP/flow")
lb_cfg "(c) backend replace $svc be1 (be2 replaced away)" \
	lbctl -N "$LB_NODE" backend replace "$svc" "$BE1_IP:$BPORT"
lb_check "(c) the flow moves to be1, be2 answers no more" switch_to be1 be2
lb_check "(c) the flow's conntrack entry is translated to be1" \
	lb_wait_ct_udp_reply src "$SPORT" "$BE1_IP"

# (d) Delete the service: the entry goes, the flow is no longer translated.
lb_cfg "(d) service del $svc" lbctl -N "$LB_NODE" service del "$svc"
lb_check "(d) the flow's conntrack entry is no longer translated" \
	lb_wait_ct_udp_reply src "$SPORT" "$VIP"
sleep 0.5 # an answer already on its way may still arrive
mark=$(wc -l <"$LB_TMP/flow")
sleep 1.5
lb_expect_eq "(d) no answers after the service is gone" 0 "$(tail -n +$((mark + 1)) "$LB_TMP/flow" | grep -c '^answer')"
touch "$ctl.end"

# The entry's counters were what kept it alive: the flow really was
# continuous (no gap that would have let the entry time out).
n=$(grep -c '^answer' "$LB_TMP/flow")
if [ "$n" -ge 15 ]; then
	lb_ok "the flow got $n answers in all"
else
	lb_not_ok "the flow got $n answers in all (want >= 15)" "$(tail -n 20 "$LB_TMP/flow")"
fi

lb_exit
