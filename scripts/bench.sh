#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: lbipam.ko against kube-proxy's iptables, nftables and IPVS
# modes in one VM run (each data plane alone in the kernel while measured;
# bench/vm-bench.sh), then the engine's 100k-service benchmark on the host;
# writes bench/RESULTS.md and bench/results.png (see issue 6).
#
# Usage: scripts/bench.sh        (after make module userspace kselftest;
#                                 make bench KV=6.12 runs it on Debian's 6.12)
#        scripts/bench.sh ref    (make bench-ref) only lbipam against the
#                                 reference planes and the Maglev build time
#                                 (bench/ref-planes.sh, issue 11); replaces
#                                 that section of RESULTS.md in place
# Environment:
#   LBIPAM_BENCH_KERNEL  the VM's kernel (vm-run.sh --kernel; default 6.1)
#   LBIPAM_BENCH_MODULE  lbipam.ko built for it (default ./lbipam.ko)
#   LBIPAM_BENCH_NS      service counts (default "1 1000 10000 30000")
#   LBIPAM_BENCH_REPS    repetitions per measurement (default 3)
#   LBIPAM_BENCH_SECS    seconds per flow run (default 2)
#   LBIPAM_BENCH_UPD_REPS  add/remove-one repetitions (default: REPS, at
#                        most 2: iptables' take ~90 s a time at 30k)
#   LBIPAM_BENCH_PLANES  default "lbipam nftables ipvs iptables" (run order)
#   LBIPAM_BENCH_LOAD_TIMEOUT  seconds a table load may take before the
#                        data plane is skipped from that N on (default 240)
#   LBIPAM_BENCH_NFT_TIMEOUT  the same for kube-proxy's exact nftables
#                        layout (default 120); past it nftables is measured
#                        on bench/gentables.sh's nft-dp.rules instead
#   LBIPAM_BENCH_ENGINE  the engine's directory (default: userspace/engine);
#                        "none" skips it
#   LBIPAM_BENCH_TIMEOUT VM time limit in seconds (default 2000)
#   LBIPAM_BENCH_OUT     where RESULTS.md and results.png go (default bench/
#                        on 6.1, bench/<KV>/ on another kernel)
#   LBIPAM_BENCH_APPLY   1 (default): also one-Service apply latency through
#                        lbctl against lbipamd holding 1k/30k/100k Services,
#                        kernel programmed (bench/apply-latency.sh, in its
#                        own VM run); 0 skips it
#   LBIPAM_BENCH_APPLY_NS, LBIPAM_BENCH_APPLY_REPS  see bench/apply-latency.sh
#   LBIPAM_BENCH_REF     1 (default): also lbipam against the least nftables
#                        DNAT (one map) and against no translation, paired,
#                        and the Maglev build time at 1k/16k/65k backends
#                        (bench/ref-planes.sh, in its own VM run); 0 skips it
#   LBIPAM_BENCH_REF_NS, LBIPAM_BENCH_REF_REPS, LBIPAM_BENCH_REF_SECS,
#   LBIPAM_BENCH_MG_NS, LBIPAM_BENCH_MG_REPS, LBIPAM_BENCH_PERF,
#   LBIPAM_BENCH_PERF_SECS  see bench/ref-planes.sh
#   LBIPAM_BENCH_L2      1 (default): also ARP requests and NS answered per
#                        second, the module's L2 announcement against the
#                        kernel's own, and policy apply to first answer
#                        (bench/l2-rate.sh, in its own VM run); 0 skips it
set -euo pipefail

