#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One-packet scheduling (service flag one-packet, IPVS's --ops). A UDP
# client that always sends from one source port (a DNS forwarder) is one
# conntrack flow: without the flag, all its datagrams reach the backend of
# the first. With it, each datagram is scheduled on its own, and the
# replies still come back from the VIP:
#
#   client --> node (lbipam) --> be1, be2   (UDP VIP:VPORT, IPv4 and IPv6)
#
# Every client here is one connected socket (lb_traffic dgrams), which
# takes only datagrams from the VIP: an answer is a translated reply.
#   (a) without the flag, 20 datagrams from one port all reach one backend;
#   (b) with it, the same port's datagrams reach both, none lost, sent one
#       at a time and in bursts of 10 (so that several are in flight to one
#       backend at once: both replies must come back); the flow holds one
#       conntrack entry per backend, each in a zone; every datagram counts
#       as a connection of the service;
#   (c) the same for the node's own datagrams (LOCAL_OUT) and for IPv6;
#   (d) TCP services are refused the flag with a message naming it;
#   (e) clearing the flag binds the flow to one backend again.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack python3
lb_plan 26

svc="$VIP:$VPORT/udp"
svc6="[$VIP6]:$VPORT/udp"
tsvc="$VIP:$VPORT/tcp"
SPORT=40053
N=40

lb_check "topology with 2 backends, UDP servers, $svc and $svc6" \
	lb_dp_setup 2 all/udp/4 all/udp/6 -- "$svc=be1+be2" "$svc6=be1+be2"
# No entry may expire by itself meanwhile: only the module deletes them.
lb_check "UDP conntrack timeouts of an hour in the node" \
	ip netns exec "$LB_NODE" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
	net.netfilter.nf_conntrack_udp_timeout_stream=3600

# dgrams NS ADDR COUNT [OPTION...]: COUNT datagrams from SPORT in NS to
# ADDR:VPORT, the summary "TAG COUNT..." of who answered.
dgrams() {
	local ns=$1 addr=$2 n=$3
	shift 3
	lb_traffic "$ns" dgrams -q -c "$n" -s "$SPORT" -w 3 "$@" udp "$addr" "$VPORT"
}

# spread DESC SUMMARY N: both backends answered, N answers in all, nothing
# lost or refused.
spread() {
	local a b
	a=$(sed -n 's/.*be1 \([0-9]*\).*/\1/p' <<<"$2")
	b=$(sed -n 's/.*be2 \([0-9]*\).*/\1/p' <<<"$2")
	if [[ $2 =~ ^be1\ [0-9]+\ be2\ [0-9]+$ ]] && [ $((a + b)) -eq "$3" ]; then
		lb_ok "$1"
		lb_diag "$2"
	else
		lb_not_ok "$1" "want: 'be1 N be2 M', N + M = $3, no lost or refused" "got: '$2'"
	fi
}

# ct_flow: the node's conntrack entries of the client's flow.
ct_flow() {
	lb_conntrack "$LB_NODE" -p udp --orig-src "$CLIENT_IP" --orig-dst "$VIP" \
		--sport "$SPORT" --dport "$VPORT"
}

# shellcheck disable=SC2317 # called through lb_check
ct_flow_gone() {
	local i
	for ((i = 0; i < LB_TIMEOUT * 5; i++)); do
		if [ -z "$(ct_flow)" ]; then
			return 0
		fi
		sleep 0.2
	done
	echo "the flow's entries are still there:" >&2
	ct_flow >&2
	return 1
}

# one_backend NAME: 20 datagrams from one port, all to one backend.
one_backend() {
	local out

	out=$(dgrams "$LB_CLIENT" "$VIP" 20)
	if [[ $out =~ ^be[12]\ 20$ ]]; then
		lb_ok "$1"
	else
		lb_not_ok "$1" "want: 'be1 20' or 'be2 20'" "got: '$out'"
	fi
}

# (a) One flow, one backend.
one_backend "(a) without one-packet, 20 datagrams from one port reach one backend"
out=$(ct_flow)
lb_expect_eq "(a) ... through one conntrack entry of the default zone" \
	"1 0" "$(grep -c . <<<"$out") $(grep -c zone <<<"$out")"

