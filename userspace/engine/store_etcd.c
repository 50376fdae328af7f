// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd store (struct lb_store_ops): the engine's state as keys under
 * a prefix, read whole into a snapshot, a commit one fenced etcd txn.
 *
 * Keys under the prefix (default /lbipam/), values JSON:
 *   objects/KIND/KEY  {"kind":N,"created":NS,"generation":N,"doc":"YAML"}
 *   holdings/SVC      {"ips":["IP",...],"revoked":N}  (ingress order)
 *   pools/POOL        {"conflicting":BOOL,"message":"..."}
 *   meta/NAME         {"value":N}                     (schema, last_stamp)
 * cluster.c keeps leader, requests/ and responses/ beside them.
 *
 * An optional local cache (a SQLite store, lbipamd's --state) mirrors
 * every snapshot and commit, so that a node started while etcd is down
 * serves the last state it saw; its meta etcd_revision marks it a cache.
 */
#include "etcd.h"
#include "store.h"
#include "util.h"
#include "../lib/lb_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static struct etcd_store *es(struct lb_store *s)
{
	return (struct etcd_store *)((char *)s -
				     offsetof(struct etcd_store, base));
}

static const char *etcd_errmsg(struct lb_store *b)
{
	return es(b)->err;
}

static void etcd_close(struct lb_store *b)
{
	struct etcd_store *s = es(b);

	json_decref(s->snap);
	json_decref(s->ops);
	free(s->prefix);
	lbe_store_close(s->cache);
	free(s);
}

static int etcd_begin(struct lb_store *b)
{
	struct etcd_store *s = es(b);

	json_array_clear(s->ops);
	return 0;
}

static void etcd_rollback(struct lb_store *b)
{
	json_array_clear(es(b)->ops);
}

static void op(struct etcd_store *s, char *key, json_t *value)
{
	json_array_append_new(s->ops, json_pack("[s, o?]", key, value));
	free(key);
}

/* An object's value: its YAML and its Kubernetes bookkeeping. */
static json_t *object_json(const struct lb_store_object *o)
{
	json_t *conds = json_array();
	size_t i;

	for (i = 0; i < o->n_conditions; i++)
		json_array_append_new(conds, json_pack("{s:s, s:s, s:I, s:I}",
			"type", o->conditions[i].type, "status",
			o->conditions[i].status, "lastTransition",
			(json_int_t)o->conditions[i].last_transition,
			"observedGeneration",
			(json_int_t)o->conditions[i].observed_generation));
	return json_pack("{s:i, s:I, s:I, s:s, s:I, s:I, s:o}", "kind",
			 o->kind, "created", (json_int_t)o->created,
			 "generation", (json_int_t)o->generation, "doc", o->doc,
			 "resourceVersion", (json_int_t)o->resource_version,
			 "statusHash", (json_int_t)o->status_hash,
			 "conditions", conds);
}

/* The conditions of an object's value, for lb_store_object. */
static struct lb_store_condition *object_conds(json_t *v, size_t *n)
{
	json_t *a = json_object_get(v, "conditions"), *c;
	struct lb_store_condition *out;
	size_t i;

	*n = json_array_size(a);
	out = lb_xcalloc(*n + 1, sizeof(*out));
	json_array_foreach(a, i, c) {
		out[i].type = json_string_value(json_object_get(c, "type"));
		out[i].status = json_string_value(json_object_get(c,
								  "status"));
		out[i].last_transition = json_integer_value(
			json_object_get(c, "lastTransition"));
		out[i].observed_generation = (uint64_t)json_integer_value(
			json_object_get(c, "observedGeneration"));
		if (!out[i].type)
			out[i].type = "";
		if (!out[i].status)
			out[i].status = "";
	}
	return out;
}

static int etcd_put_object(struct lb_store *b, const struct lb_store_object *o)
{
	op(es(b), lb_xasprintf("objects/%s/%s",
			       lb_kind_name((enum lb_kind)o->kind), o->key),
	   object_json(o));
	return 0;
}

static int etcd_del_object(struct lb_store *b, int kind, const char *key)
{
	op(es(b), lb_xasprintf("objects/%s/%s",
			       lb_kind_name((enum lb_kind)kind), key), NULL);
	return 0;
}

static int etcd_put_holdings(struct lb_store *b, const char *svc,
			     const char *const *ips, size_t n, int revoked)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(ips[i]));
	op(es(b), lb_xasprintf("holdings/%s", svc), n || revoked ?
	   json_pack("{s:o, s:i}", "ips", a, "revoked", revoked) : NULL);
	if (!n && !revoked)
		json_decref(a);
	return 0;
}

