#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Deleting the last service of a family lets its connections drain, like
# deleting any other service. The namespace has no NAT user but lbipam:
# if lbipam dropped its NAT hooks with its last service, the NAT core would
# drop its own hooks with them and stop translating established connections
# at once (their next packets would go to the VIP untranslated, replies
# would come back un-NATed, and the client would hang or be reset).
#
#   - IPv4: a long-lived TCP connection through the only IPv4 service, which
#     masquerades (so the connection holds a DNAT and an SNAT binding);
#   - IPv6: a long-lived TCP connection through the only IPv6 service.
#
# Each service is deleted while its connection is established; the
# connection must keep echoing through its backend, and a new connection to
# the deleted VIP must no longer be translated.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack
lb_plan 16

svc4="$VIP:$VPORT/tcp"
svc6="[$VIP6]:$VPORT/tcp"

lb_check "topology with 1 backend, TCP servers on be1 (IPv4 and IPv6)" \
	lb_dp_setup 1 be1/tcp/4 be1/tcp/6
lb_cfg "service add $svc4 masquerade" lb_svc "$LB_NODE" "$svc4" masquerade -- \
	"$BE1_IP:$BPORT"
lb_cfg "service add $svc6" lb_svc "$LB_NODE" "$svc6" -- "[$(lb_be6_ip 1)]:$BPORT"

# ask FAMILY N: make that family's connection send line N; print the echo.
ask() {
	touch "$LB_TMP/ctl$1.$2"
	lb_wait_grep "$LB_TMP/hold$1" "^reply $2 " >/dev/null 2>&1
	sed -n "s/^reply $2 //p" "$LB_TMP/hold$1"
}

lb_traffic_bg "$LB_CLIENT" "$LB_TMP/hold4" hold -C "$LB_TMP/ctl4" tcp "$VIP" "$VPORT"
holder4=$LB_PID
lb_traffic_bg "$LB_CLIENT" "$LB_TMP/hold6" hold -C "$LB_TMP/ctl6" tcp "$VIP6" "$VPORT"
holder6=$LB_PID
# Masqueraded: be1 sees the node's address, not the client's.
lb_check "IPv4 connection established, masqueraded" \
	lb_wait_grep "$LB_TMP/hold4" "^greet be1 $NODE_BACKEND_IP\$"
lb_check "IPv6 connection established" \
	lb_wait_grep "$LB_TMP/hold6" "^greet be1 $CLIENT6\$"
lb_expect_eq "IPv4: the connection echoes" "be1 msg1" "$(ask 4 1)"
lb_expect_eq "IPv6: the connection echoes" "be1 msg1" "$(ask 6 1)"

# The IPv4 service is the last of its family; the IPv6 one stays for now.
lb_cfg "service del $svc4 (the last IPv4 service)" lbctl -N "$LB_NODE" service del "$svc4"
lb_expect_eq "IPv4: the established connection still echoes" "be1 msg2" "$(ask 4 2)"
lb_expect_eq "IPv4: and again" "be1 msg3" "$(ask 4 3)"
lb_timed lb_tcp "$LB_CLIENT" "$VIP" "$VPORT" "$LB_SILENT_WAIT"
lb_expect_silent "IPv4: a new connection to the deleted VIP is not translated" \
	tcp "$LB_RC" "$LB_OUT"

lb_cfg "service del $svc6 (the last service of all)" lbctl -N "$LB_NODE" service del "$svc6"
lb_expect_eq "IPv6: the established connection still echoes" "be1 msg2" "$(ask 6 2)"
lb_expect_eq "IPv4: the established connection still echoes" "be1 msg4" "$(ask 4 4)"

touch "$LB_TMP/ctl4.end" "$LB_TMP/ctl6.end"
lb_check "IPv4 client ends cleanly" wait "$holder4"
lb_check "IPv6 client ends cleanly" wait "$holder6"

lb_exit
