// SPDX-License-Identifier: GPL-2.0
/*
 * Reconciliation: which Service holds which IP.  Keeps held IPs that are
 * still valid, then serves waiting Services in first-come order.
 */
#include "engine_int.h"
#include "holding.h"

#include <stdlib.h>
#include <string.h>

struct key_group {
	const char *key;
	struct lb_service **svcs;	/* first-come order */
	size_t n;
	size_t cap;
};

struct rctx {
	struct lb_engine *e;
	struct lb_pool **pools;		/* priority, then name */
	struct lb_htab groups;		/* built on first use */
	bool have_groups;
	/* Last failure of the service being satisfied. */
	const char *reason;
	char *msg;
};

static uint64_t group_hash_entry(const void *entry)
{
	return lb_hash_str(((const struct key_group *)entry)->key);
}

static uint64_t group_hash_key(const void *key)
{
	return lb_hash_str(key);
}

static bool group_eq(const void *entry, const void *key)
{
	return !strcmp(((const struct key_group *)entry)->key, key);
}

static const struct lb_htab_ops group_ops = {
	.hash_entry = group_hash_entry,
	.hash_key = group_hash_key,
	.eq = group_eq,
};

static int cmp_priority(const void *a, const void *b)
{
	const struct lb_pool *p = *(const struct lb_pool *const *)a;
	const struct lb_pool *q = *(const struct lb_pool *const *)b;

	if (p->spec.priority != q->spec.priority)
		return p->spec.priority > q->spec.priority ? -1 : 1;
	return strcmp(p->name, q->name);
}

static bool responsible(const struct lb_engine *e, const struct lb_service *s)
{
	size_t i;

	if (!s->spec.is_lb)
		return false;
	if (!s->spec.lb_class)
		return !e->cfg.no_default_class;
	for (i = 0; i < e->nclasses; i++)
		if (!strcmp(e->classes[i], s->spec.lb_class))
			return true;
	return false;
}

static bool pool_chosen(const struct lb_service *s, const struct lb_pool *p)
{
	size_t i;

	if (!s->spec.npools)
		return true;
	for (i = 0; i < s->spec.npools; i++)
		if (!strcmp(s->spec.pools[i], p->name))
			return true;
	return false;
}

static bool selects(const struct lb_pool *p, const struct lb_service *s)
{
	return pool_chosen(s, p) && lb_selector_match(p->spec.sel,
						      &s->spec.labels);
}

/*
 * The pool through which s may keep address a.  Disabled and conflicting
 * pools count too: they stop new allocations, not existing ones.  Enabled
 * pools are preferred so that counts land where allocations happen.
 */
struct lb_pool *lb_keeping_pool(struct lb_engine *e, struct lb_pool **by_prio,
				const struct lb_service *s,
				const struct lb_addr *a, struct lb_block **blk)
{
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < e->npools; i++) {
			struct lb_pool *p = by_prio[i];
			struct lb_block *b;

			if (lb_pool_enabled(p) != !pass)
				continue;
			b = lb_pool_block_of(p, a);
			if (b && selects(p, s)) {
				if (blk)
					*blk = b;
				return p;
			}
		}
	}
	return NULL;
}

static struct lb_pool *keeping_pool(struct rctx *c, const struct lb_service *s,
				    const struct lb_addr *a,
				    struct lb_block **blk)
{
	return lb_keeping_pool(c->e, c->pools, s, a, blk);
}

static bool requested_ip(const struct lb_service *s, const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < s->spec.nreq; i++)
		if (lb_addr_eq(&s->spec.req[i], a))
			return true;
	return false;
}

static bool holds(const struct lb_service *s, const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < s->nheld; i++)
		if (lb_addr_eq(&s->held[i]->addr, a))
			return true;
	return false;
}

static bool holds_family(const struct lb_service *s, uint8_t fam)
{
	size_t i;

	for (i = 0; i < s->nheld; i++)
		if (s->held[i]->addr.fam == fam)
			return true;
	return false;
}

