// SPDX-License-Identifier: GPL-2.0
/*
 * The requests of lbipamd_proto.h: apply and delete through the engine,
 * then reconcile the kernel; get and describe from the engine's view plus
 * the stored objects.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"
#include "lib/lbipamd_proto.h"

/* Printf-checked; the kernel's __printf() is not available here. */
static json_t *lb_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *lb_fail(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static json_t *lb_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

int lbipamd_reconcile(struct lbipamd *d)
{
	struct lbipamd_kset want;
	int err;

	err = lbipamd_desired(d->eng, d->objs, &d->dcfg, &want);
	if (err) {
		lbipamd_log(LB_LOG_ERROR, "Cannot compute the kernel table",
			    "error", strerror(-err), NULL);
		return err;
	}
	lbipamd_kset_free(&d->want);
	d->want = want;
	d->dirty = false;
	return lbipamd_kernel_sync(&d->kern, &d->want);
}

/* ------------------------------------------------------- apply/delete */

struct lb_doc_ref {
	int index;
	json_t *doc;
	enum lb_kind kind;
	const char *ns, *name;
};

struct lb_parsed {
	const char *file;
	struct lb_doc_ref *v;
	size_t n;
	json_t *diags;
	bool need_ident;		/* delete: every document names one */
};

static void lb_diag(json_t *diags, const char *file, int doc,
		    const char *path, const char *reason)
{
	json_array_append_new(diags, json_pack("{s:s, s:i, s:s, s:s}",
			      "file", file, "doc", doc, "path", path,
			      "reason", reason));
}

static bool lb_valid_ip(const char *s)
{
	unsigned char a[16];

	return s && (inet_pton(AF_INET, s, a) == 1 ||
		     inet_pton(AF_INET6, s, a) == 1);
}

static bool lb_valid_cidr(const char *s)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long plen;

	if (!s || strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash || !slash[1])
		return false;
	*slash++ = '\0';
	plen = strtoul(slash, &end, 10);
	if (*end || !lb_valid_ip(buf))
		return false;
	return plen <= (strchr(buf, ':') ? 128u : 32u);
}

/*
 * The engine accepts a pool with unusable blocks and reports them in
 * condition lbipam.io/InvalidBlocks (Cilium validates nothing at
 * admission). lbctl apply is our admission, so a block that cannot parse
 * is rejected here with its field path instead.
 */
static void lb_check_pool(struct lb_parsed *p, int index, json_t *root)
{
	static const char *const lists[] = { "blocks", "cidrs" };
	char path[128], why[512];
	json_t *b;
	size_t i, l;

	for (l = 0; l < 2; l++) {
		json_t *spec = json_object_get(root, "spec");

		json_array_foreach(json_object_get(spec, lists[l]), i, b) {
			json_t *cidr = json_object_get(b, "cidr");
			json_t *start = json_object_get(b, "start");
			json_t *stop = json_object_get(b, "stop");

			if (cidr && !json_is_null(cidr)) {
				if (lb_valid_cidr(json_string_value(cidr)))
					continue;
				snprintf(path, sizeof(path), "spec.%s[%zu].cidr",
					 lists[l], i);
				snprintf(why, sizeof(why), "invalid CIDR '%s'",
					 json_string_value(cidr) ?
					 json_string_value(cidr) : "(not a string)");
				lb_diag(p->diags, p->file, index, path, why);
				continue;
			}
			if (start && !lb_valid_ip(json_string_value(start))) {
				snprintf(path, sizeof(path), "spec.%s[%zu].start",
					 lists[l], i);
				lb_diag(p->diags, p->file, index, path,
					"invalid IP address");
			}
			if (stop && !json_is_null(stop) &&
			    (!json_is_string(stop) ||
			     (*json_string_value(stop) &&
			      !lb_valid_ip(json_string_value(stop))))) {
				snprintf(path, sizeof(path), "spec.%s[%zu].stop",
					 lists[l], i);
				lb_diag(p->diags, p->file, index, path,
					"invalid IP address");
			}
		}
	}
}

