#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unloading lbipam and deleting a configured namespace while traffic flows:
#
# 1. Two topologies, A and B, each with TCP and UDP services and a steady
#    TCP and UDP flow from the client through the VIP to the backend.
# 2. rmmod lbipam while the four flows run: rmmod must succeed promptly, the
#    module must be gone, and the kernel log must stay free of warnings.
# 3. modprobe lbipam again: no configuration survives, and the family works
#    (a fresh netns, and A reconfigured translates a new connection).
# 4. With B reconfigured and flowing again, delete B's node netns: A keeps
#    working, the module unloads again and the kernel log stays clean.
#
# Runs only in the test VM: unloading a module on a shared machine would
# pull it from under everyone else (see lb_require_vm).

# Most helpers below are called through lb_check:
# shellcheck disable=SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=rb_lib.sh
source "$(dirname "$0")/rb_lib.sh"

lb_require_root
lb_require_tools ip ss timeout modprobe rmmod dmesg
lb_require_traffic
lb_require_lbctl
lb_require_vm
lb_require_module
lb_plan 31

a=$LB_RUN-a
b=$LB_RUN-b
fresh=$LB_RUN-fresh
svc=$VIP:$VPORT/tcp
usvc=$VIP:$VPORT/udp
# Echo servers (answer and close) listen here; the flows' sinks on BPORT.
EPORT=9090

# configure NS: both services of NS's node point at its be1 sinks.
configure() {
	lbctl -N "$1-node" service add "$svc" &&
		lbctl -N "$1-node" backend add "$svc" "$BE1_IP:$BPORT" &&
		lbctl -N "$1-node" service add "$usvc" &&
		lbctl -N "$1-node" backend add "$usvc" "$BE1_IP:$BPORT"
}

# established NS: a TCP connection from NS to VIP:80 is up.
established() {
	[ -n "$(ip netns exec "$1" ss -Htn state established "dst $VIP:$VPORT")" ]
}

lb_dmesg_mark

lb_check "build topology A" lb_topology "$a" 1
lb_check "build topology B" lb_topology "$b" 1
lb_check "sinks listen in A's backend" lb_sinks "$a-be1" "$BPORT"
lb_check "sinks listen in B's backend" lb_sinks "$b-be1" "$BPORT"
lb_check "echo server listens in A's backend" lb_serve "$a-be1,be1,tcp,4,$EPORT"
lb_check "configure A" configure "$a"
lb_check "configure B" configure "$b"

lb_check "start TCP and UDP flows in A" lb_flows "$a-client" "$VIP" "$VPORT"
lb_check "start TCP and UDP flows in B" lb_flows "$b-client" "$VIP" "$VPORT"
lb_check "A's flows pass the VIP" lb_growing "$a-be1" "$BPORT"
lb_check "B's flows pass the VIP" lb_growing "$b-be1" "$BPORT"
lb_check "A's TCP flow is established to VIP:$VPORT" established "$a-client"

# --- unload under traffic ---
lb_check "rmmod lbipam while traffic flows" rb_unload
lb_check "no kernel warnings after rmmod" rb_dmesg_clean

# The old flows die with their translation; stop them.
lb_ns_kill "$a-client"
lb_ns_kill "$b-client"

# --- load again ---
lb_check "modprobe lbipam again" modprobe lbipam
out=$(lbctl -N "$a-node" -j service list 2>&1 | tr -d ' \t\n')
lb_expect_eq "no configuration survives the reload" "[]" "$out"

lb_check "create a fresh netns" lb_ns_add "$fresh"
lb_cfg "fresh netns: service add $svc" lbctl -N "$fresh" service add "$svc"
lb_cfg "fresh netns: backend add $svc" lbctl -N "$fresh" backend add "$svc" "$BE1_IP:$BPORT"
out=$(lbctl -N "$fresh" service list 2>&1)
lb_expect_eq "fresh netns: service list" "$(printf '%s\n  -> %s' "$svc" "$BE1_IP:$BPORT")" "$out"

lb_cfg "A: service add $svc after reload" lbctl -N "$a-node" service add "$svc"
lb_cfg "A: backend add $svc $BE1_IP:$EPORT" \
	lbctl -N "$a-node" backend add "$svc" "$BE1_IP:$EPORT"
out=$(lb_tcp "$a-client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "A: TCP via VIP translated after reload" "be1 $CLIENT_IP" "$out"

# --- delete a configured netns under traffic ---
lb_check "configure B again" configure "$b"
lb_check "start TCP and UDP flows in B again" lb_flows "$b-client" "$VIP" "$VPORT"
lb_check "B's flows pass the VIP again" lb_growing "$b-be1" "$BPORT"
lb_check "delete B's node netns while traffic flows" ip netns del "$b-node"
out=$(lb_tcp "$a-client" "$VIP" "$VPORT" 2>&1)
lb_expect_eq "A: TCP via VIP still translated after B's node is gone" \
	"be1 $CLIENT_IP" "$out"
lb_ns_kill "$b-client"

lb_check "rmmod lbipam with A and the fresh netns configured" rb_unload
lb_check "modprobe lbipam to leave it loaded" modprobe lbipam
lb_check "no kernel warnings during the whole test" rb_dmesg_clean

lb_exit
