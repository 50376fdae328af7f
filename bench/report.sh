#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Turn a benchmark run (scripts/bench.sh) into RESULTS.md and results.png.
#
# Usage: bench/report.sh RUNDIR DESTDIR
# RUNDIR holds raw.tsv ("plane N metric rep value"), sysinfo, engine.txt,
# apply.txt (bench/apply-latency.sh), l2.txt (bench/l2-rate.sh), ref.md
# (bench/ref-planes.sh through bench/ref-report.sh),
# hostcpu, elapsed and vm.log. Data plane lbipam-ref is the reference run
# alongside lbipam (bench/vm-bench.sh); metrics *_dp_* are nftables on
# nft-dp.rules, and its other metrics at such an N were measured there too.
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

# Data planes measured on nft-dp.rules: "plane N" lines (N ascending).
dpcells=$(awk -F'\t' '$3 == "load_dp_ms" { print $1, $2 }' "$summary")
dpns=$(awk '$1 == "nftables" { printf "%s%s", sep, $2; sep = ", " }' <<<"$dpcells")
nft_to=$(awk -F'\t' '$1 == "nftables" && $3 == "load_timeout_s" { print $5; exit }' "$summary")
dagger="† nftables at N = $dpns: measured on \`nft-dp.rules\` (see the note at the top of Results)."

# table METRIC TITLE UNIT HIGHER_IS_BETTER DIGITS
# A cell of a plane measured on nft-dp.rules gets a †; load_ms and mem_*
# show nft-dp.rules' own figures (load_dp_ms, mem_dp_*) only so marked.
table() {
	awk -F'\t' -v metric="$1" -v title="$2" -v unit="$3" -v hib="$4" \
		-v dig="$5" -v planes="$planes" -v ns="$ns" -v dagger="$dagger" '
	BEGIN {
		alt = metric
		if (!sub(/^(load|mem)_/, "&dp_", alt))
			alt = ""
	}
	$3 == metric { c[$1, $2] = $4; med[$1, $2] = $5; mn[$1, $2] = $6; mx[$1, $2] = $7 }
	alt != "" && $3 == alt { amed[$1, $2] = $5 }
	$3 == "load_dp_ms" { dp[$1, $2] = 1 }
	$3 == "load_timeout_s" { to[$1, $2] = $5 }
	$3 == "load_untried" { untried[$1, $2] = $5 }
	function ratio(p, n, v,   l) {
		l = "lbipam" SUBSEP n
		if (p != "lbipam" && (l in med) && med[l] > 0)
			return sprintf(", %.2fx", v / med[l])
		return ""
	}
	END {
		np = split(planes, P, " ")
		nn = split(ns, N, " ")
		fmt = "%." dig "f"
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
				if (k in med) {
					cell = sprintf(fmt, med[k]) (k in dp ? "†" : "")
					if (c[k] > 1)
						cell = cell sprintf(" (" (hib ? "worst " : "best ") fmt ")", mn[k])
					cell = cell ratio(P[i], N[j], med[k])
				} else if (metric == "load_ms" && (k in to)) {
					cell = sprintf("> %d s (timed out%s)", to[k],
						       k in untried ? " at N = " untried[k] : "")
					if (k in amed)
						cell = cell sprintf("; nft-dp† " fmt "%s", amed[k], ratio(P[i], N[j], amed[k]))
				} else if (k in amed) {
					cell = sprintf(fmt "†%s", amed[k], ratio(P[i], N[j], amed[k]))
				} else
					cell = "-"
				if (cell ~ /†/)
					marked = 1
				printf " %s |", cell
			}
			printf "\n"
		}
		printf "\n"
		if (marked)
			printf "%s\n\n", dagger
	}' "$summary"
}

