/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Addresses as 128-bit integers for range arithmetic: containment,
 * overlap, ordering and 192-bit counts.  Text goes through lib/lb_addr.
 */
#ifndef _LB_ENGINE_ADDR_H
#define _LB_ENGINE_ADDR_H

#include "../lib/lb_addr.h"

#include <stdbool.h>
#include <stdint.h>

typedef unsigned __int128 lb_u128;

/*
 * Both families live in one 128-bit integer so that range arithmetic is
 * shared; fam keeps 10.0.0.1 and ::a00:1 apart.
 */
struct lb_addr {
	lb_u128 v;
	uint8_t fam;		/* 4 or 6 */
};

/* Inclusive on both ends, as Cilium's ranges are. */
struct lb_range {
	struct lb_addr from;
	struct lb_addr to;
};

#define LB_ADDR_STRLEN 46
#define LB_RANGE_STRLEN (2 * LB_ADDR_STRLEN + 4)

/* lb_ip_parse() and lb_ip_str() on the 128-bit form. */
int lbe_addr_parse(const char *s, struct lb_addr *a);
const char *lbe_addr_fmt(const struct lb_addr *a, char *buf);
void lbe_addr_from_ip(struct lb_addr *a, int family, const void *bytes);
int lbe_addr_cmp(const struct lb_addr *a, const struct lb_addr *b);
bool lbe_addr_eq(const struct lb_addr *a, const struct lb_addr *b);
uint64_t lbe_addr_hash(const struct lb_addr *a);

/*
 * lb_cidr_parse() of "a.b.c.d/n" or "x::/n" as a range.  Host bits are
 * masked off as Cilium does; *masked tells the caller so it can warn
 * about a misaligned prefix.
 */
int lbe_range_parse_cidr(const char *s, struct lb_range *r, bool *masked);
bool lbe_range_contains(const struct lb_range *r, const struct lb_addr *a);
bool lbe_range_overlaps(const struct lb_range *a, const struct lb_range *b);
const char *lbe_range_fmt(const struct lb_range *r, char *buf);

/*
 * Address counts can reach 2^128 (a ::/0 block) and pools can hold many
 * blocks, so counts carry 192 bits.
 */
struct lb_count {
	uint64_t w[3];		/* little-endian words */
};

void lbe_count_zero(struct lb_count *c);
void lbe_count_add(struct lb_count *c, const struct lb_count *d);
void lbe_count_add_u64(struct lb_count *c, uint64_t n);
/* Saturates at zero. */
void lbe_count_sub(struct lb_count *c, const struct lb_count *d);
void lbe_count_add_range(struct lb_count *c, const struct lb_range *r);
bool lbe_count_is_zero(const struct lb_count *c);
/* Decimal; buf must hold LB_COUNT_STRLEN bytes. */
#define LB_COUNT_STRLEN 64
const char *lbe_count_fmt(const struct lb_count *c, char *buf);

#endif /* _LB_ENGINE_ADDR_H */
