#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cluster mode's large commits against a real etcd with its default
# limits (--max-txn-ops 128, --max-request-bytes 1.5 MiB): an apply of
# 1000 Services with EndpointSlices through a follower and through the
# leader, and a leader killed in the middle of such a commit at each step
# of the journal (LBIPAM_ETCD_FAULT, store_etcd_journal.c): every node
# shows all of it or none of it, at every moment, and the next leader
# finishes a complete journal.  TAP output.
#
#   LBIPAMD=path/to/lbipamd LBCTL=path/to/lbctl cluster_journal.sh
# Helpers run through check(): shellcheck cannot see them called.
# shellcheck disable=SC2317

out_lines=20
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"
N=${LBIPAM_JOURNAL_N:-1000}

# many PREFIX: N Services PREFIX-I, each with an EndpointSlice.
many() {
	awk -v p="$1" -v n="$N" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s-%d, namespace: default}\nspec:\n  type: LoadBalancer\n  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]\n", p, i
			printf "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s-%d-1\n  namespace: default\n  labels: {kubernetes.io/service-name: %s-%d}\naddressType: IPv4\nports:\n- {name: http, port: 8080}\nendpoints:\n- addresses: [198.51.%d.%d]\n", p, i, p, i, 100 + i % 4, 2 + i % 200
		}
	}'
}

big_pool() {
	cat <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: big}
spec:
  blocks: [{cidr: 10.200.0.0/16}]
YAML
}

