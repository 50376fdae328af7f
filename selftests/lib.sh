# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Constants and helpers here are used by the sourcing tests:
# shellcheck disable=SC2034
#
# Shared helpers for the lbipam selftests. Source it, then call
# lb_require ... before lb_plan. Sections: TAP, requirements, cleanup,
# netns and topology (lb_topology, lb_topology6, and lb_dp_setup, the
# data-plane tests' whole preamble), traffic (lb_serve and the clients, all
# lb_traffic), flows. The robustness tests add rb_lib.sh, the daemon tests
# e2e_lib.sh.
#
# Topology built by lb_topology PREFIX [NBACKENDS]:
#
#   PREFIX-client          PREFIX-node                     PREFIX-beN
#  +--------------+     +------------------------+     +-------------------+
#  | eth0         |     | c0                  bN |     | eth0              |
#  | 192.0.2.2/24 +-----+ 192.0.2.1/24           +-----+ 198.51.100.(N+1)  |
#  | default via  |     |     198.51.100.1/32 on |     |   /24             |
#  |   192.0.2.1  |     |     every bN           |     | default via       |
#  |              |     | ip_forward=1, lbipam   |     |   198.51.100.1    |
#  +--------------+     +------------------------+     +-------------------+
#
# The VIP (203.0.113.10, TEST-NET-3) lives only inside these namespaces. The
# client reaches it through its default route, so every packet to the VIP
# passes the node's PRE_ROUTING hook. Backends get one veth each (no bridge:
# on a kind node br_netfilter may be loaded and would run bridged frames
# through the IP hooks, muddying what we measure).
#
# The tests must also run on a kind node (a container with its own netns, the
# module loaded by the host). So: never assume the init netns, never write a
# sysctl outside our own namespaces, never unload the module unless running
# in the throw-away test VM (LBIPAM_IN_VM=1).

set -u

ksft_pass=0
ksft_fail=1
ksft_skip=4

LB_SELFTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LB_TRAFFIC=$LB_SELFTEST_DIR/lb_traffic

# Unique per run, so parallel runs and leftovers of a killed run never clash.
LB_RUN="lb-$$-$RANDOM"
# The client's and the node's namespace of lb_dp_setup (lb_topology $LB_RUN).
LB_CLIENT=$LB_RUN-client
LB_NODE=$LB_RUN-node

readonly VIP=203.0.113.10
readonly VIP2=203.0.113.11
readonly VPORT=80
readonly BPORT=8080
readonly CLIENT_IP=192.0.2.2
readonly NODE_CLIENT_IP=192.0.2.1
readonly NODE_BACKEND_IP=198.51.100.1
readonly BE1_IP=198.51.100.2
readonly BE2_IP=198.51.100.3
# IPv6 plan (lb_topology6), mirroring the IPv4 one (documentation prefixes).
readonly VIP6=2001:db8:ff::10
readonly CLIENT6=2001:db8:1::2
readonly NODE_CLIENT6=2001:db8:1::1
readonly NODE_BACKEND6=2001:db8:2::1

# lb_debug_kernel: true on the debug kernel (scripts/debug-kernel.sh).
lb_debug_kernel() {
	case $(uname -r) in
	*-lbipam-debug) return 0 ;;
	esac
	return 1
}

# Upper bound (seconds) on any single client call. Emulated (TCG) VMs are
# 10-50x slower than hardware, so be generous for things expected to work.
# The debug kernel (KASAN, lockdep) runs in CI at nice 5 beside the host's
# tests: rb_unload's flows there had not all answered after 60 s, then did.
if lb_debug_kernel; then
	LB_TIMEOUT=${LB_TIMEOUT:-30}
else
	LB_TIMEOUT=${LB_TIMEOUT:-10}
fi
# How long a UDP client waits for an answer after sending. Also the time a
# "nothing answers" UDP check costs, so keep it modest.
LB_UDP_WAIT=${LB_UDP_WAIT:-2}
# A refused connection must fail at most this many seconds later than a
# successful one (see lb_expect_refused); LB_DROP_WAIT is the connect
# timeout of such calls, what a silently dropped SYN would cost instead.
LB_FAST_SECS=${LB_FAST_SECS:-3}
LB_DROP_WAIT=${LB_DROP_WAIT:-8}
# How long a TCP check that expects *no* answer waits.
LB_SILENT_WAIT=${LB_SILENT_WAIT:-3}