static int lb_parse_cb(int index, json_t *root, void *arg)
{
	struct lb_parsed *p = arg;
	struct lb_doc_ref r = { .index = index };
	const char *kind;
	char why[512];

	if (json_is_null(root))
		return 0;		/* an empty document */
	kind = lb_js(root, "kind");
	if (json_is_object(root) && kind && lb_kind_parse(kind, &r.kind)) {
		snprintf(why, sizeof(why),
			 "unknown kind '%s': expected CiliumLoadBalancerIPPool, Service or EndpointSlice",
			 kind);
		lb_diag(p->diags, p->file, index, "kind", why);
		return 0;
	}
	if (!json_is_object(root) ||
	    lbipamd_obj_ident(root, &r.kind, &r.ns, &r.name)) {
		/* apply: the engine explains it with the exact field. */
		if (p->need_ident)
			lb_diag(p->diags, p->file, index,
				!json_is_object(root) ? "" :
				!kind ? "kind" : "metadata.name",
				!json_is_object(root) ?
				"document is not a mapping" :
				!kind ? "kind is required" :
				"metadata.name is required");
		return 0;
	}
	if (r.kind == LB_KIND_POOL && !p->need_ident)
		lb_check_pool(p, index, root);
	r.doc = json_incref(root);
	{
		struct lb_doc_ref *nv = realloc(p->v, (p->n + 1) * sizeof(*nv));

		if (!nv) {
			json_decref(root);
			return -ENOMEM;
		}
		p->v = nv;
	}
	/* ns and name point into the document, which we keep a reference to. */
	p->v[p->n++] = r;
	return 0;
}

static void lb_parsed_free(struct lb_parsed *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		json_decref(p->v[i].doc);
	free(p->v);
	json_decref(p->diags);
}

static int lb_parse_docs(struct lb_parsed *p, const char *buf, size_t len)
{
	char err[512];
	int bad, rc;

	p->diags = json_array();
	rc = lb_yj_parse(buf, len, lb_parse_cb, p, &bad, err, sizeof(err));
	if (rc == -EINVAL)
		lb_diag(p->diags, p->file, bad, "", err);
	return rc;
}

static json_t *lb_diags_response(const char *what, json_t *diags)
{
	json_t *r, *d0 = json_array_get(diags, 0);
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s: %s: document %lld: %s%s%s%s", what,
		 lb_js(d0, "file"), (long long)json_integer_value(
			 json_object_get(d0, "doc")),
		 lb_js(d0, "path"), *lb_js(d0, "path") ? ": " : "",
		 lb_js(d0, "reason"),
		 json_array_size(diags) > 1 ? " (and more)" : "");
	r = lb_fail("%s", buf);
	json_object_set_new(r, "summary", json_sprintf("%s (%zu problem%s)",
			    what, json_array_size(diags),
			    json_array_size(diags) == 1 ? "" : "s"));
	json_object_set(r, "diags", diags);
	return r;
}

static const char *lb_kind_lower(enum lb_kind k)
{
	switch (k) {
	case LB_KIND_POOL:
		return "ciliumloadbalancerippool.cilium.io";
	case LB_KIND_SERVICE:
		return "service";
	default:
		return "endpointslice.discovery.k8s.io";
	}
}

static json_t *lb_result(const struct lb_doc_ref *r, const char *action)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
			 lb_kind_name(r->kind), "resource",
			 lb_kind_lower(r->kind), "namespace", r->ns, "name",
			 r->name, "action", action);
}

