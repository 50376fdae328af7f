#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input is refused with a clear message and changes nothing:
# malformed addresses, a missing port or protocol, an unknown protocol,
# ports 0 and 65536, duplicates, deleting what does not exist, a backend
# for a service that does not exist, and a caller without CAP_NET_ADMIN.
#
# Per the lbctl contract: errors go to stderr as "lbctl: ...", exit 1 for
# usage/parse errors, 2 for errors the kernel reports (with its extack
# message). Each case checks the exit code, that stdout is empty and that
# the message names the problem. At the end, the configuration listed by
# lbctl must be byte-identical to the one before.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools setpriv
lb_plan 36

node=$LB_RUN-node
svc=$VIP:$VPORT/tcp
usvc=$VIP:$VPORT/udp
be=$BE1_IP:$BPORT

# lb_expect_error DESC RC PATTERN CMD...: CMD must exit with RC (or, for
# RC "nz", any non-zero status), print nothing on stdout, and print on
# stderr a line starting with "lbctl:" that matches the extended regular
# expression PATTERN (case-insensitive).
lb_expect_error() {
	local desc=$1 want=$2 pat=$3 rc why=
	shift 3
	"$@" >"$LB_TMP/stdout" 2>"$LB_TMP/stderr"
	rc=$?
	if [ "$want" = nz ] && [ $rc -eq 0 ]; then
		why="exit 0, want non-zero"
	elif [ "$want" != nz ] && [ $rc -ne "$want" ]; then
		why="exit $rc, want $want"
	elif [ -s "$LB_TMP/stdout" ]; then
		why="unexpected output on stdout"
	elif ! grep -q '^lbctl: ' "$LB_TMP/stderr"; then
		why="no 'lbctl: ...' message on stderr"
	elif ! grep '^lbctl: ' "$LB_TMP/stderr" | grep -Eqi -- "$pat"; then
		why="message does not match /$pat/"
	fi
	if [ -z "$why" ]; then
		lb_ok "$desc"
		lb_diag "$(head -n 1 "$LB_TMP/stderr")"
	else
		lb_not_ok "$desc" "command: $*" "$why" \
			"stdout: $(cat "$LB_TMP/stdout")" "stderr: $(cat "$LB_TMP/stderr")"
	fi
}

# "lbctl -N NS ..." for the cases below.
nlbctl() {
	lbctl -N "$node" "$@"
}

# The unprivileged caller runs a copy of lbctl that nobody can execute: a
# failing exec would also say "Permission denied".
lb_nobody_copy "$LBCTL" ||
	lb_skip_or_fail "no directory from which user nobody can run a copy of lbctl"
# shellcheck disable=SC2317 # called through lb_expect_error
nobody() {
	ip netns exec "$node" setpriv --reuid=65534 --regid=65534 --clear-groups \
		-- "$LB_NOBODY_COPY" "$@"
}

lb_check "create node netns" lb_ns_add "$node"
lb_cfg "service add $svc" nlbctl service add "$svc"
lb_cfg "backend add $svc $be" nlbctl backend add "$svc" "$be"
lb_cfg "service add $usvc" nlbctl service add "$usvc"

nlbctl -j service list >"$LB_TMP/before.json"
nlbctl service list >"$LB_TMP/before.txt"

# Parsing: lbctl itself must refuse these (exit 1).
lb_expect_error "service add 300.1.1.1:80/tcp: bad address" \
	1 'address' nlbctl service add 300.1.1.1:80/tcp
lb_expect_error "service add 1.2.3.4/tcp: no port" \
	1 'port' nlbctl service add 1.2.3.4/tcp
lb_expect_error "service add 1.2.3.4:80: no protocol" \
	1 'proto' nlbctl service add 1.2.3.4:80
lb_expect_error "service add [::1:80/tcp: unterminated IPv6 address" \
	1 '\]|bracket|ipv6' nlbctl service add '[::1:80/tcp'
lb_expect_error "service add abc: not a service" \
	1 "abc" nlbctl service add abc
lb_expect_error "service add 1.2.3.4:80/icmp: unknown protocol" \
	1 'proto' nlbctl service add 1.2.3.4:80/icmp
