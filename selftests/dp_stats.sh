#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-service and per-backend connection counters (lbctl stats):
#
#   client --> node (lbipam) --> be1, be2   (TCP and UDP VIP:80)
#
# Every new connection counts once for its service and once for the backend
# it went to (the client learns which from the answer), from outside and
# from the node itself; a UDP flow of many datagrams is one connection;
# services count independently; counters start at 0 when the object is
# created. Checked in JSON (the stable interface) and once in the text form.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=dp_lib.sh
source "$(dirname "$0")/dp_lib.sh"

dp_require
lb_plan 16

client=$LB_RUN-client
node=$LB_RUN-node
tsvc="$VIP:$VPORT/tcp"
usvc="$VIP:$VPORT/udp"
ctl=$LB_TMP/ctl

lb_check "build topology with 2 backends" lb_topology "$LB_RUN" 2
lb_check "TCP and UDP servers on be1 and be2" dp_servers \
	"$LB_RUN-be1,be1,tcp,4,$BPORT" "$LB_RUN-be1,be1,udp,4,$BPORT" \
	"$LB_RUN-be2,be2,tcp,4,$BPORT" "$LB_RUN-be2,be2,udp,4,$BPORT"

# shellcheck disable=SC2317 # called through lb_check
conf() {
	local s
	for s in "$tsvc" "$usvc"; do
		lbctl -n "$node" service add "$s" || return 1
		lbctl -n "$node" backend add "$s" "$BE1_IP:$BPORT" || return 1
		lbctl -n "$node" backend add "$s" "$BE2_IP:$BPORT" || return 1
	done
}
lb_check "TCP and UDP services with be1 and be2" conf

# counters SVC: "SVC_CONNS REJECTS DROPS BE1_CONNS BE2_CONNS".
counters() {
	dp_stat "$node" "$1" '"\(.stats.conns) \(.stats.rejects) \(.stats.drops) " +
		([.backends[] | .stats.conns | tostring] | join(" "))'
}

lb_expect_eq "new services count nothing" "0 0 0 0 0|0 0 0 0 0" \
	"$(counters "$tsvc")|$(counters "$usvc")"

out=$(dp_cli "$client" tcp "$VIP" "$VPORT" --count 20)
n1=$(dp_count be1 <<<"$out")
n2=$(dp_count be2 <<<"$out")
lb_diag "20 TCP connections: be1 $n1, be2 $n2"
lb_expect_eq "20 TCP connections answered" 20 $((n1 + n2))
lb_expect_eq "TCP: service counts 20, each backend what it answered" \
	"20 0 0 $n1 $n2" "$(counters "$tsvc")"
lb_expect_eq "the UDP service counted none of it" "0 0 0 0 0" "$(counters "$usvc")"

# The node's own connections count too.
out=$(dp_cli "$node" tcp "$VIP" "$VPORT" --count 4)
m1=$(dp_count be1 <<<"$out")
m2=$(dp_count be2 <<<"$out")
lb_expect_eq "TCP: 4 more from the node itself are counted" \
	"24 0 0 $((n1 + m1)) $((n2 + m2))" "$(counters "$tsvc")"

# UDP: 10 flows, then one flow of at least 10 datagrams.
out=$(dp_cli "$client" udp "$VIP" "$VPORT" --count 10)
u1=$(dp_count be1 <<<"$out")
u2=$(dp_count be2 <<<"$out")
dp_bg_cli "$client" "$LB_TMP/flow" hold-udp "$VIP" "$VPORT" --sport 40000 --ctl "$ctl"
flow=$LB_PID
lb_check "one UDP flow gets 10 answers" dp_wait_grep "$LB_TMP/flow" '^answer 10 '
touch "$ctl.end"
wait "$flow"
tag=$(sed -n 's/^answer [0-9]* \(be[12]\) .*/\1/p' "$LB_TMP/flow" | sort -u)
case $tag in
be1) u1=$((u1 + 1)) ;;
be2) u2=$((u2 + 1)) ;;
*) lb_diag "the flow was answered by: $tag" ;;
esac
lb_expect_eq "UDP: 11 flows counted once each, per backend as answered" \
	"11 0 0 $u1 $u2" "$(counters "$usvc")"

# The text form.
expect="$tsvc conns 24 rejects 0 drops 0
  -> $BE1_IP:$BPORT conns $((n1 + m1))
  -> $BE2_IP:$BPORT conns $((n2 + m2))"
lb_expect_eq "lbctl stats $tsvc (text)" "$expect" "$(lbctl -n "$node" stats "$tsvc" 2>&1)"
out=$(lbctl -n "$node" -j stats | jq -r '[.[] | "\(.protocol)=\(.stats.conns)"] | join(" ")')
lb_expect_eq "lbctl -j stats (all services)" "tcp=24 udp=11" "$out"

# A backend deleted and added again starts from 0; so does a new service.
lb_cfg "backend del and add be1 again" sh -c \
	"'$LBCTL' -n '$node' backend del '$tsvc' '$BE1_IP:$BPORT' && '$LBCTL' -n '$node' backend add '$tsvc' '$BE1_IP:$BPORT'"
out=$(dp_stat "$node" "$tsvc" ".backends[] | select(.address == \"$BE1_IP\") | .stats.conns")
lb_expect_eq "the re-added backend counts from 0" 0 "$out"
lb_cfg "service del and add $usvc" sh -c \
	"'$LBCTL' -n '$node' service del '$usvc' && '$LBCTL' -n '$node' service add '$usvc'"
lb_expect_eq "the re-created service counts from 0" "0 0 0 " "$(counters "$usvc")"

lb_exit
