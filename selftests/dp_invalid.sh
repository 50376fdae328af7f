#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packets conntrack finds INVALID in a translated connection (uapi:
# "Conntrack"): out-of-window TCP segments, in both directions, of an
# established connection through the VIP:
#
#   client 192.0.2.2 --> node (lbipam) --> be1 198.51.100.2
#
# NAT leaves a packet without a conntrack entry alone, so without care such
# a segment would leave the node untranslated: to the VIP (where a host
# owning the address answers with a reset), or from be1's own address to
# the client (kube-proxy's "connection reset by peer" of #74839). lbipam
# drops them, as kube-proxy drops INVALID. iptables counters (the kind node
# image has iptables, not nft) see them arrive in the node as INVALID (so
# the test tests something), see that none is forwarded still addressed to
# the VIP, and, in the client, that none arrives from be1's own address;
# the connection itself goes on. (Replies are translated back at
# POSTROUTING, after every iptables chain of the node, hence the client.)

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools jq conntrack iptables python3
lb_plan 9

tsvc="$VIP:$VPORT/tcp"
ctl=$LB_TMP/ctl

lb_check "1 backend, TCP server; TCP service with be1" \
	lb_dp_setup 1 be1/tcp/4 -- "$tsvc=be1"

# ask N: make the long-lived connection send line N; print the echo.
ask() {
	touch "$ctl.$1"
	lb_wait_grep "$LB_TMP/hold" "^reply $1 " >/dev/null 2>&1
	sed -n "s/^reply $1 //p" "$LB_TMP/hold"
}

lb_traffic_bg "$LB_CLIENT" "$LB_TMP/hold" hold -C "$ctl" tcp "$VIP" "$VPORT"
lb_check "long-lived TCP connection established" lb_wait_grep "$LB_TMP/hold" '^greet be1 '
lb_expect_eq "the connection echoes" "be1 msg1" "$(ask 1)"
sport=$(lb_conntrack "$LB_NODE" -p tcp --orig-src "$CLIENT_IP" --orig-dst "$VIP" |
	grep -o 'sport=[0-9]*' | head -n 1 | cut -d= -f2)
lb_diag "the connection's client port: $sport"

# ipt NS ARGS...: iptables in a namespace, waiting for its lock.
ipt() {
	local ns=$1
	shift
	ip netns exec "$ns" iptables -w "$@"
}

# shellcheck disable=SC2317 # called through lb_check
counters() {
	ipt "$LB_NODE" -t mangle -A PREROUTING -m conntrack --ctstate INVALID \
		-d "$VIP" -p tcp --dport "$VPORT" -m comment --comment invalid_in &&
		ipt "$LB_NODE" -t mangle -A PREROUTING -m conntrack --ctstate INVALID \
			-d "$CLIENT_IP" -p tcp --dport "$sport" -m comment --comment invalid_out &&
		ipt "$LB_NODE" -t filter -A FORWARD -d "$VIP" -p tcp --dport "$VPORT" \
			-m comment --comment leak_vip &&
		ipt "$LB_CLIENT" -t raw -A PREROUTING -s "$BE1_IP" -p tcp --sport "$BPORT" \
			-m comment --comment leak_be
}
lb_check "iptables counters in the node and the client" counters

# oow NS SRC SPORT DST DPORT: 20 TCP ACK segments with data and random
# sequence and acknowledgement numbers: out of the connection's window.
# conntrack calls most of them INVALID (a sequence number above the window,
# or an ACK of data not sent yet: 3 in 4) and ignores the others (below the
# window: they keep their entry and are translated as usual).
oow() {
	ip netns exec "$1" python3 - "$2" "$3" "$4" "$5" <<'EOF'
import random, socket, struct, sys
src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
payload = b"out of window\n"
for _ in range(20):
    seq = random.randrange(1 << 32)
    ack = random.randrange(1 << 32)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, 0x18, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    s.sendto(hdr + payload, (dst, 0))
EOF
}

# count NS TABLE CHAIN NAME: packets counted by the rule commented NAME.
count() {
	ipt "$1" -t "$2" -L "$3" -v -x -n | awk -v c="/* $4 */" 'index($0, c) { print $1 }'
}

oow "$LB_CLIENT" "$CLIENT_IP" "$sport" "$VIP" "$VPORT"
oow "$LB_RUN-be1" "$BE1_IP" "$BPORT" "$CLIENT_IP" "$sport"
sleep 1
for dir in in out; do
	inv=$(count "$LB_NODE" mangle PREROUTING "invalid_$dir")
	lb_diag "INVALID in the node, $dir: $inv of 20"
	if [ "${inv:-0}" -ge 1 ]; then
		lb_ok "out-of-window segments ($dir) arrive in the node as INVALID"
	else
		lb_not_ok "out-of-window segments ($dir) arrive in the node as INVALID" \
			"counted $inv" "$(lb_conntrack "$LB_NODE" -p tcp)"
	fi
done
lb_expect_eq "none leaves untranslated to the VIP" 0 "$(count "$LB_NODE" filter FORWARD leak_vip)"
lb_expect_eq "none leaves untranslated from be1's address" 0 "$(count "$LB_CLIENT" raw PREROUTING leak_be)"
lb_expect_eq "the connection still echoes" "be1 msg2" "$(ask 2)"
touch "$ctl.end"

lb_exit
