// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mode: the engine's store on etcd, set up here with the threads
 * and fds the other cluster_*.c parts use, and a follower following.
 *
 * The engine's store is store_etcd.c: every node reads the shared state
 * from etcd, only the leader (cluster_leader.c) writes it, a follower's
 * writes go through the leader (cluster_forward.c), and the watch
 * (cluster_watch.c) hands every node the changes of each commit.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "daemon/cluster.h"
#include "engine/util.h"

void lbipamd_cluster_set_etcd(struct lbipamd_cluster *c, bool ok)
{
	if (ok == c->etcd_ok && (ok || !strcmp(c->msg,
					       lbe_etcd_errmsg(c->etcd))))
		return;
	c->etcd_ok = ok;
	snprintf(c->msg, sizeof(c->msg), "%s", ok ? "reachable" :
		 lbe_etcd_errmsg(c->etcd));
	lbipamd_log(ok ? LB_LOG_INFO : LB_LOG_WARN, ok ?
		    "etcd reachable" : "etcd unreachable, serving the last state",
		    "error", ok ? NULL : c->msg, NULL);
}

/* The engine from the store's snapshot, and this node from the engine. */
static void load_engine(struct lbipamd *d, bool save)
{
	struct lbipamd_cluster *c = d->cluster;
	int rc = lbe_reload(d->eng, save);

	if (rc)
		lbipamd_log(LB_LOG_ERROR, "Cannot load the shared state",
			    "error", lbe_store_errmsg(c->store), NULL);
	lbipamd_reconcile(d, true);
}

/* Reads the whole shared state again and programs this node from it. */
int lbipamd_cluster_reload(struct lbipamd *d, bool save)
{
	struct lbipamd_cluster *c = d->cluster;
	int64_t before = lbe_store_etcd_revision(c->store);
	int rc = lbe_store_etcd_refresh(c->store);

	if (rc) {
		lbipamd_log(LB_LOG_WARN, "Cannot read the shared state, keeping the last one",
			    "error", lbe_store_errmsg(c->store), NULL);
		return rc;
	}
	c->resync = false;
	__atomic_store_n(&c->watch_from, lbe_store_etcd_revision(c->store),
			 __ATOMIC_SEQ_CST);
	if (!save && lbe_store_etcd_revision(c->store) == before)
		return 0;
	load_engine(d, save);
	return 0;
}

/*
 * The commits the watch has seen, applied to the snapshot and the engine
 * from their changes alone (the leader finds its own commits there, and
 * nothing to do); everything is read again after a gap.
 */
void lbipamd_cluster_follow(struct lbipamd *d)
{
	struct lbipamd_cluster *c = d->cluster;
	int64_t rev;
	json_t *delta;
	int n, rc;

	if (c->resync || !__atomic_load_n(&c->watch_from, __ATOMIC_SEQ_CST)) {
		lbipamd_cluster_reload(d, false);
		return;
	}
	delta = lbipamd_cluster_take_delta(c, &rev);
	n = lbe_store_etcd_apply_delta(c->store, delta, rev);
	json_decref(delta);
	__atomic_store_n(&c->watch_from, lbe_store_etcd_revision(c->store),
			 __ATOMIC_SEQ_CST);
	if (n <= 0)
		return;
	/* Only the changed objects; everything if that fails. */
	lbe_store_etcd_changes(c->store, true);
	rc = lbe_reload_changes(d->eng);
	lbe_store_etcd_changes(c->store, false);
	if (rc) {
		lbipamd_log(LB_LOG_WARN, "Cannot load the changes of a commit, loading everything",
			    "error", lbe_store_errmsg(c->store), NULL);
		load_engine(d, false);
		return;
	}
	lbipamd_reconcile(d, false);
}

/* {"key": prefix+rel, "range_end": its end}: every key under rel. */
json_t *lbipamd_cluster_range_of(const struct lbipamd_cluster *c,
				 const char *rel)
{
	char *k = lb_xasprintf("%s%s", c->cfg.prefix, rel);
	json_t *j = json_pack("{s:o, s:o}", "key", lbe_etcd_b64(k, strlen(k)),
			      "range_end", lbe_etcd_prefix_end(k));

	free(k);
	return j;
}

/* -------------------------------------------------------------- status */

bool lbipamd_cluster_is_leader(const struct lbipamd *d)
{
	return d->cluster->leader;
}

const char *lbipamd_cluster_store_error(const struct lbipamd *d)
{
	return d->cluster ? lbe_store_errmsg(d->cluster->store) : NULL;
}

