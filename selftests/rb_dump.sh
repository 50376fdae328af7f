#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Dump of 100,000 services (issue 3: "100k services dump completely and
# correctly"; 10,000 on the debug kernel, lib.sh's lb_size):
#
# 1. One `lbctl -b` batch creates 100k services (IPv4 TCP and UDP, 1% IPv6,
#    some with another scheduler or affinity, every 10th with 1-3 backends)
#    in random order. The load time is printed, not asserted: the VM is
#    emulated and its speed varies.
# 2. `lbctl -j service list` returns each service exactly once, in the key
#    order of the uapi header (family, address, protocol, port), with the
#    options and backends the batch gave it.
# 3. While another process keeps adding and deleting 2,000 (N/50) others
#    whose keys interleave with the stable ones, a raw dump (no retry,
#    whatever NLM_F_DUMP_INTR says) must still hold every stable service
#    exactly once and in order: the kernel's cursor is a key.
# 4. While a process adds or deletes one service every half second, lbctl,
#    which retries interrupted dumps, must succeed and list every stable
#    service exactly once.
# 5. Afterwards a raw dump holds exactly the stable services, a service's
#    backends split over messages add up, and the dump is not flagged.

# Helpers below are called through lb_check and lb_bg:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require_root
lb_require_tools ip python3 timeout awk
lb_require_lbctl
lb_require_module
lb_plan 12

N=${RB_DUMP_SERVICES:-$(lb_size 100000 10000)}
# The churn set: small enough that the writer completes rounds while the
# raw dump of the N runs.
CH=$((N / 50))
ns=$LB_RUN-dump
rb=$LB_SELFTEST_DIR/rb_lib.py
stable=$LB_TMP/stable.batch
stop=$LB_TMP/churn.stop
iters=$LB_TMP/churn.iters

secs() {
	awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'
}

# verify_list OUT.json [--subset]: the listing against the batch model.
verify_list() {
	python3 "$rb" verify "$1" "$stable" "${@:2}"
}

# The churn set: services on port 443 of the stable services' addresses,
# so that in key order they sit between stable ones and a dump cursor must
# step over keys that appear and vanish around it.
make_churn() {
	awk -v ch="$CH" '$1 == "service" && $2 == "add" && $3 ~ /^10\./ {
		split($3, a, ":")
		if (!seen[a[1]]++ && n++ < ch) {
			print "service add " a[1] ":443/tcp" > add
			print "service del " a[1] ":443/tcp" > del
		}
	}' add="$LB_TMP/churn-add.batch" del="$LB_TMP/churn-del.batch" "$stable"
	[ "$(wc -l <"$LB_TMP/churn-add.batch")" -eq "$CH" ]
}

# The concurrent writer: add and delete the churn set until told to stop.
# Each round trip is one line in $iters; a failure stops it with a note.
churn() {
	while [ ! -e "$stop" ]; do
		if ! lbctl -N "$ns" -b "$LB_TMP/churn-add.batch" ||
			! lbctl -N "$ns" -b "$LB_TMP/churn-del.batch"; then
			echo "churn: lbctl failed" >>"$iters.err"
			return 1
		fi
		echo >>"$iters"
	done
}

# A gentler writer: one service added or deleted every half second.
slow_churn() {
	local s=203.0.113.99:7/udp
	while [ ! -e "$stop" ]; do
		if ! lbctl -N "$ns" service add "$s" || ! echo >>"$iters" ||
			! sleep 0.5 || ! lbctl -N "$ns" service del "$s"; then
			echo "slow churn: lbctl failed" >>"$iters.err"
			return 1
		fi
		echo >>"$iters"
		sleep 0.5
	done
}

rounds() {
	if [ -e "$iters" ]; then
		wc -l <"$iters"
	else
		echo 0
	fi
}

lb_check "create namespace" lb_ns_add "$ns"
lb_check "generate a batch of $N services" \
	python3 "$rb" gen-services "$stable" "$N" 4242 10

