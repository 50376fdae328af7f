// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mode: the engine's store on etcd, one leader elected with a
 * lease, a watch that reloads followers, and followers' writes sent to
 * the leader through etcd.
 *
 * Election: every tick (a quarter of the lease TTL) a follower reads
 * <prefix>leader; if it is absent it grants a lease and creates the key
 * with it in a txn that succeeds only if the key still does not exist.
 * The leader keeps the lease alive; its commits compare the key's
 * create_revision with the one it created (store_etcd.c), so a leader
 * that stalled past its lease cannot write once another took over.
 *
 * Writes on a follower: the request goes to <prefix>requests/ID, the
 * leader (which watches that prefix) handles it like its own, then puts
 * the reply at <prefix>responses/ID and deletes the request in one
 * fenced txn; the follower waits for the reply, deletes it and reloads.
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
#include "daemon/lbipamd.h"
#include "engine/etcd.h"
#include "engine/store.h"
#include "engine/util.h"

/* How long a follower waits for the leader to answer a write. */
#define LBIPAMD_FORWARD_MS	10000

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
	int stop;			/* __atomic: ends the threads */
	unsigned long seq;
};

static bool stopping(struct lbipamd_cluster *c)
{
	return __atomic_load_n(&c->stop, __ATOMIC_RELAXED);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- helpers */

static json_t *key_b64(const struct lbipamd_cluster *c, const char *rel)
{
	char *k = lb_xasprintf("%s%s", c->cfg.prefix, rel);
	json_t *j = lbe_etcd_b64(k, strlen(k));

	free(k);
	return j;
}

static json_t *str_b64(const char *s)
{
	return lbe_etcd_b64(s, strlen(s));
}

static void set_etcd(struct lbipamd_cluster *c, bool ok)
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

/* Reads the shared state again and programs this node from it. */
static int reload(struct lbipamd *d, bool save)
{
	struct lbipamd_cluster *c = d->cluster;
	int64_t before = lbe_store_etcd_revision(c->store);
	int rc = lbe_store_etcd_refresh(c->store);

	if (rc) {
		lbipamd_log(LB_LOG_WARN, "Cannot read the shared state, keeping the last one",
			    "error", lbe_store_errmsg(c->store), NULL);
		return rc;
	}
	if (!save && lbe_store_etcd_revision(c->store) == before)
		return 0;
	rc = lbe_reload(d->eng, save);
	if (rc)
		lbipamd_log(LB_LOG_ERROR, "Cannot load the shared state",
			    "error", lbe_store_errmsg(c->store), NULL);
	lbipamd_reconcile(d, true);
	return 0;
}

static void step_down(struct lbipamd_cluster *c, const char *why)
{
	if (!c->leader)
		return;
	__atomic_store_n(&c->ka_lease, 0, __ATOMIC_SEQ_CST);
	c->leader = false;
	c->leader_name[0] = '\0';
	lbe_store_etcd_fence(c->store, 0);
	lbipamd_log(LB_LOG_WARN, "No longer the cluster leader", "node",
		    c->node, "reason", why, NULL);
}

/* Keeps our lease; false if it is gone or cannot be renewed. */
static bool keepalive(struct lbipamd_cluster *c, bool *gone)
{
	char id[24];
	json_t *req, *r;
	int rc;

	*gone = false;
	snprintf(id, sizeof(id), "%lld", (long long)c->lease);
	req = json_pack("{s:s}", "ID", id);
	rc = lbe_etcd_call(c->etcd, "/v3/lease/keepalive", req, &r);
	json_decref(req);
	set_etcd(c, !rc);
	if (rc)
		return false;
	if (lbe_etcd_int(json_object_get(json_object_get(r, "result"),
					"TTL")) <= 0) {
		*gone = true;
		json_decref(r);
		return false;
	}
	json_decref(r);
	c->renewed_ms = now_ms();
	return true;
}

/* Revokes *lease (its keys go with it) and forgets it. */
static void revoke_id(struct lbipamd_cluster *c, int64_t *lease)
{
	char id[24];
	json_t *req, *r = NULL;

	if (!*lease)
		return;
	snprintf(id, sizeof(id), "%lld", (long long)*lease);
	req = json_pack("{s:s}", "ID", id);
	if (!lbe_etcd_call(c->etcd, "/v3/lease/revoke", req, &r))
		*lease = 0;
	json_decref(req);
	json_decref(r);
}

static void revoke_lease(struct lbipamd_cluster *c)
{
	revoke_id(c, &c->lease);
}

static void serve_requests(struct lbipamd *d);

static void become_leader(struct lbipamd *d, int64_t rev, const char *how)
{
	struct lbipamd_cluster *c = d->cluster;

	c->leader = true;
	c->leader_rev = rev;
	__atomic_store_n(&c->ka_ok_ms, c->renewed_ms, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->ka_gone, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->ka_lease, c->lease, __ATOMIC_SEQ_CST);
	snprintf(c->leader_name, sizeof(c->leader_name), "%s", c->node);
	lbe_store_etcd_fence(c->store, rev);
	lbipamd_log(LB_LOG_INFO, "Became the cluster leader", "node", c->node,
		    "how", how, NULL);
	/*
	 * The last committed state, and what its reconcile changes; never
	 * lead on a snapshot that may be older than etcd's.
	 */
	if (reload(d, true)) {
		step_down(c, "cannot read the shared state");
		revoke_lease(c);
		return;
	}
	serve_requests(d);
}

/* The leader key, or NULL (absent); -EIO when etcd does not answer. */
static int read_leader(struct lbipamd_cluster *c, json_t **kv, json_t **r)
{
	json_t *req = json_pack("{s:o}", "key", key_b64(c, "leader"));
	int rc = lbe_etcd_call(c->etcd, "/v3/kv/range", req, r);

	json_decref(req);
	set_etcd(c, !rc);
	if (rc)
		return rc;
	*kv = json_array_get(json_object_get(*r, "kvs"), 0);
	return 0;
}

static void note_leader(struct lbipamd_cluster *c, json_t *kv)
{
	char *name = lbe_etcd_unb64(json_object_get(kv, "value"), NULL);

	if (name && strcmp(name, c->leader_name))
		lbipamd_log(LB_LOG_INFO, "Cluster leader", "leader", name,
			    NULL);
	snprintf(c->leader_name, sizeof(c->leader_name), "%s",
		 name ? name : "");
	free(name);
}

static void campaign(struct lbipamd *d)
{
	struct lbipamd_cluster *c = d->cluster;
	json_t *kv, *r = NULL, *req, *txn;
	char id[24];
	bool gone;
	int rc;

	if (read_leader(c, &kv, &r))
		return;
	if (kv) {
		/* Still ours (etcd came back in time): carry on. */
		if (c->lease && lbe_etcd_int(json_object_get(kv, "lease")) ==
		    c->lease && lbe_etcd_int(json_object_get(kv,
				"create_revision")) == c->leader_rev &&
		    keepalive(c, &gone)) {
			json_decref(r);
			become_leader(d, c->leader_rev, "lease kept");
			return;
		}
		note_leader(c, kv);
		json_decref(r);
		return;
	}
	json_decref(r);
	c->leader_name[0] = '\0';
	if (!c->lease) {
		req = json_pack("{s:I}", "TTL", (json_int_t)c->cfg.ttl_s);
		rc = lbe_etcd_call(c->etcd, "/v3/lease/grant", req, &r);
		json_decref(req);
		set_etcd(c, !rc);
		if (rc)
			return;
		c->lease = lbe_etcd_int(json_object_get(r, "ID"));
		json_decref(r);
	}
	snprintf(id, sizeof(id), "%lld", (long long)c->lease);
	txn = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:{s:o, s:o, s:s}}], s:[{s:{s:o}}]}",
			"compare", "key", key_b64(c, "leader"), "result",
			"EQUAL", "target", "CREATE", "create_revision", "0",
			"success", "request_put", "key", key_b64(c, "leader"),
			"value", str_b64(c->node), "lease", id,
			"failure", "request_range", "key",
			key_b64(c, "leader"));
	rc = lbe_etcd_call(c->etcd, "/v3/kv/txn", txn, &r);
	json_decref(txn);
	set_etcd(c, !rc);
	if (rc)
		return;
	if (json_is_true(json_object_get(r, "succeeded"))) {
		int64_t rev = lbe_etcd_int(json_object_get(
			json_object_get(r, "header"), "revision"));

		json_decref(r);
		c->renewed_ms = now_ms();
		become_leader(d, rev, "elected");
		return;
	}
	kv = json_array_get(json_object_get(json_object_get(json_object_get(
		json_array_get(json_object_get(r, "responses"), 0),
		"response_range"), "kvs"), 0), 0);
	if (kv)
		note_leader(c, kv);
	json_decref(r);
	revoke_lease(c);
}

