#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbipamd restarts: SIGTERM, and kill -9 in the middle of an apply of 1,000
# Services. Every Service keeps its IP, the kernel table equals the desired
# state after the restart, and an established flow through the LB IP
# survives both restarts (the daemon never touches unchanged services).

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
# Kill points inside the apply: on the CI machine an apply of 1,000
# Services is programmed within about 0.4 s of the request, so later kills
# only repeat a restart after a finished apply (the SIGTERM round's case).
delays=${E2E_KILL_DELAYS:-0 0.1 0.25}
# shellcheck disable=SC2086 # one delay per word
set -- $delays
lb_plan $((17 + $#))

client=$LB_RUN-client
node=$LB_RUN-node
N=${E2E_NSERVICES:-1000}
ROUND=0

lb_check "build topology with 2 backends" lb_topology "$LB_RUN" 2
lb_check "echo servers on the backends" eval \
	'e2e_echo_server "$LB_RUN-be1" 9090 && e2e_echo_server "$LB_RUN-be2" 9090'
lb_check "lbipamd starts" e2e_start "$node"
lb_check "apply a pool and the web Service" e2e_pool_and_svc big 20.0.0.0/18
ip=$(e2e_wait_ip default/web '^20\.0\.')
lb_check "web got an LB IP ($ip)" test -n "$ip"
lb_check "open a long-lived flow to $ip:9090" e2e_flow_open "$client" "$ip" 9090
lb_check "the flow echoes" e2e_flow_send before

# --- SIGTERM ---
e2e_kernel "$node" >"$LB_TMP/k1"
e2e_all_ips >"$LB_TMP/ips1"
lb_check "SIGTERM: lbipamd exits 0" e2e_stop TERM
lb_check "restart after SIGTERM" e2e_start "$node"
e2e_all_ips >"$LB_TMP/ips2"
e2e_kernel "$node" >"$LB_TMP/k2"
lb_check "every Service kept its IP" diff "$LB_TMP/ips1" "$LB_TMP/ips2"
lb_check "kernel table unchanged across the restart" diff "$LB_TMP/k1" "$LB_TMP/k2"
lb_check "kernel table equals the desired state" e2e_same_keys "$node"
lb_check "the established flow survived" e2e_flow_send after-term

# --- kill -9 during an apply of N Services ---
# gen NS: N LoadBalancer Services in namespace NS.
gen() {
	local i
	for ((i = 0; i < N; i++)); do
		printf -- '---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s%d\n  namespace: %s\nspec:\n  type: LoadBalancer\n  clusterIP: 10.%d.%d.%d\n  ports:\n  - {port: 80}\n' \
			"$i" "$1" $((100 + ROUND)) $((i / 250)) $((i % 250 + 1))
	done
}

# kill_round DELAY: apply N Services in a fresh namespace and kill -9 the
# daemon DELAY seconds after the request reaches it (the log line is
# caught through inotify by tail -f), then restart it. The apply must be
# all or nothing, the kernel must equal the desired state, web must keep
# its IP and the flow must live on.
kill_round() {
	local ns=bulk$ROUND got n
	gen "$ns" >"$LB_TMP/$ns.yaml"
	{ tail -n 0 -f "$E2E_LOG" & echo $! >"$LB_TMP/tail.pid"; wait; } |
		grep -m 1 -q 'msg="Request" module=lbipamd op=apply' &
	local watch=$!
	sleep 0.5		# tail must be watching before the request
	lbctl apply -f "$LB_TMP/$ns.yaml" >"$LB_TMP/$ns.out" 2>&1 &
	local apply_pid=$!
	wait "$watch"
	sleep "$1"
	e2e_stop KILL || return 1
	kill "$(cat "$LB_TMP/tail.pid")" 2>/dev/null
	wait "$apply_pid"
	n=$(lbctl -N "$node" -j service list 2>/dev/null | jq length)
	e2e_start "$node" || return 1
	got=$(lbctl get services -n "$ns" -o json | jq '.items | length')
	echo "delay $1 s: killed with $n kernel services; $got of $N Services applied; lbctl said: $(tail -n 1 "$LB_TMP/$ns.out")" |
		tee -a "$LB_TMP/kills"
	[ "$got" = 0 ] || [ "$got" = "$N" ] || return 1
	[ "$(e2e_svc_ips default/web)" = "$ip" ] || return 1
	e2e_same_keys "$node" || return 1
	e2e_flow_send "after-kill-$ROUND"
}
ROUND=0
for delay in $delays; do
	ROUND=$((ROUND + 1))
	lb_check "kill -9 ${delay}s into an apply of $N Services: all or nothing, kernel = desired, IP kept, flow alive" \
		kill_round "$delay"
done
lb_diag "$(cat "$LB_TMP/kills" 2>/dev/null)"

# Complete the last bulk apply, then one more restart: nobody moves.
lb_check "apply the last $N Services again" lbctl apply -f "$LB_TMP/bulk$ROUND.yaml"
e2e_all_ips >"$LB_TMP/ips3"
total=$(wc -l <"$LB_TMP/ips3")
lb_check "restart with $total Services" eval 'e2e_stop TERM && e2e_start "$node"'
e2e_all_ips >"$LB_TMP/ips4"
lb_check "all $total Services kept their IPs" eval \
	'diff "$LB_TMP/ips3" "$LB_TMP/ips4" && [ "$(grep -c " 20\." "$LB_TMP/ips4")" = "$total" ]'
lb_check "kernel table equals the desired state" e2e_same_keys "$node"

lb_exit
