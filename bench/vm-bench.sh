#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The data-plane benchmark proper. Runs as root inside the throw-away test
# VM (scripts/vm-run.sh), with lbipam.ko installed there; started by
# scripts/bench.sh, which also generated the tables (bench/gentables.sh).
#
# Usage: bench/vm-bench.sh OUTDIR TABLEDIR FLOWGEN LBCTL
# Environment (set by scripts/bench.sh, passed through by vm-run.sh):
#   LBIPAM_BENCH_NS     service counts, e.g. "1 1000 10000 30000"
#   LBIPAM_BENCH_REPS   repetitions of every measurement (default 3)
#   LBIPAM_BENCH_SECS   seconds per flow measurement (default 2)
#   LBIPAM_BENCH_UPD_REPS  repetitions of add/remove one service (default:
#                       LBIPAM_BENCH_REPS, at most 2)
#   LBIPAM_BENCH_LOAD_TIMEOUT  seconds one table load may take (default 240);
#                       a data plane whose load takes longer is recorded as
#                       such and skipped at the larger N, to bound the run
#   LBIPAM_BENCH_NFT_TIMEOUT  the same for kube-proxy's exact nftables layout
#                       (nft.rules, default 120): past it, nftables is
#                       measured on nft-dp.rules instead, at this N and
#                       (without trying nft.rules again) the larger ones
#   LBIPAM_BENCH_PLANES data planes, in the order they run (default
#                       "lbipam nftables ipvs iptables": the slowest last)
#
# Topology (every packet to a VIP is forwarded by the node namespace):
#
#   bn-client            bn-node                   bn-be
#   eth0 192.0.2.2/24 -- c0 192.0.2.1/24
#   + one 172.16.x.y      b0 198.51.100.1/24  ---- eth0 198.51.100.2-5/24
#   per run (source)      ip_forward=1             flowgen -s on 0.0.0.0:8080
#
# Each data plane gets its own copy of this topology (bn-PLANE-client,
# bn-PLANE-node, bn-PLANE-be), but only one plane's table exists at a time:
# a node never runs two data planes, and another plane's table in the same
# kernel slows this one's new flows (iptables-nft alone holds ~15 kB of
# kernel memory per service). For each N, and per data plane in turn
# (a "slot"): flush its node, load the table (timed) with kernel memory
# before and after (each read once the vCPUs are idle again, see settle),
# REPS x {UDP, TCP} flow runs against the target service
# (conntrack -F before and after each), UPD_REPS x add and remove one
# service, flush again.
#
# Slots run minutes apart on a shared host, whose load drifts; so that the
# drift does not decide whether lbipam's rate is flat in N, one more copy
# (bn-ref-*) holds lbipam's N=1 table from start to end (tiny, it disturbs
# nothing), and in lbipam's slot every flow run alternates with the same
# run on it (ref UDP, UDP, ref TCP, TCP, per rep), recorded as data plane
# "lbipam-ref" at the slot's N: the per-rep ratio lbipam(N)/lbipam-ref is
# free of the drift.
#
# nftables: kube-proxy's layout (nft.rules) loads in O(N^2) (the kernel
# names every anonymous set by scanning the table's sets). Past
# LBIPAM_BENCH_NFT_TIMEOUT, nft-dp.rules (bench/gentables.sh) is loaded and
# measured instead: metrics load_dp_ms, mem_dp_kb, mem_dp_b_per_svc, the
# flow and add/remove ones as usual.
#
# The results go to OUTDIR/raw.tsv as "plane N metric rep value" lines.
#
# bench/ref-planes.sh sources this file (with the same four arguments) for
# its helpers; everything below "main" then does not run.
set -uo pipefail

