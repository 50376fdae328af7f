#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cluster mode with the kernel: three node namespaces, each with its own
# lbipamd and lbipam table, sharing one etcd (started here, in a namespace
# of its own, reached over a bridge):
#
#   client -- node (n1) --- be1, be2        etcd netns: br0 10.99.0.1
#             n2, n3                        each node: e0 10.99.0.1N/24
#
# The walk-through is applied through n2; every node's kernel table is the
# same and equals the desired state; the client reaches the LB IPs through
# n1.  kill -9 of the leader: another leads, nothing is renumbered, a new
# Service reaches every surviving kernel; the killed node comes back to the
# same table.

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
# kind's node image has no etcd: cluster mode is tested in the VM.
if ! type -P etcd >/dev/null || ! type -P etcdctl >/dev/null; then
	lb_skip "etcd is not installed here (scripts/deps.sh installs etcd-server)"
fi
lb_plan 25

client=$LB_RUN-client
etcdns=$LB_RUN-etcd
nodes=("$LB_RUN-node" "$LB_RUN-n2" "$LB_RUN-n3")
EP=http://10.99.0.1:2379
TTL=4
declare -A pid=()
# shellcheck source-path=SCRIPTDIR source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"

# The etcd namespace with its bridge; each node gets e0 on it.
cluster_net() {
	local i=1 n
	lb_ns_add "$etcdns" || return 1
	lb_ns_add "${nodes[1]}" || return 1
	lb_ns_add "${nodes[2]}" || return 1
	ip -n "$etcdns" link add br0 type bridge || return 1
	ip -n "$etcdns" addr add 10.99.0.1/24 dev br0 || return 1
	ip -n "$etcdns" link set br0 up || return 1
	for n in "${nodes[@]}"; do
		ip link add e0 netns "$n" type veth peer name "v$i" \
			netns "$etcdns" || return 1
		ip -n "$etcdns" link set "v$i" master br0 up || return 1
		ip -n "$n" addr add "10.99.0.1$i/24" dev e0 || return 1
		ip -n "$n" link set e0 up || return 1
		i=$((i + 1))
	done
}

leader_of() {
	on "$1" get status -o json 2>/dev/null | jq -r '.cluster.leader // ""'
}

# agreed NODE...: every NODE names the same leader; prints it.
agreed() {
	local i n l first
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		first=$(leader_of "$1")
		for n in "$@"; do
			l=$(leader_of "$n")
			if [ -z "$l" ] || [ "$l" != "$first" ]; then
				first=
				break
			fi
		done
		[ -n "$first" ] && echo "$first" && return 0
		sleep 0.1
	done
	return 1
}

# same_tables NODE...: every NODE's kernel table equals the first's and
# the desired state its daemon computes (waits for followers to catch up).
same_tables() {
	local i n ok
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		e2e_kernel "$1" >"$LB_TMP/k.first"
		ok=1
		for n in "$@"; do
			e2e_kernel "$n" >"$LB_TMP/k.$n"
			cmp -s "$LB_TMP/k.first" "$LB_TMP/k.$n" || ok=
			LBIPAM_SOCKET=$LB_TMP/$n.sock e2e_same_keys "$n" \
				2>/dev/null || ok=
		done
		[ -n "$ok" ] && [ -s "$LB_TMP/k.first" ] && return 0
		sleep 0.2
	done
	for n in "$@"; do
		echo "== $n"
		cat "$LB_TMP/k.$n"
	done
	return 1
}

walkthrough() {
	on "${nodes[1]}" apply -f - <"$LB_SELFTEST_DIR/seed-pools.yaml" ||
		return 1
	on "${nodes[1]}" apply -f - <<YAML || return 1
apiVersion: v1
kind: Service
metadata: {name: service-blue, namespace: default, labels: {color: blue}}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: service-red, namespace: default, labels: {color: red}}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.11
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: service-blue-x1
  namespace: default
  labels: {kubernetes.io/service-name: service-blue}
addressType: IPv4
ports: [{name: http, port: $BPORT, protocol: TCP}]
endpoints:
- {addresses: ["$(lb_be_ip 1)"], conditions: {ready: true}}
- {addresses: ["$(lb_be_ip 2)"], conditions: {ready: true}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: service-red-x1
  namespace: default
  labels: {kubernetes.io/service-name: service-red}
addressType: IPv4
ports: [{name: http, port: $BPORT, protocol: TCP}]
endpoints:
- {addresses: ["$(lb_be_ip 2)"], conditions: {ready: true}}
YAML
	on "${nodes[1]}" apply -f - <<'YAML'
apiVersion: "cilium.io/v2alpha1"
kind: CiliumLoadBalancerIPPool
metadata:
  name: "blue-pool"
spec:
  blocks:
  - cidr: "20.0.20.0/24"
  serviceSelector:
    matchExpressions:
      - {key: color, operator: In, values: [blue, cyan]}
YAML
}

