#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Dual stack: a RequireDualStack Service from a pool that mixes an IPv4
# and an IPv6 block gets one address of each family, and both reach the
# backends end to end (and so do its two ClusterIPs).
#
#   client --> node (lbipamd + lbipam.ko) --> be1, be2   (IPv4 + IPv6)

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
lb_plan 9

client=$LB_RUN-client
node=$LB_RUN-node
BE1_6=$(lb_be6_ip 1)
BE2_6=$(lb_be6_ip 2)

lb_check "dual-stack topology with 2 backends, TCP servers on both families" \
	lb_dp_setup 2 all/tcp/4 all/tcp/6
lb_check "lbipamd starts" e2e_start "$node"

objects() {
	e2e_apply <<YAML
apiVersion: "cilium.io/v2alpha1"
kind: CiliumLoadBalancerIPPool
metadata:
  name: mixed-pool
spec:
  blocks:
    - cidr: "20.0.30.0/24"
    - cidr: "2004::/112"
---
apiVersion: v1
kind: Service
metadata:
  name: dual
  namespace: default
spec:
  type: LoadBalancer
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv4, IPv6]
  clusterIP: 10.96.0.30
  clusterIPs: [10.96.0.30, "fd00:96::30"]
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: $BPORT}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dual-v4
  namespace: default
  labels: {kubernetes.io/service-name: dual}
addressType: IPv4
ports: [{name: http, port: $BPORT, protocol: TCP}]
endpoints:
- addresses: ["$BE1_IP"]
- addresses: ["$BE2_IP"]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dual-v6
  namespace: default
  labels: {kubernetes.io/service-name: dual}
addressType: IPv6
ports: [{name: http, port: $BPORT, protocol: TCP}]
endpoints:
- addresses: ["$BE1_6"]
- addresses: ["$BE2_6"]
YAML
}
lb_check "apply the mixed pool, the Service and its two slices" objects
ips=$(e2e_wait_ip default/dual '^20\.0\.30\.[0-9]+ 2004::')
lb_diag "$(lbctl get services -o wide)"
ip4=${ips%% *}
ip6=${ips#* }
lb_check "one IPv4 and one IPv6 address ($ips)" test -n "$ips"

out=$(lb_tcp "$client" "$ip4" 80 2>&1)
lb_check "TCP to $ip4:80 reaches a backend ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'
out=$(lb_tcp "$client" "$ip6" 80 2>&1)
lb_check "TCP to [$ip6]:80 reaches a backend ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'
out=$(lb_tcp "$client" 10.96.0.30 80 2>&1)
lb_check "TCP to the IPv4 ClusterIP reaches a backend ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'
out=$(lb_tcp "$client" fd00:96::30 80 2>&1)
lb_check "TCP to the IPv6 ClusterIP reaches a backend ($out)" eval '[[ "$out" =~ ^be[12]\  ]]'
lb_diag "$(e2e_kernel "$node")"
lb_check "kernel table equals the desired state" e2e_same_keys "$node"

lb_exit
