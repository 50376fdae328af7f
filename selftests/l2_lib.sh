# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Constants here are used by the sourcing tests:
# shellcheck disable=SC2034
#
# Shared by the L2 announcement tests (l2_arp.sh, l2_ndp.sh,
# rb_l2_unload.sh); source after lib.sh. Topology built by l2_topology:
#
#    PREFIX-out                PREFIX-sw         PREFIX-node          PREFIX-be1
#   +-----------------+      +-----------+      +----------------+   +----------------+
#   | eth0 192.0.2.2  +------+ p0 br0 p1 +------+ e0 192.0.2.1   |   |                |
#   |   2001:db8:1::2 |      +-----------+      |  2001:db8:1::1 |   | eth0           |
#   | eth1 10.0.1.2   +-------------------------+ e1 10.0.1.1    | b1+ 198.51.100.2   |
#   |   2001:db8:11::2|                         |  2001:db8:11::1+---+ 2001:db8:2::2  |
#   | eth2 10.0.2.2   +------+                  +----------------+   +----------------+
#   |   2001:db8:12::2|      |   PREFIX-other: o0 10.0.2.1, 2001:db8:12::1,
#   +-----------------+      +-- with the same ifindex as the node's e0
#
# The VIPs are on-link for "out" (routes via eth0), so it asks for them
# with ARP and neighbour solicitations on the bridge, as a router of the
# segment would. Only e0 is announced on; e1 is a second interface of the
# node on another link, and "other" a namespace whose interface has e0's
# index, so that an answer keyed on the index alone would show. No DAD
# anywhere: addresses are usable at once (also the link-local ones the
# module sends its advertisements from).

LB_L2PROBE=$LB_SELFTEST_DIR/lb_l2probe
L2_OUT=$LB_RUN-out
L2_SW=$LB_RUN-sw
L2_NODE=$LB_RUN-node
L2_BE=$LB_RUN-be1
L2_OTHER=$LB_RUN-other
readonly OUT_IP=192.0.2.2
readonly OUT6=2001:db8:1::2
readonly VIP6_2=2001:db8:ff::11
readonly BE6=2001:db8:2::2

# l2_require: what every L2 test needs beyond lb_require.
l2_require() {
	lb_require
	lb_require_tools jq bridge python3
	if [ ! -x "$LB_L2PROBE" ]; then
		lb_skip_or_fail "$LB_L2PROBE not built (make -C selftests)"
	fi
}

# l2_probe NS ARGS...: lb_l2probe in netns NS.
l2_probe() {
	local ns=$1
	shift
	ip netns exec "$ns" "$LB_L2PROBE" "$@"
}

# l2_ns NAME: lb_ns_add, and no duplicate address detection for the
# interfaces created in it afterwards.
l2_ns() {
	lb_ns_add "$1" || return 1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 || return 1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0
}

# l2_addr NS DEV A4/LEN A6/LEN: addresses on DEV, and DEV up.
l2_addr() {
	local ns=$1 dev=$2 a4=$3 a6=$4
	ip -n "$ns" addr add "$a4" dev "$dev" || return 1
	ip -n "$ns" -6 addr add "$a6" dev "$dev" nodad || return 1
	ip -n "$ns" link set "$dev" up
}

# l2_ifindex NS DEV, l2_mac NS DEV
l2_ifindex() {
	ip -n "$1" -j link show dev "$2" | jq -r '.[0].ifindex'
}

l2_mac() {
	ip -n "$1" -j link show dev "$2" | jq -r '.[0].address'
}

