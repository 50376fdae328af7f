# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Constants and helpers here are used by the sourcing tests:
# shellcheck disable=SC2034
#
# Helpers shared by the data-plane selftests (dp_*.sh). Source after lib.sh.
#
# Why python3 helpers: the VM is emulated (TCG), where starting a process
# costs a good part of a second. Tests that need hundreds or thousands of
# flows, long-lived connections, or servers in many namespaces use one
# python3 process instead of one socat per flow:
#
#   dp_servers SPEC...   one server process for every backend namespace
#                        (it enters each netns with setns() to open that
#                        backend's sockets). TCP and SCTP connections are
#                        greeted with "TAG PEER" and then every line sent is
#                        echoed as "TAG LINE"; every UDP datagram is answered
#                        with "TAG PEER" (and an empty datagram, which ends
#                        the answer for socat's null-eof, as lib.sh's
#                        lb_server_udp). PEER is the client address the
#                        backend sees, as socat's $SOCAT_PEERADDR in lib.sh.
#   dp_cli NS MODE ...   the client (see the usage text in the python code).
#
# Both are written to the private scratch directory at source time, so the
# test files stay self-contained (nothing outside selftests/dp_*.sh).

# IPv6 plan, mirroring lib.sh's IPv4 topology (documentation prefixes).
readonly VIP6=2001:db8:ff::10
readonly CLIENT6=2001:db8:1::2
readonly NODE_CLIENT6=2001:db8:1::1
readonly NODE_BACKEND6=2001:db8:2::1
readonly DP_PY=python3

# Statistics and checks need jq for lbctl's JSON (the stable interface).
dp_require() {
	lb_require
	lb_require_tools "$DP_PY" jq conntrack
}

# dp_topology6 PREFIX [NBACKENDS]: add IPv6 to a topology lb_topology built
# with the same arguments. Backend i gets 2001:db8:2::(i+1). nodad: usable at
# once, no waiting for duplicate address detection.
dp_topology6() {
	local p=$1 n=${2:-1} i be
	local node=$p-node client=$p-client

	ip netns exec "$node" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	ip -n "$client" -6 addr add "$CLIENT6/64" dev eth0 nodad || return 1
	ip -n "$client" -6 route add default via "$NODE_CLIENT6" || return 1
	ip -n "$node" -6 addr add "$NODE_CLIENT6/64" dev c0 nodad || return 1
	for ((i = 1; i <= n; i++)); do
		be=$p-be$i
		ip -n "$node" -6 addr add "$NODE_BACKEND6/128" dev "b$i" nodad || return 1
		ip -n "$node" -6 route add "2001:db8:2::$((i + 1))/128" dev "b$i" \
			src "$NODE_BACKEND6" || return 1
		ip -n "$be" -6 addr add "2001:db8:2::$((i + 1))/64" dev eth0 nodad || return 1
		ip -n "$be" -6 route add default via "$NODE_BACKEND6" || return 1
	done
	# As for IPv4 (see lb_topology): the node needs a route to the VIP
	# for its own connections to reach LOCAL_OUT.
	ip -n "$node" -6 route add default via "$CLIENT6" || return 1
}

# dp_be_ip N: IPv4 address of backend N in lb_topology.
dp_be_ip() {
	echo "198.51.100.$(($1 + 1))"
}

# dp_be6_ip N: IPv6 address of backend N in dp_topology6.
dp_be6_ip() {
	echo "2001:db8:2::$(($1 + 1))"
}

# dp_servers SPEC...: start one server process; SPEC is NS,TAG,PROTO,FAMILY,PORT
# or NS,TAG,PROTO,FAMILY,PORT,ADDR (PROTO tcp|udp|sctp, FAMILY 4|6, ADDR a
# local address to bind instead of the wildcard). Returns when every socket listens, or
# fails after LB_TIMEOUT seconds (the server's error is then in bg.log).
dp_servers() {
	local ready=$LB_TMP/srv.ready.$RANDOM i
	lb_bg "$DP_PY" "$LB_TMP/dp_srv.py" --ready "$ready" "$@"
	for ((i = 0; i < LB_TIMEOUT * 20; i++)); do
		if [ -e "$ready" ]; then
			return 0
		fi
		if ! kill -0 "$LB_PID" 2>/dev/null; then
			echo "server exited:" >&2
			tail -n 20 "$LB_TMP/bg.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "servers not ready after ${LB_TIMEOUT}s" >&2
	return 1
}

