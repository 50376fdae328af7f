// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mode's writes on a follower: handed to the leader through etcd
 * so that the leader stays the only writer of the shared state.
 *
 * The request goes to <prefix>requests/ID, the leader (which watches
 * that prefix) handles it like its own, then puts the reply at
 * <prefix>responses/ID and deletes the request in one fenced txn; the
 * follower waits for the reply, deletes it and reloads.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/cluster.h"
#include "engine/util.h"

/* How long a follower waits for the leader to answer a write. */
#define LBIPAMD_FORWARD_MS	30000

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

void lbipamd_cluster_serve_requests(struct lbipamd *d)
{
	struct lbipamd_cluster *c = d->cluster;
	json_t *req, *r, *kv;
	size_t i;
	int rc;

	if (!c->leader)
		return;
	req = lbipamd_cluster_range_of(c, "requests/");
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
	int64_t deadline, rrev = 0;
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
		lbipamd_cluster_set_etcd(c, false);
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
		rrev = lbe_etcd_int(json_object_get(kv, "mod_revision"));
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
	/*
	 * The leader committed before it answered: once the watch is past
	 * the answer, this node has the commit's changes to apply.
	 */
	if (lbipamd_cluster_wait_seen(c, rrev, 2000))
		lbipamd_cluster_follow(d);
	else
		lbipamd_cluster_reload(d, false);
out:
	free(id);
	free(qkey);
	free(rkey);
	return res;
}
