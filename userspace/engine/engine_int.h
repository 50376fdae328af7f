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
bool lb_log_on(struct lb_engine *e, enum lb_log_level lvl);
/* Key/value pairs follow msg, terminated by NULL. */
void lb_log(struct lb_engine *e, enum lb_log_level lvl, const char *msg, ...)
	__attribute__((sentinel));

/* engine.c */
struct lb_pool *lb_engine_pool(struct lb_engine *e, const char *name);
struct lb_service *lb_engine_service(struct lb_engine *e, const char *key);
void lb_engine_sort_services(struct lb_engine *e);
void lb_engine_order_add(struct lb_engine *e, struct lb_service *s);
/* An object's table key: "ns/name" (no ns: "default"), or its name. */
char *lb_engine_key(enum lb_kind kind, const char *ns, const char *name);
void lb_engine_order_del(struct lb_engine *e, struct lb_service *s);
void lb_engine_enqueue(struct lb_engine *e, struct lb_service *s);
void lb_engine_mark_dirty(struct lb_engine *e, struct lb_service *s);
void lb_engine_note_change(struct lb_engine *e, enum lb_kind kind,
			   const char *key, bool deleted);
void lb_engine_clear_changes(struct lb_engine *e);
struct lb_doc;
/*
 * Create or replace the object of o, moving its parsed spec; created and
 * generation come from the database when non-zero.  False if unchanged.
 */
bool lb_engine_upsert(struct lb_engine *e, struct lb_doc *o, int64_t created,
		      uint64_t generation);
void lb_engine_free_state(struct lb_engine *e);
int lb_engine_remove(struct lb_engine *e, enum lb_kind kind, const char *key);
/* The stored YAML text of an object, or NULL. */
const char *lb_engine_object_text(struct lb_engine *e, enum lb_kind kind,
				  const char *ns, const char *name);

/* kview.c */
void lb_addr_to_ip(const struct lb_addr *a, struct lb_ip *ip);
void lb_view_changed(struct lb_engine *e, const char *key);
void lb_view_changed_svc(struct lb_engine *e, struct lb_service *s);
/* Keeps eps_by_svc right: add after x's spec is set, del before. */
void lb_eps_index_add(struct lb_engine *e, struct lb_eps *x);
void lb_eps_index_del(struct lb_engine *e, struct lb_eps *x);
void lb_eps_index_init(struct lb_engine *e);
void lb_eps_index_free(struct lb_engine *e);

/* status.c */
/* The engine's clock in ns since the epoch (cfg.clock or the real time). */
int64_t lb_engine_now(struct lb_engine *e);
/* The bookkeeping of an object, or NULL if there is none. */
struct lb_objstat *lb_engine_objstat(struct lb_engine *e, enum lb_kind kind,
				     const char *key);
/* A new resourceVersion for an object that changed. */
void lb_rv_bump(struct lb_engine *e, struct lb_objstat *st);
/* A spec was applied: generation moves only if the spec did. */
void lb_spec_changed(struct lb_engine *e, struct lb_objstat *st,
		     uint64_t spec_hash, uint64_t *generation);
/* s's conditions or held IPs may have changed: look at it before persisting. */
void lb_status_touch(struct lb_engine *e, struct lb_service *s);
void lb_status_untouch(struct lb_engine *e, struct lb_service *s);
/*
 * Bring every touched object's condition records, transition times and
 * resourceVersion up to date, noting the objects to write.
 */
void lb_status_sync(struct lb_engine *e);
/* Transition times and observedGeneration from st into conditions c. */
void lb_status_fill(const struct lb_objstat *st, struct lb_condition *c,
		    size_t n);
typedef void (*lb_objstat_fn)(struct lb_engine *e, enum lb_kind kind,
			      const char *key, struct lb_objstat *st,
			      void *arg);
void lb_status_foreach(struct lb_engine *e, lb_objstat_fn fn, void *arg);

/* events.c */
void lb_event(struct lb_engine *e, bool warning, const char *reason,
	      enum lb_kind kind, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void lb_events_init(struct lb_engine *e);
void lb_events_free(struct lb_engine *e);

/* persist.c */
/*
 * The stored form of the object kind/key (its fields point into it); its
 * conditions go into *conds, a buffer the caller frees, or none if NULL.
 */
bool lb_engine_record(struct lb_engine *e, enum lb_kind kind,
		      const char *key, struct lb_store_object *o,
		      struct lb_store_condition **conds);
int lb_engine_persist(struct lb_engine *e);
int lb_engine_load(struct lb_engine *e);

/* conflict.c */
void lb_settle_conflicts(struct lb_engine *e);

/* sharing.c: NULL when compatible, else Cilium's reason text. */
const char *lb_sharing_incompatible(const struct lb_engine *e,
				    const struct lb_service *a,
				    const struct lb_service *b);

/* alloc.c */
void lb_reconcile(struct lb_engine *e);
/*
 * The pool a held IP is counted in: enabled pools first, by_prio order
 * (priority, then name), among those whose block holds it and that
 * select s.
 */
struct lb_pool *lb_keeping_pool(struct lb_engine *e, struct lb_pool **by_prio,
				const struct lb_service *s,
				const struct lb_addr *a, struct lb_block **blk);

/* counts.c: recount what this pass touched (everything after a pool change). */
void lb_update_counts(struct lb_engine *e, struct lb_pool **by_prio);

/* diag helpers (yaml_load.c) */
void lb_diag_add(struct lb_diags *d, const char *file, int doc,
		 const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif /* _LB_ENGINE_INT_H */