# flatness: lbipam against the reference, per protocol and N: "proto N
# lbipam ref paired-median paired-min paired-max plain", where paired is
# the median of the per-rep ratios lbipam/lbipam-ref (runs seconds apart)
# and plain the ratio of lbipam's median at N to that at N = 1.
flat=$run/flat.tsv
awk -F'\t' '
FNR == NR {
	if ($3 ~ /^(udp|tcp)_rate$/)
		m[$1, $2, $3] = $5
	next
}
$3 ~ /^(udp|tcp)_rate$/ && $5 != "" && ($1 == "lbipam" || $1 == "lbipam-ref") {
	v[$1, $2, $3, $4] = $5
	if ($1 == "lbipam")
		key[$2 SUBSEP $3 SUBSEP $4] = 1
}
END {
	for (k in key) {
		split(k, a, SUBSEP)
		r = "lbipam-ref" SUBSEP k
		if (!(r in v) || v[r] <= 0)
			continue
		q = a[1] SUBSEP a[2]
		rat[q, ++cnt[q]] = v["lbipam" SUBSEP k] / v[r]
	}
	for (q in cnt) {
		n = cnt[q]
		# insertion sort: a handful of reps
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && rat[q, j - 1] > rat[q, j]; j--) {
				t = rat[q, j]; rat[q, j] = rat[q, j - 1]; rat[q, j - 1] = t
			}
		med = n % 2 ? rat[q, (n + 1) / 2] : (rat[q, n / 2] + rat[q, n / 2 + 1]) / 2
		split(q, a, SUBSEP)
		one = m["lbipam", 1, a[2]]
		printf "%s\t%s\t%s\t%s\t%.4f\t%.4f\t%.4f\t%s\n", substr(a[2], 1, 3), a[1],
		       m["lbipam", a[1], a[2]], m["lbipam-ref", a[1], a[2]], med,
		       rat[q, 1], rat[q, n], (one > 0 ? sprintf("%.4f", m["lbipam", a[1], a[2]] / one) : "")
	}
}' "$summary" "$raw" | sort -k1,1r -k2,2n >"$flat"