_lb_ns=()
_lb_pids=()
_lb_tmp=
_lb_planned=
_lb_n=0
_lb_failed=0

# ---------------------------------------------------------------- TAP ---

lb_diag() {
	local line l
	for line in "$@"; do
		while IFS= read -r l; do
			printf '# %s\n' "$l"
		done <<<"$line"
	done
}

lb_plan() {
	_lb_planned=$1
	echo "TAP version 13"
	echo "1..$1"
}

lb_ok() {
	_lb_n=$((_lb_n + 1))
	echo "ok $_lb_n - $1"
}

# lb_not_ok DESC [DIAG...]
lb_not_ok() {
	_lb_n=$((_lb_n + 1))
	_lb_failed=$((_lb_failed + 1))
	echo "not ok $_lb_n - $1"
	shift
	if [ $# -gt 0 ]; then
		lb_diag "$@"
	fi
}

# lb_result RC DESC [DIAG...]: ok when RC is 0.
lb_result() {
	local rc=$1
	shift
	if [ "$rc" -eq 0 ]; then
		lb_ok "$1"
	else
		lb_not_ok "$@"
	fi
}

# lb_check DESC CMD...: one test point, ok when CMD succeeds. CMD runs in
# this shell (not in $(...)), so it may create namespaces and start servers
# that cleanup must know about; its output is shown only on failure.
lb_check() {
	local desc=$1 rc
	shift
	"$@" >"$_lb_tmp/out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		lb_ok "$desc"
	else
		lb_not_ok "$desc" "command: $*" "exit: $rc" "$(cat "$_lb_tmp/out")"
	fi
}

# lb_check_fail DESC CMD...: ok when CMD fails.
lb_check_fail() {
	local desc=$1 rc
	shift
	"$@" >"$_lb_tmp/out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		lb_ok "$desc"
	else
		lb_not_ok "$desc" "command unexpectedly succeeded: $*" "$(cat "$_lb_tmp/out")"
	fi
}

# lb_expect_eq DESC EXPECTED ACTUAL
lb_expect_eq() {
	if [ "$2" = "$3" ]; then
		lb_ok "$1"
	else
		lb_not_ok "$1" "expected: '$2'" "got:      '$3'"
	fi
}

# lb_expect_silent DESC tcp|udp RC OUTPUT: a client call (lb_tcp, lb_udp)
# that nothing may answer: no backend ("beN ..."), no reset or ICMP error
# ("Connection refused"), and for TCP no established connection.
lb_expect_silent() {
	local why=
	if grep -q '^be' <<<"$4"; then
		why="a backend answered"
	elif grep -qi 'refused' <<<"$4"; then
		why="actively refused, expected silence"
	elif [ "$2" = tcp ] && [ "$3" -eq 0 ]; then
		why="connection was established"
	fi
	if [ -z "$why" ]; then
		lb_ok "$1"
	else
		lb_not_ok "$1" "$why (exit $3)" "$4"
	fi
}

# lb_expect_refused DESC RC OUTPUT ELAPSED_MS BASE_MS: the call must fail
# with "Connection refused" (TCP reset, ICMP port unreachable), and quickly:
# at most LB_FAST_SECS slower than BASE_MS, the time a successful call of
# the same kind took (see lb_timed). Starting ip and a client costs seconds in
# a loaded emulated VM, so an absolute limit would be flaky; a silently
# dropped SYN would instead run into the client's connect timeout.
lb_expect_refused() {
	local limit=$(($5 + LB_FAST_SECS * 1000))
	if [ "$2" -ne 0 ] && grep -qi 'connection refused' <<<"$3" &&
		[ "$4" -le "$limit" ]; then
		lb_ok "$1"
		lb_diag "refused after ${4}ms (a successful call took ${5}ms)"
	else
		lb_not_ok "$1" "want: fails with 'Connection refused' within ${limit}ms" \
			"got: exit $2 after ${4}ms" "$3"
	fi
}

# lb_timed CMD...: run CMD, its output (stdout and stderr) in LB_OUT, its
# exit status in LB_RC, the milliseconds it took in LB_MS.
lb_timed() {
	lb_timed_to "$_lb_tmp/timed" "$@"
	LB_OUT=$(cat "$_lb_tmp/timed")
}

# lb_timed_to FILE CMD...: lb_timed with the output left in FILE (LB_OUT
# unset): for outputs of megabytes, which a shell variable takes seconds
# to hold in an emulated VM.
lb_timed_to() {
	local f=$1 t0
	shift
	unset LB_OUT
	t0=$(lb_now_ms)
	"$@" >"$f" 2>&1
	LB_RC=$?
	LB_MS=$(($(lb_now_ms) - t0))
}

# lb_cfg DESC CMD...: a configuration step. Per the lbctl contract add/del
# succeed silently, so any output counts as a failure too.
lb_cfg() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		lb_ok "$desc"
	else
		lb_not_ok "$desc" "command: $*" "exit: $rc (want 0, no output)" "$out"
	fi
}

