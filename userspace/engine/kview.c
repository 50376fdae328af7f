// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's view of a Service: typed addresses, ports, endpoints with
 * their resolved target ports, and which Services' views changed.
 */
#include "engine_int.h"
#include "holding.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------- change reporting --- */

void lbe_view_changed(struct lb_engine *e, const char *key)
{
	/*
	 * Nobody is reading the list (or everything changed anyway): stop
	 * growing it and say "everything" instead.
	 */
	if (e->changed_all)
		return;
	if (e->nchanged > 2 * e->nsvcs + 1024) {
		lbe_changed_clear(e);
		e->changed_all = true;
		return;
	}
	LB_GROW(e->changed, e->nchanged, e->capchanged);
	e->changed[e->nchanged++] = lb_xstrdup(key);
}

void lbe_view_changed_svc(struct lb_engine *e, struct lb_service *s)
{
	if (s->view_changed || e->changed_all)
		return;
	s->view_changed = true;
	lbe_view_changed(e, s->key);
}

bool lbe_changed_all(const struct lb_engine *e)
{
	return e->changed_all;
}

int lbe_foreach_changed(struct lb_engine *e, lb_changed_cb cb,
			      void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < e->nchanged; i++) {
		char *slash = strchr(e->changed[i], '/');

		if (!slash)
			continue;
		*slash = '\0';
		rc = cb(e->changed[i], slash + 1, arg);
		*slash = '/';
		if (rc)
			return rc;
	}
	return 0;
}

void lbe_changed_clear(struct lb_engine *e)
{
	struct lb_service *s;
	size_t i;

	for (i = 0; i < e->nchanged; i++) {
		s = lbe_service(e, e->changed[i]);
		if (s)
			s->view_changed = false;
		free(e->changed[i]);
	}
	e->nchanged = 0;
	e->changed_all = false;
	e->l2_changed_all = false;
	e->bgp_changed = false;
}

/* ------------------------------------------ slices by their Service --- */

static const struct lb_htab_ops se_ops =
	LB_HTAB_STR_OPS(struct lb_svc_eps, key);

void lbe_eps_index_init(struct lb_engine *e)
{
	lbe_htab_init(&e->eps_by_svc, &se_ops);
}

void lbe_eps_index_free(struct lb_engine *e)
{
	struct lb_svc_eps *se;
	size_t it = 0;

	while ((se = lbe_htab_next(&e->eps_by_svc, &it))) {
		free(se->key);
		free(se->v);
		free(se);
	}
	lbe_htab_free(&e->eps_by_svc);
}

static char *svc_key_of(const struct lb_eps *x)
{
	return x->spec.service ? lb_xasprintf("%s/%s", x->ns, x->spec.service) :
				 NULL;
}

void lbe_eps_index_add(struct lb_engine *e, struct lb_eps *x)
{
	char *key = svc_key_of(x);
	struct lb_svc_eps *se;

	if (!key)
		return;
	lbe_view_changed(e, key);
	lbe_nodeipam_slices_changed(e, key);
	se = lbe_htab_get(&e->eps_by_svc, key);
	if (!se) {
		se = lb_xcalloc(1, sizeof(*se));
		se->key = key;
		lbe_htab_add(&e->eps_by_svc, se);
	} else {
		free(key);
	}
	LB_GROW(se->v, se->n, se->cap);
	se->v[se->n++] = x;
}

void lbe_eps_index_del(struct lb_engine *e, struct lb_eps *x)
{
	char *key = svc_key_of(x);
	struct lb_svc_eps *se;
	size_t i;

	if (!key)
		return;
	lbe_view_changed(e, key);
	lbe_nodeipam_slices_changed(e, key);
	se = lbe_htab_get(&e->eps_by_svc, key);
	free(key);
	if (!se)
		return;
	for (i = 0; i < se->n; i++) {
		if (se->v[i] == x) {
			se->v[i] = se->v[--se->n];
			break;
		}
	}
	if (!se->n) {
		lbe_htab_del(&e->eps_by_svc, se->key);
		free(se->key);
		free(se->v);
		free(se);
	}
}

