// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel should hold: for every Service, one lbipam service per
 * (LB IP, port, protocol) and per (ClusterIP, port, protocol), with the
 * Service's endpoints as backends.
 *
 * Endpoint conditions map to backend states as kube-proxy treats them:
 *   ready                        -> active
 *   terminating (serving or not) -> terminating: keeps its flows, takes
 *                                   no new ones ...
 *   ... unless no endpoint of the port is ready: then serving terminating
 *       endpoints take new flows (KEP-1669 "ProxyTerminatingEndpoints")
 *   not ready, not terminating   -> maintenance: keeps its flows, takes
 *                                   no new ones
 *   removed from the slice       -> removed (UDP flows flushed by the
 *                                   module, TCP drains)
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"

/* kube-proxy's default for sessionAffinityConfig.clientIP.timeoutSeconds. */
#define LB_DEFAULT_AFFINITY	10800

void lbipamd_kset_free(struct lbipamd_kset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].be);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int lb_addr_cmp(int fa, const void *a, int fb, const void *b)
{
	if (fa != fb)
		return fa == AF_INET ? -1 : 1;
	return memcmp(a, b, fa == AF_INET ? 4 : 16);
}

int lbipamd_ksvc_cmp_key(const struct lb_service_key *a,
			 const struct lb_service_key *b)
{
	int c = lb_addr_cmp(a->ep.family, &a->ep.addr, b->ep.family,
			    &b->ep.addr);

	if (c)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->ep.port != b->ep.port)
		return a->ep.port < b->ep.port ? -1 : 1;
	return 0;
}

int lbipamd_backend_cmp(const void *pa, const void *pb)
{
	const struct lb_backend *a = pa, *b = pb;
	int c = lb_addr_cmp(a->ep.family, &a->ep.addr, b->ep.family,
			    &b->ep.addr);

	if (c)
		return c;
	if (a->ep.port != b->ep.port)
		return a->ep.port < b->ep.port ? -1 : 1;
	/* Among duplicates the most usable state sorts first and stays. */
	return (int)a->state - (int)b->state;
}

static int lb_ksvc_cmp(const void *a, const void *b)
{
	const struct lbipamd_ksvc *x = a, *y = b;
	int c = lbipamd_ksvc_cmp_key(&x->key, &y->key);

	return c ? c : strcmp(x->owner, y->owner);
}