if [[ $# -ne 4 ]]; then
	echo "usage: $0 OUTDIR TABLEDIR FLOWGEN LBCTL" >&2
	exit 2
fi
out=$1
tables=$2
flowgen=$3
lbctl=$4
ns_list=${LBIPAM_BENCH_NS:-1 1000 10000 30000}
reps=${LBIPAM_BENCH_REPS:-3}
secs=${LBIPAM_BENCH_SECS:-2}
# iptables' add/remove at 30k take ~90 s a time: the largest cost of a run.
upd_reps=${LBIPAM_BENCH_UPD_REPS:-$((reps < 2 ? reps : 2))}
load_to=${LBIPAM_BENCH_LOAD_TIMEOUT:-240}
nft_to=${LBIPAM_BENCH_NFT_TIMEOUT:-120}
# plane -> the N whose load timed out; nftables' exact layout apart.
declare -A skip=()
nft_exact_to=
ref_vip=
minflows=200
planes=${LBIPAM_BENCH_PLANES:-lbipam nftables ipvs iptables}

C=
N=
B=
raw=$out/raw.tsv
log=$out/flows.log
srcn=0

# Seconds since the start: what each step costs, for the run time budget.
say() { echo "bench: [${SECONDS}s] $*" >&2; }
die() {
	say "FAILED: $*"
	exit 1
}

# use_plane PLANE: the namespaces of PLANE's topology.
use_plane() {
	C=bn-$1-client
	N=bn-$1-node
	B=bn-$1-be
}

cleanup_plane() {
	local pids
	use_plane "$1"
	pids=$(ip netns pids "$B" 2>/dev/null)
	if [[ -n "$pids" ]]; then
		# shellcheck disable=SC2086 # one pid per word; only our flowgen
		kill $pids 2>/dev/null
	fi
	ip netns del "$C" 2>/dev/null
	ip netns del "$N" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}

cleanup() {
	local p
	for p in $planes ref; do
		cleanup_plane "$p"
	done
}
trap cleanup EXIT

inn() { ip netns exec "$N" "$@"; }

# Milliseconds since the epoch with microseconds, without a fork.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo "$((t / 1000)).$(printf '%03d' $((t % 1000)))"
}

# timed_ms CMD...: run CMD, print how long it took in ms; fail if CMD did.
# Its exit status and time also go to files (it runs in a subshell).
timed_ms() {
	local t0 t1 rc
	t0=${EPOCHREALTIME/./}
	"$@" >"$out/cmd.out" 2>&1
	rc=$?
	t1=${EPOCHREALTIME/./}
	echo "$rc" >"$out/cmd.rc"
	echo "$(((t1 - t0) / 1000))" >"$out/cmd.ms"
	if ((rc != 0)); then
		say "command failed ($rc): $*"
		head -n 20 "$out/cmd.out" >&2
		return 1
	fi
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1000 }'
}

# Unreclaimable slab + per-CPU + vmalloc (iptables-legacy's blob, module
# text, big kvmalloc tables), in kB.
kmem_kb() {
	awk '/^(SUnreclaim|Percpu|VmallocUsed):/ { s += $2 } END { print s }' \
		/proc/meminfo
}