static json_t *lb_apply(struct lbipamd *d, const char *file, const char *buf,
			size_t len)
{
	struct lb_parsed p = { .file = file };
	struct lb_diags diags = { 0 };
	json_t *res, *results;
	size_t i;
	int rc;

	rc = lb_parse_docs(&p, buf, len);
	if (rc && rc != -EINVAL) {
		lb_parsed_free(&p);
		return lb_fail("%s: %s", file, strerror(-rc));
	}
	if (json_array_size(p.diags)) {
		res = lb_diags_response("apply rejected, nothing applied",
					p.diags);
		lb_parsed_free(&p);
		return res;
	}
	results = json_array();
	for (i = 0; i < p.n; i++) {
		json_t *old = lbipamd_obj_get(d->objs, p.v[i].kind, p.v[i].ns,
					      p.v[i].name);

		json_array_append_new(results, lb_result(&p.v[i],
				      !old ? "created" :
				      json_equal(old, p.v[i].doc) ?
				      "unchanged" : "configured"));
	}
	rc = lb_engine_apply_yaml(d->eng, file, buf, len, &diags);
	if (rc) {
		json_t *jd = json_array();

		for (i = 0; i < diags.n; i++)
			lb_diag(jd, diags.items[i].file, diags.items[i].doc,
				diags.items[i].path, diags.items[i].reason);
		if (!diags.n)
			lb_diag(jd, file, 0, "", rc == -EIO ?
				"the state database failed; nothing applied" :
				strerror(-rc));
		res = lb_diags_response("apply rejected, nothing applied", jd);
		json_decref(jd);
		lb_diags_free(&diags);
		json_decref(results);
		lb_parsed_free(&p);
		return res;
	}
	lb_diags_free(&diags);
	for (i = 0; i < p.n; i++) {
		char *k = lbipamd_obj_key(p.v[i].kind, p.v[i].ns, p.v[i].name);
		json_t *r = json_array_get(results, i);

		if (k)
			json_object_set(d->objs, k, p.v[i].doc);
		free(k);
		if (strcmp(lb_js(r, "action"), "unchanged"))
			lbipamd_log(LB_LOG_INFO, "Object applied", "kind",
				    lb_kind_name(p.v[i].kind), "namespace",
				    *p.v[i].ns ? p.v[i].ns : NULL, "name",
				    p.v[i].name, "action", lb_js(r, "action"),
				    NULL);
	}
	lb_parsed_free(&p);
	lbipamd_reconcile(d);
	res = lb_ok();
	json_object_set_new(res, "results", results);
	return res;
}

static int lb_delete_one(struct lbipamd *d, enum lb_kind kind, const char *ns,
			 const char *name)
{
	char *k;
	int rc;

	rc = lb_engine_delete(d->eng, kind, ns, name);
	if (rc && rc != -ENOENT)
		return rc;
	k = lbipamd_obj_key(kind, ns, name);
	if (k)
		json_object_del(d->objs, k);
	free(k);
	lbipamd_log(LB_LOG_INFO, "Object deleted", "kind", lb_kind_name(kind),
		    "namespace", *ns ? ns : NULL, "name", name, NULL);
	return rc;
}

static bool lb_exists(struct lbipamd *d, enum lb_kind kind, const char *ns,
		      const char *name)
{
	return lbipamd_obj_get(d->objs, kind, ns, name) != NULL;
}

static json_t *lb_delete_yaml(struct lbipamd *d, const char *file,
			      const char *buf, size_t len)
{
	struct lb_parsed p = { .file = file, .need_ident = true };
	json_t *res, *results;
	size_t i;
	int rc;

	rc = lb_parse_docs(&p, buf, len);
	if (rc && rc != -EINVAL) {
		lb_parsed_free(&p);
		return lb_fail("%s: %s", file, strerror(-rc));
	}
	/* Every object must exist, or nothing is deleted. */
	for (i = 0; i < p.n; i++) {
		char why[600];

		if (lb_exists(d, p.v[i].kind, p.v[i].ns, p.v[i].name))
			continue;
		snprintf(why, sizeof(why), "%s \"%s\" not found",
			 lb_kind_lower(p.v[i].kind), p.v[i].name);
		lb_diag(p.diags, file, p.v[i].index, "metadata.name", why);
	}
	if (json_array_size(p.diags)) {
		res = lb_diags_response("delete rejected, nothing deleted",
					p.diags);
		lb_parsed_free(&p);
		return res;
	}
	results = json_array();
	for (i = 0; i < p.n; i++) {
		rc = lb_delete_one(d, p.v[i].kind, p.v[i].ns, p.v[i].name);
		if (rc && rc != -ENOENT) {
			res = lb_fail("deleting %s \"%s\": %s",
				      lb_kind_lower(p.v[i].kind), p.v[i].name,
				      strerror(-rc));
			json_object_set_new(res, "results", results);
			lb_parsed_free(&p);
			lbipamd_reconcile(d);
			return res;
		}
		json_array_append_new(results, lb_result(&p.v[i], "deleted"));
	}
	lb_parsed_free(&p);
	lbipamd_reconcile(d);
	res = lb_ok();
	json_object_set_new(res, "results", results);
	return res;
}

