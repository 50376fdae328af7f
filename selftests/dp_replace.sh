#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# backend replace: the whole backend set in one atomic request.
#
#   client --> node (lbipam) --> be1..be4   (TCP VIP:80)
#
# {be1, be2, be3} is replaced by {be2, be3 weight 2, be4}: the new set is
# live at once (be1 takes nothing, be4 does), backends that stay keep their
# counters, the new one starts at 0. A list naming a backend twice, or a
# backend of the wrong family, is refused with a clear error and changes
# nothing. An empty list empties the set (new connections are refused).
# While a loop keeps swapping {be1, be2} and {be3, be4}, every connection
# must be answered: a non-atomic swap (delete, then add) would refuse some.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 18

svc="$VIP:$VPORT/tcp"
BE3_IP=$(lb_be_ip 3)
BE4_IP=$(lb_be_ip 4)
N=30

lb_check "topology with 4 backends, TCP servers on each, service with be1, be2, be3" \
	lb_dp_setup 4 all/tcp/4 -- "$svc=be1+be2+be3"

# conns: N connections; prints "TAG COUNT" per backend (or failure kind).
conns() {
	lb_traffic "$LB_CLIENT" conns -q -c "$1" tcp "$VIP" "$VPORT"
}

# backends: the set as "ADDR:PORT/WEIGHT", sorted.
backends() {
	lbctl -N "$LB_NODE" -j service show "$svc" |
		jq -r '[.[0].backends[] | "\(.address):\(.port)/\(.weight)"] | sort | join(" ")'
}

# conns_of ADDR: the backend's conns counter.
conns_of() {
	lb_stat "$LB_NODE" "$svc" ".backends[] | select(.address == \"$1\") | .stats.conns"
}

out=$(conns "$N")
lb_diag "before: $out"
used=$(grep -o 'be[123] ' <<<"$out" | wc -l)
lb_expect_eq "before: $N connections spread over be1, be2, be3" 3 "$used"
c2=$(conns_of "$BE2_IP")
c3=$(conns_of "$BE3_IP")
svc_conns=$(lb_stat "$LB_NODE" "$svc" .stats.conns)
lb_expect_eq "service conns counts the $N connections" "$N" "$svc_conns"

lb_cfg "backend replace: be2, be3 weight 2, be4" \
	lbctl -N "$LB_NODE" backend replace "$svc" "$BE2_IP:$BPORT" "$BE3_IP:$BPORT,weight=2" "$BE4_IP:$BPORT"
lb_expect_eq "service show lists exactly the new set" \
	"$BE2_IP:$BPORT/1 $BE3_IP:$BPORT/2 $BE4_IP:$BPORT/1" "$(backends)"
lb_expect_eq "be2 and be3 kept their counters, be4 starts at 0" \
	"$c2 $c3 0" "$(conns_of "$BE2_IP") $(conns_of "$BE3_IP") $(conns_of "$BE4_IP")"
lb_expect_eq "the service kept its counter" "$svc_conns" "$(lb_stat "$LB_NODE" "$svc" .stats.conns)"

out=$(conns "$N")
lb_diag "after: $out"
if ! grep -q 'be1' <<<"$out" && grep -q 'be4' <<<"$out" &&
	[ "$(grep -o 'be[234] [0-9]*' <<<"$out" | awk '{s += $2} END {print s}')" = "$N" ]; then
	lb_ok "after: no connection reaches be1, be4 takes some, all answered"
else
	lb_not_ok "after: no connection reaches be1, be4 takes some, all answered" "got: $out"
fi

# Refused requests change nothing.
before=$(lbctl -N "$LB_NODE" -j service list)
out=$(lbctl -N "$LB_NODE" backend replace "$svc" "$BE1_IP:$BPORT" "$BE1_IP:$BPORT" 2>&1)
rc=$?
lb_expect_eq "a duplicate backend is refused (exit 2)" 2 "$rc"
if grep -Eqi 'duplicate|twice' <<<"$out"; then
	lb_ok "the error names the duplicate: $out"
else
	lb_not_ok "the error names the duplicate" "got: $out"
fi
lb_expect_eq "the refused replace changed nothing" "$before" "$(lbctl -N "$LB_NODE" -j service list)"

out=$(lbctl -N "$LB_NODE" backend replace "$svc" "$BE1_IP:$BPORT" "[$(lb_be6_ip 1)]:$BPORT" 2>&1)
rc=$?
if [ "$rc" -ne 0 ]; then
	lb_ok "an IPv6 backend for an IPv4 service is refused: $out"
else
	lb_not_ok "an IPv6 backend for an IPv4 service is refused" "exit $rc: $out"
fi
lb_expect_eq "that refused replace changed nothing either" "$before" "$(lbctl -N "$LB_NODE" -j service list)"

# Atomic swaps under traffic: the set is never seen empty.
# shellcheck disable=SC2317 # runs in the background
swapper() {
	while [ ! -e "$LB_TMP/stop" ]; do
		"$LBCTL" -N "$LB_NODE" backend replace "$svc" "$BE1_IP:$BPORT" "$BE2_IP:$BPORT" || exit 1
		"$LBCTL" -N "$LB_NODE" backend replace "$svc" "$BE3_IP:$BPORT" "$BE4_IP:$BPORT" || exit 1
		echo swapped >>"$LB_TMP/swaps"
	done
}
swapper &
swap_pid=$!
_lb_pids+=("$swap_pid")
# Traffic in batches until at least 60 connections ran while the set was
# swapped at least twice: how many swaps fit in a batch depends on the
# machine, so the loop counts them instead of guessing. The bound only
# stops a swapper that never gets through.
out=""
total=0
swaps=0
for ((batch = 0; batch < 200; batch++)); do
	out+=$(conns 10)$'\n'
	total=$((total + 10))
	swaps=$(grep -c . "$LB_TMP/swaps" 2>/dev/null)
	[ "$total" -ge 60 ] && [ "${swaps:-0}" -ge 2 ] && break
done
touch "$LB_TMP/stop"
wait "$swap_pid"
swap_rc=$?
lb_diag "$total connections during $((${swaps:-0} * 2)) replaces"
lb_expect_eq "the replace loop ran without error" 0 "$swap_rc"
bad=$(awk '{ for (i = 1; i < NF; i += 2) if ($i !~ /^be[1-4]$/) print $i, $(i + 1) }' <<<"$out")
lb_expect_eq "all $total connections during the swaps were answered" "" "$bad"
if [ "${swaps:-0}" -ge 2 ]; then
	lb_ok "the set was swapped $((swaps * 2)) times during the traffic"
else
	lb_not_ok "the set was swapped at least 4 times during the traffic" "swaps: ${swaps:-0}"
fi

lb_cfg "backend replace with no backend empties the set" lbctl -N "$LB_NODE" backend replace "$svc"
lb_expect_eq "service show lists no backend" "" "$(backends)"

lb_exit
