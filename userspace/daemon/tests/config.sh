#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbipamd's configuration on the host: every flag's and file key's bad
# value is refused at start naming it and the value, flags override the
# file, lbctl get status shows the result, and each engine option reaches
# the engine (which classes are served, families, sharing, out-of-pool
# policy). TAP output.
#
#   LBIPAMD=path/to/lbipamd LBCTL=path/to/lbctl config.sh

# Checks are strings that check evaluates (SC2016) and helpers are called
# through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
out_lines=30
fresh_log=1
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
lbipamd_args=(--state :memory: --socket "$tmp/s.sock")

# refused WANT ARGS...: lbipamd exits 2 at once, stderr has WANT (fixed
# string), and it never served.
refused() {
	local want=$1 rc
	shift
	timeout 20 "$LBIPAMD" --state :memory: --socket "$tmp/never.sock" "$@" \
		>"$tmp/out" 2>&1
	rc=$?
	echo "exit $rc; wanted: $want" >>"$tmp/out"
	[ $rc -eq 2 ] && grep -qF -- "$want" "$tmp/out" && [ ! -e "$tmp/never.sock" ]
	ok $? "refused: $* -> $want"
}

status() {
	"$LBCTL" get status -o json | jq -e "$1" >"$tmp/out" 2>&1
}

# --- bad values, as flags -------------------------------------------------
C=(--config /dev/null)
refused "--socket-mode: invalid value '0999'" "${C[@]}" --socket-mode 0999
refused "--netns: invalid value 'a/b'" "${C[@]}" --netns a/b
refused "--node-name: must not be empty" "${C[@]}" --node-name ''
refused "--node-labels: bad label 'zone'" "${C[@]}" --node-labels zone
refused "--log-level: invalid value 'loud' (debug, info, warn or error)" "${C[@]}" --log-level loud
refused "--masquerade: invalid value 'maybe' (true or false)" "${C[@]}" --masquerade=maybe
refused "--cluster-cidr: invalid prefix '10.244.0.1/16': host bits set beyond /16" "${C[@]}" \
	--cluster-cidr 10.244.0.0/16,10.244.0.1/16
refused "--cluster-cidr: invalid prefix '10.244.0.0': invalid IP prefix" "${C[@]}" --cluster-cidr 10.244.0.0
refused "--cluster-cidr: invalid prefix 'fd00::/129': prefix length must be 0-128" "${C[@]}" --cluster-cidr fd00::/129
refused "--lb-classes: invalid class 'nope'" "${C[@]}" --lb-classes nope
refused "--lb-classes: invalid class 'a/b/c'" "${C[@]}" --lb-classes example.com/x,a/b/c
refused "--lb-classes: class 'io.cilium/node' is Node IPAM's, never allocated from pools (use --enable-node-ipam)" \
	"${C[@]}" --lb-classes example.com/x,io.cilium/node
refused "--enable-node-ipam: invalid value 'maybe' (true or false)" "${C[@]}" --enable-node-ipam=maybe
refused "--require-lb-class: invalid value '2'" "${C[@]}" --require-lb-class=2
refused "--enable-l2-announcements: invalid value 'sometimes'" "${C[@]}" --enable-l2-announcements=sometimes
refused "--enable-bgp-control-plane: invalid value 'x'" "${C[@]}" --enable-bgp-control-plane=x
refused "--ip-families: invalid value 'ipv5' (ipv4, ipv6 or ipv4,ipv6)" "${C[@]}" --ip-families ipv5
refused "--ip-families: invalid value ''" "${C[@]}" --ip-families ''
refused "--sharing-port-only: invalid value 'perhaps'" "${C[@]}" --sharing-port-only=perhaps
refused "--out-of-pool-policy: invalid value 'drop' (reallocate, pending or keep)" "${C[@]}" --out-of-pool-policy drop
refused "--metrics-address: invalid value '127.0.0.1:99999'" "${C[@]}" --metrics-address 127.0.0.1:99999
refused "--metrics-address: invalid value 'localhost:9963'" "${C[@]}" --metrics-address localhost:9963
refused "--state: must not be empty" "${C[@]}" --state ''
refused "--etcd-endpoints: must not be empty" "${C[@]}" --etcd-endpoints ''
refused "--etcd-prefix: invalid value 'lbipam' (starts and ends with '/')" "${C[@]}" --etcd-prefix lbipam
refused "--etcd-lease-ttl: invalid value '1' (whole seconds, 2 to 3600)" "${C[@]}" --etcd-lease-ttl 1
refused "--bgp-bird-socket: invalid value 'bird.ctl' (an absolute path)" "${C[@]}" --bgp-bird-socket bird.ctl
refused "--bgp-bird-include: invalid value 'x.conf' (an absolute path)" "${C[@]}" --bgp-bird-include x.conf
refused "--bgp-bird-socket and --bgp-bird-include go together" "${C[@]}" --bgp-bird-socket /run/bird/bird.ctl
refused "--bgp-bird-socket and --bgp-bird-include go together" "${C[@]}" --bgp-bird-include /etc/bird/lbipam.conf
refused "unrecognized option '--colour'" "${C[@]}" --colour
refused "--config: cannot read '$tmp/none.yaml': No such file or directory" --config "$tmp/none.yaml"