# Print the summary and exit with the kselftest status. Running a different
# number of points than planned is a failure: some check was skipped over.
lb_exit() {
	if [ -n "$_lb_planned" ] && [ "$_lb_n" -ne "$_lb_planned" ]; then
		lb_diag "planned $_lb_planned test points, ran $_lb_n"
		_lb_failed=$((_lb_failed + 1))
	fi
	if [ "$_lb_failed" -ne 0 ]; then
		if [ -s "$_lb_tmp/bg.log" ]; then
			lb_diag "background process output:" "$(cat "$_lb_tmp/bg.log")"
		fi
		lb_diag "FAIL: $_lb_failed of $_lb_n failed (${SECONDS}s)"
		exit $ksft_fail
	fi
	lb_diag "PASS: $_lb_n of $_lb_n (${SECONDS}s)"
	exit $ksft_pass
}

# Whole-script skip; only valid before lb_plan.
lb_skip() {
	echo "TAP version 13"
	echo "1..0 # SKIP $1"
	exit $ksft_skip
}

# A missing module or tool is a skip on a foreign machine (e.g. a kind node
# without lbipam), but a failure where we promised to provide it (our CI and
# VM set LBIPAM_REQUIRE_MODULE=1).
lb_skip_or_fail() {
	if [ "${LBIPAM_REQUIRE_MODULE:-0}" = 1 ]; then
		echo "TAP version 13"
		echo "1..1"
		echo "not ok 1 - $1 (LBIPAM_REQUIRE_MODULE=1)"
		exit $ksft_fail
	fi
	lb_skip "$1"
}

# ------------------------------------------------------- requirements ---

lb_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		lb_skip_or_fail "must run as root"
	fi
}

lb_require_tools() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			lb_skip_or_fail "$t not found"
		fi
	done
}

# LBCTL from the environment; else the one an installed tree carries next
# to the tests (make -C selftests install); else lbctl on PATH; else the
# tree's build. LBIPAM_LBCTL is accepted too because the VM harness only
# passes LBIPAM_* variables through.
lb_require_lbctl() {
	LBCTL=${LBCTL:-${LBIPAM_LBCTL:-}}
	if [ -z "$LBCTL" ]; then
		# type -P: a PATH search only (the lbctl function below would
		# satisfy "command -v").
		if [ -x "$LB_SELFTEST_DIR/lbctl" ]; then
			LBCTL=$LB_SELFTEST_DIR/lbctl
		elif type -P lbctl >/dev/null 2>&1; then
			LBCTL=$(type -P lbctl)
		else
			LBCTL=$LB_SELFTEST_DIR/../userspace/lbctl/lbctl
		fi
	fi
	if [ ! -x "$LBCTL" ]; then
		lb_skip_or_fail "lbctl not found (tried ${LBCTL}; set LBCTL=)"
	fi
}

lb_module_loaded() {
	[ -d /sys/module/lbipam ]
}

lb_require_module() {
	if ! lb_module_loaded; then
		modprobe lbipam >/dev/null 2>&1
	fi
	if ! lb_module_loaded; then
		lb_skip_or_fail "module lbipam not loaded"
	fi
}

# lb_size FULL SMALL: how many objects a scale test makes: FULL, or SMALL
# on the debug kernel (scripts/debug-kernel.sh) or with LBIPAM_SCALE=small.
# KASAN, lockdep and kmemleak make the module's paths 3-10 times slower
# there under emulation, and they judge each path as it runs, whatever the
# count. CI runs the full counts on Debian's 6.12 and the small ones on
# 6.1 (scripts/check.sh): the code paths are the same at both sizes, and
# the full ones cost 160 s of a core per kernel.
lb_size() {
	if [ "${LBIPAM_SCALE:-}" = small ] || lb_debug_kernel; then
		echo "$2"
	else
		echo "$1"
	fi
}