# dp_cli NS ARGS...: run the python client in NS.
dp_cli() {
	local ns=$1
	shift
	ip netns exec "$ns" "$DP_PY" "$LB_TMP/dp_cli.py" "$@"
}

# dp_bg_cli NS OUTFILE ARGS...: the client in the background, its output in
# OUTFILE (line-buffered: the test watches it). Sets LB_PID.
dp_bg_cli() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$DP_PY" -u "$LB_TMP/dp_cli.py" "$@" >"$out" 2>&1 &
	LB_PID=$!
	_lb_pids+=("$LB_PID")
}

# dp_wait_grep FILE ERE [SECS]: poll until a line of FILE matches.
dp_wait_grep() {
	local f=$1 re=$2 t=${3:-$LB_TIMEOUT} i
	for ((i = 0; i < t * 10; i++)); do
		if grep -Eq -- "$re" "$f" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "no line matching '$re' in $f after ${t}s:" >&2
	tail -n 20 "$f" >&2
	return 1
}

# dp_tcp6 / dp_udp6 NS ADDR PORT [TIMEOUT]: lb_tcp and lb_udp for IPv6.
dp_tcp6() {
	local t=${4:-$LB_TIMEOUT}
	timeout $((t + 2)) ip netns exec "$1" \
		socat -t "$t" - "TCP6:[$2]:$3,connect-timeout=$t" </dev/null
}

dp_udp6() {
	echo ping | timeout $((LB_UDP_WAIT + LB_TIMEOUT)) ip netns exec "$1" \
		socat -t "$LB_UDP_WAIT" - "UDP6:[$2]:$3,null-eof"
}

# dp_tcp_from NS SRC ADDR PORT [TIMEOUT]: lb_tcp from a given source address.
dp_tcp_from() {
	local t=${5:-$LB_TIMEOUT}
	timeout $((t + 2)) ip netns exec "$1" \
		socat -t "$t" - "TCP4:$3:$4,bind=$2,connect-timeout=$t" </dev/null
}

# dp_stat NS SERVICE JQ_PATH: one counter from `lbctl -j stats SERVICE`,
# e.g. dp_stat ns 203.0.113.10:80/tcp .stats.conns, or
# '.backends[] | select(.address=="198.51.100.2") | .stats.conns'.
dp_stat() {
	lbctl -N "$1" -j stats "$2" | jq -r "if type == \"array\" then .[0] else . end | $3"
}

# dp_count WORD: how many lines of stdin have WORD as their second field (the
# backend tag in dp_cli's "PORT TAG" output).
dp_count() {
	awk -v w="$1" '$2 == w { n++ } END { print n + 0 }'
}

# dp_conntrack NS ARGS...: conntrack -L in NS, without the summary line.
dp_conntrack() {
	local ns=$1
	shift
	ip netns exec "$ns" conntrack -L "$@" 2>/dev/null
}

# ------------------------------------------------------------ python ---