static int etcd_put_pool_state(struct lb_store *b, const char *pool,
			       bool conflicting, const char *msg)
{
	op(es(b), lb_xasprintf("pools/%s", pool),
	   json_pack("{s:b, s:s}", "conflicting", conflicting, "message",
		     msg ? msg : ""));
	return 0;
}

static int etcd_del_pool_state(struct lb_store *b, const char *pool)
{
	op(es(b), lb_xasprintf("pools/%s", pool), NULL);
	return 0;
}

static int etcd_set_meta(struct lb_store *b, const char *key, int64_t v)
{
	op(es(b), lb_xasprintf("meta/%s", key),
	   json_pack("{s:I}", "value", (json_int_t)v));
	return 0;
}

static int etcd_get_meta(struct lb_store *b, const char *key, int64_t *v)
{
	struct etcd_store *s = es(b);
	char *k = lb_xasprintf("meta/%s", key);
	json_t *j = json_object_get(json_object_get(s->snap, k), "value");

	free(k);
	if (!json_is_integer(j))
		return -ENOENT;
	*v = json_integer_value(j);
	return 0;
}

/* The operations that change something, last write of a key winning. */
static json_t *effective_ops(struct etcd_store *s)
{
	json_t *last = json_object(), *out = json_array(), *o, *v;
	const char *k;
	size_t i;

	json_array_foreach(s->ops, i, o)
		json_object_set(last, json_string_value(json_array_get(o, 0)),
				json_array_get(o, 1));
	json_object_foreach(last, k, v) {
		json_t *cur = json_object_get(s->snap, k);

		if (json_is_null(v) ? !cur : cur && json_equal(cur, v))
			continue;
		json_array_append_new(out, json_pack("[s, O]", k, v));
	}
	if (json_array_size(out) &&
	    !json_object_get(s->snap, "meta/schema"))
		json_array_append_new(out, json_pack("[s, {s:i}]",
				      "meta/schema", "value", LB_ETCD_SCHEMA));
	json_decref(last);
	return out;
}

/* ------------------------------------------------------------- cache */

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
		conds = object_conds(v, &o.n_conditions);
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
static void cache_sync(struct etcd_store *s, json_t *old, json_t *cur)
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

struct cache_load {
	json_t *snap;
};