# --- bad values, in the file ----------------------------------------------
# bad_file WANT LINES: the file holds LINES; the message names file:line.
bad_file() {
	printf '%s\n' "$2" >"$tmp/bad.yaml"
	refused "$tmp/bad.yaml:$1" --config "$tmp/bad.yaml"
}
bad_file "2: ip-families: invalid value 'ipv4,ipv5' (ipv4, ipv6 or ipv4,ipv6)" \
	$'log-level: info\nip-families: [ipv4, ipv5]'
bad_file "1: out-of-pool-policy: invalid value 'drop'" 'out-of-pool-policy: drop'
bad_file "1: enable-l2-announcements: invalid value 'sometimes'" 'enable-l2-announcements: sometimes'
bad_file "1: log-level: invalid value 'loud'" 'log-level: loud'
bad_file "1: lb-classes: invalid class 'nope'" 'lb-classes: [example.com/a, nope]'
bad_file "1: metrics-address: invalid value '9963'" 'metrics-address: "9963"'
bad_file "1: cluster-cidr: invalid prefix 'bogus': invalid IP prefix" 'cluster-cidr: [10.244.0.0/16, bogus]'
bad_file "1: socket-mode: invalid value '8'" 'socket-mode: 8'
bad_file "2: colour: unknown key" $'log-level: info\ncolour: blue'
bad_file "1: no-masquerade: unknown key" 'no-masquerade: true'
bad_file "1: log-level: expected a single value, not a list" 'log-level: [info]'
bad_file "1: masquerade: expected a value, not a mapping" 'masquerade: {a: b}'
bad_file "1: expected a mapping of option: value" '- log-level'
bad_file "2: YAML syntax error" $'log-level: [info\n'

# --- a good file, flags on top --------------------------------------------
cat >"$tmp/good.yaml" <<'YAML'
# lbipamd.yaml: one key per flag
log-level: warn
masquerade: false
lb-classes: [example.com/lb]
ip-families: ipv4
sharing-port-only: true
out-of-pool-policy: keep
node-name: cfg-node
node-labels: {zone: a, rack: r1}
cluster-cidr: [10.244.0.0/16, "fd00:10:244::/56"]
YAML
check "starts with a config file" start --config "$tmp/good.yaml" --log-level debug \
	--out-of-pool-policy pending
check "get status: file values" status '.config["masquerade"] == false and
	.config["lb-classes"] == ["example.com/lb"] and
	.config["ip-families"] == ["ipv4"] and .config["sharing-port-only"] == true and
	.config["node-labels"] == "zone=a,rack=r1" and .config["node-name"] == "cfg-node" and
	.config["cluster-cidr"] == ["10.244.0.0/16", "fd00:10:244::/56"]'
check "get status: flags override the file" status \
	'.config["log-level"] == "debug" and .config["out-of-pool-policy"] == "pending"'
