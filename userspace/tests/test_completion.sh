#!/usr/bin/env bash
# lbctl's bash completion (userspace/lbctl/completion.bash), as bash itself
# calls it: COMP_WORDS/COMP_CWORD in, COMPREPLY out. Object names come from
# a real lbipamd on the host; the module's services are checked in the VM.
# Usage: test_completion.sh     (LBCTL, LBIPAMD: the programs to use)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
LBCTL=${LBCTL:-$top/userspace/lbctl/lbctl}
LBIPAMD=${LBIPAMD:-$top/userspace/lbipamd}
tmp=$(mktemp -d)
pid=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The completion calls "lbctl"; this one is the build's.
mkdir "$tmp/bin"
ln -s "$LBCTL" "$tmp/bin/lbctl"
PATH=$tmp/bin:$PATH
export LBIPAM_SOCKET=$tmp/s.sock
# shellcheck source=userspace/lbctl/completion.bash
. "$top/userspace/lbctl/completion.bash"

n=0 failed=0
# expect "WANTED WORDS" WORD...: completes the last WORD of "lbctl WORD...";
# COMPREPLY, sorted, must be exactly the wanted words.
expect() {
	local want=$1 got
	shift
	COMP_WORDS=(lbctl "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_lbctl
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
	want=$(printf '%s\n' "$want" | xargs -n1 | sort | xargs)
	n=$((n + 1))
	if [[ "$got" == "$want" ]]; then
		echo "ok $n - lbctl $* -> ${want:-nothing}"
	else
		echo "not ok $n - lbctl $*: wanted '$want', got '$got'"
		failed=1
	fi
}

expect "service backend stats l2 monitor flush apply delete get describe help" ""
expect "service stats" s
expect "add set del show list help" service ""
expect "add del list help" -j l2 ""
expect "add del list help" -N ns1 l2 ""
expect "ippools" get ip
expect "services status" -o yaml get s
expect "events" describe ev
expect "maglev random" service add 10.0.0.1:80/tcp sched ""
expect "sched affinity masquerade masq-local local-only expire-nodest one-packet source-range cluster-cidr" service add 10.0.0.1:80/tcp ""
expect "active terminating maintenance" backend set 10.0.0.1:80/tcp 10.0.1.1:80 state ""
expect "weight state local" backend add 10.0.0.1:80/tcp 10.0.1.1:80 ""
expect "wide yaml json" get services -o ""
expect "bgpclusterconfigs bgppeerconfigs bgpadvertisements bgp" get bgp
expect "peers routes" get bgp ""
expect "--namespace --netns" --n
expect "dev" l2 add 192.0.2.1 ""
expect "lo" l2 add 192.0.2.1 dev l
# Nothing after a command that takes no more words.
expect "" monitor ""

# Object names, from a running lbipamd.
"$LBIPAMD" --state "$tmp/state.db" --socket "$tmp/s.sock" 2>"$tmp/log" &
pid=$!
for ((i = 0; i < 100; i++)); do
	"$LBCTL" get status >/dev/null 2>&1 && break
	sleep 0.1
done
"$LBCTL" apply -f "$top/selftests/seed-pools.yaml" >/dev/null
names=$("$LBCTL" get ippools | awk 'NR > 1 { print $1 }' | xargs)
if [[ -z "$names" ]]; then
	n=$((n + 1))
	echo "not ok $n - lbipamd lists no pools after apply"
	failed=1
fi
expect "$names" get ippools ""
expect "$names" describe ippools ""
# --socket reaches the lookup (no LBIPAM_SOCKET to fall back on).
unset LBIPAM_SOCKET
expect "" delete ippools ""
expect "$names" --socket "$tmp/s.sock" delete ippools ""

echo "1..$n"
exit $failed