# Busy and total jiffies of all vCPUs (idle and iowait are not busy).
cpu_ticks() {
	awk '/^cpu / { for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# Let freed objects go (RCU callbacks, conntrack gc) before reading memory,
# and let a load's or a flush's deferred work end before the next
# measurement: at least 2 s, then until the vCPUs are 90% idle over a
# second (at most 30 s).
settle() {
	local i b0 t0 b1 t1
	read -r b0 t0 < <(cpu_ticks)
	for ((i = 1; i <= 30; i++)); do
		sleep 1
		read -r b1 t1 < <(cpu_ticks)
		if ((i >= 2 && (b1 - b0) * 10 < t1 - t0)); then
			((i > 2)) && say "settled after $i s"
			return 0
		fi
		b0=$b1
		t0=$t1
	done
	say "still $(((b1 - b0) * 100 / (t1 - t0 + 1)))% busy after 30 s; going on"
}

put() { # plane n metric rep value
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$raw"
}

topology() { # plane
	local ns i
	cleanup_plane "$1"
	use_plane "$1"
	for ns in "$C" "$N" "$B"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
	done
	inn sysctl -qw net.ipv4.ip_forward=1 || return 1
	inn sysctl -qw net.ipv4.conf.all.send_redirects=0
	inn sysctl -qw net.ipv4.conf.default.send_redirects=0
	ip link add c0 netns "$N" type veth peer name eth0 netns "$C" || return 1
	ip link add b0 netns "$N" type veth peer name eth0 netns "$B" || return 1
	ip -n "$C" addr add 192.0.2.2/24 dev eth0
	ip -n "$C" link set eth0 up
	ip -n "$C" route add default via 192.0.2.1
	# Flow source ports are 10000-60000: keep the kernel's own elsewhere.
	ip netns exec "$C" sysctl -qw net.ipv4.ip_local_port_range="61000 65000"
	ip -n "$N" addr add 192.0.2.1/24 dev c0
	ip -n "$N" link set c0 up
	ip -n "$N" route add 172.16.0.0/16 via 192.0.2.2 dev c0
	ip -n "$N" addr add 198.51.100.1/24 dev b0
	ip -n "$N" link set b0 up
	for i in 2 3 4 5; do
		ip -n "$B" addr add "198.51.100.$i/24" dev eth0 || return 1
	done
	ip -n "$B" link set eth0 up
	ip -n "$B" route add default via 198.51.100.1
	# Client and responder share one vCPU: a wake-up across vCPUs costs
	# milliseconds under TCG and would land on some flows, not others.
	ip netns exec "$B" taskset -c 1 "$flowgen" -s -p 8080 &
	# A second is enough on an idle host, not on a busy one.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 1
		ip netns exec "$B" ss -Hlnt 'sport = :8080' | grep -q . && return 0
	done
	die "the responder does not listen"
}

# ------------------------------------------------------- data planes ---

# tinn SECS CMD...: inn with a time limit (timeout exits 124 when it
# strikes).
tinn() {
	local s=$1
	shift
	timeout "$s" ip netns exec "$N" "$@"
}

# load KIND DIR SECS: the whole table; KIND is a data plane or nft-dp.
load() {
	case $1 in
	lbipam) tinn "$3" "$lbctl" -b "$2/lbipam.batch" ;;
	iptables) tinn "$3" iptables-restore <"$2/iptables.rules" ;;
	nftables) tinn "$3" nft -f "$2/nft.rules" ;;
	nft-dp) tinn "$3" nft -f "$2/nft-dp.rules" ;;
	ipvs)
		inn ip link add kube-ipvs0 type dummy &&
			tinn "$3" ip -batch "$2/ipvs.addrs" &&
			tinn "$3" ipvsadm-restore <"$2/ipvs.rules"
		;;
	esac
}

add_one() {
	case $1 in
	lbipam) inn "$lbctl" -b "$2/lbipam-add.batch" ;;
	iptables) inn iptables-restore --noflush <"$2/iptables-add.rules" ;;
	nftables) inn nft -f "$2/nft-add.rules" ;;
	ipvs)
		# ipvsadm-restore starts by clearing the whole table: one
		# ipvsadm per change instead (kube-proxy sends the same
		# netlink messages from its own process).
		inn ip -batch "$2/ipvs-add.addrs" || return 1
		while read -r -a args; do
			inn ipvsadm "${args[@]}" </dev/null || return 1
		done <"$2/ipvs-add.rules"
		;;
	esac
}

del_one() {
	case $1 in
	lbipam) inn "$lbctl" -b "$2/lbipam-del.batch" ;;
	iptables) inn iptables-restore --noflush <"$2/iptables-del.rules" ;;
	nftables) inn nft -f "$2/nft-del.rules" ;;
	ipvs)
		while read -r -a args; do
			inn ipvsadm "${args[@]}" </dev/null || return 1
		done <"$2/ipvs-del.rules"
		inn ip -batch "$2/ipvs-del.addrs"
		;;
	esac
}

# Back to an empty node ($N only: the reference's table stays): no
# service, no rule, no conntrack entry.
flush_all() {
	inn "$lbctl" flush >/dev/null 2>&1
	inn nft flush ruleset 2>/dev/null
	inn ipvsadm -C 2>/dev/null
	inn ip link del kube-ipvs0 2>/dev/null
	inn conntrack -F >/dev/null 2>&1
	return 0
}