flat_table() {
	if [[ ! -s "$flat" ]]; then
		return
	fi
	echo "### lbipam's new-flow rate against N: paired with the reference"
	echo
	echo "lbipam-ref: the 1-service table in its own namespace, each run seconds before lbipam's"
	echo "run of the same repetition (see Method). Paired: the per-repetition ratio lbipam(N) /"
	echo "lbipam-ref, median (lowest-highest); this is the flatness figure of the targets. Unpaired:"
	echo "lbipam's median at N over its median at N = 1, slots minutes apart."
	echo
	echo "| proto | N | lbipam (flows/s) | lbipam-ref (flows/s) | paired lbipam / ref | unpaired lbipam(N) / lbipam(1) |"
	echo "|---|---:|---:|---:|---:|---:|"
	awk -F'\t' '{
		printf "| %s | %s | %.0f | %.0f | %.2fx (%.2f-%.2f) | %s |\n", toupper($1), $2, $3, $4,
		       $5, $6, $7, $8 == "" ? "-" : sprintf("%.2fx", $8)
	}' "$flat"
	echo
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
	local l1 lm nm im pm lb10 p_l p_n ld_l ld_n ld_i ldt_n ldd_n
	local a1 am m_l m_i lu1 lum nu im10 fl pr pmin pmax plain nft
	if [[ -z "$nmax" ]]; then
		echo "(no data)"
		return
	fi
	echo "| target (at N = $nmax, the largest N of this run) | verdict | figures (medians) |"
	echo "|---|---|---|"
	nft=nftables
	if grep -qx "nftables $nmax" <<<"$dpcells"; then
		nft="nftables (nft-dp layout†)"
	fi
	for proto in tcp udp; do
		l1=$(get lbipam 1 "${proto}_rate")
		lm=$(get lbipam "$nmax" "${proto}_rate")
		nm=$(get nftables "$nmax" "${proto}_rate")
		pm=$(get ipvs "$nmax" "${proto}_rate")
		im=$(get iptables "$nmax" "${proto}_rate")
		lb10=$(get lbipam 10000 "${proto}_rate")
		im10=$(get iptables 10000 "${proto}_rate")
		fl=$(awk -F'\t' -v p="$proto" -v n="$nmax" '$1 == p && $2 == n' "$flat")
		if [[ -n "$fl" ]]; then
			IFS=$'\t' read -r _ _ _ _ pr pmin pmax plain <<<"$fl"
			if [[ -n "$plain" ]]; then
				plain="$lm vs $l1 flows/s ($(printf '%.2fx' "$plain"))"
			else
				plain="n/a (no N = 1 in this run)"
			fi
			verdict "$proto new-flow rate flat: lbipam at N=$nmax >= 0.95x of 1 service (paired with the reference, same minutes)" \
				"$pr >= 0.95" \
				"paired $(printf '%.2fx (per rep %.2f-%.2f)' "$pr" "$pmin" "$pmax"); unpaired lbipam(N)/lbipam(1): $plain"
		elif [[ -n "$l1" && -n "$lm" ]]; then
			verdict "$proto new-flow rate flat: lbipam at N=$nmax >= 0.95x N=1 (unpaired: no reference runs)" \
				"$lm >= 0.95 * $l1" \
				"$lm vs $l1 flows/s ($(awk "BEGIN { printf \"%.2fx\", $lm / $l1 }"))"
		fi
		if [[ -n "$lm" && -n "$nm" && -n "$pm" ]]; then
			verdict "$proto new-flow rate: lbipam >= $nft and IPVS" \
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
			verdict "$proto p99 first-packet latency: lbipam <= $nft" \
				"$p_l <= $p_n" "lbipam $p_l us, nftables $p_n us"
		fi
	done
	ld_l=$(get lbipam "$nmax" load_ms)
	ld_n=$(get nftables "$nmax" load_ms)
	ld_i=$(get iptables "$nmax" load_ms)
	ldt_n=$(get nftables "$nmax" load_timeout_s)
	ldd_n=$(get nftables "$nmax" load_dp_ms)
	if [[ -n "$ld_l" && -n "$ld_n" && -n "$ld_i" ]]; then
		verdict "load: lbctl -b faster than nft -f and iptables-restore" \
			"$ld_l < $ld_n && $ld_l < $ld_i" \
			"lbipam $ld_l ms, nftables $ld_n ms, iptables $ld_i ms"
	elif [[ -n "$ld_l" && -n "$ldt_n" && -n "$ld_i" ]]; then
		# The time limit is a lower bound of kube-proxy's layout.
		verdict "load: lbctl -b faster than nft -f and iptables-restore" \
			"$ld_l < $ldt_n * 1000 && $ld_l < $ld_i" \
			"lbipam $ld_l ms, nftables > $ldt_n s (timed out; nft-dp† ${ldd_n:-?} ms), iptables $ld_i ms"
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
	echo "Failed flows (no answer within 2 s), summed medians over all cells (the reference's too): $nu."
}

# ------------------------------------------------------------- plot ---