mode=all
if [[ $# -eq 1 && "$1" == ref ]]; then
	mode=ref
elif [[ $# -ne 0 ]]; then
	echo "usage: $0 [ref]" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"

export LBIPAM_BENCH_NS=${LBIPAM_BENCH_NS:-1 1000 10000 30000}
export LBIPAM_BENCH_REF_NS=${LBIPAM_BENCH_REF_NS:-1 1000 10000}
# Many short runs: the shared host's stalls last seconds, and the paired
# ratio only cancels what the runs of one repetition share.
export LBIPAM_BENCH_REF_REPS=${LBIPAM_BENCH_REF_REPS:-15}
export LBIPAM_BENCH_REF_SECS=${LBIPAM_BENCH_REF_SECS:-1}
export LBIPAM_BENCH_MG_NS=${LBIPAM_BENCH_MG_NS:-1000 16000 65000}
export LBIPAM_BENCH_MG_REPS=${LBIPAM_BENCH_MG_REPS:-3}
export LBIPAM_BENCH_REPS=${LBIPAM_BENCH_REPS:-3}
# About 20 minutes on an idle 2-core host (REPS=3 SECS=3 UPD_REPS=3: ~25).
export LBIPAM_BENCH_SECS=${LBIPAM_BENCH_SECS:-2}
export LBIPAM_BENCH_UPD_REPS=${LBIPAM_BENCH_UPD_REPS:-$((LBIPAM_BENCH_REPS < 2 ? LBIPAM_BENCH_REPS : 2))}
export LBIPAM_BENCH_PLANES=${LBIPAM_BENCH_PLANES:-lbipam nftables ipvs iptables}
# Exported so that the VM and the report (its Method section) agree.
export LBIPAM_BENCH_LOAD_TIMEOUT=${LBIPAM_BENCH_LOAD_TIMEOUT:-240}
export LBIPAM_BENCH_NFT_TIMEOUT=${LBIPAM_BENCH_NFT_TIMEOUT:-120}
# The VM's part takes ~20 minutes on an idle host: room for a busy one.
timeout_s=${LBIPAM_BENCH_TIMEOUT:-2000}
# One table at a time, but the largest (iptables-nft: ~15 kB of kernel
# memory per service, 440 MB at 30k) with its loader, and nft -f of
# nft-dp.rules at 30k (~1.2 GB resident on the host), need the room.
export LBIPAM_VM_MEM=${LBIPAM_VM_MEM:-3G}
kernel=${LBIPAM_BENCH_KERNEL:-6.1}
module=${LBIPAM_BENCH_MODULE:-$top/lbipam.ko}
kv=$("$here/kver.sh" "$kernel")
if [[ "$kv" == "$("$here/kver.sh" 6.1)" ]]; then
	dest=${LBIPAM_BENCH_OUT:-$top/bench}
else
	dest=${LBIPAM_BENCH_OUT:-$top/bench/$kv}
fi

B=$top/build/bench
out=$B/out
say() { echo "bench.sh: $*" >&2; }

for t in qemu-system-x86_64 iptables-restore nft ipvsadm-restore conntrack \
	gnuplot gcc awk; do
	command -v "$t" >/dev/null ||
		{ say "$t missing (run scripts/deps.sh)"; exit 2; }
done
[[ -f "$module" && -x userspace/lbctl/lbctl ]] ||
	{ say "build first: make module userspace"; exit 2; }
# bench/maglev-build.py's netlink names (lb_genl.py imports them).
[[ -f selftests/lbipam_uapi.py ]] ||
	{ say "build first: make kselftest"; exit 2; }

start=$SECONDS
mkdir -p "$B/tables"
if [[ "$mode" == ref ]]; then
	rm -f "$out"/ref-* "$out"/perf-*
else
	rm -rf "$out"
fi
mkdir -p "$out"

gcc -O2 -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-o "$B/flowgen" bench/flowgen.c

# The tables, generated here (seconds) rather than in the emulated VM.
ns_all=$LBIPAM_BENCH_REF_NS
[[ "$mode" == ref ]] || ns_all="$LBIPAM_BENCH_NS $ns_all"
# shellcheck disable=SC2086 # one N per word
for n in $(printf '%s\n' 1 $ns_all | sort -nu); do
	d=$B/tables/$n
	if [[ ! -f "$d/target" || "$d/target" -ot bench/gentables.sh ]]; then
		bench/gentables.sh "$n" "$d"
	fi
done

# ref_run: the reference planes and the Maglev build in their own VM run
# (bench/ref-planes.sh), then their section as $out/ref.md.
ref_run() {
	local rc=0
	say "lbipam against the reference planes, and the Maglev build, in the VM"
	scripts/vm-run.sh --kernel "$kv" --timeout "$timeout_s" --module "$module" -- \
		"$top/bench/ref-planes.sh" "$out" "$B/tables" "$B/flowgen" \
		"$top/userspace/lbctl/lbctl" 2>&1 | tee "$out/ref-vm.log" || rc=$?
	((rc == 0)) || say "the reference-plane VM run failed (exit $rc)"
	bench/ref-report.sh "$out" >"$out/ref.md"
	return "$rc"
}

if [[ "$mode" == ref ]]; then
	vmrc=0
	ref_run || vmrc=$?
	cat "$out/ref.md"
	# In place: the section between the markers (report.sh writes them),
	# else before the raw data section, else at the end.
	mkdir -p "$dest"
	[[ -f "$dest/RESULTS.md" ]] || : >"$dest/RESULTS.md"
	awk -v f="$out/ref.md" '
	function section() {
		print "<!-- bench-ref: begin (make bench-ref rewrites this section) -->"
		while ((getline l < f) > 0)
			print l
		print "<!-- bench-ref: end -->"
		print ""
		done = 1
	}
	/^<!-- bench-ref: begin/ { skip = 1; section(); next }
	skip && /^<!-- bench-ref: end/ { skip = 0; getline; if ($0 != "") print; next }
	skip { next }
	!done && /^## Raw data/ { section() }
	{ print }
	END { if (!done) section() }' "$dest/RESULTS.md" >"$dest/RESULTS.md.tmp"
	mv "$dest/RESULTS.md.tmp" "$dest/RESULTS.md"
	say "wrote the reference-plane section of $dest/RESULTS.md in $((SECONDS - start)) s"
	exit "$vmrc"
fi

say "data planes in the VM (N = $LBIPAM_BENCH_NS, $LBIPAM_BENCH_REPS reps, ${LBIPAM_BENCH_SECS}s per run)"
vmrc=0
scripts/vm-run.sh --kernel "$kv" --timeout "$timeout_s" --module "$module" -- \
	"$top/bench/vm-bench.sh" "$out" "$B/tables" "$B/flowgen" \
	"$top/userspace/lbctl/lbctl" 2>&1 | tee "$out/vm.log" || vmrc=$?
if ((vmrc != 0)); then
	say "the VM run failed (exit $vmrc); reporting what it measured"
fi

if [[ "${LBIPAM_BENCH_APPLY:-1}" != 0 ]]; then
	[[ -x userspace/lbipamd ]] || { say "build first: make userspace"; exit 2; }
	say "one-Service apply latency through lbctl and lbipamd in the VM"
	scripts/vm-run.sh --timeout "$timeout_s" --module "$module" -- \
		"$top/bench/apply-latency.sh" "$out" "$top/userspace/lbipamd" \
		"$top/userspace/lbctl/lbctl" 2>&1 | tee "$out/apply-vm.log" || {
		rc=$?
		say "the apply-latency VM run failed (exit $rc)"
		vmrc=${vmrc:-0}
		((vmrc != 0)) || vmrc=$rc
	}
fi

if [[ "${LBIPAM_BENCH_REF:-1}" != 0 ]]; then
	ref_run || {
		rc=$?
		((vmrc != 0)) || vmrc=$rc
	}
fi

if [[ "${LBIPAM_BENCH_L2:-1}" != 0 ]]; then
	say "ARP answers per second, module against kernel, in the VM"
	gcc -O2 -Wall -Wextra -Werror -o "$B/lb_l2probe" selftests/lb_l2probe.c
	scripts/vm-run.sh --kernel "$kv" --timeout "$timeout_s" --module "$module" -- \
		"$top/bench/l2-rate.sh" "$out" "$top/userspace/lbctl/lbctl" \
		"$B/lb_l2probe" "$top/userspace/lbipamd" 2>&1 | tee "$out/l2-vm.log" || {
		rc=$?
		say "the l2-rate VM run failed (exit $rc)"
		((vmrc != 0)) || vmrc=$rc
	}
fi

engine=${LBIPAM_BENCH_ENGINE:-$top/userspace/engine}
if [[ "$engine" == none ]]; then
	echo "skipped (LBIPAM_BENCH_ENGINE=none)" >"$out/engine.txt"
elif [[ -f "$engine/Makefile" ]] && grep -q '^bench:' "$engine/Makefile"; then
	say "engine benchmark on the host ($engine)"
	{
		echo "engine: $engine ($(git -C "$engine" log -1 --format='%h %s' 2>/dev/null || echo 'not a git tree'))"
		# B= keeps the build outputs out of the engine's tree.
		make -s -C "$engine" B="$B/engine" bench 2>&1 ||
			echo "make bench failed (exit $?)"
	} >"$out/engine.txt"
else
	echo "not available: no engine with a bench target at $engine" >"$out/engine.txt"
fi
cat "$out/engine.txt"

grep -m1 'model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*: //' >"$out/hostcpu"
echo "$((SECONDS - start))" >"$out/elapsed"
bench/report.sh "$out" "$dest"
say "wrote $dest/RESULTS.md and $dest/results.png in $((SECONDS - start)) s"
exit "$vmrc"
