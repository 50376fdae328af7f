#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# L2 announcements, IPv4 (ARP): the module answers ARP requests for an
# announced address on the announced interface only, with that
# interface's MAC, so that a neighbour on the segment (namespace "out",
# topology in l2_lib.sh) sends the VIP's traffic to the node, where the
# service translates it. A new announcement sends one gratuitous ARP; a
# deleted one stops the answers; an interface that goes takes its
# announcements; the counters count what was answered and announced; bad
# requests are refused with their errno and change nothing.
#
# The VIP is not configured on the node: every answer seen is the
# module's (the first check shows that the node's kernel stays silent).

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=l2_lib.sh
source "$(dirname "$0")/l2_lib.sh"

l2_require
lb_plan 34

node=$L2_NODE
out=$L2_OUT

lb_dmesg_mark
lb_check "build topology out - bridge - node (e0, e1) - backend, other" l2_topology
lb_check "backend server listens on tcp $BPORT" lb_serve "$L2_BE,be1,tcp,4,$BPORT"
lb_check "service $VIP:$VPORT/tcp with backend $BE1_IP:$BPORT" \
	lb_svc "$node" "$VIP:$VPORT/tcp" -- "$BE1_IP:$BPORT"
e0mac=$(l2_mac "$node" e0)
e0idx=$(l2_ifindex "$node" e0)

out_=$(l2_probe "$out" -t 2 arp eth0 "$VIP" 2>&1)
lb_expect_eq "before the announcement nobody answers ARP for $VIP" timeout "$out_"

# --- takeover: one gratuitous ARP when the announcement is made ---
l2_check_takeover "watch for gratuitous ARPs on the segment" "$VIP" \
	"one gratuitous ARP request for $VIP from e0's MAC" "garp $VIP $e0mac op=1"

# --- answers ---
out_=$(l2_probe "$out" arp eth0 "$VIP" 2>&1)
lb_expect_eq "ARP for $VIP on the segment: e0's MAC" "$e0mac" "$out_"
out_=$(l2_probe "$out" arp eth0 "$VIP" 2>&1)
lb_expect_eq "a second ARP request is answered too" "$e0mac" "$out_"
l2_check_scope arp "$VIP" 10.0.1.1 203.0.113.99

# --- another namespace, an interface with e0's very index ---
l2_check_other_ns arp "$VIP" "$VIP2"

# --- counters: two answers, one announcement ---
lb_expect_eq "l2 list: $VIP on e0, answers 2, announces 1" \
	"$VIP $e0idx 2 1" "$(l2_list "$node")"
out_=$(lbctl -N "$node" l2 list 2>&1)
lb_expect_eq "l2 list (text)" "$VIP dev e0 answers 2 announces 1" "$out_"
out_=$(lbctl -N "$node" stats "$VIP" 2>&1)
lb_expect_eq "stats $VIP: its L2 counters" "$VIP dev e0 answers 2 announces 1" "$out_"
out_=$(lbctl -N "$node" stats 192.0.2.99 2>&1)
lb_expect_eq "stats of an address not announced is an error" \
	"lbctl: 192.0.2.99 is neither a service nor an announced address" "$out_"

# --- the announced address carries the service ---
out_=$(lb_tcp "$out" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "TCP from the segment to $VIP:$VPORT reaches be1" "be1 $OUT_IP" "$out_"

# --- bad requests: refused with their errno, nothing changes ---
before=$(l2_list "$node" | cut -d' ' -f1,2)
l2_check_refused "$VIP" "$VIP" addr4="$VIP"
out_=$(l2_genl "$node" l2-new l2 addr4=224.0.0.5 ifindex="$e0idx" 2>&1)
lb_expect_eq "a multicast address is refused (EINVAL)" \
	"EINVAL L2 address must be a unicast IPv4 address (not 0.0.0.0/8, loopback, multicast or broadcast)" \
	"$out_"
out_=$(l2_genl "$node" l2-del l2 addr4="$VIP2" ifindex="$e0idx" 2>&1)
lb_expect_eq "deleting what is not announced is refused (ENOENT)" \
	"ENOENT address is not announced on this interface" "$out_"
lb_expect_eq "the refused requests changed nothing" \
	"$before" "$(l2_list "$node" | cut -d' ' -f1,2)"

# --- l2 del stops the answers ---
lb_cfg "l2 del $VIP dev e0" lbctl -N "$node" l2 del "$VIP" dev e0
out_=$(l2_probe "$out" -t 2 arp eth0 "$VIP" 2>&1)
lb_expect_eq "after l2 del nobody answers for $VIP" timeout "$out_"

# --- an interface that goes takes its announcements ---
e1idx=$(l2_ifindex "$node" e1)
lb_check "a monitor of the node is subscribed" \
	l2_monitor "$node" e0 "$LB_TMP/mon"
mon=$LB_PID
l2_check_iface_gone "$VIP"
lb_check "monitor saw the l2_del event of e1's announcement" \
	lb_wait_grep "$LB_TMP/mon" "\"event\":\"l2_del\".*\"address\":\"$VIP\".*\"ifindex\":$e1idx" 5
kill "$mon" 2>/dev/null

bad=$(lb_dmesg_new | grep -E "$LB_DMESG_BAD")
lb_expect_eq "no kernel warnings" "" "$bad"
lb_exit
