#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lbipam against the two reference planes of issue 11, and the Maglev build
# time; runs as root in the test VM (scripts/vm-run.sh), after gentables.
#
# Usage: bench/ref-planes.sh OUTDIR TABLEDIR FLOWGEN LBCTL
# Environment (scripts/bench.sh and make bench-ref set them):
#   LBIPAM_BENCH_REF_NS    service counts (default "1 1000 10000")
#   LBIPAM_BENCH_REF_REPS  repetitions per N (default 15)
#   LBIPAM_BENCH_REF_SECS  seconds per flow run (default 1)
#   LBIPAM_BENCH_MG_NS     Maglev build sizes in backends
#                          (default "1000 16000 65000"; at most 65534)
#   LBIPAM_BENCH_MG_REPS   builds per size and scheduler (default 3)
#   LBIPAM_BENCH_PERF      1: also a perf profile (cpu-clock, all CPUs,
#                          call graphs) of one UDP and one TCP run per
#                          plane at the largest N, as perf-*.txt
#   LBIPAM_BENCH_PERF_SECS seconds of each profiled run (default 8: a
#                          netfilter function is a few tenths of a percent)
#
# The three planes, each in its own copy of bench/vm-bench.sh's topology,
# all loaded at once (different network namespaces: none sees another's
# table; lbipam registers its hooks only in a namespace that has a
# service):
#   lbipam  lbipam-1be.batch: the N+1 service-ports, one backend each
#   nftmap  nftmap.rules: one nft data map of the same N+1 service-ports
#           to the same single backends, one "dnat ip to ... map" rule; the
#           same translation with the least rule machinery
#   direct  no service: the flows go to the target's backend address
#           itself, through a node whose only rule ("ct state invalid
#           drop") makes conntrack track them; nothing is translated. The
#           limit a translating data plane can approach.
# Per N and repetition, per protocol, one flow run on each plane, seconds
# apart, in an order that rotates with the repetition (lbipam first, then
# nftmap first, then direct first, ...), so the per-repetition ratios
# lbipam/nftmap and lbipam/direct carry neither the host's drift nor a
# position in the order. conntrack -F before and after every run.
#
# Maglev build: one service (sched maglev) in its own namespace; the time
# of one BACKEND_REPLACE request of N new backends (bench/maglev-build.py,
# the request alone), after a fresh service add, per size and repetition.
# (sched random fills the same lookup table, only picks its slot at
# random: it is no control without the build.) With LBIPAM_BENCH_PERF=1,
# a profile of the largest build: perf-build.txt.
#
# Results: OUTDIR/ref-raw.tsv ("plane N metric rep value"; plane "maglev"
# with N = backends for the build), ref-flows.log, perf-*.txt.
set -uo pipefail

if [[ $# -ne 4 ]]; then
	echo "usage: $0 OUTDIR TABLEDIR FLOWGEN LBCTL" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The topology, flow runs and helpers (not its main part).
# shellcheck source=bench/vm-bench.sh
source "$here/vm-bench.sh" "$@"

ref_ns=${LBIPAM_BENCH_REF_NS:-1 1000 10000}
reps=${LBIPAM_BENCH_REF_REPS:-15}
secs=${LBIPAM_BENCH_REF_SECS:-1}
mg_ns=${LBIPAM_BENCH_MG_NS:-1000 16000 65000}
mg_reps=${LBIPAM_BENCH_MG_REPS:-3}
do_perf=${LBIPAM_BENCH_PERF:-0}
perf_secs=${LBIPAM_BENCH_PERF_SECS:-8}
# vm-bench.sh's cleanup (the EXIT trap) removes these planes' namespaces.
planes="lbipam nftmap direct mg"
order=(lbipam nftmap direct)
raw=$out/ref-raw.tsv
log=$out/ref-flows.log

# ref_load plane dir: the plane's table in its node (flushed first).
ref_load() {
	local plane=$1 dir=$2 ms
	use_plane "$plane"
	flush_all
	case $plane in
	lbipam)
		ms=$(timed_ms inn "$lbctl" -b "$dir/lbipam-1be.batch") || return 1
		;;
	nftmap)
		ms=$(timed_ms inn nft -f "$dir/nftmap.rules") || return 1
		;;
	direct)
		ms=$(timed_ms inn nft -f "$out/direct.rules") || return 1
		;;
	esac
	put "$plane" "$n" load_ms 1 "$ms"
	say "$plane N=$n: loaded in $ms ms"
}

