/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CiliumL2AnnouncementPolicy and Node objects as the engine keeps them:
 * selectors, compiled interface patterns, problems found, node labels
 * and addresses.
 */
#ifndef _LB_L2POLICY_H
#define _LB_L2POLICY_H

#include "addr.h"
#include "selector.h"
#include "status.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The problems Cilium reports as a True condition on the stored policy
 * (reason "error") instead of refusing it; such a policy selects nothing.
 */
enum lb_l2_problem {
	LB_L2P_NODE_SELECTOR,		/* io.cilium/bad-node-selector */
	LB_L2P_INTERFACE_REGEX,		/* io.cilium/bad-interface-regex */
	LB_L2P_SERVICE_SELECTOR,	/* io.cilium/bad-service-selector */
	LB_L2P_COUNT,
};

struct lb_l2pol_spec {
	struct lb_selector *svc_sel;	/* NULL selects every Service */
	struct lb_selector *node_sel;	/* NULL selects every node */
	char **ifaces;			/* regular expressions as written */
	regex_t *re;			/* compiled, when problem is NULL */
	size_t nifaces;
	bool external_ips;
	bool lb_ips;
	char *problem[LB_L2P_COUNT];	/* message, or NULL */
};

/* Fields every cluster-scoped object of these kinds carries. */
struct lb_named {
	char *name;
	int64_t created;
	uint64_t generation;
	char *doc;
	struct lb_objstat st;
};

struct lb_l2pol {
	struct lb_named o;
	struct lb_l2pol_spec spec;
};

/* Kubernetes' NodeAddressType values, in the API's own order. */
enum lb_node_addr_type {
	LB_NA_HOSTNAME,
	LB_NA_EXTERNAL_IP,
	LB_NA_INTERNAL_IP,
	LB_NA_EXTERNAL_DNS,
	LB_NA_INTERNAL_DNS,
	LB_NA_COUNT,
};

/* One entry of a Node's status.addresses. */
struct lb_node_addr {
	enum lb_node_addr_type type;
	char *text;		/* as written */
	struct lb_addr ip;	/* parsed, for the two IP types only */
};

struct lb_node_addrs {
	struct lb_node_addr *v;
	size_t n;
};

struct lb_node {
	struct lb_named o;
	struct lb_labels labels;
	struct lb_node_addrs addrs;	/* status.addresses, in order */
	/*
	 * metadata.deletionTimestamp set, or tainted
	 * ToBeDeletedByClusterAutoscaler: no Node IPAM candidate.
	 */
	bool leaving;
};

/* A list of named objects kept in name order. */
struct lb_named_set {
	struct lb_named **v;
	size_t n, cap;
};

const char *lbe_l2_problem_type(enum lb_l2_problem p);
bool lbe_l2pol_broken(const struct lb_l2pol_spec *s);
/* Does the policy's interface list take ifname?  None listed: every one. */
bool lbe_l2pol_iface_match(const struct lb_l2pol_spec *s, const char *ifname);
/* Compiles every pattern; a failure becomes the interface problem. */
void lbe_l2pol_compile(struct lb_l2pol_spec *s);
void lbe_l2pol_spec_free(struct lb_l2pol_spec *s);
void lbe_l2pol_free(struct lb_l2pol *p);
void lbe_node_free(struct lb_node *n);
const char *lbe_node_addr_type_name(enum lb_node_addr_type t);
/* 0, or -1 if s is not one of the API's address types. */
int lbe_node_addr_type_parse(const char *s, enum lb_node_addr_type *t);
void lbe_node_addrs_free(struct lb_node_addrs *a);

struct lb_named *lbe_named_find(const struct lb_named_set *s,
			       const char *name);
void lbe_named_insert(struct lb_named_set *s, struct lb_named *o);
/* Takes o out of the set (not freed); false if absent. */
bool lbe_named_remove(struct lb_named_set *s, const struct lb_named *o);

#endif /* _LB_L2POLICY_H */