json_t *lbipamd_cluster_status(struct lbipamd *d)
{
	struct lbipamd_cluster *c = d->cluster;
	json_t *eps = json_array(), *res;
	size_t i;

	for (i = 0; i < lbe_etcd_nendpoints(c->etcd); i++) {
		char version[64] = "", err[600] = "";
		bool lead = false;
		int rc = lbe_etcd_endpoint_status(c->etcd, i, version,
						 sizeof(version), &lead, err,
						 sizeof(err));

		json_array_append_new(eps, json_pack("{s:s, s:b, s:s, s:b, s:s}",
				      "endpoint", lbe_etcd_endpoint(c->etcd, i),
				      "healthy", !rc, "version", version,
				      "raftLeader", lead, "error", err));
	}
	res = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:o}",
			"store", "etcd", "node", c->node, "leader",
			c->leader_name, "isLeader", c->leader, "prefix",
			c->cfg.prefix, "leaseTTL", (json_int_t)c->cfg.ttl_s,
			"revision",
			(json_int_t)lbe_store_etcd_revision(c->store),
			"endpoints", eps);
	return res;
}

/* ----------------------------------------------------------- lifecycle */

/* This node's cluster state with the defaults, as d->cluster. */
static struct lbipamd_cluster *cluster_new(struct lbipamd *d,
					   const char *node)
{
	struct lbipamd_cluster *c = lb_xcalloc(1, sizeof(*c));

	c->cfg = d->ccfg;
	if (!c->cfg.prefix)
		c->cfg.prefix = "/lbipam/";
	if (!c->cfg.ttl_s)
		c->cfg.ttl_s = 2;
	c->node = node;
	c->tfd = -1;
	pthread_mutex_init(&c->dlock, NULL);
	c->pending_delta = json_object();
	c->ready_delta = json_object();
	lbipamd_cluster_announce_init(c);
	c->pipe[0] = c->pipe[1] = -1;
	d->cluster = c;
	return c;
}

/*
 * One etcd client per thread, the store on the main one, and the shared
 * state read once: from etcd, or from the cache when etcd is down.
 */
static int open_store(struct lbipamd *d, struct lbipamd_cluster *c,
		      const char *cache_path)
{
	struct lb_store *cache = NULL;
	struct lb_etcd_config ec = { .endpoints = d->ccfg.endpoints,
				     .cert = d->ccfg.cert, .key = d->ccfg.key,
				     .ca = d->ccfg.ca };
	char *err = NULL;
	int rc;

	/*
	 * Every election call ends within half the lease: long enough for a
	 * busy etcd, short enough that the lease is renewed in time.
	 */
	ec.timeout_ms = c->cfg.ttl_s * 1000 / 2;
	rc = lbe_etcd_open(&ec, &c->etcd, &err);
	if (!rc)
		rc = lbe_etcd_open(&ec, &c->wetcd, &err);
	if (!rc)
		rc = lbe_etcd_open(&ec, &c->ketcd, &err);
	if (!rc && cache_path)
		rc = lbe_store_sqlite_open(cache_path, &cache, &err);
	if (!rc)
		rc = lbe_store_etcd_open(c->etcd, c->cfg.prefix, cache,
					&c->store, &err);
	if (rc) {
		lbipamd_log(LB_LOG_ERROR, "Cannot use etcd", "state",
			    cache_path, "error", err, NULL);
		free(err);
		return rc;
	}
	rc = lbe_store_etcd_refresh(c->store);
	c->etcd_ok = !rc;
	snprintf(c->msg, sizeof(c->msg), "%s", rc ? lbe_store_errmsg(c->store) :
		 "reachable");
	/* etcd down: the last state this node saw, until it is back. */
	if (rc && !lbe_store_etcd_load_cache(c->store)) {
		lbipamd_log(LB_LOG_WARN, "etcd unreachable, serving the local cache of the shared state",
			    "state", cache_path, "error", c->msg, NULL);
		rc = 0;
	}
	if (rc) {
		lbipamd_log(LB_LOG_ERROR, "Cannot read the shared state from etcd",
			    "endpoints", c->cfg.endpoints, "error", c->msg,
			    NULL);
		lbe_store_close(c->store);
	}
	/* The watch starts right after this snapshot (0: from the cache). */
	c->watch_from = lbe_store_etcd_revision(c->store);
	return rc;
}

/* The election's timer, the watch's wake-up pipe, and both threads. */
static int start_threads(struct lbipamd_cluster *c)
{
	struct itimerspec its = { 0 };
	long ms;

	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->tfd < 0 || pipe2(c->pipe, O_NONBLOCK | O_CLOEXEC)) {
		lbe_store_close(c->store);
		return -errno;
	}
	ms = c->cfg.ttl_s * 1000 / 4;
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	its.it_interval = its.it_value;
	timerfd_settime(c->tfd, 0, &its, NULL);
	if (pthread_create(&c->thr, NULL, lbipamd_cluster_watch_thread, c)) {
		lbe_store_close(c->store);
		return -EAGAIN;
	}
	c->thr_started = true;
	if (pthread_create(&c->kthr, NULL, lbipamd_cluster_keepalive_thread,
			   c)) {
		lbe_store_close(c->store);
		return -EAGAIN;
	}
	c->kthr_started = true;
	return 0;
}

