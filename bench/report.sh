#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Turn a benchmark run (scripts/bench.sh) into RESULTS.md and results.png.
#
# Usage: bench/report.sh RUNDIR DESTDIR
# RUNDIR holds raw.tsv ("plane N metric rep value"), sysinfo, engine.txt,
# hostcpu, elapsed and vm.log.
set -euo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 RUNDIR DESTDIR" >&2
	exit 2
fi
run=$1
dest=$2
mkdir -p "$dest"
raw=$run/raw.tsv
[[ -s "$raw" ]] || : >"$raw"

# One line per plane, N, metric: count, median, min, max.
summary=$run/summary.tsv
sort -k1,1 -k2,2n -k3,3 -k5,5g "$raw" | awk -F'\t' '
function flush() {
	if (key == "")
		return
	med = cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
	printf "%s\t%s\t%s\t%d\t%g\t%g\t%g\n", p, n, m, cnt, med, v[1], v[cnt]
}
$5 != "" {
	k = $1 SUBSEP $2 SUBSEP $3
	if (k != key) {
		flush()
		key = k
		p = $1
		n = $2
		m = $3
		cnt = 0
	}
	v[++cnt] = $5
}
END { flush() }' >"$summary"

info() { sed -n "s/^$1=//p" "$run/sysinfo" 2>/dev/null | head -n 1; }
ns=$(cut -f2 "$summary" | sort -nu | tr '\n' ' ')
nmax=$(cut -f2 "$summary" | sort -n | tail -n 1)
planes="lbipam iptables nftables ipvs"

# table METRIC TITLE UNIT HIGHER_IS_BETTER DIGITS
table() {
	awk -F'\t' -v metric="$1" -v title="$2" -v unit="$3" -v hib="$4" \
		-v dig="$5" -v planes="$planes" -v ns="$ns" '
	$3 == metric { c[$1, $2] = $4; med[$1, $2] = $5; mn[$1, $2] = $6; mx[$1, $2] = $7 }
	END {
		np = split(planes, P, " ")
		nn = split(ns, N, " ")
		printf "### %s\n\n", title
		printf "| N |"
		for (i = 1; i <= np; i++)
			printf " %s |", P[i]
		printf "\n|---:|"
		for (i = 1; i <= np; i++)
			printf "---:|"
		printf "\n"
		for (j = 1; j <= nn; j++) {
			printf "| %s |", N[j]
			for (i = 1; i <= np; i++) {
				k = P[i] SUBSEP N[j]
				if (!(k in med)) {
					printf " - |"
					continue
				}
				fmt = "%." dig "f"
				cell = sprintf(fmt, med[k])
				if (c[k] > 1)
					cell = cell sprintf(" (" (hib ? "worst " : "best ") fmt ")", mn[k])
				l = "lbipam" SUBSEP N[j]
				if (P[i] != "lbipam" && (l in med) && med[l] > 0)
					cell = cell sprintf(", %.2fx", med[k] / med[l])
				printf " %s |", cell
			}
			printf "\n"
		}
		printf "\n"
	}' "$summary"
}

get() { # plane n metric -> median
	awk -F'\t' -v p="$1" -v n="$2" -v m="$3" \
		'$1 == p && $2 == n && $3 == m { print $5 }' "$summary"
}

# verdict NAME CONDITION-EXPR (awk, on numbers) DETAIL
verdict() {
	local ok
	ok=$(awk "BEGIN { print ($2) ? \"holds\" : \"MISSED\" }" 2>/dev/null || echo "n/a")
	printf '| %s | %s | %s |\n' "$1" "$ok" "$3"
}

