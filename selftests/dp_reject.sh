#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A service without a usable backend refuses new connections instead of
# black-holing them: TCP gets a reset, UDP an ICMP (ICMPv6) port
# unreachable, both seen by the client as "Connection refused", and fast
# (a dropped SYN would only fail at the client's connect timeout). IPv4 and
# IPv6; "no usable backend" covers no backend at all, only a terminating
# backend, and only a backend of weight 0. Every refusal is counted in the
# service's rejects counter.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 24

BE1_6=$(lb_be6_ip 1)

lb_check "1 backend, servers; IPv4 and IPv6, TCP and UDP services with be1" \
	lb_dp_setup 1 be1/tcp/4 be1/udp/4 be1/tcp/6 be1/udp/6 -- \
	"$VIP:$VPORT/tcp=be1" "[$VIP6]:$VPORT/tcp=be1" "$VIP:$VPORT/udp=be1" "[$VIP6]:$VPORT/udp=be1"

out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "IPv4 TCP works with a backend" "be1 $CLIENT_IP" "$out"
out=$(lb_udp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "IPv4 UDP works with a backend" "be1 $CLIENT_IP" "$out"
out=$(lb_tcp "$LB_CLIENT" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "IPv6 TCP works with a backend" "be1 $CLIENT6" "$out"
out=$(lb_udp "$LB_CLIENT" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "IPv6 UDP works with a backend" "be1 $CLIENT6" "$out"

# refused DESC NS ADDR tcp|udp: a new connection (one SYN) or flow (one
# datagram) must be refused (reset, ICMP port unreachable) within
# LB_FAST_SECS. lb_traffic times it from its own first packet, so
# the start-up of processes in a loaded emulated VM does not count; a
# dropped packet would run into its 10 s limit instead.
refused() {
	local desc=$1 ns=$2 addr=$3 proto=$4 out tag ms
	if [ "$proto" = tcp ]; then
		out=$(lb_traffic "$ns" conns -t 10 -m tcp "$addr" "$VPORT" 2>&1)
	else
		out=$(lb_traffic "$ns" conns -n 1 -w 10 -m udp "$addr" "$VPORT" 2>&1)
	fi
	read -r _ tag ms <<<"$out"
	if [ "$tag" = refused ] && [ "${ms:-99999}" -le $((LB_FAST_SECS * 1000)) ] 2>/dev/null; then
		lb_ok "$desc"
		lb_diag "refused after ${ms}ms"
	else
		lb_not_ok "$desc" "want: refused within $((LB_FAST_SECS * 1000))ms" "got: $out"
	fi
}

# shellcheck disable=SC2317 # called through lb_check
unconf() {
	local p
	for p in tcp udp; do
		lbctl -N "$LB_NODE" backend del "$VIP:$VPORT/$p" "$BE1_IP:$BPORT" || return 1
		lbctl -N "$LB_NODE" backend del "[$VIP6]:$VPORT/$p" "[$BE1_6]:$BPORT" || return 1
	done
}
lb_check "delete every backend" unconf

refused "no backend: IPv4 TCP is reset" "$LB_CLIENT" "$VIP" tcp
refused "no backend: IPv4 UDP gets port unreachable" "$LB_CLIENT" "$VIP" udp
refused "no backend: IPv6 TCP is reset" "$LB_CLIENT" "$VIP6" tcp
refused "no backend: IPv6 UDP gets ICMPv6 port unreachable" "$LB_CLIENT" "$VIP6" udp

# As the one-shot client (lb_ask) reports it, for a user checking by hand.
out=$(lb_udp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'Connection refused' <<<"$out"; then
	lb_ok "no backend: the one-shot UDP client says Connection refused"
else
	lb_not_ok "no backend: the one-shot UDP client says Connection refused" "exit $rc" "$out"
fi

# The node's own connections (LOCAL_OUT) are refused too.
refused "no backend: TCP from the node itself is reset" "$LB_NODE" "$VIP" tcp

# A backend that is there but not usable is the same as none.
lb_cfg "backend add be1 state terminating" \
	lbctl -N "$LB_NODE" backend add "$VIP:$VPORT/tcp" "$BE1_IP:$BPORT" state terminating
refused "only a terminating backend: TCP is reset" "$LB_CLIENT" "$VIP" tcp
lb_cfg "backend set be1 state maintenance" \
	lbctl -N "$LB_NODE" backend set "$VIP:$VPORT/tcp" "$BE1_IP:$BPORT" state maintenance
refused "only a backend in maintenance: TCP is reset" "$LB_CLIENT" "$VIP" tcp
lb_cfg "backend set be1 weight 0" \
	lbctl -N "$LB_NODE" backend set "$VIP:$VPORT/tcp" "$BE1_IP:$BPORT" weight 0
refused "only a backend of weight 0: TCP is reset" "$LB_CLIENT" "$VIP" tcp
lb_cfg "backend set be1 (active, weight 1)" \
	lbctl -N "$LB_NODE" backend set "$VIP:$VPORT/tcp" "$BE1_IP:$BPORT"
out=$(lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "usable again: IPv4 TCP works" "be1 $CLIENT_IP" "$out"

# Counters: 5 refused IPv4 TCP connections (client x4, node x1), 2
# successful ones; 2 refused IPv4 UDP flows (conns, one-shot), 1 successful.
out=$(lb_stat "$LB_NODE" "$VIP:$VPORT/tcp" '"\(.stats.conns) \(.stats.rejects) \(.stats.drops)"')
lb_expect_eq "stats $VIP:$VPORT/tcp: conns 2 rejects 5 drops 0" "2 5 0" "$out"
out=$(lb_stat "$LB_NODE" "$VIP:$VPORT/udp" '"\(.stats.conns) \(.stats.rejects) \(.stats.drops)"')
lb_expect_eq "stats $VIP:$VPORT/udp: conns 1 rejects 2 drops 0" "1 2 0" "$out"
out=$(lb_stat "$LB_NODE" "[$VIP6]:$VPORT/tcp" '"\(.stats.conns) \(.stats.rejects)"')
lb_expect_eq "stats [$VIP6]:$VPORT/tcp: conns 1 rejects 1" "1 1" "$out"
out=$(lb_stat "$LB_NODE" "[$VIP6]:$VPORT/udp" '"\(.stats.conns) \(.stats.rejects)"')
lb_expect_eq "stats [$VIP6]:$VPORT/udp: conns 1 rejects 1" "1 1" "$out"

lb_exit
