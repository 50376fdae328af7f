#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Wrapper of rb_fuzz.py (netlink fuzz test of the lbipam family) for the
# kselftest runner: runs it in a namespace of its own, then checks that the
# kernel logged no warning and that lbctl still lists services there.
# RB_FUZZ_SEED, RB_FUZZ_COUNT and RB_FUZZ_SECONDS pass through.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require_root
lb_require_vm "fuzzes the kernel"
lb_require_tools ip python3 dmesg
lb_require_lbctl
lb_require_module
lb_plan 4

ns=$LB_RUN-fuzz

lb_dmesg_mark
lb_check "create namespace" lb_ns_add "$ns"

ip netns exec "$ns" python3 "$LB_SELFTEST_DIR/rb_fuzz.py" >"$LB_TMP/fuzz.tap" 2>&1
rc=$?
lb_result "$rc" "rb_fuzz.py: $(grep -c '^ok' "$LB_TMP/fuzz.tap") ok, $(grep -c '^not ok' "$LB_TMP/fuzz.tap") not ok (exit $rc)"
lb_diag "$(cat "$LB_TMP/fuzz.tap")"

# Reading the kernel log may be forbidden outside the VM (dmesg_restrict
# in a container): then this point cannot be checked here.
if ! dmesg >/dev/null 2>&1; then
	lb_ok "no kernel warnings # SKIP dmesg not readable"
else
	bad=$(lb_dmesg_new | grep -E "$LB_DMESG_BAD")
	lb_result "$([ -z "$bad" ]; echo $?)" "no kernel warnings" "$bad"
fi

# rb_fuzz.py leaves one service, 203.0.113.50:4242/tcp.
out=$(lbctl -N "$ns" service list 2>&1)
lb_expect_eq "lbctl service list works after the fuzz" "203.0.113.50:4242/tcp" "$out"

lb_exit
