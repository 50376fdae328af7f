#!/usr/bin/env bash
# lbctl's command line: every misuse is refused before any netlink traffic,
# with exit code 1 and a message that names the problem. Needs no module.
set -uo pipefail

lbctl=${LBCTL:-$(dirname "$0")/../lbctl/lbctl}

# exit-code | expected output, stdout and stderr (ERE) | arguments
cases=(
	"1|unknown option '-x'|-x service list"
	"1|option '-N' needs a value|-N"
	"1|option '--socket' needs a value|get status --socket"
	"1|unknown option '--frob'|service list --frob"
	"1|unknown option '-Q'|get services -Q"
	"1|unknown output format 'xml' for -o|get services -o xml"
	"1|unknown output format 'tsv' for -o|-otsv get services"
	"1|object \"frob\" is unknown|frob"
	"1|unknown service command 'zap'|service zap 1.2.3.4:80/tcp"
	"1|takes exactly one SERVICE and its options|service add"
	"1|unknown service option 'extra'|service add 1.2.3.4:80/tcp extra"
	"1|takes exactly one SERVICE|service del 1.2.3.4:80/tcp extra"
	"1|'affinity' needs a value|service add 1.2.3.4:80/tcp affinity"
	"1|affinity must be 0-86400 seconds, not '86401'|service add 1.2.3.4:80/tcp affinity 86401"
	"1|affinity must be 0-86400 seconds, not '-1'|service set 1.2.3.4:80/tcp affinity -1"
	"1|unknown scheduler 'rr'|service add 1.2.3.4:80/tcp sched rr"
	"1|one-packet is for UDP services only, not tcp|service add 1.2.3.4:80/tcp one-packet"
	"1|one-packet is for UDP services only, not sctp|service set 1.2.3.4:80/sctp masquerade one-packet"
	"1|unknown service option 'one_packet'|service add 1.2.3.4:53/udp one_packet"
	"1|source-range '10.0.0.1/8': host bits set beyond /8|service add 1.2.3.4:80/tcp source-range 10.0.0.1/8"
	"1|prefix length must be 0-32|service add 1.2.3.4:80/tcp source-range 10.0.0.0/33"
	"1|invalid IP prefix|service add 1.2.3.4:80/tcp source-range bogus/8"
	"1|not of the service's address family|service add 1.2.3.4:80/tcp source-range 2001:db8::/32"
	"1|cluster-cidr '10.244.0.1/16': host bits set beyond /16|service add 1.2.3.4:80/tcp local-only cluster-cidr 10.244.0.1/16"
	"1|cluster-cidr '2001:db8::/32' is not of the service's address family|service set 1.2.3.4:80/tcp cluster-cidr 2001:db8::/32"
	"1|cluster-cidr .*prefix length must be 0-128|service add [2001:db8::1]:80/tcp cluster-cidr 2001:db8::/129"
	"1|'cluster-cidr' needs a value|service add 1.2.3.4:80/tcp cluster-cidr"
	"1|unknown backend option 'heavy'|backend add 1.2.3.4:80/tcp 10.0.0.1:80 heavy"
	"1|weight must be 0-65535, not '65536'|backend add 1.2.3.4:80/tcp 10.0.0.1:80 weight 65536"
	"1|unknown backend state 'draining'|backend set 1.2.3.4:80/tcp 10.0.0.1:80 state draining"
	"1|unknown backend option 'weight:3'|backend replace 1.2.3.4:80/tcp 10.0.0.1:80,weight:3"
	"1|weight must be 0-65535, not 'x'|backend replace 1.2.3.4:80/tcp 10.0.0.1:80,weight=x"
	"1|backend '10.0.0.1': missing port|backend replace 1.2.3.4:80/tcp 10.0.0.2:80 10.0.0.1"
	"1|takes a SERVICE and its backends|backend replace"
	"1|stats takes at most one SERVICE or ADDRESS|stats 1.2.3.4:80/tcp 1.2.3.5:80/tcp"
	"1|stats takes at most one SERVICE or ADDRESS|stats 1.2.3.4 1.2.3.5"
	"1|flush takes no arguments|flush now"
	"1|monitor takes no arguments|monitor now"
	"1|-b takes no command|-b - service list"
	"2|cannot open batch file|-b /nonexistent/batch"
	"1|service list takes no arguments|service list extra"
	"1|invalid IP address '300.1.1.1'|service add 300.1.1.1:80/tcp"
	"1|missing port|service add 1.2.3.4/tcp"
	"1|missing protocol|service add 1.2.3.4:80"
	"1|unknown protocol 'icmp'|service add 1.2.3.4:80/icmp"
	"1|port must be 1-65535, not '0'|service add 1.2.3.4:0/tcp"
	"1|port must be 1-65535, not '65536'|service del 1.2.3.4:65536/udp"
	"1|missing '\\]'|service add [::1:80/tcp"
	"1|takes a SERVICE and a BACKEND|backend add 1.2.3.4:80/tcp"
	"1|takes a SERVICE and a BACKEND|backend del 1.2.3.4:80/tcp 10.0.0.1:80 weight 2"
	"1|backend '10.0.0.1': missing port|backend add 1.2.3.4:80/tcp 10.0.0.1"
	"1|different address families|backend add 1.2.3.4:80/tcp [2001:db8::2]:80"
	"1|unknown backend command 'move'|backend move 1.2.3.4:80/tcp 1.1.1.1:1"
	"1|unknown l2 command 'announce'|l2 announce 192.0.2.1 dev lo"
	"1|l2 add takes ADDRESS dev IFNAME|l2 add 192.0.2.1"
	"1|l2 add takes ADDRESS dev IFNAME|l2 add 192.0.2.1 lo"
	"1|l2 del takes ADDRESS dev IFNAME|l2 del 192.0.2.1 dev lo extra"
	"1|invalid IP address '192.0.2'|l2 add 192.0.2 dev lo"
	"1|invalid IP address '192.0.2.1/32'|l2 add 192.0.2.1/32 dev lo"
	"1|no interface 'no-such-if0' in this network namespace|l2 add 2001:db8::1 dev no-such-if0"
	"1|interface name 'a-very-long-interface-name' is too long|l2 del 192.0.2.1 dev a-very-long-interface-name"
	"1|l2 list takes no arguments|l2 list extra"
	"1|l2 does not print -o yaml|l2 list -o yaml"
	"2|cannot open network namespace 'no-such-ns-$$'|-N no-such-ns-$$ service list"
	"2|cannot open network namespace 'no-such-ns-$$'|service list --netns no-such-ns-$$"
	"2|cannot open network namespace 'no-such-ns-$$'|stats --netns=no-such-ns-$$"
	"1|invalid network namespace name '../x'|-N ../x service list"
	"1|service does not take -n/--namespace .*network namespace is -N/--netns|-n node1 service list"
	"1|stats does not take -n/--namespace|stats -n node1"
	"1|backend does not take -A/--all-namespaces|backend add 1.2.3.4:80/tcp 10.0.0.1:80 -A"
	"1|service does not take --socket|--socket /x service list"
	"1|flush does not take -o/--output|flush -j"
	"1|service does not print -o yaml|service list -o yaml"
	"1|stats does not print -o wide|-o wide stats"
	"1|get does not take -f/--filename|get services -f x.yaml"
	"1|apply does not take -n/--namespace|apply -f x.yaml -n prod"
	"1|describe does not take -A/--all-namespaces|describe service x -A"
	"1|describe does not print -o wide|describe service x -o wide"
	"1|only one -f per call|apply -f a.yaml -f b.yaml"
	"1|Usage: lbctl apply -f|apply"
	"1|delete: -f takes no resource names and no -n|delete -f x.yaml -n prod"
	"1|Usage: lbctl get ippools.services.l2announcementpolicies.nodes.bgpclusterconfigs.bgppeerconfigs.bgpadvertisements.events.status|get frobs"
	"1|-b takes no command|service list -b -"
	"0|^Usage: lbctl get ippools|get --help"
	"0|^Usage: lbctl service|service -h"
	"0|^Usage: lbctl \\[OPTIONS\\]|-h"
	"0|^lbctl [0-9]|get services --version"
	"0|^Usage: lbctl \\[OPTIONS\\]|-b /nonexistent -h"
	"0|^lbctl [0-9]|-V"
	"0|^Usage: lbctl service|service help"
	"0|^Usage: lbctl backend|backend help"
	"0|^Usage: lbctl|help"
)

