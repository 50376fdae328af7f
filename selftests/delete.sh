#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Deleting configuration takes effect for new connections:
# - after "backend del" of the only backend, the service still exists and
#   rejects new connections at once: TCP with a reset, UDP with an ICMP port
#   unreachable (both make the client fail with "Connection refused"); a
#   client must never be left waiting for a silently dropped packet;
# - after "service del", the VIP is not translated any more: nothing answers;
# - adding the configuration again makes it work again (no stale state);
# - connections translated before a delete: a TCP flow to VIP:81 keeps
#   flowing after "backend del" of its backend and after "service del"; a
#   (one-way) UDP flow is cut, because lbipam deletes the UDP conntrack
#   entries of a removed backend so that clients do not send into the void.
#
#   client 192.0.2.2 --> node (lbipam) --> be1 198.51.100.2:8080

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_plan 40

client=$LB_RUN-client
node=$LB_RUN-node
be1=$LB_RUN-be1
tcp_svc=$VIP:$VPORT/tcp
udp_svc=$VIP:$VPORT/udp
be=$BE1_IP:$BPORT
answer="be1 $CLIENT_IP"

lb_check "build topology client - node - backend" lb_topology "$LB_RUN" 1
lb_check "backend servers listen on tcp and udp $BPORT" lb_servers "$be1" be1

lb_cfg "service add $tcp_svc" lbctl -N "$node" service add "$tcp_svc"
lb_cfg "backend add $tcp_svc $be" lbctl -N "$node" backend add "$tcp_svc" "$be"
lb_cfg "service add $udp_svc" lbctl -N "$node" service add "$udp_svc"
lb_cfg "backend add $udp_svc $be" lbctl -N "$node" backend add "$udp_svc" "$be"

out=$(lb_tcp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "TCP via VIP works before deleting" "$answer" "$out"
out=$(lb_udp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "UDP via VIP works before deleting" "$answer" "$out"

# Long-lived flows through VIP:81 to sinks on be1:9090.
fsvc=$VIP:81/tcp
fusvc=$VIP:81/udp
fbe=$BE1_IP:9090
lb_check "sinks listen on be1 port 9090" lb_sinks "$be1" 9090
lb_cfg "service add $fsvc" lbctl -N "$node" service add "$fsvc"
lb_cfg "backend add $fsvc $fbe" lbctl -N "$node" backend add "$fsvc" "$fbe"
lb_cfg "service add $fusvc" lbctl -N "$node" service add "$fusvc"
lb_cfg "backend add $fusvc $fbe" lbctl -N "$node" backend add "$fusvc" "$fbe"
lb_check "start TCP and UDP flows to VIP:81" lb_flows "$client" "$VIP" 81
lb_check "flows to VIP:81 pass" lb_growing "$be1" 9090
lb_cfg "backend del $fsvc $fbe" lbctl -N "$node" backend del "$fsvc" "$fbe"
lb_cfg "backend del $fusvc $fbe" lbctl -N "$node" backend del "$fusvc" "$fbe"
# TCP drains naturally; the UDP flow's conntrack entry is deleted with its
# backend (uapi: "Conntrack"), so its next datagrams are refused instead of
# reaching a backend that is gone.
lb_check "established TCP keeps flowing, UDP is cut after backend del" \
	lb_flowing "$be1" 9090 grows stops
lb_cfg "service del $fsvc" lbctl -N "$node" service del "$fsvc"
lb_cfg "service del $fusvc" lbctl -N "$node" service del "$fusvc"
lb_check "established TCP keeps flowing, UDP stays cut after service del" \
	lb_flowing "$be1" 9090 grows stops

# --- the only backend goes away: reject, don't drop ---
lb_cfg "backend del $tcp_svc $be" lbctl -N "$node" backend del "$tcp_svc" "$be"
lb_cfg "backend del $udp_svc $be" lbctl -N "$node" backend del "$udp_svc" "$be"

out=$(lbctl -N "$node" service list 2>&1)
lb_expect_eq "service list keeps both services, without backends" \
	"$(printf '%s\n%s' "$tcp_svc" "$udp_svc")" "$out"

# refused DESC NS tcp|udp: a call from NS to the VIP must be refused at
# once. Its baseline is the same kind of call from NS straight to the
# backend, made just before (load in an emulated VM drifts within seconds).
# A slow answer is retried once with a fresh baseline, so a load spike does
# not fail the test; a reject that is really late is late twice.
refused() {
	local desc=$1 ns=$2 proto=$3 try base
	for try in 1 2; do
		lb_timed "lb_$proto" "$ns" "$BE1_IP" "$BPORT"
		base=$LB_MS
		if [ "$proto" = tcp ]; then
			# A silently dropped SYN would end at the connect
			# timeout, LB_DROP_WAIT, well past the limit.
			lb_timed lb_tcp "$ns" "$VIP" "$VPORT" "$LB_DROP_WAIT"
		else
			lb_timed lb_udp "$ns" "$VIP" "$VPORT"
		fi
		if [ "$LB_MS" -le $((base + LB_FAST_SECS * 1000)) ]; then
			break
		fi
		lb_diag "try $try: ${LB_MS}ms, baseline ${base}ms"
	done
	lb_expect_refused "$desc" "$LB_RC" "$LB_OUT" "$LB_MS" "$base"
}

refused "TCP to a service without backends is reset at once" "$client" tcp
refused "UDP to a service without backends gets port unreachable" "$client" udp
# The same from a process on the node (LOCAL_OUT).
refused "TCP from the node to a service without backends is reset" "$node" tcp

# A backend added back is used again.
lb_cfg "backend add $tcp_svc $be again" lbctl -N "$node" backend add "$tcp_svc" "$be"
lb_cfg "backend add $udp_svc $be again" lbctl -N "$node" backend add "$udp_svc" "$be"
out=$(lb_tcp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "TCP via VIP works after the backend is back" "$answer" "$out"
out=$(lb_udp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "UDP via VIP works after the backend is back" "$answer" "$out"

# --- the service goes away (with its backend): no translation at all ---
lb_cfg "service del $tcp_svc" lbctl -N "$node" service del "$tcp_svc"
lb_cfg "service del $udp_svc" lbctl -N "$node" service del "$udp_svc"

out=$(lbctl -N "$node" -j service list 2>&1 | tr -d ' \t\n')
lb_expect_eq "service list -j is empty" "[]" "$out"

out=$(lb_tcp "$client" "$VIP" "$VPORT" "$LB_SILENT_WAIT" 2>&1)
lb_expect_silent "TCP to a deleted service: nothing answers" tcp $? "$out"
out=$(lb_udp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_silent "UDP to a deleted service: nothing answers" udp $? "$out"

# The backend itself is still up: the silence above is lbipam's doing.
out=$(lb_tcp "$client" "$BE1_IP" "$BPORT" 2>&1)
lb_expect_eq "backend still reachable directly" "$answer" "$out"

# Re-created from scratch, the service works again.
lb_cfg "service add $tcp_svc again" lbctl -N "$node" service add "$tcp_svc"
lb_cfg "backend add $tcp_svc $be after re-adding the service" \
	lbctl -N "$node" backend add "$tcp_svc" "$be"
out=$(lb_tcp "$client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "TCP via VIP works after re-adding the service" "$answer" "$out"

lb_exit
