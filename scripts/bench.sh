#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: lbipam.ko side by side with kube-proxy's iptables, nftables and
# IPVS modes in one VM run, then the engine's 100k-service benchmark on the
# host; writes bench/RESULTS.md and bench/results.png (see issue 6).
#
# Usage: scripts/bench.sh        (after make module userspace)
# Environment:
#   LBIPAM_BENCH_NS      service counts (default "1 1000 10000 30000")
#   LBIPAM_BENCH_REPS    repetitions per measurement (default 3)
#   LBIPAM_BENCH_SECS    seconds per flow run (default 3)
#   LBIPAM_BENCH_UPD_REPS  add/remove-one repetitions (default: REPS)
#   LBIPAM_BENCH_PLANES  default "lbipam nftables ipvs iptables" (run order)
#   LBIPAM_BENCH_ENGINE  the engine's directory (default: userspace/engine);
#                        "none" skips it
#   LBIPAM_BENCH_TIMEOUT VM time limit in seconds (default 1500)
#   LBIPAM_BENCH_OUT     where RESULTS.md and results.png go (default bench/)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top"

export LBIPAM_BENCH_NS=${LBIPAM_BENCH_NS:-1 1000 10000 30000}
export LBIPAM_BENCH_REPS=${LBIPAM_BENCH_REPS:-3}
export LBIPAM_BENCH_SECS=${LBIPAM_BENCH_SECS:-3}
export LBIPAM_BENCH_UPD_REPS=${LBIPAM_BENCH_UPD_REPS:-$LBIPAM_BENCH_REPS}
export LBIPAM_BENCH_PLANES=${LBIPAM_BENCH_PLANES:-lbipam nftables ipvs iptables}
timeout_s=${LBIPAM_BENCH_TIMEOUT:-1500}
# All four tables are loaded at once (iptables-nft alone: ~15 kB/service).
export LBIPAM_VM_MEM=${LBIPAM_VM_MEM:-3G}
dest=${LBIPAM_BENCH_OUT:-$top/bench}

B=$top/build/bench
out=$B/out
say() { echo "bench.sh: $*" >&2; }

for t in qemu-system-x86_64 iptables-restore nft ipvsadm-restore conntrack \
	gnuplot gcc awk; do
	command -v "$t" >/dev/null ||
		{ say "$t missing (run scripts/deps.sh)"; exit 2; }
done
[[ -f lbipam.ko && -x userspace/lbctl ]] ||
	{ say "build first: make module userspace"; exit 2; }

start=$SECONDS
mkdir -p "$B/tables"
rm -rf "$out"
mkdir -p "$out"

gcc -O2 -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-o "$B/flowgen" bench/flowgen.c

# The tables, generated here (seconds) rather than in the emulated VM.
for n in 1 $LBIPAM_BENCH_NS; do
	d=$B/tables/$n
	if [[ ! -f "$d/target" || "$d/target" -ot bench/gentables.sh ]]; then
		bench/gentables.sh "$n" "$d"
	fi
done

say "data planes in the VM (N = $LBIPAM_BENCH_NS, $LBIPAM_BENCH_REPS reps, ${LBIPAM_BENCH_SECS}s per run)"
vmrc=0
scripts/vm-run.sh --timeout "$timeout_s" --module "$top/lbipam.ko" -- \
	"$top/bench/vm-bench.sh" "$out" "$B/tables" "$B/flowgen" \
	"$top/userspace/lbctl" 2>&1 | tee "$out/vm.log" || vmrc=$?
if ((vmrc != 0)); then
	say "the VM run failed (exit $vmrc); reporting what it measured"
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
