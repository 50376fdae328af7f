// SPDX-License-Identifier: GPL-2.0
/*
 * What a node advertises over BGP (lb_bgp.h): cluster configs selecting
 * it, their peers' configs, and the routes their families' advertisements
 * pick; and the one-line views of the three kinds.
 */
#include "engine_int.h"
#include "bgp.h"
#include "holding.h"
#include "lb_bgp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Cilium's class for Services only the BGP Control Plane advertises. */
#define BGP_LB_CLASS	"io.cilium/bgp-control-plane"

/* A Service that can be advertised from this node, and its addresses. */
struct cand {
	const struct lb_service *s;
	struct lb_addr *ips;
	size_t nips;
};

/* One advertisement item that picked one address of one Service. */
struct hit {
	struct lb_addr ip;
	const struct cand *c;
	const char *advert;
	const struct lb_bgp_adv_item *item;
};

/* A family's routes, computed once for every peer sharing its config. */
struct fam_done {
	const struct lb_bgp_fam_spec *f;
	struct lb_bgp_family out;
};

struct build {
	struct lb_engine *e;
	struct cand *cands;
	size_t ncands;
	struct fam_done *done;
	size_t ndone, capdone;
	void **owned;			/* freed after the callback */
	size_t nowned, capowned;
};

static void *own(struct build *b, void *p)
{
	LB_GROW(b->owned, b->nowned, b->capowned);
	b->owned[b->nowned++] = p;
	return p;
}

static bool class_ok(const struct lb_service *s)
{
	return !s->spec.lb_class || !strcmp(s->spec.lb_class, BGP_LB_CLASS);
}

/*
 * The Services this node may advertise: of our class, with an address,
 * and (externalTrafficPolicy Local) a ready endpoint here.
 */
static void collect(struct build *b, const char *node)
{
	struct lb_engine *e = b->e;
	size_t i;

	lbe_sort_services(e);
	b->cands = lb_xcalloc(e->norder + 1, sizeof(*b->cands));
	for (i = 0; i < e->norder; i++) {
		const struct lb_service *s = e->order[i];
		struct cand *c = &b->cands[b->ncands];

		if (!class_ok(s) ||
		    (s->spec.etp_local && !lbe_local_endpoint(e, s, node)))
			continue;
		lbe_svc_lb_ips(s, &c->ips, &c->nips);
		if (!c->nips) {
			free(c->ips);
			continue;
		}
		c->s = s;
		b->ncands++;
	}
}

static void build_free(struct build *b)
{
	size_t i;

	for (i = 0; i < b->ncands; i++)
		free(b->cands[i].ips);
	free(b->cands);
	free(b->done);
	for (i = 0; i < b->nowned; i++)
		free(b->owned[i]);
	free(b->owned);
}

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	int c = lbe_addr_cmp(&x->ip, &y->ip);

	if (!c)
		c = strcmp(x->c->s->ns, y->c->s->ns);
	if (!c)
		c = strcmp(x->c->s->name, y->c->s->name);
	if (!c)
		c = strcmp(x->advert, y->advert);
	return c;
}

/* Adds the strings of v not yet in out (a set of a few). */
static void add_uniq(const char **out, size_t *n, char *const *v, size_t nv)
{
	size_t i, j;

	for (i = 0; i < nv; i++) {
		for (j = 0; j < *n && strcmp(out[j], v[i]); j++)
			;
		if (j == *n)
			out[(*n)++] = v[i];
	}
}

/*
 * One route from the hits h[0..n) on one address: the first Service and
 * advertisement name it; overlapping advertisements merge as in Cilium
 * (communities: the union; local preference: the largest).
 */
static void merge(struct build *b, const struct hit *h, size_t n,
		  struct lb_bgp_route *r)
{
	size_t i, nc = 0, nl = 0;
	const char **c, **l;