static int cache_object(const struct lb_store_object *o, void *arg)
{
	struct cache_load *cl = arg;
	char *k = lb_xasprintf("objects/%s/%s",
			       lb_kind_name((enum lb_kind)o->kind), o->key);

	json_object_set_new(cl->snap, k, object_json(o));
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

static json_t *key_b64(struct etcd_store *s, const char *rel)
{
	char *k = lb_xasprintf("%s%s", s->prefix, rel);
	json_t *j = lbe_etcd_b64(k, strlen(k));

	free(k);
	return j;
}

/*
 * One txn: every change, if the leader key still has the revision this
 * node created it with.  A stalled ex-leader's commit fails here, by
 * revision, whatever its clock says.
 */
static int etcd_commit(struct lb_store *b)
{
	struct etcd_store *s = es(b);
	json_t *ops = effective_ops(s), *puts = json_array(), *txn, *r, *o;
	json_t *old;
	char fence[24];
	size_t i;
	int rc;

	json_array_clear(s->ops);
	if (!json_array_size(ops)) {
		json_decref(ops);
		json_decref(puts);
		return 0;
	}
	if (!s->fence) {
		snprintf(s->err, sizeof(s->err),
			 "this node is not the cluster leader; nothing written");
		json_decref(ops);
		json_decref(puts);
		return -EPERM;
	}
	json_array_foreach(ops, i, o) {
		const char *k = json_string_value(json_array_get(o, 0));
		json_t *v = json_array_get(o, 1);
		char *text;

		if (json_is_null(v)) {
			json_array_append_new(puts, json_pack("{s:{s:o}}",
					      "request_delete_range", "key",
					      key_b64(s, k)));
			continue;
		}
		text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		json_array_append_new(puts, json_pack("{s:{s:o, s:o}}",
				      "request_put", "key", key_b64(s, k),
				      "value", lbe_etcd_b64(text,
							   strlen(text))));
		free(text);
	}
	snprintf(fence, sizeof(fence), "%lld", (long long)s->fence);
	txn = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:o}", "compare", "key",
			key_b64(s, "leader"), "result", "EQUAL", "target",
			"CREATE", "create_revision",
			fence, "success", puts);
	rc = lbe_etcd_call_timeout(s->c, "/v3/kv/txn", txn, &r,
				  LB_ETCD_DATA_TIMEOUT_MS);
	json_decref(txn);
	if (rc) {
		snprintf(s->err, sizeof(s->err), "%s; nothing written",
			 lbe_etcd_errmsg(s->c));
		json_decref(ops);
		return rc;
	}
	if (!json_is_true(json_object_get(r, "succeeded"))) {
		snprintf(s->err, sizeof(s->err),
			 "this node is no longer the cluster leader (its leader key is gone); nothing written");
		s->lost = true;
		json_decref(r);
		json_decref(ops);
		return -EPERM;
	}
	s->rev = lbe_etcd_int(json_object_get(json_object_get(r, "header"),
					     "revision"));
	old = json_copy(s->snap);
	json_array_foreach(ops, i, o) {
		const char *k = json_string_value(json_array_get(o, 0));
		json_t *v = json_array_get(o, 1);

		if (json_is_null(v))
			json_object_del(s->snap, k);
		else
			json_object_set(s->snap, k, v);
	}
	cache_sync(s, old, s->snap);
	json_decref(old);
	json_decref(r);
	json_decref(ops);
	return 0;
}

/* ---------------------------------------------------------- iteration */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The snapshot's keys under @sub, sorted; *n of them. */
static const char **keys_under(struct etcd_store *s, const char *sub,
			       size_t *n)
{
	const char **v = NULL, *k;
	size_t len = strlen(sub), cap = 0;
	json_t *val;

	*n = 0;
	json_object_foreach(s->snap, k, val) {
		if (strncmp(k, sub, len))
			continue;
		LB_GROW(v, *n, cap);
		v[(*n)++] = k;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static int cmp_obj(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t kx = json_integer_value(json_object_get(x, "kind"));
	json_int_t ky = json_integer_value(json_object_get(y, "kind"));

	if (kx != ky)
		return kx < ky ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "key")),
		      json_string_value(json_object_get(y, "key")));
}

