#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cluster mode against SQLite, on the host (no kernel module): allocations
# per second, apply-to-every-node latency (p50/p99) and leader failover,
# with a real etcd started on loopback, on etcd's default txn limits (a
# batch larger than one txn goes through the journal).  Writes
# bench/CLUSTER.md and the "Cluster mode" section of bench/RESULTS.md.
#
#   bench/cluster.sh          LBIPAM_CLUSTER_NS="1000 10000 30000" (Services)
#                             LBIPAM_CLUSTER_REPS=50 (single applies timed)
#                             LBIPAM_CLUSTER_BATCH=500 (Services per apply)
#                             LBIPAM_CLUSTER_TTL=2 (lease, seconds)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
LBIPAMD=${LBIPAMD:-$top/userspace/lbipamd}
LBCTL=${LBCTL:-$top/userspace/lbctl/lbctl}
NS=${LBIPAM_CLUSTER_NS:-1000 10000 30000}
REPS=${LBIPAM_CLUSTER_REPS:-50}
BATCH=${LBIPAM_CLUSTER_BATCH:-500}
OUT=${LBIPAM_CLUSTER_OUT:-$top/bench/CLUSTER.md}
RESULTS=${LBIPAM_CLUSTER_RESULTS:-$top/bench/RESULTS.md}
TTL=${LBIPAM_CLUSTER_TTL:-2}
tmp=$(mktemp -d)
pids=()
start_all=$SECONDS

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ms() { date +%s%3N; }

base=$((30000 + ($$ % 1000) * 10))
EP=http://127.0.0.1:$base

lb() {
	local node=$1
	shift
	LBIPAM_SOCKET=$tmp/$node.sock "$LBCTL" "$@"
}

wait_sock() {
	local i
	for ((i = 0; i < 200; i++)); do
		lb "$1" get status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "lbipamd $1 did not start" >&2
	return 1
}

# node NAME [ARGS...]: an lbipamd on its own socket and state.
node() {
	local name=$1
	shift
	"$LBIPAMD" --node-name "$name" --state "$tmp/$name.db" \
		--socket "$tmp/$name.sock" --log-level warn "$@" \
		2>>"$tmp/$name.log" &
	pids+=($!)
	eval "pid_$name=$!"
	wait_sock "$name"
}

start_etcd() {
	rm -rf "$tmp/etcd"
	# etcd's default --max-txn-ops and --max-request-bytes: a batch
	# goes through the journal.
	etcd --name b --data-dir "$tmp/etcd" \
		--listen-client-urls "$EP" --advertise-client-urls "$EP" \
		--listen-peer-urls "http://127.0.0.1:$((base + 1))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((base + 1))" \
		--initial-cluster "b=http://127.0.0.1:$((base + 1))" \
		--quota-backend-bytes $((4 * 1024 * 1024 * 1024)) \
		>>"$tmp/etcd.log" 2>&1 &
	pids+=($!)
	local i
	for ((i = 0; i < 100; i++)); do
		etcdctl --endpoints "$EP" endpoint health >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

leader_of() {
	lb "$1" get status -o json 2>/dev/null | jq -r '.cluster.leader // ""'
}

pool_yaml() {
	cat <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: bench}
spec:
  blocks: [{cidr: 10.128.0.0/16}]
YAML
}

# batch FROM TO: Services svc-FROM .. svc-TO-1 as one YAML.
batch() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i < b; i++)
			printf "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%d, namespace: default}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80, protocol: TCP}]\n", i
	}'
}

# has_ip NODE SVC: the node shows an LB IP for it (describe looks one
# Service up in the daemon; get would list them all).
has_ip() {
	lb "$1" describe service "$2" -n default 2>/dev/null |
		grep -q '^LoadBalancer Ingress: *[0-9a-f]'
}

pct() {	# pct FILE P: the P-th percentile of a column of numbers
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
		i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'
}

