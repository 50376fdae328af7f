// SPDX-License-Identifier: GPL-2.0
/*
 * The read side of lbipamd_proto.h: get, describe and status, from the
 * engine's views and stored objects and from the wanted kernel table.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "daemon/lbipamd.h"
#include "engine/lb_bgp.h"
#include "lib/lbipamd_proto.h"

json_t *lbipamd_fail(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

json_t *lbipamd_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

json_t *lbipamd_jget(json_t *o, const char *path)
{
	char part[256];
	const char *p = path, *dot;
	size_t n;

	while (o && *p) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(part) || !json_is_object(o))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		o = json_object_get(o, part);
		p += n + (dot ? 1 : 0);
	}
	return o;
}

const char *lbipamd_js(json_t *o, const char *path)
{
	return json_string_value(lbipamd_jget(o, path));
}

void lbipamd_rfc3339(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *lbipamd_object_json(struct lb_engine *e, enum lb_kind kind,
			    const char *ns, const char *name)
{
	char *text = lbe_object_json(e, kind, ns, name);
	json_t *j;

	if (!text)
		return NULL;
	j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	free(text);
	return j;
}

static json_t *cond_json(const struct lb_condition *c)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", c->type,
			      "status", c->status, "reason",
			      c->reason ? c->reason : "", "message",
			      c->message ? c->message : "",
			      "observedGeneration",
			      (json_int_t)c->observed_generation);
	char ltt[64];

	/* 0: never synced (a store that keeps no transition times). */
	if (c->last_transition) {
		lbipamd_rfc3339(c->last_transition * 1000000000LL, ltt, sizeof(ltt));
		json_object_set_new(j, "lastTransitionTime", json_string(ltt));
	}
	return j;
}

static json_t *counts_json(const struct lb_counts *c)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "total", c->total, "used",
			 c->used, "available", c->available, "reserved",
			 c->reserved);
}

/*
 * The stored object (a reference is taken over) with the metadata and
 * status the engine knows.
 */
static json_t *k8s_object(json_t *stored, int64_t created,
			     uint64_t generation, uint64_t rv, json_t *status)
{
	json_t *o = json_is_object(stored) ? stored : json_object();
	json_t *md = json_object_get(o, "metadata");
	char ts[64];

	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(o, "metadata", md);
	}
	lbipamd_rfc3339(created, ts, sizeof(ts));
	json_object_set_new(md, "creationTimestamp", json_string(ts));
	json_object_set_new(md, "generation", json_integer((json_int_t)generation));
	/* Opaque to clients, as the API server's: a string. */
	snprintf(ts, sizeof(ts), "%llu", (unsigned long long)rv);
	json_object_set_new(md, "resourceVersion", json_string(ts));
	json_object_set_new(o, "status", status);
	if (o != stored)
		json_decref(stored);
	return o;
}

struct view_ctx {
	struct lb_engine *eng;
	json_t *items;
	const char *ns;			/* only this namespace, or NULL */
	const char *name;		/* only this object, or NULL */
};

/*
 * Appends the view @j of a cluster-scoped object (pool, L2 policy) with its
 * stored object under "object", whose status is its conditions (@conds,
 * whose reference is dropped).
 */
static void add_cluster_item(struct view_ctx *c, json_t *j, enum lb_kind kind,
			     const char *name, int64_t created,
			     uint64_t generation, uint64_t rv, json_t *conds)
{
	json_object_set_new(j, "resourceVersion",
			    json_sprintf("%llu", (unsigned long long)rv));
	json_object_set_new(j, "object",
		k8s_object(lbipamd_object_json(c->eng, kind, "", name),
			      created, generation, rv,
			      json_pack("{s:O}", "conditions", conds)));
	json_decref(conds);
	json_array_append_new(c->items, j);
}