check "get status: the file read" status ".config[\"config-file\"] == \"$tmp/good.yaml\""
check "get status: classes served" status \
	'.config["served-lb-classes"] == ["<none>", "example.com/lb", "io.cilium/l2-announcer"]'
check "the log level is the flag's (debug lines)" grep -q 'level=debug' "$tmp/log"
check "the node name reaches L2" status '.l2.node == "cfg-node"'
"$LBCTL" get status >"$tmp/status.txt"
check "get status text: config block" grep -q '^  out-of-pool-policy: *pending$' "$tmp/status.txt"
check "get status text: lists joined" grep -q '^  served-lb-classes: *<none>,example.com/lb,io.cilium/l2-announcer$' "$tmp/status.txt"
check "get status -o yaml: config" sh -c \
	'"$1" get status -o yaml | grep -q "^  out-of-pool-policy: pending$"' _ "$LBCTL"
check "stop" stop
check "--no-masquerade still works" start --config /dev/null --no-masquerade
check "... masquerade false" status '.config.masquerade == false'
check "stop" stop
check "an empty file is all defaults" sh -c ': >"$1/empty.yaml"' _ "$tmp"
check "starts with it" start --config "$tmp/empty.yaml"
check "defaults" status '.config == {"state": ":memory:", "socket": "'"$tmp"'/s.sock",
	"socket-mode": "0660", "netns": "", "node-name": "", "node-labels": "",
	"log-level": "info", "masquerade": true, "cluster-cidr": [], "lb-classes": [],
	"require-lb-class": false, "enable-node-ipam": false,
	"enable-l2-announcements": true,
	"enable-bgp-control-plane": false, "bgp-bird-socket": "",
	"bgp-bird-include": "", "ip-families": ["ipv4", "ipv6"],
	"sharing-port-only": false, "out-of-pool-policy": "reallocate",
	"metrics-address": "", "etcd-endpoints": "", "etcd-cert": "",
	"etcd-key": "", "etcd-ca": "", "etcd-prefix": "/lbipam/",
	"etcd-lease-ttl": "2",
	"served-lb-classes": ["<none>", "io.cilium/l2-announcer"],
	"config-file": "'"$tmp"'/empty.yaml"}'
check "stop" stop

# --- the options reach the engine -----------------------------------------
cat >"$tmp/classes.yaml" <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: p}
spec:
  blocks: [{cidr: 10.5.0.0/28}, {cidr: "fd00:5::/124"}]
---
apiVersion: v1
kind: Service
metadata: {name: none, namespace: default}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: l2, namespace: default}
spec:
  type: LoadBalancer
  loadBalancerClass: io.cilium/l2-announcer
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: bgp, namespace: default}
spec:
  type: LoadBalancer
  loadBalancerClass: io.cilium/bgp-control-plane
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: default}
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/lb
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: node, namespace: default}
spec:
  type: LoadBalancer
  loadBalancerClass: io.cilium/node
  ports: [{port: 80}]
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  addresses: [{type: InternalIP, address: 192.0.2.7}]
YAML
# served ARGS -- WANT: with ARGS, the Services holding an IP are WANT.
served() {
	local args=() want
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	want=$2
	start --config /dev/null "${args[@]}" || { ok 1 "start ${args[*]}"; return; }
	"$LBCTL" apply -f "$tmp/classes.yaml" >/dev/null
	got=$("$LBCTL" get services -o json |
		jq -r '[.items[] | select(.status.loadBalancer.ingress) | .metadata.name] | join(",")')
	echo "got '$got', want '$want'" >"$tmp/out"
	[ "$got" = "$want" ]
	ok $? "served with ${args[*]:-the defaults}: $want"
	stop >/dev/null
}
# Services are listed in name order: bgp, l2, node, none, other; node
# (io.cilium/node) holds nothing unless Node IPAM is on.
# Cilium's default with L2 announcements (on in lbipamd) and no BGP.
served -- l2,none
served --enable-node-ipam -- l2,node,none
served --enable-l2-announcements=false -- none
served --enable-l2-announcements=false --lb-classes io.cilium/l2-announcer -- l2,none
served --enable-bgp-control-plane -- bgp,l2,none
served --require-lb-class -- l2
served --require-lb-class --lb-classes example.com/lb --enable-l2-announcements=no -- other