# Tests that unload the module may run only in the throw-away test VM.
# Anywhere else (a developer's host, a kind node) other users may depend on
# the loaded module, so this is a foreign-machine skip, never a failure.
# lb_require_vm [WHY]: WHY defaults to "unloads the module".
# shellcheck disable=SC2120 # WHY is optional
lb_require_vm() {
	if [ "${LBIPAM_IN_VM:-0}" != 1 ]; then
		lb_skip "${1:-unloads the module}: robustness group, runs only in the test VM (LBIPAM_IN_VM=1)"
	fi
}

# lb_require_traffic: the traffic helper, built by the selftests' Makefile.
lb_require_traffic() {
	if [ ! -x "$LB_TRAFFIC" ]; then
		lb_skip_or_fail "$LB_TRAFFIC not built (make -C selftests)"
	fi
}

# lb_require: the common set: root, the tools every data-path test uses,
# the traffic helper, lbctl and the module.
lb_require() {
	lb_require_root
	lb_require_tools ip ss timeout
	lb_require_traffic
	lb_require_lbctl
	lb_require_module
}

# lbctl as a command, so tests read like the documentation.
lbctl() {
	"$LBCTL" "$@"
}

# ------------------------------------------------------------ cleanup ---

# lb_ns_kill NS: end every process inside NS. Only our namespaces are ever
# passed, so these are processes this test started (also ones lb_bg does
# not know about, e.g. started with ip netns exec in a subshell).
lb_ns_kill() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086 # one pid per word
		kill $pids 2>/dev/null
	fi
	return 0
}

lb_cleanup() {
	local pid ns

	for pid in "${_lb_pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for ns in "${_lb_ns[@]}"; do
		lb_ns_kill "$ns"
	done
	for ns in "${_lb_ns[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$_lb_tmp" ]; then
		rm -rf "$_lb_tmp"
	fi
	for ns in "${_lb_dirs[@]}"; do
		rm -rf "$ns"
	done
}

