#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configuration churn under traffic (issue 3, robustness (1)):
#
# A long-lived TCP connection exchanging a line every 100 ms and a UDP flow
# (a datagram every 100 ms) run from the client through VIP:80 to an echo
# server on be1. Meanwhile, in the same node netns, batches add and delete
# 10,000 other services (2,000 on the debug kernel: lb_size) in a loop: TCP
# and UDP on the flows' own VIP (ports from 1000, so they sit right next to
# the flows' keys in every table, and every UDP add and delete walks
# conntrack for its VIP:port), every 10th with two backends.
#
# Checks: every batch succeeds; the TCP connection is never broken and
# every line is echoed (it "keeps answering throughout"); the UDP flow loses
# at most 10% of its answers and never stops answering for long; a new
# connection through the VIP works after the churn; the churned services
# are all gone again; no kernel warning.

# Helpers below are called through lb_check and lb_bg:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=rb_lib.sh
source "$(dirname "$0")/rb_lib.sh"

lb_require_root
lb_require_tools ip ss jq timeout awk tail
lb_require_traffic
lb_require_lbctl
lb_require_module
lb_plan 15

ROUNDS=${RB_CHURN_ROUNDS:-3}
# Bound for the whole churn loop (seconds): an emulated VM is slow.
MAXSECS=${RB_CHURN_SECONDS:-100}
# Churn services per batch, half TCP and half UDP.
C=$(lb_size 10000 2000)
p=$LB_RUN-ch
node=$p-node
svc=$VIP:$VPORT/tcp
usvc=$VIP:$VPORT/udp

# The C churn services and their removal, as batch files.
make_batches() {
	awk -v vip="$VIP" -v be="$BE1_IP" -v add="$LB_TMP/add.batch" \
		-v del="$LB_TMP/del.batch" -v c="$C" 'BEGIN {
		n = 0
		for (port = 1000; port < 1000 + c / 2; port++) {
			for (k = 0; k < 2; k++) {
				s = vip ":" port "/" (k ? "udp" : "tcp")
				print "service add " s > add
				if (n++ % 10 == 0)
					print "backend replace " s " " be ":" port " " be ":" port + 10000 ",weight=3" > add
				print "service del " s > del
			}
		}
	}'
	[ "$(grep -c '^service add' "$LB_TMP/add.batch")" -eq "$C" ]
}

configure() {
	lbctl -N "$node" service add "$svc" &&
		lbctl -N "$node" backend add "$svc" "$BE1_IP:$BPORT" &&
		lbctl -N "$node" service add "$usvc" &&
		lbctl -N "$node" backend add "$usvc" "$BE1_IP:$BPORT"
}

lb_dmesg_mark
lb_check "build topology" lb_topology "$p" 1
lb_check "echo server in be1" rb_echo "$p-be1" "$BPORT"
lb_check "configure $svc and $usvc" configure
lb_check "write the churn batches ($C services)" make_batches

rb_flow tcp "$p-client" tcp "$VIP" "$VPORT" 0.1
rb_flow udp "$p-client" udp "$VIP" "$VPORT" 0.1
lb_check "the TCP and UDP flows pass the VIP" rb_growing tcp udp

# --- churn ---
t0=$(lb_now_ms)
done_rounds=0
churn_err=
for ((r = 1; r <= ROUNDS; r++)); do
	if ! out=$(lbctl -N "$node" -b "$LB_TMP/add.batch" 2>&1); then
		churn_err="round $r add: $out"
		break
	fi
	# Half-time check of the flows, with all the churn services present.
	if [ "$r" -eq 1 ]; then
		lb_check "the flows pass while the $C churn services exist" rb_growing tcp udp
	fi
	if ! out=$(lbctl -N "$node" -b "$LB_TMP/del.batch" 2>&1); then
		churn_err="round $r del: $out"
		break
	fi
	done_rounds=$r
	if [ $(($(lb_now_ms) - t0)) -gt $((MAXSECS * 1000)) ]; then
		break
	fi
done
ms=$(($(lb_now_ms) - t0))
if [ "$done_rounds" -lt 1 ]; then
	# The half-time point was never reached.
	lb_not_ok "the flows pass while the $C churn services exist" "no round completed"
fi
lb_result "$([ -z "$churn_err" ] && [ "$done_rounds" -ge 1 ]; echo $?)" \
	"churn: $done_rounds rounds of add+del of $C services, every batch succeeded" \
	"$churn_err"
lb_diag "churn: $done_rounds rounds ($((2 * C)) service changes each) in $(rb_secs "$ms") s"
lb_check "the flows still pass after the churn" rb_growing tcp udp

rb_flows_stop tcp udp
lb_diag "tcp flow: $(cat "$LB_TMP/tcp.json" 2>/dev/null)" \
	"udp flow: $(cat "$LB_TMP/udp.json" 2>/dev/null)"

broken=$(rb_report tcp broken)
lb_expect_eq "the long-lived TCP connection never broke" null "$broken"
sent=$(rb_report tcp sent)
answered=$(rb_report tcp answered)
lb_expect_eq "every line on the TCP connection was echoed" "$sent" "$answered"

usent=$(rb_report udp sent)
uans=$(rb_report udp answered)
ugap=$(rb_report udp max_gap)
lb_result "$(awk -v s="$usent" -v a="$uans" -v g="$ugap" \
	'BEGIN { exit !(s > 0 && a >= 0.9 * s && g < 5) }'; echo $?)" \
	"the UDP flow kept answering (>= 90% answers, no gap of 5 s)" \
	"sent $usent, answered $uans, longest gap ${ugap}s"

lb_check "a new TCP connection through the VIP works" \
	rb_probe "$p-client" tcp "$VIP" "$VPORT"
lb_check "a new UDP flow through the VIP works" \
	rb_probe "$p-client" udp "$VIP" "$VPORT"
out=$(lbctl -N "$node" service list 2>&1)
lb_expect_eq "only the flows' two services remain" \
	"$(printf '%s\n  -> %s\n%s\n  -> %s' "$svc" "$BE1_IP:$BPORT" "$usvc" "$BE1_IP:$BPORT")" "$out"
rb_dmesg_point "no kernel warnings"

lb_exit
