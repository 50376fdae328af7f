#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The rest of the daemon's contract, in the VM:
#   - sharing key: two Services on different ports share one IP and both
#     work; a third with a clashing port gets a different IP;
#   - permission: a user without group lbipam can get but not apply;
#   - bad YAML, unknown kinds, invalid CIDRs: clear errors naming file,
#     document and field; neither the state nor the kernel changes.

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
lb_plan 17

client=$LB_RUN-client
node=$LB_RUN-node

lb_check "build topology with 2 backends" lb_topology "$LB_RUN" 2
lb_check "servers on be1 :8080 and be2 :8081" lb_serve \
	"$LB_RUN-be1,be1,tcp,4,8080" "$LB_RUN-be2,be2,tcp,4,8081"
# World-connectable socket: access is decided by SO_PEERCRED alone here.
lb_check "lbipamd starts" e2e_start "$node" --socket-mode 0666

# svc NAME PORT BACKEND_IP BACKEND_PORT: a Service with sharing key "k".
svc() {
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: default
  annotations:
    lbipam.cilium.io/sharing-key: k
spec:
  type: LoadBalancer
  ports: [{name: p, port: $2, targetPort: $4}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $1-1
  namespace: default
  labels: {kubernetes.io/service-name: $1}
addressType: IPv4
ports: [{name: p, port: $4, protocol: TCP}]
endpoints:
- addresses: ["$3"]
YAML
}
shared() {
	{
		printf 'apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: p}\nspec:\n  blocks: [{cidr: 20.0.50.0/24}]\n'
		svc a 80 "$BE1_IP" 8080
		svc b 81 "$BE2_IP" 8081
	} | e2e_apply
}
lb_check "apply a pool and Services a (port 80) and b (port 81), key k" shared
ipa=$(e2e_wait_ip default/a '^20\.0\.50\.')
ipb=$(e2e_wait_ip default/b '^20\.0\.50\.')
lb_expect_eq "a and b share one IP" "$ipa" "$ipb"
out=$(lb_tcp "$client" "$ipa" 80 2>&1)
lb_check "$ipa:80 reaches a's backend ($out)" eval '[[ "$out" =~ ^be1\  ]]'
out=$(lb_tcp "$client" "$ipa" 81 2>&1)
lb_check "$ipa:81 reaches b's backend ($out)" eval '[[ "$out" =~ ^be2\  ]]'
lb_check "apply Service c on port 80 with key k" eval 'svc c 80 "$BE2_IP" 8081 | e2e_apply'
ipc=$(e2e_wait_ip default/c '^20\.0\.50\.')
lb_check "c's clashing port gets another IP ($ipc)" eval '[ -n "$ipc" ] && [ "$ipc" != "$ipa" ]'

# Permission.
# nobody runs a copy of lbctl it may execute (the install tree may sit in
# root's home, and a kind node's /tmp is noexec).
lb_tmp_perm() {
	chmod 755 "$LB_TMP"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env LBIPAM_SOCKET="$E2E_SOCK" "$LB_NOBODY_COPY" "$@"
}
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	lb_nobody_copy "$LBCTL" ||
		lb_skip_or_fail "no directory from which user nobody can run a copy of lbctl"
	lb_check "a user without group lbipam can get" lb_tmp_perm get services
	out=$(svc d 90 "$BE1_IP" 8080 | lb_tmp_perm apply -f - 2>&1)
	lb_check "... but not apply ($out)" eval '[[ "$out" == *"permission denied"* ]]'
else
	lb_ok "# SKIP setpriv or user nobody missing"
	lb_ok "# SKIP setpriv or user nobody missing"
fi

# Bad input changes nothing, in the daemon or in the kernel.
lbctl get services -A -o yaml >"$LB_TMP/s1"
e2e_kernel "$node" >"$LB_TMP/k1"
out=$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: e}\nspec:\n  ports: [\n' |
	lbctl apply -f - 2>&1)
lb_check "bad YAML: syntax error with document and line" eval \
	'[[ "$out" == *"<stdin>: document 0: YAML syntax error"*"line "* ]]'
out=$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: e}\nspec: {type: LoadBalancer, ports: [{port: 1}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n' |
	lbctl apply -f - 2>&1)
lb_check "unknown kind: names document 1 and field kind" eval \
	'[[ "$out" == *"<stdin>: document 1: kind: unknown kind '"'"'Ingress'"'"'"* ]]'
out=$(printf 'apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: q}\nspec:\n  blocks: [{cidr: 20.0.60.0/24}, {cidr: 20.0.60.0/33}]\n' |
	lbctl apply -f - 2>&1)
lb_check "invalid CIDR: names spec.blocks[1].cidr" eval \
	'[[ "$out" == *"document 0: spec.blocks[1].cidr: invalid CIDR"* ]]'
lbctl get services -A -o yaml >"$LB_TMP/s2"
lb_check "state unchanged by the rejected applies" diff "$LB_TMP/s1" "$LB_TMP/s2"
lb_check "kernel unchanged by the rejected applies" eval \
	'e2e_kernel "$node" | diff "$LB_TMP/k1" -'
lb_check "kernel table equals the desired state" e2e_same_keys "$node"

lb_exit
