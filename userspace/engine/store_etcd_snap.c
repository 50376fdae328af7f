// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd store's snapshot: read whole from etcd or brought forward by
 * the watch's changes, and iterated by the engine's load in the order the
 * SQLite store gives.
 */
#include "store_etcd.h"
#include "util.h"
#include "../lib/lb_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* What the iterators walk: the snapshot, or the last delta's changes. */
static json_t *src(struct etcd_store *s)
{
	return s->view ? s->changes : s->snap;
}

/* The keys under @sub, sorted; *n of them. */
static const char **keys_under(struct etcd_store *s, const char *sub,
			       size_t *n)
{
	const char **v = NULL, *k;
	size_t len = strlen(sub), cap = 0;
	json_t *val;

	*n = 0;
	json_object_foreach(src(s), k, val) {
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

/*
 * A deleted object, as the changes show it: its kind, no doc; NULL if
 * the kind is not known.  @kind ends at @slash.
 */
static json_t *deleted_object(struct etcd_store *s, const char *key,
			      const char *kind, const char *slash)
{
	char name[64];
	enum lb_kind k;

	if (!json_is_null(json_object_get(src(s), key)) || !slash ||
	    (size_t)(slash - kind) >= sizeof(name))
		return NULL;
	memcpy(name, kind, (size_t)(slash - kind));
	name[slash - kind] = '\0';
	if (lb_kind_parse(name, &k))
		return NULL;
	return json_pack("{s:i, s:b}", "kind", (int)k, "deleted", 1);
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

		objs[i] = deleted_object(s, keys[i], keys[i] + len, slash);
		if (!objs[i])
			objs[i] = json_deep_copy(json_object_get(src(s),
								 keys[i]));
		if (!json_is_object(objs[i])) {
			json_decref(objs[i]);
			objs[i] = json_object();
		}
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
		/* Without a doc: skipped, or a deletion in the changes. */
		if (o.doc || json_is_true(json_object_get(objs[i],
							   "deleted")))
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
		json_t *ips = json_object_get(json_object_get(src(s), keys[i]),
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
			json_object_get(src(s), keys[i]), "revoked"));

		/* The changes: every changed Service, its holdings anew. */
		if (r || s->view)
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
		json_t *v = json_object_get(src(s), keys[i]);
		const char *msg = json_string_value(json_object_get(v,
								    "message"));

		if (json_is_null(v))
			continue;

		rc = cb(keys[i] + len,
			json_is_true(json_object_get(v, "conflicting")),
			msg ? msg : "", arg);
	}
	free(keys);
	return rc;
}

bool lbe_store_etcd_state_key(const char *rel)
{
	return !strncmp(rel, "objects/", 8) || !strncmp(rel, "holdings/", 9) ||
	       !strncmp(rel, "pools/", 6) || !strncmp(rel, "meta/", 5);
}

/*
 * The commit key: its mod_revision (the revision at which the state is
 * whole, 0 if never written) and its seq.
 */
static int read_commit(struct etcd_store *s, int64_t *rev, int64_t *seq)
{
	char *k = lb_xasprintf("%scommit", s->prefix);
	json_t *req = json_pack("{s:o}", "key", lbe_etcd_b64(k, strlen(k)));
	json_t *r, *kv, *j;
	char *v;
	int rc;

	free(k);
	rc = lbe_store_etcd_range(s, req, &r);
	if (rc)
		return rc;
	kv = json_array_get(json_object_get(r, "kvs"), 0);
	*rev = lbe_etcd_int(json_object_get(kv, "mod_revision"));
	v = kv ? lbe_etcd_unb64(json_object_get(kv, "value"), NULL) : NULL;
	j = v ? json_loads(v, 0, NULL) : NULL;
	*seq = lbe_etcd_int(json_object_get(j, "seq"));
	json_decref(j);
	free(v);
	json_decref(r);
	return 0;
}

/* The state keys of a range reply. */
static json_t *snap_of(struct etcd_store *s, json_t *r)
{
	json_t *snap = json_object(), *kv;
	size_t i, plen = strlen(s->prefix);

	json_array_foreach(json_object_get(r, "kvs"), i, kv) {
		char *k = lbe_etcd_unb64(json_object_get(kv, "key"), NULL);
		char *v = lbe_etcd_unb64(json_object_get(kv, "value"), NULL);
		json_t *j = v ? json_loads(v, 0, NULL) : NULL;

		if (k && strlen(k) > plen &&
		    lbe_store_etcd_state_key(k + plen) && j)
			json_object_set(snap, k + plen, j);
		json_decref(j);
		free(k);
		free(v);
	}
	return snap;
}

/*
 * The whole prefix, read at the commit key's revision: a large commit
 * being written (journal, then its changes) is not seen half done.
 */
int lbe_store_etcd_refresh(struct lb_store *b)
{
	struct etcd_store *s = es(b);
	json_t *req, *r, *snap, *schema;
	int64_t crev = 0, seq = 0;
	int rc;

	rc = read_commit(s, &crev, &seq);
	if (!rc) {
		req = json_pack("{s:o, s:o}", "key",
				lbe_etcd_b64(s->prefix, strlen(s->prefix)),
				"range_end", lbe_etcd_prefix_end(s->prefix));
		if (crev)
			json_object_set_new(req, "revision",
					    json_integer(crev));
		rc = lbe_store_etcd_range(s, req, &r);
	}
	if (rc)
		return rc;
	snap = snap_of(s, r);
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
	s->rev = crev ? crev : lbe_etcd_int(json_object_get(
		json_object_get(r, "header"), "revision"));
	s->seq = seq;
	lbe_store_etcd_cache_sync(s, s->snap, snap);
	json_decref(s->snap);
	s->snap = snap;
	json_decref(r);
	return 0;
}

int lbe_store_etcd_apply_delta(struct lb_store *b, json_t *delta,
			       int64_t rev)
{
	struct etcd_store *s = es(b);
	json_t *ops, *e;
	const char *k;
	size_t i;
	int n;

	if (rev <= s->rev)
		return 0;
	ops = json_array();
	json_object_foreach(delta, k, e) {
		json_t *v = json_array_get(e, 1);

		if (lbe_etcd_int(json_array_get(e, 0)) <= s->rev)
			continue;
		if (!strcmp(k, "commit"))
			s->seq = lbe_etcd_int(json_object_get(v, "seq"));
		else if (lbe_store_etcd_state_key(k))
			json_array_append_new(ops, json_pack("[s, O]", k, v));
	}
	n = (int)json_array_size(ops);
	lbe_store_etcd_applied(s, ops, rev);
	json_object_clear(s->changes);
	json_array_foreach(ops, i, e)
		json_object_set(s->changes,
				json_string_value(json_array_get(e, 0)),
				json_array_get(e, 1));
	json_decref(ops);
	return n;
}

void lbe_store_etcd_changes(struct lb_store *b, bool on)
{
	es(b)->view = on;
}