lb_timed lbctl -N "$ns" -b "$stable"
lb_result "$LB_RC" "lbctl -b loads $N services" "exit $LB_RC" "$LB_OUT"
lb_diag "loaded $N services in $(secs "$LB_MS") s"

lb_timed_to "$LB_TMP/list.json" lbctl -N "$ns" -j service list
lb_result "$LB_RC" "lbctl -j service list of $N services" "exit $LB_RC" \
	"$(head -c 500 "$LB_TMP/list.json")"
lb_diag "listed $N services in $(secs "$LB_MS") s"
lb_timed verify_list "$LB_TMP/list.json"
lb_result "$LB_RC" "every service listed once, in key order, options and backends right" \
	"$LB_OUT"
lb_diag "checked the listing in $(secs "$LB_MS") s"

# --- a raw dump racing with a fast writer ---
lb_check "make a churn set of $CH interleaved services" make_churn
lb_bg churn
pid=$LB_PID
r0=$(rounds)
# Let the writer get going, so the dump below really overlaps with it.
i=0
while [ "$i" -lt 100 ] && [ "$(rounds)" -eq "$r0" ]; do
	sleep 0.1
	i=$((i + 1))
done
r0=$(rounds)
lb_timed ip netns exec "$ns" python3 "$rb" dump-raw "$stable"
lb_result "$LB_RC" "raw dump during churn: every stable service once, in order" \
	"$LB_OUT"
lb_diag "$LB_OUT in $(secs "$LB_MS") s"
r1=$(rounds)
touch "$stop"
wait "$pid"
crc=$?
lb_result $((crc != 0 || r1 == r0)) "the fast writer ran throughout the raw dump" \
	"writer exit $crc, add+del rounds completed during the dump: $((r1 - r0))" \
	"$(cat "$iters.err" 2>/dev/null)"
lb_diag "the writer completed $((r1 - r0)) add+del rounds of $CH services during the dump"

# --- lbctl racing with a slow writer ---
# One change every half second, about what a busy cluster's endpoint
# updates cause; lbctl must still list everything (it retries dumps that
# the kernel flags as interrupted, then shows the last one with a warning:
# the key-ordered cursor lists every service that existed throughout).
rm -f "$stop" "$iters"
lb_bg slow_churn
pid=$LB_PID
# A listing that never got a consistent snapshot comes with a warning on
# stderr; keep it out of the JSON.
list_quiet() {
	lbctl -N "$ns" -j service list 2>"$LB_TMP/list2.err"
}
lb_timed_to "$LB_TMP/list2.json" list_quiet
if [ -s "$LB_TMP/list2.err" ]; then
	lb_diag "lbctl said: $(cat "$LB_TMP/list2.err")"
fi
rc=$LB_RC
r1=$(rounds)
touch "$stop"
wait "$pid"
crc=$?
if [ "$rc" -eq 0 ]; then
	lb_ok "lbctl -j service list succeeds while services change"
	lb_diag "listed while services changed in $(secs "$LB_MS") s"
	lb_check "lbctl while services change: every stable service once, in order" \
		verify_list "$LB_TMP/list2.json" --subset
else
	lb_not_ok "lbctl -j service list succeeds while services change" \
		"exit $rc after $(secs "$LB_MS") s" "$(head -c 500 "$LB_TMP/list2.json")"
	lb_not_ok "lbctl while services change: every stable service once, in order" \
		"no listing"
fi
lb_result $((crc != 0 || r1 == 0)) "the slow writer ran throughout without error" \
	"writer exit $crc, changes: $r1" "$(cat "$iters.err" 2>/dev/null)"
lb_diag "the slow writer made $r1 changes during the listing"

# Both writers stop after a delete: exactly the stable set remains. Nothing
# changes any more, so the dump must not be flagged interrupted either.
lb_timed ip netns exec "$ns" python3 "$rb" dump-raw "$stable" --exact --quiet
lb_result "$LB_RC" "raw dump afterwards: exactly the $N stable services, backends merged right" \
	"$LB_OUT"
lb_diag "$LB_OUT in $(secs "$LB_MS") s"

lb_exit
