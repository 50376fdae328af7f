#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ARP requests and neighbour solicitations answered per second: by
# lbipam.ko for an announced address (lbctl l2 add) against the kernel's own
# neighbour code for an address configured on the same interface, in the
# same VM run; and, with LBIPAMD, the time from `lbctl apply` of an L2
# policy to the first ARP answer for the Service's LB IP.
#
# Usage: bench/l2-rate.sh OUTDIR LBCTL L2PROBE [LBIPAMD]
#   Runs as root in the bench VM (scripts/bench.sh). L2PROBE is the
#   selftests' lb_l2probe, whose "flood" mode sends ARP requests (or
#   solicited-node NS) in bursts from a packet socket and counts the
#   replies.
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
# Writes OUTDIR/l2.tsv ("side rep sent answered rate" lines, side one of
# module, kernel, module6, kernel6), OUTDIR/l2-apply.tsv ("rep ms-to-garp
# ms-to-lbctl-return") and
# OUTDIR/l2.txt (medians and the ratios module / kernel).
set -euo pipefail

if [[ $# -ne 3 && $# -ne 4 ]]; then
	echo "usage: $0 OUTDIR LBCTL L2PROBE [LBIPAMD]" >&2
	exit 2
fi
out=$1 lbctl=$2 probe=$3 daemon=${4:-}
reps=${LBIPAM_BENCH_REPS:-3}
secs=${LBIPAM_BENCH_SECS:-2}
vip=203.0.113.10
vip6=2001:db8:ff::10
mkdir -p "$out"
tmp=
dpid=
cleanup() {
	if [[ -n "$dpid" ]]; then
		kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	fi
	[[ -z "$tmp" ]] || rm -rf "$tmp"
	ip netns del bl2-out 2>/dev/null || true
	ip netns del bl2-node 2>/dev/null || true
}
trap cleanup EXIT
say() { echo "l2-rate: $*" >&2; }

cleanup
ip netns add bl2-out
ip netns add bl2-node
ip link add eth0 netns bl2-out type veth peer name e0 netns bl2-node
for ns in bl2-out bl2-node; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
done
ip -n bl2-out addr add 192.0.2.2/24 dev eth0
ip -n bl2-node addr add 192.0.2.1/24 dev e0
ip -n bl2-out addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n bl2-node addr add 2001:db8:1::1/64 dev e0 nodad
for ns in bl2-out bl2-node; do
	ip -n "$ns" link set lo up
done
ip -n bl2-out link set eth0 up
ip -n bl2-node link set e0 up
"$lbctl" -N bl2-node l2 add "$vip" dev e0
"$lbctl" -N bl2-node l2 add "$vip6" dev e0

: >"$out/l2.tsv"
for ((r = 1; r <= reps; r++)); do
	for side in module kernel module6 kernel6; do
		case $side in
		module) addr=$vip ;;
		kernel) addr=192.0.2.1 ;;
		module6) addr=$vip6 ;;
		kernel6) addr=2001:db8:1::1 ;;
		esac
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
# ratio A B: "A / B" of two medians, or n/a.
ratio() {
	awk -v m="$1" -v k="$2" 'BEGIN {
		if (k > 0)
			printf "%.2f\n", m / k
		else
			print "n/a (the kernel answered nothing)"
	}'
}