# exit-code | expected stderr (ERE) | batch given on standard input
batches=(
	"1|^lbctl: line 2: -N/--netns belongs before -b|# netns\nservice list -N node1"
	"1|^lbctl: line 1: unknown option '-x'|service list -x"
	"1|^lbctl: line 1: service does not take -n/--namespace|service list -n prod"
	"1|^lbctl: line 1: monitor cannot run in a batch|monitor"
)

echo "TAP version 13"
echo "1..$((${#cases[@]} + ${#batches[@]} + 1))"
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
for c in "${batches[@]}"; do
	IFS='|' read -r want re batch <<<"$c"
	n=$((n + 1))
	# shellcheck disable=SC2059 # the batch's \n are meant
	err=$(printf "$batch\n" | "$lbctl" -b - 2>&1)
	rc=$?
	if [[ $rc -eq $want ]] && grep -Eq -- "$re" <<<"$err"; then
		echo "ok $n - lbctl -b: $batch"
	else
		echo "not ok $n - lbctl -b: $batch"
		echo "# exit $rc (want $want), stderr: $err"
		bad=$((bad + 1))
	fi
done
# A batch names the line that failed and stops there: the bogus line after
# it would fail differently.
n=$((n + 1))
err=$(printf '# comment\n\nservice add 1.2.3.4:0/tcp\nbogus\n' | "$lbctl" -b - 2>&1)
rc=$?
if [[ $rc -eq 1 && $err == "lbctl: line 3: '1.2.3.4:0': port must be 1-65535, not '0'" ]]; then
	echo "ok $n - lbctl -b stops at the first bad line and names it"
else
	echo "not ok $n - lbctl -b stops at the first bad line and names it"
	echo "# exit $rc, stderr: $err"
	bad=$((bad + 1))
fi
((bad == 0))