targets() {
	local l1 lm nm im pm lb10 p_l p_n ld_l ld_n ld_i
	local a1 am m_l m_i lu1 lum nu im10
	if [[ -z "$nmax" ]]; then
		echo "(no data)"
		return
	fi
	echo "| target (at N = $nmax, the largest N of this run) | verdict | figures (medians) |"
	echo "|---|---|---|"
	for proto in tcp udp; do
		l1=$(get lbipam 1 "${proto}_rate")
		lm=$(get lbipam "$nmax" "${proto}_rate")
		nm=$(get nftables "$nmax" "${proto}_rate")
		pm=$(get ipvs "$nmax" "${proto}_rate")
		im=$(get iptables "$nmax" "${proto}_rate")
		lb10=$(get lbipam 10000 "${proto}_rate")
		im10=$(get iptables 10000 "${proto}_rate")
		if [[ -n "$l1" && -n "$lm" ]]; then
			verdict "$proto new-flow rate flat: lbipam at N=$nmax >= 0.95x N=1" \
				"$lm >= 0.95 * $l1" \
				"$lm vs $l1 flows/s ($(awk "BEGIN { printf \"%.2fx\", $lm / $l1 }"))"
		fi
		if [[ -n "$lm" && -n "$nm" && -n "$pm" ]]; then
			verdict "$proto new-flow rate: lbipam >= nftables and IPVS" \
				"$lm >= $nm && $lm >= $pm" \
				"lbipam $lm, nftables $nm, IPVS $pm flows/s"
		fi
		if [[ -n "$lm" && -n "$im" ]] && ((nmax > 10000)); then
			verdict "$proto new-flow rate: lbipam several (>= 3) times iptables at N=$nmax" \
				"$lm >= 3 * $im" \
				"$(awk "BEGIN { printf \"%.2fx\", $lm / $im }")"
		fi
		if [[ -n "$lb10" && -n "$im10" ]]; then
			verdict "$proto new-flow rate: lbipam several (>= 3) times iptables at N=10000" \
				"$lb10 >= 3 * $im10" \
				"$(awk "BEGIN { printf \"%.2fx\", $lb10 / $im10 }")"
		fi
		p_l=$(get lbipam "$nmax" "${proto}_p99_us")
		p_n=$(get nftables "$nmax" "${proto}_p99_us")
		if [[ -n "$p_l" && -n "$p_n" ]]; then
			verdict "$proto p99 first-packet latency: lbipam <= nftables" \
				"$p_l <= $p_n" "lbipam $p_l us, nftables $p_n us"
		fi
	done
	ld_l=$(get lbipam "$nmax" load_ms)
	ld_n=$(get nftables "$nmax" load_ms)
	ld_i=$(get iptables "$nmax" load_ms)
	if [[ -n "$ld_l" && -n "$ld_n" && -n "$ld_i" ]]; then
		verdict "load: lbctl -b faster than nft -f and iptables-restore" \
			"$ld_l < $ld_n && $ld_l < $ld_i" \
			"lbipam $ld_l ms, nftables $ld_n ms, iptables $ld_i ms"
	fi
	for op in add del; do
		a1=$(get lbipam 1 "${op}_ms")
		am=$(get lbipam "$nmax" "${op}_ms")
		lu1=$(get iptables 1 "${op}_ms")
		lum=$(get iptables "$nmax" "${op}_ms")
		if [[ -n "$a1" && -n "$am" ]]; then
			verdict "$op one service O(1): lbipam at N=$nmax within 1.5x of N=1" \
				"$am <= 1.5 * $a1" \
				"$am vs $a1 ms; iptables ${lum:-?} vs ${lu1:-?} ms"
		fi
	done
	m_l=$(get lbipam "$nmax" mem_b_per_svc)
	m_i=$(get ipvs "$nmax" mem_b_per_svc)
	if [[ -n "$m_l" && -n "$m_i" ]]; then
		verdict "kernel memory per service-port (4 backends) within 2x of IPVS" \
			"$m_l <= 2 * $m_i" "lbipam $m_l B, IPVS $m_i B"
	fi
	nu=$(awk -F'\t' '$3 ~ /_fails$/ { s += $5 } END { print s + 0 }' "$summary")
	echo
	echo "Failed flows (no answer within 2 s), summed medians over all cells: $nu."
}

# ------------------------------------------------------------- plot ---

plotdat=$run/plot.dat
: >"$plotdat"
for p in $planes; do
	echo "# $p" >>"$plotdat"
	for n in $ns; do
		printf '%s %s %s %s %s %s %s\n' "$n" \
			"$(get "$p" "$n" udp_rate)" "$(get "$p" "$n" tcp_rate)" \
			"$(get "$p" "$n" udp_p99_us)" "$(get "$p" "$n" tcp_p99_us)" \
			"$(get "$p" "$n" udp_p50_us)" "$(get "$p" "$n" tcp_p50_us)" |
			awk 'NF == 7' >>"$plotdat"
	done
	printf '\n\n' >>"$plotdat"