cat >"$LB_TMP/dp_srv.py" <<'EOF'
"""Backend servers for many network namespaces in one process.

Each NS,TAG,PROTO,FAMILY,PORT[,ADDR] opens a socket in netns NS (a name
under /run/netns): setns() switches this (single-threaded) process, and a
socket keeps the namespace it was made in. TCP/SCTP: greet with "TAG PEER",
then echo each line as "TAG LINE". UDP: answer each datagram "TAG PEER".
"""
import argparse
import ctypes
import os
import selectors
import socket
import sys

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), name)
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready", required=True)
    ap.add_argument("listen", nargs="+")
    args = ap.parse_args()
    sel = selectors.DefaultSelector()
    for spec in args.listen:
        ns, tag, proto, fam, port, *bind = spec.split(",")
        setns(ns)
        af = socket.AF_INET6 if fam == "6" else socket.AF_INET
        if proto == "udp":
            s = socket.socket(af, socket.SOCK_DGRAM)
        elif proto == "sctp":
            s = socket.socket(af, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
        else:
            s = socket.socket(af, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if af == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if bind:
            addr = bind[0]
        else:
            addr = "::" if af == socket.AF_INET6 else "0.0.0.0"
        s.bind((addr, int(port)))
        if proto == "udp":
            sel.register(s, selectors.EVENT_READ, ("udp", tag, None))
        else:
            s.listen(128)
            sel.register(s, selectors.EVENT_READ, ("listen", tag, None))
    with open(args.ready, "w") as f:
        f.write("ready\n")
    while True:
        for key, _ in sel.select():
            kind, tag, buf = key.data
            s = key.fileobj
            try:
                if kind == "udp":
                    _, peer = s.recvfrom(65535)
                    s.sendto(("%s %s\n" % (tag, peer[0])).encode(), peer)
                    # An empty datagram ends the answer: socat's
                    # null-eof (lib.sh's lb_udp) then returns at once.
                    s.sendto(b"", peer)
                elif kind == "listen":
                    c, peer = s.accept()
                    c.sendall(("%s %s\n" % (tag, peer[0])).encode())
                    sel.register(c, selectors.EVENT_READ,
                                 ("conn", tag, bytearray()))
                else:
                    data = s.recv(65535)
                    if not data:
                        sel.unregister(s)
                        s.close()
                        continue
                    buf += data
                    while b"\n" in buf:
                        line, _, rest = bytes(buf).partition(b"\n")
                        buf[:] = rest
                        s.sendall(tag.encode() + b" " + line + b"\n")
            except OSError as e:
                # A reset connection must not end the server.
                print("dp_srv: %s: %s" % (tag, e), file=sys.stderr)
                if kind == "conn":
                    sel.unregister(s)
                    s.close()


main()
EOF

cat >"$LB_TMP/dp_cli.py" <<'EOF'
"""Clients for the data-plane selftests.

udp ADDR PORT --count N [--sport-base B]
    N UDP flows, each from its own socket (source port B+i, or ephemeral),
    connected to ADDR:PORT so only answers from exactly ADDR:PORT count.
    Prints "SPORT TAG" per flow; TAG is "refused" after an ICMP error, "-"
    without any answer (after --tries sends, --wait seconds each).
    With --ms, a third field: milliseconds from the flow's first datagram to
    its answer or error (measured here, so process start-up in a loaded VM
    does not count).
tcp ADDR PORT --count N [--proto tcp|sctp]
    N connections one after the other; prints "SPORT TAG" (first word of the
    greeting), or "SPORT refused" / "SPORT timeout" / "SPORT error:..".
    With --ms, a third field: milliseconds the connection attempt took.
    With --peer, the whole greeting: "SPORT TAG PEER".
hold-tcp ADDR PORT --ctl PREFIX [--proto tcp|sctp]
    One long-lived connection: prints "greet LINE", then for N = 1, 2, ...
    waits for the file PREFIX.N, sends "msgN" and prints "reply N LINE"
    (or "reply N error ..."). Ends when PREFIX.end exists.
hold-udp ADDR PORT --sport S [--interval SECS] [--ctl PREFIX]
    One UDP flow from source port S: sends a datagram every interval and
    prints "answer SEQ TAG PEER" per answer, "refused SEQ" per ICMP error.
    Ends when PREFIX.end exists.
"""
import argparse
import os
import select
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def any_addr(af):
    return "::" if af == socket.AF_INET6 else "0.0.0.0"


def udp_flows(a):
    af = family(a.addr)
    res = {}
    took = {}
    order = []
    batch = 400
    for start in range(0, a.count, batch):
        socks = {}
        for i in range(start, min(a.count, start + batch)):
            s = socket.socket(af, socket.SOCK_DGRAM)
            if a.sport_base:
                s.bind((any_addr(af), a.sport_base + i))
            s.connect((a.addr, a.port))
            s.setblocking(False)
            sport = s.getsockname()[1]
            socks[s.fileno()] = (s, sport)
            order.append(sport)
        pending = dict(socks)
        t0 = time.monotonic()
        for _ in range(a.tries):
            for fd, (s, sport) in list(pending.items()):
                try:
                    s.send(b"%d\n" % sport)
                except ConnectionRefusedError:
                    res[sport] = "refused"
                    took[sport] = time.monotonic() - t0
                    del pending[fd]
                except BlockingIOError:
                    pass
            poll = select.poll()
            for fd in pending:
                poll.register(fd, select.POLLIN)
            deadline = time.monotonic() + a.wait
            while pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                for fd, _ in poll.poll(left * 1000):
                    if fd not in pending:
                        continue
                    s, sport = pending[fd]
                    try:
                        data = s.recv(2048)
                        if not data:
                            continue  # the end marker of an answer
                        res[sport] = data.split()[0].decode()
                    except ConnectionRefusedError:
                        res[sport] = "refused"
                    except BlockingIOError:
                        continue
                    took[sport] = time.monotonic() - t0
                    del pending[fd]
                    poll.unregister(fd)
            if not pending:
                break
        for s, _ in socks.values():
            s.close()
    for sport in order:
        ms = " %d" % (took.get(sport, time.monotonic() - t0) * 1000) if a.ms else ""
        print("%d %s%s" % (sport, res.get(sport, "-"), ms))


def connect(a, af):
    proto = socket.IPPROTO_SCTP if a.proto == "sctp" else 0
    s = socket.socket(af, socket.SOCK_STREAM, proto)
    if proto:
        # SCTP ignores an ICMP port unreachable during its handshake unless
        # asked to report it (IP_RECVERR); TCP needs no help (reset).
        if af == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, 25, 1)  # IPV6_RECVERR
        else:
            s.setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR
    s.settimeout(a.timeout)
    s.connect((a.addr, a.port))
    return s


def readline(s):
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(1)
        if not d:
            break
        buf += d
    return buf.decode().strip()


def tcp_conns(a):
    af = family(a.addr)
    for _ in range(a.count):
        sport = 0
        t0 = time.monotonic()
        try:
            s = connect(a, af)
            sport = s.getsockname()[1]
            line = readline(s)
            s.close()
            tag = line.split()[0] if line else "empty"
            if a.peer and line:
                tag = line  # "TAG PEER"
        except ConnectionRefusedError:
            tag = "refused"
        except socket.timeout:
            tag = "timeout"
        except OSError as e:
            tag = "error:%s" % e.strerror
        ms = " %d" % ((time.monotonic() - t0) * 1000) if a.ms else ""
        print("%d %s%s" % (sport, tag, ms), flush=True)


def hold_tcp(a):
    s = connect(a, family(a.addr))
    print("greet", readline(s), flush=True)
    n = 1
    while not os.path.exists(a.ctl + ".end"):
        if os.path.exists("%s.%d" % (a.ctl, n)):
            try:
                s.sendall(b"msg%d\n" % n)
                print("reply %d %s" % (n, readline(s)), flush=True)
            except OSError as e:
                print("reply %d error %s" % (n, e), flush=True)
            n += 1
            continue
        time.sleep(0.1)


def hold_udp(a):
    af = family(a.addr)
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.bind((any_addr(af), a.sport))
    s.connect((a.addr, a.port))
    s.setblocking(False)
    seq = 0
    while not (a.ctl and os.path.exists(a.ctl + ".end")):
        seq += 1
        try:
            s.send(b"%d\n" % seq)
        except ConnectionRefusedError:
            print("refused", seq, flush=True)
        deadline = time.monotonic() + a.interval
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                continue
            try:
                data = s.recv(2048)
                if data:  # not the empty end marker
                    print("answer", seq, data.decode().strip(), flush=True)
            except ConnectionRefusedError:
                print("refused", seq, flush=True)
            except BlockingIOError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--sport-base", type=int, default=0)
    ap.add_argument("--sport", type=int, default=0)
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--proto", default="tcp")
    ap.add_argument("--ctl", default="")
    ap.add_argument("--ms", action="store_true")
    ap.add_argument("--peer", action="store_true")
    a = ap.parse_args()
    {"udp": udp_flows, "tcp": tcp_conns, "hold-tcp": hold_tcp,
     "hold-udp": hold_udp}[a.mode](a)


main()
EOF
