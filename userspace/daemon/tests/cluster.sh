#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cluster mode against a real etcd (Debian's etcd-server) that this test
# starts on loopback: several lbipamd on the host, one allocation, leader
# failover, etcd down and back, a 3-member etcd losing a member, a stalled
# leader fenced.  No kernel module needed.  TAP output.
#
#   LBIPAMD=path/to/lbipamd LBCTL=path/to/lbctl cluster.sh
# Helpers run through check(): shellcheck cannot see them called.
# shellcheck disable=SC2317

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=cluster_lib.sh
source "$(dirname "$0")/cluster_lib.sh"

# The lbipam_leader gauge NODE's /metrics shows (its last start's address).
leader_gauge() {
	local addr
	addr=$(sed -n 's/.*msg="Serving metrics".* address=\([^ ]*\).*/\1/p' \
		"$tmp/$1.log" | tail -n 1)
	curl -sf "http://$addr/metrics" | awk '$1 == "lbipam_leader" { print $2 }'
}

# Exactly the leader reports lbipam_leader 1; the others 0.
leader_gauges() {
	local leader=$1 node want
	shift
	for node in "$@"; do
		want=0
		[ "$node" = "$leader" ] && want=1
		[ "$(leader_gauge "$node")" = "$want" ] ||
			{ echo "$node: lbipam_leader $(leader_gauge "$node"), not $want"; return 1; }
	done
}

# ------------------------------------------------------------ one etcd
start_etcd e1 $c1 $p1 "e1=http://127.0.0.1:$p1"
check "etcd (one member) starts on 127.0.0.1:$c1" etcd_ready "http://127.0.0.1:$c1"
EP="http://127.0.0.1:$c1"
for node in n1 n2 n3; do
	check "lbipamd $node starts in cluster mode" start_node $node "$EP"
done
leader=$(agreed_leader n1 n2 n3)
ok $? "the three nodes agree on one leader ($leader)"
check "/metrics: lbipam_leader is 1 on $leader only" leader_gauges "$leader" n1 n2 n3
check "the leader key names it" sh -c \
	"test \"\$(\"$ETCDCTL\" --endpoints $EP get /lbipam/leader --print-value-only)\" = '$leader'"
lb n1 get status >"$tmp/st" 2>&1
check "get status shows leader, this node and the endpoint" sh -c \
	"grep -q 'cluster: *node n1, leader $leader' $tmp/st &&
	 grep -q 'etcd: *$EP healthy' $tmp/st"

# A single node's database is not taken for a cache and overwritten.
pool >"$tmp/pool.yaml"
"$LBIPAMD" --state "$tmp/single.db" --socket "$tmp/single.sock" \
	2>"$tmp/single.log" &
spid=$!
for ((i = 0; i < 100; i++)); do
	LBIPAM_SOCKET=$tmp/single.sock "$LBCTL" apply -f "$tmp/pool.yaml" \
		>/dev/null 2>&1 && break
	sleep 0.1
done
kill -TERM $spid
wait $spid
timeout 20 "$LBIPAMD" --state "$tmp/single.db" --socket "$tmp/single.sock" \
	--etcd-endpoints "$EP" >"$tmp/res" 2>&1
rc=$?
cp "$tmp/res" "$tmp/out"
ok $((rc != 0 && rc != 124 ? 0 : 1)) "cluster mode refuses a single node's --state database"
check "... saying why" grep -q "holds a single node's objects" "$tmp/res"

# The same objects through two nodes in opposite orders, at once.
for s in a b c d e; do svc "svc-$s" >"$tmp/svc-$s.yaml"; done
(for f in pool svc-a svc-b svc-c svc-d svc-e; do
	lb n1 apply -f "$tmp/$f.yaml" || exit 1
done) >"$tmp/apply1" 2>&1 &
a1=$!
(for f in svc-e svc-d svc-c svc-b svc-a pool; do
	lb n2 apply -f "$tmp/$f.yaml" || exit 1
done) >"$tmp/apply2" 2>&1 &
a2=$!
wait $a1
r1=$?
wait $a2
r2=$?
cat "$tmp/apply1" "$tmp/apply2" >"$tmp/out"
ok $((r1 + r2)) "applies through two nodes in opposite orders succeed"
ips n3 >"$tmp/want"
check "every Service has one LB IP" sh -c \
	"test \$(grep -c ' 20\\.0\\.10\\.[0-9]*$' $tmp/want) = 5"