done
png=$dest/results.png
gnuplot <<EOF
set terminal pngcairo size 1400,1000 font "sans,11"
set output "$png"
set datafile missing "-"
set logscale x
set xrange [0.7:50000]
set xtics ("1" 1, "1k" 1000, "10k" 10000, "30k" 30000)
set grid
set key top right
set multiplot layout 2,2 title "lbipam vs kube-proxy modes: new flows to a service in the middle of N (TCG VM, medians; compare ratios)"
set ylabel "new flows/s"
set yrange [0:*]
set title "UDP new-flow rate (request/response, fresh source port)"
plot for [i=0:3] "$plotdat" index i using 1:2 with linespoints lw 2 pt 7 lc i+1 title word("$planes", i+1)
set title "TCP new-flow rate (connect/request/close)"
plot for [i=0:3] "$plotdat" index i using 1:3 with linespoints lw 2 pt 7 lc i+1 title word("$planes", i+1)
set ylabel "first-packet round trip (us, log)"
set logscale y
set yrange [*:*]
set key right center
set title "UDP first-packet round trip: p99 (solid), p50 (dashed)"
plot for [i=0:3] "$plotdat" index i using 1:4 with linespoints lw 2 pt 7 lc i+1 title word("$planes", i+1) . " p99", \
     for [i=0:3] "$plotdat" index i using 1:6 with linespoints lw 1 dt 2 pt 6 lc i+1 notitle
set title "TCP connect (SYN to SYN-ACK): p99 (solid), p50 (dashed)"
plot for [i=0:3] "$plotdat" index i using 1:5 with linespoints lw 2 pt 7 lc i+1 title word("$planes", i+1) . " p99", \
     for [i=0:3] "$plotdat" index i using 1:7 with linespoints lw 1 dt 2 pt 6 lc i+1 notitle
unset multiplot
EOF

# ------------------------------------------------------------ report ---