/* One election step: renew as the leader, or try to become it. */
static void tick(struct lbipamd *d)
{
	struct lbipamd_cluster *c = d->cluster;

	if (c->leader && lbe_store_etcd_lost(c->store)) {
		step_down(c, "a commit found the leader key changed");
		c->lease = 0;
	}
	if (!c->leader) {
		campaign(d);
		return;
	}
	if (__atomic_load_n(&c->ka_gone, __ATOMIC_SEQ_CST)) {
		step_down(c, "lease expired");
		c->lease = 0;
	} else if (now_ms() - __atomic_load_n(&c->ka_ok_ms, __ATOMIC_SEQ_CST) >=
		   c->cfg.ttl_s * 1000) {
		/* Our key may be gone by now; campaign() checks. */
		step_down(c, "cannot renew the lease");
	}
}

/* 1: renewed, 0: gone, -1: etcd did not answer. */
static int renew(struct lb_etcd *e, int64_t lease)
{
	char id[24];
	json_t *req, *r = NULL;
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)lease);
	req = json_pack("{s:s}", "ID", id);
	rc = lbe_etcd_call(e, "/v3/lease/keepalive", req, &r) ? -1 :
		lbe_etcd_int(json_object_get(json_object_get(r, "result"),
					    "TTL")) > 0;
	json_decref(req);
	json_decref(r);
	return rc;
}

