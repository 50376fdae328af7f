#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Namespace deletion and module unload under load (issue 3, robustness (2)):
#
# Three topologies A, B, C, each with TCP and UDP services on VIP:80 (plus
# 1000 idle services, so there is a table to tear down) and, from each
# client, a TCP stream and a UDP flood through the VIP (ping-pong as fast
# as the echo server answers), A also a TCP line every 100 ms.
# B's and C's UDP services schedule every datagram on its own (one-packet:
# a conntrack template per datagram, entries in a backend's zone), so that
# deletion and unload also meet datagrams holding the module's templates.
#
# 1. `ip netns del` B's node while everything flows: A's and C's flows keep
#    passing (B's die with its node).
# 2. `rmmod lbipam` while A's and C's flows run: it succeeds within 60 s,
#    the module is gone, the kernel logged no warning.
# 3. `modprobe lbipam` again: nothing survived; a fresh configuration in A
#    translates new TCP and UDP flows.
#
# Runs only in the test VM (it unloads the module: see lb_require_vm).

# Helpers below are called through lb_check:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=rb_lib.sh
source "$(dirname "$0")/rb_lib.sh"

lb_require_root
lb_require_tools ip ss timeout awk tail modprobe rmmod dmesg
lb_require_traffic
lb_require_lbctl
lb_require_vm
lb_require_module
lb_plan 17

svc=$VIP:$VPORT/tcp
usvc=$VIP:$VPORT/udp
a=$LB_RUN-a
b=$LB_RUN-b
c=$LB_RUN-c

awk 'BEGIN { for (i = 0; i < 1000; i++)
	printf "service add 10.1.%d.%d:%d/%s\n", i / 250, i % 250, 80 + i % 3, (i % 2 ? "udp" : "tcp") }' \
	>"$LB_TMP/idle.batch"

# setup P [UDP_OPTION...]: topology, echo server, services, flows.
setup() {
	local p=$1
	shift
	lb_topology "$p" 1 || return 1
	rb_echo "$p-be1" "$BPORT" || return 1
	lbctl -N "$p-node" -b - <<B || return 1
service add $svc
backend add $svc $BE1_IP:$BPORT
service add $usvc $*
backend add $usvc $BE1_IP:$BPORT
B
	lbctl -N "$p-node" -b "$LB_TMP/idle.batch"
}

lb_dmesg_mark
lb_check "set up A" setup "$a"
lb_check "set up B (UDP one-packet)" setup "$b" one-packet
lb_check "set up C (UDP one-packet)" setup "$c" one-packet
for p in a b c; do
	eval "ns=\$$p"
	rb_flow "${p}_stream" "$ns-client" tcp "$VIP" "$VPORT" 0
	rb_flow "${p}_flood" "$ns-client" udp "$VIP" "$VPORT" 0
done
rb_flow a_slow "$a-client" tcp "$VIP" "$VPORT" 0.1
lb_check "all seven flows pass their VIP" \
	rb_growing a_stream a_flood a_slow b_stream b_flood c_stream c_flood

# --- 1. delete B's node netns under traffic ---
lb_check "ip netns del B's node while its flows run" ip netns del "$b-node"
lb_check "A's and C's flows keep passing" \
	rb_growing a_stream a_flood a_slow c_stream c_flood
lb_check "no kernel warnings after deleting a busy netns" rb_dmesg_clean

# --- 2. rmmod under traffic ---
lb_check "A's and C's flows pass right before rmmod" \
	rb_growing a_stream a_flood a_slow c_stream c_flood
lb_timed rb_unload
lb_result "$LB_RC" "rmmod lbipam while A's and C's flows run" "$LB_OUT"
lb_diag "rmmod took ${LB_MS} ms"
lb_check "no kernel warnings after rmmod" rb_dmesg_clean
# Not a check: with the translation gone the flows stall (or, with their
# NAT bindings still in conntrack, go on). Just stop them.
rb_flows_stop a_stream a_flood a_slow b_stream b_flood c_stream c_flood
lb_diag "A's slow TCP flow: $(cat "$LB_TMP/a_slow.json" 2>/dev/null)"
for f in a_stream a_flood c_stream c_flood; do
	rb_answers n "$f"
	lb_diag "$f: $n answers"
done

# --- 3. load again ---
lb_check "modprobe lbipam again" modprobe lbipam
out=$(lbctl -N "$a-node" -j service list 2>&1 | tr -d ' \t\n')
lb_expect_eq "no configuration survives the reload" "[]" "$out"
lb_check "configure A afresh" lbctl -N "$a-node" -b - <<B
service add $svc
backend add $svc $BE1_IP:$BPORT
service add $usvc
backend add $usvc $BE1_IP:$BPORT
B
# Conntrack entries made while nothing translated may linger (TCP in
# SYN_SENT, UDP unreplied): new flows from new source ports need none of
# them.
lb_check "A: a new TCP connection is translated after the reload" \
	rb_probe "$a-client" tcp "$VIP" "$VPORT"
lb_check "A: a new UDP flow is translated after the reload" \
	rb_probe "$a-client" udp "$VIP" "$VPORT"
lb_check "C's node was reset too (empty list)" \
	eval "[ \"\$(lbctl -N '$c-node' -j service list | tr -d ' \t\n')\" = '[]' ]"
lb_check "no kernel warnings during the whole test" rb_dmesg_clean

lb_exit