static bool fam_wanted(const uint8_t *fams, size_t nf, uint8_t fam)
{
	size_t i;

	for (i = 0; i < nf; i++)
		if (fams[i] == fam)
			return true;
	return false;
}

/* A log line and an event (IPAllocated or IPReleased) for one IP. */
static void log_ip(struct lb_engine *e, const char *msg,
		   const struct lb_service *s, const struct lb_addr *a,
		   const char *k, const char *v)
{
	bool released = !strncmp(msg, "Releasing", 9);
	size_t n = strlen(msg);
	char ip[LB_ADDR_STRLEN];

	lb_addr_fmt(a, ip);
	/* "Allocated IP 10.0.0.1 (pool: p)", "Imported IP from ...: 10.0.0.1" */
	lb_event(e, false, released ? "IPReleased" : "IPAllocated",
		 LB_KIND_SERVICE, s->key, "%s%s %s (%s: %s)",
		 released ? "Released IP" : msg,
		 released || (n >= 2 && !strcmp(msg + n - 2, "IP")) ? "" : ":",
		 ip, k, v);
	if (!lb_log_on(e, LB_LOG_INFO))
		return;
	lb_log(e, LB_LOG_INFO, msg, "service", s->key, "ip", ip, k, v, NULL);
}

/*
 * Drop what s may no longer hold.  Everything else stays, whatever
 * happened to pools or other services: that is the zero-churn rule.
 */
static void strip_invalid(struct rctx *c, struct lb_service *s,
			  const uint8_t *fams, size_t nf)
{
	struct lb_engine *e = c->e;
	bool seen[2] = { false, false };
	size_t i = 0, j;

	while (i < s->nheld) {
		struct lb_holding *h = s->held[i];
		const char *why = NULL;
		int f = lb_fam_idx(h->addr.fam);

		if (s->spec.nreq) {
			if (!requested_ip(s, &h->addr))
				why = "no longer requested";
		} else if (!fam_wanted(fams, nf, h->addr.fam)) {
			why = "family no longer requested";
		} else if (seen[f]) {
			why = "family already satisfied";
		}
		if (!why && !keeping_pool(c, s, &h->addr, NULL) &&
		    e->cfg.revoke_policy != LB_REVOKE_KEEP) {
			why = "no pool selecting the service contains the IP";
			if (e->cfg.revoke_policy == LB_REVOKE_PENDING) {
				s->revoked |= 1u << f;
				/* The flag is state: it must reach the database. */
				lb_engine_mark_dirty(e, s);
			}
		}
		/* Earlier holders keep a shared IP; the newcomer yields. */
		for (j = 0; !why && j < h->n; j++) {
			struct lb_service *o = h->holders[j];

			if (o != s && o->rank < s->rank)
				why = lb_sharing_incompatible(e, s, o);
		}
		if (why) {
			log_ip(e, "Releasing IP", s, &h->addr, "reason", why);
			lb_hold_release(e, s, i);
			continue;
		}
		seen[f] = true;
		/* The spec may select other pools now; count it again. */
		lb_hold_touch(e, h);
		i++;
	}
}

static bool joinable(struct rctx *c, const struct lb_service *s,
		     const struct lb_holding *h)
{
	size_t i;

	if (!s->spec.sharing_key)
		return false;
	for (i = 0; i < h->n; i++)
		if (lb_sharing_incompatible(c->e, s, h->holders[i]))
			return false;
	return true;
}

/*
 * Addresses a Service already carried in its status are taken back
 * before anything new is handed out, so a migration from Cilium (or a
 * lost database) does not renumber anyone.
 */
