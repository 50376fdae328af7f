// SPDX-License-Identifier: GPL-2.0
/*
 * Pool conflicts: a pool whose blocks overlap an older pool's is marked
 * conflicting and gives no new IPs, as in Cilium.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

/* Visit pools oldest first, names settling equal creation times. */
static int cmp_age(const void *a, const void *b)
{
	const struct lb_pool *p = *(const struct lb_pool *const *)a;
	const struct lb_pool *q = *(const struct lb_pool *const *)b;

	if (p->created != q->created)
		return p->created < q->created ? -1 : 1;
	return strcmp(p->name, q->name);
}

static bool blocks_overlap(const struct lb_pool *p, const struct lb_pool *q,
			   const struct lb_block **bp,
			   const struct lb_block **bq)
{
	size_t i, j;

	for (i = 0; i < p->spec.nblocks; i++) {
		const struct lb_block *x = &p->spec.blocks[i];

		if (!x->valid)
			continue;
		/* Within one pool only later blocks need checking. */
		for (j = p == q ? i + 1 : 0; j < q->spec.nblocks; j++) {
			const struct lb_block *y = &q->spec.blocks[j];

			if (y->valid && lbe_range_overlaps(&x->r, &y->r)) {
				*bp = x;
				*bq = y;
				return true;
			}
		}
	}
	return false;
}

static void mark(struct lb_engine *e, struct lb_pool *target,
		 const struct lb_block *tb, const struct lb_pool *other,
		 const struct lb_block *ob)
{
	char a[LB_RANGE_STRLEN], b[LB_RANGE_STRLEN];

	target->conflicting = true;
	e->pools_dirty = true;
	free(target->conflict_msg);
	target->conflict_msg =
		lb_xasprintf("Pool conflicts since range '%s' overlaps range '%s' from IP Pool '%s'",
			     lbe_range_fmt(&tb->r, a), lbe_range_fmt(&ob->r, b),
			     other->name);
	e->state_seq++;
	lbe_log(e, LB_LOG_INFO, "Pool is conflicting, no allocations from it",
	       "pool", target->name, "reason", target->conflict_msg, NULL);
}

/*
 * Same two passes as Cilium's settleConflicts, but over pools in age and
 * name order instead of Go map order so that the outcome is reproducible.  A
 * marked pool stays marked while it overlaps anything, which keeps the
 * pool that has been serving in place.
 */
void lbe_settle_conflicts(struct lb_engine *e)
{
	const struct lb_block *bp, *bq;
	struct lb_pool **v;
	size_t i, j;

	if (!e->npools)
		return;
	v = lb_xmalloc(e->npools * sizeof(*v));
	memcpy(v, e->pools, e->npools * sizeof(*v));
	qsort(v, e->npools, sizeof(*v), cmp_age);

	for (i = 0; i < e->npools; i++) {
		struct lb_pool *p = v[i];

		if (p->conflicting)
			continue;
		if (blocks_overlap(p, p, &bp, &bq)) {
			mark(e, p, bp, p, bq);
			continue;
		}
		for (j = 0; j < e->npools; j++) {
			struct lb_pool *q = v[j];

			if (q == p || q->conflicting ||
			    !blocks_overlap(p, q, &bp, &bq))
				continue;
			/*
			 * Cilium marks P unless P is strictly older, so a
			 * tie marks the pool visited first: the one whose
			 * name sorts first.
			 */
			if (p->created < q->created)
				mark(e, q, bq, p, bp);
			else
				mark(e, p, bp, q, bq);
			break;
		}
	}

	for (i = 0; i < e->npools; i++) {
		struct lb_pool *p = v[i];
		bool hit = false;

		if (!p->conflicting)
			continue;
		for (j = 0; j < e->npools && !hit; j++)
			hit = blocks_overlap(p, v[j], &bp, &bq);
		if (hit)
			continue;
		p->conflicting = false;
		e->pools_dirty = true;
		free(p->conflict_msg);
		p->conflict_msg = NULL;
		e->state_seq++;
		lbe_log(e, LB_LOG_INFO, "Pool conflict resolved", "pool",
		       p->name, NULL);
	}
	free(v);
}
