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
 *   commit            {"seq":N}  written last by every commit: the state
 *                     is whole at its mod_revision
 *   journal/          a commit larger than one txn (store_etcd_journal.c)
 * cluster.c keeps leader, requests/ and responses/ beside them.
 *
 * The snapshot is read and iterated in store_etcd_snap.c, mirrored into
 * a local cache in store_etcd_cache.c.
 */
#include "store_etcd.h"
#include "util.h"
#include "../lib/lb_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *etcd_errmsg(struct lb_store *b)
{
	return es(b)->err;
}

static void etcd_close(struct lb_store *b)
{
	struct etcd_store *s = es(b);

	json_decref(s->snap);
	json_decref(s->ops);
	json_decref(s->changes);
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
json_t *lbe_store_etcd_object_json(const struct lb_store_object *o)
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
struct lb_store_condition *lbe_store_etcd_object_conds(json_t *v,
						       size_t *n)
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
	   lbe_store_etcd_object_json(o));
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

static json_t *key_b64(struct etcd_store *s, const char *rel)
{
	char *k = lb_xasprintf("%s%s", s->prefix, rel);
	json_t *j = lbe_etcd_b64(k, strlen(k));

	free(k);
	return j;
}

json_t *lbe_store_etcd_req(struct etcd_store *s, const char *rel, json_t *v,
			   size_t *bytes)
{
	json_t *r;
	char *text;

	*bytes += strlen(s->prefix) + strlen(rel) + 16;
	if (!v || json_is_null(v))
		return json_pack("{s:{s:o}}", "request_delete_range", "key",
				 key_b64(s, rel));
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	*bytes += strlen(text);
	r = json_pack("{s:{s:o, s:o}}", "request_put", "key", key_b64(s, rel),
		      "value", lbe_etcd_b64(text, strlen(text)));
	free(text);
	return r;
}

json_t *lbe_store_etcd_del_under(struct etcd_store *s, const char *rel)
{
	char *k = lb_xasprintf("%s%s", s->prefix, rel);
	json_t *r = json_pack("{s:{s:o, s:o}}", "request_delete_range", "key",
			      lbe_etcd_b64(k, strlen(k)), "range_end",
			      lbe_etcd_prefix_end(k));

	free(k);
	return r;
}

int lbe_store_etcd_range(struct etcd_store *s, json_t *req, json_t **r)
{
	int rc = lbe_etcd_call_timeout(s->c, "/v3/kv/range", req, r,
				      LB_ETCD_DATA_TIMEOUT_MS);

	json_decref(req);
	if (rc)
		snprintf(s->err, sizeof(s->err), "%s", lbe_etcd_errmsg(s->c));
	return rc;
}

json_t *lbe_store_etcd_commit_req(struct etcd_store *s, int64_t seq,
				  size_t *bytes)
{
	json_t *v = json_pack("{s:I}", "seq", (json_int_t)seq);
	json_t *r = lbe_store_etcd_req(s, "commit", v, bytes);

	json_decref(v);
	return r;
}

/*
 * Every write is fenced: it succeeds only if the leader key still has
 * the revision this node created it with.  A stalled ex-leader's write
 * fails here, by revision, whatever its clock says.
 */
int lbe_store_etcd_txn(struct etcd_store *s, json_t *reqs, int64_t *rev)
{
	json_t *txn, *r;
	char fence[24];
	int rc;

	snprintf(fence, sizeof(fence), "%lld", (long long)s->fence);
	txn = json_pack("{s:[{s:o, s:s, s:s, s:s}], s:o}", "compare", "key",
			key_b64(s, "leader"), "result", "EQUAL", "target",
			"CREATE", "create_revision", fence, "success", reqs);
	rc = lbe_etcd_call_timeout(s->c, "/v3/kv/txn", txn, &r,
				  LB_ETCD_DATA_TIMEOUT_MS);
	json_decref(txn);
	if (rc) {
		snprintf(s->err, sizeof(s->err), "%s", lbe_etcd_errmsg(s->c));
		return rc;
	}
	if (!json_is_true(json_object_get(r, "succeeded"))) {
		snprintf(s->err, sizeof(s->err),
			 "this node is no longer the cluster leader (its leader key is gone)");
		s->lost = true;
		json_decref(r);
		return -EPERM;
	}
	*rev = lbe_etcd_int(json_object_get(json_object_get(r, "header"),
					   "revision"));
	json_decref(r);
	return 0;
}

void lbe_store_etcd_applied(struct etcd_store *s, json_t *ops, int64_t rev)
{
	json_t *o;
	size_t i;

	json_array_foreach(ops, i, o) {
		const char *k = json_string_value(json_array_get(o, 0));
		json_t *v = json_array_get(o, 1);

		if (json_is_null(v))
			json_object_del(s->snap, k);
		else
			json_object_set(s->snap, k, v);
	}
	s->rev = rev;
	lbe_store_etcd_cache_apply(s, ops);
}

/* Every change and the commit key in one txn. */
static int commit_one(struct etcd_store *s, json_t *ops, int64_t seq,
		      int64_t *rev)
{
	json_t *reqs = json_array(), *o;
	size_t i, bytes = 0;

	json_array_foreach(ops, i, o)
		json_array_append_new(reqs, lbe_store_etcd_req(s,
				json_string_value(json_array_get(o, 0)),
				json_array_get(o, 1), &bytes));
	json_array_append_new(reqs, lbe_store_etcd_commit_req(s, seq, &bytes));
	return lbe_store_etcd_txn(s, reqs, rev);
}

/*
 * A commit that fits one txn is one (with the commit key, which
 * followers watch); a larger one goes through the journal
 * (store_etcd_journal.c).  Either way every node sees all of it or none.
 */
static int etcd_commit(struct lb_store *b)
{
	struct etcd_store *s = es(b);
	json_t *ops = effective_ops(s);
	int64_t rev = 0;
	int rc;

	json_array_clear(s->ops);
	if (!json_array_size(ops)) {
		json_decref(ops);
		return 0;
	}
	if (!s->fence) {
		snprintf(s->err, sizeof(s->err),
			 "this node is not the cluster leader; nothing written");
		json_decref(ops);
		return -EPERM;
	}
	if (lbe_store_etcd_fits(s, ops, 1)) {
		rc = commit_one(s, ops, s->seq + 1, &rev);
		if (rc)
			snprintf(s->err + strlen(s->err),
				 sizeof(s->err) - strlen(s->err),
				 "; nothing written");
	} else {
		rc = lbe_store_etcd_journal_commit(s, ops, s->seq + 1, &rev);
	}
	if (!rc) {
		s->seq++;
		lbe_store_etcd_applied(s, ops, rev);
	}
	json_decref(ops);
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
	.each_object = lbe_store_etcd_each_object,
	.each_holding = lbe_store_etcd_each_holding,
	.each_svc_state = lbe_store_etcd_each_svc_state,
	.each_pool_state = lbe_store_etcd_each_pool_state,
};

int64_t lbe_store_etcd_revision(struct lb_store *b)
{
	return es(b)->rev;
}

int64_t lbe_store_etcd_seq(struct lb_store *b)
{
	return es(b)->seq;
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
	s->changes = json_object();
	s->cache = cache;
	*out = &s->base;
	return 0;
}
