/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's internal state shared by its files: struct lb_engine,
 * parsed documents, change tracking and logging.
 */
#ifndef _LB_ENGINE_INT_H
#define _LB_ENGINE_INT_H

#include "endpoints.h"
#include "l2policy.h"
#include "lb_engine.h"
#include "pool.h"
#include "service.h"
#include "util.h"

struct lb_store;
struct lb_store_condition;
struct lb_store_object;
struct lb_event;

struct lb_eps {
	char *ns;
	char *name;
	char *key;
	int64_t created;
	uint64_t generation;
	char *doc;
	struct lb_objstat st;
	struct lb_eps_spec spec;
};

/* The EndpointSlices labelled for one Service, in no order. */
struct lb_svc_eps {
	char *key;		/* "ns/service" */
	struct lb_eps **v;
	size_t n;
	size_t cap;
};

/* Objects touched by the running apply/delete, to be persisted. */
struct lb_change {
	enum lb_kind kind;
	char *key;		/* pool name or "ns/name" */
	bool deleted;
};

struct lb_engine {
	struct lb_engine_config cfg;
	char **classes;
	size_t nclasses;

	struct lb_pool **pools;		/* name order */
	size_t npools;
	size_t cappools;
	struct lb_htab svcs;		/* by "ns/name" */
	size_t nsvcs;
	struct lb_service **order;	/* first-come order */
	size_t norder;
	bool order_stale;
	size_t caporder;
	/*
	 * Pools changed since the last reconcile: every holding must be
	 * re-validated and re-attributed, not just those of touched services.
	 */
	bool pools_dirty;
	bool always_full;		/* tests: never use the work list */
	/*
	 * Services the next reconcile must look at: changed ones and every
	 * unsatisfied one.  Everything else is settled, so a change costs in
	 * proportion to what it touches, not to the number of services.
	 */
	struct lb_service **work;
	size_t nwork;
	size_t capwork;
	/* Services whose holdings differ from the database. */
	struct lb_service **dirty;
	size_t ndirty;
	size_t capdirty;
	struct lb_htab eps;
	struct lb_htab eps_by_svc;	/* "ns/service" -> lb_svc_eps */

	/* Services whose kernel view may have changed (kview.c). */
	char **changed;
	size_t nchanged;
	size_t capchanged;
	bool changed_all;

	/* CiliumL2AnnouncementPolicy (lb_l2pol) and Node (lb_node) objects */
	struct lb_named_set l2pols;
	struct lb_named_set nodes;
	/* A policy or Node changed: every Service's announcements may. */
	bool l2_changed_all;
	/* CiliumBGPClusterConfig, PeerConfig, Advertisement (lb_bgp_obj) */
	struct lb_named_set bgp[3];
	/* A BGP object or a Node changed since lbe_changed_clear(). */
	bool bgp_changed;

	struct lb_htab holdings;	/* by address */
	struct lb_addr *touched;	/* holdings to recount */
	size_t ntouched;
	size_t captouched;

	int64_t last_stamp;
	int64_t call_stamp;		/* creation time for this call, or 0 */
	uint64_t state_seq;

	/* Services whose status may have changed (status.c). */
	struct lb_service **statq;
	size_t nstatq;
	size_t capstatq;
	uint64_t rv;			/* last resourceVersion handed out */

	/* events.c: by identity, and a list least recently seen first */
	struct lb_htab events;
	struct lb_event *ev_head, *ev_tail;
	size_t nevents;

	struct lb_store *store;
	struct lb_change *changes;
	size_t nchanges;
	size_t capchanges;
};

/* log.c */
bool lbe_log_on(struct lb_engine *e, enum lb_log_level lvl);
/* Key/value pairs follow msg, terminated by NULL. */
void lbe_log(struct lb_engine *e, enum lb_log_level lvl, const char *msg, ...)
	__attribute__((sentinel));

/* engine.c */
struct lb_pool *lbe_pool(struct lb_engine *e, const char *name);
struct lb_service *lbe_service(struct lb_engine *e, const char *key);
void lbe_sort_services(struct lb_engine *e);
void lbe_order_add(struct lb_engine *e, struct lb_service *s);
/* An object's table key: "ns/name" (no ns: "default"), or its name. */
char *lbe_key(enum lb_kind kind, const char *ns, const char *name);
void lbe_order_del(struct lb_engine *e, struct lb_service *s);
void lbe_enqueue(struct lb_engine *e, struct lb_service *s);
void lbe_mark_dirty(struct lb_engine *e, struct lb_service *s);
void lbe_note_change(struct lb_engine *e, enum lb_kind kind,
			   const char *key, bool deleted);
void lbe_clear_changes(struct lb_engine *e);
struct lb_doc;
/*
 * Create or replace the object of o, moving its parsed spec; created and
 * generation come from the database when non-zero.  False if unchanged.
 */
bool lbe_upsert(struct lb_engine *e, struct lb_doc *o, int64_t created,
		      uint64_t generation);
/*
 * A cluster-scoped object of size bytes (beginning with its lb_named) in
 * set: created or found, its document replaced; NULL if the text is the
 * same.  The caller moves the spec.
 */
struct lb_named *lbe_upsert_named(struct lb_engine *e,
				  struct lb_named_set *set, size_t size,
				  struct lb_doc *o, int64_t created,
				  uint64_t generation, bool *fresh);
void lbe_free_state(struct lb_engine *e);
int lbe_remove(struct lb_engine *e, enum lb_kind kind, const char *key);
/* The stored YAML text of an object, or NULL. */
const char *lbe_object_text(struct lb_engine *e, enum lb_kind kind,
				  const char *ns, const char *name);