static int lb_kind_arg(const char *s, enum lb_kind *k)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "ippool") || !strcmp(s, "ippools") ||
	    !strcmp(s, "pool") || !strcmp(s, "CiliumLoadBalancerIPPool"))
		*k = LB_KIND_POOL;
	else if (!strcmp(s, "service") || !strcmp(s, "services") ||
		 !strcmp(s, "svc") || !strcmp(s, "Service"))
		*k = LB_KIND_SERVICE;
	else if (!strcmp(s, "endpointslice") || !strcmp(s, "endpointslices") ||
		 !strcmp(s, "EndpointSlice"))
		*k = LB_KIND_ENDPOINTSLICE;
	else
		return -EINVAL;
	return 0;
}

static json_t *lb_delete_named(struct lbipamd *d, json_t *req)
{
	const char *ns = lb_js(req, "namespace"), *name = lb_js(req, "name");
	struct lb_doc_ref r;
	json_t *res;
	int rc;

	if (lb_kind_arg(lb_js(req, "kind"), &r.kind) || !name)
		return lb_fail("delete needs a kind (ippool, service, endpointslice) and a name");
	r.ns = r.kind == LB_KIND_POOL ? "" : ns && *ns ? ns : "default";
	r.name = name;
	if (!lb_exists(d, r.kind, r.ns, r.name))
		return lb_fail("%s \"%s\" not found%s%s",
			       lb_kind_lower(r.kind), name,
			       *r.ns ? " in namespace " : "", r.ns);
	rc = lb_delete_one(d, r.kind, r.ns, r.name);
	lbipamd_reconcile(d);
	if (rc && rc != -ENOENT)
		return lb_fail("deleting %s \"%s\": %s", lb_kind_lower(r.kind),
			       name, strerror(-rc));
	res = lb_ok();
	json_object_set_new(res, "results",
			    json_pack("[o]", lb_result(&r, "deleted")));
	return res;
}

/* ---------------------------------------------------------- queries */

static json_t *lb_cond_json(const struct lb_condition *c)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", c->type,
			 "status", c->status, "reason", c->reason ? c->reason : "",
			 "message", c->message ? c->message : "",
			 "observedGeneration",
			 (json_int_t)c->observed_generation);
}

static json_t *lb_counts_json(const struct lb_counts *c)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "total", c->total, "used",
			 c->used, "available", c->available, "reserved",
			 c->reserved);
}

/* The stored object with the metadata and status the engine knows. */
static json_t *lb_k8s_object(json_t *stored, int64_t created,
			     uint64_t generation, json_t *status)
{
	json_t *o = stored ? json_deep_copy(stored) : json_object();
	json_t *md = json_object_get(o, "metadata");
	char ts[64];

	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(o, "metadata", md);
	}
	lb_rfc3339(created, ts, sizeof(ts));
	json_object_set_new(md, "creationTimestamp", json_string(ts));
	json_object_set_new(md, "generation", json_integer((json_int_t)generation));
	json_object_set_new(o, "status", status);
	return o;
}

