#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ClientIP affinity at the namespace's budget (module parameter
# max_affinity_entries, set to 2 here):
#
#   client 192.0.2.2, .3, .4 --> node (lbipam) --> be1, be2, be3
#
#   (a) two clients fill the budget; the third one's bindings are not
#       recorded, and the service counts each of them (affinity_lost);
#   (b) changing the service's affinity makes its bindings stale: they are
#       purged within seconds, not kept until they expire an hour later,
#       so the third client is bound again;
#   (c) the same when a service is deleted: another service's clients get
#       the room back.
#
# Runs only in the test VM: module parameters are global to the machine.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq
lb_require_vm "writes a module parameter"
lb_plan 20

P=/sys/module/lbipam/parameters/max_affinity_entries
svc="$VIP:$VPORT/tcp"
svc2="$VIP2:$VPORT/tcp"
C3=192.0.2.3
C4=192.0.2.4
N=8

old_max=$(cat "$P")
# shellcheck disable=SC2317 # the EXIT trap
restore() {
	echo "$old_max" >"$P"
	lb_cleanup
}
trap restore EXIT

lb_check "3 backends, TCP servers, a service with the 3" \
	lb_dp_setup 3 all/tcp/4 -- "$svc=be1+be2+be3"
# shellcheck disable=SC2317 # called through lb_check
client_addrs() {
	ip -n "$LB_CLIENT" addr add "$C3/24" dev eth0 &&
		ip -n "$LB_CLIENT" addr add "$C4/24" dev eth0
}
lb_check "client addresses $C3 and $C4" client_addrs
lb_check "max_affinity_entries 2" eval "echo 2 >$P"
lb_cfg "service set $svc affinity 3600" lbctl -N "$LB_NODE" service set "$svc" affinity 3600

# backends FROM SVC: the distinct backends N connections from source FROM
# to SVC's address reached, one per line.
backends() {
	lb_traffic "$LB_CLIENT" conns -c "$N" -b "$1" tcp "${2%:*}" "$VPORT" |
		awk '{print $2}' | sort -u
}

# one_backend DESC FROM SVC: all N connections went to one backend.
one_backend() {
	local out
	out=$(backends "$2" "$3")
	if [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q '^be[123]$' <<<"$out"; then
		lb_ok "$1 ($out)"
	else
		lb_not_ok "$1" "got: $out"
	fi
}

lost() {
	lb_stat "$LB_NODE" "$1" .stats.affinity_lost
}

# wait_bound FROM SVC: poll until a connection from FROM to SVC is bound,
# that is, no longer counted as a lost binding.
# shellcheck disable=SC2317 # called through lb_check
wait_bound() {
	local i l0 l1
	for ((i = 0; i < LB_TIMEOUT; i++)); do
		l0=$(lost "$2")
		lb_traffic "$LB_CLIENT" conns -c 1 -b "$1" tcp "${2%:*}" "$VPORT" >/dev/null
		l1=$(lost "$2")
		if [ "$l0" = "$l1" ] && [ "$l1" != null ]; then
			return 0
		fi
		sleep 0.5
	done
	echo "connections from $1 still lose their binding ($l0 -> $l1)" >&2
	return 1
}

# (a) The budget.
one_backend "(a) $CLIENT_IP: bound, all $N connections on one backend" "$CLIENT_IP" "$svc"
one_backend "(a) $C3: bound, all $N connections on one backend" "$C3" "$svc"
backends "$C4" "$svc" >/dev/null
lb_expect_eq "(a) $C4: over the budget, $N bindings lost and counted" "$N" "$(lost "$svc")"
lb_expect_eq "(a) stats: the budget's 2 live bindings" 2 \
	"$(lb_stat "$LB_NODE" "$svc" .stats.affinity)"

# (b) Changing the affinity.
lb_cfg "(b) service set $svc affinity 1800" lbctl -N "$LB_NODE" service set "$svc" affinity 1800
lb_expect_eq "(b) stats: the old bindings are stale at once, 0 live" 0 \
	"$(lb_stat "$LB_NODE" "$svc" .stats.affinity)"
lb_check "(b) the stale bindings are purged: $C4 is bound" wait_bound "$C4" "$svc"
before=$(lost "$svc")
one_backend "(b) $C4: all $N connections on one backend" "$C4" "$svc"
lb_expect_eq "(b) ... and no binding lost meanwhile" "$before" "$(lost "$svc")"

# (c) Deleting a service. Its binding of $C4 fills the budget with the
# first one of another service.
lb_cfg "(c) service del $svc" lbctl -N "$LB_NODE" service del "$svc"
lb_check "(c) service $svc2 with affinity 3600 and the 3 backends" \
	lb_svc "$LB_NODE" "$svc2" affinity 3600 -- "$BE1_IP:$BPORT" "$BE2_IP:$BPORT" "$(lb_be_ip 3):$BPORT"
one_backend "(c) $CLIENT_IP: bound to $svc2" "$CLIENT_IP" "$svc2"
lb_check "(c) the deleted service's binding is purged: $C3 is bound to $svc2" \
	wait_bound "$C3" "$svc2"
before=$(lost "$svc2")
one_backend "(c) $C3: all $N connections on one backend" "$C3" "$svc2"
lb_expect_eq "(c) ... and no binding lost meanwhile" "$before" "$(lost "$svc2")"

lb_check "restore max_affinity_entries" eval "echo $old_max >$P"

lb_exit
