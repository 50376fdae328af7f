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

#include <netinet/in.h>
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

struct lb_store;

struct lb_engine_config {
	/* SQLite file; NULL keeps state in memory only. */
	const char *db_path;
	/*
	 * Or an opened store (struct lb_store, store.h), the engine's from
	 * then on: loaded, not written at open (lbe_reload saves).
	 */
	struct lb_store *store;
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
	/*
	 * Node IPAM (Cilium enable-node-ipam): LoadBalancer Services of
	 * class io.cilium/node get the addresses of the Node objects
	 * (lbe_foreach_service ips, lbe_kernel_service lb_ips).  That class
	 * is never allocated from pools, whether this is set or not.
	 */
	bool node_ipam;
	/* Compare sharing ports by number only (bpf-lb-proto-diff=false). */
	bool sharing_port_only;
	enum lb_revoke_policy revoke_policy;
	/*
	 * Admission checks (lbipamd): a document of another kind and a pool
	 * block that cannot parse are errors instead of a log line and an
	 * InvalidBlocks condition.
	 */
	bool strict;
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
	/*
	 * Events kept (lbe_foreach_event), the least recently seen
	 * dropped first; 0 keeps LB_EVENTS_DEFAULT.
	 */
	size_t max_events;
};

#define LB_EVENTS_DEFAULT 1000

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

void lbe_diags_free(struct lb_diags *d);
/* "file: document N: path: reason" */
char *lbe_diag_str(const struct lb_diag *d);

/* enum lb_kind, lb_kind_name() and lb_kind_parse() */
#include "../lib/lb_names.h"

/* Returns 0 or -errno; *err (if given) gets a malloc'd explanation. */
int lbe_open(const struct lb_engine_config *cfg, struct lb_engine **out,
		   char **err);
void lbe_close(struct lb_engine *e);
/*
 * Forgets everything and reads the store again (cluster mode: another
 * node changed it); with @save, writes back what the reconcile changed.
 * Every Service's kernel view counts as changed.  0 or -errno.
 */
int lbe_reload(struct lb_engine *e, bool save);
/*
 * The same for a store showing only what changed since the engine last
 * read it (cluster mode's follower, lbe_store_etcd_changes()): only the
 * changed objects are loaded again, and only the Services they touch
 * count as changed.  Never saves.  0 or -errno (then the caller reloads
 * everything).
 */
int lbe_reload_changes(struct lb_engine *e);

/*
 * Create or replace every object in a (multi-document) YAML text.  All or
 * nothing: on any validation error nothing changes, -EINVAL is returned
 * and diags (if given) names each problem.  Documents of other kinds are
 * skipped with a log line.  One database transaction per call; -EIO if it
 * fails, in which case the engine reloads its last committed state.
 * Diagnostics are appended to diags; free them with lbe_diags_free().
 */
int lbe_apply_yaml(struct lb_engine *e, const char *file,
			 const char *buf, size_t len, struct lb_diags *diags);
int lbe_apply_file(struct lb_engine *e, const char *path,
			 struct lb_diags *diags);
/* What an apply or delete did to one object. */
enum lb_action {
	LB_ACTION_CREATED,
	LB_ACTION_CONFIGURED,
	LB_ACTION_UNCHANGED,
	LB_ACTION_DELETED,
};

struct lb_result {
	enum lb_kind kind;
	int doc;		/* document index in the input */
	char *ns;		/* "" for pools */
	char *name;
	enum lb_action action;
};

struct lb_results {
	struct lb_result *items;
	size_t n;
	size_t cap;
};

void lbe_results_free(struct lb_results *r);
const char *lbe_action_name(enum lb_action a);

/*
 * lbe_apply_yaml that also says, per object in input order, whether
 * it was created, configured or left unchanged (results may be NULL).
 */
int lbe_apply_yaml_results(struct lb_engine *e, const char *file,
				 const char *buf, size_t len,
				 struct lb_diags *diags,
				 struct lb_results *results);
/*
 * Deletes every object a (multi-document) YAML text names, by kind,
 * metadata.namespace and metadata.name only.  All or nothing: a document
 * that names no object, or an object that does not exist, is a diag and
 * nothing is deleted (-EINVAL).
 */
int lbe_delete_yaml(struct lb_engine *e, const char *file,
			  const char *buf, size_t len, struct lb_diags *diags,
			  struct lb_results *results);
/* Does the object exist?  ns is ignored for pools. */
bool lbe_exists(struct lb_engine *e, enum lb_kind kind, const char *ns,
		      const char *name);

/* The checks of lbe_apply_yaml without applying anything. */
int lbe_validate_yaml(struct lb_engine *e, const char *file,
			    const char *buf, size_t len, struct lb_diags *diags);

/* ns is ignored for pools (cluster scoped).  -ENOENT if absent. */
int lbe_delete(struct lb_engine *e, enum lb_kind kind, const char *ns,
		     const char *name);

