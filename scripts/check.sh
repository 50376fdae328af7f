#!/usr/bin/env bash
# Every check and test of the project, host and VM, as one TAP-counted run.
# Ends with "N passed, N failed[, N skipped]" and exits non-zero on any
# failure. A step that is not TAP itself counts as one test.
#
# Usage: scripts/check.sh [STEP...]   only the named steps (default: all)
#        scripts/check.sh --list      the steps, in the order they run
# The VM suites run at once: Debian's 6.12; 6.1, as the kind node's host
# (the functional group and the walk-through) and in a plain VM (the
# VM-only groups); the packages' VM; and the debug kernel (KASAN, lockdep,
# kmemleak...; built once per machine by the debug-kernel step, then
# cached), which runs the groups that exercise the module's locking and
# memory (DEBUG_TESTS below) and starts first, beside the host's tests,
# followed by 6.1's VM-only groups.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 1

STEPS=(build-module-W1 build-module-W1-6.12 build-userspace checkpatch-strict
	shellcheck unit-tests lbctl-cli lbctl-completion engine daemon cluster
	install-destdir dkms debug-kernel vm-selftests-6.1 vm-selftests-6.12
	vm-selftests-debug kind-node deb)

if [[ "${1:-}" == --list ]]; then
	printf '%s\n' "${STEPS[@]}"
	exit 0
fi
declare -A chosen=()
for a in "$@"; do
	if [[ " ${STEPS[*]} " != *" $a "* ]]; then
		echo "check.sh: no step '$a'; the steps: ${STEPS[*]}" >&2
		exit 2
	fi
	chosen[$a]=1