static void *keepalive_thread(void *arg)
{
	struct lbipamd_cluster *c = arg;
	long i, steps = c->cfg.ttl_s * 1000 / 4 / 50;

	while (!stopping(c)) {
		int64_t lease = __atomic_load_n(&c->ka_lease, __ATOMIC_SEQ_CST);
		int64_t nl = __atomic_load_n(&c->node_lease, __ATOMIC_SEQ_CST);
		int rc;

		if (lease) {
			rc = renew(c->ketcd, lease);
			if (rc > 0)
				__atomic_store_n(&c->ka_ok_ms, now_ms(),
						 __ATOMIC_SEQ_CST);
			else if (!rc)
				__atomic_store_n(&c->ka_gone, 1,
						 __ATOMIC_SEQ_CST);
		}
		if (nl && !renew(c->ketcd, nl))
			__atomic_store_n(&c->ka_node_gone, 1, __ATOMIC_SEQ_CST);
		for (i = 0; i < steps && !stopping(c); i++)
			usleep(50000);
	}
	return NULL;
}

/* --------------------------------------------------------------- watch */

enum { EV_CREATED = 'C', EV_STATE = 'S', EV_REQUEST = 'R', EV_DOWN = 'E',
       EV_ANNOUNCE = 'A' };

static void notify(struct lbipamd_cluster *c, char ev)
{
	ssize_t n = write(c->pipe[1], &ev, 1);

	(void)n;		/* full pipe: a wake-up is pending anyway */
}

static int on_watch(json_t *msg, void *arg)
{
	struct lbipamd_cluster *c = arg;
	size_t i, plen = strlen(c->cfg.prefix);
	bool state = false, request = false, announce = false;
	json_t *ev;

	if (json_is_true(json_object_get(msg, "created")))
		notify(c, EV_CREATED);
	json_array_foreach(json_object_get(msg, "events"), i, ev) {
		char *k = lbe_etcd_unb64(json_object_get(json_object_get(ev,
							"kv"), "key"), NULL);
		const char *rel = k && strlen(k) >= plen ? k + plen : "";

		if (!strncmp(rel, "requests/", 9))
			request = true;
		else if (!strncmp(rel, "announce/", 9) ||
			 !strncmp(rel, "nodes/", 6))
			announce = true;
		else if (strncmp(rel, "responses/", 10))
			state = true;
		free(k);
	}
	if (state)
		notify(c, EV_STATE);
	if (request)
		notify(c, EV_REQUEST);
	if (announce)
		notify(c, EV_ANNOUNCE);
	return stopping(c) ? -ECANCELED : 0;
}