static int lb_pool_json_cb(const struct lb_pool_info *p, void *arg)
{
	json_t *args = arg, *items = json_object_get(args, "items");
	json_t *objs = json_object_get(args, "objs");
	json_t *conds = json_array(), *blocks = json_array(), *j;
	size_t i;

	for (i = 0; i < p->n_conditions; i++)
		json_array_append_new(conds, lb_cond_json(&p->conditions[i]));
	for (i = 0; i < p->n_blocks; i++)
		json_array_append_new(blocks, json_pack("{s:s, s:s, s:b, s:s}",
				      "spec", p->blocks[i].spec, "range",
				      p->blocks[i].range, "valid",
				      p->blocks[i].valid, "error",
				      p->blocks[i].error ? p->blocks[i].error : ""));
	j = json_pack("{s:s, s:I, s:I, s:I, s:b, s:b, s:b, s:o, s:o, s:o, s:O, s:o}",
		      "name", p->name, "created",
		      (json_int_t)(p->created / 1000000000), "generation",
		      (json_int_t)p->generation, "priority",
		      (json_int_t)p->priority, "disabled", p->disabled,
		      "conflicting", p->conflicting, "allowFirstLastIPs",
		      p->allow_first_last, "counts", lb_counts_json(&p->all),
		      "countsV4", lb_counts_json(&p->v4), "countsV6",
		      lb_counts_json(&p->v6), "conditions", conds, "blocks",
		      blocks);
	json_object_set_new(j, "object",
		lb_k8s_object(lbipamd_obj_get(objs, LB_KIND_POOL, "", p->name),
			      p->created, p->generation,
			      json_pack("{s:O}", "conditions", conds)));
	json_decref(conds);
	json_array_append_new(items, j);
	return 0;
}

static json_t *lb_svc_ports(json_t *svc)
{
	json_t *out = json_array(), *p;
	size_t i;

	json_array_foreach(lb_jget(svc, "spec.ports"), i, p) {
		json_t *tp = json_object_get(p, "targetPort");
		json_t *e = json_pack("{s:s, s:O, s:s}", "name",
				      lb_js(p, "name") ? lb_js(p, "name") : "",
				      "port", json_object_get(p, "port") ?
				      json_object_get(p, "port") : json_null(),
				      "protocol", lb_js(p, "protocol") ?
				      lb_js(p, "protocol") : "TCP");

		json_object_set(e, "targetPort", tp ? tp :
				json_object_get(p, "port"));
		if (json_object_get(p, "nodePort"))
			json_object_set(e, "nodePort",
					json_object_get(p, "nodePort"));
		json_array_append_new(out, e);
	}
	return out;
}

static int lb_svc_cb(const struct lb_service_info *s, void *arg)
{
	json_t *args = arg, *items = json_object_get(args, "items");
	json_t *objs = json_object_get(args, "objs");
	const char *want_ns = lb_js(args, "namespace");
	json_t *stored, *ips, *cips, *j, *status, *ingress;
	const char *type, *cip;
	size_t i;

	if (want_ns && strcmp(want_ns, s->ns))
		return 0;
	stored = lbipamd_obj_get(objs, LB_KIND_SERVICE, s->ns, s->name);
	type = lb_js(stored, "spec.type");
	ips = json_array();
	ingress = json_array();
	for (i = 0; i < s->n_ips; i++) {
		json_array_append_new(ips, json_string(s->ips[i]));
		json_array_append_new(ingress, json_pack("{s:s}", "ip",
							 s->ips[i]));
	}
	cips = json_array();
	if (json_array_size(lb_jget(stored, "spec.clusterIPs"))) {
		json_array_extend(cips, lb_jget(stored, "spec.clusterIPs"));
	} else {
		cip = lb_js(stored, "spec.clusterIP");
		if (cip)
			json_array_append_new(cips, json_string(cip));
	}
	j = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o, s:o, s:o, s:b, s:b, s:s}",
		      "namespace", s->ns, "name", s->name, "created",
		      (json_int_t)(s->created / 1000000000), "generation",
		      (json_int_t)s->generation, "type",
		      type ? type : "ClusterIP", "clusterIPs", cips, "ips", ips,
		      "ports", lb_svc_ports(stored), "managed", s->managed,
		      "etpLocal", s->etp_local, "externalTrafficPolicy",
		      s->etp_local ? "Local" : "Cluster");
	if (s->sharing_key)
		json_object_set_new(j, "sharingKey",
				    json_string(s->sharing_key));
	if (lb_jget(stored, "spec.selector"))
		json_object_set(j, "selector", lb_jget(stored, "spec.selector"));
	status = json_pack("{s:{s:o}}", "loadBalancer", "ingress", ingress);
	if (!s->n_ips)
		json_object_set_new(status, "loadBalancer", json_object());
	if (s->has_condition) {
		json_object_set_new(j, "condition", lb_cond_json(&s->condition));
		json_object_set_new(status, "conditions",
			json_pack("[o]", lb_cond_json(&s->condition)));
	}
	json_object_set_new(j, "object", lb_k8s_object(stored, s->created,
						       s->generation, status));
	json_array_append_new(items, j);
	return 0;
}

