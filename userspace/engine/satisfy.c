// SPDX-License-Identifier: GPL-2.0
/*
 * Handing out addresses to one Service: a requested IP, one shared under
 * its sharing key, or the next free one of its pools, with Cilium's reason
 * and message when none fits.
 */
#include "reconcile.h"

struct key_group {
	const char *key;
	struct lb_service **svcs;	/* first-come order */
	size_t n;
	size_t cap;
};

static const struct lb_htab_ops group_ops =
	LB_HTAB_STR_OPS(struct key_group, key);

static void satisfy_specific(struct rctx *c, struct lb_service *s)
{
	struct lb_engine *e = c->e;
	char ip[LB_ADDR_STRLEN];
	size_t i, j;

	for (i = 0; i < s->spec.nreq; i++) {
		const struct lb_addr *a = &s->spec.req[i];
		struct lb_pool *p = NULL;
		struct lb_block *b = NULL;
		struct lb_holding *h;
		bool contained = false;
		const char *why = NULL;

		if (holds(s, a))
			continue;
		lbe_addr_fmt(a, ip);
		for (j = 0; j < e->npools; j++) {
			struct lb_pool *q = c->pools[j];
			struct lb_block *qb;

			if (!lbe_pool_enabled(q))
				continue;
			qb = lbe_pool_block_of(q, a);
			if (!qb)
				continue;
			contained = true;
			if (selects(q, s)) {
				p = q;
				b = qb;
				break;
			}
		}
		if (!p) {
			if (contained)
				fail(c, "pool_selector_mismatch",
				     lb_xasprintf("The pool with the CIDR containing '%s', doesn't select this service",
						  ip));
			else
				fail(c, "no_pool",
				     lb_xasprintf("No pool exists with a CIDR containing '%s'",
						  ip));
			continue;
		}
		if (lbe_pool_reserved(p, b, a) != LB_RES_NONE) {
			fail(c, "ip_reserved",
			     lb_xasprintf("The IP '%s' is reserved in pool '%s'",
					  ip, p->name));
			continue;
		}
		h = lbe_hold_find(e, a);
		if (h && !s->spec.sharing_key) {
			fail(c, "already_allocated",
			     lb_xasprintf("The IP '%s' is already allocated to another service",
					  ip));
			continue;
		}
		for (j = 0; h && j < h->n && !why; j++)
			why = lbe_sharing_incompatible(e, s, h->holders[j]);
		if (why) {
			fail(c, "already_allocated_incompatible_service",
			     lb_xasprintf("The IP '%s' is already allocated to an incompatible service. Reason: %s",
					  ip, why));
			continue;
		}
		lbe_hold_add(e, s, a);
		log_ip(e, h ? "Sharing requested IP" : "Allocated requested IP",
		       s, a, "pool", p->name);
	}
}

static void build_groups(struct rctx *c)
{
	struct lb_engine *e = c->e;
	size_t i;

	lbe_htab_init(&c->groups, &group_ops);
	c->have_groups = true;
	for (i = 0; i < e->norder; i++) {
		struct lb_service *s = e->order[i];
		struct key_group *g;

		if (!s->spec.sharing_key)
			continue;
		g = lbe_htab_get(&c->groups, s->spec.sharing_key);
		if (!g) {
			g = lb_xcalloc(1, sizeof(*g));
			g->key = s->spec.sharing_key;
			lbe_htab_add(&c->groups, g);
		}
		LB_GROW(g->svcs, g->n, g->cap);
		g->svcs[g->n++] = s;
	}
}

static int cmp_holding_addr(const void *a, const void *b)
{
	const struct lb_holding *x = *(const struct lb_holding *const *)a;
	const struct lb_holding *y = *(const struct lb_holding *const *)b;

	return lbe_addr_cmp(&x->addr, &y->addr);
}

/*
 * Join an address already used under s's sharing key.  Unlike Cilium the
 * address must lie in an enabled pool that selects s, and candidates are
 * tried in address order so that restarts pick the same one.
 */
