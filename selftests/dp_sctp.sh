#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SCTP end to end, IPv4 and IPv6:
#
#   client --> node (lbipam) --> be1, be2   (SCTP VIP:80 -> :8080)
#
# An association to the VIP completes only if the node translated the INIT
# and translated the INIT-ACK back (python client, and socat's SCTP client
# as a user would test it). Associations spread over both backends, a long-lived one keeps
# echoing, a service without backends refuses with an ICMP port
# unreachable (the python client asks for it with IP_RECVERR: SCTP
# otherwise ignores it during the handshake and retries until its timeout),
# and the counters count associations.
#
# Needs the kernel's sctp module (modprobe loads it); where SCTP sockets
# cannot be made at all the test skips and says why.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=dp_lib.sh
source "$(dirname "$0")/dp_lib.sh"

dp_require
modprobe sctp >/dev/null 2>&1
if ! err=$("$DP_PY" -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)' 2>&1); then
	lb_skip "SCTP sockets unavailable (modprobe sctp: $(modprobe sctp 2>&1 || echo failed); $(tail -n 1 <<<"$err"))"
fi
if ! socat -h 2>/dev/null | grep -q 'sctp4-connect'; then
	lb_skip "socat lacks SCTP support (no sctp4-connect in socat -h)"
fi
lb_plan 19

client=$LB_RUN-client
node=$LB_RUN-node
be1=$LB_RUN-be1
be2=$LB_RUN-be2
svc="$VIP:$VPORT/sctp"
svc6="[$VIP6]:$VPORT/sctp"
ctl=$LB_TMP/ctl

lb_check "build topology with 2 backends" lb_topology "$LB_RUN" 2
lb_check "add IPv6" dp_topology6 "$LB_RUN" 2
lb_check "SCTP servers on be1 and be2 (be1 also IPv6)" dp_servers \
	"$be1,be1,sctp,4,$BPORT" "$be2,be2,sctp,4,$BPORT" "$be1,be1,sctp,6,$BPORT"

# sctp_peer NS ADDR: one association with the python client; prints the
# greeting "TAG PEER".
sctp_peer() {
	dp_cli "$1" tcp "$2" "$VPORT" --proto sctp --peer 2>&1 | cut -d' ' -f2-
}

# socat_sctp NS ADDR PORT: socat's SCTP client, as a user would test. SCTP
# has no half-close: once socat, at the end of its (empty) input, sent
# SHUTDOWN, the server may no longer send its greeting. shut-none keeps the
# association open; socat then prints what arrives and ends after -t.
socat_sctp() {
	timeout $((LB_TIMEOUT + 5)) ip netns exec "$1" \
		socat -t 3 - "SCTP4:$2:$3,connect-timeout=$LB_TIMEOUT,shut-none" </dev/null
}

out=$(dp_cli "$client" tcp "$BE1_IP" "$BPORT" --proto sctp --peer 2>&1 | cut -d' ' -f2-)
lb_expect_eq "SCTP from the client straight to be1 works" "be1 $CLIENT_IP" "$out"
out=$(dp_cli "$client" tcp "$VIP" "$VPORT" --proto sctp --timeout "$LB_SILENT_WAIT" 2>&1)
lb_expect_eq "unconfigured VIP: no SCTP association" timeout "$(awk '{print $2}' <<<"$out")"

lb_cfg "service add $svc" lbctl -N "$node" service add "$svc"
lb_cfg "backend add $svc be1" lbctl -N "$node" backend add "$svc" "$BE1_IP:$BPORT"
out=$(sctp_peer "$client" "$VIP")
lb_expect_eq "SCTP to VIP:$VPORT reaches be1:$BPORT, client address kept" \
	"be1 $CLIENT_IP" "$out"
out=$(socat_sctp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "socat's SCTP client to VIP:$VPORT gets be1's answer" "be1 $CLIENT_IP" "$out"

lb_cfg "backend add $svc be2" lbctl -N "$node" backend add "$svc" "$BE2_IP:$BPORT"
out=$(dp_cli "$client" tcp "$VIP" "$VPORT" --proto sctp --count 16 2>&1)
used=$(awk '{print $2}' <<<"$out" | sort -u | tr '\n' ' ')
lb_expect_eq "16 associations, all answered, spread over be1 and be2" "be1 be2 " "$used"

# A long-lived association keeps echoing through the translation.
dp_bg_cli "$client" "$LB_TMP/hold" hold-tcp "$VIP" "$VPORT" --proto sctp --ctl "$ctl"
lb_check "long-lived association established" dp_wait_grep "$LB_TMP/hold" '^greet be[12] '
touch "$ctl.1" "$ctl.2"
dp_wait_grep "$LB_TMP/hold" '^reply 2 ' >/dev/null 2>&1
touch "$ctl.end"
out=$(sed -n 's/^reply [12] be[12] //p' "$LB_TMP/hold" | tr '\n' ' ')
lb_expect_eq "the association echoes two messages" "msg1 msg2 " "$out"

out=$(dp_stat "$node" "$svc" '"\(.stats.conns) \([.backends[].stats.conns] | add)"')
lb_expect_eq "stats: 19 associations, per backend adding up" "19 19" "$out"

# No backend: refused with ICMP port unreachable, and counted.
lb_check "backend replace $svc with nothing" lbctl -N "$node" backend replace "$svc"
out=$(dp_cli "$client" tcp "$VIP" "$VPORT" --proto sctp 2>&1)
lb_expect_eq "no backend: the association is refused" refused "$(awk '{print $2}' <<<"$out")"
out=$(dp_stat "$node" "$svc" '.stats.rejects >= 1')
lb_expect_eq "stats: the refusal is counted" true "$out"

# IPv6, with socat's SCTP6 client.
# shellcheck disable=SC2317 # called through lb_check
conf6() {
	lbctl -N "$node" service add "$svc6" &&
		lbctl -N "$node" backend add "$svc6" "[$(dp_be6_ip 1)]:$BPORT"
}
lb_check "service $svc6 with be1" conf6
out=$(sctp_peer "$client" "$VIP6")
lb_expect_eq "IPv6 SCTP to [VIP6]:$VPORT reaches be1, client address kept" "be1 $CLIENT6" "$out"

lb_exit