/* ------------------------------------------------------ the view --- */

void lbe_addr_to_ip(const struct lb_addr *a, struct lb_ip *ip)
{
	lb_u128 v = a->v;
	unsigned char b[16];
	int i, n = a->fam == 4 ? 4 : 16;

	memset(ip, 0, sizeof(*ip));
	for (i = n - 1; i >= 0; i--) {
		b[i] = (unsigned char)v;
		v >>= 8;
	}
	ip->family = a->fam == 4 ? AF_INET : AF_INET6;
	if (a->fam == 4)
		memcpy(&ip->v4, b, 4);
	else
		memcpy(&ip->v6, b, 16);
}

/*
 * The endpoint port a Service port maps to in one slice, or -1.  The
 * slice's port carries the Service port's name and the resolved number,
 * so a named targetPort needs no lookup; a slice without ports falls back
 * to a numeric targetPort, or to the Service port when there is none.
 */
static int slice_port(const struct lb_eps_spec *es, const struct lb_port *p)
{
	size_t i;

	if (!es->nports) {
		if (p->has_target)
			return p->target_name ? -1 : p->target;
		return p->port;
	}
	for (i = 0; i < es->nports; i++) {
		const struct lb_ep_port *sp = &es->ports[i];

		if (sp->proto != p->proto || strcmp(sp->name, p->name))
			continue;
		if (sp->port)
			return sp->port;
	}
	return -1;
}

static int cmp_eps_name(const void *a, const void *b)
{
	return strcmp((*(struct lb_eps *const *)a)->name,
		      (*(struct lb_eps *const *)b)->name);
}

static void kendpoint(struct lb_kendpoint *k, const struct lb_eps *x,
		      const struct lb_ep *ep, uint16_t port)
{
	lbe_addr_to_ip(&ep->addr, &k->ip);
	k->port = port;
	k->ready = ep->ready;
	k->serving = ep->serving;
	k->terminating = ep->terminating;
	k->node = ep->node;
	k->slice = x->name;
}

struct view_buf {
	struct lb_ip *lb_ips, *cips;
	struct lb_ip_prefix *ranges;
	struct lb_kport *ports;
	struct lb_kendpoint *all;
	struct lb_kendpoint **per_port;
	struct lb_eps **slices;
	size_t nslices, nports;
};

static void view_free(struct view_buf *b)
{
	size_t i;

	for (i = 0; i < b->nports; i++)
		free(b->per_port[i]);
	free(b->per_port);
	free(b->lb_ips);
	free(b->cips);
	free(b->ranges);
	free(b->ports);
	free(b->all);
	free(b->slices);
}

/* Every primary endpoint, and per port those whose port resolves. */
static void view_endpoints(const struct lb_service *s, struct view_buf *b,
			   struct lb_kservice *k)
{
	size_t i, j, p, cap = 0, n = 0;

	for (i = 0; i < b->nslices; i++)
		cap += b->slices[i]->spec.neps;
	b->all = lb_xcalloc(cap + 1, sizeof(*b->all));
	for (p = 0; p < b->nports; p++)
		b->per_port[p] = lb_xcalloc(cap + 1, sizeof(**b->per_port));
	for (i = 0; i < b->nslices; i++) {
		const struct lb_eps *x = b->slices[i];

		for (j = 0; j < x->spec.neps; j++) {
			const struct lb_ep *ep = &x->spec.eps[j];

			if (!ep->primary)
				continue;
			kendpoint(&b->all[n++], x, ep, 0);
			for (p = 0; p < b->nports; p++) {
				int port = slice_port(&x->spec,
						      &s->spec.ports[p]);
				struct lb_kport *kp = &b->ports[p];

				if (port < 1 || port > 65535)
					continue;
				kendpoint(&b->per_port[p][kp->n_endpoints++],
					  x, ep, (uint16_t)port);
			}
		}
	}
	k->n_endpoints = n;
	k->endpoints = b->all;
}

