/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CiliumLoadBalancerIPPool objects: spec, blocks with their allocation
 * state, and pool status.
 */
#ifndef _LB_POOL_H
#define _LB_POOL_H

#include "addr.h"
#include "selector.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_block {
	char *spec;		/* as written, for messages */
	struct lb_range r;
	bool from_cidr;
	bool valid;
	char *error;
	/*
	 * Allocation cursor: every address of r below frontier is held,
	 * reserved, or sits in the freed min-heap.  That keeps "lowest free
	 * address first" exact without per-address memory.
	 */
	lb_u128 frontier;
	bool scanned;		/* frontier ran past the end */
	lb_u128 *freed;
	size_t nfreed;
	size_t capfreed;
};

struct lb_pool_spec {
	char *api_version;
	int64_t priority;
	bool disabled;
	bool allow_first_last;
	struct lb_selector *sel;	/* NULL selects every service */
	struct lb_block *blocks;
	size_t nblocks;
	struct lb_range *reserved;
	size_t nreserved;
	/* Problems with reserved entries; blocks carry their own. */
	char **problems;
	size_t nproblems;
};

enum lb_reserved_kind {
	LB_RES_NONE,
	LB_RES_FIRST_LAST,
	LB_RES_USER,
};

struct lb_pool {
	char *name;
	int64_t created;
	uint64_t generation;
	char *doc;
	struct lb_objstat st;
	struct lb_pool_spec spec;
	bool conflicting;
	char *conflict_msg;
	/* Recomputed after every reconcile; index 0 is IPv4, 1 is IPv6. */
	struct lb_count total[2];
	struct lb_count reserved[2];
	uint64_t used[2];
	uint64_t used_reserved[2];
	char *counts_seen;	/* last counts logged, to log changes only */
};

static inline int lbe_fam_idx(uint8_t fam)
{
	return fam == 6;
}

void lbe_block_set_cidr(struct lb_block *b, const char *cidr);
void lbe_block_set_range(struct lb_block *b, const char *start,
			const char *stop);
void lbe_block_free(struct lb_block *b);
void lbe_pool_spec_free(struct lb_pool_spec *s);
void lbe_pool_free(struct lb_pool *p);

bool lbe_pool_enabled(const struct lb_pool *p);
/* First valid block containing a, or NULL. */
struct lb_block *lbe_pool_block_of(const struct lb_pool *p,
				  const struct lb_addr *a);
enum lb_reserved_kind lbe_pool_reserved(const struct lb_pool *p,
				       const struct lb_block *b,
				       const struct lb_addr *a);
/* The spec.reserved range holding a, if any. */
const struct lb_range *lbe_pool_user_reserved(const struct lb_pool *p,
					     const struct lb_addr *a);
/* Fill total[] and reserved[] from the spec. */
void lbe_pool_count_static(struct lb_pool *p);
struct lb_counts;
/* Counts of one family (4 or 6) or of both (0), from the last reconcile. */
void lbe_pool_counts(const struct lb_pool *p, int fam, struct lb_counts *out);
/* Block whose first/last addresses are withheld. */
bool lbe_block_reserves_ends(const struct lb_pool *p, const struct lb_block *b);

#endif /* _LB_POOL_H */