{
	cat <<EOF
# lbipam data-plane benchmark: results

Generated by \`make bench\` (scripts/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'); the whole run
took $(cat "$run/elapsed" 2>/dev/null || echo '?') s. Reproduce with \`make module userspace && make bench\`
(environment: LBIPAM_BENCH_NS="${LBIPAM_BENCH_NS:-1 1000 10000 30000}",
LBIPAM_BENCH_REPS=${LBIPAM_BENCH_REPS:-3}, LBIPAM_BENCH_SECS=${LBIPAM_BENCH_SECS:-3}).

**Read ratios, not absolute numbers.** Everything below ran in one qemu VM under TCG
(software emulation, no KVM), on a shared 2-core host where other VMs ran at the same time:
absolute times are 10-50x those of real hardware and noisy; the ratios between data planes
measured in the same run are what this benchmark shows.

- VM kernel: $(info kernel), $(info vcpus) vCPUs ($(info cpu), TCG), $(info mem) RAM
- host CPU: $(cat "$run/hostcpu" 2>/dev/null || echo '?')
- tools: $(info iptables); $(info nft); $(info ipvsadm)

## Method

- Topology: client netns → node netns (forwarding, where the data plane runs) → backend
  netns holding the 4 backend addresses 198.51.100.2-5, served by one \`bench/flowgen -s\`
  bound to 0.0.0.0:8080 (UDP echo; TCP read, echo, close after the client).
- N services (VIP 10.96.x.y:80, 4 backends each, port 8080). The target, service N/2 (the
  middle of the table, also of iptables' KUBE-SERVICES chain), has a TCP and a UDP port and
  the 4 real backends; the others are TCP with made-up backend addresses. So a table has
  N+1 service-ports and 4(N+1) backends. Tables are generated by \`bench/gentables.sh\`:
  - **lbipam**: \`lbctl -b\` with \`service add\` + \`backend replace\` per service (maglev).
  - **iptables** (kube-proxy iptables mode, nat table): KUBE-SERVICES with one rule per
    service-port → KUBE-SVC-* chain choosing with \`-m statistic --mode random
    --probability\` → KUBE-SEP-* (hairpin KUBE-MARK-MASQ + DNAT), KUBE-POSTROUTING; loaded
    with \`iptables-restore\`. Add/remove one service = \`iptables-restore --noflush\`
    rewriting KUBE-SERVICES whole plus the changed chains (kube-proxy ≥ 1.26 partial sync).
  - **nftables** (kube-proxy nftables mode, nat part): \`ip daddr . meta l4proto . th dport
    vmap @service-ips\` → per service chain \`numgen random mod 4 vmap\` → endpoint chains
    (mark-for-masquerade + dnat); \`nft -f\`. Add/remove = element + chains only.
  - **IPVS** (kube-proxy IPVS mode): VIPs on dummy device kube-ipvs0 (\`ip -batch\`),
    \`ipvsadm-restore\` of NAT (\`-m\`) real servers, scheduler \`rr\`,
    net.ipv4.vs.conntrack=1. The load time includes the addresses. (kube-proxy's ipset and
    iptables helper rules for IPVS mode are not installed.)
  No data plane masquerades the client (the backends route back through the node).
- Each data plane has its own copy of the topology, so all four tables are loaded at once and
  the flow runs interleave (UDP: lbipam, nftables, IPVS, iptables; then TCP; repeated): drifts
  of the shared host's load hit all four alike. Client and responder are pinned to vCPU 1 (a
  wake-up across vCPUs costs milliseconds under TCG and would land on some runs only).
- Per data plane and N: flush everything (\`lbctl flush\`, \`nft flush ruleset\`,
  \`ipvsadm -C\`, \`conntrack -F\`), read kernel memory, load the whole table (timed), read
  memory again (after 2 s for RCU frees), then ${LBIPAM_BENCH_REPS:-3} runs each of UDP and TCP
  flows (\`conntrack -F\` before each run, each run from its own client address), then
  ${LBIPAM_BENCH_REPS:-3} times add and remove one service.
- Flows: \`bench/flowgen\` (C) runs sequential short flows for ${LBIPAM_BENCH_SECS:-3} s (at
  least 200): UDP = new socket bound to a fresh source port, connect, send, wait for the
  answer, close; TCP = bind fresh port, connect, send, receive, close with SO_LINGER 0 (RST:
  no TIME_WAIT anywhere). Source ports never repeat within a run, so every flow is a new
  conntrack (and IPVS) entry. nf_conntrack_max = 262144, hashsize 65536.
- First-packet round trip: UDP request → answer; TCP \`connect()\` time (SYN → SYN-ACK), the
  Kubernetes blog's metric. Percentiles over all flows of a run.
- Kernel memory: /proc/meminfo SUnreclaim + Percpu + VmallocUsed, after minus before the
  load (all modules loaded beforehand by a warm-up pass), divided by the N+1 service-ports.
  Single measurement; a few hundred kB of noise, so only N ≥ 1000 means anything.
- Cells: median of the runs, then (best/worst run), then the ratio of the medians to
  lbipam's at the same N. Rates: higher is better, "worst" is the lowest run; times and
  latencies: lower is better, "best" is the lowest run.

## Results

EOF
	table udp_rate "UDP new-flow rate (flows/s)" "flows/s" 1 0
	table tcp_rate "TCP new-flow rate (flows/s)" "flows/s" 1 0
	table udp_p50_us "UDP first-packet round trip p50 (µs)" us 0 0
	table udp_p99_us "UDP first-packet round trip p99 (µs)" us 0 0
	table tcp_p50_us "TCP connect (first-packet round trip) p50 (µs)" us 0 0
	table tcp_p99_us "TCP connect (first-packet round trip) p99 (µs)" us 0 0
	table load_ms "Time to load the whole table (ms, one run)" ms 0 0
	awk -F'\t' '$3 == "load_timeout_s" {
		printf "- %s at N = %s: not measured, loading a table took over %s s (limit\n", $1, $2, $5
		print "  LBIPAM_BENCH_LOAD_TIMEOUT); the data plane was skipped from there on."
		seen = 1
	}
	END { if (seen) print "" }' "$raw"
	table add_ms "Time to add one service with 4 backends at N (ms)" ms 0 1
	table del_ms "Time to remove one service at N (ms)" ms 0 1
	table exec_ms "For scale: starting one no-op process in the node namespace (ms)" ms 0 1
	echo "Add/remove run one process (lbctl -b, iptables-restore --noflush, nft -f); IPVS's run six"
	echo "(ip + ipvsadm per service and real server; kube-proxy sends the same netlink messages from"
	echo "its own process), so IPVS's add/remove include ~5 extra process starts (see the line above)."
	echo
	table mem_kb "Kernel memory of the whole table (kB)" kB 0 0
	table mem_b_per_svc "Kernel memory per service-port with 4 backends (bytes)" B 0 0
	echo "![new-flow rate and p99 latency against N](results.png)"
	echo
	echo "## Targets (issue 6)"
	echo
	targets
	echo
	echo "## Engine: 100k services, allocation and restart (host, not the VM)"
	echo
	echo '```'
	cat "$run/engine.txt" 2>/dev/null || echo "not run"
	echo '```'
	echo
	echo "## Raw data"
	echo
	echo "Per-run values: build/bench/out/raw.tsv; flowgen output: build/bench/out/flows.log;"
	echo "VM console: build/bench/out/vm.log."
} >"$dest/RESULTS.md"
