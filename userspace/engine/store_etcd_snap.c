// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd store's snapshot: the whole prefix read from etcd, and the
 * engine's load iterating it in the order the SQLite store gives.
 */
#include "store_etcd.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int lbe_store_etcd_each_object(struct lb_store *b,
			       int (*cb)(const struct lb_store_object *o,
					 void *arg),
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
			lbe_store_etcd_object_conds(objs[i], &o.n_conditions);

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

int lbe_store_etcd_each_holding(struct lb_store *b,
				int (*cb)(const char *svc, const char *ip,
					  void *arg),
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

int lbe_store_etcd_each_svc_state(struct lb_store *b,
				  int (*cb)(const char *svc, int revoked,
					    void *arg),
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

int lbe_store_etcd_each_pool_state(struct lb_store *b,
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
	lbe_store_etcd_cache_sync(s, s->snap, snap);
	json_decref(s->snap);
	s->snap = snap;
	json_decref(r);
	return 0;
}