static bool join_shared(struct rctx *c, struct lb_service *s, uint8_t fam)
{
	struct lb_holding **cand = NULL;
	size_t n = 0, cap = 0, i, j;
	struct key_group *g;
	bool ok = false;

	if (!c->have_groups)
		build_groups(c);
	g = lbe_htab_get(&c->groups, s->spec.sharing_key);
	if (!g)
		return false;
	for (i = 0; i < g->n; i++) {
		struct lb_service *o = g->svcs[i];

		if (o == s)
			continue;
		for (j = 0; j < o->nheld; j++) {
			if (o->held[j]->addr.fam != fam)
				continue;
			LB_GROW(cand, n, cap);
			cand[n++] = o->held[j];
		}
	}
	if (n > 1)
		qsort(cand, n, sizeof(*cand), cmp_holding_addr);
	for (i = 0; i < n && !ok; i++) {
		struct lb_holding *h = cand[i];
		struct lb_block *b;
		struct lb_pool *p;

		if (i && cand[i - 1] == h)
			continue;
		for (j = 0; j < c->e->npools; j++) {
			p = c->pools[j];
			if (!lbe_pool_enabled(p) || !selects(p, s))
				continue;
			b = lbe_pool_block_of(p, &h->addr);
			if (b && !lbe_pool_reserved(p, b, &h->addr))
				break;
		}
		if (j == c->e->npools || !joinable(c, s, h))
			continue;
		lbe_hold_add(c->e, s, &h->addr);
		log_ip(c->e, "Sharing IP", s, &h->addr, "sharing-key",
		       s->spec.sharing_key);
		ok = true;
	}
	free(cand);
	return ok;
}

static bool alloc_from(struct rctx *c, struct lb_service *s,
		       struct lb_pool *p, uint8_t fam, bool *full)
{
	struct lb_addr a;
	size_t i;

	if (!lbe_pool_enabled(p) || !selects(p, s))
		return false;
	for (i = 0; i < p->spec.nblocks; i++) {
		struct lb_block *b = &p->spec.blocks[i];

		if (!b->valid || b->r.from.fam != fam)
			continue;
		if (lbe_block_alloc(c->e, p, b, &a)) {
			lbe_hold_add(c->e, s, &a);
			log_ip(c->e, "Allocated IP", s, &a, "pool", p->name);
			return true;
		}
		*full = true;
	}
	return false;
}

static void satisfy_generic(struct rctx *c, struct lb_service *s,
			    const uint8_t *fams, size_t nf)
{
	struct lb_engine *e = c->e;
	size_t i, j;

	for (i = 0; i < nf; i++) {
		bool full = false, got = false;

		if (holds_family(s, fams[i]))
			continue;
		if (s->revoked & (1u << lbe_fam_idx(fams[i]))) {
			fail(c, "ip_revoked",
			     lb_xasprintf("The IPv%d address left every pool that selects this service and is not replaced until the service changes",
					  fams[i]));
			continue;
		}
		if (s->spec.sharing_key && join_shared(c, s, fams[i]))
			continue;
		if (s->spec.npools) {
			/* An explicit pool list is tried in its own order. */
			for (j = 0; j < s->spec.npools && !got; j++) {
				struct lb_pool *p =
					lbe_pool(e, s->spec.pools[j]);

				got = p && alloc_from(c, s, p, fams[i], &full);
			}
		} else {
			for (j = 0; j < e->npools && !got; j++)
				got = alloc_from(c, s, c->pools[j], fams[i],
						 &full);
		}
		if (got)
			continue;
		if (full)
			fail(c, "out_of_ips",
			     lb_xstrdup("All enabled CiliumLoadBalancerIPPools that match this service ran out of allocatable IPs"));
		else
			fail(c, "no_pool",
			     lb_xstrdup("There are no enabled CiliumLoadBalancerIPPools that match this service"));
	}
}

void lbe_satisfy(struct rctx *c, struct lb_service *s, const uint8_t *fams,
		size_t nf)
{
	fail(c, NULL, NULL);
	if (s->spec.nreq)
		satisfy_specific(c, s);
	else
		satisfy_generic(c, s, fams, nf);
}

void lbe_sharing_groups_free(struct rctx *c)
{
	struct key_group *g;
	size_t it = 0;

	if (!c->have_groups)
		return;
	while ((g = lbe_htab_next(&c->groups, &it))) {
		free(g->svcs);
		free(g);
	}
	lbe_htab_free(&c->groups);
}
