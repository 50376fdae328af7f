// SPDX-License-Identifier: GPL-2.0
/*
 * Holdings: the table from IP address to the Services holding it (one,
 * or several sharing it), and adding and releasing them.
 */
#include "holding.h"
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_entry(const void *entry)
{
	const struct lb_holding *h = entry;

	return lbe_addr_hash(&h->addr);
}

static uint64_t hash_key(const void *key)
{
	return lbe_addr_hash(key);
}

static bool eq(const void *entry, const void *key)
{
	const struct lb_holding *h = entry;

	return lbe_addr_eq(&h->addr, key);
}

static const struct lb_htab_ops holding_ops = {
	.hash_entry = hash_entry,
	.hash_key = hash_key,
	.eq = eq,
};

void lbe_holdings_init(struct lb_engine *e)
{
	lbe_htab_init(&e->holdings, &holding_ops);
}

void lbe_holdings_free(struct lb_engine *e)
{
	struct lb_holding *h;
	size_t it = 0;

	while ((h = lbe_htab_next(&e->holdings, &it))) {
		free(h->holders);
		free(h);
	}
	lbe_htab_free(&e->holdings);
	free(e->touched);
	e->touched = NULL;
	e->ntouched = e->captouched = 0;
}

struct lb_holding *lbe_hold_find(struct lb_engine *e, const struct lb_addr *a)
{
	return lbe_htab_get(&e->holdings, a);
}

bool lbe_holding_has(const struct lb_holding *h, const struct lb_service *s)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->holders[i] == s)
			return true;
	return false;
}

struct lb_holding *lbe_hold_add(struct lb_engine *e, struct lb_service *s,
			       const struct lb_addr *a)
{
	struct lb_holding *h = lbe_hold_find(e, a);
	size_t i;

	if (!h) {
		h = lb_xcalloc(1, sizeof(*h));
		h->addr = *a;
		lbe_htab_add(&e->holdings, h);
	}
	LB_GROW(h->holders, h->n, h->cap);
	for (i = h->n; i > 0; i--) {
		if (lbe_service_cmp_age(h->holders[i - 1], s) < 0)
			break;
		h->holders[i] = h->holders[i - 1];
	}
	h->holders[i] = s;
	h->n++;
	lbe_hold_touch(e, h);
	LB_GROW(s->held, s->nheld, s->capheld);
	s->held[s->nheld++] = h;
	lbe_mark_dirty(e, s);
	e->state_seq++;
	return h;
}

static void heap_push(struct lb_block *b, lb_u128 v)
{
	size_t i;

	LB_GROW(b->freed, b->nfreed, b->capfreed);
	i = b->nfreed++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (b->freed[parent] <= v)
			break;
		b->freed[i] = b->freed[parent];
		i = parent;
	}
	b->freed[i] = v;
}

static lb_u128 heap_pop(struct lb_block *b)
{
	lb_u128 top = b->freed[0], last = b->freed[--b->nfreed];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= b->nfreed)
			break;
		if (c + 1 < b->nfreed && b->freed[c + 1] < b->freed[c])
			c++;
		if (last <= b->freed[c])
			break;
		b->freed[i] = b->freed[c];
		i = c;
	}
	if (b->nfreed)
		b->freed[i] = last;
	return top;
}

/* Hand a freed address back to every block cursor that already passed it. */
static void note_freed(struct lb_engine *e, const struct lb_addr *a)
{
	size_t i, j;

	for (i = 0; i < e->npools; i++) {
		struct lb_pool *p = e->pools[i];

		for (j = 0; j < p->spec.nblocks; j++) {
			struct lb_block *b = &p->spec.blocks[j];

			if (!b->valid || !lbe_range_contains(&b->r, a))
				continue;
			if (!b->scanned && a->v >= b->frontier)
				continue;
			/*
			 * A block that stopped allocating would collect
			 * stale entries forever; past a bound, rescanning
			 * from the start is cheaper and just as exact.
			 */
			if (b->nfreed >= 4096 && b->nfreed > 2 * e->holdings.n) {
				b->nfreed = 0;
				b->scanned = false;
				b->frontier = b->r.from.v;
				continue;
			}
			heap_push(b, a->v);
		}
	}
}

void lbe_hold_touch(struct lb_engine *e, struct lb_holding *h)
{
	if (h->stale)
		return;
	h->stale = true;
	/* Addresses, not pointers: the holding may be gone by then. */
	LB_GROW(e->touched, e->ntouched, e->captouched);
	e->touched[e->ntouched++] = h->addr;
}

void lbe_hold_count(struct lb_holding *h, int sign)
{
	int f = lbe_fam_idx(h->addr.fam);

	if (!h->pool)
		return;
	h->pool->used[f] += sign;
	if (h->counted_res)
		h->pool->used_reserved[f] += sign;
}

void lbe_hold_release(struct lb_engine *e, struct lb_service *s, size_t idx)
{
	struct lb_holding *h = s->held[idx];
	size_t i;

	memmove(&s->held[idx], &s->held[idx + 1],
		(s->nheld - idx - 1) * sizeof(s->held[0]));
	s->nheld--;
	lbe_mark_dirty(e, s);
	e->state_seq++;
	for (i = 0; i < h->n; i++) {
		if (h->holders[i] == s) {
			memmove(&h->holders[i], &h->holders[i + 1],
				(h->n - i - 1) * sizeof(h->holders[0]));
			h->n--;
			lbe_hold_touch(e, h);
			break;
		}
	}
	if (h->n)
		return;
	lbe_hold_count(h, -1);
	lbe_htab_del(&e->holdings, &h->addr);
	note_freed(e, &h->addr);
	free(h->holders);
	free(h);
}

void lbe_hold_release_all(struct lb_engine *e, struct lb_service *s)
{
	while (s->nheld)
		lbe_hold_release(e, s, s->nheld - 1);
}

static bool addr_free(struct lb_engine *e, struct lb_pool *p,
		      struct lb_block *b, const struct lb_addr *a)
{
	return !lbe_hold_find(e, a) && lbe_pool_reserved(p, b, a) == LB_RES_NONE;
}

bool lbe_block_alloc(struct lb_engine *e, struct lb_pool *p, struct lb_block *b,
		    struct lb_addr *out)
{
	struct lb_addr a = { .fam = b->r.from.fam };

	while (b->nfreed) {
		a.v = heap_pop(b);
		/* Stale entries: re-taken by a request, or duplicates. */
		if (addr_free(e, p, b, &a)) {
			*out = a;
			return true;
		}
	}
	while (!b->scanned) {
		const struct lb_range *res;
		lb_u128 last;

		a.v = b->frontier;
		/*
		 * Step over a whole reservation at once: it may span more
		 * addresses than could ever be visited one by one.
		 */
		res = lbe_pool_user_reserved(p, &a);
		last = res && res->to.v < b->r.to.v ? res->to.v :
		       res ? b->r.to.v : a.v;
		if (last == b->r.to.v)
			b->scanned = true;
		else
			b->frontier = last + 1;
		if (!res && addr_free(e, p, b, &a)) {
			*out = a;
			return true;
		}
	}
	return false;
}