lb_expect_error "service add 1.2.3.4:0/tcp: port 0" \
	1 'port' nlbctl service add 1.2.3.4:0/tcp
lb_expect_error "service add 1.2.3.4:65536/tcp: port 65536" \
	1 'port' nlbctl service add 1.2.3.4:65536/tcp
lb_expect_error "service del 1.2.3.4:99999/udp: port out of range" \
	1 'port' nlbctl service del 1.2.3.4:99999/udp
lb_expect_error "backend add $svc 198.51.100.9: backend without port" \
	1 'port' nlbctl backend add "$svc" 198.51.100.9
lb_expect_error "backend add $svc 198.51.100.9:0: backend port 0" \
	1 'port' nlbctl backend add "$svc" 198.51.100.9:0
lb_expect_error "backend add $svc 198.51.100.9:65536: backend port 65536" \
	1 'port' nlbctl backend add "$svc" 198.51.100.9:65536
lb_expect_error "backend add $svc 300.1.1.1:80: bad backend address" \
	1 'address' nlbctl backend add "$svc" 300.1.1.1:80
lb_expect_error "service add without a service: usage error" \
	1 'service' nlbctl service add
lb_expect_error "backend add without a backend: usage error" \
	1 'backend' nlbctl backend add "$svc"

# Refused by the kernel, or by lbctl before it gets there: an IPv4
# service takes no IPv6 backend.
lb_expect_error "backend add $svc [2001:db8::2]:8080: address family mismatch" \
	nz 'famil|ipv6' nlbctl backend add "$svc" '[2001:db8::2]:8080'

# Refused by the kernel (exit 2, extack message).
lb_expect_error "backend replace $svc with $be twice: listed twice" \
	2 'twice' nlbctl backend replace "$svc" "$be" "$be"
lb_expect_error "backend set $svc $BE2_IP:$BPORT: no such backend" \
	2 'no such' nlbctl backend set "$svc" "$BE2_IP:$BPORT" weight 2
lb_expect_error "service add $svc twice: already exists" \
	2 'exist' nlbctl service add "$svc"
lb_expect_error "backend add $svc $be twice: already exists" \
	2 'exist' nlbctl backend add "$svc" "$be"
lb_expect_error "service del $VIP2:$VPORT/tcp: no such service" \
	2 'no such|not found|does not exist' nlbctl service del "$VIP2:$VPORT/tcp"
lb_expect_error "service del $VIP:81/tcp: no such service (other port)" \
	2 'no such|not found|does not exist' nlbctl service del "$VIP:81/tcp"
lb_expect_error "backend del $svc $BE2_IP:$BPORT: no such backend" \
	2 'no such|not found|does not exist' nlbctl backend del "$svc" "$BE2_IP:$BPORT"
lb_expect_error "backend del $usvc $be: service has no backends" \
	2 'no such|not found|does not exist' nlbctl backend del "$usvc" "$be"
lb_expect_error "backend add $VIP2:$VPORT/tcp $be: no such service" \
	2 'no such|not found|does not exist' nlbctl backend add "$VIP2:$VPORT/tcp" "$be"
lb_expect_error "backend del $VIP2:$VPORT/tcp $be: no such service" \
	2 'no such|not found|does not exist' nlbctl backend del "$VIP2:$VPORT/tcp" "$be"

# Without CAP_NET_ADMIN the kernel refuses every change.
lb_expect_error "unprivileged service add: permission denied" \
	2 'permi' nobody service add "$VIP2:$VPORT/tcp"
lb_expect_error "unprivileged service del: permission denied" \
	2 'permi' nobody service del "$svc"
lb_expect_error "unprivileged backend add: permission denied" \
	2 'permi' nobody backend add "$usvc" "$be"

nlbctl -j service list >"$LB_TMP/after.json"
nlbctl service list >"$LB_TMP/after.txt"
lb_check "service list -j byte-identical after all errors" \
	cmp "$LB_TMP/before.json" "$LB_TMP/after.json"
lb_check "service list byte-identical after all errors" \
	cmp "$LB_TMP/before.txt" "$LB_TMP/after.txt"
# Guard against comparing two empty outputs.
lb_check "the configuration listed is the one set up" \
	grep -qx -- "  -> $be" "$LB_TMP/after.txt"

lb_exit