struct lb_condition {
	const char *type;
	const char *status;	/* "True", "False", "Unknown" */
	const char *reason;
	const char *message;
	/* The object's generation when the condition was last computed. */
	uint64_t observed_generation;
	/*
	 * When status last changed (seconds since the epoch, from the
	 * engine's clock), as meta.SetStatusCondition keeps it: not moved by
	 * a new reason, message or generation.  Kept in the database.
	 */
	int64_t last_transition;
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
	uint64_t resource_version;
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
int lbe_foreach_pool(struct lb_engine *e, lb_pool_cb cb, void *arg);
/* -ENOENT if no such pool. */
int lbe_get_pool(struct lb_engine *e, const char *name, lb_pool_cb cb,
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
	uint64_t resource_version;
	/*
	 * false: not a LoadBalancer of a class we serve, or no pool exists
	 * (LB-IPAM is dormant); it then holds nothing and has no condition.
	 */
	bool managed;
	/*
	 * Served by Node IPAM (cfg.node_ipam, class io.cilium/node): ips
	 * are node addresses, sorted as text; never managed, no condition.
	 */
	bool node_ipam;
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
int lbe_foreach_service(struct lb_engine *e, lb_service_cb cb,
			      void *arg);
int lbe_get_service(struct lb_engine *e, const char *ns,
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
int lbe_foreach_pool_ip(struct lb_engine *e, const char *pool,
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
int lbe_foreach_holding(struct lb_engine *e, lb_holding_cb cb,
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
int lbe_foreach_backend(struct lb_engine *e, const char *ns,
			      const char *service, lb_backend_cb cb,
			      void *arg);

/* --------------------------------------------------- the kernel's view */

/* An address in binary, as the data path wants it. */
struct lb_ip {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct lb_ip_prefix {
	struct lb_ip ip;		/* host bits cleared */
	uint8_t plen;
};

/* One endpoint of an EndpointSlice (its first address). */
struct lb_kendpoint {
	struct lb_ip ip;
	/* Resolved target port; 0 in lb_kservice.endpoints. */
	uint16_t port;
	bool ready, serving, terminating;
	const char *node;		/* nodeName, NULL when unset */
	const char *slice;
};

/* One Service port and the endpoints that back it (both families). */
struct lb_kport {
	uint16_t port;
	uint8_t proto;			/* IPPROTO_TCP, _UDP, _SCTP */
	const char *name;		/* "" when unnamed */
	size_t n_endpoints;
	const struct lb_kendpoint *endpoints;
};

/*
 * What the kernel must serve for one Service: every port on every LB IP
 * it holds and on every clusterIP, with its endpoints.
 */
struct lb_kservice {
	const char *ns;
	const char *name;
	size_t n_lb_ips;
	/* held, ingress order; Node IPAM: the node addresses */
	const struct lb_ip *lb_ips;
	size_t n_cluster_ips;
	const struct lb_ip *cluster_ips;
	uint32_t affinity;		/* ClientIP timeout in s; 0: none */
	bool etp_local;			/* externalTrafficPolicy: Local */
	size_t n_ranges;
	const struct lb_ip_prefix *ranges;	/* loadBalancerSourceRanges */
	size_t n_ports;
	const struct lb_kport *ports;
	/* Every endpoint of the Service's slices, slices in name order. */
	size_t n_endpoints;
	const struct lb_kendpoint *endpoints;
};

typedef int (*lb_kservice_cb)(const struct lb_kservice *s, void *arg);
/* -ENOENT if there is no such Service. */
int lbe_kernel_service(struct lb_engine *e, const char *ns,
			     const char *name, lb_kservice_cb cb, void *arg);
/* Every Service, in no particular order. */
int lbe_foreach_kernel_service(struct lb_engine *e, lb_kservice_cb cb,
				     void *arg);

/*
 * Services whose kernel view may have changed since the last
 * lbe_changed_clear(): applied or deleted, their EndpointSlices
 * changed, or their holdings moved (e.g. by a pool change).  A deleted
 * Service is reported too (lbe_kernel_service then says -ENOENT).
 * When lbe_changed_all() is true (after opening, or after the engine
 * reloaded its state) the caller must look at everything.
 */
typedef int (*lb_changed_cb)(const char *ns, const char *name, void *arg);
bool lbe_changed_all(const struct lb_engine *e);
int lbe_foreach_changed(struct lb_engine *e, lb_changed_cb cb,
			      void *arg);
void lbe_changed_clear(struct lb_engine *e);

/* ------------------------------------------------ L2 announcements */

/*
 * CiliumL2AnnouncementPolicy (cilium.io/v2alpha1, cluster scoped) and
 * Node (v1) objects, and which addresses a node announces.  Semantics of
 * Cilium's pkg/l2announcer: a policy without serviceSelector selects every
 * Service, without nodeSelector every node, without interfaces every
 * interface; a Service is announced for every policy that selects it and
 * the node, and each such policy contributes its own (address, interface)
 * pairs (its loadBalancerIPs and/or externalIPs on its interfaces).
 * Services of another loadBalancerClass than io.cilium/l2-announcer are
 * not announced.  externalTrafficPolicy: Local Services are announced
 * only by a node with a ready endpoint.  A policy whose selector or
 * interface pattern Cilium cannot use is kept with a True condition
 * (io.cilium/bad-service-selector, io.cilium/bad-node-selector,
 * io.cilium/bad-interface-regex; reason "error") and selects nothing.
 */

/* Decides which eligible node announces a Service. */
struct lb_l2_elector;
struct lb_l2_elector_ops {
	/*
	 * Does node announce Service ns/name?  Asked only when node is
	 * eligible (selected by a policy, has an interface, and a local
	 * endpoint if the Service needs one).
	 */
	bool (*wins)(struct lb_l2_elector *el, const char *ns,
		     const char *name, const char *node);
};

/*
 * Single node: this node wins whenever it is eligible.  In cluster mode
 * (a shared store, a later issue) another elector keeps one lease per
 * Service in that store, named like Cilium's Kubernetes Lease
 * "cilium-l2announce-<namespace>-<name>": wins() takes or renews the
 * lease for node when it is free or expired and answers whether node
 * holds it; the daemon stops renewing leases of Services it is no longer
 * eligible for and recomputes its L2 set when a lease changes hands.
 * Nothing else in the engine or the daemon changes.
 */
struct lb_l2_elector {
	const struct lb_l2_elector_ops *ops;
};

extern struct lb_l2_elector lbe_l2_elector_local;

/* An interface of the node that can announce (Ethernet-like, ARP). */
struct lb_l2_iface {
	const char *name;
	uint32_t ifindex;
};

/* The node asking. */
struct lb_l2_self {
	const char *name;
	/*
	 * Labels from the command line; a Node object of this name adds
	 * its labels on top (the object wins on a shared key).
	 */
	size_t n_labels;
	const char *const *label_keys;
	const char *const *label_values;
	size_t n_ifaces;
	const struct lb_l2_iface *ifaces;
	struct lb_l2_elector *elector;	/* NULL: lbe_l2_elector_local */
};

enum lb_l2_state {
	LB_L2_ANNOUNCED,		/* by this node */
	LB_L2_NO_ADDRESS,		/* no LB IP and no externalIPs */
	LB_L2_OTHER_CLASS,		/* loadBalancerClass not ours */
	LB_L2_NO_POLICY,		/* no usable policy selects it */
	LB_L2_NODE_NOT_SELECTED,	/* policies do, none selects this node */
	LB_L2_NO_LOCAL_ENDPOINT,	/* ETP Local, no ready endpoint here */
	LB_L2_NO_INTERFACE,		/* no interface here matches */
	LB_L2_ELECTION_LOST,		/* eligible; another node announces */
};

/* One sentence for describe. */
const char *lbe_l2_state_text(enum lb_l2_state s);

struct lb_l2_pair {
	struct lb_ip ip;
	const char *ifname;
	uint32_t ifindex;
};

struct lb_l2_service {
	const char *ns;
	const char *name;
	enum lb_l2_state state;
	/* Policies selecting the Service (any node), name order. */
	size_t n_policies;
	const char *const *policies;
	/* What this node announces: ANNOUNCED only; address, then index. */
	size_t n_pairs;
	const struct lb_l2_pair *pairs;
};

typedef int (*lb_l2_service_cb)(const struct lb_l2_service *s, void *arg);
/* How many policies are stored: none means nothing is announced. */
size_t lbe_l2_policy_count(const struct lb_engine *e);
/*
 * A policy or Node was applied or deleted since the last
 * lbe_changed_clear(): every Service's announcements may differ.
 * Otherwise only the Services lbe_foreach_changed() names (and
 * everything when lbe_changed_all()) can have changed theirs.
 */
bool lbe_l2_changed_all(const struct lb_engine *e);
/* -ENOENT if there is no such Service. */
int lbe_l2_service(struct lb_engine *e, const struct lb_l2_self *self,
			 const char *ns, const char *name,
			 lb_l2_service_cb cb, void *arg);
/* Every Service, in namespace/name order. */
int lbe_foreach_l2_service(struct lb_engine *e,
				 const struct lb_l2_self *self,
				 lb_l2_service_cb cb, void *arg);

struct lb_l2_policy_info {
	const char *name;
	int64_t created;
	uint64_t generation;
	uint64_t resource_version;
	const char *service_selector;	/* "<all>" when absent */
	const char *node_selector;
	size_t n_interfaces;
	const char *const *interfaces;	/* patterns as written */
	bool external_ips;
	bool lb_ips;
	size_t n_conditions;
	const struct lb_condition *conditions;
	/* On the node asking: */
	bool selects_node;
	size_t n_matched;
	const char *const *matched;	/* its interfaces the patterns take */
	size_t n_services;
	const char *const *services;	/* "ns/name" it selects */
};

typedef int (*lb_l2_policy_cb)(const struct lb_l2_policy_info *p, void *arg);
/* Policies in name order. */
int lbe_foreach_l2_policy(struct lb_engine *e,
				const struct lb_l2_self *self,
				lb_l2_policy_cb cb, void *arg);
int lbe_get_l2_policy(struct lb_engine *e, const struct lb_l2_self *self,
			    const char *name, lb_l2_policy_cb cb, void *arg);

struct lb_node_info {
	const char *name;
	int64_t created;
	uint64_t generation;
	uint64_t resource_version;
	size_t n_labels;
	const char *const *label_keys;
	const char *const *label_values;
	/* status.addresses in order: "InternalIP", "ExternalIP", ... */
	size_t n_addresses;
	const char *const *address_types;
	const char *const *addresses;
};

typedef int (*lb_node_cb)(const struct lb_node_info *n, void *arg);
int lbe_foreach_node(struct lb_engine *e, lb_node_cb cb, void *arg);
int lbe_get_node(struct lb_engine *e, const char *name, lb_node_cb cb,
		       void *arg);

/* How many objects of a kind are stored (metrics). */
size_t lbe_count(const struct lb_engine *e, enum lb_kind kind);
/*
 * Services LB-IPAM manages (lb_service_info.managed), and of those the
 * ones whose IPAMRequestSatisfied condition is False; without the walk
 * and formatting of lbe_foreach_service().
 */
void lbe_service_counts(struct lb_engine *e, size_t *matching,
			      size_t *unsatisfied);

/* -------------------------------------------- metadata and events */

/*
 * Every object carries Kubernetes' metadata.generation, bumped when
 * anything but metadata and status changes (an identical or a
 * metadata-only re-apply leaves it), and metadata.resourceVersion, a
 * counter that moves on every change of the object, its status included
 * (held IPs, condition status, reason or message, pool counts).  Both
 * survive a restart.
 */

/* The resourceVersion of an object; 0 if there is no such object. */
uint64_t lbe_resource_version(struct lb_engine *e, enum lb_kind kind,
				    const char *ns, const char *name);

/*
 * Events, as a Kubernetes controller records them, kept in memory only:
 *   Normal  IPAllocated        a Service got an IP (new, shared or taken
 *                              back from its status)
 *   Normal  IPReleased         a Service gave an IP up (the reason says
 *                              why, e.g. deleted, no longer requested)
 *   Warning AllocationFailed   IPAMRequestSatisfied turned False
 *   Warning PoolConflict       a pool overlaps another and gives no IPs
 *   Normal  PoolConflictResolved
 *   Warning InvalidBlocks      a pool has blocks it cannot use
 *   Warning InvalidPolicy      an L2 announcement policy Cilium cannot use
 * An event equal to a kept one in type, reason, object and message is
 * folded into it (count and lastTimestamp move), as kubectl shows them.
 */
struct lb_event_info {
	const char *type;		/* "Normal" or "Warning" */
	const char *reason;
	enum lb_kind kind;
	const char *ns;			/* "" for cluster-scoped objects */
	const char *name;
	const char *message;
	uint64_t count;
	int64_t first;			/* ns since the epoch */
	int64_t last;
};

typedef int (*lb_event_cb)(const struct lb_event_info *ev, void *arg);
/* Kept events, least recently seen first. */
int lbe_foreach_event(struct lb_engine *e, lb_event_cb cb, void *arg);

/* ------------------------------------------------------ stored objects */

/*
 * The stored object as JSON text (one document, scalars typed as YAML 1.1
 * plain scalars: null, booleans, integers, floats; quoted ones stay
 * strings), from the engine's own YAML reader.  NULL if there is no such
 * object or it is too large or nested too deeply; caller frees.
 */
char *lbe_object_json(struct lb_engine *e, enum lb_kind kind,
			    const char *ns, const char *name);
/* The same conversion for any YAML text's first document (tests, tools). */
char *lbe_yaml_to_json(const char *buf, size_t len, char **err);

/*
 * Bumped whenever holdings or conditions change, so a caller can skip
 * reprogramming when nothing moved.
 */
uint64_t lbe_state_seq(const struct lb_engine *e);

/*
 * Canonical text dump of the whole state (pools, conditions, services,
 * holdings); equal dumps mean equal state.  Caller frees.
 */
char *lbe_dump(struct lb_engine *e);

#ifdef __cplusplus
}
#endif

#endif /* _LB_ENGINE_H */
