#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The user's walk-through (seed-scenario.md), verbatim YAML, end to end:
#
#   client --> node (lbipamd + lbipam.ko) --> be1, be2
#
# Two pools with the same block 20.0.10.0/24: exactly one is CONFLICTING
# (blue-pool) and the blue Service stays <pending>; blue-pool moves to
# 20.0.20.0/24 and the blue Service gets an IP from it. From the client
# behind the node, the LB IP and the ClusterIP both reach the backends over
# TCP. The daemon's log has the pool-count lines the user read.

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
lb_plan 19

client=$LB_RUN-client
node=$LB_RUN-node

lb_check "build topology with 2 backends" lb_topology "$LB_RUN" 2
lb_check "TCP servers on the backends" lb_serve \
	"$LB_RUN-be1,be1,tcp,4,$BPORT" "$LB_RUN-be2,be2,tcp,4,$BPORT"
lb_check "lbipamd starts in the node namespace" e2e_start "$node"

# Step 1 of the write-up, exactly as written there (shared with the
# daemon's host tests).
pools() {
	e2e_apply <"$LB_SELFTEST_DIR/seed-pools.yaml"
}
lb_check "apply blue-pool and red-pool (same block)" pools

services() {
	e2e_apply <<YAML
apiVersion: v1
kind: Service
metadata:
  name: service-blue
  namespace: default
  labels:
    color: blue
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.10
  selector:
    app: blue
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: service-red
  namespace: default
  labels:
    color: red
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.11
  selector:
    app: red
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: service-blue-x1
  namespace: default
  labels:
    kubernetes.io/service-name: service-blue
addressType: IPv4
ports:
- name: http
  port: $BPORT
  protocol: TCP
endpoints:
- addresses: ["$BE1_IP"]
  conditions: {ready: true}
- addresses: ["$BE2_IP"]
  conditions: {ready: true}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: service-red-x1
  namespace: default
  labels:
    kubernetes.io/service-name: service-red
addressType: IPv4
ports:
- name: http
  port: $BPORT
  protocol: TCP
endpoints:
- addresses: ["$BE2_IP"]
  conditions: {ready: true}
YAML
}
lb_check "apply the blue and red Services with their EndpointSlices" services

lbctl get ippools >"$LB_TMP/pools1" 2>&1
lb_diag "$(cat "$LB_TMP/pools1")"
lb_expect_eq "get ippools: exactly one pool CONFLICTING True" "1" \
	"$(awk 'NR > 1 && $3 == "True"' "$LB_TMP/pools1" | wc -l)"
lb_expect_eq "get ippools: the conflicting pool is blue-pool" "blue-pool" \
	"$(awk 'NR > 1 && $3 == "True" {print $1}' "$LB_TMP/pools1")"
lb_expect_eq "get ippools: header as kubectl" \
	"NAME DISABLED CONFLICTING IPS AVAILABLE AGE" \
	"$(head -n 1 "$LB_TMP/pools1" | tr -s ' ')"

lbctl get services >"$LB_TMP/svc1" 2>&1
lb_diag "$(cat "$LB_TMP/svc1")"
lb_expect_eq "get services: the blue Service is <pending>" "<pending>" \
	"$(awk '$2 == "service-blue" {print $5}' "$LB_TMP/svc1")"
red_ip=$(e2e_svc_ips default/service-red)
lb_check "the red Service got an IP from 20.0.10.0/24 ($red_ip)" \
	test -n "$red_ip" -a "${red_ip%.*}" = 20.0.10

# Step 4: move blue-pool to its own block.
blue2() {
	e2e_apply <<'YAML'
apiVersion: "cilium.io/v2alpha1"
kind: CiliumLoadBalancerIPPool
metadata:
  name: "blue-pool"
spec:
  blocks:
  - cidr: "20.0.20.0/24"
  serviceSelector:
    matchExpressions:
      - {key: color, operator: In, values: [blue, cyan]}
YAML
}
lb_check "apply blue-pool with 20.0.20.0/24" blue2
blue_ip=$(e2e_wait_ip default/service-blue '^20\.0\.20\.[0-9]+$')
lb_check "the blue Service got an IP from 20.0.20.0/24 ($blue_ip)" test -n "$blue_ip"
lbctl get ippools >"$LB_TMP/pools2" 2>&1
lbctl get services >"$LB_TMP/svc2" 2>&1
lb_diag "$(cat "$LB_TMP/pools2")" "$(cat "$LB_TMP/svc2")"
lb_expect_eq "get ippools: no pool conflicts any more" "0" \
	"$(awk 'NR > 1 && $3 == "True"' "$LB_TMP/pools2" | wc -l)"

# Step 5: curl <LB IP> and curl <ClusterIP> from a client behind the node.
out=$(lb_tcp "$client" "$blue_ip" 80 2>&1)
lb_check "TCP to the blue LB IP $blue_ip:80 reaches a backend ($out)" \
	eval '[[ "$out" =~ ^be[12]\  ]]'
out=$(lb_tcp "$client" 10.96.0.10 80 2>&1)
lb_check "TCP to the blue ClusterIP 10.96.0.10:80 reaches a backend ($out)" \
	eval '[[ "$out" =~ ^be[12]\  ]]'
out=$(lb_tcp "$client" "$red_ip" 80 2>&1)
lb_check "TCP to the red LB IP $red_ip:80 reaches be2 ($out)" \
	eval '[[ "$out" =~ ^be2\  ]]'

lb_diag "$(e2e_kernel "$node")"
lb_check "kernel table equals the desired state" e2e_same_keys "$node"
lb_check "log: \"Pool counts of 'blue-pool' changed, patching\"" \
	grep -q "msg=\"Pool counts of 'blue-pool' changed, patching\"" "$E2E_LOG"
lb_check "lbipamd stops cleanly on SIGTERM" e2e_stop TERM

lb_exit
