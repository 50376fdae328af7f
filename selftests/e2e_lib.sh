# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034
#
# Helpers for the lbipamd end-to-end tests (e2e_*.sh): lib.sh's topology
# with lbipamd running in the node namespace, driven with lbctl's daemon
# verbs. Source lib.sh first.
#
# LBIPAMD (or LBIPAM_LBIPAMD) selects the daemon; default: the installed
# tree's copy next to the tests, PATH, then the tree's userspace/lbipamd.
# The daemon's log is $E2E_LOG.

E2E_SOCK=$LB_TMP/lbipamd.sock
E2E_STATE=$LB_TMP/state.db
E2E_LOG=$LB_TMP/lbipamd.log
E2E_PID=
export LBIPAM_SOCKET=$E2E_SOCK

e2e_require() {
	lb_require
	lb_require_tools jq
	LBIPAMD=${LBIPAMD:-${LBIPAM_LBIPAMD:-}}
	if [ -z "$LBIPAMD" ]; then
		if [ -x "$LB_SELFTEST_DIR/lbipamd" ]; then
			LBIPAMD=$LB_SELFTEST_DIR/lbipamd
		elif type -P lbipamd >/dev/null 2>&1; then
			LBIPAMD=$(type -P lbipamd)
		else
			LBIPAMD=$LB_SELFTEST_DIR/../userspace/lbipamd
		fi
	fi
	if [ ! -x "$LBIPAMD" ]; then
		lb_skip_or_fail "lbipamd not found (tried $LBIPAMD; set LBIPAMD=)"
	fi
	if ! "$LBCTL" get help >/dev/null 2>&1; then
		lb_skip_or_fail "$LBCTL has no daemon verbs (get/apply)"
	fi
}

# e2e_start NODE [ARGS...]: lbipamd in NODE's namespace; returns once it
# answers on its socket (it listens only after its first reconcile).
e2e_start() {
	local node=$1 i
	shift
	"$LBIPAMD" --netns "$node" --state "$E2E_STATE" --socket "$E2E_SOCK" \
		--log-level debug "$@" 2>>"$E2E_LOG" &
	E2E_PID=$!
	_lb_pids+=("$E2E_PID")
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if lbctl get status >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$E2E_PID" 2>/dev/null; then
			echo "lbipamd exited:" >&2
			tail -n 20 "$E2E_LOG" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "lbipamd not answering after ${LB_TIMEOUT}s" >&2
	return 1
}

# e2e_stop [SIGNAL]: stop the daemon and wait for it (TERM: clean exit).
e2e_stop() {
	local sig=${1:-TERM} rc
	kill "-$sig" "$E2E_PID" 2>/dev/null || return 1
	wait "$E2E_PID"
	rc=$?
	E2E_PID=
	if [ "$sig" = TERM ] && [ "$rc" -ne 0 ]; then
		echo "lbipamd exited with $rc after SIGTERM" >&2
		return 1
	fi
	return 0
}

# e2e_apply: lbctl apply -f - with the YAML on stdin.
e2e_apply() {
	lbctl apply -f -
}

# e2e_svc_ips NS/NAME: the Service's LB IPs, space separated.
e2e_svc_ips() {
	local ns=${1%%/*} name=${1#*/}
	lbctl get services -n "$ns" "$name" -o json |
		jq -r '[.status.loadBalancer.ingress[]?.ip] | join(" ")'
}

# e2e_wait_ip NS/NAME ERE: wait until the Service holds an IP matching ERE.
e2e_wait_ip() {
	local i ip
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		ip=$(e2e_svc_ips "$1")
		if [[ "$ip" =~ $2 ]]; then
			echo "$ip"
			return 0
		fi
		sleep 0.1
	done
	echo "service $1 has '$ip', not matching $2" >&2
	return 1
}

# e2e_kernel NODE: the kernel table, one line per service:
# "ADDR:PORT/PROTO flags BACKEND/STATE..." sorted; stats left out.
e2e_kernel() {
	lbctl -N "$1" -j service list | jq -r '.[] |
		"\(.address):\(.port)/\(.protocol) m=\(.masquerade) l=\(.local_only) " +
		([.backends[]? | "\(.address):\(.port)/\(.state)"] | sort | join(","))' |
		sort
}

# e2e_kernel_keys NODE: the kernel's service keys only, sorted.
e2e_kernel_keys() {
	lbctl -N "$1" -j service list | jq -r '.[] | "\(.address):\(.port)/\(.protocol)"' |
		sort
}

# e2e_desired_keys: what the daemon's Services say the kernel must hold:
# every LB IP and clusterIP with every port, sorted.
e2e_desired_keys() {
	lbctl get services -A -o json | jq -r '.items[] |
		. as $s | ([.status.loadBalancer.ingress[]?.ip] +
		 [(.spec.clusterIPs // [.spec.clusterIP])[] | select(. != null and . != "None")]) |
		.[] as $ip | $s.spec.ports[] |
		(if ($ip | contains(":")) then $ip else $ip end) + ":\(.port)/\((.protocol // "TCP") | ascii_downcase)"' |
		sort
}

# e2e_same_keys NODE: kernel keys == desired keys.
e2e_same_keys() {
	local k d
	k=$(e2e_kernel_keys "$1")
	d=$(e2e_desired_keys)
	if [ "$k" != "$d" ]; then
		echo "kernel and desired state differ:" >&2
		diff <(echo "$d") <(echo "$k") | head -n 20 >&2
		return 1
	fi
}

# e2e_echo_server NS PORT: a TCP echo server (for long-lived flows).
e2e_echo_server() {
	lb_serve -e "$1,echo,tcp,4,$2"
}

# e2e_flow_open NS ADDR PORT: one long-lived TCP connection from NS; write
# lines with e2e_flow_send, its echoes land in $LB_TMP/flow.out.
e2e_flow_open() {
	rm -f "$LB_TMP/flow.in" "$LB_TMP/flow.out"
	mkfifo "$LB_TMP/flow.in" || return 1
	ip netns exec "$1" "$LB_TRAFFIC" pipe -t "$LB_TIMEOUT" tcp "$2" "$3" \
		<"$LB_TMP/flow.in" >"$LB_TMP/flow.out" 2>"$LB_TMP/flow.err" &
	E2E_FLOW_PID=$!
	_lb_pids+=("$E2E_FLOW_PID")
	exec 7>"$LB_TMP/flow.in"
}

# e2e_flow_send WORD: send WORD on the flow and wait for its echo.
e2e_flow_send() {
	local i
	echo "$1" >&7 || return 1
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if grep -qx -- "$1" "$LB_TMP/flow.out" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "no echo of '$1' on the flow:" >&2
	cat "$LB_TMP/flow.out" "$LB_TMP/flow.err" >&2
	return 1
}

# e2e_all_ips: "ns/name ip ip..." for every Service, sorted.
e2e_all_ips() {
	lbctl get services -A -o json | jq -r '.items[] |
		"\(.metadata.namespace)/\(.metadata.name) " +
		([.status.loadBalancer.ingress[]?.ip] | join(" "))' | sort
}

# e2e_pool_and_svc NAME CIDR: a pool for everything and one Service with an
# EndpointSlice over be1 and be2 on ports 80 (-> BPORT) and 9090 (echo).
e2e_pool_and_svc() {
	e2e_apply <<YAML
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata:
  name: $1
spec:
  blocks:
  - cidr: "$2"
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.20
  ports:
  - {name: http, port: 80, targetPort: $BPORT}
  - {name: echo, port: 9090, targetPort: 9090}
---
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
- addresses: ["$BE2_IP"]
YAML
}
