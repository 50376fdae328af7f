# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers shared by the robustness tests (rb_*.sh, module_unload.sh);
# sourced after lib.sh.
# Not a test itself. Flows and the echo server are lb_traffic's: one
# process per flow, no fork per packet (emulated VMs fork slowly).

RB_STOP=$LB_TMP/flows.stop

rb_secs() {
	awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'
}

# rb_echo NS PORT: a TCP+UDP echo server in NS, ready when it returns 0.
rb_echo() {
	lb_serve -e "$1,echo,tcp,4,$2" "$1,echo,udp,4,$2"
}

# rb_probe NS tcp|udp ADDR PORT [COUNT]: COUNT (1) new connections or
# datagrams to ADDR:PORT, one after the other, each echoed by rb_echo.
rb_probe() {
	lb_traffic "$1" probe -c "${5:-1}" "$2" "$3" "$4"
}

# rb_flow NAME NS tcp|udp ADDR PORT INTERVAL: start a long-lived flow to an
# echo server (lb_traffic flow: every INTERVAL s a numbered line, 0 = as
# fast as answers come); it runs until rb_flows_stop. Its report is
# $LB_TMP/NAME.json, its answer count so far $LB_TMP/NAME.json.progress.
# Flows run at nice 10: a flood takes whatever CPU it is given, and the
# test's own steps (netns deletion, rmmod, the checks) waited for it. On
# the debug kernel a check of five flows took 27 s instead of one.
rb_flow() {
	lb_bg nice -n 10 ip netns exec "$2" "$LB_TRAFFIC" flow -i "$6" \
		-S "$RB_STOP" -R "$LB_TMP/$1.json" "$3" "$4" "$5"
	eval "RB_FLOW_PID_$1=\$LB_PID"
}

# rb_answers VAR NAME: VAR = the answers flow NAME got so far. Builtins
# only: it is polled beside floods, where every fork waits its turn.
rb_answers() {
	local _v=0
	read -r _v 2>/dev/null <"$LB_TMP/$2.json.progress"
	printf -v "$1" '%d' "${_v:-0}"
}

# rb_nap SECS: sleep without a fork (a read that times out on a FIFO
# nobody writes).
rb_nap() {
	if [ -z "${_rb_nap_fd:-}" ]; then
		mkfifo "$LB_TMP/rb_nap" && exec {_rb_nap_fd}<>"$LB_TMP/rb_nap"
	fi
	read -r -t "$1" -u "$_rb_nap_fd" _
}

# rb_growing NAME...: every named flow gets new answers within LB_TIMEOUT
# seconds, i.e. it passes right now. Flows write their count every 0.5 s.
# A flow with no answer yet is first given LB_TIMEOUT * 6 seconds to start:
# seven flows started at nice 10 beside floods, on the debug kernel under
# CI's load, had not all answered 10 s after their start.
rb_growing() {
	local n a0=() a i k ok start=$SECONDS
	for n in "$@"; do
		rb_answers a "$n"
		while [ "$a" = 0 ] && ((SECONDS - start < LB_TIMEOUT * 6)); do
			rb_nap 0.2
			rb_answers a "$n"
		done
		if [ "$a" = 0 ]; then
			echo "flow $n: no answer $((SECONDS - start))s after the check began"
			return 1
		fi
	done
	for n in "$@"; do
		rb_answers a "$n"
		a0+=("$a")
	done
	for ((i = 0; i < LB_TIMEOUT * 5; i++)); do
		rb_nap 0.2
		ok=1
		k=0
		for n in "$@"; do
			rb_answers a "$n"
			if [ "$a" -le "${a0[$k]}" ]; then
				ok=0
			fi
			k=$((k + 1))
		done
		if [ "$ok" = 1 ]; then
			return 0
		fi
	done
	k=0
	for n in "$@"; do
		rb_answers a "$n"
		echo "flow $n: ${a0[$k]} -> $a answers in ${LB_TIMEOUT}s"
		k=$((k + 1))
	done
	return 1
}

# rb_flows_stop NAME...: stop every flow, wait for the reports of NAMEs.
rb_flows_stop() {
	local n pid
	touch "$RB_STOP"
	for n in "$@"; do
		eval "pid=\${RB_FLOW_PID_$n:-}"
		if [ -n "$pid" ]; then
			# A flow waits at most 5 s for an answer before it sees STOP.
			timeout 30 tail --pid="$pid" -f /dev/null 2>/dev/null
		fi
	done
}

# rb_report NAME KEY: a field of a flow's final report ("null" for none,
# "no report" if the flow wrote none).
rb_report() {
	jq -r ".$2" "$LB_TMP/$1.json" 2>/dev/null || echo "no report"
}

# rb_unload: rmmod lbipam within 60 s, and the module gone (the tests
# that unload it run only in the test VM: lb_require_vm).
rb_unload() {
	timeout 60 rmmod lbipam || return 1
	if lb_module_loaded; then
		echo "/sys/module/lbipam still exists"
		return 1
	fi
}

# rb_dmesg_clean: no kernel warning since lb_dmesg_mark.
rb_dmesg_clean() {
	local bad
	bad=$(lb_dmesg_new | grep -E "$LB_DMESG_BAD")
	if [ -n "$bad" ]; then
		echo "$bad"
		return 1
	fi
}

# rb_dmesg_point DESC: a test point for rb_dmesg_clean; skipped where the
# kernel log cannot be read (dmesg_restrict in a container).
rb_dmesg_point() {
	if ! dmesg >/dev/null 2>&1; then
		lb_ok "$1 # SKIP dmesg not readable"
	else
		lb_check "$1" rb_dmesg_clean
	fi
}
