#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Node IPAM: a dual-stack Service of class io.cilium/node gets the node's
# own addresses (from its Node object) as its ingress, and lbipam.ko serves
# them on the Service's port: a client reaches a backend at NODE:80 over
# IPv4 and IPv6, the node itself too (LOCAL_OUT), while the node's other
# ports stay the node's. Labelling the Node
# exclude-from-external-load-balancers empties the ingress and the client
# no longer reaches a backend.
#
#   client --> 192.0.2.1:80, [2001:db8:1::1]:80
#              node (lbipamd --enable-node-ipam + lbipam.ko) --> be1, be2

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
lb_plan 20

client=$LB_RUN-client
node=$LB_RUN-node
# The node's own addresses on the client's segment: its Node InternalIPs.
NODE_IP=$NODE_CLIENT_IP
NODE_IP6=$NODE_CLIENT6
BE1_6=$(lb_be6_ip 1)
BE2_6=$(lb_be6_ip 2)
# A port of the node's own, not the Service's.
OWN_PORT=2222

# node_obj LABELS: the Node object of this node, with its real address.
node_obj() {
	e2e_apply <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels: {kubernetes.io/hostname: $node$1}
status:
  addresses:
  - {type: InternalIP, address: "$NODE_IP"}
  - {type: InternalIP, address: "$NODE_IP6"}
  - {type: Hostname, address: "$node"}
YAML
}

pool() {
	e2e_apply <<YAML
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: p}
spec:
  blocks: [{cidr: 20.0.0.0/24}]
YAML
}

# slice NAME FAMILY ADDR1 ADDR2: a document of web's EndpointSlice NAME,
# both endpoints ready on this node.
slice() {
	cat <<YAML
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: $2
ports:
- {name: http, port: $BPORT, protocol: TCP}
endpoints:
- addresses: ["$3"]
  nodeName: $node
- addresses: ["$4"]
  nodeName: $node
YAML
}

svc_and_slice() {
	{
		cat <<YAML
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: LoadBalancer
  loadBalancerClass: io.cilium/node
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv4, IPv6]
  clusterIP: 10.96.0.30
  ports:
  - {name: http, port: 80, targetPort: $BPORT}
YAML
		slice web-1 IPv4 "$BE1_IP" "$BE2_IP"
		slice web-2 IPv6 "$BE1_6" "$BE2_6"
	} | e2e_apply
}

# backends NS ADDR: which backends answer NS's connections to ADDR:80.
backends() {
	local i seen=" "
	# Up to 40 connections, until both have answered: with two backends
	# picked at random, 6 fixed tries all met the same one 1 time in 32.
	for ((i = 0; i < 40; i++)); do
		seen+="$(lb_tcp "$1" "$2" 80 2>&1 | awk '{print $1}') "
		[[ "$seen" == *" be1 "* && "$seen" == *" be2 "* ]] && break
	done
	tr ' ' '\n' <<<"$seen" | sed '/^$/d' | sort -u | tr '\n' ' '
}

# wait_ingress WANT: until the Service's ingress is WANT ("" for none).
wait_ingress() {
	local i got
	for ((i = 0; i < LB_TIMEOUT * 10; i++)); do
		got=$(e2e_svc_ips default/web)
		[ "$got" = "$1" ] && return 0
		sleep 0.1
	done
	echo "ingress is '$got', want '$1'" >&2
	return 1
}

lb_check "build a dual-stack topology with 2 backends" eval \
	'lb_topology "$LB_RUN" 2 && lb_topology6 "$LB_RUN" 2'
lb_check "servers on the backends and on the node's own port" eval \
	'lb_serve "$LB_RUN-be1,be1,tcp,4,$BPORT" "$LB_RUN-be2,be2,tcp,4,$BPORT" \
		"$LB_RUN-be1,be1,tcp,6,$BPORT" "$LB_RUN-be2,be2,tcp,6,$BPORT" \
		"$node,nodeself,tcp,4,$OWN_PORT"'
lb_check "lbipamd --enable-node-ipam starts" e2e_start "$node" \
	--node-name "$node" --enable-node-ipam
lb_check "a pool too: it must not serve the io.cilium/node Service" pool
lb_check "the Node object with its InternalIPs $NODE_IP, $NODE_IP6" node_obj ""
lb_check "the dual-stack io.cilium/node Service and its slices" svc_and_slice
lb_check "the ingress is exactly the node's addresses" wait_ingress "$NODE_IP $NODE_IP6"
out=$(lbctl get services -n default web -o json |
	jq -c '[.status.loadBalancer.ingress, (.status.conditions // [])]')
lb_expect_eq "status: those two, no LB-IPAM condition" \
	"[[{\"ip\":\"$NODE_IP\"},{\"ip\":\"$NODE_IP6\"}],[]]" "$out"
out=$(lbctl get services -n default | awk '$2 == "web" {print $5}')
lb_expect_eq "get services: EXTERNAL-IP is the node's addresses" "$NODE_IP,$NODE_IP6" "$out"
out=$(lbctl get nodes -o wide | awk -v n="$node" '$1 == n {print $3, $4}')
lb_expect_eq "get nodes -o wide: INTERNAL-IP and EXTERNAL-IP" "$NODE_IP,$NODE_IP6 <none>" "$out"
lb_diag "$(e2e_kernel "$node")"
lb_check "the kernel serves the node's addresses and the clusterIP, nothing else" eval \
	'[ "$(e2e_kernel_keys "$node" | tr "\n" " ")" = "10.96.0.30:80/tcp $NODE_IP:80/tcp $NODE_IP6:80/tcp " ]'

out=$(backends "$client" "$NODE_IP")
lb_expect_eq "the client reaches both backends at $NODE_IP:80" "be1 be2 " "$out"
out=$(backends "$client" "$NODE_IP6")
lb_expect_eq "and at [$NODE_IP6]:80" "be1 be2 " "$out"
out=$(backends "$node" "$NODE_IP")
lb_expect_eq "so does the node itself (LOCAL_OUT)" "be1 be2 " "$out"
out=$(backends "$node" "$NODE_IP6")
lb_expect_eq "so does the node itself over IPv6" "be1 be2 " "$out"
out=$(lb_tcp "$client" "$NODE_IP" "$OWN_PORT" 2>&1)
lb_check "the node's own port stays the node's ($out)" eval '[[ "$out" =~ ^nodeself\  ]]'

lb_check "the Node labelled exclude-from-external-load-balancers" \
	node_obj ", node.kubernetes.io/exclude-from-external-load-balancers: ''"
lb_check "the ingress empties" wait_ingress ""
lb_timed lb_tcp "$client" "$NODE_IP" 80
lb_check "the client gets no backend at $NODE_IP:80 ($LB_OUT)" eval \
	'[ "$LB_RC" -ne 0 ] && ! grep -q "^be" <<<"$LB_OUT"'
lb_timed lb_tcp "$client" "$NODE_IP6" 80
lb_check "nor at [$NODE_IP6]:80 ($LB_OUT)" eval \
	'[ "$LB_RC" -ne 0 ] && ! grep -q "^be" <<<"$LB_OUT"'

lb_exit