# flows topo plane n rep proto vip [port]: one flow run to vip:port (80)
# through topology topo from a fresh source address, recorded as data
# plane plane's.
flows() {
	local topo=$1 plane=$2 n=$3 rep=$4 proto=$5 vip=$6 port=${7:-80} src line rc
	use_plane "$topo"
	srcn=$((srcn + 1))
	src=172.16.$((srcn / 250)).$((srcn % 250 + 1))
	ip -n "$C" addr add "$src/32" dev eth0 || return 1
	inn conntrack -F >/dev/null 2>&1
	line=$(ip netns exec "$C" taskset -c 1 "$flowgen" -c "$vip:$port" "-${proto:0:1}" \
		-S "$src" -n 50000 -m "$minflows" -d "$secs" -P 10000 -L 60000 -w 2000)
	rc=$?
	# All namespaces share one conntrack hash: the next run, maybe in
	# another topology, must not find this run's thousands of entries.
	inn conntrack -F >/dev/null 2>&1
	printf '%s\t%s\t%s\t%s\t%s\n' "$plane" "$n" "$rep" "$rc" "$line" >>"$log"
	if ((rc != 0)) && [[ -z "$line" ]]; then
		say "$plane N=$n $proto: flowgen failed ($rc)"
		return 1
	fi
	kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
	put "$plane" "$n" "${proto}_rate" "$rep" "$(kv rate)"
	put "$plane" "$n" "${proto}_p50_us" "$rep" "$(kv rtt_p50_us)"
	put "$plane" "$n" "${proto}_p99_us" "$rep" "$(kv rtt_p99_us)"
	put "$plane" "$n" "${proto}_fails" "$rep" "$(kv fails)"
	say "$plane N=$n rep $rep: $line"
}

# try_load plane n dir kind limit sfx: flush the plane's node, load kind's
# table within limit seconds (timed), kernel memory before and after; as
# metrics load${sfx}_ms, mem${sfx}_kb and mem${sfx}_b_per_svc. Returns 1
# if the time limit struck (recorded as load${sfx}_timeout_s); a load
# that fails otherwise ends the benchmark.
try_load() {
	local plane=$1 n=$2 dir=$3 kind=$4 limit=$5 sfx=$6 m0 m1 ms NPORTS
	# shellcheck disable=SC1091 # generated: VIP, NPORTS, ...
	source "$dir/target"
	use_plane "$plane"

	flush_all
	settle
	m0=$(kmem_kb)
	if ! ms=$(timed_ms load "$kind" "$dir" "$limit"); then
		if [[ "$(cat "$out/cmd.rc")" != 124 ]]; then
			die "$plane N=$n: load of $kind failed"
		fi
		say "$plane N=$n: loading $kind stopped after $(cat "$out/cmd.ms") ms (limit $limit s)"
		put "$plane" "$n" "load${sfx}_timeout_s" 1 "$limit"
		flush_all
		return 1
	fi
	put "$plane" "$n" "load${sfx}_ms" 1 "$ms"
	settle
	m1=$(kmem_kb)
	put "$plane" "$n" "mem${sfx}_kb" 1 "$((m1 - m0))"
	put "$plane" "$n" "mem${sfx}_b_per_svc" 1 "$(((m1 - m0) * 1024 / NPORTS))"
	say "$plane N=$n: $kind load ${ms} ms, kernel memory +$((m1 - m0)) kB"
}

# load_one plane n dir: the plane's table, alone in the kernel; 1 if none
# could be loaded in time (the plane is then skipped at the larger N).
load_one() {
	local plane=$1 n=$2 dir=$3
	if [[ "$plane" != nftables ]]; then
		try_load "$plane" "$n" "$dir" "$plane" "$load_to" "" && return 0
		say "$plane: skipped from here on"
		skip[$plane]=$n
		return 1
	fi
	# kube-proxy's own layout as long as it loads in time; its O(N^2)
	# makes a larger N only slower, so it is not tried again.
	if [[ -z "$nft_exact_to" ]]; then
		try_load nftables "$n" "$dir" nftables "$nft_to" "" && return 0
		nft_exact_to=$n
	else
		say "nftables N=$n: nft.rules not tried (over $nft_to s at N=$nft_exact_to)"
		put nftables "$n" load_timeout_s 1 "$nft_to"
		put nftables "$n" load_untried 1 "$nft_exact_to"
	fi
	say "nftables N=$n: measuring nft-dp.rules instead"
	try_load nftables "$n" "$dir" nft-dp "$load_to" _dp && return 0
	say "nftables: skipped from here on"
	skip[nftables]=$n
	return 1
}

