#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbipamd and lbctl's daemon verbs over the real socket, on the host (no
# kernel module needed: the daemon keeps allocating and reports the kernel
# as missing). TAP output.
#
#   LBIPAMD=path/to/lbipamd LBCTL=path/to/lbctl cli.sh

# Checks are strings that check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
lbipamd_args=(--state "$tmp/state.db" --socket "$tmp/s.sock" --log-level debug)

# The user's pools, verbatim (selftests/e2e_seed.sh applies the same file).
cp "$(dirname "$0")/../../../selftests/seed-pools.yaml" "$tmp/pools.yaml"
cat >"$tmp/svc.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: service-blue, namespace: default, labels: {color: blue}}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: service-red, namespace: default, labels: {color: red}}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.11
  ports: [{name: http, port: 80, targetPort: 8080}]
YAML

: >"$tmp/out"
check "lbipamd starts without the kernel module" start --node-name cli-node --node-labels zone=a
check "apply -f FILE (pools)" "$LBCTL" apply -f "$tmp/pools.yaml"
check "apply -f - (services)" sh -c "\"$LBCTL\" apply -f - <\"$tmp/svc.yaml\""
"$LBCTL" get ippools >"$tmp/pools" 2>&1
check "get ippools header" grep -q '^NAME  *DISABLED  *CONFLICTING  *IPS AVAILABLE  *AGE$' "$tmp/pools"
check "exactly one pool CONFLICTING True" test "$(awk '$3 == "True"' "$tmp/pools" | wc -l)" = 1
"$LBCTL" get services >"$tmp/svcs" 2>&1
check "get services header" grep -q '^NAMESPACE  *NAME  *TYPE  *CLUSTER-IP  *EXTERNAL-IP  *PORT(S)  *AGE$' "$tmp/svcs"
check "blue Service <pending>" grep -q 'service-blue .*<pending> *80/TCP' "$tmp/svcs"
check "get services -o yaml has status.loadBalancer" sh -c \
	"\"$LBCTL\" get services -o yaml | grep -q '^      - ip: 20.0.10.'"
check "get ippools -o json is a List" sh -c \
	"\"$LBCTL\" get ippools -o json | jq -e '.kind == \"List\" and (.items | length) == 2' >/dev/null"
check "describe ippool shows the holder" sh -c \
	"\"$LBCTL\" describe ippool red-pool | grep -q '20.0.10.0 *default/service-red'"
check "describe service shows the condition" sh -c \
	"\"$LBCTL\" describe service default/service-blue | grep -q 'IPAMRequestSatisfied *False'"
check "get status says the kernel is missing" sh -c \
	"\"$LBCTL\" get status | grep -q 'kernel: *missing'"

# Status as Kubernetes writes it, and events.
"$LBCTL" get service service-red -o json >"$tmp/red1"
check "metadata.resourceVersion is a string, generation 1" jq -e \
	'(.metadata.resourceVersion | type) == "string" and .metadata.generation == 1' "$tmp/red1"
check "conditions carry lastTransitionTime (RFC 3339) and observedGeneration" jq -e \
	'.status.conditions[0] | (.lastTransitionTime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")) and .observedGeneration == 1' "$tmp/red1"
check "pool conditions too" sh -c \
	"\"$LBCTL\" get ippool red-pool -o json | jq -e '[.status.conditions[] | select(.lastTransitionTime and .observedGeneration == 1)] | length == 6' >/dev/null"
sleep 1.1
sh -c "\"$LBCTL\" apply -f - <\"$tmp/svc.yaml\"" >"$tmp/res" 2>&1
check "identical re-apply: unchanged" grep -q '^service/service-red unchanged$' "$tmp/res"
"$LBCTL" get service service-red -o json >"$tmp/red2"
check "... same generation, resourceVersion and lastTransitionTime" \
	diff <(jq -S '[.metadata, .status]' "$tmp/red1") <(jq -S '[.metadata, .status]' "$tmp/red2")
sed 's/color: red}/color: red, tier: web}/' "$tmp/svc.yaml" >"$tmp/svc-label.yaml"
check "a label edit" "$LBCTL" apply -f "$tmp/svc-label.yaml"
"$LBCTL" get service service-red -o json >"$tmp/red2"
check "... keeps generation 1 and the transition time, moves resourceVersion" jq -e --slurpfile a "$tmp/red1" \
	'.metadata.generation == 1 and .metadata.resourceVersion != $a[0].metadata.resourceVersion and .status.conditions[0].lastTransitionTime == $a[0].status.conditions[0].lastTransitionTime' "$tmp/red2"