# The time from `lbctl apply` of a policy to the first ARP answer, through
# lbipamd (which programs the module after it answered the apply).
apply_latency() {
	local r t0 tr t1 ip i line wpid
	tmp=$(mktemp -d)
	export LBIPAM_SOCKET=$tmp/lbipamd.sock
	"$daemon" --netns bl2-node --state "$tmp/state.db" --socket "$LBIPAM_SOCKET" \
		--node-name bench 2>"$tmp/lbipamd.log" &
	dpid=$!
	for ((i = 0; i < 100; i++)); do
		"$lbctl" get status >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$lbctl" apply -f - >/dev/null <<'YAML'
apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata: {name: bench}
spec:
  blocks: [{cidr: 198.18.0.0/28}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  ports: [{name: http, port: 80, targetPort: 8080}]
YAML
	ip=$("$lbctl" get services -n default web -o json |
		jq -r '.status.loadBalancer.ingress[0].ip')
	# The segment hears of the address first from the takeover's
	# gratuitous ARP: a watcher on the outside prints it the moment it
	# arrives, and bash's own clock ($EPOCHREALTIME, no process to start)
	# times it.
	mkfifo "$tmp/watch"
	ip netns exec bl2-out "$probe" -t 3600 -r "$tmp/ready" watch eth0 >"$tmp/watch" &
	wpid=$!
	exec 3<"$tmp/watch"
	for ((i = 0; i < 100; i++)); do
		[[ -e "$tmp/ready" ]] && break
		sleep 0.1
	done
	: >"$out/l2-apply.tsv"
	for ((r = 1; r <= reps * 3; r++)); do
		t0=$EPOCHREALTIME
		printf 'apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata: {name: bench}\nspec: {interfaces: [^e0$], loadBalancerIPs: true}\n' |
			"$lbctl" apply -f - >/dev/null
		tr=$EPOCHREALTIME
		t1=
		while read -r -t 10 -u 3 line; do
			if [[ "$line" == "garp $ip "* ]]; then
				t1=$EPOCHREALTIME
				break
			fi
		done
		[[ -n "$t1" ]] || { say "no gratuitous ARP for $ip in round $r"; break; }
		# Answered, too: an ARP request now gets the node's MAC.
		ip netns exec bl2-out "$probe" -t 2 arp eth0 "$ip" >/dev/null ||
			{ say "no ARP answer for $ip in round $r"; break; }
		awk -v r="$r" -v a="$t0" -v b="$tr" -v c="$t1" 'BEGIN {
			printf "%d\t%d\t%d\n", r, (c - a) * 1000, (b - a) * 1000 }' >>"$out/l2-apply.tsv"
		"$lbctl" delete l2announcementpolicy bench >/dev/null
		# Withdrawn before the next round.
		for ((i = 0; i < 100; i++)); do
			[[ -z "$("$lbctl" -N bl2-node -j l2 list | jq -r ".[] | select(.address == \"$ip\")")" ]] && break
			sleep 0.05
		done
	done
	exec 3<&-
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null || true
	kill "$dpid" && wait "$dpid" 2>/dev/null
	dpid=
}
# Before lbipamd starts: it owns the namespace's announcements and
# withdraws the two made by hand above.
counters=$("$lbctl" -N bl2-node l2 list | xargs)
if [[ -n "$daemon" ]]; then
	say "policy apply to first ARP answer, $((reps * 3)) rounds"
	apply_latency
fi

m=$(median module)
k=$(median kernel)
m6=$(median module6)
k6=$(median kernel6)
{
	echo "ARP requests answered per second, median of $reps runs of ${secs}s"
	echo "module (announced $vip):      $m   ($(sum module) requests answered)"
	echo "kernel (configured 192.0.2.1): $k   ($(sum kernel) requests answered)"
	echo "ratio module / kernel:         $(ratio "$m" "$k")"
	echo "Neighbour solicitations (solicited-node multicast) answered per second"
	echo "module (announced $vip6):     $m6   ($(sum module6) answered)"
	echo "kernel (configured 2001:db8:1::1): $k6   ($(sum kernel6) answered)"
	echo "ratio module / kernel:         $(ratio "$m6" "$k6")"
	if [[ -s "$out/l2-apply.tsv" ]]; then
		p50() {
			sort -n -k"$1" "$out/l2-apply.tsv" | awk -v k="$1" '{ v[NR] = $k }
				END { printf "p50 %d ms, max %d ms", v[int((NR + 1) / 2)], v[NR] }'
		}
		echo "lbctl apply of an L2 policy, $(wc -l <"$out/l2-apply.tsv") rounds:"
		echo "  to the segment hearing the gratuitous ARP: $(p50 2)"
		echo "  to lbctl returning (the daemon answered): $(p50 3)"
	fi
	echo "module counters: $counters"
} | tee "$out/l2.txt"
