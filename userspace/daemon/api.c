// SPDX-License-Identifier: GPL-2.0
/*
 * The requests of lbipamd_proto.h: a table of operations, and the write
 * side (apply and delete through the engine, then the kernel for what
 * the engine says changed).  The read side is in views.c.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "daemon/lbipamd.h"
#include "lib/lbipamd_proto.h"

/* ---------------------------------------------------------- reconcile */

struct changed_ctx {
	struct lbipamd *d;
	struct lb_service_key *keys;
	size_t n, cap;
	/* The Services, for the L2 announcements. */
	char **ns, **names;
	size_t nsvc;
};

static int on_changed(const char *ns, const char *name, void *arg)
{
	struct changed_ctx *c = arg;

	c->ns = lb_xrealloc(c->ns, (c->nsvc + 1) * sizeof(*c->ns));
	c->names = lb_xrealloc(c->names, (c->nsvc + 1) * sizeof(*c->names));
	c->ns[c->nsvc] = lb_xstrdup(ns);
	c->names[c->nsvc++] = lb_xstrdup(name);
	return lbipamd_desired_update(c->d->eng, &c->d->dcfg, &c->d->want, ns,
				      name, &c->keys, &c->n, &c->cap);
}

static void changed_free(struct changed_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nsvc; i++) {
		free(c->ns[i]);
		free(c->names[i]);
	}
	free(c->ns);
	free(c->names);
	free(c->keys);
}

/* Rebuilds want from the whole engine. */
static int rebuild(struct lbipamd *d)
{
	struct lbipamd_want want;
	int err = lbipamd_desired(d->eng, &d->dcfg, &want);

	if (err)
		return err;
	lbipamd_want_free(&d->want);
	d->want = want;
	d->want_built = true;
	return 0;
}

static int reconcile(struct lbipamd *d, bool full)
{
	struct changed_ctx c = { .d = d };
	bool l2_full, bgp;
	int err = 0;

	/* Read before the engine forgets what changed. */
	l2_full = full || lbe_l2_changed_all(d->eng);
	bgp = lbe_bgp_changed(d->eng) || d->bgp.state == LBIPAMD_BGP_PENDING;
	if (!d->want_built || lbe_changed_all(d->eng)) {
		err = rebuild(d);
		full = true;
	} else {
		err = lbe_foreach_changed(d->eng, on_changed, &c);
		if (err) {
			/* want may be half updated: start over from the engine. */
			err = rebuild(d);
			full = true;
			l2_full = true;
		}
	}
	lbe_changed_clear(d->eng);
	if (err) {
		lbipamd_log(LB_LOG_ERROR, "Cannot compute the kernel table",
			    "error", strerror(-err), NULL);
		d->want_built = false;
		d->l2want.built = false;
		changed_free(&c);
		return err;
	}
	d->dirty = false;
	if (full)
		err = lbipamd_kernel_sync(&d->kern, &d->want.by_key);
	else
		err = lbipamd_kernel_sync_keys(&d->kern, &d->want.by_key,
					       c.keys, c.n);
	/*
	 * The Services whose kernel view changed are the ones whose
	 * addresses, labels or endpoints did; a policy or Node change
	 * makes it everything.
	 */
	lbipamd_l2_reconcile(d, c.ns, c.names, c.nsvc, l2_full);
	/* BIRD's trouble is its own: it does not fail the kernel's pass. */
	if (bgp)
		lbipamd_bgp_reconcile(d);
	changed_free(&c);
	return err;
}

int lbipamd_reconcile(struct lbipamd *d, bool full)
{
	struct timespec a, b;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &a);
	err = reconcile(d, full);
	clock_gettime(CLOCK_MONOTONIC, &b);
	lbipamd_stats_reconcile(&d->stats, (double)(b.tv_sec - a.tv_sec) +
				(double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return err;
}

/* ------------------------------------------------------------ helpers */

static void diag(json_t *diags, const char *file, int doc,
		    const char *path, const char *reason)
{
	json_array_append_new(diags, json_pack("{s:s, s:i, s:s, s:s}",
			      "file", file, "doc", doc, "path", path,
			      "reason", reason));
}

static json_t *diags_response(const char *what, json_t *diags)
{
	json_t *r, *d0 = json_array_get(diags, 0);
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s: %s: document %lld: %s%s%s%s", what,
		 lbipamd_js(d0, "file"), (long long)json_integer_value(
			 json_object_get(d0, "doc")),
		 lbipamd_js(d0, "path"), *lbipamd_js(d0, "path") ? ": " : "",
		 lbipamd_js(d0, "reason"),
		 json_array_size(diags) > 1 ? " (and more)" : "");
	r = lbipamd_fail("%s", buf);
	json_object_set_new(r, "summary", json_sprintf("%s (%zu problem%s)",
			    what, json_array_size(diags),
			    json_array_size(diags) == 1 ? "" : "s"));
	json_object_set(r, "diags", diags);
	return r;
}