"$LBCTL" get events >"$tmp/ev" 2>&1
check "get events header, as kubectl" grep -q '^LAST SEEN  *TYPE  *REASON  *OBJECT  *MESSAGE$' "$tmp/ev"
check "get events: the allocation" grep -Eq '^[0-9]+s  *Normal  *IPAllocated  *service/service-red  *Allocated IP 20\.0\.10\.0 \(pool: red-pool\)$' "$tmp/ev"
check "get events: the failure" grep -Eq '^[0-9]+s  *Warning  *AllocationFailed  *service/service-blue  *There are no enabled CiliumLoadBalancerIPPools that match this service$' "$tmp/ev"
check "get events: the conflict, on the cluster-scoped pool" grep -Eq '^[0-9]+s  *Warning  *PoolConflict  *ciliumloadbalancerippool/blue-pool  *Pool conflicts since range' "$tmp/ev"
"$LBCTL" get events -n kube-system >"$tmp/ev" 2>&1
check "get events -n NS: only that namespace" grep -q '^No resources found in kube-system namespace.$' "$tmp/ev"
check "get events -A -o json: core/v1 Events" sh -c \
	"\"$LBCTL\" get events -A -o json | jq -e '.kind == \"List\" and (.items | length) >= 3 and all(.items[]; .kind == \"Event\" and .count >= 1 and (.firstTimestamp | endswith(\"Z\")) and .source.component == \"lbipamd\")' >/dev/null"
"$LBCTL" delete service default/service-red >/dev/null 2>&1
sh -c "\"$LBCTL\" apply -f - <\"$tmp/svc.yaml\"" >/dev/null 2>&1
"$LBCTL" get events >"$tmp/ev" 2>&1
check "a repeated event folds in: (x2 over ...)" grep -Eq '^[0-9]+s \(x2 over [0-9]+s\)  *Normal  *IPAllocated  *service/service-red  *Allocated IP 20\.0\.10\.0' "$tmp/ev"
"$LBCTL" get events -o wide >"$tmp/evw" 2>&1
check "get events -o wide: kubectl's columns" grep -q '^LAST SEEN  *TYPE  *REASON  *OBJECT  *SUBOBJECT  *SOURCE  *MESSAGE  *FIRST SEEN  *COUNT  *NAME$' "$tmp/evw"
check "... with source, first seen, count and name" grep -Eq '^[0-9]+s  *Normal  *IPAllocated  *service/service-red  *lbipamd  *Allocated IP 20\.0\.10\.0 \(pool: red-pool\)  *[0-9]+s  *2  *service-red\.[0-9a-f]+$' "$tmp/evw"
check "... and the release is recorded" grep -Eq 'Normal  *IPReleased  *service/service-red  *Released IP 20\.0\.10\.0 \(reason: service deleted\)' "$tmp/ev"
"$LBCTL" describe service default/service-red >"$tmp/res" 2>&1
check "describe service ends with its events" sh -c \
	"sed -n '/^Events:/,\$p' \"$tmp/res\" | grep -Eq '^  Normal  *IPAllocated  *[0-9]+s \(x2 over [0-9]+s\)  *lbipamd  *Allocated IP 20\.0\.10\.0'"
check "describe service: the condition's transition time" grep -Eq 'IPAMRequestSatisfied  *True  *[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0000  *satisfied' "$tmp/res"
"$LBCTL" describe ippool red-pool >"$tmp/res" 2>&1
check "describe ippool: no events of its own" grep -q '^Events: *<none>$' "$tmp/res"

printf 'apiVersion: v1\nkind: Ingress\nmetadata: {name: x}\n' >"$tmp/bad.yaml"
"$LBCTL" apply -f "$tmp/bad.yaml" >"$tmp/res" 2>&1
rc=$?
ok $((rc == 2 ? 0 : 1)) "unknown kind: exit 2"
check "unknown kind: file, document, field" grep -q "bad.yaml: document 0: kind: unknown kind 'Ingress'" "$tmp/res"
"$LBCTL" get ippools -o yaml >"$tmp/before"
printf -- '---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: ok}\nspec: {blocks: [{cidr: 20.0.40.0/24}]}\n---\napiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: bad}\nspec: {blocks: [{cidr: 20.0.300.0/24}]}\n' >"$tmp/bad2.yaml"
"$LBCTL" apply -f "$tmp/bad2.yaml" >"$tmp/res" 2>&1
check "invalid CIDR named with its path" grep -q "bad2.yaml: document 1: spec.blocks\[0\].cidr: invalid CIDR '20.0.300.0/24'" "$tmp/res"
printf 'a: [\n' >"$tmp/bad3.yaml"
"$LBCTL" apply -f "$tmp/bad3.yaml" >"$tmp/res" 2>&1
check "bad YAML: syntax error with line" grep -q "bad3.yaml: document 0: YAML syntax error" "$tmp/res"
"$LBCTL" get ippools -o yaml >"$tmp/after"
check "state unchanged after rejected applies" diff "$tmp/before" "$tmp/after"