	for (i = 0; i < n; i++) {
		nc += h[i].item->ncomms;
		nl += h[i].item->nlarge;
	}
	c = own(b, lb_xcalloc(nc + 1, sizeof(*c)));
	l = own(b, lb_xcalloc(nl + 1, sizeof(*l)));
	nc = 0;
	nl = 0;
	memset(r, 0, sizeof(*r));
	lbe_addr_to_ip(&h[0].ip, &r->ip);
	r->plen = h[0].ip.fam == 4 ? 32 : 128;
	r->ns = h[0].c->s->ns;
	r->name = h[0].c->s->name;
	r->advertisement = h[0].advert;
	for (i = 0; i < n; i++) {
		add_uniq(c, &nc, h[i].item->comms, h[i].item->ncomms);
		add_uniq(l, &nl, h[i].item->large, h[i].item->nlarge);
		if (h[i].item->has_pref && h[i].item->local_pref > r->local_pref)
			r->local_pref = h[i].item->local_pref;
	}
	r->n_communities = nc;
	r->communities = c;
	r->n_large_communities = nl;
	r->large_communities = l;
}

struct hits {
	struct hit *v;
	size_t n, cap;
};

/* What one Service advertisement item picks, of one family. */
static void item_hits(struct build *b, const struct lb_bgp_obj *a,
		      const struct lb_bgp_adv_item *it, int fam,
		      struct hits *out)
{
	size_t i, j;

	/*
	 * PodCIDR and CiliumPodIPPool: no pod CIDRs here.  ClusterIP and
	 * ExternalIP: lbipam serves load-balancer IPs only.  A Service
	 * item without selector selects no Service (Cilium v2).
	 */
	if (it->type != LB_BGP_ADV_SERVICE || !it->lb_ip || !it->sel)
		return;
	for (i = 0; i < b->ncands; i++) {
		const struct cand *c = &b->cands[i];

		/* Its labels carry io.kubernetes.service.{name,namespace}. */
		if (!lbe_selector_match(it->sel, &c->s->spec.labels))
			continue;
		for (j = 0; j < c->nips; j++) {
			int f = c->ips[j].fam == 4 ? AF_INET : AF_INET6;

			if (f != fam)
				continue;
			LB_GROW(out->v, out->n, out->cap);
			out->v[out->n++] = (struct hit){
				.ip = c->ips[j], .c = c, .advert = a->o.name,
				.item = it,
			};
		}
	}
}

static void family_routes(struct build *b, const struct lb_bgp_fam_spec *f,
			  struct lb_bgp_family *out)
{
	struct lb_named_set *advs = lbe_bgp_set(b->e, LB_KIND_BGP_ADVERT);
	struct lb_bgp_route *routes;
	struct hits h = { 0 };
	size_t i, j, n = 0;

	for (i = 0; i < b->ndone; i++) {
		if (b->done[i].f == f) {
			*out = b->done[i].out;
			return;
		}
	}
	out->family = f->family;
	/* No advertisements selector: nothing for this family. */
	for (i = 0; f->adverts && i < advs->n; i++) {
		const struct lb_bgp_obj *a = (const struct lb_bgp_obj *)advs->v[i];

		if (!lbe_selector_match(f->adverts, &a->spec.labels))
			continue;
		for (j = 0; j < a->spec.nitems; j++)
			item_hits(b, a, &a->spec.items[j], f->family, &h);
	}
	if (h.n)
		qsort(h.v, h.n, sizeof(*h.v), cmp_hit);
	routes = own(b, lb_xcalloc(h.n + 1, sizeof(*routes)));
	for (i = 0; i < h.n; i = j) {
		for (j = i + 1; j < h.n && lbe_addr_eq(&h.v[i].ip, &h.v[j].ip);
		     j++)
			;
		merge(b, &h.v[i], j - i, &routes[n++]);
	}
	free(h.v);
	out->n_routes = n;
	out->routes = routes;
	LB_GROW(b->done, b->ndone, b->capdone);
	b->done[b->ndone++] = (struct fam_done){ .f = f, .out = *out };
}

static void peer_answer(struct build *b, const struct lb_bgp_peer_spec *ps,
			struct lb_bgp_peer *p)
{
	struct lb_named_set *pcs = lbe_bgp_set(b->e, LB_KIND_BGP_PEER);
	const struct lb_bgp_obj *pc = NULL;
	struct lb_bgp_spec defaults = { 0 };
	const struct lb_bgp_spec *s = &defaults;
	struct lb_bgp_family *fams;
	size_t i;