_lb_dirs=()
# lb_nobody_copy PROG: copies PROG where user nobody can run it and sets
# LB_NOBODY_COPY to the copy's path (removed on exit). The tree PROG lives
# in may not be readable by nobody, and a kind node mounts /tmp noexec
# (docker's --tmpfs default), so where $LB_TMP does not allow it the copy
# goes to /var/tmp. Not in a $(...) subshell: the cleanup list must grow.
lb_nobody_copy() {
	local d dir

	for d in "$LB_TMP" /var/tmp; do
		dir=$(mktemp -d "$d/nobody.XXXXXX" 2>/dev/null) || continue
		_lb_dirs+=("$dir")
		if ! { chmod 755 "$dir" && cp "$1" "$dir/" &&
			chmod 755 "$dir/${1##*/}"; }; then
			continue
		fi
		if setpriv --reuid=65534 --regid=65534 --clear-groups -- \
			"$dir/${1##*/}" --version >/dev/null 2>&1; then
			LB_NOBODY_COPY=$dir/${1##*/}
			return 0
		fi
	done
	return 1
}

# Private scratch directory (check output, server logs). Created here, not
# lazily, so that it is never first set inside a $(...) subshell.
_lb_tmp=$(mktemp -d "${TMPDIR:-/tmp}/$LB_RUN.XXXXXX") || exit $ksft_fail
chmod 755 "$_lb_tmp"
LB_TMP=$_lb_tmp

trap lb_cleanup EXIT
# The kselftest runner ends a test that overruns with SIGTERM: still clean
# up (the EXIT trap runs on exit, not on death by signal).
trap 'exit $ksft_fail' INT TERM HUP

# Run a command in the background and remember it for cleanup. Sets LB_PID.
# Its output goes to a log that is shown if the test fails.
lb_bg() {
	"$@" >>"$_lb_tmp/bg.log" 2>&1 &
	LB_PID=$!
	_lb_pids+=("$LB_PID")
}

# ------------------------------------------------------------ netns ---

# lb_ns_add NAME: a fresh netns with lo up and forwarding off. Forwarding is
# set explicitly because a new netns may inherit the parent's ipv4 settings
# (net.core.devconf_inherit_init_net), and a kind node forwards.
lb_ns_add() {
	local ns=$1
	ip netns add "$ns" || return 1
	_lb_ns+=("$ns")
	ip -n "$ns" link set lo up || return 1
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0 || return 1
}

# lb_topology PREFIX [NBACKENDS]: the picture at the top of this file.
lb_topology() {
	local p=$1 n=${2:-1} i be ip
	local node=$p-node client=$p-client

	lb_ns_add "$client" || return 1
	lb_ns_add "$node" || return 1
	ip netns exec "$node" sysctl -qw net.ipv4.ip_forward=1 || return 1
	# Untranslated VIP traffic is sent back out of c0 (see the default
	# route below); don't tell the client to take another path.
	ip netns exec "$node" sysctl -qw net.ipv4.conf.all.send_redirects=0 || return 1
	ip netns exec "$node" sysctl -qw net.ipv4.conf.default.send_redirects=0 || return 1

	ip link add c0 netns "$node" type veth peer name eth0 netns "$client" || return 1
	ip -n "$client" addr add "$CLIENT_IP/24" dev eth0 || return 1
	ip -n "$client" link set eth0 up || return 1
	ip -n "$client" route add default via "$NODE_CLIENT_IP" || return 1
	ip -n "$node" addr add "$NODE_CLIENT_IP/24" dev c0 || return 1
	ip -n "$node" link set c0 up || return 1

	for ((i = 1; i <= n; i++)); do
		be=$p-be$i
		ip=198.51.100.$((i + 1))
		lb_ns_add "$be" || return 1
		ip link add "b$i" netns "$node" type veth peer name eth0 netns "$be" || return 1
		ip -n "$node" addr add "$NODE_BACKEND_IP/32" dev "b$i" || return 1
		ip -n "$node" link set "b$i" up || return 1
		ip -n "$node" route add "$ip/32" dev "b$i" src "$NODE_BACKEND_IP" || return 1
		ip -n "$be" addr add "$ip/24" dev eth0 || return 1
		ip -n "$be" link set eth0 up || return 1
		ip -n "$be" route add default via "$NODE_BACKEND_IP" || return 1
	done

	# A connect() from the node to the VIP needs a route before the packet
	# reaches LOCAL_OUT, where lbipam rewrites it. A real node has a default
	# route; ours points at the client, which does not forward, so traffic
	# to the VIP that lbipam does not translate goes nowhere and nothing
	# answers.
	ip -n "$node" route add default via "$CLIENT_IP" || return 1
}

# lb_topology6 PREFIX [NBACKENDS]: add IPv6 to a topology lb_topology built
# with the same arguments. Backend i gets 2001:db8:2::(i+1). nodad: usable at
# once, no waiting for duplicate address detection.
lb_topology6() {
	local p=$1 n=${2:-1} i be
	local node=$p-node client=$p-client

	ip netns exec "$node" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	ip -n "$client" -6 addr add "$CLIENT6/64" dev eth0 nodad || return 1
	ip -n "$client" -6 route add default via "$NODE_CLIENT6" || return 1
	ip -n "$node" -6 addr add "$NODE_CLIENT6/64" dev c0 nodad || return 1
	for ((i = 1; i <= n; i++)); do
		be=$p-be$i
		ip -n "$node" -6 addr add "$NODE_BACKEND6/128" dev "b$i" nodad || return 1
		ip -n "$node" -6 route add "2001:db8:2::$((i + 1))/128" dev "b$i" \
			src "$NODE_BACKEND6" || return 1
		ip -n "$be" -6 addr add "2001:db8:2::$((i + 1))/64" dev eth0 nodad || return 1
		ip -n "$be" -6 route add default via "$NODE_BACKEND6" || return 1
	done
	# As for IPv4 (see lb_topology): the node needs a route to the VIP
	# for its own connections to reach LOCAL_OUT.
	ip -n "$node" -6 route add default via "$CLIENT6" || return 1
}

# lb_be_ip N, lb_be6_ip N: the IPv4 / IPv6 address of backend N.
lb_be_ip() {
	echo "198.51.100.$(($1 + 1))"
}

lb_be6_ip() {
	echo "2001:db8:2::$(($1 + 1))"
}

# lb_dp_setup NBACKENDS [SERVER...] [-- SERVICE=BE[+BE...]...]: the
# data-plane tests' common preamble: lb_topology $LB_RUN NBACKENDS, IPv6 too
# (lb_topology6) if any SERVER or SERVICE is IPv6; one server process for
# every SERVER, BE/PROTO/FAMILY: backend BE (be1, be2, ... or "all")
# answers on BPORT with its name, e.g. "all/tcp/4 be1/udp/6"; then every
# SERVICE in the node, with backends BE:BPORT (the address of BE's family),
# e.g. "$VIP:$VPORT/udp=be1+be2". Ready when it returns 0.
lb_dp_setup() {
	local n=$1 w be proto fam i svc bes names specs=() v6=
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		IFS=/ read -r be proto fam <<<"$1"
		shift
		if [ "$fam" = 6 ]; then
			v6=1
		fi
		for ((i = 1; i <= n; i++)); do
			if [ "$be" = all ] || [ "$be" = "be$i" ]; then
				specs+=("$LB_RUN-be$i,be$i,$proto,$fam,$BPORT")
			fi
		done
	done
	if [ $# -gt 0 ]; then
		shift
	fi
	for w in "$@"; do
		if [[ $w == \[* ]]; then
			v6=1
		fi
	done
	lb_topology "$LB_RUN" "$n" || return 1
	if [ -n "$v6" ]; then
		lb_topology6 "$LB_RUN" "$n" || return 1
	fi
	if [ ${#specs[@]} -gt 0 ]; then
		lb_serve "${specs[@]}" || return 1
	fi
	for w in "$@"; do
		svc=${w%=*}
		bes=()
		IFS=+ read -r -a names <<<"${w##*=}"
		for be in "${names[@]}"; do
			if [[ $svc == \[* ]]; then
				bes+=("[$(lb_be6_ip "${be#be}")]:$BPORT")
			else
				bes+=("$(lb_be_ip "${be#be}"):$BPORT")
			fi
		done
		lb_svc "$LB_RUN-node" "$svc" -- "${bes[@]}" || return 1
	done
}

# lb_svc NODE SERVICE [OPTION...] [-- BACKEND...]: `lbctl service add` of
# SERVICE with OPTIONs in netns NODE, then `backend add` of every BACKEND,
# ADDR:PORT with its options after commas (e.g. "$BE1_IP:$BPORT,local",
# "$ip:$BPORT,weight,3"). The services part of the data-plane preamble.
lb_svc() {
	local node=$1 svc=$2 opts=() be words
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	if [ $# -gt 0 ]; then
		shift
	fi
	lbctl -N "$node" service add "$svc" "${opts[@]}" || return 1
	for be in "$@"; do
		IFS=, read -r -a words <<<"$be"
		lbctl -N "$node" backend add "$svc" "${words[@]}" || return 1
	done
}

# lb_stat NS SERVICE JQ_PATH: one counter from `lbctl -j stats SERVICE`,
# e.g. lb_stat ns 203.0.113.10:80/tcp .stats.conns, or
# '.backends[] | select(.address=="198.51.100.2") | .stats.conns'.
lb_stat() {
	lbctl -N "$1" -j stats "$2" | jq -r "if type == \"array\" then .[0] else . end | $3"
}

# lb_conntrack NS ARGS...: conntrack -L in NS, without the summary line.
lb_conntrack() {
	local ns=$1
	shift
	ip netns exec "$ns" conntrack -L "$@" 2>/dev/null
}

# lb_ct_udp_reply src|dst SPORT: the reply source (the backend; the VIP
# when untranslated) or destination (the address masqueraded to) of the
# node's conntrack entries of the UDP flow CLIENT_IP:SPORT -> VIP:VPORT,
# space-separated; empty without an entry.
lb_ct_udp_reply() {
	local re='s/.*dport=[0-9]* .*src=[0-9.]* dst=\([0-9.]*\) .*/\1/p'
	if [ "$1" = src ]; then
		re='s/.*dport=[0-9]* .*src=\([0-9.]*\) dst=.*/\1/p'
	fi
	lb_conntrack "$LB_NODE" -p udp --orig-src "$CLIENT_IP" --orig-dst "$VIP" \
		--sport "$2" --dport "$VPORT" |
		sed -n "$re" | tr '\n' ' ' | sed 's/ $//'
}

# lb_wait_ct_udp_reply src|dst SPORT ADDR: poll until lb_ct_udp_reply is
# ADDR (one entry, with that address).
lb_wait_ct_udp_reply() {
	local i got
	for ((i = 0; i < LB_TIMEOUT * 5; i++)); do
		got=$(lb_ct_udp_reply "$1" "$2")
		if [ "$got" = "$3" ]; then
			return 0
		fi
		sleep 0.2
	done
	echo "reply $1 of the flow's entry is '$got', want '$3'" >&2
	lb_conntrack "$LB_NODE" -p udp >&2
	return 1
}

# ----------------------------------------------------------- traffic ---
#
# Every server and client is lb_traffic (lb_traffic.c, built next to this
# file; its usage text has the details). Servers answer a TCP or SCTP
# connection with "TAG PEER" and then every line with "TAG LINE", a UDP
# datagram with "TAG PEER" and an empty datagram that ends the answer; PEER
# is the client's address as the backend sees it.

# lb_traffic NS ARGS...: lb_traffic in netns NS.
lb_traffic() {
	local ns=$1
	shift
	ip netns exec "$ns" "$LB_TRAFFIC" "$@"
}

# lb_traffic_bg NS OUTFILE ARGS...: lb_traffic in the background, its output
# (line by line: tests watch it) in OUTFILE. Sets LB_PID.
lb_traffic_bg() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$LB_TRAFFIC" "$@" >"$out" 2>&1 &
	LB_PID=$!
	_lb_pids+=("$LB_PID")
}

# lb_serve [-e | -k DIR] SPEC...: one server process for every SPEC
# NS,TAG,PROTO,FAMILY,PORT[,ADDR] (PROTO tcp|udp|sctp, FAMILY 4|6, ADDR a
# local address to bind instead of the wildcard); it enters each netns
# itself. -e: echo servers; -k DIR: sinks. Returns when every socket
# listens, or fails after LB_TIMEOUT seconds (the error is in bg.log).
lb_serve() {
	local ready=$_lb_tmp/srv.ready.$RANDOM i
	lb_bg "$LB_TRAFFIC" serve -r "$ready" "$@"
	for ((i = 0; i < LB_TIMEOUT * 20; i++)); do
		if [ -e "$ready" ]; then
			return 0
		fi
		if ! kill -0 "$LB_PID" 2>/dev/null; then
			echo "server exited:" >&2
			tail -n 20 "$_lb_tmp/bg.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "servers not ready after ${LB_TIMEOUT}s" >&2
	return 1
}

# lb_servers NS TAG: TCP and UDP servers on BPORT, ready when it returns 0.
lb_servers() {
	lb_serve "$1,$2,tcp,4,$BPORT" "$1,$2,udp,4,$BPORT"
}

# lb_wait_listen NS tcp|udp PORT: poll until a socket is bound, instead of
# guessing with sleep. Fails after LB_TIMEOUT seconds.
lb_wait_listen() {
	local ns=$1 proto=$2 port=$3 flag i
	case $proto in
	tcp) flag=-Hltn ;;
	udp) flag=-Hlun ;;
	*) return 2 ;;
	esac
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if [ -n "$(ip netns exec "$ns" ss "$flag" "sport = :$port")" ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "nothing listens on $proto port $port in $ns" >&2
	return 1
}

# lb_wait_grep FILE ERE [SECS]: poll until a line of FILE matches.
lb_wait_grep() {
	local f=$1 re=$2 t=${3:-$LB_TIMEOUT} i
	for ((i = 0; i < t * 10; i++)); do
		if grep -Eq -- "$re" "$f" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "no line matching '$re' in $f after ${t}s:" >&2
	tail -n 20 "$f" >&2
	return 1
}

# ------------------------------------------------------------ flows ---
#
# Long-lived flows: a client sends a line every 20 ms over one TCP
# connection and one UDP socket; the backend's sinks append what arrives to
# files, so a growing file shows a flow passing right now.

# lb_sinks NS PORT: TCP and UDP sinks on PORT writing $LB_TMP/NS-PORT.tcp
# and .udp. Ready when it returns 0.
lb_sinks() {
	lb_serve -k "$_lb_tmp" "$1,sink,tcp,4,$2" "$1,sink,udp,4,$2"
}

# lb_flows NS ADDR PORT: start a TCP and a UDP flow from NS to ADDR:PORT.
# Each ends at its first failed send.
lb_flows() {
	lb_bg ip netns exec "$1" "$LB_TRAFFIC" tick -i 0.02 tcp "$2" "$3"
	lb_bg ip netns exec "$1" "$LB_TRAFFIC" tick -i 0.02 udp "$2" "$3"
}

_lb_size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# _lb_moved BEFORE AFTER grows|stops: a sink's size went as wanted.
_lb_moved() {
	case $3 in
	grows) [ "$2" -gt "$1" ] ;;
	stops) [ "$2" -eq "$1" ] ;;
	*) return 2 ;;
	esac
}

# lb_flowing NS PORT TCP UDP: within a second the TCP sink file of
# lb_sinks NS PORT grows (TCP=grows) or does not (TCP=stops), and likewise
# the UDP one. Waits up to LB_TIMEOUT for the first data: flows start slowly
# in an emulated VM.
lb_flowing() {
	local f=$_lb_tmp/$1-$2 want_t=$3 want_u=$4 i t0 u0 t u
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		if [ "$(_lb_size "$f.tcp")" -gt 0 ] && [ "$(_lb_size "$f.udp")" -gt 0 ]; then
			break
		fi
		sleep 0.1
	done
	t0=$(_lb_size "$f.tcp")
	u0=$(_lb_size "$f.udp")
	sleep 1
	t=$(_lb_size "$f.tcp")
	u=$(_lb_size "$f.udp")
	if _lb_moved "$t0" "$t" "$want_t" && _lb_moved "$u0" "$u" "$want_u"; then
		return 0
	fi
	echo "in 1s: tcp sink $t0 -> $t bytes (want: $want_t), udp sink $u0 -> $u bytes (want: $want_u)"
	return 1
}

# lb_growing NS PORT: both sink files of lb_sinks NS PORT grow.
lb_growing() {
	lb_flowing "$1" "$2" grows grows
}

# ---------------------------------------------------------- clients ---

# lb_ask NS PROTO ADDR PORT [TIMEOUT] [-b SRC]: one connection (TCP, SCTP)
# or datagram (UDP) to ADDR:PORT (IPv4 or IPv6); prints the answer. Fails
# with "Connection refused" on a reset or ICMP error, and for TCP when no
# connection is established within TIMEOUT. The UDP socket is connected to
# ADDR:PORT, so the kernel delivers only datagrams whose source is exactly
# ADDR:PORT: an answer proves the reply was translated back. UDP waits
# LB_UDP_WAIT for an answer.
lb_ask() {
	local ns=$1 proto=$2 addr=$3 port=$4 t=${5:-$LB_TIMEOUT}
	shift $(($# < 5 ? $# : 5))
	# The outer timeout is a backstop; lb_traffic's own fires first.
	timeout $((t + LB_UDP_WAIT + 2)) ip netns exec "$ns" "$LB_TRAFFIC" ask \
		-t "$t" -w "$LB_UDP_WAIT" "$@" "$proto" "$addr" "$port"
}

# lb_tcp NS ADDR PORT [TIMEOUT], lb_udp NS ADDR PORT: lb_ask for short.
lb_tcp() {
	lb_ask "$1" tcp "$2" "$3" "${4:-$LB_TIMEOUT}"
}

lb_udp() {
	lb_ask "$1" udp "$2" "$3"
}

# lb_tcp_from NS SRC ADDR PORT [TIMEOUT]: lb_tcp from source address SRC.
lb_tcp_from() {
	lb_ask "$1" tcp "$3" "$4" "${5:-$LB_TIMEOUT}" -b "$2"
}

# lb_count WORD: how many lines of stdin have WORD as their second field
# (the backend in lb_traffic conns' "SPORT TAG" output).
lb_count() {
	awk -v w="$1" '$2 == w { n++ } END { print n + 0 }'
}

# Milliseconds since the epoch, for "fails fast" checks.
lb_now_ms() {
	date +%s%3N
}

# lb_dmesg_mark: remember how far the kernel log goes; lb_dmesg_new prints
# the lines that came after it (empty if dmesg is not readable here).
lb_dmesg_mark() {
	LB_DMESG_MARK=$(dmesg 2>/dev/null | wc -l)
}

lb_dmesg_new() {
	dmesg 2>/dev/null | tail -n +$((${LB_DMESG_MARK:-0} + 1))
}

# Kernel log lines that mean a kernel bug.
readonly LB_DMESG_BAD='WARNING:|BUG:|Call Trace|Oops|refcount_t|general protection|list_(add|del) corruption'