start --config /dev/null --enable-node-ipam >/dev/null
"$LBCTL" apply -f "$tmp/classes.yaml" >/dev/null
check "Node IPAM: the io.cilium/node Service's ingress is the Node's address" sh -c \
	'[ "$("$1" get services node -o json | jq -c .status.loadBalancer.ingress)" = "[{\"ip\":\"192.0.2.7\"}]" ]' \
	_ "$LBCTL"
stop >/dev/null

start --config /dev/null --enable-l2-announcements=false >/dev/null
"$LBCTL" apply -f "$tmp/classes.yaml" >/dev/null
check "L2 off: describe says why nothing is announced" sh -c \
	'"$1" describe service none | grep -q "L2 announcements are disabled"' _ "$LBCTL"
status '.l2.enabled == false'
ok $? "... and get status says L2 is off"
stop >/dev/null

cat >"$tmp/engine.yaml" <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: p}
spec:
  blocks: [{cidr: 10.5.0.0/28}, {cidr: "fd00:5::/124"}]
---
apiVersion: v1
kind: Service
metadata: {name: ds, namespace: default}
spec:
  type: LoadBalancer
  ipFamilyPolicy: PreferDualStack
  ipFamilies: [IPv4, IPv6]
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: s1, namespace: default, annotations: {lbipam.cilium.io/sharing-key: k}}
spec: {type: LoadBalancer, ports: [{port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: s2, namespace: default, annotations: {lbipam.cilium.io/sharing-key: k}}
spec: {type: LoadBalancer, ports: [{port: 80, protocol: UDP}]}
YAML
# The pool moves: every IP is outside it.
sed 's|10.5.0.0/28|10.6.0.0/28|; s|fd00:5::/124|fd00:6::/124|' "$tmp/engine.yaml" |
	sed -n '1,/^---$/p' | sed '$d' >"$tmp/moved.yaml"
# ips NAME: its ingress IPs, comma separated.
ips() {
	"$LBCTL" get services -o json |
		jq -r ".items[] | select(.metadata.name == \"$1\") | [.status.loadBalancer.ingress[]?.ip] | join(\",\")"
}
start --config /dev/null >/dev/null
"$LBCTL" apply -f "$tmp/engine.yaml" >/dev/null
got="$(ips ds) $(ips s1) $(ips s2)"
echo "got '$got'" >"$tmp/out"
[ "$got" = "10.5.0.0,fd00:5:: 10.5.0.1 10.5.0.1" ]
ok $? "defaults: dual stack; 80/TCP and 80/UDP share an IP"
"$LBCTL" apply -f "$tmp/moved.yaml" >/dev/null
got="$(ips s1)"
echo "got '$got'" >"$tmp/out"
[ "$got" = 10.6.0.1 ]
ok $? "defaults: an IP outside every pool is reallocated"
stop >/dev/null
printf 'ip-families: [ipv4]\nsharing-port-only: true\nout-of-pool-policy: keep\n' >"$tmp/e.yaml"
start --config "$tmp/e.yaml" >/dev/null
"$LBCTL" apply -f "$tmp/engine.yaml" >/dev/null
got="$(ips ds) $(ips s1) $(ips s2)"
echo "got '$got'" >"$tmp/out"
[ "$got" = "10.5.0.0 10.5.0.1 10.5.0.2" ]
ok $? "ip-families ipv4: one family; sharing-port-only: 80/TCP and 80/UDP clash"
"$LBCTL" apply -f "$tmp/moved.yaml" >/dev/null
got="$(ips s1)"
echo "got '$got'" >"$tmp/out"
[ "$got" = 10.5.0.1 ]
ok $? "out-of-pool-policy keep: the IP stays"
check "final stop: clean exit (and no leaks)" stop
if grep -q "ERROR: AddressSanitizer\|runtime error" "$tmp/log"; then
	ok 1 "no sanitizer reports"
else
	ok 0 "no sanitizer reports"
fi
echo "1..$n"
exit $failed
