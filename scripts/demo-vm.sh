#!/usr/bin/env bash
# The README's main job, run inside the test VM by scripts/demo.sh: one VIP
# translated end to end, printing what a user would look at.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The freshly built lbctl, not whatever the machine has installed.
export LBCTL=${LBCTL:-$top/userspace/lbctl/lbctl}
# shellcheck source=selftests/lib.sh
source "$top/selftests/lib.sh"

lb_require
P=$LB_RUN
show() {
	echo "\$ $*"
	"$@"
}

lb_topology "$P" 2 || exit 1
lb_servers "$P-be1" backend-1 || exit 1
lb_servers "$P-be2" backend-2 || exit 1
echo "== topology: client $CLIENT_IP -> node (lbipam.ko) -> backends $BE1_IP, $BE2_IP"
echo "== the VIP $VIP exists nowhere but in lbipam's table in the node's netns"
echo

show lbctl -N "$P-node" service add "$VIP:$VPORT/tcp"
show lbctl -N "$P-node" service add "$VIP:$VPORT/udp"
for be in "$BE1_IP" "$BE2_IP"; do
	show lbctl -N "$P-node" backend add "$VIP:$VPORT/tcp" "$be:$BPORT"
	show lbctl -N "$P-node" backend add "$VIP:$VPORT/udp" "$be:$BPORT"
done
show lbctl -N "$P-node" service list
show lbctl -N "$P-node" -j service list
echo

echo "== TCP from the client to $VIP:$VPORT (the backend answers with its name and the client address it sees)"
ok=0
for i in 1 2 3 4; do
	out=$(lb_ask "$P-client" tcp "$VIP" "$VPORT" 5 -b "$CLIENT_IP" -s $((40000 + i)))
	echo "client:$((40000 + i)) -> $VIP:$VPORT answered: $out"
	[[ $out == backend-* ]] && ok=$((ok + 1))
done
echo "== UDP from the client (a connected socket: only replies from $VIP:$VPORT arrive)"
out=$(lb_udp "$P-client" "$VIP" "$VPORT")
echo "client -> $VIP:$VPORT/udp answered: $out"
[[ $out == backend-* ]] && ok=$((ok + 1))
echo "== TCP from a process on the node itself (LOCAL_OUT)"
out=$(lb_tcp "$P-node" "$VIP" "$VPORT")
echo "node -> $VIP:$VPORT answered: $out"
[[ $out == backend-* ]] && ok=$((ok + 1))
echo
echo "== the node's conntrack table: original destination $VIP, replies from the backend"
ip netns exec "$P-node" conntrack -L 2>/dev/null | grep -F "$VIP" | sed 's/^/  /'
echo
show lbctl -N "$P-node" service del "$VIP:$VPORT/tcp"
echo "== after 'service del' the VIP is not translated any more:"
if lb_tcp "$P-client" "$VIP" "$VPORT" 2 >/dev/null 2>&1; then
	echo "  still answered (unexpected)"
else
	echo "  no answer, as expected"
	ok=$((ok + 1))
fi
echo
if ((ok == 7)); then
	echo "demo: VIP $VIP translated end to end: OK"
	exit 0
fi
echo "demo: only $ok of 7 checks worked"
exit 1
