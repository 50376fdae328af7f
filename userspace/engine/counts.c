// SPDX-License-Identifier: GPL-2.0
/*
 * Pool counters: which pool each held IP is counted in, and the
 * "Pool counts changed" line when a pool's totals move.
 */
#include "engine_int.h"
#include "holding.h"

#include <stdlib.h>
#include <string.h>

static void attribute(struct lb_engine *e, struct lb_pool **by_prio,
		      struct lb_holding *h)
{
	struct lb_block *b = NULL;

	h->stale = false;
	h->pool = h->n ? lbe_keeping_pool(e, by_prio, h->holders[0], &h->addr,
					 &b) : NULL;
	h->counted_res = h->pool &&
			 lbe_pool_reserved(h->pool, b, &h->addr) != LB_RES_NONE;
	lbe_hold_count(h, 1);
}

void lbe_update_counts(struct lb_engine *e, struct lb_pool **by_prio)
{
	struct lb_holding *h;
	size_t i, it = 0;

	/*
	 * After a pool change everything is recounted; otherwise only the
	 * holdings touched by this reconcile move between counters.
	 */
	if (e->pools_dirty) {
		for (i = 0; i < e->npools; i++) {
			struct lb_pool *p = e->pools[i];

			p->used[0] = p->used[1] = 0;
			p->used_reserved[0] = p->used_reserved[1] = 0;
		}
		while ((h = lbe_htab_next(&e->holdings, &it))) {
			h->pool = NULL;
			attribute(e, by_prio, h);
		}
	} else {
		for (i = 0; i < e->ntouched; i++) {
			h = lbe_hold_find(e, &e->touched[i]);
			if (!h || !h->stale)
				continue;
			lbe_hold_count(h, -1);
			attribute(e, by_prio, h);
		}
	}
	e->ntouched = 0;
	for (i = 0; i < e->npools; i++) {
		struct lb_pool *p = e->pools[i];
		struct lb_counts k;
		char *now;

		lbe_pool_counts(p, 0, &k);
		if (lbe_log_on(e, LB_LOG_DEBUG))
			lbe_log(e, LB_LOG_DEBUG, "Updating pool counts", "pool",
			       p->name, NULL);
		now = lb_xasprintf("%s/%s/%s/%s", k.total, k.available,
				   k.used, k.reserved);
		if (p->counts_seen && !strcmp(p->counts_seen, now)) {
			free(now);
			continue;
		}
		free(p->counts_seen);
		p->counts_seen = now;
		e->state_seq++;
		if (lbe_log_on(e, LB_LOG_DEBUG)) {
			char *m = lb_xasprintf("Pool counts of '%s' changed, patching",
					       p->name);

			lbe_log(e, LB_LOG_DEBUG, m, "pool", p->name, "total",
			       k.total, "available", k.available, "used",
			       k.used, NULL);
			free(m);
		}
	}
}
