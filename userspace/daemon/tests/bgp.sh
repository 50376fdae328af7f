#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BGP through BIRD on the host, end to end without the kernel module:
# lbipamd renders Cilium's BGP objects into a node BIRD's include file
# and reloads it; a router BIRD on loopback peers with it over eBGP
# (127.0.0.2) and iBGP (127.0.0.3) and learns the LB IPs.  Relabelling
# the Service withdraws its route without resetting the sessions; a bad
# object is refused and disturbs nothing; the node's BIRD killed and
# restarted gets its fragment back.  TAP output.
#
#   LBIPAMD=path/to/lbipamd LBCTL=path/to/lbctl bgp.sh

# Checks are strings that check evaluates (SC2016) and helpers are called
# through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
out_lines=40
cleanup_more() {
	local f
	for f in "$tmp"/*.pid; do
		[ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
}
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
lbipamd_args=(--config /dev/null --state :memory: --socket "$tmp/s.sock"
	--node-name n1 --log-level debug
	--bgp-bird-socket "$tmp/node.ctl"
	--bgp-bird-include "$tmp/lbipam.d/lbipam.conf")
# Ports of their own, so parallel runs do not meet.
pn=$((20000 + $$ % 20000))
pi=$((pn + 1))
pr=$((pn + 2))
mkdir -p "$tmp/lbipam.d"

cat >"$tmp/bird.conf" <<EOF
router id 10.255.0.1;
timeformat protocol iso long ms;
protocol device {}
include "$tmp/lbipam.d/*.conf";
EOF
cat >"$tmp/router.conf" <<EOF
router id 10.255.0.2;
protocol device {}
template bgp node {
	multihop 2;
	connect delay time 1;
	connect retry time 1;
	ipv4 { import all; export none; };
}
protocol bgp from_e from node {
	local 127.0.0.2 port $pr as 65000;
	neighbor 127.0.0.1 port $pn as 65001;
}
protocol bgp from_i from node {
	local 127.0.0.3 port $pr as 65000;
	neighbor 127.0.0.1 port $pi as 65000;
}
EOF

bird_start() {
	bird -c "$tmp/$1.conf" -s "$tmp/$2.ctl" -P "$tmp/$2.pid"
}

# routes PROTO: the prefixes the router learned from PROTO, sorted.
routes() {
	birdc -s "$tmp/router.ctl" show route protocol "$1" |
		awk '$1 ~ /\// { print $1 }' | sort | xargs
}

# eventually COND: COND (evaluated) holds within 20 s.
eventually() {
	local i
	for ((i = 0; i < 200; i++)); do
		eval "$1" && return 0
		sleep 0.1
	done
	echo "still false after 20 s: $1"
	return 1
}

bgp_state() {
	"$LBCTL" get status -o json | jq -r .bgp.state
}

# since PROTO: the node BIRD's session: "STATE INFO MS", MS the time of
# its last change in ms since the epoch.
since() {
	local f
	# shellcheck disable=SC2207 # one field per word
	f=($(birdc -s "$tmp/node.ctl" show protocols "$1" | awk 'NR == 3 { print $4, $5, $6, $7 }'))
	((${#f[@]} == 4)) || return 1
	echo "${f[0]} ${f[3]} $(date -d "${f[1]} ${f[2]}" +%s%3N)"
}

# same_session A B: two since lines of one session, without a change
# between them. BIRD shows a change's time from its monotonic clock,
# converted at each display: the same session's time moves by a few ms.
same_session() {
	[ -n "$1" ] && [ "${1% *}" = "${2% *}" ] &&
		((${1##* } - ${2##* } < 500 && ${2##* } - ${1##* } < 500))
}

# ebgp_peer_config [FAMILY-LINE]: tor-e's PeerConfig, ipv4 and FAMILY-LINE.
ebgp_peer_config() {
	cat <<EOF
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: ebgp}
spec:
  transport: {peerPort: $pr}
  ebgpMultihop: 2
  gracefulRestart: {enabled: true, restartTimeSeconds: 120}
  families:
  - {afi: ipv4, safi: unicast, advertisements: {matchLabels: {adv: lb}}}
${1:-}
EOF
}

objects() {
	"$LBCTL" apply -f - <<EOF
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: p}
spec:
  blocks: [{cidr: 10.200.0.0/24}]
---
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: cc}
spec:
  bgpInstances:
  - name: ebgp
    localASN: 65001
    localPort: $pn
    peers:
    - {name: tor-e, peerAddress: 127.0.0.2, peerASN: 65000, peerConfigRef: {name: ebgp}}
  - name: ibgp
    localASN: 65000
    localPort: $pi
    peers:
    - {name: tor-i, peerAddress: 127.0.0.3, peerASN: 65000, peerConfigRef: {name: ibgp}}
---
$(ebgp_peer_config)
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata: {name: ibgp}
spec:
  transport: {peerPort: $pr}
  families:
  - {afi: ipv4, safi: unicast, advertisements: {matchLabels: {adv: lb}}}
---
apiVersion: cilium.io/v2
kind: CiliumBGPAdvertisement
metadata:
  name: lb
  labels: {adv: lb}
spec:
  advertisements:
  - advertisementType: Service
    service: {addresses: [LoadBalancerIP]}
    selector: {matchLabels: {bgp: "yes"}}
    attributes:
      communities: {standard: ["65000:100"]}
EOF
}

service() {
	"$LBCTL" apply -f - <<EOF
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: default, labels: {bgp: "$2"}}
spec:
  type: LoadBalancer
  ipFamilies: [IPv4]
  ports: [{port: 80}]
EOF
}

ip_of() {
	"$LBCTL" get services "$1" -o json | jq -r '.status.loadBalancer.ingress[0].ip'
}

check "node and router BIRDs start" sh -c \
	"bird -c $tmp/bird.conf -s $tmp/node.ctl -P $tmp/node.pid &&
	 bird -c $tmp/router.conf -s $tmp/router.ctl -P $tmp/router.pid"
check "lbipamd starts with BGP through BIRD" start
check "it configured BIRD at start (nothing to advertise yet)" \
	eventually '[ "$(bgp_state)" = synced ]'
check "apply the pool and the three BGP objects" objects
two_services() {
	service a yes && service b no
}
check "apply Services a (bgp=yes) and b (bgp=no)" two_services
a=$(ip_of a)
b=$(ip_of b)
check "the router learns a ($a) from both sessions" \
	eventually '[ "$(routes from_e)" = "$a/32" ] && [ "$(routes from_i)" = "$a/32" ]'
check "... with the advertisement's community" sh -c \
	"birdc -s $tmp/router.ctl show route $a/32 all | grep -q '(65000,100)'"
check "b ($b) is not advertised" eventually '! routes from_e | grep -q "$b/"'

check "lbctl get bgp peers: both Established" sh -c \
	"'$LBCTL' get bgp peers -o json | jq -e '[.[] | .sessionState] == [\"Established\", \"Established\"]'"
"$LBCTL" get bgp peers >"$tmp/peers.txt" 2>&1
check "lbctl get bgp peers: a table with a row per peer and family" sh -c \
	"grep -q '^INSTANCE *PEER *LOCAL-AS *PEER-AS' $tmp/peers.txt &&
	 grep -Eq '^ebgp +tor-e +65001 +65000 +127.0.0.2 +Established .* ipv4 +0 +1' $tmp/peers.txt &&
	 grep -Eq '^ibgp +tor-i +65000 +65000 +127.0.0.3 +Established' $tmp/peers.txt"
check "lbctl get bgp routes: a to both peers" sh -c \
	"'$LBCTL' get bgp routes -o json | jq -e '[.[] | \"\(.peer) \(.prefix)\"] == [\"tor-e $a/32\", \"tor-i $a/32\"]'"

# The node's protocol for instance ebgp, as lbipamd named it.
proto_e=$("$LBCTL" get bgp peers -o json | jq -r '.[] | select(.instance == "ebgp") | .protocol')
# Settled: the same session a second later (no collision left to resolve),
# so that a reset from now on moves its time by a second or more.
for ((i = 0; i < 20; i++)); do
	before=$(since "$proto_e")
	sleep 1
	same_session "$before" "$(since "$proto_e")" && break
done
check "relabel a: bgp=no" service a no
check "the route is withdrawn from both" \
	eventually '[ -z "$(routes from_e)" ] && [ -z "$(routes from_i)" ]'
after=$(since "$proto_e")
check "the session was not reset ($proto_e: $before, now $after)" \
	eval 'same_session "$before" "$(since "$proto_e")"'
check "relabel a: bgp=yes" service a yes
check "... advertised again" eventually '[ "$(routes from_e)" = "$a/32" ]'

"$LBCTL" apply -f - >"$tmp/bad.txt" 2>&1 <<EOF
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: bad}
spec:
  bgpInstances:
  - {name: x, localASN: 65001, peers: [{name: y, peerAddress: 10.0.0.300}]}
EOF
check "a bad peer address is refused, naming it" grep -q "10.0.0.300" "$tmp/bad.txt"
check "... and the sessions are untouched" \
	eval 'same_session "$before" "$(since "$proto_e")"'

# An ipv6 family for tor-e, an IPv4 peer: Cilium accepts it, BIRD cannot
# send it over that session; lbipamd says so and leaves the session be.
peer_ebgp() {
	ebgp_peer_config "$1" | "$LBCTL" apply -f -
}
check "ipv6 family added to an IPv4 peer's PeerConfig" peer_ebgp \
	"  - {afi: ipv6, safi: unicast, advertisements: {matchLabels: {adv: lb}}}"
check "... lbipamd warns that it is not advertised, naming the peer" eventually \
	"grep 'level=warn' '$tmp/log' | grep 'ipv6 family not advertised' | grep -q 'peer=tor-e'"
check "... the session is untouched, a still advertised" \
	eval 'same_session "$before" "$(since "$proto_e")" && [ "$(routes from_e)" = "$a/32" ]'
check "the PeerConfig back as it was" peer_ebgp ""

# The node's BIRD dies and comes back: lbipamd notices both.
kill -9 "$(cat "$tmp/node.pid")"
check "BIRD killed: lbipamd says unreachable" \
	eventually '[ "$(bgp_state)" = unreachable ]'
check "graceful restart: the router keeps a's route meanwhile" \
	eval '[ "$(routes from_e)" = "$a/32" ]'
check "lbctl get bgp peers fails, saying why" sh -c \
	"! '$LBCTL' get bgp peers >$tmp/out 2>&1 && grep -q 'BIRD does not answer' $tmp/out"
rm -f "$tmp/lbipam.d/lbipam.conf"
check "BIRD restarted (without the fragment)" bird_start bird node
check "lbipamd configures it again" eventually '[ "$(bgp_state)" = synced ]'
check "the fragment is back on disk" test -s "$tmp/lbipam.d/lbipam.conf"
check "both sessions up again" eventually \
	'[ "$("$LBCTL" get bgp peers -o json | jq -r "[.[] | .sessionState] | join(\" \")")" = "Established Established" ]'
check "the router has a's route" eventually '[ "$(routes from_i)" = "$a/32" ]'
configures() {
	"$LBCTL" get status -o json | jq -r .bgp.configures
}
c0=$(configures)
kill -HUP "$pid"
check "SIGHUP: BIRD is configured again ($c0 before)" \
	eventually '[ "$(configures)" -gt "$c0" ] && [ "$(bgp_state)" = synced ]'
check "lbipamd stops cleanly" stop
echo "1..$n"
exit "$failed"
