#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Maglev consistent hashing, measured over many real UDP flows (one lb_traffic
# process, one connected socket per flow, fixed source ports so that the
# very same 5-tuples can be replayed):
#
#   1. weights 1:2:3: each backend's share of 2400 flows is within 10%
#      (relative) of 1/6, 2/6, 3/6;
#   2. determinism: a second, independent topology (netns "b") with the same
#      configuration sends every one of those 5-tuples to the same backend;
#   3. insertion order does not matter: netns "b" rebuilt with the backends
#      added in reverse order still maps every flow the same;
#   4. minimal disruption: with 5 equal backends, removing one moves its
#      flows and at most 5% of the others' (ideal Maglev moves none of them;
#      a table rebuilt from scratch would move ~80%); adding it back
#      restores the original mapping exactly.
#
# The hash has no per-boot secret, so all of this is deterministic: a
# failure is not bad luck. Between replays the node's conntrack table is
# flushed (conntrack -F), otherwise the existing entries would keep the old
# backend and hide the new mapping.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 33

A=$LB_RUN-a
B=$LB_RUN-b
svc="$VIP:$VPORT/udp"
svc2="$VIP2:$VPORT/udp"
NFLOWS=2400
NFLOWS2=2000
# Most flows of kept backends that may move when one of 5 is removed.
MOVE_PCT=5

# The backends' addresses all live in one namespace per topology (be1's):
# the node still translates to five distinct addresses and each answers
# with its own name, and it saves building eight namespaces in a slow VM.
# shellcheck disable=SC2317 # called through lb_check
multi_be() {
	local p=$1 n=$2 i ip
	for ((i = 2; i <= n; i++)); do
		ip=$(lb_be_ip "$i")
		ip -n "$p-be1" addr add "$ip/24" dev eth0 || return 1
		ip -n "$p-node" route add "$ip/32" dev b1 src "$NODE_BACKEND_IP" || return 1
	done
}
lb_check "build topology a" lb_topology "$A" 1
lb_check "a: 5 backend addresses" multi_be "$A" 5
lb_check "build topology b" lb_topology "$B" 1
lb_check "b: the same first 3 backend addresses" multi_be "$B" 3
specs=()
for i in 1 2 3 4 5; do
	specs+=("$A-be1,be$i,udp,4,$BPORT,$(lb_be_ip "$i")")
done
for i in 1 2 3; do
	specs+=("$B-be1,be$i,udp,4,$BPORT,$(lb_be_ip "$i")")
done
lb_check "UDP servers for the 8 backends" lb_serve "${specs[@]}"

# conf NODE ORDER...: the weighted service, backends added in ORDER.
# shellcheck disable=SC2317 # called through lb_check
conf() {
	local node=$1 i bes=()
	shift
	for i in "$@"; do
		bes+=("$(lb_be_ip "$i"):$BPORT,weight,$i")
	done
	lb_svc "$node" "$svc" -- "${bes[@]}"
}

# flows NODE_PREFIX SVC_ADDR N SPORT_BASE: "SPORT TAG" for each flow.
flows() {
	lb_traffic "$1-client" conns -c "$3" -s "$4" udp "$2" "$VPORT"
}

# within10 N EXPECTED_NUMERATOR: is N within 10% of NFLOWS*NUM/6?
within10() {
	local want=$((NFLOWS * $2)) # times 6
	local got=$(($1 * 6))
	local diff=$((got > want ? got - want : want - got))
	[ $((diff * 10)) -le "$want" ]
}

lb_check "a: service with backends of weight 1, 2, 3" conf "$A-node" 1 2 3
lb_check "b: same service, same order" conf "$B-node" 1 2 3

t0=$SECONDS
flows "$A" "$VIP" "$NFLOWS" 20000 >"$LB_TMP/a1" 2>&1
lb_diag "$NFLOWS flows took $((SECONDS - t0))s"
bad=$(awk '$2 !~ /^be[123]$/' "$LB_TMP/a1" | head -n 5)
lb_expect_eq "a: all $NFLOWS flows answered by be1..be3" "" "$bad"

for i in 1 2 3; do
	n=$(lb_count "be$i" <"$LB_TMP/a1")
	if within10 "$n" "$i"; then
		lb_ok "weight $i: be$i took $n of $NFLOWS flows (ideal $((NFLOWS * i / 6)) +-10%)"
	else
		lb_not_ok "weight $i: be$i took $n of $NFLOWS flows, want $((NFLOWS * i / 6)) +-10%"
	fi
done

flows "$B" "$VIP" "$NFLOWS" 20000 >"$LB_TMP/b1" 2>&1
diffs=$(diff "$LB_TMP/a1" "$LB_TMP/b1" | grep -c '^>')
lb_expect_eq "b: the same $NFLOWS 5-tuples reach the same backends as in a" 0 "$diffs"

# Rebuild b with the backends in reverse order (and weights set in a
# different order too); flush conntrack so the flows are scheduled anew.
lb_cfg "b: flush" lbctl -N "$B-node" flush
lb_check "b: conntrack -F" ip netns exec "$B-node" conntrack -F
lb_check "b: service with backends added in order 3, 1, 2" conf "$B-node" 3 1 2
flows "$B" "$VIP" "$NFLOWS" 20000 >"$LB_TMP/b2" 2>&1
diffs=$(diff "$LB_TMP/a1" "$LB_TMP/b2" | grep -c '^>')
lb_expect_eq "b: backend order 3,1,2 maps every flow as order 1,2,3" 0 "$diffs"

