#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# UDP conntrack cleanup must not race the data path. One UDP client with a
# fixed source port sends continuously to a service while its backend set
# changes twice in a row, {cur} -> {mid} -> {fin} (one lbctl batch): the
# first change deletes the flow's entry, the flow's next packet makes a new
# one, and the second change removes the backend that packet may have
# picked. If that packet read the state before the second change but is
# confirmed after its cleanup walk, its entry keeps pointing to the removed
# backend (whose server still runs, so it keeps answering) for as long as
# the client sends: the stale-UDP blackhole. After every round the flow must
# be answered by fin within a second, and by nothing else afterwards.
#
# Only packets that make a new conntrack entry pass a long nftables chain in
# the node's FORWARD hook: that widens the moment between the translation
# and the confirmation, where the race lives, without slowing the flow.
# Answers a backend sends after the flow's entry is gone are dropped there:
# they would make entries of their own (backend -> client) that clash with
# a later translation of the flow to the same backend.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack nft python3
ROUNDS=${DP_RACE_ROUNDS:-40}
SLOW_RULES=${DP_RACE_SLOW_RULES:-4000}
lb_plan 6

svc="$VIP:$VPORT/udp"
SPORT=40000

lb_check "topology with 3 backends, UDP servers on each" lb_dp_setup 3 all/udp/4

# slow_new: the nftables chain that only new connections pass.
# shellcheck disable=SC2317 # called through lb_check
slow_new() {
	{
		echo "table inet lb_race {"
		echo "  chain slow {"
		for ((i = 0; i < SLOW_RULES; i++)); do
			echo "    meta mark 0x5ace$((i % 10)) counter"
		done
		echo "    counter"
		echo "  }"
		echo "  chain forward {"
		echo "    type filter hook forward priority 0; policy accept;"
		echo "    ct state new ip daddr $CLIENT_IP drop"
		echo "    ct state new jump slow"
		echo "  }"
		echo "}"
	} >"$LB_TMP/slow.nft"
	ip netns exec "$LB_NODE" nft -f "$LB_TMP/slow.nft"
}
lb_check "slow FORWARD path for new connections ($SLOW_RULES rules)" slow_new

lb_cfg "service add $svc, backend be1" lb_svc "$LB_NODE" "$svc" -- "$(lb_be_ip 1):$BPORT"

ip netns exec "$LB_CLIENT" python3 -u "$LB_SELFTEST_DIR/dp_udp_race.py" \
	"$VIP" "$VPORT" "$SPORT" "$ROUNDS" "$LBCTL" "$LB_NODE" "$svc" "$LB_TMP" \
	"be1=$(lb_be_ip 1):$BPORT" "be2=$(lb_be_ip 2):$BPORT" \
	"be3=$(lb_be_ip 3):$BPORT" >"$LB_TMP/race.out" 2>&1
rc=$?
lb_diag "$(cat "$LB_TMP/race.out")"
read -r _ ok late stale < <(grep '^summary ' "$LB_TMP/race.out")
lb_expect_eq "the race driver ran all $ROUNDS rounds" "0 $ROUNDS" \
	"$rc $((${ok:-0} + ${late:-0} + ${stale:-0}))"
lb_expect_eq "no round left the flow on a removed backend" "0 0" "${late:--} ${stale:--}"
# The chain really was in the way of new connections.
n=$(ip netns exec "$LB_NODE" nft list chain inet lb_race slow |
	sed -n 's/^[[:space:]]*counter packets \([0-9]*\) .*/\1/p')
if [ "${n:-0}" -ge "$ROUNDS" ]; then
	lb_ok "new connections took the slow path ($n packets)"
else
	lb_not_ok "new connections took the slow path" "counter: '${n:-}'"
fi

lb_exit