# count NODE PREFIX: how many PREFIX- Services NODE shows with an LB IP.
count() {
	lb "$1" get services -A -o json 2>/dev/null | jq --arg p "$2-" \
		'[.items[] | select((.metadata.name | startswith($p)) and
		  ((.status.loadBalancer.ingress // []) | length > 0))] | length'
}

# Every node shows the table in $tmp/want (longer wait: thousands).
all_agree() {
	local node
	for node in "$@"; do
		converged "$node" "$tmp/want" 300 || return 1
	done
}

# Nothing under journal/ is left in etcd.
no_journal() {
	! "$ETCDCTL" --endpoints "$EP" get --prefix /lbipam/journal/ \
		--keys-only | grep -q .
}

start_etcd e1 $c1 $p1 "e1=http://127.0.0.1:$p1"
check "etcd (one member, default limits) starts" etcd_ready "http://127.0.0.1:$c1"
EP="http://127.0.0.1:$c1"
for node in n1 n2 n3; do
	check "lbipamd $node starts in cluster mode" start_node $node "$EP"
done
leader=$(agreed_leader n1 n2 n3)
ok $? "one leader ($leader)"
follower=n1
[ "$leader" = n1 ] && follower=n2
big_pool >"$tmp/pool.yaml"
check "a pool" lb "$follower" apply -f "$tmp/pool.yaml"

# ------------------------------------------------- large applies succeed
many a >"$tmp/a.yaml"
check "$N Services with EndpointSlices through a follower ($follower)" \
	lb "$follower" apply -f "$tmp/a.yaml"
ips "$leader" >"$tmp/want"
check "... each has an LB IP" sh -c "test \$(grep -c ' 10\\.200\\.' $tmp/want) = $N"
check "... no LB IP given twice" sh -c \
	"test \$(cut -d' ' -f2 $tmp/want | sort -u | wc -l) = $N"
check "every node agrees on every LB IP" all_agree n1 n2 n3
check "... and the leader wrote no journal left behind" no_journal
check "the commit key is set" sh -c \
	"\"$ETCDCTL\" --endpoints $EP get /lbipam/commit --print-value-only | jq -e '.seq > 0'"
many b >"$tmp/b.yaml"
check "$N more through the leader ($leader)" lb "$leader" apply -f "$tmp/b.yaml"
ips "$leader" >"$tmp/want"
check "... each has an LB IP" sh -c "test \$(grep -c ' 10\\.200\\.' $tmp/want) = $((2 * N))"
check "every node agrees on every LB IP" all_agree n1 n2 n3
check "deleting $N Services through a follower" \
	lb "$follower" delete -f "$tmp/b.yaml"
ips "$leader" >"$tmp/want"
check "... every node agrees" all_agree n1 n2 n3
check "... none of them is left" sh -c "! grep -q '^default/b-' $tmp/want"

# --------------------------------------------- leader killed mid-commit
# fault STEP WANT: n1, started first (so it leads) with the fault hook
# at STEP, takes an apply of N Services and dies there; the survivors
# show 0 or N of them at every moment, WANT in the end.
fault() {
	local step=$1 want=$2 p=c${3} how=$4 node i c seen rc wrc
	for node in "${!npid[@]}"; do stop_node "$node" >/dev/null; done
	LBIPAM_ETCD_FAULT=$step start_node n1 "$EP" ||
		{ ok 1 "$step: n1 starts with the fault hook"; return; }
	for ((i = 0; i < 100; i++)); do
		[ "$(leader_of n1)" = n1 ] && break
		sleep 0.1
	done
	start_node n2 "$EP" && start_node n3 "$EP"
	ok $? "$step: n1 leads, n2 and n3 follow"
	many "$p" >"$tmp/$p.yaml"
	lb n1 apply -f "$tmp/$p.yaml" >"$tmp/out" 2>&1
	rc=$?
	wait "${npid[n1]}" 2>/dev/null
	wrc=$?
	ok $((rc != 0 && wrc == 137 ? 0 : 1)) "$step: the leader dies in the apply of $N Services"
	unset "npid[n1]"
	: >"$tmp/seen"
	for ((i = 0; i < 150; i++)); do
		c=$(count n2 "$p")
		echo "$c" >>"$tmp/seen"
		[ "$(leader_of n2)" = n2 ] || [ "$(leader_of n2)" = n3 ] &&
			[ "$c" = "$want" ] && [ "$(count n3 "$p")" = "$want" ] && break
		sleep 0.1
	done
	seen=$(sort -u "$tmp/seen" | paste -sd,)
	echo "# $step: n2 showed $seen of the $N during the takeover"
	cp "$tmp/seen" "$tmp/out"
	ok $(($(grep -cvxE "0|$N" "$tmp/seen") == 0 ? 0 : 1)) \
		"$step: n2 never showed part of it (only 0 or $N)"
	check "$step: a new leader ($(leader_of n2))" sh -c \
		"test -n \"$(leader_of n2)\" && test \"$(leader_of n2)\" != n1"
	ips n2 >"$tmp/want"
	check "$step: $want of the $N on n2" sh -c \
		"test \$(grep -c '^default/$p-' $tmp/want) = $want"
	check "$step: n3 agrees on every LB IP" all_agree n3
	check "$step: the journal is gone" no_journal
	check "$step: the new leader says it ${how,}" \
		grep -q "msg=\"$how" "$tmp/n2.log" "$tmp/n3.log"
	check "$step: n1 comes back as a follower" start_node n1 "$EP"
	check "$step: ... and agrees" all_agree n1
}
fault journal-written 0 w "Dropped the last leader's incomplete journal"
fault journal-complete "$N" c "Finished the last leader's journaled commit"
fault journal-half-applied "$N" h "Finished the last leader's journaled commit"
check "after all that, an apply through a follower works" \
	lb n1 apply -f "$tmp/b.yaml"
ips n1 >"$tmp/want"
check "... every node agrees" all_agree n1 n2 n3

for node in n1 n2 n3; do
	check "lbipamd $node stops cleanly" stop_node $node
done
cat "$tmp"/n?.log >"$tmp/all.log"
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$tmp/all.log" >"$tmp/out"
[ ! -s "$tmp/out" ]
ok $? "no sanitizer reports"

echo "1..$n"
exit $failed
