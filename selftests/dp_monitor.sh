#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbctl monitor: the "events" multicast group. Two monitors run in the
# background in the node's namespace, one printing text and one JSON
# (-j); a third runs in another namespace. Then every kind of change is
# made, each by a separate lbctl process. Each must appear in both monitors
# as one line, in order, in the documented format (text: as the lbctl
# command that would make it, options not at their default; JSON: one
# object per line with "event" and the service and backend it concerns).
# The monitor in the other namespace must see none of it.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 9

node=$LB_RUN-node
other=$LB_RUN-other
svc="$VIP:$VPORT/tcp"
SENTINEL=203.0.113.99:1/tcp

lb_check "namespaces" lb_ns_add "$node"
lb_check "another namespace" lb_ns_add "$other"

# mon NAME NS [-j]: a monitor in the background, output in $LB_TMP/NAME.
mon() {
	local name=$1 ns=$2
	shift 2
	"$LBCTL" -N "$ns" "$@" monitor >"$LB_TMP/$name" 2>&1 &
	_lb_pids+=("$!")
}
mon text "$node"
mon json "$node" -j
mon other "$other"

# A monitor subscribes some time after it starts; there is no "ready"
# signal. So change a sentinel service until both monitors have printed
# the change, then remove it and start counting lines after that.
# monitors_ready NS FILE...: every FILE (a monitor of NS) printed a change.
# shellcheck disable=SC2317 # called through lb_check
monitors_ready() {
	local ns=$1 i f seen
	shift
	lbctl -N "$ns" service add "$SENTINEL" || return 1
	for ((i = 0; i < LB_TIMEOUT * 5; i++)); do
		seen=1
		for f in "$@"; do
			grep -q "203.0.113.99" "$LB_TMP/$f" || seen=0
		done
		if [ "$seen" = 1 ]; then
			lbctl -N "$ns" service del "$SENTINEL" || return 1
			for f in "$@"; do
				lb_wait_grep "$LB_TMP/$f" 'service.del' || return 1
			done
			return 0
		fi
		lbctl -N "$ns" service set "$SENTINEL" || return 1
		sleep 0.2
	done
	echo "monitors printed nothing:" >&2
	for f in "$@"; do
		cat "$LB_TMP/$f" >&2
	done
	return 1
}
lb_check "both monitors of the node are subscribed" monitors_ready "$node" text json
lb_check "the monitor of the other namespace is subscribed" monitors_ready "$other" other
tmark=$(wc -l <"$LB_TMP/text")
jmark=$(wc -l <"$LB_TMP/json")
omark=$(wc -l <"$LB_TMP/other")

# shellcheck disable=SC2317 # called through lb_check
changes() {
	lbctl -N "$node" service add "$svc" &&
		lbctl -N "$node" service set "$svc" affinity 60 masquerade &&
		lbctl -N "$node" backend add "$svc" "$BE1_IP:$BPORT" weight 2 &&
		lbctl -N "$node" backend set "$svc" "$BE1_IP:$BPORT" state terminating &&
		lbctl -N "$node" backend replace "$svc" "$BE2_IP:$BPORT" "198.51.100.4:$BPORT,weight=3" &&
		lbctl -N "$node" backend del "$svc" "$BE2_IP:$BPORT" &&
		lbctl -N "$node" service add "[$VIP6]:53/udp" local-only &&
		lbctl -N "$node" service del "$svc" &&
		lbctl -N "$node" flush
}
lb_check "make 9 changes" changes

expect_text="service add $svc
service set $svc affinity 60 masquerade
backend add $svc $BE1_IP:$BPORT weight 2
backend set $svc $BE1_IP:$BPORT state terminating
backend replace $svc (2 backends)
backend del $svc $BE2_IP:$BPORT
service add [$VIP6]:53/udp local-only
service del $svc
flush"

# got FILE MARK: the lines after MARK, once there are 9 (or after a timeout).
got() {
	local i
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if [ "$(tail -n +$(($2 + 1)) "$1" | wc -l)" -ge 9 ]; then
			break
		fi
		sleep 0.1
	done
	tail -n +$(($2 + 1)) "$1"
}

out=$(got "$LB_TMP/text" "$tmark")
lb_expect_eq "text monitor: one line per change, in order" "$expect_text" "$out"

out=$(got "$LB_TMP/json" "$jmark")
bad=$(while IFS= read -r l; do jq -e . >/dev/null 2>&1 <<<"$l" || echo "$l"; done <<<"$out")
lb_expect_eq "JSON monitor: every line is one JSON object" "" "$bad"

# A digest of what each event says: event, service key, backend, and the
# options that the change set.
digest='[.event,
	(if .service then "\(.service.address)/\(.service.port)/\(.service.protocol)" else "-" end),
	(if .event == "service_set" then "aff=\(.service.affinity) masq=\(.service.masquerade)" else empty end),
	(if .event == "service_add" and .service.address != "203.0.113.10" then "local_only=\(.service.local_only)" else empty end),
	(if .backend then "\(.backend.address)/\(.backend.port)" else empty end),
	(if .event == "backend_add" then "w=\(.backend.weight)" else empty end),
	(if .event == "backend_set" then "state=\(.backend.state)" else empty end),
	(if .event == "backend_replace" then "n=\(.service.backend_count)" else empty end)
	] | join(" ")'
expect_json="service_add 203.0.113.10/80/tcp
service_set 203.0.113.10/80/tcp aff=60 masq=true
backend_add 203.0.113.10/80/tcp $BE1_IP/$BPORT w=2
backend_set 203.0.113.10/80/tcp $BE1_IP/$BPORT state=terminating
backend_replace 203.0.113.10/80/tcp n=2
backend_del 203.0.113.10/80/tcp $BE2_IP/$BPORT
service_add $VIP6/53/udp local_only=true
service_del 203.0.113.10/80/tcp
flush -"
out=$(jq -r "$digest" <<<"$out" 2>&1)
lb_expect_eq "JSON monitor: events, services, backends and options in order" "$expect_json" "$out"

lb_expect_eq "the monitor in another namespace saw none of it" "" \
	"$(tail -n +$((omark + 1)) "$LB_TMP/other")"

lb_exit
