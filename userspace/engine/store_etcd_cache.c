// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd store's local cache (a SQLite store, lbipamd's --state): it
 * mirrors every snapshot and commit, so that a node started while etcd
 * is down serves the last state it saw; its meta etcd_revision marks it
 * a cache.
 */
#include "store_etcd.h"
#include "util.h"
#include "../lib/lb_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One key's change (@old to @cur, either NULL) in the cache's terms. */
static int cache_one(struct lb_store *c, const char *rel, json_t *old,
		     json_t *cur)
{
	json_t *v = cur ? cur : old;

	if (!strncmp(rel, "objects/", 8)) {
		const char *key = strchr(rel + 8, '/');
		struct lb_store_object o = {
			.kind = (int)json_integer_value(json_object_get(v,
									"kind")),
			.key = key ? key + 1 : "",
			.created = json_integer_value(json_object_get(v,
								      "created")),
			.generation = (uint64_t)json_integer_value(
				json_object_get(v, "generation")),
			.doc = json_string_value(json_object_get(v, "doc")),
			.resource_version = (uint64_t)json_integer_value(
				json_object_get(v, "resourceVersion")),
			.status_hash = (uint64_t)json_integer_value(
				json_object_get(v, "statusHash")),
		};
		struct lb_store_condition *conds;
		int rc;

		if (!cur)
			return lbe_store_del_object(c, o.kind, o.key);
		conds = lbe_store_etcd_object_conds(v, &o.n_conditions);
		o.conditions = conds;
		rc = o.doc ? lbe_store_put_object(c, &o) : 0;
		free(conds);
		return rc;
	}
	if (!strncmp(rel, "holdings/", 9)) {
		json_t *ips = json_object_get(cur, "ips"), *ip;
		const char **v_ips = NULL;
		size_t i, n = 0;
		int rc;

		if (json_array_size(ips))
			v_ips = lb_xcalloc(json_array_size(ips),
					   sizeof(*v_ips));
		json_array_foreach(ips, i, ip)
			if (json_is_string(ip))
				v_ips[n++] = json_string_value(ip);
		rc = lbe_store_put_holdings(c, rel + 9, v_ips, n,
			(int)json_integer_value(json_object_get(cur,
								"revoked")));
		free(v_ips);
		return rc;
	}
	if (!strncmp(rel, "pools/", 6)) {
		if (!cur)
			return lbe_store_del_pool_state(c, rel + 6);
		return lbe_store_put_pool_state(c, rel + 6,
			json_is_true(json_object_get(cur, "conflicting")),
			json_string_value(json_object_get(cur, "message")));
	}
	/* meta/schema is etcd's layout, not the cache's own. */
	if (!strncmp(rel, "meta/", 5) && cur && strcmp(rel, "meta/schema"))
		return lbe_store_set_meta(c, rel + 5,
			json_integer_value(json_object_get(cur, "value")));
	return 0;
}

/*
 * Brings the cache from @old to @cur (snapshots), in one transaction;
 * best effort: etcd is the truth, and a failed cache is only older.
 */
void lbe_store_etcd_cache_sync(struct etcd_store *s, json_t *old,
			       json_t *cur)
{
	const char *k;
	json_t *v;
	int rc;

	if (!s->cache || lbe_store_begin(s->cache))
		return;
	rc = 0;
	json_object_foreach(old, k, v)
		if (!rc && !json_object_get(cur, k))
			rc = cache_one(s->cache, k, v, NULL);
	json_object_foreach(cur, k, v) {
		json_t *was = json_object_get(old, k);

		if (!rc && !(was && json_equal(was, v)))
			rc = cache_one(s->cache, k, was, v);
	}
	if (!rc)
		rc = lbe_store_set_meta(s->cache, "etcd_revision", s->rev);
	if (rc || lbe_store_commit(s->cache))
		lbe_store_rollback(s->cache);
}

void lbe_store_etcd_cache_apply(struct etcd_store *s, json_t *ops)
{
	json_t *o;
	size_t i;
	int rc = 0;

	if (!s->cache || lbe_store_begin(s->cache))
		return;
	json_array_foreach(ops, i, o) {
		json_t *v = json_array_get(o, 1);

		if (!rc)
			rc = cache_one(s->cache,
				       json_string_value(json_array_get(o, 0)),
				       v, json_is_null(v) ? NULL : v);
	}
	if (!rc)
		rc = lbe_store_set_meta(s->cache, "etcd_revision", s->rev);
	if (rc || lbe_store_commit(s->cache))
		lbe_store_rollback(s->cache);
}

struct cache_load {
	json_t *snap;
};

static int cache_object(const struct lb_store_object *o, void *arg)
{
	struct cache_load *cl = arg;
	char *k = lb_xasprintf("objects/%s/%s",
			       lb_kind_name((enum lb_kind)o->kind), o->key);

	json_object_set_new(cl->snap, k, lbe_store_etcd_object_json(o));
	free(k);
	return 0;
}

static json_t *holding_entry(json_t *snap, const char *svc)
{
	char *k = lb_xasprintf("holdings/%s", svc);
	json_t *h = json_object_get(snap, k);

	if (!h) {
		h = json_pack("{s:[], s:i}", "ips", "revoked", 0);
		json_object_set_new(snap, k, h);
	}
	free(k);
	return h;
}

static int cache_holding(const char *svc, const char *ip, void *arg)
{
	struct cache_load *cl = arg;

	json_array_append_new(json_object_get(holding_entry(cl->snap, svc),
					      "ips"), json_string(ip));
	return 0;
}

static int cache_svc_state(const char *svc, int revoked, void *arg)
{
	struct cache_load *cl = arg;

	json_object_set_new(holding_entry(cl->snap, svc), "revoked",
			    json_integer(revoked));
	return 0;
}

static int cache_pool_state(const char *pool, bool conflicting,
			    const char *msg, void *arg)
{
	struct cache_load *cl = arg;
	char *k = lb_xasprintf("pools/%s", pool);

	json_object_set_new(cl->snap, k, json_pack("{s:b, s:s}",
			    "conflicting", conflicting, "message", msg));
	free(k);
	return 0;
}

int lbe_store_etcd_load_cache(struct lb_store *b)
{
	struct etcd_store *s = es(b);
	struct cache_load cl = { .snap = json_object() };
	int64_t v;
	int rc;

	if (!s->cache || lbe_store_get_meta(s->cache, "etcd_revision", &v)) {
		json_decref(cl.snap);
		snprintf(s->err, sizeof(s->err),
			 "no local cache of the shared state");
		return -ENOENT;
	}
	rc = lbe_store_each_object(s->cache, cache_object, &cl);
	if (!rc)
		rc = lbe_store_each_holding(s->cache, cache_holding, &cl);
	if (!rc)
		rc = lbe_store_each_svc_state(s->cache, cache_svc_state, &cl);
	if (!rc)
		rc = lbe_store_each_pool_state(s->cache, cache_pool_state, &cl);
	if (rc) {
		json_decref(cl.snap);
		snprintf(s->err, sizeof(s->err), "the local cache: %s",
			 lbe_store_errmsg(s->cache));
		return rc;
	}
	if (!lbe_store_get_meta(s->cache, "last_stamp", &v))
		json_object_set_new(cl.snap, "meta/last_stamp",
				    json_pack("{s:I}", "value", (json_int_t)v));
	json_decref(s->snap);
	s->snap = cl.snap;
	/* Not an etcd revision: the first refresh always reloads. */
	s->rev = 0;
	return 0;
}