static const char *lb_owner_name(enum lb_ip_owner o)
{
	switch (o) {
	case LB_OWNER_SERVICE:
		return "service";
	case LB_OWNER_RESERVED_FIRST_LAST:
		return "reserved-first-last";
	default:
		return "reserved";
	}
}

static int lb_ip_json_cb(const struct lb_ip_info *ip, void *arg)
{
	json_t *ips = arg, *h = json_array();
	json_t *j;
	size_t i;

	for (i = 0; i < ip->n_holders; i++)
		json_array_append_new(h, json_string(ip->holders[i]));
	j = json_pack("{s:s, s:s, s:o}", "ip", ip->ip, "owner",
		      lb_owner_name(ip->owner), "holders", h);
	if (ip->sharing_key)
		json_object_set_new(j, "sharingKey",
				    json_string(ip->sharing_key));
	json_array_append_new(ips, j);
	return 0;
}

struct lb_ep_ctx {
	json_t *arr;
};

static int lb_ep_json_cb(const struct lbipamd_ep *ep, void *arg)
{
	json_t *arr = arg;
	json_t *j = json_pack("{s:s, s:s, s:b, s:b, s:b}", "slice",
			      ep->slice ? ep->slice : "", "address",
			      ep->address, "ready", ep->ready, "serving",
			      ep->serving, "terminating", ep->terminating);

	if (ep->node)
		json_object_set_new(j, "nodeName", json_string(ep->node));
	json_array_append_new(arr, j);
	return 0;
}

static json_t *lb_kernel_of(struct lbipamd *d, const char *owner)
{
	json_t *out = json_array();
	size_t i, k;

	for (i = 0; i < d->want.n; i++) {
		const struct lbipamd_ksvc *v = &d->want.v[i];
		char ks[LB_SERVICE_STRLEN];
		json_t *bes;

		if (strcmp(v->owner, owner))
			continue;
		bes = json_array();
		for (k = 0; k < v->nbe; k++) {
			char es[LB_SERVICE_STRLEN];

			lb_endpoint_str(&v->be[k].ep, es, sizeof(es));
			json_array_append_new(bes, json_pack("{s:s, s:s, s:b}",
				"address", es, "state",
				lbipamd_be_state_name(v->be[k].state), "local",
				!!(v->be[k].flags & LBIPAM_BE_F_LOCAL)));
		}
		lb_service_str(&v->key, ks, sizeof(ks));
		json_array_append_new(out, json_pack("{s:s, s:I, s:I, s:o}",
			"service", ks, "flags", (json_int_t)v->opts.flags,
			"affinity", (json_int_t)v->opts.affinity,
			"backends", bes));
	}
	return out;
}