# run MODE N: fill N Services, then time REPS single applies; MODE is
# sqlite (one node) or etcd (three nodes, applies through the leader,
# each timed until every node shows the IP).
run() {
	local mode=$1 n=$2 t0 t1 i j s nodes lead
	rm -f "$tmp"/*.db "$tmp"/*.log
	pids=()
	if [ "$mode" = sqlite ]; then
		node n1
		nodes=(n1)
		lead=n1
	else
		start_etcd
		node n1 --etcd-endpoints "$EP" --etcd-lease-ttl "$TTL"
		node n2 --etcd-endpoints "$EP" --etcd-lease-ttl "$TTL"
		node n3 --etcd-endpoints "$EP" --etcd-lease-ttl "$TTL"
		nodes=(n1 n2 n3)
		for ((i = 0; i < 100; i++)); do
			lead=$(leader_of n1)
			[ -n "$lead" ] && break
			sleep 0.05
		done
	fi
	pool_yaml | lb "$lead" apply -f - >/dev/null
	t0=$(ms)
	for ((i = 0; i < n; i += BATCH)); do
		j=$((i + BATCH > n ? n : i + BATCH))
		batch $i $j >"$tmp/batch.yaml"
		lb "$lead" apply -f "$tmp/batch.yaml" >/dev/null
	done
	tl=$(ms)
	for s in "${nodes[@]}"; do
		until has_ip "$s" "svc-$((n - 1))"; do sleep 0.01; done
	done
	t1=$(ms)
	alloc=$((n * 1000 / (t1 - t0 > 0 ? t1 - t0 : 1)))
	catchup=$((t1 - tl))
	: >"$tmp/lat"
	for ((i = 0; i < REPS; i++)); do
		batch $((n + i)) $((n + i + 1)) >"$tmp/one.yaml"
		t0=$(ms)
		lb "$lead" apply -f "$tmp/one.yaml" >/dev/null
		for s in "${nodes[@]}"; do
			until has_ip "$s" "svc-$((n + i))"; do :; done
		done
		t1=$(ms)
		echo $((t1 - t0)) >>"$tmp/lat"
	done
	p50=$(pct "$tmp/lat" 50)
	p99=$(pct "$tmp/lat" 99)
	failover=
	if [ "$mode" = etcd ]; then
		# The leader now, as it says itself (it may have changed).
		for ((i = 0; i < 100; i++)); do
			lead=$(leader_of n1)
			[ -n "$lead" ] && lb "$lead" get status -o json |
				jq -e '.cluster.isLeader' >/dev/null && break
			sleep 0.05
		done
		local pidvar=pid_$lead other=n1 new=
		[ "$lead" = n1 ] && other=n2
		t0=$(ms)
		kill -KILL "${!pidvar}"
		until new=$(leader_of $other) && [ -n "$new" ] && [ "$new" != "$lead" ]; do
			sleep 0.02
		done
		t1=$(ms)
		failover=$((t1 - t0))
	fi
	for s in "${pids[@]}"; do kill -TERM "$s" 2>/dev/null || true; done
	wait 2>/dev/null || true
	printf '| %s | %d | %d | %s | %s | %s | %s |\n' "$mode" "$n" "$alloc" \
		"$catchup" "$p50" "$p99" "${failover:-–}" >>"$tmp/rows"
	echo "$mode n=$n: $alloc allocations/s, catch-up $catchup ms, apply-to-every-node p50 $p50 ms p99 $p99 ms${failover:+, failover $failover ms}" >&2
}

: >"$tmp/rows"
for n in $NS; do
	run sqlite "$n"
	run etcd "$n"
done

{
	echo "# Cluster mode: etcd against SQLite"
	echo
	echo "Generated by \`make bench-cluster\` (bench/cluster.sh) on $(date -u '+%Y-%m-%d %H:%M') UTC in $((SECONDS - start_all)) s"
	echo "(LBIPAM_CLUSTER_NS=\"$NS\", LBIPAM_CLUSTER_REPS=$REPS, LBIPAM_CLUSTER_BATCH=$BATCH);"
	echo "$(etcd --version | head -1), host $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), shared with other work."
	echo
	echo "On the host, without the kernel module: the daemons allocate and reconcile their"
	echo "wanted kernel table, the netlink part is not included.  **sqlite**: one lbipamd,"
	echo "its SQLite file.  **etcd**: one etcd member and three lbipamd on loopback, lease"
	echo "TTL $TTL s, every write through the leader."
	echo
	echo "- *allocations/s*: N Services applied in batches of $BATCH (each one commit through"
	echo "  the journal: etcd runs with its default --max-txn-ops 128), until every node"
	echo "  shows the last one's LB IP."
	echo "- *catch-up*: from the return of the last batch's \`lbctl apply\` on the leader until"
	echo "  every node shows its last Service's LB IP."
	echo "- *apply-to-every-node*: then $REPS single-Service applies, each from the start of"
	echo "  \`lbctl apply\` until \`lbctl describe service\` on every node shows its LB IP"
	echo "  (polled; each poll is a process start, a few ms)."
	echo "- *failover*: \`kill -9\` of the leader until a follower's \`lbctl get status\`"
	echo "  names another leader, as a client sees it."
	echo
	echo "| store | Services | allocations/s | catch-up (ms) | apply-to-every-node p50 (ms) | p99 (ms) | leader failover (ms) |"
	echo "|---|---|---|---|---|---|---|"
	cat "$tmp/rows"
	echo
	echo "A follower applies each commit from the watch's changes alone: no read of the"
	echo "prefix, only the changed objects loaded into its engine, only the Services they"
	echo "touch reconciled. A commit larger than one etcd txn is journaled (lbipamd(8)):"
	echo "the leader writes every change twice (journal, then keys), in one etcd round"
	echo "trip per 100 keys; a single-Service apply is one txn."
} >"$OUT"
echo "wrote $OUT" >&2
# The same as RESULTS.md's "Cluster mode" section (headings one level down).
if [ -f "$RESULTS" ]; then
	awk -v src="$OUT" '
		function section() {
			print "## Cluster mode (etcd; bench/CLUSTER.md, `make bench-cluster`)"
			while ((getline l < src) > 0)
				if (l !~ /^# /)
					print (l ~ /^#/ ? "#" l : l)
			print ""
		}
		/^## Cluster mode/ { skip = 1; section(); done = 1; next }
		skip && /^## / { skip = 0 }
		!skip && /^## Raw data/ && !done { section(); done = 1 }
		!skip { print }
	' "$RESULTS" >"$tmp/results" && cp "$tmp/results" "$RESULTS"
	echo "updated $RESULTS" >&2
fi
