# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The TAP preamble lbipamd's host tests share, sourced by each: a scratch
# $tmp, ok/check, cleanup at exit, start/stop of one lbipamd on $tmp/s.sock.
#
# Where the tests differ, they say so:
#   out_lines=N         (before sourcing) a failure prints at most N lines
#                       of $tmp/out; unset, all of them
#   fresh_log=1         (before sourcing) each start empties $tmp/log first;
#                       unset, the log of every start accumulates
#   cleanup_more()      ends the test's other processes (prometheus, etcd)
#   lbipamd_args=(...)  (after sourcing, they name files in $tmp) start's
#                       lbipamd options, before start's own arguments

set -u
LBIPAMD=${LBIPAMD:-userspace/lbipamd}
LBCTL=${LBCTL:-userspace/lbctl/lbctl}
tmp=$(mktemp -d)
export LBIPAM_SOCKET=$tmp/s.sock
n=0
failed=0
pid=
lbipamd_args=()

cleanup() {
	declare -F cleanup_more >/dev/null && cleanup_more
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# ok RC DESCRIPTION: one TAP line; a failure shows $tmp/out as comments.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
		return
	fi
	echo "not ok $n - $2"
	# The sourcing test exits with it.
	# shellcheck disable=SC2034
	failed=1
	[ -s "$tmp/out" ] || return
	if [ -n "${out_lines:-}" ]; then
		sed 's/^/#   /' "$tmp/out" | head -n "$out_lines"
	else
		sed 's/^/#   /' "$tmp/out"
	fi
}

# check DESCRIPTION COMMAND...: ok if COMMAND succeeds, its output in
# $tmp/out for the failure.
check() {
	local d=$1
	shift
	"$@" >"$tmp/out" 2>&1
	ok $? "$d"
}

# start ARGS...: lbipamd in the background; sets $pid once it answers, or
# prints its log and fails.
start() {
	local i
	[ "${fresh_log:-}" = 1 ] && : >"$tmp/log"
	ASAN_OPTIONS=detect_leaks=1 "$LBIPAMD" "${lbipamd_args[@]}" "$@" \
		2>>"$tmp/log" &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		"$LBCTL" get status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/log"
	return 1
}

# stop: SIGTERM, and lbipamd's exit status (its log's tail if not 0).
stop() {
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	pid=
	[ "$rc" -ne 0 ] && echo "lbipamd exited with $rc" && tail -n 30 "$tmp/log"
	return "$rc"
}
