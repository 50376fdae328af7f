/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's persistent store: one small table of operations, so that
 * SQLite today and etcd later plug in below persist.c unchanged.
 */
#ifndef _LB_STORE_H
#define _LB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_store;

/* A condition's bookkeeping: what its transition time depends on. */
struct lb_store_condition {
	const char *type;
	const char *status;
	int64_t last_transition;	/* seconds since the epoch */
	uint64_t observed_generation;
};

struct lb_store_object {
	int kind;
	const char *key;
	int64_t created;
	uint64_t generation;
	const char *doc;
	/*
	 * Kubernetes bookkeeping (status.h); a store that keeps none reads
	 * back zeros and no conditions, and the engine starts them afresh.
	 */
	uint64_t resource_version;
	uint64_t status_hash;
	size_t n_conditions;
	const struct lb_store_condition *conditions;
};

/*
 * A store keeps objects (as their YAML text, with their
 * resourceVersion and condition transition times), holdings, per-pool
 * conflict flags and a few counters, and changes them in transactions: the engine
 * calls begin, then puts and deletes, then commit (or rollback), and
 * reads everything back with the each_* iterators when it opens.  Every
 * call returns 0 or -errno; an iterator stops at a callback's non-zero
 * return and returns it.  Iterators hand out strings valid only during
 * the callback.
 *
 * SQLite is the one store today (store_sqlite.c).  Another one (etcd for
 * cluster mode) implements these operations and an open function, and
 * lbe_store_open() chooses it; nothing in the engine above this interface
 * changes.
 */
struct lb_store_ops {
	void (*close)(struct lb_store *s);
	/* The last failure, for a log line. */
	const char *(*errmsg)(struct lb_store *s);

	int (*begin)(struct lb_store *s);
	int (*commit)(struct lb_store *s);
	void (*rollback)(struct lb_store *s);

	int (*put_object)(struct lb_store *s, const struct lb_store_object *o);
	int (*del_object)(struct lb_store *s, int kind, const char *key);
	/* Replaces every holding, and the revoked-family mask, of a service. */
	int (*put_holdings)(struct lb_store *s, const char *svc,
			    const char *const *ips, size_t n, int revoked);
	int (*put_pool_state)(struct lb_store *s, const char *pool,
			      bool conflicting, const char *msg);
	int (*del_pool_state)(struct lb_store *s, const char *pool);
	int (*set_meta)(struct lb_store *s, const char *key, int64_t v);
	/* -ENOENT if the key was never set. */
	int (*get_meta)(struct lb_store *s, const char *key, int64_t *v);

	int (*each_object)(struct lb_store *s,
			   int (*cb)(const struct lb_store_object *o, void *arg),
			   void *arg);
	/* Rows come ordered by service, then ingress position. */
	int (*each_holding)(struct lb_store *s,
			    int (*cb)(const char *svc, const char *ip,
				      void *arg),
			    void *arg);
	int (*each_svc_state)(struct lb_store *s,
			      int (*cb)(const char *svc, int revoked,
					void *arg),
			      void *arg);
	int (*each_pool_state)(struct lb_store *s,
			       int (*cb)(const char *pool, bool conflicting,
					 const char *msg, void *arg),
			       void *arg);
};

/* Each store embeds this as its first member. */
struct lb_store {
	const struct lb_store_ops *ops;
};

/* The SQLite store: @path is the database file. */
int lbe_store_sqlite_open(const char *path, struct lb_store **out, char **err);
/* How long to wait for another writer before failing (default 5 s). */
void lbe_store_sqlite_busy_timeout(struct lb_store *s, int ms);

/*
 * The etcd store (store_etcd.c, built into lbipamd, not the engine
 * library): keys under @prefix ("/lbipam/"), through @c, which stays
 * the caller's.  It starts empty; lbe_store_etcd_refresh() reads the
 * whole state into its snapshot (which the each_* iterators walk), and
 * a commit is one etcd txn (or, when too large for one, a journal of
 * several, store_etcd_journal.c), each succeeding only while the leader
 * key (@prefix "leader") has the create revision given to
 * lbe_store_etcd_fence(); without one a commit that changes anything
 * fails with -EPERM.  Commits that change nothing write nothing.
 */
struct lb_etcd;
/*
 * @cache (or NULL), a SQLite store the etcd store owns from then on,
 * mirrors every snapshot and commit; refused (-EEXIST) if it holds a
 * single node's objects rather than a cache.
 */
int lbe_store_etcd_open(struct lb_etcd *c, const char *prefix,
		       struct lb_store *cache, struct lb_store **out,
		       char **err);