# L2 announcements: policies and Nodes through the same verbs.
cat >"$tmp/l2.yaml" <<'YAML'
apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata: {name: red-l2}
spec:
  serviceSelector: {matchLabels: {color: red}}
  nodeSelector: {matchLabels: {zone: b}}
  interfaces: ['^eth[0-9]+']
  loadBalancerIPs: true
---
apiVersion: v1
kind: Node
metadata: {name: cli-node, labels: {rack: r7}}
YAML
check "apply a policy and a Node" "$LBCTL" apply -f "$tmp/l2.yaml"
"$LBCTL" get l2announcementpolicies >"$tmp/res" 2>&1
check "get l2announcementpolicies header" grep -q '^NAME  *LOADBALANCERIPS  *EXTERNALIPS  *INTERFACES  *SERVICES  *AGE$' "$tmp/res"
check "the policy selects the red Service" grep -q '^red-l2  *true  *false  *\^eth\[0-9\]+  *1 ' "$tmp/res"
check "alias l2announcement, -o yaml" sh -c \
	"\"$LBCTL\" get l2announcement red-l2 -o yaml | grep -q '^kind: CiliumL2AnnouncementPolicy'"
check "alias ciliuml2announcementpolicies -o json" sh -c \
	"\"$LBCTL\" get ciliuml2announcementpolicies -o json | jq -e '.items[0].spec.interfaces[0] == \"^eth[0-9]+\"' >/dev/null"
"$LBCTL" describe l2announcementpolicy red-l2 >"$tmp/res" 2>&1
check "describe policy: this node not selected (zone a)" grep -q '^This Node: *not selected' "$tmp/res"
check "describe policy: selected Services" grep -A1 '^Selected Services:' "$tmp/res"
grep -q '^  default/service-red$' "$tmp/res"
ok $? "describe policy lists default/service-red"
"$LBCTL" describe service default/service-red >"$tmp/res" 2>&1
check "describe service: L2 section" grep -q '^L2 Announcement:' "$tmp/res"
check "describe service: why not here" grep -q 'Status: *not announced here: no policy selecting it selects this node' "$tmp/res"
check "describe service: which policy" grep -q 'Policies: *red-l2' "$tmp/res"
check "describe service: the module's side" grep -q 'Kernel: *unknown (waiting for the kernel module)' "$tmp/res"
check "get nodes" sh -c "\"$LBCTL\" get nodes | grep -q '^cli-node '"
"$LBCTL" describe node cli-node >"$tmp/res" 2>&1
check "describe node: effective labels merge --node-labels" grep -q '^Effective Labels: *zone=a,rack=r7' "$tmp/res"
check "get status: L2 line" sh -c "\"$LBCTL\" get status | grep -q '^l2: *node cli-node'"
"$LBCTL" get l2announcementpolicies -o yaml >"$tmp/before"
sed 's/zone: b}}/zone: b}, matchExpressions: [{key: zone, operator: Near}]}/' "$tmp/l2.yaml" >"$tmp/bad4.yaml"
"$LBCTL" apply -f "$tmp/bad4.yaml" >"$tmp/res" 2>&1
rc=$?
ok $((rc == 2 ? 0 : 1)) "policy with an unknown operator: exit 2"
check "... the field path is named" grep -q "bad4.yaml: document 0: spec.nodeSelector.matchExpressions\[0\].operator: operator must be one of" "$tmp/res"
"$LBCTL" get l2announcementpolicies -o yaml >"$tmp/after"
check "... and the stored policy is unchanged" diff "$tmp/before" "$tmp/after"
printf 'apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\nmetadata: {name: bad-re}\nspec: {interfaces: ["eth("], loadBalancerIPs: true}\n' >"$tmp/badre.yaml"
check "a bad interface regex is stored, as in Cilium" "$LBCTL" apply -f "$tmp/badre.yaml"
check "... with Cilium's condition" sh -c \
	"\"$LBCTL\" describe l2announcement bad-re | grep -q 'io.cilium/bad-interface-regex *True *[A-Z][a-z][a-z], [0-3][0-9] [A-Z][a-z][a-z] 2[0-9]* [0-2][0-9]:[0-5][0-9]:[0-5][0-9] +0000 *error'"