# (b) The flag.
lb_cfg "service set $svc one-packet" lbctl -N "$LB_NODE" service set "$svc" one-packet
out=$(lbctl -N "$LB_NODE" -j service show "$svc" | jq -c '[.[0].one_packet, .[0].masquerade]')
lb_expect_eq "-j service show reports one_packet" "[true,false]" "$out"
out=$(lbctl -N "$LB_NODE" service show "$svc" | head -n 1)
lb_expect_eq "service show, text: one-packet" "$svc one-packet" "$out"
lb_check "(b) setting the flag deleted the flow's entry" ct_flow_gone

conns0=$(lb_stat "$LB_NODE" "$svc" .stats.conns)
spread "(b) one datagram at a time: both backends answer, from the VIP, none lost" \
	"$(dgrams "$LB_CLIENT" "$VIP" "$N")" "$N"
ct=$(ct_flow)
n=$(grep -c . <<<"$ct")
z=$(grep -c zone <<<"$ct")
r=$(sed -n 's/.*dport=[0-9]* .*src=\([0-9.]*\) dst=.*/\1/p' <<<"$ct" | sort | tr '\n' ' ')
lb_expect_eq "(b) the flow holds one entry per backend, each in a zone" \
	"2 2 $BE1_IP $BE2_IP " "$n $z $r"
spread "(b) bursts of 10 in flight: every reply comes back, from both backends" \
	"$(dgrams "$LB_CLIENT" "$VIP" "$N" -B 10)" "$N"
conns=$(lb_stat "$LB_NODE" "$svc" .stats.conns)
lb_expect_eq "(b) every datagram counts as a connection of the service" \
	"$((2 * N))" "$((conns - conns0))"

# (c) The node's own datagrams, and IPv6.
spread "(c) the node's own datagrams (LOCAL_OUT) reach both backends" \
	"$(dgrams "$LB_NODE" "$VIP" 20)" 20
lb_cfg "service set $svc6 one-packet" lbctl -N "$LB_NODE" service set "$svc6" one-packet
spread "(c) IPv6: both backends answer, none lost" \
	"$(dgrams "$LB_CLIENT" "$VIP6" 20)" 20
spread "(c) IPv6, bursts of 10: every reply comes back" \
	"$(dgrams "$LB_CLIENT" "$VIP6" 20 -B 10)" 20

# (d) Not for TCP: lbctl says so itself, the kernel too (lb_genl.py sends
# what lbctl will not), and nothing changes.
lb_cfg "service add $tsvc" lbctl -N "$LB_NODE" service add "$tsvc"
out=$(lbctl -N "$LB_NODE" service set "$tsvc" one-packet 2>&1)
lb_expect_eq "(d) lbctl refuses one-packet for a TCP service" \
	"lbctl: one-packet is for UDP services only, not tcp" "$out"
genl() {
	ip netns exec "$LB_NODE" python3 "$LB_SELFTEST_DIR/lb_genl.py" "$@" 2>&1
}
flag=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import lbipam_uapi as U; print(U.LBIPAM_SVC_F_ONE_PACKET)' "$LB_SELFTEST_DIR")
out=$(genl service-set svc addr4="$VIP" port="$VPORT" proto=6 flags="$flag")
lb_expect_eq "(d) the kernel refuses one-packet for an existing TCP service" \
	"EINVAL one-packet scheduling is for UDP services only" "${out% (offset*}"
out=$(genl service-new svc addr4="$VIP" port=$((VPORT + 1)) proto=132 flags="$flag")
lb_expect_eq "(d) ... and for a new SCTP service" \
	"EINVAL one-packet scheduling is for UDP services only" "${out% (offset*}"
out=$(lbctl -N "$LB_NODE" -j service list |
	jq -c '[.[] | select(.protocol != "udp") | [.protocol, .port, .one_packet]]')
lb_expect_eq "(d) nothing changed: the TCP service has no one-packet, no SCTP service" \
	"[[\"tcp\",$VPORT,false]]" "$out"

# (e) Clearing the flag: one flow, one backend again.
lb_cfg "service set $svc (one-packet cleared)" lbctl -N "$LB_NODE" service set "$svc"
lb_check "(e) clearing the flag deleted the flow's entries" ct_flow_gone
one_backend "(e) without one-packet again, 20 datagrams reach one backend"
out=$(ct_flow | grep -c .)
lb_expect_eq "(e) ... through one conntrack entry" 1 "$out"
out=$(ct_flow | grep -c zone)
lb_expect_eq "(e) ... of the default zone" 0 "$out"

lb_exit