static int pool_json_cb(const struct lb_pool_info *p, void *arg)
{
	struct view_ctx *c = arg;
	json_t *conds = json_array(), *blocks = json_array(), *j;
	size_t i;

	for (i = 0; i < p->n_conditions; i++)
		json_array_append_new(conds, cond_json(&p->conditions[i]));
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
		      p->allow_first_last, "counts", counts_json(&p->all),
		      "countsV4", counts_json(&p->v4), "countsV6",
		      counts_json(&p->v6), "conditions", conds, "blocks",
		      blocks);
	add_cluster_item(c, j, LB_KIND_POOL, p->name, p->created, p->generation,
			 p->resource_version, conds);
	return 0;
}

static json_t *svc_ports(json_t *svc)
{
	json_t *out = json_array(), *p;
	size_t i;

	json_array_foreach(lbipamd_jget(svc, "spec.ports"), i, p) {
		json_t *tp = json_object_get(p, "targetPort");
		json_t *e = json_pack("{s:s, s:O, s:s}", "name",
				      lbipamd_js(p, "name") ? lbipamd_js(p, "name") : "",
				      "port", json_object_get(p, "port") ?
				      json_object_get(p, "port") : json_null(),
				      "protocol", lbipamd_js(p, "protocol") ?
				      lbipamd_js(p, "protocol") : "TCP");

		json_object_set(e, "targetPort", tp ? tp :
				json_object_get(p, "port"));
		if (json_object_get(p, "nodePort"))
			json_object_set(e, "nodePort",
					json_object_get(p, "nodePort"));
		json_array_append_new(out, e);
	}
	return out;
}

static int svc_cb(const struct lb_service_info *s, void *arg)
{
	struct view_ctx *c = arg;
	json_t *stored, *ips, *cips, *j, *status, *ingress;
	const char *type, *cip;
	size_t i;

	if (c->ns && strcmp(c->ns, s->ns))
		return 0;
	stored = lbipamd_object_json(c->eng, LB_KIND_SERVICE, s->ns, s->name);
	type = lbipamd_js(stored, "spec.type");
	ips = json_array();
	ingress = json_array();
	for (i = 0; i < s->n_ips; i++) {
		json_array_append_new(ips, json_string(s->ips[i]));
		json_array_append_new(ingress, json_pack("{s:s}", "ip",
							 s->ips[i]));
	}
	cips = json_array();
	if (json_array_size(lbipamd_jget(stored, "spec.clusterIPs"))) {
		json_array_extend(cips, lbipamd_jget(stored, "spec.clusterIPs"));
	} else {
		cip = lbipamd_js(stored, "spec.clusterIP");
		if (cip)
			json_array_append_new(cips, json_string(cip));
	}
	j = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o, s:o, s:o, s:b, s:b, s:s}",
		      "namespace", s->ns, "name", s->name, "created",
		      (json_int_t)(s->created / 1000000000), "generation",
		      (json_int_t)s->generation, "type",
		      type ? type : "ClusterIP", "clusterIPs", cips, "ips", ips,
		      "ports", svc_ports(stored), "managed", s->managed,
		      "etpLocal", s->etp_local, "externalTrafficPolicy",
		      s->etp_local ? "Local" : "Cluster");
	json_object_set_new(j, "nodeIPAM", json_boolean(s->node_ipam));
	if (s->sharing_key)
		json_object_set_new(j, "sharingKey",
				    json_string(s->sharing_key));
	if (lbipamd_jget(stored, "spec.selector"))
		json_object_set(j, "selector", lbipamd_jget(stored, "spec.selector"));
	status = json_pack("{s:{s:o}}", "loadBalancer", "ingress", ingress);
	if (!s->n_ips)
		json_object_set_new(status, "loadBalancer", json_object());
	if (s->has_condition) {
		json_object_set_new(j, "condition", cond_json(&s->condition));
		json_object_set_new(status, "conditions",
			json_pack("[o]", cond_json(&s->condition)));
	}
	json_object_set_new(j, "resourceVersion", json_sprintf("%llu",
			    (unsigned long long)s->resource_version));
	json_object_set_new(j, "object", k8s_object(stored, s->created,
						       s->generation,
						       s->resource_version,
						       status));
	json_array_append_new(c->items, j);
	return 0;
}

