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

struct etcd_store {
	struct lb_store base;
	struct lb_etcd *c;		/* borrowed */
	char *prefix;
	json_t *snap;			/* relative key -> value */
	int64_t rev;			/* etcd revision snap is as of */
	json_t *ops;			/* this transaction: [key, value|null] */
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

#endif
