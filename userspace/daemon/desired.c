// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel should hold: for every Service, one lbipam service per
 * (LB IP, port, protocol) and per (ClusterIP, port, protocol), with the
 * Service's endpoints as backends, built from the engine's kernel view.
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
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"

void lbipamd_want_free(struct lbipamd_want *w)
{
	lbipamd_kset_reset(&w->by_owner);
	lbipamd_kset_free(&w->by_key);
	w->by_owner.by_owner = true;
}

/* One Service port on one address: its backends of that family. */
static void backends(const struct lbipamd_desired_cfg *cfg,
		     const struct lb_kport *p, int family,
		     struct lbipamd_ksvc *k)
{
	bool *serving, any_active = false;
	size_t i, j;

	k->be = lb_xcalloc(p->n_endpoints + 1, sizeof(*k->be));
	serving = lb_xcalloc(p->n_endpoints + 1, sizeof(*serving));
	for (i = 0; i < p->n_endpoints; i++) {
		const struct lb_kendpoint *ep = &p->endpoints[i];
		struct lb_backend *b = &k->be[k->nbe];

		if (ep->ip.family != family)
			continue;
		lb_backend_default(b);
		b->ep.family = family;
		memcpy(&b->ep.addr, &ep->ip.v6, family == AF_INET ? 4 : 16);
		b->ep.port = ep->port;
		if (ep->terminating)
			b->state = LBIPAM_BE_TERMINATING;
		else if (!ep->ready)
			b->state = LBIPAM_BE_MAINTENANCE;
		if (!cfg->node_name ||
		    (ep->node && !strcmp(ep->node, cfg->node_name)))
			b->flags |= LBIPAM_BE_F_LOCAL;
		serving[k->nbe] = ep->terminating && ep->serving;
		any_active |= b->state == LBIPAM_BE_ACTIVE;
		k->nbe++;
	}
	if (!any_active)
		for (i = 0; i < k->nbe; i++)
			if (serving[i])
				k->be[i].state = LBIPAM_BE_ACTIVE;
	free(serving);
	if (!k->nbe)
		return;
	qsort(k->be, k->nbe, sizeof(*k->be), lbipamd_backend_cmp);
	for (i = 1, j = 0; i < k->nbe; i++) {
		if (k->be[i].ep.port == k->be[j].ep.port &&
		    !lb_ip_cmp(k->be[i].ep.family, &k->be[i].ep.addr,
				    k->be[j].ep.family, &k->be[j].ep.addr))
			continue;
		k->be[++j] = k->be[i];
	}
	k->nbe = j + 1;
}

static void source_ranges(const struct lb_kservice *s, int family,
			  struct lb_svc_opts *o, const char *owner)
{
	size_t i;

	for (i = 0; i < s->n_ranges; i++) {
		const struct lb_ip_prefix *r = &s->ranges[i];
		struct lb_cidr c = { .family = family, .plen = r->plen };
		int err;

		if (r->ip.family != family)
			continue;
		memcpy(&c.addr, &r->ip.v6, family == AF_INET ? 4 : 16);
		err = lb_cidr_set_add(&o->ranges, &c, LBIPAM_MAX_SOURCE_RANGES);
		if (err == -ENOMEM)
			lb_oom("malloc");
		if (err) {
			/* Fewer ranges only narrows who may connect. */
			lbipamd_log(LB_LOG_WARN,
				    "Too many loadBalancerSourceRanges, ignoring the rest",
				    "service", owner, NULL);
			return;
		}
	}
}

/* kube-proxy's --cluster-cidr: in-cluster sources use every endpoint. */
static void cluster_cidrs(const struct lbipamd_desired_cfg *cfg, int family,
			  struct lb_svc_opts *o)
{
	size_t i;

	for (i = 0; i < cfg->ncluster_cidrs; i++)
		if (cfg->cluster_cidrs[i].family == family &&
		    lb_cidr_set_add(&o->cluster, &cfg->cluster_cidrs[i],
				    LBIPAM_MAX_CLUSTER_CIDRS) == -ENOMEM)
			lb_oom("malloc");
}

/* All ports of s on one address (an LB IP when lb, else a ClusterIP). */
static void build_addr(const struct lbipamd_desired_cfg *cfg,
		       const struct lb_kservice *s, const struct lb_ip *ip,
		       bool lb, struct lbipamd_kset *out)
{
	struct lb_svc_opts opts;
	size_t i;

	lb_svc_opts_default(&opts);
	if (s->affinity)
		opts.affinity = s->affinity > LBIPAM_MAX_AFFINITY ?
				LBIPAM_MAX_AFFINITY : s->affinity;
	if (lb) {
		/* kube-proxy's IPVS mode sets expire_nodest_conn: so do we. */
		opts.flags |= LBIPAM_SVC_F_EXPIRE_NODEST;
		if (s->etp_local) {
			opts.flags |= LBIPAM_SVC_F_LOCAL_ONLY;
			cluster_cidrs(cfg, ip->family, &opts);
		} else if (cfg->masquerade)
			opts.flags |= LBIPAM_SVC_F_MASQUERADE;
	}
	for (i = 0; i < s->n_ports; i++) {
		struct lbipamd_ksvc *k = lb_xcalloc(1, sizeof(*k));

		k->key.ep.family = ip->family;
		memcpy(&k->key.ep.addr, &ip->v6,
		       ip->family == AF_INET ? 4 : 16);
		k->key.ep.port = s->ports[i].port;
		k->key.proto = s->ports[i].proto;
		if (lb_svc_opts_copy(&k->opts, &opts))
			lb_oom("malloc");
		snprintf(k->owner, sizeof(k->owner), "%s/%s", s->ns, s->name);
		if (lb)
			source_ranges(s, ip->family, &k->opts, k->owner);
		backends(cfg, &s->ports[i], ip->family, k);
		lbipamd_kset_append(out, k);
	}
	lb_svc_opts_free(&opts);
}

