#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# L2 announcements, IPv6 (NDP): the module answers neighbour solicitations
# for an announced address on the announced interface only (topology in
# l2_lib.sh): multicast to the solicited-node group and unicast ones with a
# solicited advertisement (override, target link-layer address = the
# interface's MAC) to the asker, a DAD probe (from ::) to all-nodes. The
# interface joins the solicited-node group while the address is announced
# (the bridge, which snoops MLD, learns it). A new announcement sends one
# unsolicited advertisement; l2 del stops the answers and leaves the group;
# an interface that goes takes its announcements; counters; bad requests.
#
# The VIP is not configured on the node: every answer seen is the module's.

# Helpers below are called through lb_check:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=l2_lib.sh
source "$(dirname "$0")/l2_lib.sh"

l2_require
lb_plan 35

node=$L2_NODE
out=$L2_OUT
# The solicited-node group of $VIP6 (2001:db8:ff::10).
snm=ff02::1:ff00:10

# in_maddr NS DEV GROUP: DEV of NS is a member of GROUP.
in_maddr() {
	ip -n "$1" -6 maddr show dev "$2" | grep -qw "$3"
}

# in_mdb GROUP: the bridge learnt (MLD snooping) that port p1 wants GROUP.
in_mdb() {
	local i
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if bridge -n "$L2_SW" mdb show dev br0 | grep -w p1 | grep -qw "$1"; then
			return 0
		fi
		sleep 0.1
	done
	bridge -n "$L2_SW" mdb show
	return 1
}

lb_dmesg_mark
lb_check "build topology out - bridge - node (e0, e1) - backend, other" l2_topology
lb_check "backend server listens on tcp $BPORT (IPv6)" lb_serve "$L2_BE,be1,tcp,6,$BPORT"
lb_check "service [$VIP6]:$VPORT/tcp with backend [$BE6]:$BPORT" \
	lb_svc "$node" "[$VIP6]:$VPORT/tcp" -- "[$BE6]:$BPORT"
e0mac=$(l2_mac "$node" e0)
e0idx=$(l2_ifindex "$node" e0)
outll=$(ip -n "$out" -j -6 addr show dev eth0 |
	jq -r '.[].addr_info[] | select(.scope == "link") | .local')

out_=$(l2_probe "$out" -t 2 ns eth0 "$VIP6" 2>&1)
lb_expect_eq "before the announcement nobody answers a solicitation for $VIP6" \
	timeout "$out_"
lb_check_fail "e0 is not in $VIP6's solicited-node group yet" in_maddr "$node" e0 "$snm"

# --- takeover: one unsolicited advertisement ---
l2_check_takeover "watch for unsolicited advertisements on the segment" "$VIP6" \
	"one unsolicited NA for $VIP6 to ff02::1, override, e0's MAC" \
	"na $VIP6 $e0mac S=0 O=1 dst=ff02::1"
lb_check "e0 joined $VIP6's solicited-node group $snm" in_maddr "$node" e0 "$snm"
lb_check "the bridge learnt $snm on the node's port (MLD snooping)" in_mdb "$snm"

# --- answers ---
out_=$(l2_probe "$out" ns eth0 "$VIP6" 2>&1)
lb_expect_eq "multicast solicitation: solicited NA with e0's MAC, to the asker" \
	"$e0mac S=1 O=1 dst=$outll" "$out_"
out_=$(l2_probe "$out" ns eth0 "$VIP6" "$e0mac" 2>&1)
lb_expect_eq "unicast solicitation (neighbour unreachability detection): the same" \
	"$e0mac S=1 O=1 dst=$outll" "$out_"
out_=$(l2_probe "$out" dad eth0 "$VIP6" 2>&1)
lb_expect_eq "DAD probe (from ::): NA to all-nodes, not solicited" \
	"$e0mac S=0 O=1 dst=ff02::1" "$out_"
l2_check_scope ns "$VIP6" 2001:db8:11::1 2001:db8:ff::99

# --- another namespace, an interface with e0's very index ---
l2_check_other_ns ns "$VIP6" "$VIP6_2"

# --- counters: three answers, one announcement ---
lb_expect_eq "l2 list: $VIP6 on e0, answers 3, announces 1" \
	"$VIP6 $e0idx 3 1" "$(l2_list "$node")"

# --- the announced address carries the service ---
out_=$(lb_tcp "$out" "$VIP6" "$VPORT" 2>&1)
lb_expect_eq "TCP from the segment to [$VIP6]:$VPORT reaches be1" "be1 $OUT6" "$out_"

# --- bad requests: refused with their errno, nothing changes ---
before=$(l2_list "$node" | cut -d' ' -f1,2)
l2_check_refused "$VIP6" "$VIP6_2" addr6="$VIP6_2"
out_=$(l2_genl "$node" l2-new l2 addr6=:: ifindex="$e0idx" 2>&1)
lb_expect_eq "the unspecified address is refused (EINVAL)" \
	"EINVAL L2 address must be a unicast IPv6 address (not ::, ::1 or multicast)" "$out_"
out_=$(l2_genl "$node" l2-new l2 addr4="$VIP" addr6="$VIP6_2" ifindex="$e0idx" 2>&1)
lb_expect_eq "two addresses are refused (EINVAL)" \
	"EINVAL L2 announcement needs exactly one address attribute (ADDR4 or ADDR6) (offset 20)" "$out_"
lb_expect_eq "the refused requests changed nothing" \
	"$before" "$(l2_list "$node" | cut -d' ' -f1,2)"
lb_check_fail "the refused requests joined no group for $VIP6_2" \
	in_maddr "$node" e0 ff02::1:ff00:11

# --- l2 del stops the answers and leaves the group ---
lb_cfg "l2 del $VIP6 dev e0" lbctl -N "$node" l2 del "$VIP6" dev e0
out_=$(l2_probe "$out" -t 2 ns eth0 "$VIP6" "$e0mac" 2>&1)
lb_expect_eq "after l2 del nobody answers for $VIP6" timeout "$out_"
lb_check_fail "after l2 del e0 left $snm" in_maddr "$node" e0 "$snm"

# --- an interface that goes takes its announcements ---
l2_check_iface_gone "$VIP6"

bad=$(lb_dmesg_new | grep -E "$LB_DMESG_BAD")
lb_expect_eq "no kernel warnings" "" "$bad"
lb_exit