check "no LB IP given twice" sh -c \
	"test \$(cut -d' ' -f2 $tmp/want | sort -u | wc -l) = 5"
for node in n1 n2 n3; do
	check "$node agrees on every LB IP" converged "$node" "$tmp/want"
done
check "holdings are in etcd under /lbipam/holdings/" sh -c \
	"\"$ETCDCTL\" --endpoints $EP get --prefix /lbipam/holdings/ --keys-only | grep -c holdings | grep -qx 5"

# L2 announcements: one announcer per Service, elected through etcd.
cat >"$tmp/l2.yaml" <<'YAML'
apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata: {name: all}
spec:
  loadBalancerIPs: true
YAML
check "an L2 announcement policy for every Service" lb n3 apply -f "$tmp/l2.yaml"
# BGP objects go through etcd like the other kinds: every node has them.
printf 'apiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: {name: tor}\nspec: {ebgpMultihop: 3}\n' >"$tmp/bgp.yaml"
check "a BGP peer config through n3" lb n3 apply -f "$tmp/bgp.yaml"
check "... stored in etcd under its kind" sh -c \
	"\"$ETCDCTL\" --endpoints $EP get --prefix /lbipam/objects/CiliumBGPPeerConfig/ --keys-only | grep -q tor"
bgp_seen() {
	local i
	for ((i = 0; i < 50; i++)); do
		lb "$1" get bgppeerconfigs 2>/dev/null | grep -q '^tor ' && return 0
		sleep 0.1
	done
	return 1
}
check "... and n1 shows it" bgp_seen n1
# holders: "ns/name node" per announced Service, sorted.
holders() {
	"$ETCDCTL" --endpoints "$1" get --prefix /lbipam/announce/ |
		paste - - | sed 's|^/lbipam/announce/||' | tr '\t' ' ' | sort
}
# announced_by NODE: the Services NODE's describe says it announces.
announced_by() {
	local s
	for s in svc-a svc-b svc-c svc-d svc-e svc-f svc-g; do
		lb "$1" describe service "$s" -n default 2>/dev/null |
			grep -q 'Status: *announced by this node' &&
			echo "default/$s $1"
	done
}
# one_each EP: every Service with an LB IP has exactly one live holder,
# and each node's describe agrees.
one_each() {
	local i node
	for ((i = 0; i < 60; i++)); do
		holders "$1" >"$tmp/h"
		for node in "${!npid[@]}"; do announced_by "$node"; done |
			sort >"$tmp/d"
		cut -d' ' -f1 "$tmp/want" | sort >"$tmp/svcs"
		if cmp -s "$tmp/h" "$tmp/d" &&
		   cut -d' ' -f1 "$tmp/h" | cmp -s - "$tmp/svcs"; then
			return 0
		fi
		sleep 0.1
	done
	diff "$tmp/h" "$tmp/d"
	return 1
}
check "every Service has exactly one announcer, and the nodes agree" one_each "$EP"
echo "# announcers: $(holders "$EP" | tr '\n' ';')"

# ------------------------------------------------------ leader kill -9
t0=$(now_ms)
kill -KILL "${npid[$leader]}"
wait "${npid[$leader]}" 2>/dev/null
unset "npid[$leader]"
rest=()
for node in n1 n2 n3; do [ "$node" != "$leader" ] && rest+=("$node"); done
new=
for ((i = 0; i < 100; i++)); do
	l=$(leader_of "${rest[0]}")
	if [ -n "$l" ] && [ "$l" != "$leader" ] &&
	   [ "$(leader_of "${rest[1]}")" = "$l" ]; then
		new=$l
		break
	fi
	sleep 0.05
done
t1=$(now_ms)
took=$((t1 - t0))
echo "# leader $leader killed: $new took over in $took ms (lease TTL $TTL s)"
for ((i = 0; i < 100; i++)); do
	h=$(holders "$EP")
	if ! grep -q " $leader\$" <<<"$h" &&
	   [ "$(wc -l <<<"$h")" = "$(wc -l <"$tmp/want")" ]; then
		break
	fi
	sleep 0.05
done
t2=$(now_ms)
echo "# its announcements ($(grep -c " $leader\$" "$tmp/h")) taken over after $((t2 - t0)) ms"
ok $((t2 - t0 <= TTL * 1000 + 1000 ? 0 : 1)) "the killed node's announcements are taken over within TTL + 1 s ($((t2 - t0)) ms)"
[ -n "$new" ]
ok $? "after kill -9 of the leader another node leads ($new)"
ok $((took <= TTL * 1000 + 1000 ? 0 : 1)) "takeover within TTL + 1 s, $((TTL + 1)) s ($took ms)"
for node in "${rest[@]}"; do
	check "$node: nothing renumbered after the failover" converged "$node" "$tmp/want"
