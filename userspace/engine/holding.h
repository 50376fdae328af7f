/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Holdings: which Services hold an IP address, and the calls that add
 * and release them.
 */
#ifndef _LB_HOLDING_H
#define _LB_HOLDING_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>

struct lb_engine;
struct lb_pool;
struct lb_block;
struct lb_service;

/*
 * One held address.  Addresses are unique engine-wide, whatever pools
 * overlap, so an IP can never be handed out twice; sharing services sit
 * in one holding's holder list.
 */
struct lb_holding {
	struct lb_addr addr;
	struct lb_pool *pool;		/* where it is counted; may be NULL */
	bool stale;			/* holders changed: re-attribute */
	bool counted_res;		/* counted as a reserved address */
	struct lb_service **holders;	/* first-come order */
	size_t n;
	size_t cap;
};

struct lb_holding *lbe_hold_find(struct lb_engine *e, const struct lb_addr *a);
/* Adds s as a holder of a, creating the holding if needed. */
struct lb_holding *lbe_hold_add(struct lb_engine *e, struct lb_service *s,
			       const struct lb_addr *a);
/* Drops s's i-th held address; the address is freed with its last holder. */
void lbe_hold_release(struct lb_engine *e, struct lb_service *s, size_t i);
void lbe_hold_release_all(struct lb_engine *e, struct lb_service *s);
bool lbe_holding_has(const struct lb_holding *h, const struct lb_service *s);
/* Queue h for re-attribution and recounting at the end of the reconcile. */
void lbe_hold_touch(struct lb_engine *e, struct lb_holding *h);
/* Add (sign 1) or remove (-1) h's share of its pool's counters. */
void lbe_hold_count(struct lb_holding *h, int sign);

/* Lowest free, unreserved address of b; false if b is full. */
bool lbe_block_alloc(struct lb_engine *e, struct lb_pool *p, struct lb_block *b,
		    struct lb_addr *out);
void lbe_holdings_init(struct lb_engine *e);
void lbe_holdings_free(struct lb_engine *e);

#endif /* _LB_HOLDING_H */
