#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Connections conntrack confirmed before lbipam could translate them.
#
# The NAT core binds a connection only while its entry is unconfirmed, but
# the entry's packets stay "new" until a reply is seen. So:
#
#   (a) a TCP client connects to the VIP before the service exists, while
#       another conntrack user (an iptables conntrack match) tracks the
#       node's traffic but no NAT hook is up. Its SYN goes nowhere; its
#       entry is confirmed untranslated. "service add" must delete that
#       entry, so that a retransmitted SYN makes a new one that is
#       translated and the very same connect() succeeds, counted once;
#   (b) an untranslated, unanswered UDP entry that exists once the service
#       does (inserted with conntrack -I, as another conntrack user could
#       make it) is left alone, and its packets are not counted as the
#       service's connections: nothing translates them. Deleting the entry
#       makes the next datagram a counted, translated connection;
#   (c) an untranslated entry that was answered is not deleted by
#       "service add"; an unanswered one is.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack iptables
lb_plan 21

tsvc="$VIP:$VPORT/tcp"
usvc="$VIP:$VPORT/udp"

lb_check "topology with 1 backend, TCP and UDP servers, no service" \
	lb_dp_setup 1 be1/tcp/4 be1/udp/4

# reply_src PROTO ARGS...: the reply source of the node's conntrack entries
# to the VIP matching ARGS (the VIP when untranslated), one per line.
# shellcheck disable=SC2317 # called through wait_reply_src
reply_src() {
	local proto=$1
	shift
	lb_conntrack "$LB_NODE" -p "$proto" --orig-dst "$VIP" "$@" |
		sed -n 's/.*dport=[0-9]* .*src=\([0-9.]*\) dst=.*/\1/p'
}

# wait_reply_src PROTO WANT ARGS...: poll until the entries' reply sources,
# as one line, are WANT ("" for no entry).
# shellcheck disable=SC2317 # called through lb_check
wait_reply_src() {
	local proto=$1 want=$2 i got
	shift 2
	for ((i = 0; i < LB_TIMEOUT * 5; i++)); do
		got=$(reply_src "$proto" "$@" | tr '\n' ' ' | sed 's/ $//')
		if [ "$got" = "$want" ]; then
			return 0
		fi
		sleep 0.2
	done
	echo "reply sources '$got', want '$want'" >&2
	lb_conntrack "$LB_NODE" >&2
	return 1
}

# shellcheck disable=SC2317 # called through lb_check
node_ipt() {
	ip netns exec "$LB_NODE" iptables -w "$@"
}

# (a) Conntrack on in the node, with no NAT hook: what a node looks like
# before its first service of the family.
lb_check "iptables conntrack match in the node (conntrack without NAT)" \
	node_ipt -A FORWARD -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT

# One connect() that lives through all SYN retransmissions (1, 3, 7, 15, 31
# and 63 s after the first, 127 s in all): in a loaded emulated VM the
# steps below may take longer than the first few intervals.
lb_traffic_bg "$LB_CLIENT" "$LB_TMP/tcp" ask -t 150 -w 2 tcp "$VIP" "$VPORT"
lb_check "(a) before the service: the SYN has an untranslated entry" \
	wait_reply_src tcp "$VIP"

# No retransmission may arrive while the service has no backend yet (it
# would be refused): hold them back before conntrack sees them.
lb_check "(a) retransmissions held back in the node (raw table)" \
	node_ipt -t raw -I PREROUTING -p tcp -d "$VIP" -j DROP
lb_cfg "(a) service add $tsvc" lbctl -N "$LB_NODE" service add "$tsvc"
lb_cfg "(a) backend add be1" lbctl -N "$LB_NODE" backend add "$tsvc" "$BE1_IP:$BPORT"
lb_check "(a) service add deleted the untranslated TCP entry" \
	wait_reply_src tcp ""
lb_check "(a) retransmissions let through again" \
	node_ipt -t raw -D PREROUTING -p tcp -d "$VIP" -j DROP
lb_check "(a) the same connect() reaches be1 through a retransmitted SYN" \
	lb_wait_grep "$LB_TMP/tcp" "^be1 $CLIENT_IP\$" 140
lb_expect_eq "(a) the service counted one connection" 1 \
	"$(lb_stat "$LB_NODE" "$tsvc" .stats.conns)"

# (c) Before the UDP service: an answered and an unanswered untranslated
# entry, as a node's conntrack can hold them.
# ct_ins SPORT [ARG...]: an untranslated UDP entry CLIENT:SPORT -> VIP.
# shellcheck disable=SC2317 # called through lb_check
ct_ins() {
	ip netns exec "$LB_NODE" conntrack -I -p udp -s "$CLIENT_IP" -d "$VIP" \
		--sport "$1" --dport "$VPORT" -t 120 "${@:2}"
}
# shellcheck disable=SC2317 # called through lb_check
ct_ins_both() {
	ct_ins 40010 -u SEEN_REPLY && ct_ins 40011
}
lb_check "(c) untranslated UDP entries: one answered, one not" ct_ins_both
lb_cfg "service add $usvc" lbctl -N "$LB_NODE" service add "$usvc"
lb_cfg "backend add be1" lbctl -N "$LB_NODE" backend add "$usvc" "$BE1_IP:$BPORT"
lb_check "(c) service add deleted the unanswered entry" \
	wait_reply_src udp "" --sport 40011
lb_check "(c) ... and kept the answered one" \
	wait_reply_src udp "$VIP" --sport 40010

# (b) An unanswered, untranslated entry made after the service.
lb_check "(b) an untranslated UDP entry after the service exists" \
	ct_ins 40001
lb_udp_from() {
	lb_ask "$LB_CLIENT" udp "$VIP" "$VPORT" "$LB_TIMEOUT" -s "$1"
}
out=$(lb_udp_from 40001; lb_udp_from 40001)
lb_expect_eq "(b) its datagrams are not translated" "" "$(grep '^be' <<<"$out")"
lb_expect_eq "(b) ... nor counted as connections of the service" 0 \
	"$(lb_stat "$LB_NODE" "$usvc" .stats.conns)"
lb_check "(b) its entry is still the untranslated one" \
	wait_reply_src udp "$VIP" --sport 40001
lb_check "(b) conntrack -D of that entry" \
	ip netns exec "$LB_NODE" conntrack -D -p udp --orig-dst "$VIP" --sport 40001
out=$(lb_udp_from 40001)
lb_expect_eq "(b) then its next datagram reaches be1, counted once" \
	"be1 $CLIENT_IP 1" "$out $(lb_stat "$LB_NODE" "$usvc" .stats.conns)"

lb_exit
