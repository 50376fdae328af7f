#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reading one service with many backends (1000 here, the default limit is
# 4096). A single-service GET answers with one message, which the module
# keeps to 32 KiB of memory: beyond that a linear buffer of 256 bytes per
# backend is an allocation that may fail (order-9 at 4096 backends), so such
# a GET is refused with -EMSGSIZE and an extended ACK that points to the
# dump. A dump may name the one service to read, which then comes in several
# messages; lbctl falls back to that, so "service show" and "stats" still
# list all the backends.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require_root
lb_require_tools ip jq python3
lb_require_lbctl
lb_require_module
lb_plan 11

N=1000
svc="$VIP:$VPORT/tcp"
svc2="$VIP2:$VPORT/tcp"

lb_check "a node namespace" lb_ns_add "$LB_NODE"
lb_cfg "service add $svc" lbctl -N "$LB_NODE" service add "$svc"
bes=()
for ((i = 0; i < N; i++)); do
	bes+=("10.1.$((i / 250)).$((i % 250 + 1)):8080")
done
lb_cfg "backend replace $svc with $N backends" \
	lbctl -N "$LB_NODE" backend replace "$svc" "${bes[@]}"
lb_check "service $svc2 with 2 backends" \
	lb_svc "$LB_NODE" "$svc2" -- "$BE1_IP:$BPORT" "$BE2_IP:$BPORT"

# genl DUMP ADDR: a SERVICE_GET of ADDR:VPORT/tcp, as a dump if DUMP is 1;
# prints the errno name (or 0) and the extended ACK on the first line, then
# per reply message the key's address and its number of backends.
genl() {
	ip netns exec "$LB_NODE" python3 - "$LB_SELFTEST_DIR" "$@" <<'EOF'
import errno
import socket
import sys

sys.path.insert(0, sys.argv[1])
import lb_genl as G  # noqa: E402

dump, addr = sys.argv[2] == "1", sys.argv[3]
g = G.Genl()
g.resolve()
flags = G.NLM_F_REQUEST | G.NLM_F_ACK | (G.NLM_F_DUMP if dump else 0)
err, msg, _, payloads, _ = g.request(
    G.CMD_SERVICE_GET,
    G.nest(G.A_SERVICE, G.svc_key_attrs(addr, 80, socket.IPPROTO_TCP)),
    flags=flags)
print(errno.errorcode.get(-err, "0") if err else "0", msg or "")
for _t, _f, p in payloads:
    (_v, raw, _p, _port), n = G.decode_service(p)
    print(socket.inet_ntoa(raw), n)
EOF
}

out=$(lbctl -N "$LB_NODE" -j service show "$svc" | jq '.[0].backends | length')
lb_expect_eq "service show $svc lists its $N backends" "$N" "$out"
out=$(lbctl -N "$LB_NODE" -j stats "$svc" | jq '.[0].backends | length')
lb_expect_eq "stats $svc lists its $N backends" "$N" "$out"

out=$(genl 0 "$VIP")
if grep -q '^EMSGSIZE .*dump' <<<"$out"; then
	lb_ok "a single-service GET of $N backends: EMSGSIZE, pointing to the dump"
else
	lb_not_ok "a single-service GET of $N backends: EMSGSIZE, pointing to the dump" \
		"got: $(head -n 3 <<<"$out")"
fi

out=$(genl 1 "$VIP")
msgs=$(tail -n +2 <<<"$out")
lb_expect_eq "a dump naming $svc succeeds" "0 " "$(head -n 1 <<<"$out")"
lb_expect_eq "... in several messages, all of $svc, with its $N backends" \
	"$VIP yes $N" \
	"$(awk '{a[$1]++; n += $2; m++} END {for (k in a) printf "%s %s %d", k, (m > 1 ? "yes" : "no"), n}' <<<"$msgs")"

out=$(genl 0 "$VIP2")
lb_expect_eq "a single-service GET of 2 backends still answers at once" \
	"0 |$VIP2 2" "$(head -n 1 <<<"$out")|$(tail -n +2 <<<"$out")"

# 6.1's genetlink does not pass the extended ACK of a dump's start on.
out=$(genl 1 203.0.113.99)
if grep -Eq '^ENOENT (no such service)?$' <<<"$out"; then
	lb_ok "a dump naming no existing service: ENOENT"
else
	lb_not_ok "a dump naming no existing service: ENOENT" "got: $out"
fi

lb_exit