/* The snapshot from the cache (etcd unreachable); -ENOENT if none. */
int lbe_store_etcd_load_cache(struct lb_store *s);
/* 0, or -EIO / -EPROTO with the snapshot unchanged. */
int lbe_store_etcd_refresh(struct lb_store *s);
/* The etcd revision the snapshot is as of. */
int64_t lbe_store_etcd_revision(struct lb_store *s);
/* 0: not the leader. */
void lbe_store_etcd_fence(struct lb_store *s, int64_t leader_create_rev);
/*
 * For a new leader, before it serves: finishes a commit its predecessor
 * left in the journal past the commit point (1), drops one left before
 * it (2), or finds none (0); -errno with lbe_store_errmsg().
 */
int lbe_store_etcd_recover(struct lb_store *s);
/*
 * Brings the snapshot forward to @rev, the commit key's revision, with
 * the watch's changes since the last one (@delta: relative key ->
 * [mod_revision, value or null]); entries the snapshot already has are
 * skipped.  Returns how many keys changed.
 */
struct json_t;
int lbe_store_etcd_apply_delta(struct lb_store *s, struct json_t *delta,
			       int64_t rev);
/*
 * @on: the iterators show only the last lbe_store_etcd_apply_delta()'s
 * changes, as lbe_reload_changes() reads them (a deleted object without
 * its doc, every changed Service's revoked mask even if 0); off: the
 * whole snapshot.
 */
void lbe_store_etcd_changes(struct lb_store *s, bool on);
/* Whether relative key @rel is part of the engine's state. */
bool lbe_store_etcd_state_key(const char *rel);
/* The commit key's seq the snapshot is at. */
int64_t lbe_store_etcd_seq(struct lb_store *s);
/* A commit failed because the leader key was no longer ours. */
bool lbe_store_etcd_lost(struct lb_store *s);

/* Opens the store @where names; *err (if given) gets a malloc'd reason. */
static inline int lbe_store_open(const char *where, struct lb_store **out,
				char **err)
{
	return lbe_store_sqlite_open(where, out, err);
}

static inline void lbe_store_close(struct lb_store *s)
{
	if (s)
		s->ops->close(s);
}

static inline const char *lbe_store_errmsg(struct lb_store *s)
{
	return s->ops->errmsg(s);
}

static inline int lbe_store_begin(struct lb_store *s)
{
	return s->ops->begin(s);
}

static inline int lbe_store_commit(struct lb_store *s)
{
	return s->ops->commit(s);
}

static inline void lbe_store_rollback(struct lb_store *s)
{
	s->ops->rollback(s);
}

static inline int lbe_store_put_object(struct lb_store *s,
				      const struct lb_store_object *o)
{
	return s->ops->put_object(s, o);
}

static inline int lbe_store_del_object(struct lb_store *s, int kind,
				      const char *key)
{
	return s->ops->del_object(s, kind, key);
}

static inline int lbe_store_put_holdings(struct lb_store *s, const char *svc,
					const char *const *ips, size_t n,
					int revoked)
{
	return s->ops->put_holdings(s, svc, ips, n, revoked);
}

static inline int lbe_store_put_pool_state(struct lb_store *s,
					  const char *pool, bool conflicting,
					  const char *msg)
{
	return s->ops->put_pool_state(s, pool, conflicting, msg);
}

static inline int lbe_store_del_pool_state(struct lb_store *s,
					  const char *pool)
{
	return s->ops->del_pool_state(s, pool);
}

static inline int lbe_store_set_meta(struct lb_store *s, const char *key,
				    int64_t v)
{
	return s->ops->set_meta(s, key, v);
}

static inline int lbe_store_get_meta(struct lb_store *s, const char *key,
				    int64_t *v)
{
	return s->ops->get_meta(s, key, v);
}

static inline int lbe_store_each_object(struct lb_store *s,
		int (*cb)(const struct lb_store_object *o, void *arg), void *arg)
{
	return s->ops->each_object(s, cb, arg);
}

static inline int lbe_store_each_holding(struct lb_store *s,
		int (*cb)(const char *svc, const char *ip, void *arg), void *arg)
{
	return s->ops->each_holding(s, cb, arg);
}

static inline int lbe_store_each_svc_state(struct lb_store *s,
		int (*cb)(const char *svc, int revoked, void *arg), void *arg)
{
	return s->ops->each_svc_state(s, cb, arg);
}

static inline int lbe_store_each_pool_state(struct lb_store *s,
		int (*cb)(const char *pool, bool conflicting, const char *msg,
			  void *arg), void *arg)
{
	return s->ops->each_pool_state(s, cb, arg);
}

#endif /* _LB_STORE_H */