done
want() {
	(($# == 1)) || return 1
	((${#chosen[@]} == 0)) || [[ -n "${chosen[$1]:-}" ]]
}

log=build/check
rm -rf "$log"
mkdir -p "$log"

passed=0 failed=0 skipped=0
failures=()

# verdict NAME RC START: a step's result, from its exit status alone.
verdict() {
	local name=$1 rc=$2 start=$3
	if ((rc == 0)); then
		passed=$((passed + 1))
		echo "ok - $name ($((SECONDS - start)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "not ok - $name ($((SECONDS - start)) s)"
		tail -n 40 "$log/$name.log" | sed 's/^/#   /'
	fi
}

# step NAME COMMAND...: pass or fail on the exit status alone.
step() {
	local name=$1 start=$SECONDS rc=0
	shift
	want "$name" || return 0
	"$@" >"$log/$name.log" 2>&1 || rc=$?
	verdict "$name" "$rc" "$start"
}

# bg_step NAME COMMAND...: a step started in the background, for checks
# that only read the tree (the host tests beside them use the other core);
# bg_wait NAME gives its verdict.
declare -A bg_pid=() bg_start=()
bg_step() {
	local name=$1
	shift
	want "$name" || return 0
	bg_start[$name]=$SECONDS
	"$@" >"$log/$name.log" 2>&1 &
	bg_pid[$name]=$!
}
bg_wait() {
	local name=$1 rc=0
	[[ -n "${bg_pid[$name]:-}" ]] || return 0
	wait "${bg_pid[$name]}" || rc=$?
	verdict "$name" "$rc" "${bg_start[$name]}"
}

# count NAME LABEL RC SECS: prints NAME's log (TAP) and counts its top-level
# results; a non-zero exit with no failing result is a failure of its own.
# The closing line is "LABEL: N passed, N failed, N skipped (...)".
count() {
	local name=$1 label=$2 rc=$3 secs=$4 p f s
	sed 's/^/  /' "$log/$name.log"
	p=$(grep -Ec '^ok [0-9]+' "$log/$name.log")
	s=$(grep -Ec '^ok [0-9]+.*# *SKIP' "$log/$name.log")
	f=$(grep -Ec '^not ok [0-9]+' "$log/$name.log")
	p=$((p - s))
	if ((rc != 0 && f == 0)); then
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	((f)) && failures+=("$name")
	echo "$label: $p passed, $f failed, $s skipped (exit $rc, $secs s)"
}

# tap NAME COMMAND...: runs COMMAND, then counts it.
tap() {
	local name=$1 rc start=$SECONDS
	shift
	want "$name" || return 0
	"$@" >"$log/$name.log" 2>&1
	rc=$?
	count "$name" "$name" "$rc" $((SECONDS - start))
}

kv61=$(scripts/kver.sh 6.1) || exit 1
kv612=$(scripts/kver.sh 6.12) || exit 1
echo "# kernels: $kv61, $kv612 and the debug kernel"

# The debug kernel's tests. Each runs 3-4 times as long as on Debian's
# kernels (KASAN, lockdep and kmemleak under emulation), and the whole
# data-plane and robustness groups (DEBUG_TESTS_ALL, 23 tests) took 1484 s
# of a core: more than CI's 25 minutes leave beside the other suites,
# which keep both cores busy. CI runs the tests that free the module's
# memory and take its locks while traffic flows through it: rmmod under
# traffic (module_unload), netns deletion and rmmod under floods, with
# one-packet's per-datagram conntrack templates in flight (rb_unload),
# backend replacement under traffic (dp_replace: RCU swaps of states,
# Maglev rebuilds, conntrack walks), and one-packet scheduling itself
# (dp_one_packet). LBIPAM_DEBUG_TESTS=all runs all 23.
DEBUG_TESTS=(module_unload.sh rb_unload.sh dp_replace.sh dp_one_packet.sh)
DEBUG_TESTS_ALL=(dp_ipv6.sh dp_sctp.sh dp_maglev.sh dp_terminating.sh
	dp_affinity.sh dp_reject.sh dp_source_range.sh dp_hairpin.sh
	dp_masquerade.sh dp_local_only.sh dp_udp_flush.sh dp_one_packet.sh
	dp_monitor.sh dp_replace.sh dp_stats.sh rb_batch.sh rb_limits.sh
	rb_fuzz.sh rb_churn.sh rb_dump.sh rb_leak.sh rb_unload.sh
	module_unload.sh)
if [[ "${LBIPAM_DEBUG_TESTS:-}" == all ]]; then
	DEBUG_TESTS=("${DEBUG_TESTS_ALL[@]}")
fi
declare -A vm_kv=([vm-selftests-6.1]=$kv61 [vm-selftests-6.12]=$kv612
	[vm-selftests-debug]=debug [vm-only-6.1]=$kv61)
declare -A vm_label=([vm-selftests-6.1]="vm-selftests $kv61"
	[vm-selftests-6.12]="vm-selftests $kv612"
	[vm-selftests-debug]="vm-selftests debug (KASAN, lockdep)")
vm_steps=()
for name in vm-selftests-6.1 vm-selftests-6.12 vm-selftests-debug; do
	want "$name" && vm_steps+=("$name")
done
# timed NAME NICE COMMAND...: COMMAND's output in $log/NAME.log, its
# time in $log/NAME.secs (for the steps that run in the background).
timed() {
	local name=$1 nice=$2 start=$SECONDS rc
	shift 2
	nice -n "$nice" "$@" >"$log/$name.log" 2>&1
	rc=$?
	echo $((SECONDS - start)) >"$log/$name.secs"
	return $rc
}
# The scale tests (rb_dump's 100,000 services, rb_batch's 30,000, rb_churn's
# and rb_leak's 10,000) run their full size on 6.12 and a tenth to a fifth
# on 6.1 (LBIPAM_SCALE=small, lb_size in selftests/lib.sh): the full sizes
# cost 160 s of a core per kernel, and CI's 25 minutes are CPU-bound.
SMALL=(env LBIPAM_SCALE=small)
# vm_suite NAME [NICE]: one suite.
vm_suite() {
	local name=$1 args=(KV="${vm_kv[$1]}") pre=()
	case $name in
	vm-selftests-debug) args+=(T="${DEBUG_TESTS[*]}" VM_TIMEOUT=5400) ;;
	vm-only-6.1) args+=(T="$(make -s -C selftests list-vm-only)") pre=("${SMALL[@]}") ;;
	esac
	timed "$name" "${2:-0}" "${pre[@]}" make -s vm-test "${args[@]}"
}
# debug_chain: the debug kernel (cached under /var/cache/lbipam: seconds
# once built; a first build ran before, see dk_first_rc), then its suite.
# The kernel build's verdict goes to $log/debug-kernel.rc.
debug_chain() {
	local start=$SECONDS rc=0
	if [[ -n $dk_first_rc ]]; then
		rc=$dk_first_rc
	elif want debug-kernel; then
		make -s debug-kernel >"$log/debug-kernel.log" 2>&1 || rc=$?
		echo "$rc $((SECONDS - start))" >"$log/debug-kernel.rc"
	fi
	want vm-selftests-debug || return 0
	if ((rc != 0)); then
		echo "the debug kernel did not build (see debug-kernel)" \
			>"$log/vm-selftests-debug.log"
		echo 0 >"$log/vm-selftests-debug.secs"
		return 2
	fi
	vm_suite vm-selftests-debug 5
}
# first_chain: in the background from the start, at nice 5: the debug
# chain, then 6.1's VM-only groups (cluster and robustness: they take the
# module away and cannot run in a kind node) in a plain 6.1 VM, which
# keeps the kind VM's share of the 6.1 suite to the functional group and
# the walk-through. Verdicts in $log/NAME.rc.
first_chain() {
	if want debug-kernel || want vm-selftests-debug; then
		debug_chain
		echo $? >"$log/vm-selftests-debug.rc"
	fi
	if want vm-selftests-6.1; then
		vm_suite vm-only-6.1 5
		echo $? >"$log/vm-only-6.1.rc"
	fi
}
declare -A vm_pid=() vm_rc=()
# A first build of the debug kernel (nothing cached) runs alone, before
# everything else. Beside the VMs and the host's steps, at nice 10, it
# ended after every other suite (2210 s), and its suite and 6.1's VM-only
# groups then ran one after the other with a core idle (about 800 s).
dk_first_rc=
if want debug-kernel && ! scripts/debug-kernel.sh --dir >/dev/null 2>&1; then
	dk_start=$SECONDS dk_first_rc=0
	make -s debug-kernel >"$log/debug-kernel.log" 2>&1 || dk_first_rc=$?
	verdict debug-kernel "$dk_first_rc" "$dk_start"
fi
# Everything the VM suites share is built before any starts, so that the
# runs only read the checkout; each kernel's module is built in its own
# build/kmod/<KV>/.
if { ((${#vm_steps[@]})) || want kind-node || want deb; } &&
	! make -s userspace kselftest >"$log/vm-prepare.log" 2>&1; then
	vm_prepare_failed=1
	for name in "${vm_steps[@]}"; do
		cp "$log/vm-prepare.log" "$log/$name.log"
		echo 0 >"$log/$name.secs"
		vm_rc[$name]=2
	done
	step debug-kernel make -s debug-kernel
elif want debug-kernel || want vm-selftests-debug || want vm-selftests-6.1; then
	# The debug kernel's run starts first, at nice 5, on the core the
	# host's steps below leave idle most of their time.
	first_chain &
	first_pid=$!
fi

# The W=1 builds once the debug kernel's chain has started: it takes the
# other core from the first minute instead of after their 30 s.
step build-module-W1 make -s module-check KV="$kv61"
step build-module-W1-6.12 make -s module-check KV="$kv612"
step build-userspace make -s userspace

step install-destdir scripts/install-check.sh
step dkms scripts/dkms-check.sh
# The cluster step's 2 s etcd leases do not survive the load of three VMs:
# it runs beside the debug kernel's alone.
tap cluster make -s cluster-check
# 6.1 is the kind host: its VM runs the functional group inside a kind
# node container and the walk-through across two nodes; with the VM-only
# groups (first_chain) that is the whole suite on 6.1, each test once.
# It (at nice 5) and 6.12's suite (at nice 0: the longest single VM) start
# next, beside the host's tests. 6.12 starting after the host's tests left
# one core idle for its last 110 s; at nice 5, for its last 300 s.
if [[ -z "${vm_prepare_failed:-}" ]] && { want kind-node || want vm-selftests-6.1; }; then
	timed kind-node 5 "${SMALL[@]}" scripts/kind-node.sh &
	kind_pid=$!
fi
if [[ -z "${vm_prepare_failed:-}" ]] && want vm-selftests-6.12; then
	vm_suite vm-selftests-6.12 &
	vm_pid[vm-selftests-6.12]=$!
fi
bg_step checkpatch-strict make -s style
bg_step shellcheck shellcheck -x scripts/*.sh selftests/*.sh bench/*.sh .ci/run \
	userspace/tests/*.sh userspace/daemon/tests/*.sh userspace/lbctl/completion.bash
tap unit-tests make -s unit-tests
tap lbctl-cli userspace/tests/test_cli.sh
tap lbctl-completion userspace/tests/test_completion.sh
tap engine make -s engine-check
bg_wait checkpatch-strict
bg_wait shellcheck
tap daemon make -s daemon-check

if [[ -z "${vm_prepare_failed:-}" ]]; then
	# The packages: make deb on the host (from a copy of the tree, so
	# after the host's steps that build in it), then apt-get install and
	# DKMS in a VM of their own.
	if want deb; then
		timed deb 0 scripts/deb-check.sh &
		deb_pid=$!
	fi
fi

if [[ -n "${first_pid:-}" ]]; then
	wait "$first_pid"
	if [[ -s $log/debug-kernel.rc ]]; then
		read -r dk_rc dk_secs <"$log/debug-kernel.rc"
		verdict debug-kernel "$dk_rc" $((SECONDS - dk_secs))
	fi
	if want vm-selftests-debug; then
		vm_rc[vm-selftests-debug]=$(cat "$log/vm-selftests-debug.rc" 2>/dev/null || echo 2)
	fi
fi
for name in "${vm_steps[@]}"; do
	[[ -n "${vm_pid[$name]:-}" ]] || continue
	wait "${vm_pid[$name]}"
	vm_rc[$name]=$?
done
if [[ -n "${kind_pid:-}" ]]; then
	wait "$kind_pid"
	kind_rc=$?
	kind_secs=$(cat "$log/kind-node.secs")
fi
# The 6.1 suite's parts: the functional group as kind-node-vm.sh kept it
# (without it, the setup failed: the whole log, whose "not ok" says why),
# then the VM-only groups.
kind_results=build/kind/results
if want vm-selftests-6.1 && [[ -n "${kind_pid:-}" ]]; then
	if [[ -s $kind_results/functional.rc ]]; then
		cp "$kind_results/functional.tap" "$log/vm-selftests-6.1.log"
		k_rc=$(cat "$kind_results/functional.rc")
	else
		cp "$log/kind-node.log" "$log/vm-selftests-6.1.log"
		k_rc=$((kind_rc ? kind_rc : 1))
	fi
	cat "$log/vm-only-6.1.log" >>"$log/vm-selftests-6.1.log"
	v_rc=$(cat "$log/vm-only-6.1.rc" 2>/dev/null || echo 2)
	vm_rc[vm-selftests-6.1]=$((k_rc + v_rc))
	echo "kind VM $kind_secs s + VM-only groups $(cat "$log/vm-only-6.1.secs")" \
		>"$log/vm-selftests-6.1.secs"
fi
for name in "${vm_steps[@]}"; do
	count "$name" "${vm_label[$name]}" "${vm_rc[$name]}" "$(cat "$log/$name.secs")"
done
if [[ -n "${kind_pid:-}" ]] && want vm-selftests-6.1; then
	# Counted above as part of 6.1; here only the walk-through.
	walk_rc=$((kind_rc ? kind_rc : 1))
	if [[ -s $kind_results/walk.rc ]]; then
		cp "$kind_results/walk.tap" "$log/kind-walk.log"
		walk_rc=$(cat "$kind_results/walk.rc")
	else
		cp "$log/kind-node.log" "$log/kind-walk.log"
	fi
	count kind-walk "kind-node walk-through" "$walk_rc" "$kind_secs"
elif [[ -n "${kind_pid:-}" ]]; then
	count kind-node kind-node "$kind_rc" "$kind_secs"
elif want kind-node && [[ -n "${vm_prepare_failed:-}" ]]; then
	# The VM suites' shared build failed: the kind node needs it too.
	cp "$log/vm-prepare.log" "$log/kind-node.log"
	count kind-node kind-node 2 0
fi
if [[ -n "${deb_pid:-}" ]]; then
	wait "$deb_pid"
	deb_rc=$?
	count deb deb "$deb_rc" "$(cat "$log/deb.secs")"
elif want deb && [[ -n "${vm_prepare_failed:-}" ]]; then
	cp "$log/vm-prepare.log" "$log/deb.log"
	count deb deb 2 0
fi

echo
if ((failed)); then
	echo "# failed: ${failures[*]} (logs in $log/)"
fi
if ((skipped)); then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
((failed == 0))
