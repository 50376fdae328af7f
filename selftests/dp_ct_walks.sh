#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The two conntrack walks at scale, on a table conntrack(8) filled:
#
#   - LBIPAM_A_CT_STATS ("tracked") counts every translated entry of
#     every service and of the backend its reply tuple names, exactly,
#     with many entries, many services and one service of 1000 backends
#     (the walk looks backends up in a sorted index, not set by set);
#     entries translated to an address that is no backend count for the
#     service only; foreign entries (no service's VIP:port) count nowhere;
#   - "flush" of a namespace with many UDP services deletes every entry of
#     those services (one walk for the whole request) and nothing else:
#     entries to other addresses and ports, translated or not, and the
#     entries of a TCP service (which drain, as after "service del") stay.
#
# The entries are made through ctnetlink (ct_fill.py), destination-NATed
# as lbipam would have translated them; no traffic is needed. The walks'
# times are printed (an emulated VM: not asserted). LBIPAM_CT_WALKS_SERVICES,
# _BIG_BACKENDS and _BIG_ENTRIES scale it up, to compare module versions.

# Helpers below are called through lb_check:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require_root
lb_require_tools ip jq conntrack awk python3
lb_require_lbctl
lb_require_module
lb_plan 10

NS=$LB_NODE
VIPA=10.20.0.1		# the services' VIP
OTHER=10.20.0.2		# no service's: foreign entries
NSMALL=${LBIPAM_CT_WALKS_SERVICES:-200}	# UDP services of 4 backends, ports 2000...
BIG=3000		# UDP service of NBIG backends
NBIG=${LBIPAM_CT_WALKS_BIG_BACKENDS:-1000}
NBIGCT=${LBIPAM_CT_WALKS_BIG_ENTRIES:-5000}
TPORT=2000		# a TCP service on the VIP

# small_be I K: backend K (0..3) of small service I, in $be (no subshell:
# thousands of forks are minutes in the emulated VM).
small_be() {
	be=10.30.$(($1 / 250)).$(($1 % 250 + 1)):$((5000 + $2))
}

# big_be K: backend K of the big service, in $be.
big_be() {
	be=10.31.$(($1 / 250)).$(($1 % 250 + 1)):53
}

setup() {
	local i k be bes=()

	lb_ns_add "$NS" || return 1
	{
		for ((i = 0; i < NSMALL; i++)); do
			echo "service add $VIPA:$((2000 + i))/udp"
			printf 'backend replace %s' "$VIPA:$((2000 + i))/udp"
			for ((k = 0; k < 4; k++)); do
				small_be "$i" "$k"
				printf ' %s' "$be"
			done
			echo
		done
		echo "service add $VIPA:$BIG/udp"
		echo "service add $VIPA:$TPORT/tcp"
		echo "backend replace $VIPA:$TPORT/tcp 10.32.0.1:80 10.32.0.2:80"
	} | lbctl -N "$NS" -b - || return 1
	# One request from the command line: a batch line holds at most 1024
	# words, and one "backend add" each rebuilds the Maglev table NBIG times.
	for ((k = 0; k < NBIG; k++)); do
		big_be "$k"
		bes+=("$be")
	done
	lbctl -N "$NS" backend replace "$VIPA:$BIG/udp" "${bes[@]}" || return 1
	ip netns exec "$NS" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600
}
lb_check "node with $NSMALL UDP services of 4 backends, one of $NBIG, one TCP" setup

# What conntrack holds afterwards, and what the stats must say. Client
# addresses 10.40.x.y, one source port per entry; "PROTO SRC SPORT DST DPORT
# [NAT]" lines for ct_fill.py.
declare -A want_big
NSMALLCT=0
fill_lines() {
	local i k j be

	# Small services: entry k of service i goes to backend k; service i
	# has i % 4 + 1 entries, so that counts differ between services.
	for ((i = 0; i < NSMALL; i++)); do
		for ((k = 0; k <= i % 4; k++)); do
			small_be "$i" "$k"
			echo "udp 10.40.0.1 $((10000 + NSMALLCT)) $VIPA $((2000 + i)) $be"
			NSMALLCT=$((NSMALLCT + 1))
		done
	done
	# The big service: entry j to backend (7 j) mod NBIG.
	for ((j = 0; j < NBIGCT; j++)); do
		k=$((j * 7 % NBIG))
		big_be "$k"
		echo "udp 10.40.$((1 + j / 50000)).1 $((10000 + j % 50000)) $VIPA $BIG $be"
		want_big[$be]=$((${want_big[$be]:-0} + 1))
	done
	# Translated to no backend of the service: counts for the service only.
	echo "udp 10.40.9.1 10000 $VIPA $BIG 10.33.0.1:53"
	# Foreign: another address, a port with no service, untranslated.
	for ((j = 0; j < 20; j++)); do
		small_be 0 0
		echo "udp 10.40.10.1 $((10000 + j)) $OTHER 2000 $be"
		small_be 0 1
		echo "udp 10.40.10.2 $((10000 + j)) $VIPA 4000 $be"
		echo "udp 10.40.10.3 $((10000 + j)) $VIPA 4001"
	done
	# TCP connections of the TCP service.
	for ((j = 0; j < 10; j++)); do
		echo "tcp 10.40.11.1 $((10000 + j)) $VIPA $TPORT 10.32.0.$((j % 2 + 1)):80"
	done
}
# Not in a subshell: want_big and NSMALLCT are for later.
fill_lines >"$LB_TMP/ct.lines"
fill() {
	ip netns exec "$NS" python3 "$LB_SELFTEST_DIR/ct_fill.py" <"$LB_TMP/ct.lines"
}
lb_check "ct_fill.py: $NSMALLCT + $((NBIGCT + 1)) service entries, 60 foreign, 10 TCP" fill

