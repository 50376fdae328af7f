#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Batch mode at scale and its error contract (lbctl(8), BATCH MODE):
#
# 1. `lbctl -b` runs 30,000 "service add" + "backend replace" lines with 4
#    backends each (issue 3: "loads 30k services in seconds"; 3,000 on the
#    debug kernel, lib.sh's lb_size); the time is
#    printed, not asserted (emulated VM). The result must be complete: every
#    service once with its 4 backends, weights and order.
# 2. A batch whose line K fails in the kernel applies exactly lines 1..K-1
#    (comments and blank lines count as lines), names "line K" and exits 2;
#    the failing line itself changes nothing (an atomic backend replace).
# 3. The same for a syntax error at line K: exit 1, "line K", 1..K-1 stay.

# Helpers below are called through lb_check:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require_root
lb_require_tools ip python3 awk
lb_require_lbctl
lb_require_module
lb_plan 12

N=${RB_BATCH_SERVICES:-$(lb_size 30000 3000)}
rb=$LB_SELFTEST_DIR/rb_lib.py
big=$LB_RUN-big
err=$LB_RUN-err
syn=$LB_RUN-syn

secs() {
	awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'
}

# listed NS BATCH[@K]...: lbctl's listing of NS is what the batches made.
listed() {
	local ns=$1
	shift
	lbctl -N "$ns" -j service list >"$LB_TMP/list.json" || return 1
	python3 "$rb" verify "$LB_TMP/list.json" "$@"
}

make_ns() {
	lb_ns_add "$big" && lb_ns_add "$err" && lb_ns_add "$syn"
}

lb_check "create namespaces" make_ns
lb_check "generate $N services x 4 backends" \
	python3 "$rb" gen-backends "$LB_TMP/big.batch" "$N" 4

lb_timed lbctl -N "$big" -b "$LB_TMP/big.batch"
lb_result "$LB_RC" "lbctl -b: $N services with 4 backends each" "exit $LB_RC" "$LB_OUT"
lb_diag "loaded $N services x 4 backends ($((2 * N)) lines) in $(secs "$LB_MS") s"
lb_timed listed "$big" "$LB_TMP/big.batch"
lb_result "$LB_RC" "all $N services there, each once with its 4 backends" "$LB_OUT"
lb_diag "listed and checked in $(secs "$LB_MS") s"

# --- a kernel error at line 9 ---
# Line 9 lists a backend twice: the kernel refuses the whole replace, so
# the service keeps the set of line 5. Lines 10-11 would succeed.
cat >"$LB_TMP/err.batch" <<'B'
service add 203.0.113.20:80/tcp
service add 203.0.113.20:53/udp sched random
# a comment counts as a line

backend replace 203.0.113.20:80/tcp 198.51.100.2:8080 198.51.100.3:8080,weight=5
backend add 203.0.113.20:53/udp 198.51.100.2:5353 weight 2
service add [2001:db8::20]:443/tcp affinity 300
backend add [2001:db8::20]:443/tcp [2001:db8::2]:8443
backend replace 203.0.113.20:80/tcp 198.51.100.4:8080 198.51.100.4:8080
service add 203.0.113.21:80/tcp
backend add 203.0.113.20:53/udp 198.51.100.3:5353
B
lb_timed lbctl -N "$err" -b "$LB_TMP/err.batch"
lb_expect_eq "kernel error at line 9: exit status 2" 2 "$LB_RC"
if grep -q 'line 9:' <<<"$LB_OUT"; then
	lb_ok "kernel error at line 9: the message names line 9"
else
	lb_not_ok "kernel error at line 9: the message names line 9" "$LB_OUT"
fi
lb_diag "$LB_OUT"
lb_check "kernel error at line 9: exactly lines 1-8 applied, line 9 changed nothing" \
	listed "$err" "$LB_TMP/err.batch@8"

# The same again, now line 1 fails (the service exists): nothing changes.
lb_timed lbctl -N "$err" -b "$LB_TMP/err.batch"
if [ "$LB_RC" -eq 2 ] && grep -q 'line 1:' <<<"$LB_OUT"; then
	lb_ok "rerun: line 1 fails (service exists), exit 2"
else
	lb_not_ok "rerun: line 1 fails (service exists), exit 2" "exit $LB_RC" "$LB_OUT"
fi
lb_check "rerun: still exactly lines 1-8" listed "$err" "$LB_TMP/err.batch@8"

# --- a syntax error at line 4 ---
cat >"$LB_TMP/syn.batch" <<'B'
service add 203.0.113.30:80/tcp
backend add 203.0.113.30:80/tcp 198.51.100.2:8080
service add 203.0.113.30:81/tcp
service add 203.0.113.30:0/tcp
service add 203.0.113.30:82/tcp
B
lb_timed lbctl -N "$syn" -b "$LB_TMP/syn.batch"
lb_expect_eq "syntax error at line 4: exit status 1" 1 "$LB_RC"
if grep -q 'line 4:' <<<"$LB_OUT"; then
	lb_ok "syntax error at line 4: the message names line 4"
else
	lb_not_ok "syntax error at line 4: the message names line 4" "$LB_OUT"
fi
lb_diag "$LB_OUT"
lb_check "syntax error at line 4: exactly lines 1-3 applied" \
	listed "$syn" "$LB_TMP/syn.batch@3"

lb_exit