# slot plane n dir: every measurement of one data plane at one N, with
# its table alone in the kernel (but for the reference's).
slot() {
	local plane=$1 n=$2 dir=$3 rep proto ms VIP
	# shellcheck disable=SC1091 # generated: VIP, NPORTS, ...
	source "$dir/target"

	if [[ -n "${skip[$plane]:-}" ]]; then
		say "--- $plane, N=$n: skipped (the load timed out at N=${skip[$plane]})"
		# nftables: only nft-dp.rules' time limit (the larger) skips it.
		if [[ "$plane" == nftables ]]; then
			put "$plane" "$n" load_timeout_s 1 "$nft_to"
		else
			put "$plane" "$n" load_timeout_s 1 "$load_to"
		fi
		put "$plane" "$n" load_untried 1 "${skip[$plane]}"
		return 0
	fi
	say "--- $plane, N=$n"
	if load_one "$plane" "$n" "$dir"; then
		for ((rep = 1; rep <= reps; rep++)); do
			for proto in udp tcp; do
				if [[ "$plane" == lbipam && -n "$ref_vip" ]]; then
					flows ref lbipam-ref "$n" "$rep" "$proto" "$ref_vip" ||
						die "lbipam-ref N=$n: flows"
				fi
				flows "$plane" "$plane" "$n" "$rep" "$proto" "$VIP" ||
					die "$plane N=$n: flows"
			done
		done
		use_plane "$plane"
		for ((rep = 1; rep <= upd_reps; rep++)); do
			# What starting one process costs here, for scale.
			ms=$(timed_ms inn true) || die "exec"
			put "$plane" "$n" exec_ms "$rep" "$ms"
			ms=$(timed_ms add_one "$plane" "$dir") ||
				die "$plane N=$n: add one"
			put "$plane" "$n" add_ms "$rep" "$ms"
			ms=$(timed_ms del_one "$plane" "$dir") ||
				die "$plane N=$n: remove one"
			put "$plane" "$n" del_ms "$rep" "$ms"
		done
	fi
	use_plane "$plane"
	flush_all
}

# bench_n n dir: every measurement at one N, one data plane at a time.
bench_n() {
	local plane
	for plane in $planes; do
		slot "$plane" "$1" "$2"
	done
}

# ------------------------------------------------------------- main ---

# Sourced (bench/ref-planes.sh): the helpers only.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
	return 0
fi

mkdir -p "$out"
: >"$raw"
: >"$log"
{
	echo "kernel=$(uname -r)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "vcpus=$(nproc)"
	echo "mem=$(awk '/^MemTotal:/ { print $2 " kB" }' /proc/meminfo)"
	echo "iptables=$(iptables -V)"
	echo "nft=$(nft -V | head -n 1)"
	echo "ipvsadm=$(ipvsadm -v 2>&1 | head -n 1)"
} >"$out/sysinfo"

for m in lbipam nf_conntrack nf_nat nf_tables nft_chain_nat nft_numgen \
	nft_ct nft_masq nft_compat xt_statistic xt_comment xt_mark \
	xt_MASQUERADE xt_tcpudp ip_vs ip_vs_rr dummy veth; do
	modprobe "$m" || say "modprobe $m failed"
done
[[ -d /sys/module/lbipam ]] || die "lbipam is not loaded"
# Room for every flow of a run; the hash as a 2 GB host would have it.
sysctl -qw net.netfilter.nf_conntrack_max=262144
echo 65536 >/sys/module/nf_conntrack/parameters/hashsize

for plane in $planes; do
	topology "$plane" || die "topology"
done
if [[ " $planes " == *" lbipam "* ]]; then
	topology ref || die "topology"
	use_plane ref
	inn "$lbctl" -b "$tables/1/lbipam.batch" >/dev/null ||
		die "the reference's table"
	ref_vip=$(sed -n 's/^VIP=//p' "$tables/1/target")
fi
if [[ " $planes " == *" ipvs "* ]]; then
	use_plane ipvs
	inn sysctl -qw net.ipv4.vs.conntrack=1 || die "net.ipv4.vs.conntrack"
fi

# Warm-up: loads every module the tables use (and the first-use
# allocations) outside the memory measurement, and checks each data plane
# really translates.
save="$raw $reps $secs $upd_reps"
raw=$out/warmup.tsv
reps=1
secs=0.2
upd_reps=1
minflows=20
bench_n 1 "$tables/1"
read -r raw reps secs upd_reps <<<"$save"
minflows=200
skip=()
nft_exact_to=

: >"$log"
srcn=1000

for n in $ns_list; do
	bench_n "$n" "$tables/$n"
done
say "done"