/* Held IPs, or for a Node IPAM Service the node addresses. */
static void view_lb_ips(struct lb_engine *e, const struct lb_service *s,
			struct view_buf *b, struct lb_kservice *k)
{
	struct lb_addr *na = NULL;
	size_t i, n = 0;

	if (lbe_nodeipam_serves(e, s)) {
		n = lbe_nodeipam_ips(e, s, &na);
		b->lb_ips = lb_xcalloc(n + 1, sizeof(*b->lb_ips));
		for (i = 0; i < n; i++)
			lbe_addr_to_ip(&na[i], &b->lb_ips[k->n_lb_ips++]);
		free(na);
		return;
	}
	b->lb_ips = lb_xcalloc(s->nheld + 1, sizeof(*b->lb_ips));
	for (i = 0; s->managed && i < s->nheld; i++)
		lbe_addr_to_ip(&s->held[i]->addr, &b->lb_ips[k->n_lb_ips++]);
}

static int emit_view(struct lb_engine *e, struct lb_service *s,
		     lb_kservice_cb cb, void *arg)
{
	const struct lb_svc_spec *sp = &s->spec;
	struct lb_kservice k = { .ns = s->ns, .name = s->name };
	struct view_buf b = { .nports = sp->nports };
	struct lb_svc_eps *se = lbe_htab_get(&e->eps_by_svc, s->key);
	size_t i;
	int rc;

	view_lb_ips(e, s, &b, &k);
	b.cips = lb_xcalloc(sp->ncips + 1, sizeof(*b.cips));
	for (i = 0; i < sp->ncips; i++)
		lbe_addr_to_ip(&sp->cips[i], &b.cips[k.n_cluster_ips++]);
	b.ranges = lb_xcalloc(sp->nranges + 1, sizeof(*b.ranges));
	for (i = 0; i < sp->nranges; i++) {
		lbe_addr_to_ip(&sp->ranges[i].addr, &b.ranges[i].ip);
		b.ranges[i].plen = sp->ranges[i].plen;
	}
	k.n_ranges = sp->nranges;
	b.ports = lb_xcalloc(sp->nports + 1, sizeof(*b.ports));
	b.per_port = lb_xcalloc(sp->nports + 1, sizeof(*b.per_port));
	for (i = 0; i < sp->nports; i++) {
		b.ports[i].port = sp->ports[i].port;
		b.ports[i].proto = sp->ports[i].proto;
		b.ports[i].name = sp->ports[i].name;
	}
	if (se && se->n) {
		b.slices = lb_xmalloc(se->n * sizeof(*b.slices));
		memcpy(b.slices, se->v, se->n * sizeof(*b.slices));
		b.nslices = se->n;
		qsort(b.slices, b.nslices, sizeof(*b.slices), cmp_eps_name);
	}
	view_endpoints(s, &b, &k);
	for (i = 0; i < sp->nports; i++)
		b.ports[i].endpoints = b.per_port[i];
	k.lb_ips = b.lb_ips;
	k.cluster_ips = b.cips;
	k.ranges = b.ranges;
	k.ports = b.ports;
	k.n_ports = sp->nports;
	k.affinity = sp->affinity;
	k.etp_local = sp->etp_local;
	rc = cb(&k, arg);
	view_free(&b);
	return rc;
}

int lbe_kernel_service(struct lb_engine *e, const char *ns,
			     const char *name, lb_kservice_cb cb, void *arg)
{
	char *key = lbe_key(LB_KIND_SERVICE, ns, name);
	struct lb_service *s = lbe_service(e, key);

	free(key);
	return s ? emit_view(e, s, cb, arg) : -ENOENT;
}

int lbe_foreach_kernel_service(struct lb_engine *e, lb_kservice_cb cb,
				     void *arg)
{
	struct lb_service *s;
	size_t it = 0;
	int rc;

	while ((s = lbe_htab_next(&e->svcs, &it))) {
		rc = emit_view(e, s, cb, arg);
		if (rc)
			return rc;
	}
	return 0;
}