l2_topology() {
	local ns idx
	for ns in "$L2_OUT" "$L2_SW" "$L2_NODE" "$L2_BE" "$L2_OTHER"; do
		l2_ns "$ns" || return 1
	done
	ip netns exec "$L2_NODE" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip netns exec "$L2_NODE" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1

	ip -n "$L2_SW" link add br0 type bridge || return 1
	ip -n "$L2_SW" link set br0 up || return 1
	ip link add p0 netns "$L2_SW" type veth peer name eth0 netns "$L2_OUT" || return 1
	ip link add p1 netns "$L2_SW" type veth peer name e0 netns "$L2_NODE" || return 1
	for ns in p0 p1; do
		ip -n "$L2_SW" link set "$ns" master br0 up || return 1
	done
	# The first name must be free in this namespace too (see e2e_l2.sh).
	ip link add e1 netns "$L2_NODE" type veth peer name eth1 netns "$L2_OUT" || return 1
	idx=$(l2_ifindex "$L2_NODE" e0) || return 1
	ip -n "$L2_OTHER" link add o0 index "$idx" type veth peer name eth2 netns "$L2_OUT" || return 1
	ip link add b1 netns "$L2_NODE" type veth peer name eth0 netns "$L2_BE" || return 1

	l2_addr "$L2_OUT" eth0 "$OUT_IP/24" "$OUT6/64" || return 1
	l2_addr "$L2_NODE" e0 "$NODE_CLIENT_IP/24" 2001:db8:1::1/64 || return 1
	l2_addr "$L2_OUT" eth1 10.0.1.2/24 2001:db8:11::2/64 || return 1
	l2_addr "$L2_NODE" e1 10.0.1.1/24 2001:db8:11::1/64 || return 1
	l2_addr "$L2_OUT" eth2 10.0.2.2/24 2001:db8:12::2/64 || return 1
	l2_addr "$L2_OTHER" o0 10.0.2.1/24 2001:db8:12::1/64 || return 1
	l2_addr "$L2_NODE" b1 198.51.100.1/24 2001:db8:2::1/64 || return 1
	l2_addr "$L2_BE" eth0 "$BE1_IP/24" "$BE6/64" || return 1
	ip -n "$L2_BE" route add default via 198.51.100.1 || return 1
	ip -n "$L2_BE" -6 route add default via 2001:db8:2::1 || return 1
	ip -n "$L2_OUT" route add 203.0.113.0/24 dev eth0 || return 1
	ip -n "$L2_OUT" -6 route add 2001:db8:ff::/64 dev eth0 || return 1
}

# l2_list NS: `lbctl l2 list` in NS as "ADDRESS IFINDEX ANSWERS ANNOUNCES"
# lines.
l2_list() {
	lbctl -N "$1" -j l2 list |
		jq -r '.[] | "\(.address) \(.ifindex) \(.stats.answers) \(.stats.announces)"'
}

# l2_watch_start NS IFACE SECS OUTFILE: lb_l2probe watch in the background,
# returning once it listens. Sets LB_PID.
l2_watch_start() {
	local ready=$LB_TMP/watch.ready.$RANDOM i
	ip netns exec "$1" "$LB_L2PROBE" -t "$3" -r "$ready" watch "$2" >"$4" 2>&1 &
	LB_PID=$!
	_lb_pids+=("$LB_PID")
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		[ -e "$ready" ] && return 0
		sleep 0.1
	done
	echo "watch not listening after ${LB_TIMEOUT}s"
	return 1
}

# l2_genl NS ARGS...: one raw request (lb_genl.py) in NS; prints its result.
l2_genl() {
	local ns=$1
	shift
	ip netns exec "$ns" python3 "$LB_SELFTEST_DIR/lb_genl.py" "$@"
}

# l2_monitor NS DEV FILE: `lbctl -j monitor` of NS in the background into
# FILE, returning once it is subscribed. There is no "ready" signal, so a
# sentinel announcement (192.0.2.250 on DEV) is made and withdrawn until the
# monitor prints it. Sets LB_PID.
l2_monitor() {
	local ns=$1 dev=$2 f=$3 i
	ip netns exec "$ns" "$LBCTL" -j monitor >"$f" 2>&1 &
	LB_PID=$!
	_lb_pids+=("$LB_PID")
	for ((i = 0; i < LB_TIMEOUT * 2; i++)); do
		lbctl -N "$ns" l2 add 192.0.2.250 dev "$dev" || return 1
		lbctl -N "$ns" l2 del 192.0.2.250 dev "$dev" || return 1
		if grep -q '"l2_del"' "$f"; then
			return 0
		fi
		sleep 0.5
	done
	echo "monitor printed nothing:"
	cat "$f"
	return 1
}

# ------------------------------------------------ checks of l2_arp/l2_ndp ---
# The checks the ARP and the NDP test share. MODE is the lb_l2probe
# request, arp or ns; the node's e0 announces ADDR. An ns answer reads
# "MAC S=.. O=.. dst=..", and where only the MAC is known its first word
# is compared; an arp answer is the MAC alone and is compared whole.
l2_answer_mac() {
	if [ "$1" = ns ]; then
		echo "${2%% *}"
	else
		echo "$2"
	fi
}