static void import_hints(struct rctx *c, struct lb_service *s,
			 const uint8_t *fams, size_t nf)
{
	size_t i;

	for (i = 0; i < s->spec.nhints; i++) {
		const struct lb_addr *a = &s->spec.hints[i];
		struct lb_holding *h;
		struct lb_block *b;
		struct lb_pool *p;

		if (holds(s, a))
			continue;
		if (s->spec.nreq ? !requested_ip(s, a) :
		    (!fam_wanted(fams, nf, a->fam) ||
		     holds_family(s, a->fam)))
			continue;
		p = keeping_pool(c, s, a, &b);
		if (!p || lb_pool_reserved(p, b, a) != LB_RES_NONE)
			continue;
		h = lb_hold_find(c->e, a);
		if (h && !joinable(c, s, h))
			continue;
		lb_hold_add(c->e, s, a);
		log_ip(c->e, "Imported IP from service status", s, a,
		       "pool", p->name);
	}
}

static void fail(struct rctx *c, const char *reason, char *msg)
{
	c->reason = reason;
	free(c->msg);
	c->msg = msg;
}

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
		lb_addr_fmt(a, ip);
		for (j = 0; j < e->npools; j++) {
			struct lb_pool *q = c->pools[j];
			struct lb_block *qb;

			if (!lb_pool_enabled(q))
				continue;
			qb = lb_pool_block_of(q, a);
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
		if (lb_pool_reserved(p, b, a) != LB_RES_NONE) {
			fail(c, "ip_reserved",
			     lb_xasprintf("The IP '%s' is reserved in pool '%s'",
					  ip, p->name));
			continue;
		}
		h = lb_hold_find(e, a);
		if (h && !s->spec.sharing_key) {
			fail(c, "already_allocated",
			     lb_xasprintf("The IP '%s' is already allocated to another service",
					  ip));
			continue;
		}
		for (j = 0; h && j < h->n && !why; j++)
			why = lb_sharing_incompatible(e, s, h->holders[j]);
		if (why) {
			fail(c, "already_allocated_incompatible_service",
			     lb_xasprintf("The IP '%s' is already allocated to an incompatible service. Reason: %s",
					  ip, why));
			continue;
		}
		lb_hold_add(e, s, a);
		log_ip(e, h ? "Sharing requested IP" : "Allocated requested IP",
		       s, a, "pool", p->name);
	}
}

static void build_groups(struct rctx *c);