static const char *owner_name(enum lb_ip_owner o)
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

static int ip_json_cb(const struct lb_ip_info *ip, void *arg)
{
	json_t *ips = arg, *h = json_array();
	json_t *j;
	size_t i;

	for (i = 0; i < ip->n_holders; i++)
		json_array_append_new(h, json_string(ip->holders[i]));
	j = json_pack("{s:s, s:s, s:o}", "ip", ip->ip, "owner",
		      owner_name(ip->owner), "holders", h);
	if (ip->sharing_key)
		json_object_set_new(j, "sharingKey",
				    json_string(ip->sharing_key));
	json_array_append_new(ips, j);
	return 0;
}

/* describe service: every endpoint of its slices, with its conditions. */
static int eps_json_cb(const struct lb_kservice *s, void *arg)
{
	json_t *arr = arg;
	size_t i;

	for (i = 0; i < s->n_endpoints; i++) {
		const struct lb_kendpoint *ep = &s->endpoints[i];
		char a[INET6_ADDRSTRLEN];
		json_t *j;

		lb_ip_str(ep->ip.family, &ep->ip.v6, a, sizeof(a));
		j = json_pack("{s:s, s:s, s:b, s:b, s:b}", "slice",
			      ep->slice ? ep->slice : "", "address", a,
			      "ready", ep->ready, "serving", ep->serving,
			      "terminating", ep->terminating);
		if (ep->node)
			json_object_set_new(j, "nodeName", json_string(ep->node));
		json_array_append_new(arr, j);
	}
	return 0;
}