# l2_check_takeover WATCHING ADDR WANTDESC WANT: ADDR announced on e0 while
# the segment is watched (check WATCHING); the one line the watch printed
# for ADDR is WANT, "garp ADDR ..." or "na ADDR ..." (check WANTDESC): 3 tests.
l2_check_takeover() {
	local f=$LB_TMP/takeover wpid
	lb_check "$1" l2_watch_start "$L2_OUT" eth0 4 "$f"
	wpid=$LB_PID
	lb_cfg "l2 add $2 dev e0" lbctl -N "$L2_NODE" l2 add "$2" dev e0
	wait "$wpid"
	lb_expect_eq "$3" "$4" "$(grep "^${4%% *} $2 " "$f")"
}

# l2_check_scope MODE ADDR E1ADDR UNANNOUNCED: answers only on the
# announced interface and for the announced address (3 tests).
l2_check_scope() {
	local mode=$1 addr=$2 e1addr=$3 none=$4 out_
	out_=$(l2_probe "$L2_OUT" "$mode" eth1 "$e1addr" 2>&1)
	lb_expect_eq "the link to e1 works (the kernel answers for e1's own address)" \
		"$(l2_mac "$L2_NODE" e1)" "$(l2_answer_mac "$mode" "$out_")"
	out_=$(l2_probe "$L2_OUT" -t 2 "$mode" eth1 "$addr" 2>&1)
	lb_expect_eq "no answer for $addr on e1, where it is not announced" timeout "$out_"
	out_=$(l2_probe "$L2_OUT" -t 2 "$mode" eth0 "$none" 2>&1)
	lb_expect_eq "no answer for an address that is not announced" timeout "$out_"
}

# l2_check_other_ns MODE ADDR OTHER: namespace "other", whose o0 has e0's
# ifindex, announces OTHER; it answers for OTHER only, not for the node's
# ADDR (4 tests).
l2_check_other_ns() {
	local mode=$1 addr=$2 other=$3 idx out_
	idx=$(l2_ifindex "$L2_NODE" e0)
	lb_expect_eq "namespace other's o0 has e0's ifindex $idx" \
		"$idx" "$(l2_ifindex "$L2_OTHER" o0)"
	lb_cfg "l2 add $other dev o0 in namespace other" \
		lbctl -N "$L2_OTHER" l2 add "$other" dev o0
	out_=$(l2_probe "$L2_OUT" -t 2 "$mode" eth2 "$addr" 2>&1)
	lb_expect_eq "namespace other does not answer for the node's $addr" timeout "$out_"
	out_=$(l2_probe "$L2_OUT" "$mode" eth2 "$other" 2>&1)
	lb_expect_eq "namespace other answers for its own $other" \
		"$(l2_mac "$L2_OTHER" o0)" "$(l2_answer_mac "$mode" "$out_")"
}

# l2_check_refused ADDR LOADDR ATTR=VALUE: announcing ADDR again on e0,
# LOADDR on lo, and (raw request) ATTR=VALUE on an unknown ifindex are
# refused with their errno (3 tests).
l2_check_refused() {
	local addr=$1 loaddr=$2 attr=$3 out_
	out_=$(lbctl -N "$L2_NODE" l2 add "$addr" dev e0 2>&1)
	lb_expect_eq "a duplicate is refused (EEXIST)" \
		"2 lbctl: Error: address is already announced on this interface" "$? $out_"
	out_=$(lbctl -N "$L2_NODE" l2 add "$loaddr" dev lo 2>&1)
	lb_expect_eq "loopback is refused (EOPNOTSUPP)" \
		"2 lbctl: Error: interface is not Ethernet-like or does no ARP (IFF_NOARP)" "$? $out_"
	out_=$(l2_genl "$L2_NODE" l2-new l2 "$attr" ifindex=999999 2>&1)
	lb_expect_eq "an unknown ifindex is refused (ENODEV)" \
		"ENODEV no interface with that index in this namespace" "$out_"
}

# l2_check_iface_gone ADDR: ADDR announced on e1, then e1 deleted: the
# announcement goes with it (2 tests).
l2_check_iface_gone() {
	lb_cfg "l2 add $1 dev e1" lbctl -N "$L2_NODE" l2 add "$1" dev e1
	ip -n "$L2_NODE" link del e1
	lb_expect_eq "deleting e1 removed its announcement" "" "$(l2_list "$L2_NODE")"
}
