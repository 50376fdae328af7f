#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Limits (issue 3: "limits per netns (module parameters for max services
# and max backends per service) ... hitting a limit is a clear error"):
#
# With max_services=5 and max_backends=3 (restored on exit):
# - the 6th service of a namespace is refused (exit 2) with a message that
#   names the limit and the parameter, and nothing changes; another
#   namespace has its own 5; after a delete there is room for one again
#   (the count follows deletes);
# - in a batch, the refused line is named;
# - the 4th backend is refused the same way, the 3 stay as they were;
# - a backend replace with 4 backends is refused as a whole: the old set
#   (its addresses and weights) stays; a replace with 3 others works.
#
# Runs only in the test VM: module parameters are global to the machine,
# and other users of a shared machine must not see them change.

# Helpers below are called through lb_check:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require_root
lb_require_tools ip python3
lb_require_lbctl
lb_require_vm
lb_require_module
lb_plan 19

P=/sys/module/lbipam/parameters
rb=$LB_SELFTEST_DIR/rb_lib.py
a=$LB_RUN-a
b=$LB_RUN-b
svc=$VIP:$VPORT/tcp

old_svc=$(cat "$P/max_services")
old_be=$(cat "$P/max_backends")
restore() {
	echo "$old_svc" >"$P/max_services"
	echo "$old_be" >"$P/max_backends"
	lb_cleanup
}
trap restore EXIT

# listed NS BATCH: lbctl's listing of NS is exactly what BATCH describes.
listed() {
	lbctl -N "$1" -j service list >"$LB_TMP/list.json" || return 1
	python3 "$rb" verify "$LB_TMP/list.json" "$2"
}

# refused DESC PARAM CMD...: CMD fails with exit 2 and a message that says
# "limit" and names the module parameter PARAM.
refused() {
	local desc=$1 param=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && grep -qi 'limit' <<<"$out" && grep -q "$param" <<<"$out"; then
		lb_ok "$desc"
		lb_diag "$out"
	else
		lb_not_ok "$desc" "want exit 2 and a message with 'limit' and '$param'" \
			"got exit $rc: $out"
	fi
}

make_ns() {
	lb_ns_add "$a" && lb_ns_add "$b"
}

lb_check "create namespaces" make_ns
lb_check "set max_services=5 max_backends=3" \
	eval "echo 5 >$P/max_services && echo 3 >$P/max_backends"

# --- services ---
for i in 1 2 3 4 5; do
	echo "service add $VIP:$i/tcp"
done >"$LB_TMP/five.batch"
lb_check "5 services fit" lbctl -N "$a" -b "$LB_TMP/five.batch"
refused "the 6th service is refused" max_services lbctl -N "$a" service add "$VIP:6/tcp"
lb_check "after the refusal exactly the 5 services exist" listed "$a" "$LB_TMP/five.batch"
lb_check "another namespace has its own 5" lbctl -N "$b" -b "$LB_TMP/five.batch"
lb_check "delete one" lbctl -N "$a" service del "$VIP:5/tcp"
lb_check "then one more fits again" lbctl -N "$a" service add "$VIP:6/udp"
refused "and the next is refused again" max_services lbctl -N "$a" service add "$VIP:7/tcp"

printf 'service del %s\nservice add %s\nservice add %s\n' \
	"$VIP:5/tcp" "$VIP:8/tcp" "$VIP:9/tcp" >"$LB_TMP/batch"
out=$(lbctl -N "$b" -b "$LB_TMP/batch" 2>&1)
rc=$?
lb_check "in a batch the refused line is named (line 3)" \
	eval "[ $rc -eq 2 ] && grep -q 'line 3:.*max_services' <<<\"\$out\""
lb_diag "$out"

# --- backends ---
lb_check "flush namespace A" lbctl -N "$a" flush
cat >"$LB_TMP/three.batch" <<B
service add $svc
backend add $svc $BE1_IP:8081 weight 7
backend add $svc $BE1_IP:8082
backend add $svc $BE1_IP:8083 state terminating
B
lb_check "a service with 3 backends" lbctl -N "$a" -b "$LB_TMP/three.batch"
refused "the 4th backend is refused" max_backends \
	lbctl -N "$a" backend add "$svc" "$BE1_IP:8084"
lb_check "after the refusal the 3 backends are unchanged" listed "$a" "$LB_TMP/three.batch"
refused "backend replace with 4 backends is refused" max_backends \
	lbctl -N "$a" backend replace "$svc" "$BE2_IP:1" "$BE2_IP:2" "$BE2_IP:3" "$BE2_IP:4"
lb_check "the refused replace changed nothing (old set, weights, states)" \
	listed "$a" "$LB_TMP/three.batch"
{
	cat "$LB_TMP/three.batch"
	echo "backend replace $svc $BE2_IP:1,weight=9 $BE2_IP:2 $BE1_IP:8082"
} >"$LB_TMP/replaced.batch"
lb_check "backend replace with 3 backends at the limit works" \
	lbctl -N "$a" backend replace "$svc" "$BE2_IP:1,weight=9" "$BE2_IP:2" "$BE1_IP:8082"
lb_check "and gives exactly the new set" listed "$a" "$LB_TMP/replaced.batch"

lb_check "restore the parameters" \
	eval "echo $old_svc >$P/max_services && echo $old_be >$P/max_backends &&
		[ \"\$(cat $P/max_services)\" = $old_svc ] && [ \"\$(cat $P/max_backends)\" = $old_be ]"

lb_exit