static json_t *lb_get(struct lbipamd *d, json_t *req, bool describe)
{
	const char *kind = lb_js(req, "kind"), *name = lb_js(req, "name");
	const char *ns = lb_js(req, "namespace");
	json_t *args, *res, *items;
	enum lb_kind k;
	int rc;

	if (lb_kind_arg(kind, &k) || k == LB_KIND_ENDPOINTSLICE)
		return lb_fail("unknown resource type '%s': use ippools or services",
			       kind ? kind : "");
	if (describe && !name)
		return lb_fail("describe needs a name");
	items = json_array();
	args = json_pack("{s:O, s:O}", "items", items, "objs", d->objs);
	if (k == LB_KIND_SERVICE && ns)
		json_object_set_new(args, "namespace", json_string(ns));
	if (k == LB_KIND_POOL)
		rc = describe ? lb_engine_get_pool(d->eng, name, lb_pool_json_cb,
						   args) :
			lb_engine_foreach_pool(d->eng, lb_pool_json_cb, args);
	else
		rc = describe ? lb_engine_get_service(d->eng,
						      ns ? ns : "default",
						      name, lb_svc_cb, args) :
			lb_engine_foreach_service(d->eng, lb_svc_cb, args);
	json_decref(args);
	if (rc == -ENOENT) {
		json_decref(items);
		return lb_fail("%s \"%s\" not found%s%s",
			       k == LB_KIND_POOL ?
			       "ciliumloadbalancerippools.cilium.io" :
			       "services", name,
			       k == LB_KIND_POOL ? "" : " in namespace ",
			       k == LB_KIND_POOL ? "" : ns ? ns : "default");
	}
	if (rc) {
		json_decref(items);
		return lb_fail("query failed: %s", strerror(-rc < 0 ? rc : -rc));
	}
	res = lb_ok();
	if (!describe) {
		json_object_set_new(res, "items", items);
		return res;
	}
	{
		json_t *item = json_incref(json_array_get(items, 0));

		json_decref(items);
		if (k == LB_KIND_POOL) {
			json_t *ips = json_array();

			lb_engine_foreach_pool_ip(d->eng, name, lb_ip_json_cb, ips);
			json_object_set_new(item, "ips", ips);
		} else {
			json_t *eps = json_array();
			char owner[320];

			ns = lb_js(item, "namespace");
			lbipamd_foreach_endpoint(d->objs, ns, name,
						 lb_ep_json_cb, eps);
			json_object_set_new(item, "endpoints", eps);
			snprintf(owner, sizeof(owner), "%s/%s", ns, name);
			json_object_set_new(item, "kernel",
					    lb_kernel_of(d, owner));
		}
		json_object_set_new(res, "item", item);
	}
	return res;
}

static int lb_count_cb(const void *info, void *arg)
{
	(void)info;
	(*(json_int_t *)arg)++;
	return 0;
}

static int lb_count_pool(const struct lb_pool_info *p, void *arg)
{
	return lb_count_cb(p, arg);
}

static int lb_count_svc(const struct lb_service_info *s, void *arg)
{
	return lb_count_cb(s, arg);
}

static json_t *lb_status(struct lbipamd *d)
{
	json_int_t np = 0, ns = 0;
	json_t *res = lb_ok();

	lb_engine_foreach_pool(d->eng, lb_count_pool, &np);
	lb_engine_foreach_service(d->eng, lb_count_svc, &ns);
	json_object_set_new(res, "kernel", json_pack("{s:s, s:s, s:I, s:I}",
		"state", lbipamd_kstate_name(d->kern.state), "message",
		d->kern.msg, "services", (json_int_t)d->want.n, "requests",
		(json_int_t)d->kern.ops));
	json_object_set_new(res, "pools", json_integer(np));
	json_object_set_new(res, "services", json_integer(ns));
	json_object_set_new(res, "version", json_string(LBIPAM_VERSION));
	if (d->netns)
		json_object_set_new(res, "netns", json_string(d->netns));
	return res;
}

json_t *lbipamd_handle(struct lbipamd *d, json_t *req, bool may_write)
{
	const char *op = lb_js(req, "op");
	bool write = op && (!strcmp(op, "apply") || !strcmp(op, "delete"));
	const char *yaml = lb_js(req, "yaml");
	const char *file = lb_js(req, "file");

	if (!op)
		return lb_fail("request has no \"op\"");
	if (write && !may_write)
		return lb_fail("permission denied: changing lbipamd's state needs root or membership in group '%s'",
			       LBIPAMD_GROUP);
	if (!file)
		file = "-";
	if (!strcmp(op, "apply")) {
		if (!yaml)
			return lb_fail("apply needs \"yaml\"");
		return lb_apply(d, file, yaml,
				json_string_length(json_object_get(req, "yaml")));
	}
	if (!strcmp(op, "delete")) {
		if (yaml)
			return lb_delete_yaml(d, file, yaml,
				json_string_length(json_object_get(req, "yaml")));
		return lb_delete_named(d, req);
	}
	if (!strcmp(op, "get"))
		return lb_get(d, req, false);
	if (!strcmp(op, "describe"))
		return lb_get(d, req, true);
	if (!strcmp(op, "status"))
		return lb_status(d);
	return lb_fail("unknown op '%s'", op);
}
