/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbengine: the LB-IPAM allocation engine used by lbipamd.
 *
 * The engine owns a set of CiliumLoadBalancerIPPool, Service and
 * EndpointSlice objects, decides which Service holds which load-balancer
 * IPs, and keeps all of it in a SQLite database so that a restart
 * rebuilds exactly the same holdings.  Behaviour follows Cilium LB-IPAM
 * 1.18 (the project's lbipam-semantics.md), with these deliberate
 * differences (README.md in this directory has the full list):
 *
 *  - a Service keeps its IP while the IP lies in a valid block of some
 *    pool that selects it, whatever happens to other pools or services,
 *    and also while that pool is disabled or conflicting;
 *  - pools are tried by "priority" (higher first) and then by name;
 *    waiting Services are served by creation time, then namespace/name;
 *  - first/last and "reserved" addresses are never handed out, and a
 *    request for one fails with reason "ip_reserved";
 *  - IPsUsed counts addresses held by Services only; reserved addresses
 *    are reported in lbipam.io/IPsReserved and excluded from IPsAvailable;
 *  - unusable blocks are reported in condition lbipam.io/InvalidBlocks
 *    while the pool's other blocks keep working.
 *
 * Extensions to the pool schema: spec.priority (integer, default 0) and
 * spec.reserved (list of "ip", "cidr", "start-stop" strings or
 * {cidr}/{start,stop} mappings).  Service annotation lbipam.io/pool names
 * the pool(s), comma separated and tried in that order, to allocate from.
 *
 * The engine is not thread safe; callers serialise access.  Strings in
 * the *_info structures are valid only during the callback.
 */
#ifndef _LB_ENGINE_H
#define _LB_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lb_engine;

enum lb_log_level {
	LB_LOG_DEBUG,
	LB_LOG_INFO,
	LB_LOG_WARN,
	LB_LOG_ERROR,
};

/*
 * line is a complete logfmt record without time, e.g.
 *   level=debug msg="Pool counts of 'blue-pool' changed, patching" pool=blue-pool
 */
typedef void (*lb_log_fn)(void *arg, enum lb_log_level level,
			  const char *line);

/*
 * What happens to a Service whose IP no longer lies in any pool that
 * selects it (pool deleted, shrunk, or its selector changed).
 */
enum lb_revoke_policy {
	/* Release it and allocate a new one right away (Cilium). */
	LB_REVOKE_REALLOCATE,
	/*
	 * Release it and leave that family pending, condition False with
	 * reason "ip_revoked", until the Service itself is changed.
	 */
	LB_REVOKE_PENDING,
	/*
	 * Keep the IP; the condition stays True with reason
	 * "ip_outside_pools" so the stale address is visible.
	 */
	LB_REVOKE_KEEP,
};

struct lb_engine_config {
	/* SQLite file; NULL keeps state in memory only. */
	const char *db_path;
	/* Cluster families (Cilium enable-ipv4/enable-ipv6); both on. */
	bool ipv4_disabled;
	bool ipv6_disabled;
	/*
	 * Services without spec.loadBalancerClass are ours unless this is
	 * set (Cilium default-lb-service-ipam=lbipam).
	 */
	bool no_default_class;
	/*
	 * NULL-terminated extra classes to serve, e.g.
	 * "io.cilium/l2-announcer".  Cilium serves none unless BGP or L2
	 * announcements are enabled.
	 */
	const char *const *lb_classes;
	/* Compare sharing ports by number only (bpf-lb-proto-diff=false). */
	bool sharing_port_only;
	enum lb_revoke_policy revoke_policy;
	lb_log_fn log;
	void *log_arg;
	enum lb_log_level log_level;	/* lowest level passed to log */
	/*
	 * Clock used to stamp objects that carry no creationTimestamp, in
	 * nanoseconds since the epoch; NULL uses CLOCK_REALTIME.  Objects
	 * first seen in one apply call share a stamp (as one kubectl apply
	 * shares a creationTimestamp second) and later calls get strictly
	 * greater ones, so even a constant clock gives a deterministic
	 * arrival order.  Ties are broken by name.
	 */
	int64_t (*clock)(void *arg);
	void *clock_arg;
};

/* One validation error; doc is the 0-based document index in the file. */
struct lb_diag {
	char *file;
	int doc;
	char *path;		/* e.g. "spec.blocks[1].cidr"; "" for the doc */
	char *reason;
};

struct lb_diags {
	struct lb_diag *items;
	size_t n;
	size_t cap;
};

void lb_diags_free(struct lb_diags *d);
/* "file: document N: path: reason" */
char *lb_diag_str(const struct lb_diag *d);

/* enum lb_kind, lb_kind_name() and lb_kind_parse() */
#include "../lib/lb_names.h"

/* Returns 0 or -errno; *err (if given) gets a malloc'd explanation. */
int lb_engine_open(const struct lb_engine_config *cfg, struct lb_engine **out,
		   char **err);
void lb_engine_close(struct lb_engine *e);

/*
 * Create or replace every object in a (multi-document) YAML text.  All or
 * nothing: on any validation error nothing changes, -EINVAL is returned
 * and diags (if given) names each problem.  Documents of other kinds are
 * skipped with a log line.  One database transaction per call; -EIO if it
 * fails, in which case the engine reloads its last committed state.
 * Diagnostics are appended to diags; free them with lb_diags_free().
 */
int lb_engine_apply_yaml(struct lb_engine *e, const char *file,
			 const char *buf, size_t len, struct lb_diags *diags);
int lb_engine_apply_file(struct lb_engine *e, const char *path,
			 struct lb_diags *diags);
/* The checks of lb_engine_apply_yaml without applying anything. */
int lb_engine_validate_yaml(struct lb_engine *e, const char *file,
			    const char *buf, size_t len, struct lb_diags *diags);

/* ns is ignored for pools (cluster scoped).  -ENOENT if absent. */
int lb_engine_delete(struct lb_engine *e, enum lb_kind kind, const char *ns,
		     const char *name);

struct lb_condition {
	const char *type;
	const char *status;	/* "True", "False", "Unknown" */
	const char *reason;
	const char *message;
	uint64_t observed_generation;
};

struct lb_counts {
	char total[64];
	char used[64];
	char available[64];
	char reserved[64];
};

struct lb_block_info {
	const char *spec;	/* "10.0.0.0/24" or "10.0.0.1-10.0.0.9" */
	const char *range;	/* "10.0.0.0 - 10.0.0.255"; "" if invalid */
	bool valid;
	const char *error;	/* why it is unusable, or "" */
};

struct lb_pool_info {
	const char *name;
	const char *api_version;
	int64_t created;	/* ns since epoch */
	uint64_t generation;
	int64_t priority;
	bool disabled;
	bool conflicting;
	bool allow_first_last;
	struct lb_counts all;
	struct lb_counts v4;
	struct lb_counts v6;
	size_t n_conditions;
	const struct lb_condition *conditions;
	size_t n_blocks;
	const struct lb_block_info *blocks;
};

typedef int (*lb_pool_cb)(const struct lb_pool_info *p, void *arg);
/* Pools in name order; a non-zero callback return stops and is returned. */
int lb_engine_foreach_pool(struct lb_engine *e, lb_pool_cb cb, void *arg);
/* -ENOENT if no such pool. */
int lb_engine_get_pool(struct lb_engine *e, const char *name, lb_pool_cb cb,
		       void *arg);

struct lb_port_info {
	uint16_t port;
	const char *protocol;	/* "TCP", "UDP", "SCTP" */
	const char *name;	/* "" when unnamed */
};

struct lb_service_info {
	const char *ns;
	const char *name;
	int64_t created;
	uint64_t generation;
	/*
	 * false: not a LoadBalancer of a class we serve, or no pool exists
	 * (LB-IPAM is dormant); it then holds nothing and has no condition.
	 */
	bool managed;
	const char *sharing_key;	/* NULL if none */
	bool etp_local;
	/* LB_REVOKE_PENDING: bit 0 IPv4, bit 1 IPv6 left pending */
	unsigned int revoked;
	size_t n_ips;
	const char *const *ips;		/* status.loadBalancer.ingress order */
	size_t n_ports;
	const struct lb_port_info *ports;
	/* cilium.io/IPAMRequestSatisfied; absent when !managed */
	bool has_condition;
	struct lb_condition condition;
};

typedef int (*lb_service_cb)(const struct lb_service_info *s, void *arg);
/* Services in namespace/name order. */
int lb_engine_foreach_service(struct lb_engine *e, lb_service_cb cb,
			      void *arg);
int lb_engine_get_service(struct lb_engine *e, const char *ns,
			  const char *name, lb_service_cb cb, void *arg);

enum lb_ip_owner {
	LB_OWNER_SERVICE,		/* held by one or more services */
	LB_OWNER_RESERVED_FIRST_LAST,	/* allowFirstLastIPs: No */
	LB_OWNER_RESERVED,		/* spec.reserved */
};

struct lb_ip_info {
	const char *pool;
	/* An address; for LB_OWNER_RESERVED possibly "first-last". */
	const char *ip;
	enum lb_ip_owner owner;
	size_t n_holders;
	const char *const *holders;	/* "namespace/name", oldest first */
	const char *sharing_key;	/* NULL if not shared by key */
};

typedef int (*lb_ip_cb)(const struct lb_ip_info *ip, void *arg);
/*
 * Per-IP view of one pool (or of all pools if pool is NULL), in address
 * order: service holdings and free reserved addresses.
 */
int lb_engine_foreach_pool_ip(struct lb_engine *e, const char *pool,
			      lb_ip_cb cb, void *arg);

struct lb_holding_info {
	const char *ns;
	const char *name;
	const char *ip;
	int family;			/* 4 or 6 */
	const char *pool;		/* pool the IP is counted in, or "" */
};

typedef int (*lb_holding_cb)(const struct lb_holding_info *h, void *arg);
/* Every (service, IP) pair, in namespace/name then ingress order. */
int lb_engine_foreach_holding(struct lb_engine *e, lb_holding_cb cb,
			      void *arg);

struct lb_backend_info {
	const char *slice;		/* EndpointSlice name */
	const char *address;
	bool ready;			/* conditions.ready, unset = true */
	size_t n_ports;
	const struct lb_port_info *ports;	/* the slice's ports */
};

typedef int (*lb_backend_cb)(const struct lb_backend_info *b, void *arg);
/*
 * Endpoints of the EndpointSlices labelled kubernetes.io/service-name=
 * service in ns, slices in name order; FQDN slices carry none.  Service
 * ports map to slice ports by name, as in Kubernetes.
 */
int lb_engine_foreach_backend(struct lb_engine *e, const char *ns,
			      const char *service, lb_backend_cb cb,
			      void *arg);

/*
 * Bumped whenever holdings or conditions change, so a caller can skip
 * reprogramming when nothing moved.
 */
uint64_t lb_engine_state_seq(const struct lb_engine *e);

/*
 * Canonical text dump of the whole state (pools, conditions, services,
 * holdings); equal dumps mean equal state.  Caller frees.
 */
char *lb_engine_dump(struct lb_engine *e);

#ifdef __cplusplus
}
#endif

#endif /* _LB_ENGINE_H */