	lbe_bgp_spec_defaults(&defaults);
	if (ps->config_ref) {
		pc = (const struct lb_bgp_obj *)lbe_named_find(pcs,
							       ps->config_ref);
		if (pc)
			s = &pc->spec;
	}
	*p = (struct lb_bgp_peer){
		.name = ps->name, .address = ps->addr, .peer_asn = ps->asn,
		.peer_config = ps->config_ref,
		.peer_config_missing = ps->config_ref && !pc,
		.peer_port = s->peer_port, .connect_retry_s = s->connect_retry,
		.hold_s = s->hold, .keepalive_s = s->keepalive,
		.ebgp_multihop = s->multihop, .graceful_restart = s->gr,
		.restart_time_s = s->restart,
	};
	/* A missing PeerConfig advertises nothing until it is applied. */
	fams = own(b, lb_xcalloc(s->nfams + 1, sizeof(*fams)));
	for (i = 0; !p->peer_config_missing && i < s->nfams; i++)
		family_routes(b, &s->fams[i], &fams[p->n_families++]);
	p->families = fams;
	lbe_bgp_spec_free(&defaults);
}

static int cmp_peer(const void *a, const void *b)
{
	return strcmp(((const struct lb_bgp_peer *)a)->name,
		      ((const struct lb_bgp_peer *)b)->name);
}

static int cmp_inst(const void *a, const void *b)
{
	const struct lb_bgp_instance *x = a, *y = b;
	int c = strcmp(x->cluster_config, y->cluster_config);

	return c ? c : strcmp(x->name, y->name);
}

static void cluster_answer(struct build *b, const struct lb_bgp_obj *cc,
			   struct lb_bgp_instance *out, size_t *n)
{
	size_t i, j;

	for (i = 0; i < cc->spec.ninsts; i++) {
		const struct lb_bgp_inst_spec *is = &cc->spec.insts[i];
		struct lb_bgp_instance *in = &out[(*n)++];
		struct lb_bgp_peer *peers;

		peers = own(b, lb_xcalloc(is->npeers + 1, sizeof(*peers)));
		for (j = 0; j < is->npeers; j++)
			peer_answer(b, &is->peers[j], &peers[j]);
		qsort(peers, is->npeers, sizeof(*peers), cmp_peer);
		*in = (struct lb_bgp_instance){
			.cluster_config = cc->o.name, .name = is->name,
			.local_asn = is->asn, .local_port = is->port,
			.n_peers = is->npeers, .peers = peers,
		};
	}
}

int lbe_bgp_node(struct lb_engine *e, const struct lb_l2_self *self,
		 lb_bgp_node_cb cb, void *arg)
{
	struct lb_named_set *ccs = lbe_bgp_set(e, LB_KIND_BGP_CLUSTER);
	struct build b = { .e = e };
	struct lb_bgp_instance *insts;
	struct lb_bgp_node node;
	struct lb_labels nl;
	size_t i, total = 0, n = 0;
	int rc;

	if (!self || !self->name)
		return -EINVAL;
	lbe_self_labels(e, self, &nl);
	collect(&b, self->name);
	for (i = 0; i < ccs->n; i++)
		total += ((const struct lb_bgp_obj *)ccs->v[i])->spec.ninsts;
	insts = own(&b, lb_xcalloc(total + 1, sizeof(*insts)));
	for (i = 0; i < ccs->n; i++) {
		const struct lb_bgp_obj *cc = (const struct lb_bgp_obj *)ccs->v[i];

		if (lbe_selector_match(cc->spec.node_sel, &nl))
			cluster_answer(&b, cc, insts, &n);
	}
	if (n)
		qsort(insts, n, sizeof(*insts), cmp_inst);
	node = (struct lb_bgp_node){
		.node = self->name, .n_instances = n, .instances = insts,
	};
	rc = cb(&node, arg);
	lbe_labels_free(&nl);
	build_free(&b);
	return rc;
}

