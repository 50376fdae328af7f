#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own checks, below lbctl: lb_genl.py hands the lbipam family
# requests that lbctl would refuse to build (port 0, a wrong protocol, a
# missing or doubled address, wrong attribute lengths, a nest without
# NLA_F_NESTED, unknown attributes, a non-zero reserved byte, ...). Each must
# be rejected with the errno uapi/linux/lbipam.h documents and an extended
# ACK message (with the offending attribute's offset where one attribute is
# to blame), and none may change the configuration. Well-formed requests
# from the same tool succeed first, so the rejections are about the defect
# each case carries and not about the tool.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools python3
lb_plan 49

node=$LB_RUN-node
svc=(svc "addr4=$VIP" "port=$VPORT" proto=6)
be=(be "addr4=$BE1_IP" "port=$BPORT")

# Cases are collected with lb_raw and sent in one batch by lb_raw_run: one
# Python start instead of one per case.
_raw_desc=()
_raw_want=()
_raw_pat=()
_raw_req=()

# lb_raw DESC ERRNO_ERE MSG_ERE CMD ITEM...: the kernel's answer must be an
# errno matching ERRNO_ERE (whole word) with an extack message matching
# MSG_ERE (case-insensitive); ERRNO_ERE 0 means success. Items must not
# contain blanks.
lb_raw() {
	_raw_desc+=("$1")
	_raw_want+=("$2")
	_raw_pat+=("$3")
	shift 3
	_raw_req+=("$*")
}

