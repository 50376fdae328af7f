// SPDX-License-Identifier: GPL-2.0
/*
 * CiliumLoadBalancerIPPool objects: blocks from CIDRs or start/stop
 * ranges, reserved addresses, and whether a pool is usable.
 */
#include "pool.h"
#include "lb_engine.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void lbe_block_set_cidr(struct lb_block *b, const char *cidr)
{
	bool masked;

	b->spec = lb_xstrdup(cidr);
	b->from_cidr = true;
	if (lbe_range_parse_cidr(cidr, &b->r, &masked)) {
		b->error = lb_xasprintf("invalid CIDR '%s'", cidr);
		return;
	}
	b->valid = true;
	b->frontier = b->r.from.v;
}

void lbe_block_set_range(struct lb_block *b, const char *start,
			const char *stop)
{
	char f[LB_ADDR_STRLEN], t[LB_ADDR_STRLEN];

	b->spec = stop ? lb_xasprintf("%s-%s", start, stop) :
			 lb_xstrdup(start);
	if (lbe_addr_parse(start, &b->r.from)) {
		b->error = lb_xasprintf("invalid start IP '%s'", start);
		return;
	}
	if (!stop) {
		b->r.to = b->r.from;
	} else if (lbe_addr_parse(stop, &b->r.to)) {
		b->error = lb_xasprintf("invalid stop IP '%s'", stop);
		return;
	}
	if (b->r.from.fam != b->r.to.fam) {
		b->error = lb_xasprintf("start IP '%s' and stop IP '%s' are of different families",
					lbe_addr_fmt(&b->r.from, f),
					lbe_addr_fmt(&b->r.to, t));
		return;
	}
	if (b->r.from.v > b->r.to.v) {
		b->error = lb_xasprintf("start IP '%s' is greater than stop IP '%s'",
					lbe_addr_fmt(&b->r.from, f),
					lbe_addr_fmt(&b->r.to, t));
		return;
	}
	b->valid = true;
	b->frontier = b->r.from.v;
}

void lbe_block_free(struct lb_block *b)
{
	free(b->spec);
	free(b->error);
	free(b->freed);
}

void lbe_pool_spec_free(struct lb_pool_spec *s)
{
	size_t i;

	free(s->api_version);
	lbe_selector_free(s->sel);
	for (i = 0; i < s->nblocks; i++)
		lbe_block_free(&s->blocks[i]);
	free(s->blocks);
	free(s->reserved);
	for (i = 0; i < s->nproblems; i++)
		free(s->problems[i]);
	free(s->problems);
	memset(s, 0, sizeof(*s));
}

void lbe_pool_free(struct lb_pool *p)
{
	if (!p)
		return;
	lbe_pool_spec_free(&p->spec);
	free(p->name);
	free(p->doc);
	free(p->conflict_msg);
	free(p->counts_seen);
	lbe_objstat_free(&p->st);
	free(p);
}

bool lbe_pool_enabled(const struct lb_pool *p)
{
	return !p->spec.disabled && !p->conflicting;
}

struct lb_block *lbe_pool_block_of(const struct lb_pool *p,
				  const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < p->spec.nblocks; i++) {
		struct lb_block *b = &p->spec.blocks[i];

		if (b->valid && lbe_range_contains(&b->r, a))
			return b;
	}
	return NULL;
}

/*
 * Cilium withholds first and last only for CIDR blocks of more than two
 * addresses, and only when allowFirstLastIPs is No.
 */
bool lbe_block_reserves_ends(const struct lb_pool *p, const struct lb_block *b)
{
	return b->valid && b->from_cidr && !p->spec.allow_first_last &&
	       b->r.to.v - b->r.from.v >= 2;
}

enum lb_reserved_kind lbe_pool_reserved(const struct lb_pool *p,
				       const struct lb_block *b,
				       const struct lb_addr *a)
{
	size_t i;

	if (b && lbe_block_reserves_ends(p, b) &&
	    (a->v == b->r.from.v || a->v == b->r.to.v))
		return LB_RES_FIRST_LAST;
	for (i = 0; i < p->spec.nreserved; i++)
		if (lbe_range_contains(&p->spec.reserved[i], a))
			return LB_RES_USER;
	return LB_RES_NONE;
}

const struct lb_range *lbe_pool_user_reserved(const struct lb_pool *p,
					     const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < p->spec.nreserved; i++)
		if (lbe_range_contains(&p->spec.reserved[i], a))
			return &p->spec.reserved[i];
	return NULL;
}

static bool in_user_reserved(const struct lb_pool *p, const struct lb_addr *a)
{
	return lbe_pool_user_reserved(p, a) != NULL;
}

void lbe_pool_count_static(struct lb_pool *p)
{
	size_t i, j;

	for (i = 0; i < 2; i++) {
		lbe_count_zero(&p->total[i]);
		lbe_count_zero(&p->reserved[i]);
	}
	for (i = 0; i < p->spec.nblocks; i++) {
		struct lb_block *b = &p->spec.blocks[i];
		int f;

		if (!b->valid)
			continue;
		f = lbe_fam_idx(b->r.from.fam);
		lbe_count_add_range(&p->total[f], &b->r);
		for (j = 0; j < p->spec.nreserved; j++) {
			struct lb_range x = p->spec.reserved[j];

			if (!lbe_range_overlaps(&x, &b->r))
				continue;
			if (x.from.v < b->r.from.v)
				x.from.v = b->r.from.v;
			if (x.to.v > b->r.to.v)
				x.to.v = b->r.to.v;
			lbe_count_add_range(&p->reserved[f], &x);
		}
		if (lbe_block_reserves_ends(p, b)) {
			if (!in_user_reserved(p, &b->r.from))
				lbe_count_add_u64(&p->reserved[f], 1);
			if (!in_user_reserved(p, &b->r.to))
				lbe_count_add_u64(&p->reserved[f], 1);
		}
	}
}

void lbe_pool_counts(const struct lb_pool *p, int fam, struct lb_counts *out)
{
	struct lb_count tot, used, avail, res, ur;
	int f;

	lbe_count_zero(&tot);
	lbe_count_zero(&used);
	lbe_count_zero(&res);
	lbe_count_zero(&ur);
	for (f = 0; f < 2; f++) {
		if (fam && lbe_fam_idx((uint8_t)fam) != f)
			continue;
		lbe_count_add(&tot, &p->total[f]);
		lbe_count_add(&res, &p->reserved[f]);
		lbe_count_add_u64(&used, p->used[f]);
		lbe_count_add_u64(&ur, p->used_reserved[f]);
	}
	/* A reserved address a service still holds is counted as used. */
	lbe_count_sub(&res, &ur);
	avail = tot;
	lbe_count_sub(&avail, &used);
	lbe_count_sub(&avail, &res);
	lbe_count_fmt(&tot, out->total);
	lbe_count_fmt(&used, out->used);
	lbe_count_fmt(&avail, out->available);
	lbe_count_fmt(&res, out->reserved);
}
