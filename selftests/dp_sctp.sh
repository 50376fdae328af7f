#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SCTP end to end, IPv4 and IPv6:
#
#   client --> node (lbipam) --> be1, be2   (SCTP VIP:80 -> :8080)
#
# An association to the VIP completes only if the node translated the INIT
# and translated the INIT-ACK back (lb_traffic's conns client, and its
# one-shot client as a user would test it). Associations spread over both
# backends, a long-lived one keeps echoing, a service without backends refuses with an ICMP port
# unreachable (lb_traffic asks for it with IP_RECVERR: SCTP
# otherwise ignores it during the handshake and retries until its timeout),
# and the counters count associations.
#
# Needs the kernel's sctp module (modprobe loads it); where SCTP sockets
# cannot be made at all the test skips and says why.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
modprobe sctp >/dev/null 2>&1
# Making an SCTP socket fails without the sctp module (or where it is
# blacklisted); a scratch namespace keeps the probe's INIT to itself.
lb_ns_add "$LB_RUN-probe" || lb_skip_or_fail "cannot create a namespace"
if ! err=$(lb_traffic "$LB_RUN-probe" conns -t 2 sctp 127.0.0.1 9 2>&1); then
	lb_skip "SCTP sockets unavailable (modprobe sctp: $(modprobe sctp 2>&1 || echo failed); $(tail -n 1 <<<"$err"))"
fi
lb_plan 17

svc="$VIP:$VPORT/sctp"
svc6="[$VIP6]:$VPORT/sctp"
ctl=$LB_TMP/ctl

lb_check "topology with 2 backends, SCTP servers on each (be1 also IPv6)" \
	lb_dp_setup 2 all/sctp/4 be1/sctp/6

# The associations to the VIP come from fixed, distinct client ports:
# conntrack keeps a finished association's entry (CLOSED, 10 s), and an INIT
# from the same port reuses it, with its translation and without a new
# count. Ephemeral ports collide that way now and then, and the counters
# below would then read one association short.
SPORT_PEER=20001 SPORT_ASK=20002 SPORT_CONNS=20010 SPORT_HOLD=20030

# sctp_peer NS ADDR SPORT: one association with lb_traffic conns from
# SPORT; prints the greeting "TAG PEER".
sctp_peer() {
	lb_traffic "$1" conns -p -s "$3" sctp "$2" "$VPORT" 2>&1 | cut -d' ' -f2-
}

# one_sctp NS ADDR PORT SPORT: lb_traffic's one-shot client (lb_ask), as a
# user would test: one association, the answer printed as it arrives.
one_sctp() {
	lb_ask "$1" sctp "$2" "$3" "$LB_TIMEOUT" -s "$4"
}

out=$(lb_traffic "$LB_CLIENT" conns -p sctp "$BE1_IP" "$BPORT" 2>&1 | cut -d' ' -f2-)
lb_expect_eq "SCTP from the client straight to be1 works" "be1 $CLIENT_IP" "$out"
out=$(lb_traffic "$LB_CLIENT" conns -t "$LB_SILENT_WAIT" sctp "$VIP" "$VPORT" 2>&1)
lb_expect_eq "unconfigured VIP: no SCTP association" timeout "$(awk '{print $2}' <<<"$out")"

lb_cfg "service add $svc" lbctl -N "$LB_NODE" service add "$svc"
lb_cfg "backend add $svc be1" lbctl -N "$LB_NODE" backend add "$svc" "$BE1_IP:$BPORT"
out=$(sctp_peer "$LB_CLIENT" "$VIP" "$SPORT_PEER")
lb_expect_eq "SCTP to VIP:$VPORT reaches be1:$BPORT, client address kept" \
	"be1 $CLIENT_IP" "$out"
out=$(one_sctp "$LB_CLIENT" "$VIP" "$VPORT" "$SPORT_ASK" 2>&1)
lb_expect_eq "one-shot SCTP client to VIP:$VPORT gets be1's answer" "be1 $CLIENT_IP" "$out"

lb_cfg "backend add $svc be2" lbctl -N "$LB_NODE" backend add "$svc" "$BE2_IP:$BPORT"
out=$(lb_traffic "$LB_CLIENT" conns -c 16 -s "$SPORT_CONNS" sctp "$VIP" "$VPORT" 2>&1)
used=$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ')
lb_expect_eq "16 associations, all answered, spread over be1 and be2" "be1 be2 " "$used"

# A long-lived association keeps echoing through the translation.
lb_traffic_bg "$LB_CLIENT" "$LB_TMP/hold" hold -C "$ctl" -s "$SPORT_HOLD" sctp "$VIP" "$VPORT"
lb_check "long-lived association established" lb_wait_grep "$LB_TMP/hold" '^greet be[12] '
touch "$ctl.1" "$ctl.2"
lb_wait_grep "$LB_TMP/hold" '^reply 2 ' >/dev/null 2>&1
touch "$ctl.end"
out=$(sed -n 's/^reply [12] be[12] //p' "$LB_TMP/hold" | tr '\n' ' ')
lb_expect_eq "the association echoes two messages" "msg1 msg2 " "$out"

out=$(lb_stat "$LB_NODE" "$svc" '"\(.stats.conns) \([.backends[].stats.conns] | add)"')
lb_expect_eq "stats: 19 associations, per backend adding up" "19 19" "$out"

# No backend: refused with ICMP port unreachable, and counted.
lb_check "backend replace $svc with nothing" lbctl -N "$LB_NODE" backend replace "$svc"
out=$(lb_traffic "$LB_CLIENT" conns sctp "$VIP" "$VPORT" 2>&1)
lb_expect_eq "no backend: the association is refused" refused "$(awk '{print $2}' <<<"$out")"
out=$(lb_stat "$LB_NODE" "$svc" '.stats.rejects >= 1')
lb_expect_eq "stats: the refusal is counted" true "$out"

# IPv6.
# shellcheck disable=SC2317 # called through lb_check
conf6() {
	lb_svc "$LB_NODE" "$svc6" -- "[$(lb_be6_ip 1)]:$BPORT"
}
lb_check "service $svc6 with be1" conf6
out=$(sctp_peer "$LB_CLIENT" "$VIP6" "$SPORT_PEER")
lb_expect_eq "IPv6 SCTP to [VIP6]:$VPORT reaches be1, client address kept" "be1 $CLIENT6" "$out"

lb_exit
