// SPDX-License-Identifier: GPL-2.0
/*
 * Reconciliation: which Service holds which IP.  Keeps held IPs that are
 * still valid, then serves waiting Services in first-come order.
 */
#include "reconcile.h"

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

	/* Node IPAM's class is never allocated from pools, even if listed. */
	if (!s->spec.is_lb || lbe_nodeipam_class(s))
		return false;
	if (!s->spec.lb_class)
		return !e->cfg.no_default_class;
	for (i = 0; i < e->nclasses; i++)
		if (!strcmp(e->classes[i], s->spec.lb_class))
			return true;
	return false;
}

/*
 * The pool through which s may keep address a.  Disabled and conflicting
 * pools count too: they stop new allocations, not existing ones.  Enabled
 * pools are preferred so that counts land where allocations happen.
 */
struct lb_pool *lbe_keeping_pool(struct lb_engine *e, struct lb_pool **by_prio,
				const struct lb_service *s,
				const struct lb_addr *a, struct lb_block **blk)
{
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < e->npools; i++) {
			struct lb_pool *p = by_prio[i];
			struct lb_block *b;

			if (lbe_pool_enabled(p) != !pass)
				continue;
			b = lbe_pool_block_of(p, a);
			if (b && selects(p, s)) {
				if (blk)
					*blk = b;
				return p;
			}
		}
	}
	return NULL;
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
		int f = lbe_fam_idx(h->addr.fam);

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
				lbe_mark_dirty(e, s);
			}
		}
		/* Earlier holders keep a shared IP; the newcomer yields. */
		for (j = 0; !why && j < h->n; j++) {
			struct lb_service *o = h->holders[j];

			if (o != s && o->rank < s->rank)
				why = lbe_sharing_incompatible(e, s, o);
		}
		if (why) {
			log_ip(e, "Releasing IP", s, &h->addr, "reason", why);
			lbe_hold_release(e, s, i);
			continue;
		}
		seen[f] = true;
		/* The spec may select other pools now; count it again. */
		lbe_hold_touch(e, h);
		i++;
	}
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
		if (!p || lbe_pool_reserved(p, b, a) != LB_RES_NONE)
			continue;
		h = lbe_hold_find(c->e, a);
		if (h && !joinable(c, s, h))
			continue;
		lbe_hold_add(c->e, s, a);
		log_ip(c->e, "Imported IP from service status", s, a,
		       "pool", p->name);
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
	lbe_status_touch(e, s);
	if (st == LB_COND_NONE)
		return;
	lbe_log(e, st == LB_COND_TRUE ? LB_LOG_DEBUG : LB_LOG_INFO,
	       "Service IPAM request condition changed", "service", s->key,
	       "status", st == LB_COND_TRUE ? "True" : "False", "reason",
	       reason, "message", msg, NULL);
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
				  lbe_addr_fmt(&s->held[i]->addr, ip)));
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

/* The families s wants that the cluster has. */
static size_t families(const struct lb_engine *e, const struct lb_service *s,
		       uint8_t *fams)
{
	return lbe_service_families(s, !e->cfg.ipv4_disabled,
				   !e->cfg.ipv6_disabled, fams);
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
				lbe_hold_release(e, s, s->nheld - 1);
			}
			set_cond(e, s, LB_COND_NONE, "", "");
			continue;
		}
		if (!e->pools_dirty && !s->check)
			continue;
		s->check = false;
		nf = families(e, s, fams);
		strip_invalid(c, s, fams, nf);
	}
	for (i = 0; i < n; i++) {
		struct lb_service *s = v[i];

		if (!s->managed || !s->spec.nhints)
			continue;
		nf = families(e, s, fams);
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
		nf = families(e, s, fams);
		if (!satisfied(s, fams, nf)) {
			lbe_satisfy(c, s, fams, nf);
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
void lbe_reconcile(struct lb_engine *e)
{
	struct rctx c = { .e = e };
	struct lb_service **v;
	size_t i, n;

	if (e->always_full)
		e->pools_dirty = true;
	lbe_settle_conflicts(e);
	lbe_sort_services(e);
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
			lbe_enqueue(e, v[i]);
	free(v);

	lbe_update_counts(e, c.pools);
	e->pools_dirty = false;
	lbe_sharing_groups_free(&c);
	free(c.pools);
}
