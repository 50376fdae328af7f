// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mode's leader election: one leader at a time, the only node
 * that writes the shared state, chosen through a key under a lease.
 *
 * Every tick (a quarter of the lease TTL) a follower reads
 * <prefix>leader; if it is absent it grants a lease and creates the key
 * with it in a txn that succeeds only if the key still does not exist.
 * The leader keeps the lease alive from a thread of its own; its commits
 * compare the key's create_revision with the one it created
 * (store_etcd.c), so a leader that stalled past its lease cannot write
 * once another took over.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/cluster.h"

static void step_down(struct lbipamd_cluster *c, const char *why)
{
	if (!c->leader)
		return;
	__atomic_store_n(&c->ka_lease, 0, __ATOMIC_SEQ_CST);
	c->leader = false;
	c->leader_name[0] = '\0';
	lbe_store_etcd_fence(c->store, 0);
	/* Commits of another leader may have been taken for our own. */
	c->resync = true;
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
	lbipamd_cluster_set_etcd(c, !rc);
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
void lbipamd_cluster_revoke_id(struct lbipamd_cluster *c, int64_t *lease)
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

void lbipamd_cluster_revoke_lease(struct lbipamd_cluster *c)
{
	lbipamd_cluster_revoke_id(c, &c->lease);
}

static void become_leader(struct lbipamd *d, int64_t rev, const char *how)
{
	struct lbipamd_cluster *c = d->cluster;
	int rc;

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
	 * A commit the last leader left half applied is finished first.
	 * Then the last committed state, and what its reconcile changes;
	 * never lead on a snapshot that may be older than etcd's.
	 */
	rc = lbe_store_etcd_recover(c->store);
	if (rc > 0)
		lbipamd_log(LB_LOG_INFO, rc == 1 ?
			    "Finished the last leader's journaled commit" :
			    "Dropped the last leader's incomplete journal",
			    "node", c->node, NULL);
	if (rc < 0 || lbipamd_cluster_reload(d, true)) {
		step_down(c, "cannot read the shared state");
		lbipamd_cluster_revoke_lease(c);
		return;
	}
	lbipamd_cluster_serve_requests(d);
}

/* The leader key, or NULL (absent); -EIO when etcd does not answer. */
static int read_leader(struct lbipamd_cluster *c, json_t **kv, json_t **r)
{
	json_t *req = json_pack("{s:o}", "key", key_b64(c, "leader"));
	int rc = lbe_etcd_call(c->etcd, "/v3/kv/range", req, r);

	json_decref(req);
	lbipamd_cluster_set_etcd(c, !rc);
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
		lbipamd_cluster_set_etcd(c, !rc);
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
	lbipamd_cluster_set_etcd(c, !rc);
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
	lbipamd_cluster_revoke_lease(c);
}

/* One election step: renew as the leader, or try to become it. */
void lbipamd_cluster_tick(struct lbipamd *d)
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

void *lbipamd_cluster_keepalive_thread(void *arg)
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
