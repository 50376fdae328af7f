#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The reference planes' and the Maglev build's section of RESULTS.md (issue
# 11), from a bench/ref-planes.sh run; printed on stdout.
#
# Usage: bench/ref-report.sh RUNDIR
# RUNDIR holds ref-raw.tsv ("plane N metric rep value"), ref-sysinfo and,
# with LBIPAM_BENCH_PERF=1, perf-PLANE-PROTO.txt and perf-build.txt.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 RUNDIR" >&2
	exit 2
fi
run=$1
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
raw=$run/ref-raw.tsv
[[ -s "$raw" ]] || { echo "(no reference-plane run in $run)"; exit 0; }
info() { sed -n "s/^$1=//p" "$run/ref-sysinfo" 2>/dev/null | head -n 1; }

# Per proto and N: every plane's rates, median/min/max; the per-repetition
# ratios lbipam/nftmap and lbipam/direct (runs seconds apart), median/min/
# max; then one verdict line per target. Spread = interquartile range /
# median (min-max shown beside it: one stall of the shared host makes it).
flows_md() {
	awk -F'\t' '
	function sortv(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
	}
	function med(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	# quant(a, n, p): the p-quantile of sorted a[1..n], interpolated
	function quant(a, n, p,   x, i) {
		x = 1 + (n - 1) * p
		i = int(x)
		return i >= n ? a[n] : a[i] + (x - i) * (a[i + 1] - a[i])
	}
	# stats KEY: fills M, LO, HI, Q1, Q3, CNT of the values v[KEY, 1..cnt[KEY]]
	function stats(k,   i, a) {
		CNT = cnt[k]
		for (i = 1; i <= CNT; i++)
			a[i] = v[k, i]
		sortv(a, CNT)
		M = CNT ? med(a, CNT) : 0
		LO = a[1]
		HI = a[CNT]
		Q1 = CNT ? quant(a, CNT, 0.25) : 0
		Q3 = CNT ? quant(a, CNT, 0.75) : 0
	}
	function ratios(p, q, n,   r, i, a, c) {
		c = 0
		for (r in reps)
			if ((p SUBSEP proto SUBSEP n SUBSEP r) in val &&
			    (q SUBSEP proto SUBSEP n SUBSEP r) in val && val[q, proto, n, r] > 0)
				a[++c] = val[p, proto, n, r] / val[q, proto, n, r]
		sortv(a, c)
		RC = c
		RM = c ? med(a, c) : 0
		RLO = a[1]
		RHI = a[c]
		RQ1 = c ? quant(a, c, 0.25) : 0
		RQ3 = c ? quant(a, c, 0.75) : 0
	}
	$3 ~ /^(udp|tcp)_rate$/ && $5 != "" {
		pr = substr($3, 1, 3)
		k = $1 SUBSEP pr SUBSEP $2
		v[k, ++cnt[k]] = $5
		val[$1, pr, $2, $4] = $5
		reps[$4] = 1
		ns[$2] = 1
	}
	END {
		nn = 0
		for (n in ns)
			N[++nn] = n + 0
		sortv(N, nn)
		print "| proto | N | lbipam (1 backend) | nftmap | direct | lbipam / nftmap, paired | lbipam / direct, paired |"
		print "|---|---:|---:|---:|---:|---:|---:|"
		split("udp tcp", PR, " ")
		for (pi = 1; pi <= 2; pi++) {
			proto = PR[pi]
			for (j = 1; j <= nn; j++) {
				n = N[j]
				line = sprintf("| %s | %s |", toupper(proto), n)
				split("lbipam nftmap direct", P, " ")
				for (i = 1; i <= 3; i++) {
					stats(P[i] SUBSEP proto SUBSEP n)
					md[P[i]] = M
					sp[P[i]] = M > 0 ? (Q3 - Q1) / M : -1
					line = line (CNT ? sprintf(" %.0f (IQR %.0f-%.0f = %.0f%%; %.0f-%.0f) |", M, Q1, Q3, 100 * sp[P[i]], LO, HI) : " - |")
				}
				ratios("lbipam", "nftmap", n)
				rn = RM; rnc = RC; rnq1 = RQ1; rnq3 = RQ3
				line = line (RC ? sprintf(" %.2fx (%.2f-%.2f) |", RM, RLO, RHI) : " - |")
				ratios("lbipam", "direct", n)
				rd = RM; rdc = RC; rdq1 = RQ1; rdq3 = RQ3
				line = line (RC ? sprintf(" %.2fx (%.2f-%.2f) |", RM, RLO, RHI) : " - |")
				print line
				if (rnc)
					V[++nv] = sprintf("lbipam/nftmap %s N=%s: %.3fx (per-rep IQR %.2f-%.2f) (target >= 1.0x): %s",
							  toupper(proto), n, rn, rnq1, rnq3, rn >= 1.0 ? "met" : "not met")
				if (sp["lbipam"] >= 0 && sp["nftmap"] >= 0)
					V[++nv] = sprintf("lbipam spread (IQR/median) %s N=%s: %.1f%% against nftmap %.1f%% (target: no wider): %s",
							  toupper(proto), n, 100 * sp["lbipam"], 100 * sp["nftmap"],
							  sp["lbipam"] <= sp["nftmap"] ? "met" : "not met")
				if (rdc)
					V[++nv] = sprintf("lbipam/direct %s N=%s: %.3fx (per-rep IQR %.2f-%.2f) (reported: translating against not)",
							  toupper(proto), n, rd, rdq1, rdq3)
			}
		}
		print ""
		print "Verdicts (the paired ratio decides the rate target; its per-repetition interquartile range shows the noise):"
		print ""
		print "```"
		for (i = 1; i <= nv; i++)
			print V[i]
		print "```"
	}' "$raw"
}

# The Maglev build: per number of backends, the request's time; M as
# kmod/maglev.c's lbipam_lut_size() sizes the table.
build_md() {
	awk -F'\t' '
	function isprime(m,   d) {
		if (m < 2) return 0
		if (m % 2 == 0) return m == 2
		for (d = 3; d * d <= m; d += 2)
			if (m % d == 0) return 0
		return 1
	}
	function lut(n,   p, m) {
		p = 1
		while (p < n + 1)
			p *= 2
		m = p * 100
		if (m < 101) m = 101
		while (!isprime(m)) m++
		return m
	}
	function sortv(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
	}
	function stat(k,   i, a, c) {
		c = cnt[k]
		for (i = 1; i <= c; i++) a[i] = v[k, i]
		sortv(a, c)
		if (!c) return "-"
		M[k] = c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
		return sprintf("%.1f (%.1f-%.1f)", M[k], a[1], a[c])
	}
	$3 == "build_ms" && $5 != "" {
		k = $1 SUBSEP $2
		v[k, ++cnt[k]] = $5
		ns[$2] = 1
	}
	END {
		nn = 0
		for (n in ns) B[++nn] = n + 0
		sortv(B, nn)
		print "| backends | table slots M | build (ms) | per backend (µs) | per slot (ns) |"
		print "|---:|---:|---:|---:|---:|"
		for (j = 1; j <= nn; j++) {
			n = B[j]
			k = "maglev" SUBSEP n
			a = stat(k)
			printf "| %d | %d | %s | %.1f | %.0f |\n", n, lut(n), a,
			       1000 * M[k] / n, 1e6 * M[k] / lut(n)
		}
	}' "$raw"
}

# The profiles (LBIPAM_BENCH_PERF=1): every netfilter and lbipam function
# with its share of the busy samples including what it calls, per plane
# and protocol; the functions a flow of one plane pays for and not the
# other's stand out.
perf_md() {
	local files=() f
	for f in lbipam-udp nftmap-udp direct-udp lbipam-tcp nftmap-tcp direct-tcp; do
		[[ -f "$run/perf-$f.txt" ]] && files+=("$run/perf-$f.txt")
	done
	((${#files[@]})) || return 0
	grep -q '^## netfilter' "${files[0]}" || return 0
	echo "### Where a new flow's time goes (perf, the largest N)"
	echo
	echo "One profiled run per plane and protocol (LBIPAM_BENCH_PERF=1: perf record -e cpu-clock"
	echo "-F 999 -a -g over one flow run of LBIPAM_BENCH_PERF_SECS s, perf.data on the VM's tmpfs):"
	echo "each netfilter and lbipam function's samples including its callees (children), as"
	echo "microseconds of (emulated) CPU per flow of that run: samples x 1/999 s / flows. The"
	echo "whole reports, with the busiest symbols: build/bench/out/perf-*.txt."
	echo
	awk '
	FNR == 1 {
		col++
		name = FILENAME
		sub(/.*perf-/, "", name)
		sub(/\.txt$/, "", name)
		C[col] = name
		fl = $0
		sub(/.* flows=/, "", fl)
		sub(/ .*/, "", fl)
		F[col] = fl
		rate = $0
		sub(/.* rate=/, "", rate)
		sub(/ .*/, "", rate)
		R[col] = rate
		nf = 0
	}
	/^# samples: / { T[col] = $3 }
	/^# busy / { v = $5; sub(/%/, "", v); BUSY[col] = v / 100 }
	/^## netfilter/ { nf = 1; next }
	/^## / { nf = 0 }
	nf && NF >= 4 {
		sym = $4
		v = $1
		sub(/%/, "", v)
		# percent of the busy samples -> samples -> us per flow
		us = F[col] > 0 ? v / 100 * BUSY[col] * T[col] * 1e6 / 999 / F[col] : 0
		val[sym, col] = us
		if (us > max[sym])
			max[sym] = us
		if (!(sym in seen)) {
			seen[sym] = 1
			S[++ns] = sym
		}
	}
	END {
		printf "| µs per flow (children) |"
		for (c = 1; c <= col; c++)
			printf " %s |", C[c]
		printf "\n|---|"
		for (c = 1; c <= col; c++)
			printf "---:|"
		printf "\n| flows/s of the profiled run |"
		for (c = 1; c <= col; c++)
			printf " %.0f |", R[c]
		printf "\n| all busy samples, µs per flow |"
		for (c = 1; c <= col; c++)
			printf " %.0f |", (F[c] > 0 ? BUSY[c] * T[c] * 1e6 / 999 / F[c] : 0)
		printf "\n"
		for (i = 1; i <= ns; i++) {
			if (max[S[i]] < 2 && S[i] !~ /^lbipam/)
				continue
			printf "| %s |", S[i]
			for (c = 1; c <= col; c++)
				printf " %s |", ((S[i], c) in val) ? sprintf("%.1f", val[S[i], c]) : "-"
			printf "\n"
		}
	}' "${files[@]}"
	echo
}

reps=$(awk -F'\t' '$1 == "lbipam" && $3 == "udp_rate" { r[$4] = 1 } END { print length(r) }' "$raw")
cat <<EOF
## Reference planes: the least nftables DNAT, and no translation (issue 11)

\`make bench-ref\` (bench/ref-planes.sh in the VM, bench/ref-report.sh), written
$(date -u '+%Y-%m-%d %H:%M UTC') at commit $(git -C "$top" log -1 --format='%h' 2>/dev/null || echo '?')
(module built from that tree); VM kernel $(info kernel), $(info vcpus) vCPUs under TCG; $(info nft).
The 2-core host was shared with other test VMs: its load average when the run ended was
$(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min). Three copies of the topology,
all loaded at once (each in its own namespaces; lbipam hooks only a namespace that has a
service), N service-ports as in the tables above but **one backend each** (the target's is
198.51.100.2:8080):

- **lbipam**: \`lbctl -b\` of \`lbipam-1be.batch\` (maglev, one backend).
- **nftmap** (a): one nft table, one data map \`ipv4_addr . inet_proto . inet_service :
  ipv4_addr . inet_service\` holding the same N+1 service-ports, one rule \`dnat ip to ip
  daddr . meta l4proto . th dport map @svc\` in a nat prerouting chain: the same translation
  with the least rule machinery.
- **direct** (b): no service; the flows go to 198.51.100.2:8080 itself, through a node whose
  only rule, \`ct state invalid drop\`, makes conntrack track them. Nothing is translated: the
  limit a translating data plane can approach.

Per N, $reps repetitions; in each, per protocol, one run on each plane seconds apart, the
order rotating with the repetition (lbipam first, nftmap first, direct first, ...), each run
${LBIPAM_BENCH_REF_SECS:-1} s of sequential new flows (bench/flowgen, as above; \`conntrack -F\`
before and after). Cells: median flows/s (interquartile range = its share of the median,
the spread the target judges; then lowest-highest run, which one stall of the shared host
decides); ratios: the median of the per-repetition ratios (lowest-highest), which the
host's drift does not reach. Per-run values: build/bench/out/ref-raw.tsv (flowgen's lines:
ref-flows.log).

$(flows_md)

$(perf_md)

## Maglev build time (issue 11)

One service, one \`BACKEND_REPLACE\` request of N new backends at weight 1 into it right
after \`service add\` (bench/maglev-build.py: the request alone, from send to answer; the
module's parameter max_backends raised to 65534). The time includes parsing the request,
sorting and merging the backends and the new state, not only filling the table. Median
(lowest-highest) of ${LBIPAM_BENCH_MG_REPS:-3} builds.
The table has M slots, the smallest prime >= 100 x the power of two above the backend count
(kmod/maglev.c).

$(build_md)
EOF
