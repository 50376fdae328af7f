#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The cluster tests' shared parts: etcd in its own namespace, and one
# lbipamd per node namespace on it. Sourced after lib.sh and e2e_lib.sh,
# once the test has set etcdns (etcd's namespace), EP (its client URL),
# TTL (the lease, in seconds) and declared the array pid.
# shellcheck disable=SC2154

# etcd_ctl ARGS...: etcdctl against the test's etcd.
etcd_ctl() {
	ip netns exec "$etcdns" etcdctl --endpoints "$EP" "$@"
}

# One etcd member in $etcdns (whose 10.99.0.1 the test sets up), healthy.
start_etcd() {
	lb_bg ip netns exec "$etcdns" etcd --name e --data-dir "$LB_TMP/etcd" \
		--listen-client-urls "$EP" --advertise-client-urls "$EP" \
		--listen-peer-urls http://10.99.0.1:2380 \
		--initial-advertise-peer-urls http://10.99.0.1:2380 \
		--initial-cluster e=http://10.99.0.1:2380
	local i
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		etcd_ctl endpoint health >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# on NODE lbctl-args...: lbctl's daemon verbs against NODE's lbipamd.
on() {
	local n=$1
	shift
	LBIPAM_SOCKET=$LB_TMP/$n.sock lbctl "$@"
}

# node_start NODE: lbipamd in namespace NODE in cluster mode; sets pid[NODE].
node_start() {
	local n=$1 i
	"$LBIPAMD" --netns "$n" --node-name "$n" --state "$LB_TMP/$n.db" \
		--socket "$LB_TMP/$n.sock" --etcd-endpoints "$EP" \
		--etcd-lease-ttl "$TTL" --log-level debug \
		2>>"$LB_TMP/$n.log" &
	pid["$n"]=$!
	_lb_pids+=("${pid[$n]}")
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		on "$n" get status >/dev/null 2>&1 && return 0
		kill -0 "${pid[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$LB_TMP/$n.log"
	return 1
}