check "delete l2announcementpolicy" "$LBCTL" delete l2announcementpolicy bad-re
"$LBCTL" describe l2announcementpolicy bad-re >"$tmp/res" 2>&1
rc=$?
ok $((rc == 2 ? 0 : 1)) "describe of a deleted policy fails"
check "... saying not found" grep -q 'ciliuml2announcementpolicies.cilium.io "bad-re" not found' "$tmp/res"

# BGP Control Plane objects: cluster scoped kinds through the same verbs.
cat >"$tmp/bgp.yaml" <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata: {name: cc}
spec:
  nodeSelector: {matchLabels: {zone: a}}
  bgpInstances:
  - name: i65000
    localASN: 65000
    peers:
    - {name: tor, peerAddress: 192.0.2.254, peerASN: 65001, peerConfigRef: {name: pc}}
---
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPAdvertisement
metadata: {name: adv, labels: {advertise: bgp}}
spec:
  advertisements:
  - advertisementType: Service
    service: {addresses: [LoadBalancerIP]}
    selector: {matchLabels: {color: red}}
YAML
check "apply a BGP cluster config and advertisement" "$LBCTL" apply -f "$tmp/bgp.yaml"
"$LBCTL" get bgpclusterconfigs >"$tmp/res" 2>&1
check "get bgpclusterconfigs: kubectl's columns" grep -q '^NAME  *AGE$' "$tmp/res"
check "... the config" grep -q '^cc  *[0-9]*s$' "$tmp/res"
"$LBCTL" get cbgpcluster -o wide >"$tmp/res" 2>&1
check "short name cbgpcluster, -o wide: summary and problem" grep -q \
	'^cc .*instances=1 peers=1 nodeSelector=zone=a  *cilium.io/MissingPeerConfigs$' "$tmp/res"
"$LBCTL" describe bgpclusterconfig cc >"$tmp/res" 2>&1
check "describe: Cilium's condition for the missing peer config" grep -q \
	'cilium.io/MissingPeerConfigs *True *[A-Z][a-z][a-z], .* +0000 *MissingPeerConfigs *Referenced CiliumBGPPeerConfig(s) are missing: \[pc\]' "$tmp/res"
check "describe: kind and apiVersion" sh -c \
	"grep -q '^Kind: *CiliumBGPClusterConfig' \"$tmp/res\" && grep -q '^API Version: *cilium.io/v2$' \"$tmp/res\""
printf 'apiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: {name: pc}\nspec:\n  gracefulRestart: {enabled: true, restartTimeSeconds: 30}\n  families: [{afi: ipv4, safi: unicast, advertisements: {matchLabels: {advertise: bgp}}}]\n' >"$tmp/pc.yaml"
check "apply the peer config" "$LBCTL" apply -f "$tmp/pc.yaml"
check "... the condition turns False" sh -c \
	"\"$LBCTL\" get bgpclusterconfig cc -o json | jq -e '.status.conditions[0] | .type == \"cilium.io/MissingPeerConfigs\" and .status == \"False\"' >/dev/null"
check "get ciliumbgppeerconfigs -o wide" sh -c \
	"\"$LBCTL\" get ciliumbgppeerconfigs -o wide | grep -q '^pc .*families=ipv4 peerPort=179 holdTime=90 keepAlive=30 gracefulRestart=30s  *<none>$'"
check "get bgpadvertisements -o yaml: the stored object" sh -c \
	"\"$LBCTL\" get bgpadvertisements adv -o yaml | grep -q '^kind: CiliumBGPAdvertisement'"
"$LBCTL" get bgpclusterconfigs -o yaml >"$tmp/before"
sed 's/localASN: 65000/localASN: 65000.1/' "$tmp/bgp.yaml" >"$tmp/bad5.yaml"
"$LBCTL" apply -f "$tmp/bad5.yaml" >"$tmp/res" 2>&1
rc=$?
ok $((rc == 2 ? 0 : 1)) "an ASN that is no integer: exit 2"
check "... the field path is named" grep -q "bad5.yaml: document 0: spec.bgpInstances\[0\].localASN: expected an integer, got '65000.1'" "$tmp/res"
sed 's/peerAddress: 192.0.2.254/peerAddress: 192.0.2.256/' "$tmp/bgp.yaml" >"$tmp/bad6.yaml"
"$LBCTL" apply -f "$tmp/bad6.yaml" >"$tmp/res" 2>&1
check "a peer address that is no IP is refused" grep -q "spec.bgpInstances\[0\].peers\[0\].peerAddress: '192.0.2.256' is not an IPv4 or IPv6 address" "$tmp/res"
"$LBCTL" get bgpclusterconfigs -o yaml >"$tmp/after"
check "... and the stored config is unchanged" diff "$tmp/before" "$tmp/after"
check "delete bgppeerconfig" "$LBCTL" delete bgppeerconfig pc
"$LBCTL" describe cbgppeer pc >"$tmp/res" 2>&1
rc=$?
ok $((rc == 2 ? 0 : 1)) "describe of a deleted peer config fails"
check "... saying not found" grep -q 'ciliumbgppeerconfigs.cilium.io "pc" not found' "$tmp/res"

