#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ARP requests answered per second: by lbipam.ko for an announced address
# (lbctl l2 add) against the kernel's own ARP for an address configured on
# the same interface, in the same VM run.
#
# Usage: bench/l2-rate.sh OUTDIR LBCTL L2PROBE
#   Runs as root in the bench VM (scripts/bench.sh). L2PROBE is the
#   selftests' lb_l2probe, whose "flood" mode sends ARP requests in bursts
#   from a packet socket and counts the replies.
# Environment:
#   LBIPAM_BENCH_REPS  runs per side, alternating (default 3)
#   LBIPAM_BENCH_SECS  seconds per run (default 2)
#
# Two namespaces on a veth pair: "bl2-out" floods, "bl2-node" answers on
# e0 for 192.0.2.1 (configured: the kernel's arp_process()) and for
# 203.0.113.10 (announced, not configured: the module's NF_ARP_IN hook).
# Both run through the same veth and softirq on the same CPUs, so the
# ratio compares the answering paths. The rate is the replies the flooder
# got per second. In the emulated VM the flooder shares the CPUs with the
# answering side, so the rate is that of the whole request-reply loop; when
# every request is answered the answering path kept up with it, and the
# ratio says whether it made the loop slower or faster.
#
# Writes OUTDIR/l2.tsv ("side rep sent answered rate" lines) and
# OUTDIR/l2.txt (medians and the ratio module / kernel).
set -euo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: $0 OUTDIR LBCTL L2PROBE" >&2
	exit 2
fi
out=$1 lbctl=$2 probe=$3
reps=${LBIPAM_BENCH_REPS:-3}
secs=${LBIPAM_BENCH_SECS:-2}
vip=203.0.113.10
mkdir -p "$out"
cleanup() {
	ip netns del bl2-out 2>/dev/null || true
	ip netns del bl2-node 2>/dev/null || true
}
trap cleanup EXIT
say() { echo "l2-rate: $*" >&2; }

cleanup
ip netns add bl2-out
ip netns add bl2-node
ip link add eth0 netns bl2-out type veth peer name e0 netns bl2-node
ip -n bl2-out addr add 192.0.2.2/24 dev eth0
ip -n bl2-node addr add 192.0.2.1/24 dev e0
for ns in bl2-out bl2-node; do
	ip -n "$ns" link set lo up
done
ip -n bl2-out link set eth0 up
ip -n bl2-node link set e0 up
"$lbctl" -N bl2-node l2 add "$vip" dev e0

: >"$out/l2.tsv"
for ((r = 1; r <= reps; r++)); do
	for side in module kernel; do
		addr=$vip
		[[ $side == kernel ]] && addr=192.0.2.1
		# "sent N answered M rate R"
		read -r _ sent _ answered _ rate < <(ip netns exec bl2-out \
			"$probe" -t "$secs" flood eth0 "$addr")
		printf '%s\t%d\t%s\t%s\t%s\n' "$side" "$r" "$sent" "$answered" \
			"$rate" >>"$out/l2.tsv"
		say "$side run $r: sent $sent answered $answered ($rate/s)"
	done
done

median() {
	awk -v s="$1" '$1 == s { print $5 }' "$out/l2.tsv" | sort -n |
		awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'
}
# sum SIDE: "answered of sent" over the side's runs.
sum() {
	awk -v s="$1" '$1 == s { n += $3; a += $4 } END { printf "%d of %d", a, n }' \
		"$out/l2.tsv"
}
m=$(median module)
k=$(median kernel)
{
	echo "ARP requests answered per second, median of $reps runs of ${secs}s"
	echo "module (announced $vip):      $m   ($(sum module) requests answered)"
	echo "kernel (configured 192.0.2.1): $k   ($(sum kernel) requests answered)"
	awk -v m="$m" -v k="$k" 'BEGIN {
		if (k > 0)
			printf "ratio module / kernel:         %.2f\n", m / k
		else
			print "ratio module / kernel:         n/a (the kernel answered nothing)"
	}'
	echo "module counters: $("$lbctl" -N bl2-node l2 list)"
} | tee "$out/l2.txt"