/* kview.c */
void lbe_addr_to_ip(const struct lb_addr *a, struct lb_ip *ip);
void lbe_view_changed(struct lb_engine *e, const char *key);
void lbe_view_changed_svc(struct lb_engine *e, struct lb_service *s);
/* Keeps eps_by_svc right: add after x's spec is set, del before. */
void lbe_eps_index_add(struct lb_engine *e, struct lb_eps *x);
void lbe_eps_index_del(struct lb_engine *e, struct lb_eps *x);
void lbe_eps_index_init(struct lb_engine *e);
void lbe_eps_index_free(struct lb_engine *e);

/* status.c */
/* The engine's clock in ns since the epoch (cfg.clock or the real time). */
int64_t lbe_now(struct lb_engine *e);
/* The bookkeeping of an object, or NULL if there is none. */
struct lb_objstat *lbe_objstat(struct lb_engine *e, enum lb_kind kind,
				     const char *key);
/* A new resourceVersion for an object that changed. */
void lbe_rv_bump(struct lb_engine *e, struct lb_objstat *st);
/* A spec was applied: generation moves only if the spec did. */
void lbe_spec_changed(struct lb_engine *e, struct lb_objstat *st,
		     uint64_t spec_hash, uint64_t *generation);
/* s's conditions or held IPs may have changed: look at it before persisting. */
void lbe_status_touch(struct lb_engine *e, struct lb_service *s);
void lbe_status_untouch(struct lb_engine *e, struct lb_service *s);
/*
 * Bring every touched object's condition records, transition times and
 * resourceVersion up to date, noting the objects to write.
 */
void lbe_status_sync(struct lb_engine *e);
/* Transition times and observedGeneration from st into conditions c. */
void lbe_status_fill(const struct lb_objstat *st, struct lb_condition *c,
		    size_t n);
typedef void (*lb_objstat_fn)(struct lb_engine *e, enum lb_kind kind,
			      const char *key, struct lb_objstat *st,
			      void *arg);
void lbe_status_foreach(struct lb_engine *e, lb_objstat_fn fn, void *arg);
/* Sets an object's conditions c, computed now for generation gen. */
void lbe_status_set(struct lb_engine *e, enum lb_kind kind, const char *key,
		    struct lb_objstat *st, uint64_t gen,
		    const struct lb_condition *c, size_t n);

/* l2announce.c, shared with the BGP answer */
/* The node's labels: the command line's, then its Node object's. */
void lbe_self_labels(struct lb_engine *e, const struct lb_l2_self *self,
		     struct lb_labels *out);
/* The LB IPs a Service has: held ones, or another controller's status. */
void lbe_svc_lb_ips(const struct lb_service *s, struct lb_addr **v,
		    size_t *n);
/* A ready endpoint of the Service on node (for externalTrafficPolicy Local). */
bool lbe_local_endpoint(struct lb_engine *e, const struct lb_service *s,
			const char *node);
/* kubectl's rendering of a selector: "a=b,c in (x,y)"; "<all>" if empty. */
char *lbe_selector_text(const struct lb_selector *sel);

/* events.c */
void lbe_event(struct lb_engine *e, bool warning, const char *reason,
	      enum lb_kind kind, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void lbe_events_init(struct lb_engine *e);
void lbe_events_free(struct lb_engine *e);

/* persist.c */
/*
 * The stored form of the object kind/key (its fields point into it); its
 * conditions go into *conds, a buffer the caller frees, or none if NULL.
 */
bool lbe_record(struct lb_engine *e, enum lb_kind kind,
		      const char *key, struct lb_store_object *o,
		      struct lb_store_condition **conds);
int lbe_persist(struct lb_engine *e);
int lbe_load(struct lb_engine *e);
int lbe_load_changes(struct lb_engine *e);

/* nodeipam.c */
/* Is s of class io.cilium/node (never LB-IPAM's, served or not)? */
bool lbe_nodeipam_class(const struct lb_service *s);
/* Does Node IPAM serve s (cfg.node_ipam, a LoadBalancer of its class)? */
bool lbe_nodeipam_serves(const struct lb_engine *e, const struct lb_service *s);
/* s's ingress from the Node objects, sorted as text; caller frees *out. */
size_t lbe_nodeipam_ips(struct lb_engine *e, const struct lb_service *s,
		       struct lb_addr **out);
/* h with s's node addresses folded in (h itself if not Node IPAM's). */
uint64_t lbe_nodeipam_hash(struct lb_engine *e, const struct lb_service *s,
			  uint64_t h);
/* Every Node IPAM Service's view and status may have changed. */
void lbe_nodeipam_nodes_changed(struct lb_engine *e);
/* Service key's slices changed: its status too if eTP Local. */
void lbe_nodeipam_slices_changed(struct lb_engine *e, const char *key);

/* conflict.c */
void lbe_settle_conflicts(struct lb_engine *e);

/* sharing.c: NULL when compatible, else Cilium's reason text. */
const char *lbe_sharing_incompatible(const struct lb_engine *e,
				    const struct lb_service *a,
				    const struct lb_service *b);

/* alloc.c */
void lbe_reconcile(struct lb_engine *e);
/*
 * The pool a held IP is counted in: enabled pools first, by_prio order
 * (priority, then name), among those whose block holds it and that
 * select s.
 */
struct lb_pool *lbe_keeping_pool(struct lb_engine *e, struct lb_pool **by_prio,
				const struct lb_service *s,
				const struct lb_addr *a, struct lb_block **blk);

/* counts.c: recount what this pass touched (everything after a pool change). */
void lbe_update_counts(struct lb_engine *e, struct lb_pool **by_prio);

/* diag helpers (yaml_load.c) */
void lbe_diag_add(struct lb_diags *d, const char *file, int doc,
		 const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif /* _LB_ENGINE_INT_H */