static void *watch_thread(void *arg)
{
	struct lbipamd_cluster *c = arg;

	while (!stopping(c)) {
		json_t *req = json_pack("{s:{s:o, s:o}}", "create_request",
					"key", str_b64(c->cfg.prefix),
					"range_end",
					lbe_etcd_prefix_end(c->cfg.prefix));
		int i;

		lbe_etcd_stream(c->wetcd, "/v3/watch", req, on_watch, c,
			       &c->stop);
		json_decref(req);
		notify(c, EV_DOWN);
		for (i = 0; i < 5 && !stopping(c); i++)
			usleep(50000);
	}
	return NULL;
}

/* ------------------------------------------------------------ requests */

/* {"key": prefix+rel, "range_end": its end}: every key under rel. */
static json_t *range_of(const struct lbipamd_cluster *c, const char *rel)
{
	char *k = lb_xasprintf("%s%s", c->cfg.prefix, rel);
	json_t *j = json_pack("{s:o, s:o}", "key", lbe_etcd_b64(k, strlen(k)),
			      "range_end", lbe_etcd_prefix_end(k));

	free(k);
	return j;
}

static void serve_one(struct lbipamd *d, json_t *kv)
{
	struct lbipamd_cluster *c = d->cluster;
	size_t plen = strlen(c->cfg.prefix) + strlen("requests/");
	char *k = lbe_etcd_unb64(json_object_get(kv, "key"), NULL);
	char *v = lbe_etcd_unb64(json_object_get(kv, "value"), NULL);
	json_t *req = v ? json_loads(v, 0, NULL) : NULL, *res, *txn, *r = NULL;
	char fence[24], *text, *rkey;

	if (!k || strlen(k) <= plen)
		goto out;
	res = json_is_object(req) ? lbipamd_handle(d, req, true) :
		lbipamd_fail("the forwarded request is not a JSON object");
	lbipamd_log(LB_LOG_INFO, "Served a forwarded request", "id", k + plen,
		    "op", lbipamd_js(req, "op"), NULL);
	text = json_dumps(res, JSON_COMPACT);
	rkey = lb_xasprintf("responses/%s", k + plen);
	snprintf(fence, sizeof(fence), "%lld", (long long)c->leader_rev);
	/* The reply and the request's removal, only while we lead. */
	txn = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:{s:o, s:o}}, {s:{s:O}}]}",
			"compare", "key", key_b64(c, "leader"), "result",
			"EQUAL", "target", "CREATE", "create_revision", fence,
			"success", "request_put", "key", key_b64(c, rkey),
			"value", str_b64(text), "request_delete_range", "key",
			json_object_get(kv, "key"));
	if (lbe_etcd_call(c->etcd, "/v3/kv/txn", txn, &r))
		lbipamd_log(LB_LOG_WARN, "Cannot answer a forwarded request",
			    "id", k + plen, "error", lbe_etcd_errmsg(c->etcd),
			    NULL);
	json_decref(r);
	json_decref(txn);
	json_decref(res);
	free(text);
	free(rkey);
out:
	json_decref(req);
	free(k);
	free(v);
}

static void serve_requests(struct lbipamd *d)
{
	struct lbipamd_cluster *c = d->cluster;
	json_t *req, *r, *kv;
	size_t i;
	int rc;

	if (!c->leader)
		return;
	req = range_of(c, "requests/");
	rc = lbe_etcd_call(c->etcd, "/v3/kv/range", req, &r);
	json_decref(req);
	if (rc)
		return;
	json_array_foreach(json_object_get(r, "kvs"), i, kv)
		if (c->leader)
			serve_one(d, kv);
	json_decref(r);
}

static void del_key(struct lbipamd_cluster *c, const char *rel)
{
	json_t *req = json_pack("{s:o}", "key", key_b64(c, rel)), *r = NULL;

	lbe_etcd_call(c->etcd, "/v3/kv/deleterange", req, &r);
	json_decref(req);
	json_decref(r);
}

/*
 * A write on a follower: handed to the leader through etcd, answered
 * with the leader's reply once this node has reloaded the state it
 * wrote (so a get here right after shows the change).
 */
