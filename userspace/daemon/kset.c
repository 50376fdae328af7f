// SPDX-License-Identifier: GPL-2.0
/*
 * Sets of kernel services (wanted, and the mirror of what the kernel
 * holds), kept sorted so one Service's change costs O(log n).
 */

#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"

void lbipamd_ksvc_free(struct lbipamd_ksvc *k)
{
	if (!k)
		return;
	free(k->be);
	lb_svc_opts_free(&k->opts);
	free(k);
}

struct lbipamd_ksvc *lbipamd_ksvc_dup(const struct lbipamd_ksvc *k)
{
	struct lbipamd_ksvc *d = lb_xmalloc(sizeof(*d));

	*d = *k;
	d->be = NULL;
	if (lb_svc_opts_copy(&d->opts, &k->opts))
		lb_oom("malloc");
	if (k->nbe) {
		d->be = lb_xreallocarray(NULL, k->nbe, sizeof(*d->be));
		memcpy(d->be, k->be, k->nbe * sizeof(*d->be));
	}
	return d;
}

int lbipamd_ksvc_cmp_key(const struct lb_service_key *a,
			 const struct lb_service_key *b)
{
	int c = lb_ip_cmp(a->ep.family, &a->ep.addr, b->ep.family,
			       &b->ep.addr);

	if (c)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->ep.port != b->ep.port)
		return a->ep.port < b->ep.port ? -1 : 1;
	return 0;
}

int lbipamd_backend_cmp(const void *pa, const void *pb)
{
	const struct lb_backend *a = pa, *b = pb;
	int c = lb_ip_cmp(a->ep.family, &a->ep.addr, b->ep.family,
			       &b->ep.addr);

	if (c)
		return c;
	if (a->ep.port != b->ep.port)
		return a->ep.port < b->ep.port ? -1 : 1;
	/* Among duplicates the most usable state sorts first and stays. */
	return (int)a->state - (int)b->state;
}

static bool cidrs_equal(const struct lb_cidr_set *sa,
			const struct lb_cidr_set *sb)
{
	const struct lb_cidr *a = sa->v, *b = sb->v;
	size_t i;

	if (sa->n != sb->n)
		return false;
	for (i = 0; i < sa->n; i++)
		if (a[i].family != b[i].family || a[i].plen != b[i].plen ||
		    memcmp(&a[i].addr, &b[i].addr,
			   a[i].family == AF_INET ? 4 : 16))
			return false;
	return true;
}

static bool opts_equal(const struct lb_svc_opts *a, const struct lb_svc_opts *b)
{
	return a->sched == b->sched && a->affinity == b->affinity &&
	       a->flags == b->flags && cidrs_equal(&a->ranges, &b->ranges) &&
	       cidrs_equal(&a->cluster, &b->cluster);
}

static bool backends_equal(const struct lbipamd_ksvc *a,
			   const struct lbipamd_ksvc *b)
{
	size_t i;

	if (a->nbe != b->nbe)
		return false;
	for (i = 0; i < a->nbe; i++) {
		const struct lb_backend *x = &a->be[i], *y = &b->be[i];

		if (lbipamd_backend_cmp(x, y) || x->weight != y->weight ||
		    x->flags != y->flags)
			return false;
	}
	return true;
}

bool lbipamd_ksvc_opts_equal(const struct lbipamd_ksvc *a,
			     const struct lbipamd_ksvc *b)
{
	return opts_equal(&a->opts, &b->opts);
}

bool lbipamd_ksvc_backends_equal(const struct lbipamd_ksvc *a,
				 const struct lbipamd_ksvc *b)
{
	return backends_equal(a, b);
}

bool lbipamd_ksvc_equal(const struct lbipamd_ksvc *a,
			const struct lbipamd_ksvc *b)
{
	return opts_equal(&a->opts, &b->opts) && backends_equal(a, b);
}

/* ------------------------------------------------------------- sets --- */

static int cmp_entry(const struct lbipamd_kset *s,
		     const struct lbipamd_ksvc *a, const struct lbipamd_ksvc *b)
{
	int c;

	if (s->by_owner) {
		c = strcmp(a->owner, b->owner);
		return c ? c : lbipamd_ksvc_cmp_key(&a->key, &b->key);
	}
	c = lbipamd_ksvc_cmp_key(&a->key, &b->key);
	return c ? c : strcmp(a->owner, b->owner);
}

void lbipamd_kset_reset(struct lbipamd_kset *s)
{
	bool by_owner = s->by_owner;

	free(s->v);
	memset(s, 0, sizeof(*s));
	s->by_owner = by_owner;
}

void lbipamd_kset_free(struct lbipamd_kset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		lbipamd_ksvc_free(s->v[i]);
	lbipamd_kset_reset(s);
}

static void grow(struct lbipamd_kset *s)
{
	if (s->n < s->cap)
		return;
	s->cap = s->cap ? 2 * s->cap : 64;
	s->v = lb_xreallocarray(s->v, s->cap, sizeof(*s->v));
}

void lbipamd_kset_append(struct lbipamd_kset *s, struct lbipamd_ksvc *k)
{
	grow(s);
	s->v[s->n++] = k;
}

static int cmp_by_key(const void *a, const void *b)
{
	static const struct lbipamd_kset by_key = { 0 };

	return cmp_entry(&by_key, *(struct lbipamd_ksvc *const *)a,
			 *(struct lbipamd_ksvc *const *)b);
}

static int cmp_by_owner(const void *a, const void *b)
{
	static const struct lbipamd_kset by_owner = { .by_owner = true };

	return cmp_entry(&by_owner, *(struct lbipamd_ksvc *const *)a,
			 *(struct lbipamd_ksvc *const *)b);
}

void lbipamd_kset_sort(struct lbipamd_kset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v),
		      s->by_owner ? cmp_by_owner : cmp_by_key);
}

/* First index whose entry is not below k. */
static size_t lower(const struct lbipamd_kset *s, const struct lbipamd_ksvc *k)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_entry(s, s->v[mid], k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void lbipamd_kset_insert(struct lbipamd_kset *s, struct lbipamd_ksvc *k)
{
	size_t i;

	grow(s);
	i = lower(s, k);
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = k;
	s->n++;
}

bool lbipamd_kset_remove(struct lbipamd_kset *s, const struct lbipamd_ksvc *k)
{
	size_t i = lower(s, k);

	for (; i < s->n && !cmp_entry(s, s->v[i], k); i++) {
		if (s->v[i] != k)
			continue;
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
		s->n--;
		return true;
	}
	return false;
}

size_t lbipamd_kset_lower_key(const struct lbipamd_kset *s,
			      const struct lb_service_key *key)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (lbipamd_ksvc_cmp_key(&s->v[mid]->key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t lbipamd_kset_lower_owner(const struct lbipamd_kset *s,
				const char *owner)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->v[mid]->owner, owner) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct lbipamd_ksvc *lbipamd_kset_get(const struct lbipamd_kset *s,
				      const struct lb_service_key *key)
{
	size_t i = lbipamd_kset_lower_key(s, key);

	if (i < s->n && !lbipamd_ksvc_cmp_key(&s->v[i]->key, key))
		return s->v[i];
	return NULL;
}

size_t lbipamd_kset_count_keys(const struct lbipamd_kset *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (!i || lbipamd_ksvc_cmp_key(&s->v[i - 1]->key, &s->v[i]->key))
			n++;
	return n;
}
