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
rb_flow() {
	lb_bg ip netns exec "$2" "$LB_TRAFFIC" flow -i "$6" -S "$RB_STOP" \
		-R "$LB_TMP/$1.json" "$3" "$4" "$5"
	eval "RB_FLOW_PID_$1=\$LB_PID"
}

# rb_answers NAME: answers the flow got so far.
rb_answers() {
	cat "$LB_TMP/$1.json.progress" 2>/dev/null || echo 0
}

# rb_growing NAME...: every named flow gets new answers within LB_TIMEOUT
# seconds, i.e. it passes right now.
rb_growing() {
	local n a0=() i k ok
	for n in "$@"; do
		a0+=("$(rb_answers "$n")")
	done
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		ok=1
		k=0
		for n in "$@"; do
			if [ "$(rb_answers "$n")" -le "${a0[$k]}" ]; then
				ok=0
			fi
			k=$((k + 1))
		done
		if [ "$ok" = 1 ]; then
			return 0
		fi
		sleep 0.1
	done
	k=0
	for n in "$@"; do
		echo "flow $n: ${a0[$k]} -> $(rb_answers "$n") answers in ${LB_TIMEOUT}s"
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