ct_count() {
	ip netns exec "$NS" conntrack -L "$@" 2>/dev/null | wc -l
}
lb_expect_eq "conntrack lists them all" \
	"$((NSMALLCT + NBIGCT + 1 + 60 + 10))" \
	"$(ct_count)"

# One dump with the stats of every service.
t0=$(lb_now_ms)
lbctl -N "$NS" -j stats >"$LB_TMP/stats.json"
t1=$(lb_now_ms)
lb_diag "stats of every service (one conntrack walk): $((t1 - t0)) ms"

# Small services: "PORT TRACKED BE0 BE1 BE2 BE3" per line, by port.
small_got() {
	jq -r --arg vip "$VIPA" '.[] | select(.address == $vip and .protocol == "udp" and .port < 3000) |
		"\(.port) \(.stats.tracked) " + ([.backends[] | .stats.tracked | tostring] | join(" "))' \
		"$LB_TMP/stats.json" | sort -n
}
small_want() {
	local i k c

	for ((i = 0; i < NSMALL; i++)); do
		c="$((2000 + i)) $((i % 4 + 1))"
		for ((k = 0; k < 4; k++)); do
			c+=" $((k <= i % 4 ? 1 : 0))"
		done
		echo "$c"
	done
}
lb_expect_eq "tracked: every small service and each of its backends" \
	"$(small_want)" "$(small_got)"

big_got() {
	jq -r --arg vip "$VIPA" --argjson p "$BIG" '.[] | select(.address == $vip and .port == $p) |
		.backends[] | select(.stats.tracked > 0) | "\(.address):\(.port) \(.stats.tracked)"' \
		"$LB_TMP/stats.json" | sort
}
big_want() {
	local be

	for be in "${!want_big[@]}"; do
		echo "$be ${want_big[$be]}"
	done | sort
}
lb_expect_eq "tracked: each of the $NBIG backends of the big service" \
	"$(big_want)" "$(big_got)"
lb_expect_eq "tracked: the big service, one entry to no backend of it included" \
	"$((NBIGCT + 1)) $NBIGCT" \
	"$(jq -r --arg vip "$VIPA" --argjson p "$BIG" '.[] | select(.address == $vip and .port == $p) |
		"\(.stats.tracked) \([.backends[] | .stats.tracked] | add)"' "$LB_TMP/stats.json")"
lb_expect_eq "tracked: the TCP service and its 2 backends" "10 5 5" \
	"$(jq -r --arg vip "$VIPA" '.[] | select(.protocol == "tcp") |
		"\(.stats.tracked) " + ([.backends[] | .stats.tracked | tostring] | join(" "))' "$LB_TMP/stats.json")"

# flush: every entry of the UDP services goes, in one request.
t0=$(lb_now_ms)
lb_cfg "flush" lbctl -N "$NS" flush
udp_svc_left() {
	ip netns exec "$NS" conntrack -L -p udp --orig-dst "$VIPA" 2>/dev/null |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^dport=/) { split($i, a, "="); if (a[2] < 4000) n++; break } } END { print n + 0 }'
}
gone() {
	local i

	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		[ "$(udp_svc_left)" -eq 0 ] && return 0
		sleep 0.1
	done
	echo "$(udp_svc_left) entries of UDP services are left" >&2
	return 1
}
lb_check "flush: no entry of a UDP service is left" gone
t1=$(lb_now_ms)
lb_diag "flush of $((NSMALL + 2)) services until the entries are gone: $((t1 - t0)) ms"
lb_expect_eq "flush: the 60 foreign entries and the 10 TCP ones stay" \
	"20 20 20 10" \
	"$(ct_count -p udp --orig-dst "$OTHER") $(ct_count -p udp --orig-dst "$VIPA" --dport 4000) $(ct_count -p udp --orig-dst "$VIPA" --dport 4001 --reply-src "$VIPA") $(ct_count -p tcp)"

lb_exit