# --- minimal disruption: 5 equal backends, remove be5 -----------------
lb_cfg "a: service add $svc2" lbctl -N "$A-node" service add "$svc2"
for i in 1 2 3 4 5; do
	lbctl -N "$A-node" backend add "$svc2" "$(lb_be_ip "$i"):$BPORT" || break
done
out=$(lbctl -N "$A-node" -j service show "$svc2" | jq '.[0].backends | length')
lb_expect_eq "a: $svc2 has 5 backends" 5 "$out"

flows "$A" "$VIP2" "$NFLOWS2" 30000 >"$LB_TMP/m1" 2>&1
bad=$(awk '$2 !~ /^be[1-5]$/' "$LB_TMP/m1" | head -n 5)
lb_expect_eq "a: all $NFLOWS2 flows to $svc2 answered" "" "$bad"
on5=$(lb_count be5 <"$LB_TMP/m1")
lb_diag "per backend: $(awk '{print $2}' "$LB_TMP/m1" | sort | uniq -c | tr '\n' ' ')"

lb_cfg "a: backend del $svc2 be5" lbctl -N "$A-node" backend del "$svc2" "$(lb_be_ip 5):$BPORT"
lb_check "a: conntrack -F" ip netns exec "$A-node" conntrack -F
flows "$A" "$VIP2" "$NFLOWS2" 30000 >"$LB_TMP/m2" 2>&1
bad=$(awk '$2 !~ /^be[1-4]$/' "$LB_TMP/m2" | head -n 5)
lb_expect_eq "a: without be5 all flows answered by be1..be4" "" "$bad"

# Join old and new mapping by source port.
join "$LB_TMP/m1" "$LB_TMP/m2" >"$LB_TMP/m12"
kept=$(awk '$2 != "be5"' "$LB_TMP/m12" | wc -l)
moved=$(awk '$2 != "be5" && $2 != $3' "$LB_TMP/m12" | wc -l)
moved5=$(awk '$2 == "be5" && $3 != "be5"' "$LB_TMP/m12" | wc -l)
lb_expect_eq "every flow of the removed be5 moved" "$on5" "$moved5"
if [ "$kept" -gt 0 ] && [ $((moved * 100)) -le $((kept * MOVE_PCT)) ]; then
	lb_ok "removing 1 of 5 moved $moved of the other backends' $kept flows (<= $MOVE_PCT%)"
else
	lb_not_ok "removing 1 of 5 moved $moved of the other backends' $kept flows (want <= $MOVE_PCT%)" \
		"a consistent hash moves only the removed backend's flows"
fi
total=$((moved + moved5))
lb_diag "in all $total of $NFLOWS2 flows moved (ideal $((NFLOWS2 / 5)), 1/N)"

lb_cfg "a: backend add be5 again" lbctl -N "$A-node" backend add "$svc2" "$(lb_be_ip 5):$BPORT"
lb_check "a: conntrack -F" ip netns exec "$A-node" conntrack -F
flows "$A" "$VIP2" "$NFLOWS2" 30000 >"$LB_TMP/m3" 2>&1
diffs=$(diff "$LB_TMP/m1" "$LB_TMP/m3" | grep -c '^>')
lb_expect_eq "a: with be5 back every flow maps as at first" 0 "$diffs"

# The scheduler really is per service: random spreads over the backends
# too, but unlike maglev the mapping is not reproducible.
lb_cfg "a: service set $svc2 sched random" lbctl -N "$A-node" service set "$svc2" sched random
lb_check "a: conntrack -F" ip netns exec "$A-node" conntrack -F
flows "$A" "$VIP2" 500 30000 >"$LB_TMP/r1" 2>&1
diffs=$(head -n 500 "$LB_TMP/m1" | diff - "$LB_TMP/r1" | grep -c '^>')
used=$(awk '{print $2}' "$LB_TMP/r1" | sort -u | grep -c '^be[1-5]$')
if [ "$diffs" -gt 100 ] && [ "$used" -eq 5 ]; then
	lb_ok "sched random: 500 flows reach all 5 backends, $diffs differ from maglev"
else
	lb_not_ok "sched random: want all 5 backends used and >100 of 500 flows mapped unlike maglev" \
		"backends used: $used, differing: $diffs"
fi

# sched random is weighted too. It is random, so allow 20% (each bound is
# more than 4 standard deviations away at 2400 flows).
lb_cfg "a: service set $svc sched random" lbctl -N "$A-node" service set "$svc" sched random
lb_check "a: conntrack -F" ip netns exec "$A-node" conntrack -F
flows "$A" "$VIP" "$NFLOWS" 20000 >"$LB_TMP/r2" 2>&1
cnt=()
ok=0
for i in 1 2 3; do
	n=$(lb_count "be$i" <"$LB_TMP/r2")
	cnt+=("$n")
	want=$((NFLOWS * i)) # times 6, as n below
	d=$((n * 6 > want ? n * 6 - want : want - n * 6))
	if [ $((d * 5)) -gt "$want" ]; then
		ok=1
	fi
done
got="${cnt[*]} "
lb_result "$ok" "sched random, weights 1:2:3: be1..be3 took $got(ideal 400 800 1200 +-20%)" \
	"per backend: $got"

lb_exit
