// SPDX-License-Identifier: GPL-2.0
/*
 * Kubernetes bookkeeping of objects: generation, resourceVersion, and
 * condition transition times kept as meta.SetStatusCondition keeps them.
 */
#include "engine_int.h"
#include "bgp.h"
#include "holding.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void lbe_objstat_free(struct lb_objstat *st)
{
	size_t i;

	for (i = 0; i < st->nconds; i++) {
		free(st->conds[i].type);
		free(st->conds[i].status);
	}
	free(st->conds);
	st->conds = NULL;
	st->nconds = 0;
}

int64_t lbe_now(struct lb_engine *e)
{
	struct timespec ts;

	if (e->cfg.clock)
		return e->cfg.clock(e->cfg.clock_arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct lb_objstat *lbe_objstat(struct lb_engine *e, enum lb_kind kind,
				     const char *key)
{
	struct lb_named *named;
	struct lb_service *s;
	struct lb_pool *p;
	struct lb_eps *x;

	switch (kind) {
	case LB_KIND_POOL:
		p = lbe_pool(e, key);
		return p ? &p->st : NULL;
	case LB_KIND_SERVICE:
		s = lbe_service(e, key);
		return s ? &s->st : NULL;
	case LB_KIND_ENDPOINTSLICE:
		x = lbe_htab_get(&e->eps, key);
		return x ? &x->st : NULL;
	case LB_KIND_L2POLICY:
	case LB_KIND_NODE:
		named = lbe_named_find(kind == LB_KIND_NODE ? &e->nodes :
				      &e->l2pols, key);
		return named ? &named->st : NULL;
	case LB_KIND_BGP_CLUSTER:
	case LB_KIND_BGP_PEER:
	case LB_KIND_BGP_ADVERT:
		named = lbe_named_find(lbe_bgp_set(e, kind), key);
		return named ? &named->st : NULL;
	}
	return NULL;
}

uint64_t lbe_resource_version(struct lb_engine *e, enum lb_kind kind,
				    const char *ns, const char *name)
{
	char *key = lbe_key(kind, ns, name);
	struct lb_objstat *st = lbe_objstat(e, kind, key);

	free(key);
	return st ? st->rv : 0;
}

void lbe_rv_bump(struct lb_engine *e, struct lb_objstat *st)
{
	st->rv = ++e->rv;
}

void lbe_spec_changed(struct lb_engine *e, struct lb_objstat *st,
		     uint64_t spec_hash, uint64_t *generation)
{
	if (spec_hash != st->spec_hash)
		(*generation)++;
	st->spec_hash = spec_hash;
	lbe_rv_bump(e, st);
}

void lbe_status_touch(struct lb_engine *e, struct lb_service *s)
{
	if (s->stat_queued)
		return;
	LB_GROW(e->statq, e->nstatq, e->capstatq);
	e->statq[e->nstatq++] = s;
	s->stat_queued = true;
}

void lbe_status_untouch(struct lb_engine *e, struct lb_service *s)
{
	size_t i;

	if (!s->stat_queued)
		return;
	for (i = 0; i < e->nstatq; i++) {
		if (e->statq[i] == s) {
			e->statq[i] = e->statq[--e->nstatq];
			break;
		}
	}
	s->stat_queued = false;
}

static const struct lb_cond_rec *find_rec(const struct lb_objstat *st,
					  const char *type)
{
	size_t i;

	for (i = 0; i < st->nconds; i++)
		if (!strcmp(st->conds[i].type, type))
			return &st->conds[i];
	return NULL;
}

void lbe_status_fill(const struct lb_objstat *st, struct lb_condition *c,
		    size_t n)
{
	const struct lb_cond_rec *r;
	size_t i;

	for (i = 0; i < n; i++) {
		r = find_rec(st, c[i].type);
		if (!r)
			continue;
		c[i].last_transition = r->ltt;
		c[i].observed_generation = r->gen;
	}
}

static uint64_t hash_add(uint64_t h, const char *s)
{
	/* The terminating NUL separates fields: "ab","c" != "a","bc". */
	return lbe_hash_bytes(s ? s : "", s ? strlen(s) + 1 : 1, h);
}

static bool is_true(const struct lb_cond_rec *r)
{
	return r && !strcmp(r->status, "True");
}

/* Events for a condition that changed status (old: before, or NULL). */
static void transition_event(struct lb_engine *e, enum lb_kind kind,
			     const char *key, const struct lb_condition *c,
			     const struct lb_cond_rec *old)
{
	bool now_true = !strcmp(c->status, "True");
	const char *msg = c->message && *c->message ? c->message : c->reason;

	switch (kind) {
	case LB_KIND_POOL:
		if (!strcmp(c->type, "cilium.io/PoolConflict")) {
			if (now_true)
				lbe_event(e, true, "PoolConflict", kind, key,
					 "%s", msg);
			else if (is_true(old))
				lbe_event(e, false, "PoolConflictResolved",
					 kind, key,
					 "Pool no longer overlaps another pool");
		} else if (!strcmp(c->type, "lbipam.io/InvalidBlocks") &&
			   now_true) {
			lbe_event(e, true, "InvalidBlocks", kind, key, "%s", msg);
		}
		break;
	case LB_KIND_SERVICE:
		if (!strcmp(c->status, "False"))
			lbe_event(e, true, "AllocationFailed", kind, key,
				 "%s", msg);
		break;
	case LB_KIND_L2POLICY:
		if (now_true)
			lbe_event(e, true, "InvalidPolicy", kind, key, "%s: %s",
				 c->type, msg);
		break;
	default:
		break;
	}
}

/* The same condition types in the same order: the usual case, kept in place. */
static bool same_types(const struct lb_objstat *st,
		       const struct lb_condition *c, size_t n)
{
	size_t i;

	if (st->nconds != n)
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(st->conds[i].type, c[i].type))
			return false;
	return true;
}

/*
 * Replace st's records by conditions c (computed now for generation gen),
 * keeping a record's transition time while its status stays; extra is
 * a hash of the rest of the status (held IPs).
 */
static void sync_object(struct lb_engine *e, enum lb_kind kind,
			const char *key, struct lb_objstat *st, uint64_t gen,
			const struct lb_condition *c, size_t n, uint64_t extra)
{
	bool in_place = same_types(st, c, n);
	struct lb_cond_rec *nv = in_place ? st->conds :
				 lb_xcalloc(n + 1, sizeof(*nv));
	int64_t now = lbe_now(e) / 1000000000LL;
	uint64_t h = lbe_hash_bytes(&gen, sizeof(gen), extra);
	size_t i;

	for (i = 0; i < n; i++) {
		const struct lb_cond_rec *old = in_place ? &st->conds[i] :
						find_rec(st, c[i].type);
		bool same = old && !strcmp(old->status, c[i].status);

		h = hash_add(h, c[i].type);
		h = hash_add(h, c[i].status);
		h = hash_add(h, c[i].reason);
		h = hash_add(h, c[i].message);
		if (!same)
			transition_event(e, kind, key, &c[i], old);
		nv[i].gen = gen;
		if (in_place) {
			if (!same) {
				free(nv[i].status);
				nv[i].status = lb_xstrdup(c[i].status);
				nv[i].ltt = now;
			}
			continue;
		}
		nv[i].type = lb_xstrdup(c[i].type);
		nv[i].status = lb_xstrdup(c[i].status);
		nv[i].ltt = same ? old->ltt : now;
	}
	if (!in_place) {
		lbe_objstat_free(st);
		st->conds = nv;
		st->nconds = n;
	}
	if (h == st->status_hash)
		return;
	st->status_hash = h;
	lbe_rv_bump(e, st);
	lbe_note_change(e, kind, key, false);
}

/*
 * A Service's status straight from its fields (as query.c reports it),
 * without building the view: a bulk apply syncs every Service.
 */
static void sync_service(struct lb_engine *e, struct lb_service *s)
{
	struct lb_condition c = {
		.type = LB_SVC_COND_TYPE,
		.status = s->cond == LB_COND_TRUE ? "True" : "False",
		.reason = s->cond_reason,
		.message = s->cond_msg,
	};
	uint64_t h = 0x5f4dcc3b;
	size_t i;

	for (i = 0; i < s->nheld; i++) {
		h = lbe_hash_bytes(&s->held[i]->addr.v, sizeof(s->held[i]->addr.v),
				  h);
		h = lbe_hash_bytes(&s->held[i]->addr.fam,
				  sizeof(s->held[i]->addr.fam), h);
	}
	h = lbe_nodeipam_hash(e, s, h);
	sync_object(e, LB_KIND_SERVICE, s->key, &s->st, s->generation, &c,
		    s->cond != LB_COND_NONE, h);
}

static int sync_pool_cb(const struct lb_pool_info *pi, void *arg)
{
	struct lb_engine *e = arg;
	struct lb_pool *p = lbe_pool(e, pi->name);

	sync_object(e, LB_KIND_POOL, p->name, &p->st, p->generation,
		    pi->conditions, pi->n_conditions, 0);
	return 0;
}

static void sync_l2pol(struct lb_engine *e, struct lb_l2pol *p)
{
	struct lb_condition c[LB_L2P_COUNT];
	size_t i, n = 0;

	for (i = 0; i < LB_L2P_COUNT; i++) {
		if (!p->spec.problem[i])
			continue;
		c[n++] = (struct lb_condition){
			.type = lbe_l2_problem_type((enum lb_l2_problem)i),
			.status = "True", .reason = "error",
			.message = p->spec.problem[i],
		};
	}
	sync_object(e, LB_KIND_L2POLICY, p->o.name, &p->o.st, p->o.generation,
		    c, n, 0);
}

void lbe_status_sync(struct lb_engine *e)
{
	struct lb_service *s;
	size_t i;

	/* Pools and policies are few; their status is cheap to recompute. */
	lbe_foreach_pool(e, sync_pool_cb, e);
	for (i = 0; i < e->l2pols.n; i++)
		sync_l2pol(e, (struct lb_l2pol *)e->l2pols.v[i]);
	lbe_bgp_status_sync(e);
	for (i = 0; i < e->nstatq; i++) {
		s = e->statq[i];
		s->stat_queued = false;
		sync_service(e, s);
	}
	e->nstatq = 0;
}

void lbe_status_foreach(struct lb_engine *e, lb_objstat_fn fn, void *arg)
{
	struct lb_service *s;
	struct lb_eps *x;
	enum lb_kind k;
	size_t i, it = 0;

	for (i = 0; i < e->npools; i++)
		fn(e, LB_KIND_POOL, e->pools[i]->name, &e->pools[i]->st, arg);
	while ((s = lbe_htab_next(&e->svcs, &it)))
		fn(e, LB_KIND_SERVICE, s->key, &s->st, arg);
	it = 0;
	while ((x = lbe_htab_next(&e->eps, &it)))
		fn(e, LB_KIND_ENDPOINTSLICE, x->key, &x->st, arg);
	for (i = 0; i < e->l2pols.n; i++)
		fn(e, LB_KIND_L2POLICY, e->l2pols.v[i]->name,
		   &e->l2pols.v[i]->st, arg);
	for (i = 0; i < e->nodes.n; i++)
		fn(e, LB_KIND_NODE, e->nodes.v[i]->name, &e->nodes.v[i]->st,
		   arg);
	for (k = LB_KIND_BGP_CLUSTER; k <= LB_KIND_BGP_ADVERT; k++)
		for (i = 0; i < lbe_bgp_set(e, k)->n; i++)
			fn(e, k, lbe_bgp_set(e, k)->v[i]->name,
			   &lbe_bgp_set(e, k)->v[i]->st, arg);
}

void lbe_status_set(struct lb_engine *e, enum lb_kind kind, const char *key,
		    struct lb_objstat *st, uint64_t gen,
		    const struct lb_condition *c, size_t n)
{
	sync_object(e, kind, key, st, gen, c, n, 0);
}
