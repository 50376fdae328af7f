/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service objects as the engine keeps them: spec, requested and held
 * IPs, status, and first-come rank.
 */
#ifndef _LB_SERVICE_H
#define _LB_SERVICE_H

#include "addr.h"
#include "selector.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_port {
	uint16_t port;
	uint8_t proto;		/* IPPROTO_* */
	char *name;		/* "" when unnamed */
	/* targetPort: a number, a name (target_name), or absent (= port) */
	uint16_t target;
	char *target_name;	/* NULL unless targetPort is a name */
	bool has_target;
	uint16_t node_port;	/* 0 when unset */
};

/* A loadBalancerSourceRanges entry, host bits cleared. */
struct lb_src_range {
	struct lb_addr addr;
	uint8_t plen;
};

enum lb_fam_policy {
	LB_FP_UNSET,
	LB_FP_SINGLE,
	LB_FP_PREFER_DUAL,
	LB_FP_REQUIRE_DUAL,
};

struct lb_svc_spec {
	bool is_lb;
	char *lb_class;		/* NULL when unset */
	/* Labels used by pool selectors, including the synthetic two. */
	struct lb_labels labels;
	struct lb_labels selector;
	bool has_selector;
	struct lb_addr *req;	/* specific IPs, in request order */
	size_t nreq;
	char *sharing_key;
	char **xns;		/* cross-namespace permissions */
	size_t nxns;
	char **pools;		/* lbipam.io/pool */
	size_t npools;
	enum lb_fam_policy fam_policy;
	uint8_t fams[2];	/* spec.ipFamilies */
	size_t nfams;
	struct lb_port *ports;
	size_t nports;
	bool etp_local;
	char *type;		/* spec.type as written, NULL when unset */
	/* spec.clusterIPs (or spec.clusterIP), "None" and "" left out */
	struct lb_addr *cips;
	size_t ncips;
	char **cip_text;	/* as written, "None" kept, for views */
	size_t ncip_text;
	uint32_t affinity;	/* ClientIP timeout in seconds, 0: none */
	struct lb_src_range *ranges;
	size_t nranges;
	struct lb_addr *ext_ips;	/* spec.externalIPs */
	size_t next_ips;
	struct lb_addr *hints;	/* status.loadBalancer.ingress */
	size_t nhints;
	/* Node IPAM: io.cilium.nodeipam/match-node-labels; NULL: every node */
	struct lb_selector *node_sel;
};

struct lb_holding;

/* The one condition LB-IPAM sets on a Service. */
#define LB_SVC_COND_TYPE "cilium.io/IPAMRequestSatisfied"

enum lb_cond_status {
	LB_COND_NONE,
	LB_COND_TRUE,
	LB_COND_FALSE,
};

struct lb_service {
	char *ns;
	char *name;
	char *key;		/* "ns/name" */
	int64_t created;
	uint64_t generation;
	char *doc;
	struct lb_objstat st;
	struct lb_svc_spec spec;
	struct lb_holding **held;	/* ingress order */
	size_t nheld;
	size_t capheld;
	bool managed;
	enum lb_cond_status cond;
	char *cond_reason;
	char *cond_msg;
	bool dirty;		/* holdings differ from the database */
	bool check;		/* spec or a co-holder changed: re-validate */
	bool queued;		/* on the engine's work list */
	/*
	 * Families whose IP was revoked under LB_REVOKE_PENDING (bit 0 IPv4,
	 * bit 1 IPv6); cleared when the Service changes.
	 */
	uint8_t revoked;
	size_t rank;		/* position in first-come order */
	bool view_changed;	/* on the engine's changed list */
	bool stat_queued;	/* on the engine's status list */
};

void lbe_svc_spec_free(struct lb_svc_spec *s);
void lbe_service_free(struct lb_service *s);
/* First-come order: creation time, then namespace/name. */
int lbe_service_cmp_age(const struct lb_service *a, const struct lb_service *b);
/*
 * Families to allocate, per Cilium's serviceIPFamilyRequest table;
 * returns the count written to fams.
 */
size_t lbe_service_families(const struct lb_service *s, bool v4on, bool v6on,
			   uint8_t fams[2]);

#endif /* _LB_SERVICE_H */