int lbipamd_cluster_open(struct lbipamd *d, const char *node,
			 const char *cache_path, struct lb_store **store)
{
	struct lbipamd_cluster *c = cluster_new(d, node);
	int rc;

	rc = open_store(d, c, cache_path);
	if (!rc)
		rc = start_threads(c);
	if (rc)
		return rc;
	*store = c->store;
	lbipamd_log(LB_LOG_INFO, "Cluster mode", "endpoints",
		    c->cfg.endpoints, "prefix", c->cfg.prefix, "node", node,
		    NULL);
	return 0;
}

/* The first campaign, once the engine holds the shared state. */
void lbipamd_cluster_start(struct lbipamd *d)
{
	if (!d->cluster)
		return;
	lbipamd_cluster_tick(d);
	lbipamd_cluster_announce_update(d, true);
}

size_t lbipamd_cluster_pollfds(struct lbipamd *d, struct pollfd *pfd)
{
	if (!d->cluster)
		return 0;
	pfd[0] = (struct pollfd){ .fd = d->cluster->tfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = d->cluster->pipe[0],
				  .events = POLLIN };
	return 2;
}

void lbipamd_cluster_process(struct lbipamd *d, const struct pollfd *pfd)
{
	struct lbipamd_cluster *c = d->cluster;
	bool state = false, request = false, down = false, ticked = false;
	bool announce = false, leader = false, created = false;
	char buf[64];
	ssize_t n, i;

	if (!c)
		return;
	if (pfd[0].revents & POLLIN) {
		uint64_t ticks;

		if (read(c->tfd, &ticks, sizeof(ticks)) < 0)
			ticks = 0;
		lbipamd_cluster_tick(d);
		ticked = true;
		lbipamd_cluster_announce_update(d, false);
	}
	if (!(pfd[1].revents & POLLIN))
		return;
	while ((n = read(c->pipe[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			state |= buf[i] == EV_STATE || buf[i] == EV_CREATED;
			leader |= buf[i] == EV_LEADER ||
				  buf[i] == EV_CREATED || buf[i] == EV_RESUMED;
			/*
			 * A watch made anew starts at the present: requests
			 * put while it was down are only found by reading.
			 */
			request |= buf[i] == EV_REQUEST ||
				   buf[i] == EV_CREATED || buf[i] == EV_RESUMED;
			down |= buf[i] == EV_DOWN;
			announce |= buf[i] == EV_ANNOUNCE ||
				    buf[i] == EV_CREATED || buf[i] == EV_RESUMED;
			created |= buf[i] == EV_CREATED;
		}
	}
	if (down && !state && !leader && c->etcd_ok) {
		c->etcd_ok = false;
		snprintf(c->msg, sizeof(c->msg), "the watch stream ended");
		lbipamd_log(LB_LOG_WARN, "etcd unreachable, serving the last state",
			    "error", c->msg, NULL);
	}
	/*
	 * The leader key may have gone: campaign first (a new leader reads
	 * the state anyway), then follow.
	 */
	if (leader && !c->leader && !ticked)
		lbipamd_cluster_tick(d);
	if (created)
		c->resync = true;
	if (state || created)
		lbipamd_cluster_follow(d);
	if (request)
		lbipamd_cluster_serve_requests(d);
	if (announce)
		lbipamd_cluster_announce_update(d, true);
}

void lbipamd_cluster_close(struct lbipamd *d)
{
	struct lbipamd_cluster *c = d->cluster;

	if (!c)
		return;
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
	if (c->thr_started)
		pthread_join(c->thr, NULL);
	if (c->kthr_started)
		pthread_join(c->kthr, NULL);
	/*
	 * Let other nodes take over at once rather than after the TTL:
	 * the leadership, and the Services this node announces.
	 */
	if (c->leader)
		lbipamd_cluster_revoke_lease(c);
	lbipamd_cluster_revoke_id(c, &c->node_lease);
	if (c->tfd >= 0)
		close(c->tfd);
	if (c->pipe[0] >= 0) {
		close(c->pipe[0]);
		close(c->pipe[1]);
	}
	lbe_etcd_close(c->etcd);
	lbe_etcd_close(c->wetcd);
	lbe_etcd_close(c->ketcd);
	lbipamd_cluster_announce_free(c);
	json_decref(c->pending_delta);
	json_decref(c->ready_delta);
	pthread_mutex_destroy(&c->dlock);
	free(c);
	d->cluster = NULL;
}