/* Why a write failed: the store's reason in cluster mode. */
static const char *store_reason(struct lbipamd *d, int rc, char *buf,
				   size_t len)
{
	const char *why = lbipamd_cluster_store_error(d);

	if (rc != -EIO)
		return strerror(-rc);
	if (!why)
		return "the state database failed; nothing applied";
	snprintf(buf, len, "the etcd store failed: %s", why);
	return buf;
}

/* The engine's diagnostics (or rc in words) as a rejection. */
static json_t *rejected(struct lbipamd *d, const char *what,
			   const char *file, const struct lb_diags *diags,
			   int rc)
{
	json_t *jd = json_array(), *res;
	char buf[800];
	size_t i;

	for (i = 0; i < diags->n; i++)
		diag(jd, diags->items[i].file, diags->items[i].doc,
			diags->items[i].path, diags->items[i].reason);
	if (!diags->n)
		diag(jd, file, 0, "", store_reason(d, rc, buf,
							  sizeof(buf)));
	res = diags_response(what, jd);
	json_decref(jd);
	return res;
}

static json_t *result(enum lb_kind kind, const char *ns, const char *name,
			 const char *action)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
			 lb_kind_name(kind), "resource", lb_kind_singular(kind),
			 "namespace", ns, "name", name, "action", action);
}

static json_t *results_json(const struct lb_results *r, bool log)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct lb_result *x = &r->items[i];
		const char *action = lbe_action_name(x->action);

		json_array_append_new(out, result(x->kind, x->ns, x->name,
						     action));
		if (!log || x->action == LB_ACTION_UNCHANGED)
			continue;
		lbipamd_log(LB_LOG_INFO, x->action == LB_ACTION_DELETED ?
			    "Object deleted" : "Object applied", "kind",
			    lb_kind_name(x->kind), "namespace",
			    *x->ns ? x->ns : NULL, "name", x->name, "action",
			    x->action == LB_ACTION_DELETED ? NULL : action,
			    NULL);
	}
	return out;
}

/* ------------------------------------------------------------- writes */

static const char *req_file(json_t *req)
{
	const char *file = lbipamd_js(req, "file");

	return file ? file : "-";
}

static json_t *with_results(json_t *res, const struct lb_results *results)
{
	json_object_set_new(res, "results", results_json(results, true));
	return res;
}

/* After an apply or a delete: the kernel follows the engine. */
static json_t *changed(struct lbipamd *d, json_t *res, struct lb_diags *diags,
		       struct lb_results *results)
{
	lbe_diags_free(diags);
	lbe_results_free(results);
	/* Even a failed commit may have reloaded the engine's state. */
	lbipamd_reconcile(d, false);
	return res;
}

static json_t *op_apply(struct lbipamd *d, json_t *req)
{
	json_t *yaml = json_object_get(req, "yaml"), *res;
	const char *file = req_file(req);
	struct lb_diags diags = { 0 };
	struct lb_results results = { 0 };
	int rc;

	if (!json_is_string(yaml))
		return lbipamd_fail("apply needs \"yaml\"");
	rc = lbe_apply_yaml_results(d->eng, file, json_string_value(yaml),
					  json_string_length(yaml), &diags,
					  &results);
	if (rc)
		res = rejected(d, "apply rejected, nothing applied", file,
				  &diags, rc);
	else
		res = with_results(lbipamd_ok(), &results);
	return changed(d, res, &diags, &results);
}

