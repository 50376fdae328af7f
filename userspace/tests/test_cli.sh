#!/usr/bin/env bash
# lbctl's command line: every misuse is refused before any netlink traffic,
# with exit code 1 and a message that names the problem. Needs no module.
set -uo pipefail

lbctl=${LBCTL:-$(dirname "$0")/../lbctl}

# exit-code | expected output, stdout and stderr (ERE) | arguments
cases=(
	"1|unknown option '-x'|-x service list"
	"1|-n needs a namespace name|-n"
	"1|object \"frob\" is unknown|frob"
	"1|unknown service command 'zap'|service zap 1.2.3.4:80/tcp"
	"1|takes exactly one SERVICE|service add"
	"1|takes exactly one SERVICE|service add 1.2.3.4:80/tcp extra"
	"1|service list takes no arguments|service list extra"
	"1|invalid IP address '300.1.1.1'|service add 300.1.1.1:80/tcp"
	"1|missing port|service add 1.2.3.4/tcp"
	"1|missing protocol|service add 1.2.3.4:80"
	"1|unknown protocol 'icmp'|service add 1.2.3.4:80/icmp"
	"1|port must be 1-65535, not '0'|service add 1.2.3.4:0/tcp"
	"1|port must be 1-65535, not '65536'|service del 1.2.3.4:65536/udp"
	"1|missing '\\]'|service add [::1:80/tcp"
	"1|takes a SERVICE and a BACKEND|backend add 1.2.3.4:80/tcp"
	"1|backend '10.0.0.1': missing port|backend add 1.2.3.4:80/tcp 10.0.0.1"
	"1|different address families|backend add 1.2.3.4:80/tcp [2001:db8::2]:80"
	"1|unknown backend command 'move'|backend move 1.2.3.4:80/tcp 1.1.1.1:1"
	"2|cannot open network namespace 'no-such-ns-$$'|-n no-such-ns-$$ service list"
	"1|invalid network namespace name '../x'|-n ../x service list"
	"0|^lbctl [0-9]|-V"
	"0|^Usage: lbctl|help"
)

echo "TAP version 13"
echo "1..${#cases[@]}"
n=0 bad=0
for c in "${cases[@]}"; do
	IFS='|' read -r want re args <<<"$c"
	n=$((n + 1))
	# shellcheck disable=SC2086 # the arguments are meant to be split
	err=$("$lbctl" $args 2>&1)
	rc=$?
	if [[ $rc -eq $want ]] && grep -Eq -- "$re" <<<"$err"; then
		echo "ok $n - lbctl $args"
	else
		echo "not ok $n - lbctl $args"
		echo "# exit $rc (want $want), stderr: $err"
		bad=$((bad + 1))
	fi
done
((bad == 0))
