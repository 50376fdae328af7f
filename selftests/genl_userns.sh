#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Who may configure lbipam: CAP_NET_ADMIN in the initial user namespace
# (uapi: "Every command requires CAP_NET_ADMIN in the initial user
# namespace"). Root of an unprivileged user namespace, which any user may
# create, is refused with EPERM even in a network namespace it owns, for
# every command: its requests would cost kernel memory and CPU that only
# the host's administrator may spend.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require
lb_require_tools unshare
lb_plan 6

ns=$LB_RUN-uns
svc="$VIP:$VPORT/tcp"

lb_check "namespace" lb_ns_add "$ns"
lb_cfg "host root: service add $svc" lbctl -N "$ns" service add "$svc"

# userns CMD...: lbctl as root of a new user namespace, in a new network
# namespace that user namespace owns. Prints lbctl's output.
userns() {
	unshare --user --map-root-user --net "$LBCTL" "$@" 2>&1
}

for cmd in "service add $svc" "service list" "flush"; do
	# shellcheck disable=SC2086 # the words of the command
	out=$(userns $cmd)
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'permission denied' <<<"$out"; then
		lb_ok "user namespace root: $cmd is refused ($out)"
	else
		lb_not_ok "user namespace root: $cmd is refused" "exit $rc" "$out"
	fi
done
out=$(lbctl -N "$ns" service list 2>&1)
lb_expect_eq "host root still sees its own service" "$svc" "$out"

lb_exit