static json_t *delete_yaml(struct lbipamd *d, json_t *req, json_t *yaml)
{
	const char *file = req_file(req);
	struct lb_diags diags = { 0 };
	struct lb_results results = { 0 };
	char buf[800];
	json_t *res;
	int rc;

	rc = lbe_delete_yaml(d->eng, file, json_string_value(yaml),
				   json_string_length(yaml), &diags, &results);
	if (rc == -EINVAL && diags.n) {
		res = rejected(d, "delete rejected, nothing deleted", file,
				  &diags, rc);
	} else {
		res = with_results(rc ? lbipamd_fail("delete failed: %s",
						     store_reason(d, rc, buf,
								     sizeof(buf))) :
					lbipamd_ok(), &results);
	}
	return changed(d, res, &diags, &results);
}

static json_t *op_delete(struct lbipamd *d, json_t *req)
{
	const char *ns = lbipamd_js(req, "namespace"), *name = lbipamd_js(req, "name");
	json_t *yaml = json_object_get(req, "yaml"), *res;
	enum lb_kind kind;
	char buf[800];
	int rc;

	if (json_is_string(yaml))
		return delete_yaml(d, req, yaml);
	if (lb_kind_parse_alias(lbipamd_js(req, "kind"), &kind) || !name)
		return lbipamd_fail("delete needs a kind (ippool, service, endpointslice, l2announcementpolicy, node) and a name");
	ns = !lb_kind_namespaced(kind) ? "" : ns && *ns ? ns : "default";
	if (!lbe_exists(d->eng, kind, ns, name))
		return lbipamd_fail("%s \"%s\" not found%s%s",
				    lb_kind_singular(kind), name,
				    *ns ? " in namespace " : "", ns);
	rc = lbe_delete(d->eng, kind, ns, name);
	lbipamd_log(LB_LOG_INFO, "Object deleted", "kind", lb_kind_name(kind),
		    "namespace", *ns ? ns : NULL, "name", name, NULL);
	lbipamd_reconcile(d, false);
	if (rc && rc != -ENOENT)
		return lbipamd_fail("deleting %s \"%s\": %s",
				    lb_kind_singular(kind), name,
				    store_reason(d, rc, buf, sizeof(buf)));
	res = lbipamd_ok();
	json_object_set_new(res, "results",
			    json_pack("[o]", result(kind, ns, name,
						       "deleted")));
	return res;
}

/* -------------------------------------------------------------- reads */

static json_t *op_get(struct lbipamd *d, json_t *req)
{
	return lbipamd_view_get(d, req, false);
}

static json_t *op_describe(struct lbipamd *d, json_t *req)
{
	return lbipamd_view_get(d, req, true);
}

static json_t *op_status(struct lbipamd *d, json_t *req)
{
	(void)req;
	return lbipamd_view_status(d);
}

static json_t *op_bgp(struct lbipamd *d, json_t *req)
{
	return lbipamd_bgp_view(&d->bgp, lbipamd_js(req, "what"));
}

/* ----------------------------------------------------------- dispatch */

static const struct {
	const char *op;
	bool write;			/* changes state: needs permission */
	json_t *(*handler)(struct lbipamd *d, json_t *req);
} lb_ops[] = {
	{ "apply", true, op_apply },
	{ "delete", true, op_delete },
	{ "get", false, op_get },
	{ "describe", false, op_describe },
	{ "status", false, op_status },
	{ "bgp", false, op_bgp },
};

json_t *lbipamd_handle(struct lbipamd *d, json_t *req, bool may_write)
{
	const char *op = lbipamd_js(req, "op");
	size_t i;

	if (!op)
		return lbipamd_fail("request has no \"op\"");
	for (i = 0; i < sizeof(lb_ops) / sizeof(lb_ops[0]); i++) {
		if (strcmp(op, lb_ops[i].op))
			continue;
		if (lb_ops[i].write && !may_write)
			return lbipamd_fail("permission denied: changing lbipamd's state needs root or membership in group '%s'",
					    LBIPAMD_GROUP);
		/* Cluster mode: only the leader writes. */
		if (lb_ops[i].write && d->cluster &&
		    !lbipamd_cluster_is_leader(d))
			return lbipamd_cluster_forward(d, req);
		return lb_ops[i].handler(d, req);
	}
	return lbipamd_fail("unknown op '%s'", op);
}
