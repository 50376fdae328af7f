#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# EndpointSlice changes reach the kernel within a second, and flows behave
# as the data-plane issue specifies:
#   be2 not ready      -> maintenance: no new connections, its flow lives
#   be2 terminating    -> terminating: no new connections, its flow lives
#   be2 removed        -> gone from the set
#   only a serving terminating endpoint left -> it takes new connections
#
#   client --> node (lbipamd + lbipam.ko) --> be1, be2

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
lb_plan 17

client=$LB_RUN-client
node=$LB_RUN-node
# The limit for an endpoint change to be in the kernel, from the moment
# lbipamd receives it.
LIMIT_MS=${E2E_EP_LIMIT_MS:-1000}

lb_check "build topology with 2 backends" lb_topology "$LB_RUN" 2
lb_check "servers on the backends" eval \
	'lb_serve "$LB_RUN-be1,be1,tcp,4,$BPORT" "$LB_RUN-be2,be2,tcp,4,$BPORT" &&
	 e2e_echo_server "$LB_RUN-be2" 9090'
lb_check "lbipamd starts" e2e_start "$node"
lb_check "apply a pool and the web Service (be1, be2)" e2e_pool_and_svc p 20.0.0.0/24
ip=$(e2e_wait_ip default/web '^20\.0\.0\.')
key="$ip:80/tcp"

# slice BE2_CONDITIONS: the web slice, be1 ready, be2 with the given
# conditions ("" = be2 absent).
slice() {
	local be2=""
	if [ -n "$1" ]; then
		be2="- addresses: [\"$BE2_IP\"]
  conditions: $1"
	fi
	e2e_apply <<YAML
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, port: $BPORT, protocol: TCP}
- {name: echo, port: 9090, protocol: TCP}
endpoints:
- addresses: ["$BE1_IP"]
  conditions: {ready: $2}
$be2
YAML
}

# be_state: be2's state in the kernel for $key, or "absent".
be_state() {
	lbctl -N "$node" -j service show "$key" |
		jq -r --arg a "$BE2_IP" '[.[0].backends[] | select(.address == $a) | .state][0] // "absent"'
}

# log_ms ERE: the time of the last daemon log line matching ERE, in ms.
log_ms() {
	local t
	t=$(grep -E -- "$1" "$E2E_LOG" | tail -n 1 | sed -n 's/^time=\([^ ]*\) .*/\1/p')
	[ -n "$t" ] && date -d "$t" +%s%3N
}

# change DESC WANT BE2_CONDITIONS BE1_READY: apply the slice; lbipamd
# answers only after programming the kernel, so the kernel must show WANT
# for be2 as soon as lbctl returns. The time that counts is lbipamd's, from
# the request to the last kernel change (its log); lbctl's own wall time in
# the emulated VM (process start-up) is shown too.
change() {
	local t0 t1 s r k
	t0=$(lb_now_ms)
	slice "$3" "$4" >/dev/null || return 1
	t1=$(lb_now_ms)
	s=$(be_state)
	r=$(log_ms 'msg="Request" .*op=apply')
	k=$(log_ms 'msg="Kernel service programmed"')
	echo "$1: be2 $s; lbipamd: request to kernel $((k - r)) ms; lbctl apply wall time $((t1 - t0)) ms" |
		tee -a "$LB_TMP/latency"
	[ "$s" = "$2" ] && [ $((k - r)) -ge 0 ] && [ $((k - r)) -le "$LIMIT_MS" ]
}

# A flow to be2's echo server through the LB IP. be1 has none on 9090, so
# a flow that lands on be1 is refused at once: retry (another source port,
# another Maglev slot) until one echoes, which proves it is on be2.
be2_flow() {
	local try
	for ((try = 1; try <= 12; try++)); do
		e2e_flow_open "$client" "$ip" 9090 || return 1
		sleep 1
		if kill -0 "$E2E_FLOW_PID" 2>/dev/null &&
			e2e_flow_send "probe$try"; then
			return 0
		fi
		exec 7>&-
	done
	return 1
}
lb_check "open a flow to be2 via $ip:9090" be2_flow
lb_check "the flow echoes" e2e_flow_send one

lb_check "be2 not ready: maintenance within ${LIMIT_MS} ms" change "not ready" maintenance "{ready: false}" true
out=$(for i in 1 2 3 4 5 6; do lb_tcp "$client" "$ip" 80; done 2>&1 | awk '{print $1}' | sort -u | tr '\n' ' ')
lb_expect_eq "new connections go to be1 only" "be1 " "$out"
lb_check "be2's established flow lives on" e2e_flow_send two

lb_check "be2 terminating: terminating within ${LIMIT_MS} ms" change terminating terminating \
	"{ready: false, serving: true, terminating: true}" true
lb_check "be2's established flow lives on" e2e_flow_send three

lb_check "be1 not ready, be2 serving terminating: be2 takes new flows" change fallback active \
	"{ready: false, serving: true, terminating: true}" false
out=$(lb_tcp "$client" "$ip" 80 2>&1)
lb_check "a new connection reaches be2 ($out)" eval '[[ "$out" =~ ^be2\  ]]'

lb_check "be2 removed: gone within ${LIMIT_MS} ms" change removed absent "" true
out=$(for i in 1 2 3 4; do lb_tcp "$client" "$ip" 80; done 2>&1 | awk '{print $1}' | sort -u | tr '\n' ' ')
lb_expect_eq "connections go to be1" "be1 " "$out"

lb_check "be2 back, ready: active within ${LIMIT_MS} ms" change "ready again" active "{ready: true}" true
lb_check "kernel table equals the desired state" e2e_same_keys "$node"
lb_diag "$(cat "$LB_TMP/latency")"

lb_exit
