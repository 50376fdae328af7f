# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# bash completion for lbctl(8): objects, commands, options and their values.
# Names of services, pools and policies come from lbctl itself (the module's
# table, lbipamd's objects), so they are always the current ones.

_lbctl_kube_kinds="ippools services l2announcementpolicies nodes bgpclusterconfigs bgppeerconfigs bgpadvertisements status events"

# The words typed so far without options and their arguments: the verb and
# its operands, which decide what comes next.
_lbctl_operands()
{
	local i w skip=0
	_lbctl_ops=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((skip)); then
			skip=0
			continue
		fi
		case $w in
		-N | --netns | -o | --output | -n | --namespace | -f | --filename | \
			--socket | -b | --batch)
			skip=1 ;;
		-*) ;;
		*) _lbctl_ops+=("$w") ;;
		esac
	done
}

# Services as lbctl service list prints them (ADDRESS:PORT/PROTO).
_lbctl_services()
{
	lbctl "${_lbctl_global[@]}" service list 2>/dev/null |
		awk '$1 ~ /:[0-9]+\/(tcp|udp|sctp)$/ { print $1 }'
}

# Names of lbipamd's objects of one kind (first column, header skipped).
_lbctl_names()
{
	lbctl "${_lbctl_global[@]}" get "$1" 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_lbctl()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# The namespace and socket the user named apply to the lookups too.
	_lbctl_global=()
	local i
	for ((i = 1; i < COMP_CWORD - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-N | --netns | --socket)
			_lbctl_global+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}") ;;
		esac
	done

	case $prev in
	-N | --netns)
		mapfile -t COMPREPLY < <(compgen -W "$(ip netns list 2>/dev/null |
			awk '{ print $1 }')" -- "$cur")
		return ;;
	-o | --output)
		mapfile -t COMPREPLY < <(compgen -W "wide yaml json" -- "$cur")
		return ;;
	-f | --filename | -b | --batch | --socket)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	-n | --namespace)
		return ;;
	dev)
		mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")
		return ;;
	sched)
		mapfile -t COMPREPLY < <(compgen -W "maglev random" -- "$cur")
		return ;;
	state)
		mapfile -t COMPREPLY < <(compgen -W "active terminating maintenance" -- "$cur")
		return ;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "-N --netns -j --json -o --output
			-n --namespace -A --all-namespaces -f --filename --socket
			-b --batch -V --version -h --help" -- "$cur")
		return
	fi

	_lbctl_operands
	local n=${#_lbctl_ops[@]} words=""
	case $n:${_lbctl_ops[0]:-} in
	0:)
		words="service backend stats l2 monitor flush apply delete get
			describe help" ;;
	1:service) words="add set del show list help" ;;
	1:backend) words="add set del replace help" ;;
	1:l2) words="add del list help" ;;
	1:get) words="$_lbctl_kube_kinds bgp help" ;;
	1:describe) words="$_lbctl_kube_kinds help" ;;
	2:get) if [[ ${_lbctl_ops[1]} == bgp ]]; then words="peers routes"
		else words=$(_lbctl_names "${_lbctl_ops[1]}"); fi ;;
	1:delete) words="ippools services l2announcementpolicies nodes bgpclusterconfigs bgppeerconfigs bgpadvertisements" ;;
	1:stats | 2:service | 2:backend) words=$(_lbctl_services) ;;
	2:describe | 2:delete) words=$(_lbctl_names "${_lbctl_ops[1]}") ;;
	3:l2) [[ ${_lbctl_ops[1]} == add || ${_lbctl_ops[1]} == del ]] && words="dev" ;;
	*:service)
		[[ ${_lbctl_ops[1]} == add || ${_lbctl_ops[1]} == set ]] &&
			words="sched affinity masquerade masq-local local-only expire-nodest one-packet source-range cluster-cidr" ;;
	*:backend)
		((n >= 4)) && [[ ${_lbctl_ops[1]} == add || ${_lbctl_ops[1]} == set ]] &&
			words="weight state local" ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}

complete -F _lbctl lbctl