/* The kernel services a Service gets (not those another one shadows). */
static json_t *kernel_of(struct lbipamd *d, const char *owner)
{
	const struct lbipamd_kset *by_owner = &d->want.by_owner;
	json_t *out = json_array();
	size_t i, k;

	for (i = lbipamd_kset_lower_owner(by_owner, owner);
	     i < by_owner->n && !strcmp(by_owner->v[i]->owner, owner); i++) {
		const struct lbipamd_ksvc *v = by_owner->v[i];
		char ks[LB_SERVICE_STRLEN];
		json_t *bes;

		if (lbipamd_kset_get(&d->want.by_key, &v->key) != v)
			continue;
		bes = json_array();
		for (k = 0; k < v->nbe; k++) {
			char es[LB_SERVICE_STRLEN];

			lb_endpoint_str(&v->be[k].ep, es, sizeof(es));
			json_array_append_new(bes, json_pack("{s:s, s:s, s:b}",
				"address", es, "state",
				lb_be_state_name(v->be[k].state), "local",
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

/* ----------------------------------------------------------- L2 views */

/* The node as the engine must see it, with the interfaces as they are. */
static void this_node(struct lbipamd *d, struct lbipamd_ifaces *f,
		    struct lb_l2_self *self)
{
	if ((d->ifaces ? d->ifaces : lbipamd_l2_ifaces)(f))
		memset(f, 0, sizeof(*f));
	lbipamd_l2_self(&d->node, f, self);
	self->elector = lbipamd_cluster_elector(d, false);
}

static json_t *strv(size_t n, const char *const *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

struct l2_svc_ctx {
	const char *node;
	json_t *out;
};

static int l2_svc_cb(const struct lb_l2_service *s, void *arg)
{
	struct l2_svc_ctx *c = arg;
	json_t *pairs = json_array();
	size_t i;

	for (i = 0; i < s->n_pairs; i++) {
		char a[INET6_ADDRSTRLEN];

		lb_ip_str(s->pairs[i].ip.family, &s->pairs[i].ip.v6, a,
			  sizeof(a));
		json_array_append_new(pairs, json_pack("{s:s, s:s, s:I}",
				      "address", a, "interface",
				      s->pairs[i].ifname, "ifindex",
				      (json_int_t)s->pairs[i].ifindex));
	}
	c->out = json_pack("{s:b, s:s, s:o, s:o}", "announced",
			   s->state == LB_L2_ANNOUNCED, "reason",
			   lbe_l2_state_text(s->state), "policies",
			   strv(s->n_policies, s->policies), "announcements",
			   pairs);
	if (s->state == LB_L2_ANNOUNCED)
		json_object_set_new(c->out, "node", json_string(c->node));
	return 0;
}

/* describe service: who announces it here, on what, or why not. */
static json_t *l2_of_service(struct lbipamd *d, const char *ns,
				const char *name)
{
	struct l2_svc_ctx c = { .node = d->node.name };
	struct lbipamd_ifaces f;
	struct lb_l2_self self;

	this_node(d, &f, &self);
	lbe_l2_service(d->eng, &self, ns, name, l2_svc_cb, &c);
	lbipamd_ifaces_free(&f);
	if (!c.out)
		return json_null();
	if (d->l2_disabled)
		json_object_set_new(c.out, "reason", json_string(
			"not announced: L2 announcements are disabled (enable-l2-announcements: false)"));
	/* The decision above; whether the module carries it out: */
	json_object_set_new(c.out, "kernel", json_pack("{s:s, s:s}", "state",
			    lbipamd_l2state_name(d->l2.state), "message",
			    d->l2.msg));
	return c.out;
}

static int l2pol_json_cb(const struct lb_l2_policy_info *p, void *arg)
{
	struct view_ctx *c = arg;
	json_t *conds = json_array(), *j;
	size_t i;

	for (i = 0; i < p->n_conditions; i++)
		json_array_append_new(conds, cond_json(&p->conditions[i]));
	j = json_pack("{s:s, s:I, s:I, s:s, s:s, s:o, s:b, s:b, s:O, s:b, s:o, s:o}",
		      "name", p->name, "created",
		      (json_int_t)(p->created / 1000000000), "generation",
		      (json_int_t)p->generation, "serviceSelector",
		      p->service_selector, "nodeSelector", p->node_selector,
		      "interfaces", strv(p->n_interfaces, p->interfaces),
		      "externalIPs", p->external_ips, "loadBalancerIPs",
		      p->lb_ips, "conditions", conds, "selectsNode",
		      p->selects_node, "matchedInterfaces",
		      strv(p->n_matched, p->matched), "services",
		      strv(p->n_services, p->services));
	add_cluster_item(c, j, LB_KIND_L2POLICY, p->name, p->created,
			 p->generation, p->resource_version, conds);
	return 0;
}

static int bgp_json_cb(const struct lb_bgp_object_info *o, void *arg)
{
	struct view_ctx *c = arg;
	json_t *conds, *j;
	size_t i;

	if (c->name && strcmp(c->name, o->name))
		return 0;
	conds = json_array();
	for (i = 0; i < o->n_conditions; i++)
		json_array_append_new(conds, cond_json(&o->conditions[i]));
	j = json_pack("{s:s, s:s, s:I, s:I, s:s, s:O}", "name", o->name,
		      "kind", lb_kind_name(o->kind), "created",
		      (json_int_t)(o->created / 1000000000), "generation",
		      (json_int_t)o->generation, "summary", o->summary,
		      "conditions", conds);
	add_cluster_item(c, j, o->kind, o->name, o->created, o->generation,
			 o->resource_version, conds);
	return 0;
}

static int node_json_cb(const struct lb_node_info *n, void *arg)
{
	struct view_ctx *c = arg;
	json_t *labels = json_object(), *addrs = json_array(), *j, *obj;
	size_t i;

	for (i = 0; i < n->n_labels; i++)
		json_object_set_new(labels, n->label_keys[i],
				    json_string(n->label_values[i]));
	for (i = 0; i < n->n_addresses; i++)
		json_array_append_new(addrs, json_pack("{s:s, s:s}", "type",
				      n->address_types[i], "address",
				      n->addresses[i]));
	j = json_pack("{s:s, s:I, s:I, s:o, s:O}", "name", n->name, "created",
		      (json_int_t)(n->created / 1000000000), "generation",
		      (json_int_t)n->generation, "labels", labels,
		      "addresses", addrs);
	json_object_set_new(j, "resourceVersion", json_sprintf("%llu",
			    (unsigned long long)n->resource_version));
	/* Of a Node's status (the kubelet's) only the addresses are kept. */
	obj = k8s_object(lbipamd_object_json(c->eng, LB_KIND_NODE, "",
						n->name),
			    n->created, n->generation, n->resource_version,
			    json_pack("{s:o}", "addresses", addrs));
	json_object_set_new(j, "object", obj);
	json_array_append_new(c->items, j);
	return 0;
}

/* What this daemon uses for the Node: its name and effective labels. */
static void node_self(struct lbipamd *d, json_t *item)
{
	json_t *labels = json_object(), *obj = json_object_get(item, "labels");
	const char *k;
	json_t *v;
	size_t i;

	for (i = 0; i < d->node.nlabels; i++)
		json_object_set_new(labels, d->node.keys[i],
				    json_string(d->node.values[i]));
	json_object_foreach(obj, k, v)
		json_object_set(labels, k, v);
	json_object_set_new(item, "self", json_boolean(1));
	json_object_set_new(item, "effectiveLabels", labels);
}

/* describe: the one item, with what only describe shows. */
static json_t *describe_item(struct lbipamd *d, enum lb_kind k,
				json_t *items, const char *name)
{
	json_t *item = json_incref(json_array_get(items, 0)), *eps;
	const char *ns;
	char owner[320];

	json_decref(items);
	json_object_set_new(item, "events", lbipamd_events_of(d->eng, k,
			    lbipamd_js(item, "namespace"), name));
	if (k == LB_KIND_POOL) {
		json_t *ips = json_array();

		lbe_foreach_pool_ip(d->eng, name, ip_json_cb, ips);
		json_object_set_new(item, "ips", ips);
		return item;
	}
	if (k == LB_KIND_L2POLICY || k == LB_KIND_BGP_CLUSTER ||
	    k == LB_KIND_BGP_PEER || k == LB_KIND_BGP_ADVERT)
		return item;
	if (k == LB_KIND_NODE) {
		if (d->node.name && !strcmp(d->node.name, name))
			node_self(d, item);
		return item;
	}
	eps = json_array();
	ns = lbipamd_js(item, "namespace");
	lbe_kernel_service(d->eng, ns, name, eps_json_cb, eps);
	json_object_set_new(item, "endpoints", eps);
	snprintf(owner, sizeof(owner), "%s/%s", ns, name);
	json_object_set_new(item, "kernel", kernel_of(d, owner));
	json_object_set_new(item, "l2", l2_of_service(d, ns, name));
	return item;
}

/* One kind's items: every object, or the one named (-ENOENT if none). */
static int view_items(struct lbipamd *d, enum lb_kind k, const char *ns,
			 const char *name, struct view_ctx *c)
{
	struct lbipamd_ifaces f;
	struct lb_l2_self self;
	int rc;

	switch (k) {
	case LB_KIND_POOL:
		return name ? lbe_get_pool(d->eng, name, pool_json_cb,
						 c) :
			lbe_foreach_pool(d->eng, pool_json_cb, c);
	case LB_KIND_SERVICE:
		c->ns = ns;
		return name ? lbe_get_service(d->eng,
						    ns ? ns : "default", name,
						    svc_cb, c) :
			lbe_foreach_service(d->eng, svc_cb, c);
	case LB_KIND_L2POLICY:
		this_node(d, &f, &self);
		rc = name ? lbe_get_l2_policy(d->eng, &self, name,
						    l2pol_json_cb, c) :
			lbe_foreach_l2_policy(d->eng, &self,
						    l2pol_json_cb, c);
		lbipamd_ifaces_free(&f);
		return rc;
	case LB_KIND_NODE:
		return name ? lbe_get_node(d->eng, name, node_json_cb,
						 c) :
			lbe_foreach_node(d->eng, node_json_cb, c);
	case LB_KIND_BGP_CLUSTER:
	case LB_KIND_BGP_PEER:
	case LB_KIND_BGP_ADVERT:
		c->name = name;
		rc = lbe_foreach_bgp_object(d->eng, k, bgp_json_cb, c);
		return !rc && name && !json_array_size(c->items) ? -ENOENT : rc;
	default:
		return -EINVAL;
	}
}

json_t *lbipamd_view_get(struct lbipamd *d, json_t *req, bool describe)
{
	const char *kind = lbipamd_js(req, "kind"), *name = lbipamd_js(req, "name");
	const char *ns = lbipamd_js(req, "namespace");
	struct view_ctx c = { .eng = d->eng };
	json_t *res;
	enum lb_kind k;
	int rc;

	if (!describe && kind && (!strcmp(kind, "events") ||
				  !strcmp(kind, "event") || !strcmp(kind, "ev"))) {
		res = lbipamd_ok();
		json_object_set_new(res, "items", lbipamd_events(d->eng, ns));
		return res;
	}
	if (lb_kind_parse_alias(kind, &k) || k == LB_KIND_ENDPOINTSLICE)
		return lbipamd_fail("unknown resource type '%s': use ippools, services, l2announcementpolicies, nodes, bgpclusterconfigs, bgppeerconfigs, bgpadvertisements or events",
				    kind ? kind : "");
	if (describe && !name)
		return lbipamd_fail("describe needs a name");
	c.items = json_array();
	rc = view_items(d, k, ns, describe ? name : NULL, &c);
	if (rc == -ENOENT) {
		json_decref(c.items);
		return lbipamd_fail("%s \"%s\" not found%s%s",
				    lb_kind_full_resource(k), name,
				    lb_kind_namespaced(k) ? " in namespace " : "",
				    !lb_kind_namespaced(k) ? "" :
				    ns ? ns : "default");
	}
	if (rc) {
		json_decref(c.items);
		return lbipamd_fail("query failed: %s", strerror(rc < 0 ? -rc : rc));
	}
	res = lbipamd_ok();
	if (!describe)
		json_object_set_new(res, "items", c.items);
	else
		json_object_set_new(res, "item",
				    describe_item(d, k, c.items, name));
	return res;
}

static int count_cb(const void *info, void *arg)
{
	(void)info;
	(*(json_int_t *)arg)++;
	return 0;
}

static int count_pool(const struct lb_pool_info *p, void *arg)
{
	return count_cb(p, arg);
}

static int count_svc(const struct lb_service_info *s, void *arg)
{
	return count_cb(s, arg);
}

json_t *lbipamd_view_status(struct lbipamd *d)
{
	json_int_t np = 0, ns = 0;
	json_t *res = lbipamd_ok();

	lbe_foreach_pool(d->eng, count_pool, &np);
	lbe_foreach_service(d->eng, count_svc, &ns);
	json_object_set_new(res, "kernel", json_pack("{s:s, s:s, s:I, s:I}",
		"state", lbipamd_kstate_name(d->kern.state), "message",
		d->kern.msg, "services",
		(json_int_t)lbipamd_kset_count_keys(&d->want.by_key), "requests",
		(json_int_t)d->kern.ops));
	json_object_set_new(res, "pools", json_integer(np));
	json_object_set_new(res, "services", json_integer(ns));
	json_object_set_new(res, "version", json_string(LBIPAM_VERSION));
	if (d->netns)
		json_object_set_new(res, "netns", json_string(d->netns));
	json_object_set_new(res, "l2", json_pack("{s:s, s:b, s:s, s:s, s:I}",
		"node", d->node.name ? d->node.name : "", "enabled",
		!d->l2_disabled, "state",
		lbipamd_l2state_name(d->l2.state), "message", d->l2.msg,
		"announcements", (json_int_t)d->l2.announced));
	json_object_set_new(res, "bgp", lbipamd_bgp_status(&d->bgp));
	if (d->cfg)
		json_object_set_new(res, "config",
				    lbipamd_config_json(d->cfg));
	if (d->cluster)
		json_object_set_new(res, "cluster", lbipamd_cluster_status(d));
	return res;
}