json_t *lbipamd_cluster_forward(struct lbipamd *d, json_t *req)
{
	struct lbipamd_cluster *c = d->cluster;
	char *id, *rkey, *qkey, *text, *v;
	int64_t deadline;
	json_t *put, *r = NULL, *res = NULL, *kv;
	int rc;

	if (c->etcd_ok && !c->leader_name[0])
		return lbipamd_fail("cluster mode: no leader is elected yet; nothing applied");
	id = lb_xasprintf("%s-%d-%lu", c->node, (int)getpid(), ++c->seq);
	qkey = lb_xasprintf("requests/%s", id);
	rkey = lb_xasprintf("responses/%s", id);
	text = json_dumps(req, JSON_COMPACT);
	put = json_pack("{s:o, s:o}", "key", key_b64(c, qkey), "value",
			str_b64(text));
	free(text);
	/* A busy etcd may take longer than the election's timeout. */
	rc = lbe_etcd_call_timeout(c->etcd, "/v3/kv/put", put, &r,
				  LBIPAMD_FORWARD_MS / 2);
	json_decref(put);
	json_decref(r);
	if (rc) {
		set_etcd(c, false);
		res = lbipamd_fail("cluster mode: cannot hand the write to the leader (%s); nothing applied",
				   lbe_etcd_errmsg(c->etcd));
		goto out;
	}
	deadline = now_ms() + LBIPAMD_FORWARD_MS;
	while (!res && now_ms() < deadline) {
		json_t *get = json_pack("{s:o}", "key", key_b64(c, rkey));

		r = NULL;
		rc = lbe_etcd_call(c->etcd, "/v3/kv/range", get, &r);
		json_decref(get);
		kv = rc ? NULL : json_array_get(json_object_get(r, "kvs"), 0);
		v = kv ? lbe_etcd_unb64(json_object_get(kv, "value"), NULL) :
			 NULL;
		res = v ? json_loads(v, 0, NULL) : NULL;
		free(v);
		json_decref(r);
		if (!res)
			usleep(20000);
	}
	if (!res) {
		del_key(c, qkey);
		res = lbipamd_fail("cluster mode: the leader (%s) did not answer within %d s; the write may still be applied",
				   c->leader_name, LBIPAMD_FORWARD_MS / 1000);
		goto out;
	}
	del_key(c, rkey);
	reload(d, false);
out:
	free(id);
	free(qkey);
	free(rkey);
	return res;
}

/* --------------------------------------------------- announcer election */

/*
 * One lease per node, and under it <prefix>nodes/NODE and one key
 * <prefix>announce/NS/NAME per Service the node announces: a node that
 * dies or stalls past its lease loses them all at once, and the other
 * eligible nodes take them over (the module sends a gratuitous ARP or
 * unsolicited NA when an address is added).  Spread: among the live
 * nodes the first choice for a Service (highest hash of Service and node)
 * takes it at once; another eligible node takes it if it is still free
 * after half a TTL (the first choice may not be eligible).
 */

/* Registers this node under a fresh lease; 0 or -EIO. */
static int node_register(struct lbipamd_cluster *c)
{
	json_t *req, *r = NULL;
	char id[24], *rel;
	int rc;

	req = json_pack("{s:I}", "TTL", (json_int_t)c->cfg.ttl_s);
	rc = lbe_etcd_call(c->etcd, "/v3/lease/grant", req, &r);
	json_decref(req);
	if (rc)
		return rc;
	c->node_lease = lbe_etcd_int(json_object_get(r, "ID"));
	json_decref(r);
	snprintf(id, sizeof(id), "%lld", (long long)c->node_lease);
	rel = lb_xasprintf("nodes/%s", c->node);
	req = json_pack("{s:o, s:o, s:s}", "key", key_b64(c, rel), "value",
			str_b64(c->node), "lease", id);
	free(rel);
	r = NULL;
	rc = lbe_etcd_call(c->etcd, "/v3/kv/put", req, &r);
	json_decref(req);
	json_decref(r);
	if (rc)
		return rc;
	__atomic_store_n(&c->ka_node_gone, 0, __ATOMIC_SEQ_CST);
	return 0;
}