all_ips() {
	LBIPAM_SOCKET=$LB_TMP/$1.sock e2e_all_ips
}

lb_check "topology: node n1 with a client and 2 backends" lb_topology "$LB_RUN" 2
lb_check "TCP servers on the backends" lb_serve \
	"$LB_RUN-be1,be1,tcp,4,$BPORT" "$LB_RUN-be2,be2,tcp,4,$BPORT"
lb_check "nodes n2, n3 and etcd's namespace on one bridge" cluster_net
lb_check "etcd starts in its namespace" start_etcd
for n in "${nodes[@]}"; do
	lb_check "lbipamd starts in $n, cluster mode" node_start "$n"
done
leader=$(agreed "${nodes[@]}")
lb_check "the three nodes agree on a leader (${leader#"$LB_RUN"-})" test -n "$leader"
lb_check "the walk-through applied through n2" walkthrough
blue=$(LBIPAM_SOCKET=$LB_TMP/${nodes[0]}.sock e2e_wait_ip default/service-blue '^20\.0\.20\.')
red=$(LBIPAM_SOCKET=$LB_TMP/${nodes[0]}.sock e2e_wait_ip default/service-red '^20\.0\.10\.')
lb_check "n1 shows blue $blue and red $red" test -n "$blue" -a -n "$red"
lb_check "every node's kernel table is the same and as desired" same_tables "${nodes[@]}"
lb_diag "$(cat "$LB_TMP/k.first")"
out=$(lb_tcp "$client" "$blue" 80 2>&1)
lb_check "TCP to blue's LB IP $blue through n1 reaches a backend ($out)" \
	eval '[[ "$out" =~ ^be[12]\  ]]'
out=$(lb_tcp "$client" "$red" 80 2>&1)
lb_check "TCP to red's LB IP $red through n1 reaches be2 ($out)" \
	eval '[[ "$out" =~ ^be2\  ]]'

# --- kill -9 of the leader ---
all_ips "${nodes[0]}" >"$LB_TMP/ips1"
e2e_kernel "$leader" >"$LB_TMP/k.killed"
t0=$(lb_now_ms)
kill -KILL "${pid[$leader]}"
wait "${pid[$leader]}" 2>/dev/null
rest=()
for n in "${nodes[@]}"; do [ "$n" != "$leader" ] && rest+=("$n"); done
new=
for ((i = 0; i < LB_TIMEOUT * 30; i++)); do
	a=$(leader_of "${rest[0]}")
	b=$(leader_of "${rest[1]}")
	if [ -n "$a" ] && [ "$a" != "$leader" ] && [ "$a" = "$b" ]; then
		new=$a
		break
	fi
	sleep 0.1
done
t1=$(lb_now_ms)
[ -z "$new" ] && lb_diag "after the kill: ${rest[0]} says '$a', ${rest[1]} says '$b'" \
	"$(tail -n 15 "$LB_TMP/${rest[0]}.log")" "$(tail -n 15 "$LB_TMP/${rest[1]}.log")"
lb_check "kill -9 of the leader: ${new#"$LB_RUN"-} leads after $((t1 - t0)) ms (TTL $TTL s)" \
	test -n "$new"
all_ips "${rest[0]}" >"$LB_TMP/ips2"
lb_check "nothing renumbered" diff "$LB_TMP/ips1" "$LB_TMP/ips2"
lb_check "the killed node's kernel table is left as it was" eval \
	'e2e_kernel "$leader" | diff "$LB_TMP/k.killed" -'
svc_green() {
	on "$1" apply -f - <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: service-green, namespace: default}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.12
  ports: [{name: http, port: 80, protocol: TCP}]
YAML
}
lb_check "a new Service through a surviving node" svc_green "${rest[1]}"
lb_check "the surviving kernels agree and hold it" eval \
	'same_tables "${rest[@]}" && grep -q "10.96.0.12:80/tcp" "$LB_TMP/k.first"'
lb_check "the killed node restarts" node_start "$leader"
lb_check "every kernel table is the same again" same_tables "${nodes[@]}"
all_ips "$leader" | grep -v '^default/service-green ' >"$LB_TMP/ips3"
lb_check "the restarted node shows the same LB IPs" diff "$LB_TMP/ips1" "$LB_TMP/ips3"
out=$(lb_tcp "$client" "$blue" 80 2>&1)
lb_check "blue's LB IP still reaches a backend through n1 ($out)" \
	eval '[[ "$out" =~ ^be[12]\  ]]'
for n in "${nodes[@]}"; do
	lb_check "lbipamd in ${n#"$LB_RUN"-} stops cleanly" eval \
		'kill -TERM "${pid[$n]}" && wait "${pid[$n]}"'
done

lb_exit