bool lbe_bgp_changed(const struct lb_engine *e)
{
	return e->bgp_changed || e->changed_all || e->nchanged;
}

/* ---------------------------------------------------------- views --- */

static char *cluster_summary(const struct lb_bgp_spec *s)
{
	char *sel = lbe_selector_text(s->node_sel), *out;
	size_t i, peers = 0;

	for (i = 0; i < s->ninsts; i++)
		peers += s->insts[i].npeers;
	out = lb_xasprintf("instances=%zu peers=%zu nodeSelector=%s",
			   s->ninsts, peers, sel);
	free(sel);
	return out;
}

static char *peer_summary(const struct lb_bgp_spec *s)
{
	struct lb_strbuf b = { 0 };
	size_t i;

	lbe_sb_add(&b, "families=");
	for (i = 0; i < s->nfams; i++)
		lbe_sb_printf(&b, "%s%s", i ? "," : "",
			      s->fams[i].family == AF_INET ? "ipv4" : "ipv6");
	lbe_sb_printf(&b, " peerPort=%u holdTime=%u keepAlive=%u gracefulRestart=",
		      s->peer_port, s->hold, s->keepalive);
	if (s->gr)
		lbe_sb_printf(&b, "%us", s->restart);
	else
		lbe_sb_add(&b, "off");
	return lbe_sb_steal(&b);
}

static char *advert_summary(const struct lb_bgp_spec *s)
{
	static const char *const types[] = {
		[LB_BGP_ADV_SERVICE] = "Service",
		[LB_BGP_ADV_POD_CIDR] = "PodCIDR",
		[LB_BGP_ADV_POD_IP_POOL] = "CiliumPodIPPool",
	};
	struct lb_strbuf b = { 0 };
	size_t i;

	for (i = 0; i < s->nitems; i++) {
		const struct lb_bgp_adv_item *it = &s->items[i];
		char *sel;

		lbe_sb_printf(&b, "%s%s", i ? "; " : "", types[it->type]);
		if (it->type != LB_BGP_ADV_SERVICE)
			continue;
		sel = it->sel ? lbe_selector_text(it->sel) :
			lb_xstrdup("<none>");
		lbe_sb_printf(&b, "(%s%s%s) selector=%s",
			      it->lb_ip ? "LoadBalancerIP" : "",
			      it->cluster_ip ? " ClusterIP" : "",
			      it->external_ip ? " ExternalIP" : "", sel);
		free(sel);
	}
	return lbe_sb_steal(&b);
}

static int object_view(struct lb_engine *e, enum lb_kind kind,
		       const struct lb_bgp_obj *b, lb_bgp_object_cb cb,
		       void *arg)
{
	struct lb_bgp_object_info in = {
		.kind = kind, .name = b->o.name, .created = b->o.created,
		.generation = b->o.generation, .resource_version = b->o.st.rv,
	};
	struct lb_condition c;
	char *msg = NULL, *sum;
	int rc;

	if (kind == LB_KIND_BGP_CLUSTER) {
		sum = cluster_summary(&b->spec);
		lbe_bgp_cluster_conditions(e, b, &c, &msg);
		lbe_status_fill(&b->o.st, &c, 1);
		in.n_conditions = 1;
		in.conditions = &c;
	} else if (kind == LB_KIND_BGP_PEER) {
		sum = peer_summary(&b->spec);
	} else {
		sum = advert_summary(&b->spec);
	}
	in.summary = sum;
	rc = cb(&in, arg);
	free(sum);
	free(msg);
	return rc;
}

int lbe_foreach_bgp_object(struct lb_engine *e, enum lb_kind kind,
			   lb_bgp_object_cb cb, void *arg)
{
	struct lb_named_set *set;
	size_t i;
	int rc = 0;

	if (!lbe_bgp_kind(kind))
		return -EINVAL;
	set = lbe_bgp_set(e, kind);
	for (i = 0; i < set->n && !rc; i++)
		rc = object_view(e, kind, (const struct lb_bgp_obj *)set->v[i],
				 cb, arg);
	return rc;
}