/* Reads holders and live nodes again; true if either changed. */
static bool announce_refresh(struct lbipamd_cluster *c)
{
	json_t *req, *r = NULL, *kv, *holders, *live;
	size_t i, plen = strlen(c->cfg.prefix);
	bool changed;

	req = range_of(c, "announce/");
	if (lbe_etcd_call(c->etcd, "/v3/kv/range", req, &r)) {
		json_decref(req);
		return false;
	}
	json_decref(req);
	holders = json_object();
	json_array_foreach(json_object_get(r, "kvs"), i, kv) {
		char *k = lbe_etcd_unb64(json_object_get(kv, "key"), NULL);
		char *v = lbe_etcd_unb64(json_object_get(kv, "value"), NULL);

		if (k && v && strlen(k) > plen + 9)
			json_object_set_new(holders, k + plen + 9,
					    json_string(v));
		free(k);
		free(v);
	}
	json_decref(r);
	r = NULL;
	req = range_of(c, "nodes/");
	if (lbe_etcd_call(c->etcd, "/v3/kv/range", req, &r)) {
		json_decref(req);
		json_decref(holders);
		return false;
	}
	json_decref(req);
	live = json_array();
	json_array_foreach(json_object_get(r, "kvs"), i, kv) {
		char *v = lbe_etcd_unb64(json_object_get(kv, "value"), NULL);

		if (v)
			json_array_append_new(live, json_string(v));
		free(v);
	}
	json_decref(r);
	changed = !json_equal(holders, c->holders) ||
		  !json_equal(live, c->live);
	json_decref(c->holders);
	json_decref(c->live);
	c->holders = holders;
	c->live = live;
	return changed;
}

static uint64_t rank(const char *svc, const char *node)
{
	return lbe_hash_bytes(node, strlen(node), lbe_hash_str(svc));
}

/* Is this node the first choice for svc among the live nodes? */
static bool first_choice(struct lbipamd_cluster *c, const char *svc)
{
	uint64_t mine = rank(svc, c->node);
	json_t *n;
	size_t i;

	json_array_foreach(c->live, i, n) {
		const char *name = json_string_value(n);

		if (strcmp(name, c->node) && (rank(svc, name) > mine ||
		    (rank(svc, name) == mine && strcmp(name, c->node) > 0)))
			return false;
	}
	return true;
}

static struct lbipamd_cluster *of_take(struct lb_l2_elector *el)
{
	return (struct lbipamd_cluster *)((char *)el -
		offsetof(struct lbipamd_cluster, take));
}

static struct lbipamd_cluster *of_peek(struct lb_l2_elector *el)
{
	return (struct lbipamd_cluster *)((char *)el -
		offsetof(struct lbipamd_cluster, peek));
}

/* Tries to create announce/SVC under this node's lease. */
static bool take_key(struct lbipamd_cluster *c, const char *svc)
{
	char id[24], *rel = lb_xasprintf("announce/%s", svc);
	json_t *txn, *r = NULL, *kv;
	bool won = false;

	snprintf(id, sizeof(id), "%lld", (long long)c->node_lease);
	txn = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:{s:o, s:o, s:s}}], s:[{s:{s:o}}]}",
			"compare", "key", key_b64(c, rel), "result", "EQUAL",
			"target", "CREATE", "create_revision", "0", "success",
			"request_put", "key", key_b64(c, rel), "value",
			str_b64(c->node), "lease", id, "failure",
			"request_range", "key", key_b64(c, rel));
	free(rel);
	if (lbe_etcd_call(c->etcd, "/v3/kv/txn", txn, &r)) {
		json_decref(txn);
		c->recheck = true;
		return false;
	}
	json_decref(txn);
	if (json_is_true(json_object_get(r, "succeeded"))) {
		json_object_set_new(c->holders, svc, json_string(c->node));
		won = true;
		lbipamd_log(LB_LOG_INFO, "Announcing", "service", svc, "node",
			    c->node, NULL);
	} else {
		kv = json_array_get(json_object_get(json_object_get(
			json_array_get(json_object_get(r, "responses"), 0),
			"response_range"), "kvs"), 0);
		if (kv) {
			char *v = lbe_etcd_unb64(json_object_get(kv, "value"),
						NULL);

			if (v)
				json_object_set_new(c->holders, svc,
						    json_string(v));
			free(v);
		}
	}
	json_decref(r);
	return won;
}