static int lb_proto_num(const char *s, uint8_t *p)
{
	if (!s || !strcmp(s, "TCP"))
		*p = IPPROTO_TCP;
	else if (!strcmp(s, "UDP"))
		*p = IPPROTO_UDP;
	else if (!strcmp(s, "SCTP"))
		*p = IPPROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

static int lb_parse_ip(const char *s, int *family, void *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* ------------------------------------------------------- endpoints --- */

static bool lb_slice_is_for(json_t *doc, const char *ns, const char *svc)
{
	const char *dns = lb_js(doc, "metadata.namespace");
	json_t *labels = lb_jget(doc, "metadata.labels");
	const char *s = json_string_value(json_object_get(labels,
					  "kubernetes.io/service-name"));

	if (!dns || !*dns)
		dns = "default";
	return s && !strcmp(s, svc) && !strcmp(dns, ns);
}

static int lb_slice_endpoints(json_t *slice, lbipamd_ep_cb cb, void *arg)
{
	const char *type = lb_js(slice, "addressType");
	json_t *eps = json_object_get(slice, "endpoints"), *ep;
	size_t i;
	int rc;

	if (type && strcmp(type, "IPv4") && strcmp(type, "IPv6"))
		return 0;		/* FQDN slices carry no addresses */
	json_array_foreach(eps, i, ep) {
		struct lbipamd_ep e = {
			.slice = lb_js(slice, "metadata.name"),
			.ports = json_object_get(slice, "ports"),
			.node = lb_js(ep, "nodeName"),
		};
		unsigned char buf[16];

		/* Consumers use the first address (EndpointSlice API). */
		e.address = json_string_value(
			json_array_get(json_object_get(ep, "addresses"), 0));
		if (!e.address || lb_parse_ip(e.address, &e.family, buf))
			continue;
		/* Unknown readiness means ready; serving defaults to ready. */
		e.ready = lb_jbool(ep, "conditions.ready", true);
		e.serving = lb_jbool(ep, "conditions.serving", e.ready);
		e.terminating = lb_jbool(ep, "conditions.terminating", false);
		rc = cb(&e, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int lbipamd_foreach_endpoint(json_t *objs, const char *ns, const char *svc,
			     lbipamd_ep_cb cb, void *arg)
{
	const char *prefix = lb_kind_name(LB_KIND_ENDPOINTSLICE);
	size_t plen = strlen(prefix);
	const char *k;
	json_t *v;
	int rc;

	/* json objects iterate in insertion order; callers sort if needed. */
	json_object_foreach(objs, k, v) {
		if (strncmp(k, prefix, plen) || k[plen] != '/' ||
		    !lb_slice_is_for(v, ns, svc))
			continue;
		rc = lb_slice_endpoints(v, cb, arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* --------------------------------------------------------- building --- */

struct lb_build {
	struct lb_engine *eng;
	json_t *objs;
	json_t *slices;			/* "ns/svc" -> [slice...] */
	const struct lbipamd_desired_cfg *cfg;
	struct lbipamd_kset *out;
	int err;
};

/* One Service port and the backends being collected for one family. */
struct lb_port_ctx {
	const struct lbipamd_desired_cfg *cfg;
	int family;
	const char *name;		/* Service port name, "" if none */
	uint8_t proto;
	json_t *target;			/* targetPort */
	uint16_t port;
	struct lb_backend *be;
	bool *serving;
	size_t n, cap;
};

static int lb_slice_port(json_t *ports, const char *name, uint8_t proto,
			 json_t *target, uint16_t svc_port)
{
	json_t *p;
	size_t i;

	if (!json_array_size(ports)) {
		/* No ports listed: fall back to a numeric targetPort. */
		if (json_is_integer(target))
			return (int)json_integer_value(target);
		return target ? -1 : svc_port;
	}
	json_array_foreach(ports, i, p) {
		const char *pn = lb_js(p, "name");
		uint8_t pp;

		if (lb_proto_num(lb_js(p, "protocol"), &pp) || pp != proto)
			continue;
		if (strcmp(pn ? pn : "", name))
			continue;
		if (json_is_integer(json_object_get(p, "port")))
			return (int)json_integer_value(json_object_get(p,
								       "port"));
	}
	return -1;
}

static int lb_port_ep_cb(const struct lbipamd_ep *ep, void *arg)
{
	struct lb_port_ctx *c = arg;
	struct lb_backend b;
	int port;

	if (ep->family != c->family)
		return 0;
	port = lb_slice_port(ep->ports, c->name, c->proto, c->target, c->port);
	if (port < 1 || port > 65535)
		return 0;
	lb_backend_default(&b);
	b.ep.family = ep->family;
	lb_parse_ip(ep->address, &b.ep.family, &b.ep.addr);
	b.ep.port = (uint16_t)port;
	if (ep->terminating)
		b.state = LBIPAM_BE_TERMINATING;
	else if (!ep->ready)
		b.state = LBIPAM_BE_MAINTENANCE;
	if (!c->cfg->node_name ||
	    (ep->node && !strcmp(ep->node, c->cfg->node_name)))
		b.flags |= LBIPAM_BE_F_LOCAL;
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 8;
		struct lb_backend *nb = realloc(c->be, nc * sizeof(*nb));
		bool *ns = realloc(c->serving, nc * sizeof(*ns));

		if (nb)
			c->be = nb;
		if (ns)
			c->serving = ns;
		if (!nb || !ns)
			return -ENOMEM;
		c->cap = nc;
	}
	c->serving[c->n] = ep->terminating && ep->serving;
	c->be[c->n++] = b;
	return 0;
}

static void lb_finish_backends(struct lb_port_ctx *c)
{
	size_t i, j;
	bool any_active = false;

	for (i = 0; i < c->n; i++)
		any_active |= c->be[i].state == LBIPAM_BE_ACTIVE;
	if (!any_active)
		for (i = 0; i < c->n; i++)
			if (c->serving[i])
				c->be[i].state = LBIPAM_BE_ACTIVE;
	if (!c->n)
		return;
	qsort(c->be, c->n, sizeof(*c->be), lbipamd_backend_cmp);
	for (i = 1, j = 0; i < c->n; i++) {
		if (c->be[i].ep.port == c->be[j].ep.port &&
		    !lb_addr_cmp(c->be[i].ep.family, &c->be[i].ep.addr,
				 c->be[j].ep.family, &c->be[j].ep.addr))
			continue;
		c->be[++j] = c->be[i];
	}
	c->n = j + 1;
}

static int lb_add_ksvc(struct lb_build *b, const struct lbipamd_ksvc *k)
{
	struct lbipamd_kset *s = b->out;

	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 64;
		struct lbipamd_ksvc *nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = *k;
	return 0;
}

static void lb_source_ranges(json_t *svc, int family, struct lb_svc_opts *o,
			     const char *owner)
{
	json_t *r = lb_jget(svc, "spec.loadBalancerSourceRanges"), *v;
	size_t i;

	json_array_foreach(r, i, v) {
		const char *s = json_string_value(v);
		char buf[INET6_ADDRSTRLEN + 8], *slash;
		unsigned char a[16];
		unsigned long plen;
		int fam, bits, k;

		if (!s || strlen(s) >= sizeof(buf))
			continue;
		strcpy(buf, s);
		slash = strchr(buf, '/');
		if (slash)
			*slash++ = '\0';
		if (lb_parse_ip(buf, &fam, a) || fam != family)
			continue;
		bits = fam == AF_INET ? 32 : 128;
		plen = slash ? strtoul(slash, NULL, 10) : (unsigned long)bits;
		if (plen > (unsigned long)bits)
			continue;
		if (o->nranges == LBIPAM_MAX_SOURCE_RANGES) {
			/* Fewer ranges only narrows who may connect. */
			lbipamd_log(LB_LOG_WARN,
				    "Too many loadBalancerSourceRanges, ignoring the rest",
				    "service", owner, NULL);
			return;
		}
		/* Kubernetes accepts host bits; the module wants them zero. */
		for (k = (int)plen; k < bits; k++)
			a[k / 8] &= (unsigned char)~(0x80 >> (k % 8));
		o->ranges[o->nranges].family = fam;
		memcpy(&o->ranges[o->nranges].addr, a, fam == AF_INET ? 4 : 16);
		o->ranges[o->nranges].plen = (uint8_t)plen;
		o->nranges++;
	}
}

/* All ports of svc on one address (an LB IP when lb, else a ClusterIP). */
static int lb_build_addr(struct lb_build *b, json_t *svc, const char *ns,
			 const char *name, const char *ip, bool lb,
			 bool etp_local)
{
	json_t *ports = lb_jget(svc, "spec.ports"), *p;
	struct lb_service_key key;
	struct lb_svc_opts opts;
	size_t i;
	int rc;

	memset(&key, 0, sizeof(key));
	if (lb_parse_ip(ip, &key.ep.family, &key.ep.addr))
		return 0;
	lb_svc_opts_default(&opts);
	if (lb_js(svc, "spec.sessionAffinity") &&
	    !strcmp(lb_js(svc, "spec.sessionAffinity"), "ClientIP")) {
		json_t *t = lb_jget(svc,
			"spec.sessionAffinityConfig.clientIP.timeoutSeconds");
		json_int_t v = json_is_integer(t) ? json_integer_value(t) :
			       LB_DEFAULT_AFFINITY;

		opts.affinity = (uint32_t)(v < 1 ? 1 : v > LBIPAM_MAX_AFFINITY ?
					   LBIPAM_MAX_AFFINITY : v);
	}
	if (lb) {
		if (etp_local)
			opts.flags |= LBIPAM_SVC_F_LOCAL_ONLY;
		else if (b->cfg->masquerade)
			opts.flags |= LBIPAM_SVC_F_MASQUERADE;
	}
	json_array_foreach(ports, i, p) {
		struct lb_port_ctx c = { .cfg = b->cfg, .family = key.ep.family };
		struct lbipamd_ksvc k;
		json_t *pn = json_object_get(p, "port");
		char *skey;

		if (!json_is_integer(pn) || json_integer_value(pn) < 1 ||
		    json_integer_value(pn) > 65535 ||
		    lb_proto_num(lb_js(p, "protocol"), &c.proto))
			continue;
		c.port = (uint16_t)json_integer_value(pn);
		c.name = lb_js(p, "name") ? lb_js(p, "name") : "";
		c.target = json_object_get(p, "targetPort");
		/*
		 * A named targetPort needs no lookup here: the slice's port
		 * carries the Service port's name and the resolved number.
		 */
		if (asprintf(&skey, "%s/%s", ns, name) < 0)
			return -ENOMEM;
		{
			json_t *sl = json_object_get(b->slices, skey), *s;
			size_t j;

			rc = 0;
			json_array_foreach(sl, j, s) {
				rc = lb_slice_endpoints(s, lb_port_ep_cb, &c);
				if (rc)
					break;
			}
		}
		free(skey);
		if (rc) {
			free(c.be);
			free(c.serving);
			return rc;
		}
		lb_finish_backends(&c);
		memset(&k, 0, sizeof(k));
		k.key = key;
		k.key.ep.port = c.port;
		k.key.proto = c.proto;
		k.opts = opts;
		if (lb)
			lb_source_ranges(svc, key.ep.family, &k.opts,
					 name);
		k.nbe = c.n;
		k.be = c.be;
		free(c.serving);
		snprintf(k.owner, sizeof(k.owner), "%s/%s", ns, name);
		rc = lb_add_ksvc(b, &k);
		if (rc) {
			free(k.be);
			return rc;
		}
	}
	return 0;
}

static int lb_build_svc(const struct lb_service_info *si, void *arg)
{
	struct lb_build *b = arg;
	json_t *svc = lbipamd_obj_get(b->objs, LB_KIND_SERVICE, si->ns,
				      si->name), *cips, *v;
	const char *cip;
	size_t i;
	int rc;

	if (!svc)
		return 0;
	for (i = 0; si->managed && i < si->n_ips; i++) {
		rc = lb_build_addr(b, svc, si->ns, si->name, si->ips[i], true,
				   si->etp_local);
		if (rc)
			return rc;
	}
	cips = lb_jget(svc, "spec.clusterIPs");
	if (json_array_size(cips)) {
		json_array_foreach(cips, i, v) {
			cip = json_string_value(v);
			if (!cip || !strcmp(cip, "None"))
				continue;
			rc = lb_build_addr(b, svc, si->ns, si->name, cip,
					   false, false);
			if (rc)
				return rc;
		}
	} else {
		cip = lb_js(svc, "spec.clusterIP");
		if (cip && strcmp(cip, "None")) {
			rc = lb_build_addr(b, svc, si->ns, si->name, cip,
					   false, false);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static json_t *lb_index_slices(json_t *objs)
{
	const char *prefix = lb_kind_name(LB_KIND_ENDPOINTSLICE);
	size_t plen = strlen(prefix);
	json_t *idx = json_object(), *v;
	const char *k;

	json_object_foreach(objs, k, v) {
		json_t *labels = lb_jget(v, "metadata.labels"), *arr;
		const char *svc = json_string_value(json_object_get(labels,
					"kubernetes.io/service-name"));
		const char *ns = lb_js(v, "metadata.namespace");
		char *key;

		if (strncmp(k, prefix, plen) || k[plen] != '/' || !svc)
			continue;
		if (asprintf(&key, "%s/%s", ns && *ns ? ns : "default",
			     svc) < 0)
			continue;
		arr = json_object_get(idx, key);
		if (!arr) {
			arr = json_array();
			json_object_set_new(idx, key, arr);
		}
		json_array_append(arr, v);
		free(key);
	}
	return idx;
}

int lbipamd_desired(struct lb_engine *e, json_t *objs,
		    const struct lbipamd_desired_cfg *cfg,
		    struct lbipamd_kset *out)
{
	struct lb_build b = { .eng = e, .objs = objs, .cfg = cfg, .out = out };
	size_t i, j;
	int rc;

	memset(out, 0, sizeof(*out));
	b.slices = lb_index_slices(objs);
	rc = lb_engine_foreach_service(e, lb_build_svc, &b);
	json_decref(b.slices);
	if (rc) {
		lbipamd_kset_free(out);
		return rc;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), lb_ksvc_cmp);
	/*
	 * Two Services claiming one key (e.g. the same clusterIP): the
	 * first by name keeps it, as the kernel can hold only one.
	 */
	for (i = 1, j = 0; i < out->n; i++) {
		if (!lbipamd_ksvc_cmp_key(&out->v[i].key, &out->v[j].key)) {
			char ks[LB_SERVICE_STRLEN];

			lb_service_str(&out->v[i].key, ks, sizeof(ks));
			lbipamd_log(LB_LOG_WARN,
				    "Address, port and protocol already used by another Service",
				    "service", out->v[i].owner, "holder",
				    out->v[j].owner, "key", ks, NULL);
			free(out->v[i].be);
			continue;
		}
		out->v[++j] = out->v[i];
	}
	if (out->n)
		out->n = j + 1;
	return 0;
}