static int cmp_holding_addr(const void *a, const void *b)
{
	const struct lb_holding *x = *(const struct lb_holding *const *)a;
	const struct lb_holding *y = *(const struct lb_holding *const *)b;

	return lb_addr_cmp(&x->addr, &y->addr);
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
	g = lb_htab_get(&c->groups, s->spec.sharing_key);
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
			if (!lb_pool_enabled(p) || !selects(p, s))
				continue;
			b = lb_pool_block_of(p, &h->addr);
			if (b && !lb_pool_reserved(p, b, &h->addr))
				break;
		}
		if (j == c->e->npools || !joinable(c, s, h))
			continue;
		lb_hold_add(c->e, s, &h->addr);
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

	if (!lb_pool_enabled(p) || !selects(p, s))
		return false;
	for (i = 0; i < p->spec.nblocks; i++) {
		struct lb_block *b = &p->spec.blocks[i];

		if (!b->valid || b->r.from.fam != fam)
			continue;
		if (lb_block_alloc(c->e, p, b, &a)) {
			lb_hold_add(c->e, s, &a);
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
		if (s->revoked & (1u << lb_fam_idx(fams[i]))) {
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
					lb_engine_pool(e, s->spec.pools[j]);

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

static bool satisfied(const struct lb_service *s, const uint8_t *fams,
		      size_t nf)
{
	size_t i;

	if (s->spec.nreq) {
		for (i = 0; i < s->spec.nreq; i++)
			if (!holds(s, &s->spec.req[i]))
				return false;
		return true;
	}
	for (i = 0; i < nf; i++)
		if (!holds_family(s, fams[i]))
			return false;
	return true;
}

static void set_cond(struct lb_engine *e, struct lb_service *s,
		     enum lb_cond_status st, const char *reason,
		     const char *msg)
{
	if (s->cond == st &&
	    !strcmp(s->cond_reason ? s->cond_reason : "", reason) &&
	    !strcmp(s->cond_msg ? s->cond_msg : "", msg))
		return;
	s->cond = st;
	free(s->cond_reason);
	free(s->cond_msg);
	s->cond_reason = st == LB_COND_NONE ? NULL : lb_xstrdup(reason);
	s->cond_msg = st == LB_COND_NONE ? NULL : lb_xstrdup(msg);
	e->state_seq++;
	lb_status_touch(e, s);
	if (st == LB_COND_NONE)
		return;
	lb_log(e, st == LB_COND_TRUE ? LB_LOG_DEBUG : LB_LOG_INFO,
	       "Service IPAM request condition changed", "service", s->key,
	       "status", st == LB_COND_TRUE ? "True" : "False", "reason",
	       reason, "message", msg, NULL);
}

static void build_groups(struct rctx *c)
{
	struct lb_engine *e = c->e;
	size_t i;

	lb_htab_init(&c->groups, &group_ops);
	c->have_groups = true;
	for (i = 0; i < e->norder; i++) {
		struct lb_service *s = e->order[i];
		struct key_group *g;

		if (!s->spec.sharing_key)
			continue;
		g = lb_htab_get(&c->groups, s->spec.sharing_key);
		if (!g) {
			g = lb_xcalloc(1, sizeof(*g));
			g->key = s->spec.sharing_key;
			lb_htab_add(&c->groups, g);
		}
		LB_GROW(g->svcs, g->n, g->cap);
		g->svcs[g->n++] = s;
	}
}

static void free_groups(struct rctx *c)
{
	struct key_group *g;
	size_t it = 0;

	if (!c->have_groups)
		return;
	while ((g = lb_htab_next(&c->groups, &it))) {
		free(g->svcs);
		free(g);
	}
	lb_htab_free(&c->groups);
}

/* Under LB_REVOKE_KEEP: says which held IP no pool covers any more. */
static bool outside_pools(struct rctx *c, struct lb_service *s)
{
	char ip[LB_ADDR_STRLEN];
	size_t i;

	if (c->e->cfg.revoke_policy != LB_REVOKE_KEEP)
		return false;
	for (i = 0; i < s->nheld; i++) {
		if (keeping_pool(c, s, &s->held[i]->addr, NULL))
			continue;
		fail(c, "ip_outside_pools",
		     lb_xasprintf("The IP '%s' is no longer in any pool that selects this service; kept by the revocation policy",
				  lb_addr_fmt(&s->held[i]->addr, ip)));
		return true;
	}
	return false;
}

static int cmp_rank(const void *a, const void *b)
{
	size_t x = (*(struct lb_service *const *)a)->rank;
	size_t y = (*(struct lb_service *const *)b)->rank;

	return x < y ? -1 : x > y;
}

/* The services this pass looks at, in first-come order. */
static struct lb_service **to_visit(struct lb_engine *e, size_t *n)
{
	struct lb_service **v;

	if (e->pools_dirty) {
		*n = e->norder;
		v = lb_xmalloc((*n + 1) * sizeof(*v));
		if (*n)
			memcpy(v, e->order, *n * sizeof(*v));
		return v;
	}
	*n = e->nwork;
	v = lb_xmalloc((*n + 1) * sizeof(*v));
	if (*n)
		memcpy(v, e->work, *n * sizeof(*v));
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_rank);
	return v;
}

/* Who is ours, and which held IPs lost their basis. */
static void revalidate(struct rctx *c, struct lb_service **v, size_t n)
{
	struct lb_engine *e = c->e;
	uint8_t fams[2];
	size_t i, nf;

	for (i = 0; i < n; i++) {
		struct lb_service *s = v[i];

		/*
		 * Without any pool LB-IPAM is dormant, as in Cilium: it
		 * leaves Services alone, so a cluster that does not use it
		 * sees no conditions from it.
		 */
		s->managed = e->npools && responsible(e, s);
		if (!s->managed) {
			while (s->nheld) {
				log_ip(e, "Releasing IP", s,
				       &s->held[s->nheld - 1]->addr, "reason",
				       e->npools ? "service not handled by LB-IPAM" :
						   "no pools left");
				lb_hold_release(e, s, s->nheld - 1);
			}
			set_cond(e, s, LB_COND_NONE, "", "");
			continue;
		}
		if (!e->pools_dirty && !s->check)
			continue;
		s->check = false;
		nf = lb_service_families(s, !e->cfg.ipv4_disabled,
					 !e->cfg.ipv6_disabled, fams);
		strip_invalid(c, s, fams, nf);
	}
	for (i = 0; i < n; i++) {
		struct lb_service *s = v[i];

		if (!s->managed || !s->spec.nhints)
			continue;
		nf = lb_service_families(s, !e->cfg.ipv4_disabled,
					 !e->cfg.ipv6_disabled, fams);
		import_hints(c, s, fams, nf);
	}
}

/* Serve the waiting, oldest first, and set every condition. */
static void serve(struct rctx *c, struct lb_service **v, size_t n)
{
	struct lb_engine *e = c->e;
	uint8_t fams[2];
	size_t i, nf;

	for (i = 0; i < n; i++) {
		struct lb_service *s = v[i];

		if (!s->managed)
			continue;
		nf = lb_service_families(s, !e->cfg.ipv4_disabled,
					 !e->cfg.ipv6_disabled, fams);
		if (!satisfied(s, fams, nf)) {
			fail(c, NULL, NULL);
			if (s->spec.nreq)
				satisfy_specific(c, s);
			else
				satisfy_generic(c, s, fams, nf);
		}
		if (satisfied(s, fams, nf) && outside_pools(c, s))
			set_cond(e, s, LB_COND_TRUE, "ip_outside_pools",
				 c->msg ? c->msg : "");
		else if (satisfied(s, fams, nf))
			set_cond(e, s, LB_COND_TRUE, "satisfied", "");
		else
			set_cond(e, s, LB_COND_FALSE,
				 c->reason ? c->reason : "unknown",
				 c->msg ? c->msg : "");
	}
}

/*
 * One deterministic pass: settle conflicts, drop holdings that lost their
 * basis, take back status IPs, then serve the waiting services oldest
 * first.  After a pool change every service is looked at; otherwise only
 * the work list (changed and unsatisfied services), which gives the same
 * result because nothing else can have moved.  Running it twice changes
 * nothing.
 */
void lb_reconcile(struct lb_engine *e)
{
	struct rctx c = { .e = e };
	struct lb_service **v;
	size_t i, n;

	if (e->always_full)
		e->pools_dirty = true;
	lb_settle_conflicts(e);
	lb_engine_sort_services(e);
	c.pools = lb_xmalloc((e->npools + 1) * sizeof(*c.pools));
	if (e->npools)
		memcpy(c.pools, e->pools, e->npools * sizeof(*c.pools));
	qsort(c.pools, e->npools, sizeof(*c.pools), cmp_priority);
	v = to_visit(e, &n);
	revalidate(&c, v, n);
	serve(&c, v, n);
	free(c.msg);

	/* Only the unsatisfied stay on the work list. */
	for (i = 0; i < e->nwork; i++)
		e->work[i]->queued = false;
	e->nwork = 0;
	for (i = 0; i < n; i++)
		if (v[i]->managed && v[i]->cond != LB_COND_TRUE)
			lb_engine_enqueue(e, v[i]);
	free(v);

	lb_update_counts(e, c.pools);
	e->pools_dirty = false;
	free_groups(&c);
	free(c.pools);
}