static int etcd_each_object(struct lb_store *b,
			    int (*cb)(const struct lb_store_object *o, void *arg),
			    void *arg)
{
	struct etcd_store *s = es(b);
	const char **keys;
	json_t **objs;
	size_t n, i, len = strlen("objects/");
	int rc = 0;

	keys = keys_under(s, "objects/", &n);
	objs = lb_xcalloc(n + 1, sizeof(*objs));
	for (i = 0; i < n; i++) {
		const char *slash = strchr(keys[i] + len, '/');

		objs[i] = json_deep_copy(json_object_get(s->snap, keys[i]));
		json_object_set_new(objs[i], "key",
				    json_string(slash ? slash + 1 : ""));
	}
	qsort(objs, n, sizeof(*objs), cmp_obj);
	for (i = 0; i < n && !rc; i++) {
		struct lb_store_object o = {
			.kind = (int)json_integer_value(
				json_object_get(objs[i], "kind")),
			.key = json_string_value(json_object_get(objs[i],
								 "key")),
			.created = json_integer_value(
				json_object_get(objs[i], "created")),
			.generation = (uint64_t)json_integer_value(
				json_object_get(objs[i], "generation")),
			.doc = json_string_value(json_object_get(objs[i],
								 "doc")),
			.resource_version = (uint64_t)json_integer_value(
				json_object_get(objs[i], "resourceVersion")),
			.status_hash = (uint64_t)json_integer_value(
				json_object_get(objs[i], "statusHash")),
		};
		struct lb_store_condition *conds =
			object_conds(objs[i], &o.n_conditions);

		o.conditions = conds;
		if (o.doc)
			rc = cb(&o, arg);
		free(conds);
	}
	for (i = 0; i < n; i++)
		json_decref(objs[i]);
	free(objs);
	free(keys);
	return rc;
}

static int etcd_each_holding(struct lb_store *b,
			     int (*cb)(const char *svc, const char *ip, void *arg),
			     void *arg)
{
	struct etcd_store *s = es(b);
	size_t n, i, j, len = strlen("holdings/");
	const char **keys = keys_under(s, "holdings/", &n);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		json_t *ips = json_object_get(json_object_get(s->snap, keys[i]),
					      "ips"), *ip;

		json_array_foreach(ips, j, ip) {
			if (json_is_string(ip))
				rc = cb(keys[i] + len, json_string_value(ip),
					arg);
			if (rc)
				break;
		}
	}
	free(keys);
	return rc;
}

static int etcd_each_svc_state(struct lb_store *b,
			       int (*cb)(const char *svc, int revoked, void *arg),
			       void *arg)
{
	struct etcd_store *s = es(b);
	size_t n, i, len = strlen("holdings/");
	const char **keys = keys_under(s, "holdings/", &n);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		json_int_t r = json_integer_value(json_object_get(
			json_object_get(s->snap, keys[i]), "revoked"));

		if (r)
			rc = cb(keys[i] + len, (int)r, arg);
	}
	free(keys);
	return rc;
}

static int etcd_each_pool_state(struct lb_store *b,
				int (*cb)(const char *pool, bool conflicting,
					  const char *msg, void *arg),
				void *arg)
{
	struct etcd_store *s = es(b);
	size_t n, i, len = strlen("pools/");
	const char **keys = keys_under(s, "pools/", &n);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		json_t *v = json_object_get(s->snap, keys[i]);
		const char *msg = json_string_value(json_object_get(v,
								    "message"));

		rc = cb(keys[i] + len,
			json_is_true(json_object_get(v, "conflicting")),
			msg ? msg : "", arg);
	}
	free(keys);
	return rc;
}

static const struct lb_store_ops etcd_ops = {
	.close = etcd_close,
	.errmsg = etcd_errmsg,
	.begin = etcd_begin,
	.commit = etcd_commit,
	.rollback = etcd_rollback,
	.put_object = etcd_put_object,
	.del_object = etcd_del_object,
	.put_holdings = etcd_put_holdings,
	.put_pool_state = etcd_put_pool_state,
	.del_pool_state = etcd_del_pool_state,
	.set_meta = etcd_set_meta,
	.get_meta = etcd_get_meta,
	.each_object = etcd_each_object,
	.each_holding = etcd_each_holding,
	.each_svc_state = etcd_each_svc_state,
	.each_pool_state = etcd_each_pool_state,
};

/* ------------------------------------------------------------ refresh */