plotdat=$run/plot.dat
: >"$plotdat"
for p in $planes lbipam-ref; do
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
# plot_cmd COLUMN [SUFFIX]: one clause per data plane (gnuplot's index is
# the position in $planes); SUFFIX goes after each title.
plot_cmd() {
	local i=0 p t sep=
	printf 'plot'
	for p in $planes; do
		t=$p
		if [[ "$p" == nftables && -n "$dpns" ]]; then
			t="nftables (†: nft-dp at N = $dpns)"
		fi
		printf '%s "%s" index %d using 1:%d with linespoints lw 2 pt 7 lc %d title "%s%s"' \
			"$sep" "$plotdat" "$i" "$1" $((i + 1)) "$t" "${2:-}"
		sep=$', \\\n    '
		i=$((i + 1))
	done
}
# The reference, in the rate panels only: it shows how the host drifted
# during lbipam's slots, which the paired ratio cancels.
ref_clause() {
	if grep -q '^lbipam-ref' "$summary"; then
		printf ', \\\n    "%s" index %d using 1:%d with linespoints lw 1 dt 2 pt 6 lc rgb "gray40" title "lbipam-ref (1 service, alongside lbipam)"' \
			"$plotdat" "$(wc -w <<<"$planes")" "$1"
	fi
}
# The p50 lines: dashed, untitled, in the planes' colours.
p50_clauses() {
	local i=0 p
	for p in $planes; do
		printf ', \\\n    "%s" index %d using 1:%d with linespoints lw 1 dt 2 pt 6 lc %d notitle' \
			"$plotdat" "$i" "$1" $((i + 1))
		i=$((i + 1))
	done
}
png=$dest/results.png
# A run that measured nothing still gets its RESULTS.md.
gnuplot <<EOF || echo "report.sh: no plot (gnuplot failed)" >&2
set terminal pngcairo size 1400,1000 font "sans,11"
set output "$png"
set datafile missing "-"
set logscale x
set xrange [0.7:50000]
set xtics ("1" 1, "1k" 1000, "10k" 10000, "30k" 30000)
set grid
set key bottom left
set multiplot layout 2,2 title "lbipam vs kube-proxy modes, each alone in the kernel: new flows to a service in the middle of N (TCG VM, medians; compare ratios)"
set ylabel "new flows/s"
set yrange [0:*]
set title "UDP new-flow rate (request/response, fresh source port)"
$(plot_cmd 2)$(ref_clause 2)
set title "TCP new-flow rate (connect/request/close)"
$(plot_cmd 3)$(ref_clause 3)
set ylabel "first-packet round trip (us, log)"
set logscale y
set yrange [*:*]
set key top left
set title "UDP first-packet round trip: p99 (solid), p50 (dashed)"
$(plot_cmd 4 " p99")$(p50_clauses 6)
set title "TCP connect (SYN to SYN-ACK): p99 (solid), p50 (dashed)"
$(plot_cmd 5 " p99")$(p50_clauses 7)
unset multiplot
EOF

# ------------------------------------------------------------ report ---

# The data planes whose load timed out, and what was measured instead.
timeouts() {
	awk -F'\t' '
	$3 == "load_timeout_s" { to[$1, $2] = $5; if (!(($1, $2) in seen)) { seen[$1, $2] = 1; order[++n] = $1 SUBSEP $2 } }
	$3 == "load_dp_timeout_s" { dpto[$1, $2] = $5 }
	$3 == "load_dp_ms" { dp[$1, $2] = 1 }
	$3 == "load_untried" { untried[$1, $2] = $5 }
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]
			split(k, a, SUBSEP)
			p = a[1]
			if (p == "nftables") {
				if (k in untried && !(k in dp) && !(k in dpto))
					# not even nft-dp.rules was tried
					printf "- nftables at N = %s: not measured (nft-dp.rules took over %s s at N = %s).\n",
					       a[2], dpto["nftables", untried[k]], untried[k]
				else {
					if (k in untried)
						printf "- nftables at N = %s: kube-proxy'"'"'s layout (nft.rules) not tried, it took over %s s at N = %s;", a[2], to[k], untried[k]
					else
						printf "- nftables at N = %s: kube-proxy'"'"'s layout (nft.rules) did not load within %s s (LBIPAM_BENCH_NFT_TIMEOUT);", a[2], to[k]
					if (k in dp)
						printf " measured on nft-dp.rules† instead.\n"
					else
						printf " nft-dp.rules did not load within %s s either (LBIPAM_BENCH_LOAD_TIMEOUT): not measured, nor at the larger N.\n", dpto[k]
				}
			} else if (k in untried)
				printf "- %s at N = %s: not measured (its load took over %s s at N = %s).\n", p, a[2], to[k], untried[k]
			else
				printf "- %s at N = %s: not measured, loading the table took over %s s (LBIPAM_BENCH_LOAD_TIMEOUT); skipped from there on.\n", p, a[2], to[k]
		}
		if (n)
			print ""
	}' "$summary"
}