static bool take_wins(struct lb_l2_elector *el, const char *ns,
		      const char *name, const char *node)
{
	struct lbipamd_cluster *c = of_take(el);
	char *svc = lb_xasprintf("%s/%s", ns, name);
	const char *holder = json_string_value(json_object_get(c->holders,
							       svc));
	bool won = false;
	int64_t first;

	(void)node;
	if (holder) {
		won = !strcmp(holder, c->node);
	} else if (c->node_lease && !first_choice(c, svc)) {
		/* Leave it to the first choice for half a TTL. */
		first = json_integer_value(json_object_get(c->pending, svc));
		if (!first)
			json_object_set_new(c->pending, svc,
					    json_integer(now_ms()));
		if (first && now_ms() - first >= c->cfg.ttl_s * 500)
			won = take_key(c, svc);
		else
			c->recheck = true;
	} else if (c->node_lease) {
		won = take_key(c, svc);
	}
	if (won) {
		json_object_set_new(c->won, svc, json_true());
		json_object_del(c->pending, svc);
	}
	free(svc);
	return won;
}

static bool peek_wins(struct lb_l2_elector *el, const char *ns,
		      const char *name, const char *node)
{
	struct lbipamd_cluster *c = of_peek(el);
	char *svc = lb_xasprintf("%s/%s", ns, name);
	const char *holder = json_string_value(json_object_get(c->holders,
							       svc));
	bool won = holder && !strcmp(holder, c->node);

	(void)node;
	free(svc);
	return won;
}

static const struct lb_l2_elector_ops take_ops = { .wins = take_wins };
static const struct lb_l2_elector_ops peek_ops = { .wins = peek_wins };

struct lb_l2_elector *lbipamd_cluster_elector(struct lbipamd *d, bool take)
{
	if (!d->cluster)
		return NULL;
	return take ? &d->cluster->take : &d->cluster->peek;
}

void lbipamd_cluster_l2_begin(struct lbipamd *d)
{
	if (d->cluster)
		json_object_clear(d->cluster->won);
}

static void release(struct lbipamd_cluster *c, const char *svc)
{
	char *rel = lb_xasprintf("announce/%s", svc);
	json_t *req, *r = NULL;
	char fence[24];

	snprintf(fence, sizeof(fence), "%lld", (long long)c->node_lease);
	/* Only if it is still ours (our lease). */
	req = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:{s:o}}]}",
			"compare", "key", key_b64(c, rel), "result", "EQUAL",
			"target", "LEASE", "lease", fence, "success",
			"request_delete_range", "key", key_b64(c, rel));
	lbe_etcd_call(c->etcd, "/v3/kv/txn", req, &r);
	json_decref(req);
	json_decref(r);
	free(rel);
	lbipamd_log(LB_LOG_INFO, "No longer announcing", "service", svc, NULL);
	json_object_del(c->holders, svc);
}

/*
 * After an L2 pass over every Service (full) or over ns[i]/names[i]:
 * gives back what this node holds but no longer announces.
 */
void lbipamd_cluster_l2_end(struct lbipamd *d, char *const *ns,
			    char *const *names, size_t n, bool full)
{
	struct lbipamd_cluster *c = d->cluster;
	const char *k;
	json_t *v, *drop;
	size_t i;

	if (!c)
		return;
	drop = json_array();
	if (full) {
		json_object_foreach(c->holders, k, v)
			if (!strcmp(json_string_value(v), c->node) &&
			    !json_object_get(c->won, k))
				json_array_append_new(drop, json_string(k));
	} else {
		for (i = 0; i < n; i++) {
			char *svc = lb_xasprintf("%s/%s", ns[i], names[i]);

			v = json_object_get(c->holders, svc);
			if (v && !strcmp(json_string_value(v), c->node) &&
			    !json_object_get(c->won, svc))
				json_array_append_new(drop, json_string(svc));
			free(svc);
		}
	}
	json_array_foreach(drop, i, v)
		release(c, json_string_value(v));
	json_decref(drop);
}

