// SPDX-License-Identifier: GPL-2.0
/*
 * Address and range arithmetic for pools and holdings, and 192-bit
 * address counts; the text forms come from lib/lb_addr.c.
 */
#include "addr.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lbe_addr_from_ip(struct lb_addr *a, int family, const void *bytes)
{
	const unsigned char *b = bytes;
	int i, n = family == AF_INET ? 4 : 16;

	a->v = 0;
	for (i = 0; i < n; i++)
		a->v = (a->v << 8) | b[i];
	a->fam = family == AF_INET ? 4 : 6;
}

static void addr_to_ip(const struct lb_addr *a, int *family,
		       unsigned char *b)
{
	lb_u128 v = a->v;
	int i, n = a->fam == 4 ? 4 : 16;

	for (i = n - 1; i >= 0; i--) {
		b[i] = (unsigned char)v;
		v >>= 8;
	}
	*family = a->fam == 4 ? AF_INET : AF_INET6;
}

int lbe_addr_parse(const char *s, struct lb_addr *a)
{
	unsigned char b[16];
	int family;

	memset(a, 0, sizeof(*a));
	if (lb_ip_parse(s, &family, b))
		return -EINVAL;
	lbe_addr_from_ip(a, family, b);
	return 0;
}

const char *lbe_addr_fmt(const struct lb_addr *a, char *buf)
{
	unsigned char b[16];
	int family;

	addr_to_ip(a, &family, b);
	return lb_ip_str(family, b, buf, LB_ADDR_STRLEN);
}

int lbe_addr_cmp(const struct lb_addr *a, const struct lb_addr *b)
{
	if (a->fam != b->fam)
		return a->fam < b->fam ? -1 : 1;
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return 0;
}

bool lbe_addr_eq(const struct lb_addr *a, const struct lb_addr *b)
{
	return a->fam == b->fam && a->v == b->v;
}

uint64_t lbe_addr_hash(const struct lb_addr *a)
{
	uint64_t w[2] = { (uint64_t)a->v, (uint64_t)(a->v >> 64) };

	return lbe_hash_bytes(w, sizeof(w), a->fam);
}

int lbe_range_parse_cidr(const char *s, struct lb_range *r, bool *masked)
{
	unsigned int width;
	struct lb_cidr c;
	lb_u128 hostmask;

	if (lb_cidr_parse(s, LB_CIDR_MASK, &c, masked, NULL, 0))
		return -EINVAL;
	lbe_addr_from_ip(&r->from, c.family, &c.addr);
	width = c.family == AF_INET ? 32 : 128;
	hostmask = c.plen == width ? 0 :
		   (((lb_u128)1 << (width - c.plen - 1)) << 1) - 1;
	r->to = r->from;
	r->to.v |= hostmask;
	return 0;
}

bool lbe_range_contains(const struct lb_range *r, const struct lb_addr *a)
{
	return a->fam == r->from.fam && a->v >= r->from.v && a->v <= r->to.v;
}

bool lbe_range_overlaps(const struct lb_range *a, const struct lb_range *b)
{
	return a->from.fam == b->from.fam && a->from.v <= b->to.v &&
	       b->from.v <= a->to.v;
}

const char *lbe_range_fmt(const struct lb_range *r, char *buf)
{
	char f[LB_ADDR_STRLEN], t[LB_ADDR_STRLEN];

	snprintf(buf, LB_RANGE_STRLEN, "%s - %s", lbe_addr_fmt(&r->from, f),
		 lbe_addr_fmt(&r->to, t));
	return buf;
}

void lbe_count_zero(struct lb_count *c)
{
	memset(c, 0, sizeof(*c));
}

void lbe_count_add(struct lb_count *c, const struct lb_count *d)
{
	unsigned int carry = 0;
	int i;

	for (i = 0; i < 3; i++) {
		uint64_t s = c->w[i] + d->w[i];
		unsigned int c1 = s < c->w[i];
		uint64_t s2 = s + carry;

		carry = c1 | (s2 < s);
		c->w[i] = s2;
	}
}

void lbe_count_add_u64(struct lb_count *c, uint64_t n)
{
	struct lb_count d = { { n, 0, 0 } };

	lbe_count_add(c, &d);
}

void lbe_count_sub(struct lb_count *c, const struct lb_count *d)
{
	unsigned int borrow = 0;
	struct lb_count r;
	int i;

	for (i = 0; i < 3; i++) {
		uint64_t s = c->w[i] - d->w[i];
		unsigned int b1 = c->w[i] < d->w[i];
		uint64_t s2 = s - borrow;

		borrow = b1 | (s < (uint64_t)borrow);
		r.w[i] = s2;
	}
	if (borrow)
		lbe_count_zero(c);
	else
		*c = r;
}

void lbe_count_add_range(struct lb_count *c, const struct lb_range *r)
{
	lb_u128 span = r->to.v - r->from.v;
	struct lb_count d = { { (uint64_t)span, (uint64_t)(span >> 64), 0 } };

	/* span + 1 may not fit 128 bits, so add the one separately. */
	lbe_count_add(c, &d);
	lbe_count_add_u64(c, 1);
}

bool lbe_count_is_zero(const struct lb_count *c)
{
	return !c->w[0] && !c->w[1] && !c->w[2];
}

const char *lbe_count_fmt(const struct lb_count *c, char *buf)
{
	struct lb_count t = *c;
	char tmp[LB_COUNT_STRLEN];
	int n = 0, i;

	do {
		unsigned __int128 rem = 0;

		for (i = 2; i >= 0; i--) {
			unsigned __int128 cur = (rem << 64) | t.w[i];

			t.w[i] = (uint64_t)(cur / 10);
			rem = cur % 10;
		}
		tmp[n++] = (char)('0' + (int)rem);
	} while (!lbe_count_is_zero(&t));
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf;
}
