#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The generic netlink family autoloads the module: with lbipam unloaded,
# resolving the family (any lbctl command) makes the kernel load it through
# its alias net-pf-16-proto-16-family-lbipam (MODULE_ALIAS_GENL_FAMILY), and
# the command then succeeds. Runs only in the test VM: it unloads the module.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lb_require_root
lb_require_tools ip modprobe rmmod modinfo
lb_require_lbctl
lb_require_vm
# The module must be installed (not necessarily loaded) for autoload to work.
if ! modinfo lbipam >/dev/null 2>&1; then
	lb_skip_or_fail "module lbipam not installed"
fi
lb_plan 7

ns=$LB_RUN-node
svc=$VIP:$VPORT/tcp

if lb_module_loaded; then
	lb_check "rmmod lbipam" timeout 60 rmmod lbipam
else
	lb_ok "lbipam was not loaded"
fi
lb_check_fail "lbipam is not loaded" lb_module_loaded
lb_check "create a netns" lb_ns_add "$ns"

# Succeeds, and lists nothing: a fresh netns has no services.
lb_cfg "lbctl service list works with the module unloaded" \
	lbctl -N "$ns" service list
lb_check "lbipam was loaded by the kernel" lb_module_loaded

lb_cfg "service add $svc" lbctl -N "$ns" service add "$svc"
out=$(lbctl -N "$ns" service list 2>&1)
lb_expect_eq "service list shows it" "$svc" "$out"

lb_exit
