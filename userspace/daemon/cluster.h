/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of cluster mode share: the state of this node in the
 * cluster, and the calls one part makes into another.
 *
 *   cluster.c           setup, the poll loop's part, status, following
 *                       the shared state
 *   cluster_leader.c    leader election with a lease, kept alive by a
 *                       thread of its own
 *   cluster_watch.c     the watch thread: etcd events -> wake-ups and
 *                       the changes of each commit
 *   cluster_forward.c   followers' writes handed to the leader
 *   cluster_announce.c  the per-Service L2 announcer election
 */
#ifndef LBIPAMD_CLUSTER_H
#define LBIPAMD_CLUSTER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "daemon/lbipamd.h"
#include "engine/etcd.h"
#include "engine/store.h"

struct lbipamd_cluster {
	struct lbipamd_cluster_cfg cfg;
	struct lb_etcd *etcd;		/* main thread */
	struct lb_etcd *wetcd;		/* watch thread */
	struct lb_etcd *ketcd;		/* keepalive thread */
	struct lb_store *store;		/* the engine's */
	const char *node;
	int64_t lease;			/* ours, or 0 */
	int64_t leader_rev;		/* create_revision of our leader key */
	bool leader;
	char leader_name[256];
	int64_t renewed_ms;		/* last successful keepalive */
	bool etcd_ok;
	char msg[600];
	int tfd;
	int pipe[2];
	pthread_t thr, kthr;
	bool thr_started, kthr_started;
	/*
	 * The keepalive thread renews ka_lease (0: none) every quarter TTL,
	 * so a main loop busy with a large apply does not lose the lease;
	 * it reports through ka_ok_ms and ka_gone (__atomic accesses).
	 */
	int64_t ka_lease, ka_ok_ms;
	int ka_gone;
	/*
	 * Announcer election: this node's own lease (renewed by the same
	 * thread; ka_node_gone when it expired), the holder of every
	 * announced Service ("ns/name" -> node) and the live nodes, read
	 * from etcd; Services this node won in the current L2 pass; when
	 * an unheld Service was first seen by a node that is not its
	 * first choice.
	 */
	int64_t node_lease;
	int ka_node_gone;
	json_t *holders, *live, *won, *pending;
	bool recheck;			/* an L2 pass must run again */
	struct lb_l2_elector take, peek;
	/*
	 * The watch's changes to state keys (relative key -> [mod_revision,
	 * value or null]): pending until the commit key's event moves them
	 * to ready, as of ready_rev; both under dlock.  seen_rev (__atomic)
	 * is the last event's revision; watch_from (__atomic) the revision
	 * the snapshot is at, which a re-made watch resumes after.
	 */
	pthread_mutex_t dlock;
	json_t *pending_delta, *ready_delta;
	int64_t ready_rev, seen_rev, watch_from;
	bool resync;			/* the next follow reads everything */
	int stop;			/* __atomic: ends the threads */
	unsigned long seq;
};

/* What the watch thread tells the main loop, one byte each. */
enum { EV_CREATED = 'C', EV_STATE = 'S', EV_REQUEST = 'R', EV_DOWN = 'E',
       EV_ANNOUNCE = 'A', EV_LEADER = 'L', EV_RESUMED = 'U' };

static inline bool stopping(struct lbipamd_cluster *c)
{
	return __atomic_load_n(&c->stop, __ATOMIC_RELAXED);
}

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* prefix+rel, base64 as the JSON gateway wants keys. */
static inline json_t *key_b64(const struct lbipamd_cluster *c,
			      const char *rel)
{
	char *k = lb_xasprintf("%s%s", c->cfg.prefix, rel);
	json_t *j = lbe_etcd_b64(k, strlen(k));

	free(k);
	return j;
}

static inline json_t *str_b64(const char *s)
{
	return lbe_etcd_b64(s, strlen(s));
}

/* cluster.c */
/* {"key": prefix+rel, "range_end": its end}: every key under rel. */
json_t *lbipamd_cluster_range_of(const struct lbipamd_cluster *c,
				 const char *rel);
void lbipamd_cluster_set_etcd(struct lbipamd_cluster *c, bool ok);
int lbipamd_cluster_reload(struct lbipamd *d, bool save);
void lbipamd_cluster_follow(struct lbipamd *d);

/* cluster_leader.c */
void lbipamd_cluster_tick(struct lbipamd *d);
void lbipamd_cluster_revoke_id(struct lbipamd_cluster *c, int64_t *lease);
void lbipamd_cluster_revoke_lease(struct lbipamd_cluster *c);
void *lbipamd_cluster_keepalive_thread(void *arg);

/* cluster_watch.c */
void *lbipamd_cluster_watch_thread(void *arg);
/* The changes of the commits the watch has seen, and their revision. */
json_t *lbipamd_cluster_take_delta(struct lbipamd_cluster *c, int64_t *rev);
/* Waits up to @ms for the watch to pass @rev; false if it did not. */
bool lbipamd_cluster_wait_seen(struct lbipamd_cluster *c, int64_t rev,
			       int ms);

/* cluster_forward.c */
void lbipamd_cluster_serve_requests(struct lbipamd *d);

/* cluster_announce.c */
void lbipamd_cluster_announce_init(struct lbipamd_cluster *c);
void lbipamd_cluster_announce_free(struct lbipamd_cluster *c);
void lbipamd_cluster_announce_update(struct lbipamd *d, bool fetch);

#endif
