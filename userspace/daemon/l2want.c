// SPDX-License-Identifier: GPL-2.0
/*
 * The L2 announcements this node wants, kept per Service (a POSIX search
 * tree) and as one counted set (a sorted array: built by one sort, then
 * changed in place), so a write recomputes only the Services it touched
 * and names the few (address, interface) entries whose presence changed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"

/* One Service's entries. */
struct lbipamd_l2svc {
	char *owner;			/* "ns/name" */
	struct lb_l2_list l;
};

/* One wanted entry and how many Services want it (a shared IP). */
struct lbipamd_l2ref {
	struct lb_l2_entry e;
	unsigned int refs;
};

void lbipamd_l2list_add(struct lb_l2_list *l, const struct lb_l2_entry *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = lb_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *e;
}

static int svc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lbipamd_l2svc *)a)->owner,
		      ((const struct lbipamd_l2svc *)b)->owner);
}

static size_t ref_lower(const struct lbipamd_l2want *w,
			   const struct lb_l2_entry *e)
{
	size_t lo = 0, hi = w->nrefs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (lb_l2_cmp(&w->refs[mid].e, e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool lbipamd_l2want_has(const struct lbipamd_l2want *w,
			const struct lb_l2_entry *e)
{
	size_t i = ref_lower(w, e);

	return i < w->nrefs && !lb_l2_cmp(&w->refs[i].e, e);
}

static void ref_add(struct lbipamd_l2want *w, const struct lb_l2_entry *e)
{
	size_t i = ref_lower(w, e);

	if (i < w->nrefs && !lb_l2_cmp(&w->refs[i].e, e)) {
		w->refs[i].refs++;
		return;
	}
	if (w->nrefs == w->caprefs) {
		w->caprefs = w->caprefs ? 2 * w->caprefs : 16;
		w->refs = lb_xrealloc(w->refs, w->caprefs * sizeof(*w->refs));
	}
	memmove(&w->refs[i + 1], &w->refs[i],
		(w->nrefs - i) * sizeof(*w->refs));
	w->refs[i].e = *e;
	w->refs[i].refs = 1;
	w->nrefs++;
}

static void ref_del(struct lbipamd_l2want *w, const struct lb_l2_entry *e)
{
	size_t i = ref_lower(w, e);

	if (i >= w->nrefs || lb_l2_cmp(&w->refs[i].e, e) || --w->refs[i].refs)
		return;
	memmove(&w->refs[i], &w->refs[i + 1],
		(w->nrefs - i - 1) * sizeof(*w->refs));
	w->nrefs--;
}

static void svc_free(void *p)
{
	struct lbipamd_l2svc *s = p;

	free(s->owner);
	lb_l2_list_free(&s->l);
	free(s);
}

void lbipamd_l2want_free(struct lbipamd_l2want *w)
{
	tdestroy(w->svcs, svc_free);
	free(w->refs);
	memset(w, 0, sizeof(*w));
}

struct own_ctx {
	struct lbipamd_l2want *w;
	struct lb_l2_list *touched;
	struct lb_l2_list *all;		/* building: counted after a sort */
};

static int own_cb(const struct lb_l2_service *s, void *arg)
{
	struct own_ctx *c = arg;
	struct lbipamd_l2svc *v, **slot;
	size_t i;

	if (!s->n_pairs)
		return 0;
	v = lb_xcalloc(1, sizeof(*v));
	v->owner = lb_xasprintf("%s/%s", s->ns, s->name);
	slot = tsearch(v, &c->w->svcs, svc_cmp);
	if (!slot)
		lb_oom("tsearch");
	if (*slot != v) {		/* cannot happen: removed first */
		svc_free(v);
		v = *slot;
	}
	for (i = 0; i < s->n_pairs; i++) {
		struct lb_l2_entry x = { 0 };

		x.family = s->pairs[i].ip.family;
		memcpy(&x.addr, &s->pairs[i].ip.v6,
		       x.family == AF_INET ? 4 : 16);
		x.ifindex = s->pairs[i].ifindex;
		lbipamd_l2list_add(&v->l, &x);
		if (c->all)
			lbipamd_l2list_add(c->all, &x);
		else
			ref_add(c->w, &x);
		if (c->touched)
			lbipamd_l2list_add(c->touched, &x);
	}
	return 0;
}

static int ref_qsort(const void *a, const void *b)
{
	return lb_l2_cmp(a, b);
}

int lbipamd_l2want_build(struct lbipamd_l2want *w, struct lb_engine *e,
			 const struct lb_l2_self *self)
{
	struct lb_l2_list all = { 0 };
	struct own_ctx c = { .w = w, .all = &all };
	size_t i;
	int err = 0;

	lbipamd_l2want_free(w);
	/* Without a policy nothing is announced: no walk over every Service. */
	if (lbe_l2_policy_count(e))
		err = lbe_foreach_l2_service(e, self, own_cb, &c);
	if (all.n)
		qsort(all.v, all.n, sizeof(*all.v), ref_qsort);
	w->refs = lb_xcalloc(all.n + 1, sizeof(*w->refs));
	w->caprefs = all.n + 1;
	for (i = 0; i < all.n; i++) {
		if (w->nrefs && !lb_l2_cmp(&w->refs[w->nrefs - 1].e, &all.v[i])) {
			w->refs[w->nrefs - 1].refs++;
			continue;
		}
		w->refs[w->nrefs].e = all.v[i];
		w->refs[w->nrefs++].refs = 1;
	}
	lb_l2_list_free(&all);
	w->built = !err;
	return err;
}

int lbipamd_l2want_update(struct lbipamd_l2want *w, struct lb_engine *e,
			  const struct lb_l2_self *self, const char *ns,
			  const char *name, struct lb_l2_list *touched)
{
	struct lbipamd_l2svc key = { .owner = lb_xasprintf("%s/%s", ns, name) };
	struct own_ctx c = { .w = w, .touched = touched };
	struct lbipamd_l2svc **slot = tfind(&key, &w->svcs, svc_cmp), *old;
	size_t i;
	int err;

	if (slot) {
		old = *slot;
		for (i = 0; i < old->l.n; i++) {
			ref_del(w, &old->l.v[i]);
			lbipamd_l2list_add(touched, &old->l.v[i]);
		}
		tdelete(&key, &w->svcs, svc_cmp);
		svc_free(old);
	}
	free(key.owner);
	err = lbe_l2_service(e, self, ns, name, own_cb, &c);
	return err == -ENOENT ? 0 : err;	/* deleted: nothing more */
}

void lbipamd_l2want_list(const struct lbipamd_l2want *w,
			 struct lb_l2_list *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < w->nrefs; i++)
		lbipamd_l2list_add(out, &w->refs[i].e);
}