done
check "/metrics: lbipam_leader is 1 on the new leader $new only" \
	leader_gauges "$new" "${rest[@]}"
svc svc-f >"$tmp/svc-f.yaml"
follower=${rest[0]}
[ "$follower" = "$new" ] && follower=${rest[1]}
check "a write through the follower ($follower) reaches the new leader" \
	lb "$follower" apply -f "$tmp/svc-f.yaml"
ips "$new" >"$tmp/want"
check "the new Service got a free LB IP" sh -c \
	"test \$(cut -d' ' -f2 $tmp/want | sort -u | wc -l) = 6"
check "the survivors announce every Service once" one_each "$EP"
check "the killed node restarts as a follower" start_node "$leader" "$EP"
check "it shows the same LB IPs" converged "$leader" "$tmp/want"
l=$(agreed_leader n1 n2 n3)
check "the leader did not change ($l)" test "$l" = "$new"
leader=$new

# ------------------------------------------------------- etcd stopped
kill -TERM "${epid[e1]}"
wait "${epid[e1]}" 2>/dev/null
for node in n1 n2 n3; do
	check "etcd down: $node still serves its LB IPs" converged "$node" "$tmp/want"
done
svc svc-g >"$tmp/svc-g.yaml"
lb "$leader" apply -f "$tmp/svc-g.yaml" >"$tmp/res" 2>&1
rc=$?
cp "$tmp/res" "$tmp/out"
ok $((rc != 0 ? 0 : 1)) "etcd down: a write on the leader fails"
echo "# $(cat "$tmp/res")"
check "... saying etcd failed" grep -q "etcd store failed: etcd $EP" "$tmp/res"
lb "$follower" apply -f "$tmp/svc-g.yaml" >"$tmp/res" 2>&1
rc=$?
cp "$tmp/res" "$tmp/out"
ok $((rc != 0 ? 0 : 1)) "etcd down: a write on a follower fails"
echo "# $(cat "$tmp/res")"
check "... saying etcd failed" grep -q "etcd" "$tmp/res"
lb "$leader" get status >"$tmp/st" 2>&1
check "get status shows the endpoint unhealthy" grep -q "etcd: *$EP unhealthy" "$tmp/st"
check "etcd down: follower $follower stops" stop_node "$follower"
check "... and starts again from its local cache (--state)" start_node "$follower" "$EP"
check "... serving the same LB IPs" converged "$follower" "$tmp/want"
grep -q "serving the local cache" "$tmp/$follower.log"
ok $? "... and says so in its log"
sleep $((TTL + 1))
start_etcd e1 $c1 $p1 "e1=http://127.0.0.1:$p1" existing
check "etcd comes back" etcd_ready "$EP"
leader=$(agreed_leader n1 n2 n3)
ok $? "the nodes agree on a leader again ($leader)"
for ((i = 0; i < 50; i++)); do
	lb "$follower" apply -f "$tmp/svc-g.yaml" >"$tmp/out" 2>&1 && break
	sleep 0.1
done
ok $? "etcd back: writes succeed again"
ips "$leader" | grep -v '^default/svc-g ' >"$tmp/now"
check "the old LB IPs are unchanged" cmp "$tmp/want" "$tmp/now"
ips "$leader" >"$tmp/want"
for node in n1 n2 n3; do
	check "$node converges with the others" converged "$node" "$tmp/want"
done

# ------------------------------------------- a stalled leader is fenced
# A request half sent before the stall is handled first on resume, before
# the leader's next election tick: its commit must fail on the revision.
svc svc-h | jq -Rs '{op: "apply", file: "svc-h.yaml", yaml: .}' -c >"$tmp/req"
half=$(head -c 20 "$tmp/req")
rest_req=$(tail -c +21 "$tmp/req")
{ printf '%s' "$half"; sleep $((TTL * 2 + 3)); printf '%s\n' "$rest_req"; } |
	socat -t 15 - "UNIX-CONNECT:$tmp/$leader.sock" >"$tmp/stalled" 2>&1 &
sp=$!
sleep 0.5
kill -STOP "${npid[$leader]}"
others=()
for node in n1 n2 n3; do [ "$node" != "$leader" ] && others+=("$node"); done
new=
for ((i = 0; i < 100; i++)); do
	l=$(leader_of "${others[0]}")
	[ -n "$l" ] && [ "$l" != "$leader" ] && new=$l && break
	sleep 0.05