sed -i 's/20.0.10.0\/24"$/20.0.20.0\/24"/;0,/20.0.20.0/!{s/20.0.20.0\/24"/20.0.10.0\/24"/}' "$tmp/pools.yaml"
check "apply blue-pool with 20.0.20.0/24" "$LBCTL" apply -f "$tmp/pools.yaml"
check "blue Service gets 20.0.20.x" sh -c \
	"\"$LBCTL\" get services | grep -q 'service-blue .* 20.0.20.[0-9]* '"
check "log has the pool-count line" grep -q "msg=\"Pool counts of 'blue-pool' changed, patching\"" "$tmp/log"
"$LBCTL" get services -o json >"$tmp/ips1"
check "SIGTERM: clean exit" stop
check "restart" start --node-name cli-node --node-labels zone=a
"$LBCTL" get services -o json >"$tmp/ips2"
check "IPs and objects survive the restart" diff "$tmp/ips1" "$tmp/ips2"
check "... the compared views carry resourceVersion and lastTransitionTime" jq -e \
	'all(.items[]; .metadata.resourceVersion != null and (.status.conditions // [] | all(.lastTransitionTime != null)))' "$tmp/ips2"
check "the policy survives the restart" sh -c "\"$LBCTL\" get l2announcementpolicies | grep -q '^red-l2 '"
check "BGP objects survive the restart, the condition too" sh -c \
	"\"$LBCTL\" get bgpclusterconfigs -o wide | grep -q '^cc .*cilium.io/MissingPeerConfigs$' && \"$LBCTL\" get bgpadvertisements | grep -q '^adv '"
check "delete -f with BGP objects" "$LBCTL" delete -f "$tmp/bgp.yaml"
check "delete -f with a policy and a Node" "$LBCTL" delete -f "$tmp/l2.yaml"
check "delete service NS/NAME" "$LBCTL" delete service default/service-red
check "delete -f FILE" "$LBCTL" delete -f "$tmp/pools.yaml"
"$LBCTL" delete ippool nope >"$tmp/out" 2>&1
ok $(($? == 2 ? 0 : 1)) "delete of a missing pool fails"
"$LBCTL" get ippools --socket "$tmp/nope.sock" >"$tmp/res" 2>&1
check "--socket is honoured" grep -q "nope.sock" "$tmp/res"
"$LBCTL" --socket="$tmp/nope.sock" get ippools >"$tmp/res" 2>&1
check "--socket before the verb too" grep -q "nope.sock" "$tmp/res"
check "-n NS and -o before the verb, as kubectl" sh -c \
	"\"$LBCTL\" -n default -o json get services | jq -e '.items | length == 1' >/dev/null"
check "-j is -o json" sh -c \
	"\"$LBCTL\" get services -A -j | jq -e '.kind == \"List\"' >/dev/null"
check "-n NS after the name" sh -c \
	"\"$LBCTL\" describe service service-blue -n default | grep -q '^Namespace: *default'"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	stop >/dev/null 2>&1
	start --socket-mode 0666
	chmod 755 "$tmp"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env LBIPAM_SOCKET="$tmp/s.sock" "$LBCTL" get services >"$tmp/res" 2>&1
	ok $? "a user without group lbipam may get"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env LBIPAM_SOCKET="$tmp/s.sock" "$LBCTL" apply -f "$tmp/svc.yaml" >"$tmp/res" 2>&1
	rc=$?
	ok $((rc != 0 ? 0 : 1)) "... but not apply"
	check "... and is told why" grep -q "permission denied" "$tmp/res"
fi
check "final SIGTERM: clean exit (and no leaks)" stop
if grep -q "ERROR: AddressSanitizer\|runtime error" "$tmp/log"; then
	ok 1 "no sanitizer reports"
	grep -A20 "ERROR: AddressSanitizer\|runtime error" "$tmp/log" | sed 's/^/#   /'
else
	ok 0 "no sanitizer reports"
fi
echo "1..$n"
exit $failed
