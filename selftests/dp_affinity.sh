#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ClientIP session affinity:
#
#   client --> node (lbipam) --> be1, be2, be3   (TCP VIP:80)
#
# Without affinity, connections from one client (different source ports)
# spread over the backends (Maglev hashes the whole 5-tuple). With
# "service set VIP affinity 60" all of the client's new connections go to
# one backend; when that backend turns terminating, or is deleted, the
# client moves, again as a whole, to another one; with affinity turned off
# they spread again. `lbctl stats` counts the live bindings: one per client
# address, none at once when a change of the affinity makes them stale, and
# none once they expire.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 23

svc="$VIP:$VPORT/tcp"
N=20

lb_check "topology with 3 backends, TCP servers on each, service with the 3" \
	lb_dp_setup 3 all/tcp/4 -- "$svc=be1+be2+be3"

# conns: N new connections from the client; prints the distinct backends
# that answered, one line each, and anything that was not an answer.
conns() {
	lb_traffic "$LB_CLIENT" conns -c "$N" tcp "$VIP" "$VPORT" | awk '{print $2}' | sort -u
}

out=$(conns)
if [ "$(grep -c '^be' <<<"$out")" -ge 2 ] && ! grep -qv '^be' <<<"$out"; then
	lb_ok "no affinity: $N connections spread over $(wc -l <<<"$out") backends"
else
	lb_not_ok "no affinity: $N connections spread over >= 2 backends" "got: $out"
fi

lb_cfg "service set $svc affinity 60" lbctl -N "$LB_NODE" service set "$svc" affinity 60
out=$(lbctl -N "$LB_NODE" -j service show "$svc" | jq -r '.[0].affinity')
lb_expect_eq "service show reports affinity 60" 60 "$out"

out=$(conns)
if [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q '^be[123]$' <<<"$out"; then
	lb_ok "affinity: all $N connections reach one backend ($out)"
else
	lb_not_ok "affinity: all $N connections reach one backend" "got: $out"
fi
x=$(head -n 1 <<<"$out")
x=${x:-be1}

# The binding holds across separate client runs (new sockets, new ports).
out=$(conns)
lb_expect_eq "affinity: a second round of $N connections stays on $x" "$x" "$out"

# A binding holds only while its backend is usable: put x in terminating
# and the client moves, as a whole, to another backend y.
xip=$(lb_be_ip "${x#be}")
lb_cfg "backend set $x state terminating" lbctl -N "$LB_NODE" backend set "$svc" "$xip:$BPORT" state terminating
out=$(conns)
if [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q '^be[123]$' <<<"$out" && [ "$out" != "$x" ]; then
	lb_ok "$x terminating: all $N connections move to one other backend ($out)"
else
	lb_not_ok "$x terminating: all $N connections move to one other backend" "got: $out"
fi
y=$(head -n 1 <<<"$out")
y=${y:-be1}

# Delete y: the client moves again, to the only usable backend left.
z=$(printf '%s\n' be1 be2 be3 | grep -vx -e "$x" -e "$y" | head -n 1)
lb_cfg "backend del $y" lbctl -N "$LB_NODE" backend del "$svc" "$(lb_be_ip "${y#be}"):$BPORT"
out=$(conns)
lb_expect_eq "after deleting $y: all $N connections move to $z" "$z" "$out"

# With x active again and affinity off (options are replaced as a whole),
# connections spread over x and z again.
lb_cfg "backend set $x (active)" lbctl -N "$LB_NODE" backend set "$svc" "$xip:$BPORT"
lb_cfg "service set $svc (affinity off)" lbctl -N "$LB_NODE" service set "$svc"
out=$(conns)
if [ "$(grep -c '^be' <<<"$out")" -eq 2 ] && ! grep -qv '^be' <<<"$out"; then
	lb_ok "affinity off: $N connections spread over $x and $z"
else
	lb_not_ok "affinity off: $N connections spread over $x and $z" "got: $out"
fi

# Live bindings, as `lbctl -j stats` reports them ("null": not reported).
live() {
	lb_stat "$LB_NODE" "$svc" .stats.affinity
}

lb_expect_eq "stats: no affinity bindings reported without affinity" null "$(live)"

C3=192.0.2.3
C4=192.0.2.4
# shellcheck disable=SC2317 # called through lb_check
client_addrs() {
	ip -n "$LB_CLIENT" addr add "$C3/24" dev eth0 &&
		ip -n "$LB_CLIENT" addr add "$C4/24" dev eth0
}
lb_check "client addresses $C3 and $C4" client_addrs

# bind_all: two connections from each of the 3 client addresses.
bind_all() {
	local a
	for a in "$CLIENT_IP" "$C3" "$C4"; do
		lb_traffic "$LB_CLIENT" conns -c 2 -b "$a" tcp "$VIP" "$VPORT" >/dev/null
	done
}

lb_cfg "service set $svc affinity 60" lbctl -N "$LB_NODE" service set "$svc" affinity 60
bind_all
lb_expect_eq "stats: 3 client addresses, 3 live bindings" 3 "$(live)"

# A new timeout is a change of the affinity: the bindings are stale at once.
lb_cfg "service set $svc affinity 2" lbctl -N "$LB_NODE" service set "$svc" affinity 2
lb_expect_eq "stats: changing the affinity leaves 0 live bindings at once" 0 "$(live)"

bind_all
n=$(live)
if [ "$n" -ge 1 ] 2>/dev/null && [ "$n" -le 3 ]; then
	lb_ok "stats: new bindings under the new timeout ($n of 3 still live)"
else
	lb_not_ok "stats: new bindings under the new timeout (1..3)" "got: $n"
fi

# wait_expired: the 2 s bindings stop counting once they expire.
# shellcheck disable=SC2317 # called through lb_check
wait_expired() {
	local i n
	for ((i = 0; i < 2 * LB_TIMEOUT; i++)); do
		n=$(live)
		[ "$n" = 0 ] && return 0
		sleep 0.5
	done
	echo "still $n live bindings" >&2
	return 1
}
lb_check "stats: the bindings expire after 2 s, 0 live" wait_expired

lb_cfg "service set $svc (affinity off)" lbctl -N "$LB_NODE" service set "$svc"
lb_expect_eq "stats: no affinity bindings reported once affinity is off" null "$(live)"

lb_exit