# The note on nft-dp.rules, if any N used it.
dp_note() {
	local first later
	if [[ -z "$dpns" ]]; then
		return
	fi
	first=$(awk -F'\t' '$1 == "nftables" && $3 == "load_timeout_s" { print $2; exit }' "$summary")
	if awk -F'\t' '$1 == "nftables" && $3 == "load_untried" { f = 1 } END { exit !f }' "$summary"; then
		later=" A larger N would take longer still, so it was not tried again: there \"> ${nft_to:-?} s\" is only a lower bound."
	fi
	cat <<EOF
**† nftables at N = $dpns was measured on \`nft-dp.rules\`, not on kube-proxy's exact layout.**
Loading kube-proxy's layout (\`nft.rules\`) took over ${nft_to:-?} s at N = ${first:-?}
(LBIPAM_BENCH_NFT_TIMEOUT).${later:-} Each service chain of
kube-proxy's layout holds an anonymous \`numgen random mod 4 vmap { ... }\`, and the kernel
names each new anonymous set by scanning all sets of the table (nf_tables_set_alloc_name):
O(N²) for a whole table. \`nft-dp.rules\` is identical for the target service (its chain with
that anonymous vmap, its endpoint chains) and for the \`service-ips\` verdict map (all N+1
elements, same keys), and has the same chains and rules; only the other services' chains,
which carry no traffic, pick no endpoint at random (a \`goto\` to their first endpoint chain)
and so hold no anonymous set. The target's packets take kube-proxy's exact path (map lookup
over N+1 elements → service chain → numgen vmap → endpoint chain → dnat): the flow rates and
latencies marked † are kube-proxy's. Its load time and kernel memory are those of a table
without N anonymous sets, so they understate kube-proxy's (shown marked † next to the timeout),
and so do add/remove one service (the new service's set is named by scanning 2 sets instead
of N+1).

EOF
}

{
	cat <<EOF
# lbipam data-plane benchmark: results

Generated by \`make bench\` (scripts/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'); the whole run
took $(cat "$run/elapsed" 2>/dev/null || echo '?') s. Reproduce with \`make module userspace && make bench\`
(environment: LBIPAM_BENCH_NS="${LBIPAM_BENCH_NS:-1 1000 10000 30000}",
LBIPAM_BENCH_REPS=${LBIPAM_BENCH_REPS:-3}, LBIPAM_BENCH_SECS=${LBIPAM_BENCH_SECS:-2},
LBIPAM_BENCH_UPD_REPS=${LBIPAM_BENCH_UPD_REPS:-2}, LBIPAM_BENCH_NFT_TIMEOUT=${LBIPAM_BENCH_NFT_TIMEOUT:-120}).

**Read ratios, not absolute numbers.** Everything below ran in one qemu VM under TCG
(software emulation, no KVM), on a 2-core host (anything else running there shows as noise):
absolute times are 10-50x those of real hardware and noisy; the ratios between data planes
measured in the same run are what this benchmark shows. Each data plane is measured on its
own, minutes apart from the others, so those ratios carry the host's drift over minutes (a
few percent; the reference's column in lbipam's flatness table shows it); lbipam's flatness
is measured against a reference run alongside, which cancels the drift.

- VM kernel: $(info kernel), $(info vcpus) vCPUs ($(info cpu), TCG), $(info mem) RAM
- host CPU: $(cat "$run/hostcpu" 2>/dev/null || echo '?')
- tools: $(info iptables); $(info nft); $(info ipvsadm)

## Method

- Topology: client netns → node netns (forwarding, where the data plane runs) → backend
  netns holding the 4 backend addresses 198.51.100.2-5, served by one \`bench/flowgen -s\`
  bound to 0.0.0.0:8080 (UDP echo; TCP read, echo, close after the client). Each data plane
  has its own copy of the topology; client and responder are pinned to vCPU 1 (a wake-up
  across vCPUs costs milliseconds under TCG and would land on some runs only).
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
    (mark-for-masquerade + dnat); \`nft -f\`. Add/remove = element + chains only. This layout
    loads in O(N²) (see the † note under Results): if \`nft -f\` takes over
    LBIPAM_BENCH_NFT_TIMEOUT (${LBIPAM_BENCH_NFT_TIMEOUT:-120} s), that N and every larger one
    are measured on \`nft-dp.rules\` instead, the same table but for the services other than
    the target, which pick their endpoint without an anonymous set.
  - **IPVS** (kube-proxy IPVS mode): VIPs on dummy device kube-ipvs0 (\`ip -batch\`),
    \`ipvsadm-restore\` of NAT (\`-m\`) real servers, scheduler \`rr\`,
    net.ipv4.vs.conntrack=1. The load time includes the addresses. (kube-proxy's ipset and
    iptables helper rules for IPVS mode are not installed.)
  No data plane masquerades the client (the backends route back through the node).
- One data plane at a time: while a data plane is measured, its table is the only one in the
  kernel (but for the reference's one service, below). A node runs one data plane, and
  another plane's big table in the same kernel slows this one's new flows (in an earlier run
  with all four tables loaded at once, lbipam's UDP rate at 30k was 0.82x of its rate at 1
  service; alone, 0.96x). For each N in turn (${LBIPAM_BENCH_NS:-1 1000 10000 30000}), the data
  planes take turns in the order ${LBIPAM_BENCH_PLANES:-lbipam nftables ipvs iptables}; each turn:
  flush its node (\`lbctl flush\`, \`nft flush ruleset\`, \`ipvsadm -C\`, \`conntrack -F\`), wait,
  read kernel memory, load the whole table (timed; a load over LBIPAM_BENCH_LOAD_TIMEOUT =
  ${LBIPAM_BENCH_LOAD_TIMEOUT:-240} s skips the plane from there on; nftables' own layout has its own
  limit, above), wait, read memory again, then ${LBIPAM_BENCH_REPS:-3} times a UDP and a TCP flow run
  (\`conntrack -F\` before and after each run, each run from its own client address), then
  ${LBIPAM_BENCH_UPD_REPS:-2} times add and remove one service, then flush its node again. Each wait
  lasts at least 2 s (RCU frees) and until the VM's vCPUs are 90% idle over a second (at most
  30 s), so that neither a memory reading nor a flow run takes in the previous step's
  deferred work.
- Reference for lbipam's flatness: a fifth copy of the topology (namespaces bn-ref-*) holds
  lbipam's 1-service table from the start of the run to its end; lbipam's tables are per
  network namespace, so the flushes and loads of the others leave it alone. In lbipam's turn
  at every N, each flow run alternates with the same run through the reference (reference
  UDP, UDP, reference TCP, TCP, per repetition); these are the lbipam-ref figures. The
  flatness figure is the ratio lbipam(N) / lbipam-ref of each repetition (two runs seconds
  apart, so the host's drift cancels), median over the repetitions; the targets judge it.
  The plain ratio of medians lbipam(N) / lbipam(1), turns minutes apart, is shown beside it.
  At N = 1 both tables are the same, so the paired ratio there shows the noise between two
  identical topologies.
- Flows: \`bench/flowgen\` (C) runs sequential short flows for ${LBIPAM_BENCH_SECS:-2} s (at
  least 200): UDP = new socket bound to a fresh source port, connect, send, wait for the
  answer, close; TCP = bind fresh port, connect, send, receive, close with SO_LINGER 0 (RST:
  no TIME_WAIT anywhere). Source ports never repeat within a run, so every flow is a new
  conntrack (and IPVS) entry. nf_conntrack_max = 262144, hashsize 65536.
- First-packet round trip: UDP request → answer; TCP \`connect()\` time (SYN → SYN-ACK), the
  Kubernetes blog's metric. Percentiles over all flows of a run.
- Kernel memory: /proc/meminfo SUnreclaim + Percpu + VmallocUsed, after minus before the
  load (all modules loaded beforehand by a warm-up pass of every turn at N = 1; the
  reference's table is there in both readings), divided by the N+1 service-ports. Single
  measurement; a few hundred kB of noise, so only N ≥ 1000 means anything.
- Cells: median of the runs, then (best/worst run), then the ratio of the medians to
  lbipam's at the same N. Rates: higher is better, "worst" is the lowest run; times and
  latencies: lower is better, "best" is the lowest run. † marks nftables on nft-dp.rules.

## Results

EOF
	dp_note
	table udp_rate "UDP new-flow rate (flows/s)" "flows/s" 1 0
	table tcp_rate "TCP new-flow rate (flows/s)" "flows/s" 1 0
	flat_table
	table udp_p50_us "UDP first-packet round trip p50 (µs)" us 0 0
	table udp_p99_us "UDP first-packet round trip p99 (µs)" us 0 0
	table tcp_p50_us "TCP connect (first-packet round trip) p50 (µs)" us 0 0
	table tcp_p99_us "TCP connect (first-packet round trip) p99 (µs)" us 0 0
	table load_ms "Time to load the whole table (ms, one run)" ms 0 0
	timeouts
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
	if [[ -s "$run/ref.md" ]]; then
		echo "<!-- bench-ref: begin (make bench-ref rewrites this section) -->"
		cat "$run/ref.md"
		echo "<!-- bench-ref: end -->"
		echo
	fi
	echo "## Engine: 100k services, allocation and restart (host, not the VM)"
	echo
	echo '```'
	cat "$run/engine.txt" 2>/dev/null || echo "not run"
	echo '```'
	echo
	echo "## One Service applied through lbctl, kernel programmed (issue 10)"
	echo
	echo "bench/apply-latency.sh in the VM: lbipamd holding N Services (each with"
	echo "an EndpointSlice), one Service applied again and again with its port"
	echo "alternating, timed around lbctl (the daemon answers after programming"
	echo "the kernel). Target: flat, p50 at 30k within 2x of 1k."
	echo
	echo '```'
	cat "$run/apply.txt" 2>/dev/null || echo "not run"
	echo '```'
	echo
	echo "## L2 announcements: ARP and NS answered per second, policy to first answer"
	echo
	echo "bench/l2-rate.sh in the VM: one namespace floods ARP requests (or"
	echo "solicited-node neighbour solicitations) over a veth, the other answers for"
	echo "an announced address (lbipam.ko's hooks) or for an address configured on"
	echo "the interface (the kernel's own neighbour code); replies counted per second"
	echo "by the flooder. Then lbipamd: the time from lbctl apply of an L2 policy to"
	echo "the first ARP answer for the Service's LB IP."
	echo
	echo '```'
	cat "$run/l2.txt" 2>/dev/null || echo "not run"
	echo '```'
	echo
	echo "## BGP through BIRD: apply to route on the router (issue 17)"
	echo
	echo "bench/bgp.sh on the host (make bench-bgp; no module on this path): lbipamd"
	echo "with a node BIRD and a router BIRD peering over eBGP on loopback. Each of"
	echo "100 Services applied alone, timed from lbctl's start to its /32 on the"
	echo "router (birdc polled); then 10k Services applied while the router's BIRD"
	echo "is down, and the time from starting it to all routes learned."
	echo
	echo '```'
	cat "$run/../bgp/bgp.txt" 2>/dev/null || echo "not run"
	echo '```'
	echo
	# make bench-cluster's numbers (bench/CLUSTER.md), kept across runs.
	if [ -f "$(dirname "$0")/CLUSTER.md" ]; then
		echo "## Cluster mode (etcd; bench/CLUSTER.md, \`make bench-cluster\`)"
		grep -v '^# ' "$(dirname "$0")/CLUSTER.md" | sed 's/^#/##/'
		echo
	fi
	echo "## Raw data"
	echo
	echo "Per-run values: build/bench/out/raw.tsv (lbipam-ref: the reference; *_dp_*: nftables"
	echo "on nft-dp.rules); flowgen output: build/bench/out/flows.log; VM console:"
	echo "build/bench/out/vm.log."
} >"$dest/RESULTS.md"
