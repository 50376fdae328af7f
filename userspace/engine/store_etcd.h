/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of the etcd store share: the store's state and the calls
 * one part makes into another.
 *
 *   store_etcd.c        the store: the transaction's writes, the fenced
 *                       commit, open and close
 *   store_etcd_snap.c   the snapshot: read from etcd, iterated by the
 *                       engine's load
 *   store_etcd_cache.c  the local SQLite cache of the snapshot
 *   store_etcd_journal.c  commits larger than one txn: the journal
 */
#ifndef _LB_STORE_ETCD_H
#define _LB_STORE_ETCD_H

#include "etcd.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define LB_ETCD_SCHEMA 1
/*
 * Reads of the whole prefix and commits of a large apply take longer
 * than the election's calls; a commit outliving the lease is still
 * fenced by etcd.
 */
#define LB_ETCD_DATA_TIMEOUT_MS 10000
/*
 * What one txn may hold, well inside etcd's defaults (--max-txn-ops 128,
 * --max-request-bytes 1.5 MiB), which a client cannot ask the server
 * for: a server configured lower than its defaults refuses large
 * commits, naming its limit, and nothing is applied.
 */
#define LB_ETCD_TXN_OPS 100
#define LB_ETCD_TXN_BYTES (512 * 1024)

struct etcd_store {
	struct lb_store base;
	struct lb_etcd *c;		/* borrowed */
	char *prefix;
	json_t *snap;			/* relative key -> value */
	int64_t rev;			/* etcd revision snap is as of */
	int64_t seq;			/* the commit key's seq in snap */
	json_t *ops;			/* this transaction: [key, value|null] */
	json_t *changes;		/* the last delta: key -> value|null */
	bool view;			/* the iterators walk changes, not snap */
	int64_t fence;			/* the leader key's create_revision */
	bool lost;			/* a commit found the fence gone */
	struct lb_store *cache;		/* owned, or NULL */
	char err[600];
};

static inline struct etcd_store *es(struct lb_store *s)
{
	return (struct etcd_store *)((char *)s -
				     offsetof(struct etcd_store, base));
}

/* store_etcd.c: an object's value (its YAML and Kubernetes bookkeeping). */
json_t *lbe_store_etcd_object_json(const struct lb_store_object *o);
/* The conditions of an object's value, for lb_store_object. */
struct lb_store_condition *lbe_store_etcd_object_conds(json_t *v,
						       size_t *n);

/*
 * store_etcd.c: the txn request putting @v (or deleting, v NULL) at
 * prefix+@rel, its size added to *bytes; deleting every key under @rel.
 */
json_t *lbe_store_etcd_req(struct etcd_store *s, const char *rel, json_t *v,
			   size_t *bytes);
json_t *lbe_store_etcd_del_under(struct etcd_store *s, const char *rel);
/*
 * One txn of @reqs (an array, stolen) if the leader key still has our
 * create revision: 0 and *rev, -EPERM (s->lost) or -EIO; s->err says why.
 */
int lbe_store_etcd_txn(struct etcd_store *s, json_t *reqs, int64_t *rev);
/* A range request (@req, stolen); -EIO with s->err. */
int lbe_store_etcd_range(struct etcd_store *s, json_t *req, json_t **r);
/* The commit key's value for commit @seq, as a request. */
json_t *lbe_store_etcd_commit_req(struct etcd_store *s, int64_t seq,
				  size_t *bytes);
/* @ops ([rel, value|null]) into the snapshot and the cache, as of @rev. */
void lbe_store_etcd_applied(struct etcd_store *s, json_t *ops, int64_t rev);

/*
 * store_etcd_journal.c: @ops, too many for one txn, committed through
 * the journal as commit @seq; 0 and *rev (the revision it is whole at).
 */
int lbe_store_etcd_journal_commit(struct etcd_store *s, json_t *ops,
				  int64_t seq, int64_t *rev);
/* Whether @ops fit one txn with @extra more requests. */
bool lbe_store_etcd_fits(struct etcd_store *s, json_t *ops, size_t extra);

/* store_etcd_snap.c: struct lb_store_ops' iterations over the snapshot. */
int lbe_store_etcd_each_object(struct lb_store *b,
			       int (*cb)(const struct lb_store_object *o,
					 void *arg),
			       void *arg);
int lbe_store_etcd_each_holding(struct lb_store *b,
				int (*cb)(const char *svc, const char *ip,
					  void *arg),
				void *arg);
int lbe_store_etcd_each_svc_state(struct lb_store *b,
				  int (*cb)(const char *svc, int revoked,
					    void *arg),
				  void *arg);
int lbe_store_etcd_each_pool_state(struct lb_store *b,
				   int (*cb)(const char *pool, bool conflicting,
					     const char *msg, void *arg),
				   void *arg);

/* store_etcd_cache.c: brings the cache from @old to @cur (snapshots). */
void lbe_store_etcd_cache_sync(struct etcd_store *s, json_t *old,
			       json_t *cur);
/* The same for @ops ([rel, value|null]) applied to the snapshot. */
void lbe_store_etcd_cache_apply(struct etcd_store *s, json_t *ops);

#endif
