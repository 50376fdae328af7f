// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mode's L2 announcer election: which node announces each
 * Service's addresses, so that exactly one does and another takes over.
 */

#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/cluster.h"
#include "engine/util.h"

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

	req = lbipamd_cluster_range_of(c, "announce/");
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
	req = lbipamd_cluster_range_of(c, "nodes/");
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

/* Nothing known yet: no holders, no live nodes, nothing won or pending. */
void lbipamd_cluster_announce_init(struct lbipamd_cluster *c)
{
	c->holders = json_object();
	c->live = json_array();
	c->won = json_object();
	c->pending = json_object();
	c->take.ops = &take_ops;
	c->peek.ops = &peek_ops;
}

void lbipamd_cluster_announce_free(struct lbipamd_cluster *c)
{
	json_decref(c->holders);
	json_decref(c->live);
	json_decref(c->won);
	json_decref(c->pending);
}

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
void lbipamd_cluster_announce_update(struct lbipamd *d, bool fetch)
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