done
[ -n "$new" ]
ok $? "leader $leader stopped: $new takes over"
sleep $((TTL * 2 + 3))
kill -CONT "${npid[$leader]}"
wait $sp
cp "$tmp/stalled" "$tmp/out"
check "the resumed ex-leader's write fails" jq -e '.ok == false' "$tmp/stalled"
check "... because it is no longer the leader (fenced by revision)" \
	grep -q "no longer the cluster leader" "$tmp/stalled"
check "... and nothing of it reached etcd" sh -c \
	"! \"$ETCDCTL\" --endpoints $EP get /lbipam/objects/Service/default/svc-h | grep -q ."
l=$(agreed_leader n1 n2 n3)
check "the ex-leader follows $new ($l)" test "$l" = "$new"
check "its next write goes through $new" lb "$leader" apply -f "$tmp/svc-g.yaml"
leader=$new

for node in n1 n2 n3; do
	check "lbipamd $node stops cleanly" stop_node $node
done
kill -TERM "${epid[e1]}"
wait "${epid[e1]}" 2>/dev/null
unset "epid[e1]"

# --------------------------------------- 3-member etcd loses a member
ic="e1=http://127.0.0.1:$p1,e2=http://127.0.0.1:$p2,e3=http://127.0.0.1:$p3"
rm -rf "$tmp/etcd-e1"
start_etcd e1 $c1 $p1 "$ic"
start_etcd e2 $c2 $p2 "$ic"
start_etcd e3 $c3 $p3 "$ic"
EPS="http://127.0.0.1:$c1,http://127.0.0.1:$c2,http://127.0.0.1:$c3"
check "etcd (three members) starts" etcd_ready "$EPS"
# The member to lose: not raft's leader, and first in the nodes' lists.
victim=
for m in e1 e2 e3; do
	case $m in e1) u=http://127.0.0.1:$c1 ;; e2) u=http://127.0.0.1:$c2 ;;
	e3) u=http://127.0.0.1:$c3 ;; esac
	if "$ETCDCTL" --endpoints "$u" endpoint status -w json |
	   jq -e '.[0].Status.leader != .[0].Status.header.member_id' >/dev/null; then
		victim=$m vurl=$u
		break
	fi
done
# shellcheck disable=SC2001
EPS="$vurl,$(echo "$EPS" | tr ',' '\n' | grep -vx "$vurl" | paste -sd,)"
rm -f "$tmp"/n?.db
for node in n1 n2 n3; do mv "$tmp/$node.log" "$tmp/$node.log.1"; done
for node in n1 n2 n3; do
	check "lbipamd $node starts on the 3-member etcd" start_node $node "$EPS"
done
leader=$(agreed_leader n1 n2 n3)
ok $? "one leader ($leader)"
lb n2 apply -f "$tmp/pool.yaml" >"$tmp/out" 2>&1 &&
	lb n3 apply -f "$tmp/svc-a.yaml" >>"$tmp/out" 2>&1
ok $? "writes through followers"
ips n1 >"$tmp/want"
kill -KILL "${epid[$victim]}"
wait "${epid[$victim]}" 2>/dev/null
unset "epid[$victim]"
check "member $victim killed: writes still succeed at once" lb n2 apply -f "$tmp/svc-b.yaml"
sleep $((TTL + 1))
l=$(agreed_leader n1 n2 n3)
check "the leader did not change ($l)" test "$l" = "$leader"
grep -h "No longer the cluster leader" "$tmp"/n?.log >"$tmp/out"
[ ! -s "$tmp/out" ]
ok $? "no node stepped down"
ips n1 >"$tmp/want"
for node in n1 n2 n3; do
	check "$node agrees on every LB IP" converged "$node" "$tmp/want"
done
lb n1 get status >"$tmp/st" 2>&1
check "get status shows the lost member unhealthy, the others healthy" sh -c \
	"grep -q 'etcd: *$vurl unhealthy' $tmp/st &&
	 test \$(grep -c 'etcd: .* healthy (3' $tmp/st) = 2"
for node in n1 n2 n3; do
	check "lbipamd $node stops cleanly" stop_node $node
done

cat "$tmp"/n?.log* >"$tmp/all.log"
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$tmp/all.log" >"$tmp/out"
[ ! -s "$tmp/out" ]
ok $? "no sanitizer reports"

echo "1..$n"
exit $failed
