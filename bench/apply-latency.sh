#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# One-Service apply latency through lbctl against a running lbipamd that
# holds N Services (issue 10): does one change cost what it changes?
#
# Usage: bench/apply-latency.sh OUTDIR LBIPAMD LBCTL
#   Runs as root in the bench VM (kernel programmed; scripts/bench.sh), or
#   anywhere without the module (allocation and daemon only; lbipamd then
#   reports the kernel missing and programs nothing).
# Environment:
#   LBIPAM_BENCH_APPLY_NS    Service counts (default "1000 30000 100000")
#   LBIPAM_BENCH_APPLY_REPS  applies measured per N (default 50)
#
# Per N: a fresh lbipamd (own state file and socket, in network namespace
# bn-apply when run as root, so the kernel table is its alone) is loaded
# with one pool and N LoadBalancer Services, each with an EndpointSlice of
# two endpoints, in applies of 5000; then one probe Service is applied
# REPS times, its port alternating 80/81 so that every apply changes the
# kernel (one lbipam service deleted, one added with its backends).
# Each apply is timed around the lbctl process, which returns when the
# daemon has answered, i.e. after it programmed the kernel.
#
# Writes OUTDIR/apply.tsv ("N rep ms" lines) and OUTDIR/apply.txt (p50,
# p99 per N and the verdict: flat when p50 at the middle N is within 2x
# of p50 at the smallest).
set -euo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: $0 OUTDIR LBIPAMD LBCTL" >&2
	exit 2
fi
out=$1 daemon=$2 lbctl=$3
ns_list=${LBIPAM_BENCH_APPLY_NS:-1000 30000 100000}
reps=${LBIPAM_BENCH_APPLY_REPS:-50}
mkdir -p "$out"
tmp=$(mktemp -d)
pid=
netns=
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[[ -n "$netns" ]] && ip netns del "$netns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
say() { echo "apply-latency: $*" >&2; }

# N Services with their EndpointSlices, from index $2 to $3 - 1.
gen() {
	awk -v from="$1" -v to="$2" 'BEGIN {
		for (i = from; i < to; i++) {
			printf "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s%d\n  namespace: bench\nspec:\n  type: LoadBalancer\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n", i
			printf "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s%d-1\n  namespace: bench\n  labels: {kubernetes.io/service-name: s%d}\naddressType: IPv4\nports:\n- {name: http, port: 8080}\nendpoints:\n- addresses: [198.51.%d.%d]\n- addresses: [198.51.%d.%d]\n", i, i, 100 + i % 4, 2 + i % 200, 100 + i % 4, 3 + i % 200
		}
	}'
}

probe() {
	printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: probe\n  namespace: bench\nspec:\n  type: LoadBalancer\n  ports:\n  - {name: http, port: %d, targetPort: 8080}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: probe-1\n  namespace: bench\n  labels: {kubernetes.io/service-name: probe}\naddressType: IPv4\nports:\n- {name: http, port: 8080}\nendpoints:\n- addresses: [198.51.100.2]\n' "$1"
}

now_ns() { date +%s%N; }

: >"$out/apply.tsv"
for n in $ns_list; do
	rm -f "$tmp"/state.db*
	args=(--state "$tmp/state.db" --socket "$tmp/s.sock" --log-level warn)
	if [[ $(id -u) == 0 ]] && command -v ip >/dev/null; then
		netns=bn-apply
		ip netns del "$netns" 2>/dev/null || true
		ip netns add "$netns"
		args+=(--netns "$netns")
	fi
	"$daemon" "${args[@]}" 2>"$tmp/log" &
	pid=$!
	for _ in $(seq 100); do [[ -S "$tmp/s.sock" ]] && break; sleep 0.1; done
	export LBIPAM_SOCKET=$tmp/s.sock
	printf 'apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: bench}\nspec:\n  blocks:\n  - cidr: 10.128.0.0/14\n' |
		"$lbctl" apply -f - >/dev/null
	t0=$(now_ns)
	for ((i = 0; i < n; i += 5000)); do
		gen "$i" "$((i + 5000 < n ? i + 5000 : n))" >"$tmp/chunk.yaml"
		"$lbctl" apply -f "$tmp/chunk.yaml" >/dev/null
	done
	say "N=$n loaded in $((($(now_ns) - t0) / 1000000)) ms ($("$lbctl" get status 2>&1 | grep -i kernel | head -1 | tr -s ' '))"
	for ((r = 0; r < reps; r++)); do
		probe $((80 + r % 2)) >"$tmp/probe.yaml"
		t0=$(now_ns)
		"$lbctl" apply -f "$tmp/probe.yaml" >/dev/null
		t1=$(now_ns)
		awk -v n="$n" -v r="$r" -v d="$((t1 - t0))" \
			'BEGIN { printf "%d %d %.3f\n", n, r, d / 1e6 }' >>"$out/apply.tsv"
	done
	kill "$pid"
	wait "$pid" || true
	pid=
	if [[ -n "$netns" ]]; then
		ip netns del "$netns"
		netns=
	fi
done

# p50/p99 per N (nearest rank) and the flatness verdict.
sort -k1,1n -k3,3n "$out/apply.tsv" | awk '
	{ v[$1, ++c[$1]] = $3; if (!($1 in seen)) { seen[$1] = 1; ns[++k] = $1 } }
	END {
		printf "one-Service apply through lbctl (ms)\n%8s %6s %9s %9s\n", "N", "reps", "p50", "p99"
		for (i = 1; i <= k; i++) {
			n = ns[i]; m = c[n]
			p50[i] = v[n, int((m + 1) * 0.50)]
			r99 = int(m * 0.99 + 0.999); if (r99 < 1) r99 = 1
			printf "%8d %6d %9.2f %9.2f\n", n, m, p50[i], v[n, r99]
		}
		if (k >= 2) {
			mid = k >= 3 ? 2 : k
			ratio = p50[mid] / p50[1]
			printf "flatness: p50 at N=%d is %.2fx p50 at N=%d: %s\n", ns[mid], ratio, ns[1], ratio <= 2 ? "FLAT (within 2x)" : "NOT FLAT"
		}
	}' | tee "$out/apply.txt"