# Send the collected cases, one test point each.
lb_raw_run() {
	local i out err msg results=()
	# Through a file, not <(...): that needs /dev/fd, which a minimal /dev
	# (the test VM's) lacks.
	printf '%s\n' "${_raw_req[@]}" |
		ip netns exec "$node" python3 "$LB_SELFTEST_DIR/lb_genl.py" \
			>"$LB_TMP/raw.out" 2>&1
	mapfile -t results <"$LB_TMP/raw.out"
	for i in "${!_raw_req[@]}"; do
		out=${results[$i]:-"(no answer; lb_genl.py said: ${results[*]})"}
		err=${out%% *}
		msg=${out#"$err"}
		msg=${msg# }
		if ! [[ $err =~ ^(${_raw_want[$i]})$ ]]; then
			lb_not_ok "${_raw_desc[$i]}" "request: ${_raw_req[$i]}" \
				"want errno /${_raw_want[$i]}/, got: $out"
		elif [ "${_raw_want[$i]}" != 0 ] && ! grep -Eqi -- "${_raw_pat[$i]}" <<<"$msg"; then
			lb_not_ok "${_raw_desc[$i]}" "request: ${_raw_req[$i]}" \
				"extack message does not match /${_raw_pat[$i]}/: $out"
		else
			lb_ok "${_raw_desc[$i]}"
			if [ "${_raw_want[$i]}" != 0 ]; then
				lb_diag "$out"
			fi
		fi
	done
	_raw_desc=()
	_raw_want=()
	_raw_pat=()
	_raw_req=()
}

lb_check "create node netns" lb_ns_add "$node"
lb_cfg "service add $VIP:$VPORT/tcp" lbctl -N "$node" service add "$VIP:$VPORT/tcp"
lb_cfg "backend add $VIP:$VPORT/tcp $BE1_IP:$BPORT" \
	lbctl -N "$node" backend add "$VIP:$VPORT/tcp" "$BE1_IP:$BPORT"

# Well-formed requests work: the tool itself is sound.
lb_raw "raw: get existing service" 0 '' service-get "${svc[@]}"
lb_raw "raw: get it with the affinity and conntrack flags" 0 '' \
	service-get attr=aff-stats: attr=ct-stats: "${svc[@]}"
lb_raw "raw: add $VIP2:$VPORT/udp" 0 '' service-new svc "addr4=$VIP2" "port=$VPORT" proto=17
lb_raw "raw: add a backend to it" 0 '' backend-new svc "addr4=$VIP2" "port=$VPORT" proto=17 "${be[@]}"
lb_raw "raw: delete that backend" 0 '' backend-del svc "addr4=$VIP2" "port=$VPORT" proto=17 "${be[@]}"
lb_raw "raw: delete $VIP2:$VPORT/udp" 0 '' service-del svc "addr4=$VIP2" "port=$VPORT" proto=17
lb_raw_run

lbctl -N "$node" -j service list >"$LB_TMP/before.json"

# Values out of range.
lb_raw "service port 0" ERANGE 'port.*\(offset [0-9]+\)' service-new svc "addr4=$VIP2" port=0 proto=6
lb_raw "service protocol 1 (ICMP)" 'EINVAL|ERANGE|EPROTONOSUPPORT' 'proto.*\(offset [0-9]+\)' \
	service-new svc "addr4=$VIP2" port=80 proto=1
lb_raw "service protocol 2 (IGMP)" 'EINVAL|ERANGE|EPROTONOSUPPORT' 'proto' \
	service-new svc "addr4=$VIP2" port=80 proto=2
# Options: lb_genl.py encodes each as the spec's type (uapi/lbipam.yaml).
lb_raw "service scheduler 9" ERANGE 'sched.*\(offset [0-9]+\)' \
	service-new svc "addr4=$VIP2" port=80 proto=6 sched=9
lb_raw "service affinity 86401 s" ERANGE 'affinity.*\(offset [0-9]+\)' \
	service-new svc "addr4=$VIP2" port=80 proto=6 affinity=86401
lb_raw "service flags with an unknown bit" EINVAL 'flags.*\(offset [0-9]+\)' \
	service-new svc "addr4=$VIP2" port=80 proto=6 flags=0x80
lb_raw "service counters given by the caller" EINVAL 'read-only' \
	service-new svc "addr4=$VIP2" port=80 proto=6 attr=stats:00000000
lb_raw "backend state 7" ERANGE 'state.*\(offset [0-9]+\)' \
	backend-new "${svc[@]}" be "addr4=$BE2_IP" port=8080 state=7
lb_raw "backend port 0" ERANGE 'port.*\(offset [0-9]+\)' backend-new "${svc[@]}" be "addr4=$BE2_IP" port=0

# Missing or conflicting attributes.
lb_raw "no service nest" EINVAL 'service' service-new
lb_raw "service without port" EINVAL 'port' service-new svc "addr4=$VIP2" proto=6
lb_raw "service without protocol" EINVAL 'proto' service-new svc "addr4=$VIP2" port=80
lb_raw "service without address" EINVAL 'addr' service-new svc port=80 proto=6
lb_raw "service with IPv4 and IPv6 address" EINVAL 'addr' \
	service-new svc "addr4=$VIP2" addr6=2001:db8::1 port=80 proto=6
lb_raw "backend without service" EINVAL 'service' backend-new "${be[@]}"
lb_raw "backend without address" EINVAL 'addr' backend-new "${svc[@]}" be port=8081
lb_raw "backend without port" EINVAL 'port' backend-new "${svc[@]}" be "addr4=$BE2_IP"
lb_raw "IPv6 backend for an IPv4 service" 'EINVAL|EAFNOSUPPORT' 'famil|ipv6' \
	backend-new "${svc[@]}" be addr6=2001:db8::2 port=8080

# Malformed attributes.
lb_raw "3-byte IPv4 address" 'EINVAL|ERANGE' '.' \
	service-new svc attr=addr4:cb0071 port=80 proto=6
lb_raw "port as u32" 'EINVAL|ERANGE' '.' service-new svc "addr4=$VIP2" port32=80 proto=6
lb_raw "service nest without NLA_F_NESTED" EINVAL 'nest' \
	service-new svc! "addr4=$VIP2" port=80 proto=6
lb_raw "unknown attribute in the service nest" EINVAL '(unknown|attr).*\(offset [0-9]+\)' \
	service-new svc "addr4=$VIP2" port=80 proto=6 attr=99:00000000
lb_raw "unknown top-level attribute" EINVAL 'unknown|attr' \
	service-new attr=7:00000000 svc "addr4=$VIP2" port=80 proto=6
lb_raw "non-zero reserved byte in the genetlink header" EINVAL 'reserved' \
	service-new resv=1 svc "addr4=$VIP2" port=80 proto=6

# Objects that exist or do not.
lb_raw "duplicate service" EEXIST 'exist' service-new "${svc[@]}"
lb_raw "duplicate backend" EEXIST 'exist' backend-new "${svc[@]}" "${be[@]}"
lb_raw "delete missing service" ENOENT 'no such|not found' \
	service-del svc "addr4=$VIP2" port=80 proto=6
lb_raw "get missing service" ENOENT 'no such|not found' \
	service-get svc "addr4=$VIP2" port=80 proto=6
lb_raw "delete missing backend" ENOENT 'no such|not found' \
	backend-del "${svc[@]}" be "addr4=$BE2_IP" port=8080
lb_raw "backend for a missing service" ENOENT 'no such|not found' \
	backend-new svc "addr4=$VIP2" port=80 proto=6 "${be[@]}"

# The flags of a get belong to a get only, and a get takes no L2 nest.
lb_raw "affinity flag in a service-new" EINVAL '.' \
	service-new attr=aff-stats: svc "addr4=$VIP2" port=80 proto=6
lb_raw "l2 nest in a service-get" EINVAL 'unsupported attribute.*\(offset 20\)' \
	service-get l2 "addr4=$VIP2" ifindex=1

# L2 announcements (interface index 1: the namespace's lo, refused for
# other reasons once the request parses).
lb_raw "l2 nest without NLA_F_NESTED" EINVAL 'nest' \
	l2-new l2! "addr4=$VIP2" ifindex=1
lb_raw "l2 announcement counters given by the caller" EINVAL 'read-only' \
	l2-new l2 "addr4=$VIP2" ifindex=1 attr=stats:00000000
lb_raw "l2 announcement without interface index" EINVAL 'index' \
	l2-new l2 "addr4=$VIP2"
lb_raw "l2 announcement on interface index 0" ERANGE 'index.*\(offset [0-9]+\)' \
	l2-new l2 "addr4=$VIP2" ifindex=0
lb_raw "service attribute in an L2 command" EINVAL 'unsupported attribute.*\(offset 20\)' \
	l2-new "${svc[@]}" l2 "addr4=$VIP2" ifindex=1
lb_raw "get of an address that is not announced" ENOENT 'not announced' \
	l2-get l2 "addr4=$VIP2" ifindex=1

lb_raw_run

lbctl -N "$node" -j service list >"$LB_TMP/after.json"
lb_check "configuration unchanged by the rejected requests" \
	cmp "$LB_TMP/before.json" "$LB_TMP/after.json"
lb_expect_eq "no L2 announcement made by the rejected requests" "[]" \
	"$(lbctl -N "$node" -j l2 list | tr -d ' \n')"

lb_exit
