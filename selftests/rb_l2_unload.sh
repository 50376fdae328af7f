#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# L2 announcements under ARP and neighbour solicitation floods (topology in
# l2_lib.sh): the node announces an IPv4 and an IPv6 address on e0, the
# namespace "other" announces its own on o0, and "out" floods both with
# requests.
#
# 1. The floods are answered.
# 2. `ip netns del` of "other" while its flood runs: the node's answers go
#    on, the kernel logs no warning.
# 3. `rmmod lbipam` while the node's flood runs: it succeeds within 60 s,
#    with the hooks, the solicited-node group and the device references
#    released (e0 leaves the group, the kernel logs no warning).
# 4. `modprobe lbipam` again: nothing survived; the max_l2 cap holds.
#
# Runs only in the test VM (it unloads the module: see lb_require_vm).

# Helpers below are called through lb_check:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=l2_lib.sh
source "$(dirname "$0")/l2_lib.sh"
# shellcheck source-path=SCRIPTDIR source=rb_lib.sh
source "$(dirname "$0")/rb_lib.sh"

l2_require
lb_require_tools rmmod modprobe dmesg
lb_require_vm
lb_plan 17

node=$L2_NODE
out=$L2_OUT

# answered FILE: the flood whose output is FILE got answers.
answered() {
	local n
	n=$(awk '{ print $4 }' "$1")
	echo "flood: $(cat "$1")"
	[ -n "$n" ] && [ "$n" -gt 0 ]
}

lb_dmesg_mark
lb_check "build topology" l2_topology
lb_check "announce $VIP and $VIP6 on the node's e0" lbctl -N "$node" -b - <<B
l2 add $VIP dev e0
l2 add $VIP6 dev e0
B
lb_check "announce $VIP2 and $VIP6_2 on other's o0" lbctl -N "$L2_OTHER" -b - <<B
l2 add $VIP2 dev o0
l2 add $VIP6_2 dev o0
B

l2_probe "$out" -t 3 flood eth0 "$VIP" "$VIP6" >"$LB_TMP/f1" 2>&1
lb_check "a 3 s flood of the node is answered" answered "$LB_TMP/f1"

# Long floods in the background for the rest of the test.
lb_bg ip netns exec "$out" "$LB_L2PROBE" -t 600 flood eth0 "$VIP" "$VIP6"
lb_bg ip netns exec "$out" "$LB_L2PROBE" -t 600 flood eth2 "$VIP2" "$VIP6_2"
sleep 1

lb_check "ip netns del other while its flood runs" ip netns del "$L2_OTHER"
out_=$(l2_probe "$out" arp eth0 "$VIP" 2>&1)
lb_expect_eq "the node still answers ARP" "$(l2_mac "$node" e0)" "$out_"
lb_check "no kernel warnings after deleting a flooded netns" rb_dmesg_clean

lb_check "e0 is in $VIP6's solicited-node group" \
	eval "ip -n '$node' -6 maddr show dev e0 | grep -qw ff02::1:ff00:10"
lb_timed rb_unload
lb_result "$LB_RC" "rmmod lbipam while the node is flooded" "$LB_OUT"
lb_diag "rmmod took ${LB_MS} ms"
lb_check "no kernel warnings after rmmod" rb_dmesg_clean
lb_check_fail "e0 left the solicited-node group with the module" \
	eval "ip -n '$node' -6 maddr show dev e0 | grep -qw ff02::1:ff00:10"
out_=$(l2_probe "$out" -t 2 arp eth0 "$VIP" 2>&1)
lb_expect_eq "with the module gone nobody answers ARP for $VIP" timeout "$out_"

lb_check "modprobe lbipam again" modprobe lbipam
out_=$(lbctl -N "$node" -j l2 list 2>&1 | tr -d ' \t\n')
lb_expect_eq "no announcement survives the reload" "[]" "$out_"
# The per-namespace cap (module parameter max_l2), with the module fresh.
param=/sys/module/lbipam/parameters/max_l2
max=$(cat "$param")
echo 1 >"$param"
lb_cfg "with max_l2=1 one announcement is made" \
	lbctl -N "$node" l2 add "$VIP" dev e0
out_=$(lbctl -N "$node" l2 add "$VIP2" dev e0 2>&1)
lb_expect_eq "a second one is refused (ENOSPC)" \
	"2 lbctl: Error: L2 announcement limit reached (module parameter max_l2)" "$? $out_"
echo "$max" >"$param"
lb_check "deleting the node's namespace after the reload" ip netns del "$node"
lb_exit