/* A holder or a node changed, or a free Service waits: announce anew. */
static void announce_update(struct lbipamd *d, bool fetch)
{
	struct lbipamd_cluster *c = d->cluster;
	bool changed = fetch && announce_refresh(c);

	if (__atomic_load_n(&c->ka_node_gone, __ATOMIC_SEQ_CST) ||
	    !c->node_lease) {
		if (c->node_lease)
			lbipamd_log(LB_LOG_WARN, "This node's lease expired; announcing anew",
				    NULL);
		c->node_lease = 0;
		if (node_register(c))
			return;
		__atomic_store_n(&c->node_lease, c->node_lease,
				 __ATOMIC_SEQ_CST);
		changed = announce_refresh(c) || true;
	}
	if (changed || c->recheck) {
		c->recheck = false;
		lbipamd_l2_reconcile(d, NULL, NULL, 0, true);
	}
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

int lbipamd_cluster_open(struct lbipamd *d, const char *node,
			 const char *cache_path, struct lb_store **store)
{
	struct lb_store *cache = NULL;
	struct lb_etcd_config ec = { .endpoints = d->ccfg.endpoints,
				     .cert = d->ccfg.cert, .key = d->ccfg.key,
				     .ca = d->ccfg.ca };
	struct lbipamd_cluster *c = lb_xcalloc(1, sizeof(*c));
	char *err = NULL;
	struct itimerspec its = { 0 };
	long ms;
	int rc;

	c->cfg = d->ccfg;
	if (!c->cfg.prefix)
		c->cfg.prefix = "/lbipam/";
	if (!c->cfg.ttl_s)
		c->cfg.ttl_s = 2;
	c->node = node;
	c->tfd = -1;
	c->holders = json_object();
	c->live = json_array();
	c->won = json_object();
	c->pending = json_object();
	c->take.ops = &take_ops;
	c->peek.ops = &peek_ops;
	c->pipe[0] = c->pipe[1] = -1;
	d->cluster = c;
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
		return rc;
	}
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
	if (pthread_create(&c->thr, NULL, watch_thread, c)) {
		lbe_store_close(c->store);
		return -EAGAIN;
	}
	c->thr_started = true;
	if (pthread_create(&c->kthr, NULL, keepalive_thread, c)) {
		lbe_store_close(c->store);
		return -EAGAIN;
	}
	c->kthr_started = true;
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
	tick(d);
	announce_update(d, true);
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
	bool announce = false;
	char buf[64];
	ssize_t n, i;

	if (!c)
		return;
	if (pfd[0].revents & POLLIN) {
		uint64_t ticks;

		if (read(c->tfd, &ticks, sizeof(ticks)) < 0)
			ticks = 0;
		tick(d);
		ticked = true;
		announce_update(d, false);
	}
	if (!(pfd[1].revents & POLLIN))
		return;
	while ((n = read(c->pipe[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			state |= buf[i] == EV_STATE || buf[i] == EV_CREATED;
			request |= buf[i] == EV_REQUEST;
			down |= buf[i] == EV_DOWN;
			announce |= buf[i] == EV_ANNOUNCE ||
				    buf[i] == EV_CREATED;
		}
	}
	if (down && !state && c->etcd_ok) {
		c->etcd_ok = false;
		snprintf(c->msg, sizeof(c->msg), "the watch stream ended");
		lbipamd_log(LB_LOG_WARN, "etcd unreachable, serving the last state",
			    "error", c->msg, NULL);
	}
	/* A follower follows; the leader is the only writer. */
	if (state && !c->leader) {
		/*
		 * The leader key may have gone: campaign first (a new
		 * leader reads the state anyway), then follow.
		 */
		if (!ticked)
			tick(d);
		if (!c->leader)
			reload(d, false);
	}
	if (request)
		serve_requests(d);
	if (announce)
		announce_update(d, true);
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
		revoke_lease(c);
	revoke_id(c, &c->node_lease);
	if (c->tfd >= 0)
		close(c->tfd);
	if (c->pipe[0] >= 0) {
		close(c->pipe[0]);
		close(c->pipe[1]);
	}
	lbe_etcd_close(c->etcd);
	lbe_etcd_close(c->wetcd);
	lbe_etcd_close(c->ketcd);
	json_decref(c->holders);
	json_decref(c->live);
	json_decref(c->won);
	json_decref(c->pending);
	free(c);
	d->cluster = NULL;
}