# ref_flows plane rep proto: one run on plane; direct goes to the backend.
ref_flows() {
	if [[ "$1" == direct ]]; then
		flows direct direct "$n" "$2" "$3" "$BE1" 8080
	else
		flows "$1" "$1" "$n" "$2" "$3" "$VIP"
	fi
}

# Idle symbols: samples of a vCPU with nothing to do.
idle_re='native_safe_halt|amd_e400_idle|default_idle|cpu_idle|acpi_idle|mwait_idle|intel_idle|do_idle|poll_idle|cpu_startup_entry|secondary_startup|start_kernel|rest_init'

# The per-flow path's own functions, listed whatever their share.
nf_re='lbipam|nf_|nft_|conntrack|jhash|rhashtable|reciprocal|siphash'

# perf_text DATA TITLE: the symbols of DATA by self time and by time
# including callees, in percent of the samples that were not idle; then
# every netfilter and lbipam symbol.
perf_text() {
	local data=$1 busy
	echo "# $2"
	busy=$(perf report -i "$data" --no-children --sort sym --stdio -g none \
		--percent-limit 0 2>/dev/null |
		awk -v re="$idle_re" '/^ *[0-9.]+%/ { sub(/%/, "", $1); t += $1; if ($0 !~ re) b += $1 }
			END { printf "%.4f", (t > 0 ? b / t : 0) }')
	echo "# samples: $(perf report -i "$data" --no-children --sort sym --stdio -g none \
		-F sample,sym 2>/dev/null | awk '/^ *[0-9]+ / { t += $1 } END { print t + 0 }')"
	echo "# busy (not idle): $(awk -v b="$busy" 'BEGIN { printf "%.1f%%", b * 100 }') of the samples; percentages below are of the busy ones"
	for mode in --no-children --children; do
		perf report -i "$data" "$mode" --sort sym --stdio -g none \
			--percent-limit 0 2>/dev/null |
			awk -v re="$idle_re" -v b="$busy" '/^ *[0-9.]+%/ && $0 !~ re {
				sub(/^ */, "")
				v = $1; sub(/%/, "", v)
				if ($2 ~ /%$/) { w = $2; sub(/%/, "", w); $2 = sprintf("%6.2f%%", w / (b > 0 ? b : 1)) }
				$1 = sprintf("%6.2f%%", v / (b > 0 ? b : 1))
				print
			}' >"$data.$mode"
		echo "## ${mode#--}: top symbols"
		head -n 40 "$data.$mode"
	done
	echo "## netfilter and lbipam symbols (children, self)"
	grep -E "$nf_re" "$data.--children"
	rm -f "$data.--children" "$data.--no-children"
}

# ref_perf plane proto: one flow run (as flows() runs it, but not
# recorded as a measurement: perf's own load is in it) under perf record,
# all vCPUs, call graphs; its report as text in perf-PLANE-PROTO.txt.
ref_perf() {
	local plane=$1 proto=$2 f=$out/perf-$1-$2 vip=$VIP port=80 src
	if [[ "$plane" == direct ]]; then
		vip=$BE1
		port=8080
	fi
	use_plane "$plane"
	srcn=$((srcn + 1))
	src=172.16.$((srcn / 250)).$((srcn % 250 + 1))
	ip -n "$C" addr add "$src/32" dev eth0 || return 1
	inn conntrack -F >/dev/null 2>&1
	# perf.data on the VM's tmpfs: writing it to the 9p share would be
	# in the profile.
	perf record -q -e cpu-clock -F 999 -a -g -o "/tmp/perf-$plane.data" -- \
		ip netns exec "$C" taskset -c 1 "$flowgen" -c "$vip:$port" \
		"-${proto:0:1}" -S "$src" -n 50000 -m 200 -d "$perf_secs" \
		-P 10000 -L 60000 -w 2000 >"$f.flows" 2>"$f.err"
	inn conntrack -F >/dev/null 2>&1
	say "$plane N=$n $proto under perf: $(cat "$f.flows")"
	perf_text "/tmp/perf-$plane.data" "$plane $proto N=$n: perf record -e cpu-clock -F 999 -a -g, one flow run ($(cat "$f.flows"))" >"$f.txt"
	rm -f "/tmp/perf-$plane.data" "$f.err"
}