struct build {
	const struct lbipamd_desired_cfg *cfg;
	struct lbipamd_kset *out;
};

/* Appends the entries of one Service, unsorted. */
static int build_svc(const struct lb_kservice *s, void *arg)
{
	struct build *b = arg;
	size_t i;

	for (i = 0; i < s->n_lb_ips; i++)
		build_addr(b->cfg, s, &s->lb_ips[i], true, b->out);
	for (i = 0; i < s->n_cluster_ips; i++)
		build_addr(b->cfg, s, &s->cluster_ips[i], false, b->out);
	return 0;
}

/* Two Services claiming one key: the first by name keeps it. */
static void warn_shadowed(const struct lbipamd_kset *s, size_t i)
{
	char ks[LB_SERVICE_STRLEN];

	if (!i || lbipamd_ksvc_cmp_key(&s->v[i - 1]->key, &s->v[i]->key))
		return;
	lb_service_str(&s->v[i]->key, ks, sizeof(ks));
	lbipamd_log(LB_LOG_WARN,
		    "Address, port and protocol already used by another Service",
		    "service", s->v[i]->owner, "holder", s->v[i - 1]->owner,
		    "key", ks, NULL);
}

static void index_owners(struct lbipamd_want *w)
{
	size_t i;

	lbipamd_kset_reset(&w->by_owner);
	w->by_owner.by_owner = true;
	for (i = 0; i < w->by_key.n; i++)
		lbipamd_kset_append(&w->by_owner, w->by_key.v[i]);
	lbipamd_kset_sort(&w->by_owner);
}

int lbipamd_desired(struct lb_engine *e, const struct lbipamd_desired_cfg *cfg,
		    struct lbipamd_want *out)
{
	struct build b = { .cfg = cfg, .out = &out->by_key };
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	out->by_owner.by_owner = true;
	rc = lbe_foreach_kernel_service(e, build_svc, &b);
	if (!rc) {
		lbipamd_kset_sort(&out->by_key);
		index_owners(out);
	}
	if (rc) {
		lbipamd_want_free(out);
		return rc;
	}
	for (i = 1; i < out->by_key.n; i++)
		warn_shadowed(&out->by_key, i);
	return 0;
}

static void add_key(struct lb_service_key **keys, size_t *n, size_t *cap,
		    const struct lb_service_key *k)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*keys = lb_xreallocarray(*keys, *cap, sizeof(**keys));
	}
	(*keys)[(*n)++] = *k;
}

int lbipamd_desired_update(struct lb_engine *e,
			   const struct lbipamd_desired_cfg *cfg,
			   struct lbipamd_want *w, const char *ns,
			   const char *name, struct lb_service_key **keys,
			   size_t *nkeys, size_t *capkeys)
{
	struct lbipamd_kset fresh = { 0 };
	struct build b = { .cfg = cfg, .out = &fresh };
	char owner[sizeof(((struct lbipamd_ksvc *)0)->owner)];
	size_t i;
	int rc;

	snprintf(owner, sizeof(owner), "%s/%s", ns, name);
	rc = lbe_kernel_service(e, ns, name, build_svc, &b);
	if (rc && rc != -ENOENT) {
		lbipamd_kset_free(&fresh);
		return rc;
	}
	/* Out with the old entries ... */
	i = lbipamd_kset_lower_owner(&w->by_owner, owner);
	while (i < w->by_owner.n && !strcmp(w->by_owner.v[i]->owner, owner)) {
		struct lbipamd_ksvc *old = w->by_owner.v[i];

		add_key(keys, nkeys, capkeys, &old->key);
		lbipamd_kset_remove(&w->by_owner, old);
		lbipamd_kset_remove(&w->by_key, old);
		lbipamd_ksvc_free(old);
	}
	/* ... in with the new. */
	for (i = 0; i < fresh.n; i++) {
		struct lbipamd_ksvc *k = fresh.v[i];
		size_t j;

		add_key(keys, nkeys, capkeys, &k->key);
		lbipamd_kset_insert(&w->by_key, k);
		lbipamd_kset_insert(&w->by_owner, k);
		j = lbipamd_kset_lower_key(&w->by_key, &k->key);
		while (w->by_key.v[j] != k)
			j++;
		warn_shadowed(&w->by_key, j);
		if (j + 1 < w->by_key.n)
			warn_shadowed(&w->by_key, j + 1);
	}
	lbipamd_kset_reset(&fresh);
	return 0;
}
