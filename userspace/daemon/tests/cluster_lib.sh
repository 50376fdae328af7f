# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What the cluster-mode host tests share (cluster.sh, cluster_journal.sh):
# a real etcd on loopback ports of their own, lbipamd nodes, and waiting
# for them to agree.  Sourced after lib.sh; sets npid/epid and c1..c3,
# p1..p3 (client and peer ports).
# shellcheck disable=SC2034,SC2154

# shellcheck disable=SC2317
cleanup_more() {
	local p
	for p in "${npid[@]}" "${epid[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
}
ETCD=${ETCD:-etcd}
ETCDCTL=${ETCDCTL:-etcdctl}
TTL=${LBIPAM_CLUSTER_TTL:-2}
declare -A npid=() epid=()

now_ms() {
	date +%s%3N
}

for t in "$ETCD" "$ETCDCTL" jq socat; do
	if ! command -v "$t" >/dev/null; then
		echo "Bail out! $t is missing (scripts/deps.sh installs it)"
		exit 1
	fi
done

# Ports of our own: a base from the PID, each port checked free.
base=$((20000 + ($$ % 2000) * 10))
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
while ! { port_free $base && port_free $((base + 1)) &&
	port_free $((base + 2)) && port_free $((base + 3)) &&
	port_free $((base + 4)) && port_free $((base + 5)); }; do
	base=$((base + 10))
done
c1=$base c2=$((base + 1)) c3=$((base + 2))
p1=$((base + 3)) p2=$((base + 4)) p3=$((base + 5))

# start_etcd NAME CLIENT PEER INITIAL-CLUSTER [STATE]
start_etcd() {
	"$ETCD" --name "$1" --data-dir "$tmp/etcd-$1" \
		--listen-client-urls "http://127.0.0.1:$2" \
		--advertise-client-urls "http://127.0.0.1:$2" \
		--listen-peer-urls "http://127.0.0.1:$3" \
		--initial-advertise-peer-urls "http://127.0.0.1:$3" \
		--initial-cluster "$4" --initial-cluster-state "${5:-new}" \
		--initial-cluster-token "lbipam-test-$$" \
		>>"$tmp/etcd-$1.log" 2>&1 &
	epid[$1]=$!
}

etcd_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$ETCDCTL" --endpoints "$1" endpoint health >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	return 1
}

# start_node NAME ENDPOINTS
start_node() {
	ASAN_OPTIONS=detect_leaks=1 "$LBIPAMD" --node-name "$1" \
		--state "$tmp/$1.db" --socket "$tmp/$1.sock" \
		--etcd-endpoints "$2" --etcd-lease-ttl "$TTL" \
		--metrics-address 127.0.0.1:0 \
		--log-level debug 2>>"$tmp/$1.log" &
	npid[$1]=$!
	local i
	for ((i = 0; i < 100; i++)); do
		lb "$1" get status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

stop_node() {
	kill -TERM "${npid[$1]}"
	wait "${npid[$1]}"
	local rc=$?
	unset "npid[$1]"
	[ "$rc" -ne 0 ] && echo "lbipamd $1 exited with $rc" &&
		tail -n 30 "$tmp/$1.log"
	return "$rc"
}

lb() {
	local node=$1
	shift
	LBIPAM_SOCKET=$tmp/$node.sock "$LBCTL" "$@"
}

leader_of() {
	lb "$1" get status -o json 2>/dev/null | jq -r '.cluster.leader // ""'
}

# Waits until every named node reports the same non-empty leader; prints it.
agreed_leader() {
	local i node l first
	for ((i = 0; i < 100; i++)); do
		first=$(leader_of "$1")
		for node in "$@"; do
			l=$(leader_of "$node")
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

# Every Service and its LB IPs, one line each, sorted.
ips() {
	lb "$1" get services -A -o json |
		jq -r '.items[] | "\(.metadata.namespace)/\(.metadata.name) \([.status.loadBalancer.ingress[]?.ip] | join(","))"' |
		sort
}

# Waits until node $1 shows exactly the table in file $2 ($3 tries, 50).
converged() {
	local i
	for ((i = 0; i < ${3:-50}; i++)); do
		ips "$1" >"$tmp/ips.$1" 2>&1
		cmp -s "$tmp/ips.$1" "$2" && return 0
		sleep 0.1
	done
	diff "$2" "$tmp/ips.$1"
	return 1
}

svc() {
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: default}
spec:
  type: LoadBalancer
  ports: [{port: 80, protocol: TCP}]
YAML
}

pool() {
	cat <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: blue}
spec:
  blocks: [{cidr: 20.0.10.0/28}]
YAML
}