# mg_build nb rep: one build of nb new backends, recorded in ms.
mg_build() {
	local nb=$1 rep=$2 ms
	use_plane mg
	inn "$lbctl" service del 10.200.0.1:80/tcp >/dev/null 2>&1
	inn "$lbctl" service add 10.200.0.1:80/tcp sched maglev ||
		die "mg: service add"
	ms=$(inn python3 "$here/maglev-build.py" 10.200.0.1 80 "$nb" \
		$((8080 + rep))) || die "mg: build of $nb backends: $ms"
	put maglev "$nb" build_ms "$rep" "$ms"
	say "maglev: backend replace of $nb backends in $ms ms"
}

mkdir -p "$out"
: >"$raw"
cat >"$out/direct.rules" <<EOF
add table ip lbref
add chain ip lbref prerouting { type filter hook prerouting priority 0 ; }
add rule ip lbref prerouting ct state invalid drop
EOF
: >"$log"
for m in lbipam nf_conntrack nf_nat nf_tables nft_chain_nat nft_ct veth; do
	modprobe "$m" || say "modprobe $m failed"
done
[[ -d /sys/module/lbipam ]] || die "lbipam is not loaded"
sysctl -qw net.netfilter.nf_conntrack_max=262144
echo 65536 >/sys/module/nf_conntrack/parameters/hashsize
{
	echo "kernel=$(uname -r)"
	echo "vcpus=$(nproc)"
	echo "nft=$(nft -V | head -n 1)"
} >"$out/ref-sysinfo"

for p in "${order[@]}"; do
	topology "$p" || die "topology"
done

# Warm-up: every plane answers (and first-use allocations happen) before
# anything is measured.
save="$raw $secs"
raw=$out/ref-warmup.tsv
secs=0.2
minflows=20
n=1
# shellcheck disable=SC1091 # generated: VIP, BE1, ...
source "$tables/1/target"
for p in "${order[@]}"; do
	ref_load "$p" "$tables/1" || die "$p: load"
	for proto in udp tcp; do
		ref_flows "$p" 0 "$proto" || die "$p: warm-up flows"
	done
done
read -r raw secs <<<"$save"
minflows=200
: >"$log"
srcn=1000

for n in $ref_ns; do
	dir=$tables/$n
	# shellcheck disable=SC1091 # generated: VIP, BE1, ...
	source "$dir/target"
	say "--- reference planes, N=$n"
	for p in "${order[@]}"; do
		ref_load "$p" "$dir" || die "$p N=$n: load"
	done
	settle
	for ((rep = 1; rep <= reps; rep++)); do
		for proto in udp tcp; do
			for ((i = 0; i < 3; i++)); do
				p=${order[$(((rep - 1 + i) % 3))]}
				ref_flows "$p" "$rep" "$proto" || die "$p N=$n: flows"
			done
		done
	done
	if [[ "$do_perf" == 1 && "$n" == "${ref_ns##* }" ]]; then
		for p in "${order[@]}"; do
			for proto in udp tcp; do
				ref_perf "$p" "$proto"
			done
		done
	fi
done
for p in "${order[@]}"; do
	use_plane "$p"
	flush_all
done

# The Maglev build. Requests of 65k backends exceed the default socket
# buffer limit: maglev-build.py raises its own (SO_SNDBUFFORCE, as root).
echo 65534 >/sys/module/lbipam/parameters/max_backends
cleanup_plane mg
ip netns add bn-mg-node || die "netns"
use_plane mg
for nb in $mg_ns; do
	for ((rep = 1; rep <= mg_reps; rep++)); do
		mg_build "$nb" "$rep"
	done
done
# Where the largest build's time goes.
if [[ "$do_perf" == 1 ]]; then
	nb=${mg_ns##* }
	inn "$lbctl" service del 10.200.0.1:80/tcp >/dev/null 2>&1
	inn "$lbctl" service add 10.200.0.1:80/tcp sched maglev || die "mg"
	perf record -q -e cpu-clock -F 999 -a -g -o /tmp/perf-build.data -- \
		ip netns exec bn-mg-node python3 "$here/maglev-build.py" 10.200.0.1 80 \
		"$nb" 9090 >"$out/perf-build.ms" 2>&1
	perf_text /tmp/perf-build.data "backend replace of $nb backends, sched maglev: $(cat "$out/perf-build.ms") ms under perf" >"$out/perf-build.txt"
	rm -f /tmp/perf-build.data
fi
inn "$lbctl" service del 10.200.0.1:80/tcp >/dev/null 2>&1
say "done"