static bool state_key(const char *rel)
{
	return !strncmp(rel, "objects/", 8) || !strncmp(rel, "holdings/", 9) ||
	       !strncmp(rel, "pools/", 6) || !strncmp(rel, "meta/", 5);
}

int lbe_store_etcd_refresh(struct lb_store *b)
{
	struct etcd_store *s = es(b);
	json_t *req, *r, *kvs, *kv, *snap, *schema;
	size_t i, plen = strlen(s->prefix);
	int rc;

	req = json_pack("{s:o, s:o}", "key",
			lbe_etcd_b64(s->prefix, plen), "range_end",
			lbe_etcd_prefix_end(s->prefix));
	rc = lbe_etcd_call_timeout(s->c, "/v3/kv/range", req, &r,
				  LB_ETCD_DATA_TIMEOUT_MS);
	json_decref(req);
	if (rc) {
		snprintf(s->err, sizeof(s->err), "%s", lbe_etcd_errmsg(s->c));
		return rc;
	}
	snap = json_object();
	kvs = json_object_get(r, "kvs");
	json_array_foreach(kvs, i, kv) {
		char *k = lbe_etcd_unb64(json_object_get(kv, "key"), NULL);
		char *v = lbe_etcd_unb64(json_object_get(kv, "value"), NULL);
		json_t *j = v ? json_loads(v, 0, NULL) : NULL;

		if (k && strlen(k) > plen && state_key(k + plen) && j)
			json_object_set(snap, k + plen, j);
		json_decref(j);
		free(k);
		free(v);
	}
	schema = json_object_get(json_object_get(snap, "meta/schema"),
				 "value");
	if (schema && json_integer_value(schema) != LB_ETCD_SCHEMA) {
		snprintf(s->err, sizeof(s->err),
			 "etcd prefix %s: schema version %lld, expected %d",
			 s->prefix, (long long)json_integer_value(schema),
			 LB_ETCD_SCHEMA);
		json_decref(snap);
		json_decref(r);
		return -EPROTO;
	}
	s->rev = lbe_etcd_int(json_object_get(json_object_get(r, "header"),
					     "revision"));
	cache_sync(s, s->snap, snap);
	json_decref(s->snap);
	s->snap = snap;
	json_decref(r);
	return 0;
}

int64_t lbe_store_etcd_revision(struct lb_store *b)
{
	return es(b)->rev;
}

void lbe_store_etcd_fence(struct lb_store *b, int64_t leader_create_rev)
{
	struct etcd_store *s = es(b);

	s->fence = leader_create_rev;
	s->lost = false;
}

bool lbe_store_etcd_lost(struct lb_store *b)
{
	return es(b)->lost;
}

static int has_any(const struct lb_store_object *o, void *arg)
{
	(void)o;
	(void)arg;
	return 1;
}

int lbe_store_etcd_open(struct lb_etcd *c, const char *prefix,
		       struct lb_store *cache, struct lb_store **out, char **err)
{
	struct etcd_store *s;
	int64_t v;

	*out = NULL;
	/* A single node's database is not a cache to overwrite. */
	if (cache && lbe_store_get_meta(cache, "etcd_revision", &v) &&
	    lbe_store_each_object(cache, has_any, NULL)) {
		if (err)
			*err = lb_xstrdup("the local state file holds a single node's objects, not a cache of etcd's; give cluster mode another --state");
		lbe_store_close(cache);
		return -EEXIST;
	}
	if (!prefix || prefix[0] != '/' || prefix[strlen(prefix) - 1] != '/') {
		if (err)
			*err = lb_xasprintf("etcd prefix '%s': must start and end with '/'",
					    prefix ? prefix : "");
		return -EINVAL;
	}
	s = lb_xcalloc(1, sizeof(*s));
	s->base.ops = &etcd_ops;
	s->c = c;
	s->prefix = lb_xstrdup(prefix);
	s->snap = json_object();
	s->ops = json_array();
	s->cache = cache;
	*out = &s->base;
	return 0;
}
