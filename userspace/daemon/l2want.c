// SPDX-License-Identifier: GPL-2.0
/*
 * The L2 announcements this node wants, kept per Service and as one
 * counted set (POSIX search trees), so a write recomputes only the
 * Services it touched and names the few (address, interface) entries
 * whose presence changed.
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

static int lb_svc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lbipamd_l2svc *)a)->owner,
		      ((const struct lbipamd_l2svc *)b)->owner);
}

static int lb_ref_cmp(const void *a, const void *b)
{
	return lb_l2_cmp(a, b);	/* the entry is the first member */
}

bool lbipamd_l2want_has(const struct lbipamd_l2want *w,
			const struct lb_l2_entry *e)
{
	return tfind(e, &w->refs, lb_ref_cmp) != NULL;
}

static void lb_ref_add(struct lbipamd_l2want *w, const struct lb_l2_entry *e)
{
	struct lbipamd_l2ref *r = lb_xcalloc(1, sizeof(*r)), **slot;

	r->e = *e;
	slot = tsearch(r, &w->refs, lb_ref_cmp);
	if (!slot)
		lb_oom("tsearch");
	if (*slot != r)
		free(r);
	else
		w->nrefs++;
	(*slot)->refs++;
}

static void lb_ref_del(struct lbipamd_l2want *w, const struct lb_l2_entry *e)
{
	struct lbipamd_l2ref **slot = tfind(e, &w->refs, lb_ref_cmp), *r;

	if (!slot || --(*slot)->refs)
		return;
	r = *slot;
	tdelete(e, &w->refs, lb_ref_cmp);
	free(r);
	w->nrefs--;
}

static void lb_svc_free(void *p)
{
	struct lbipamd_l2svc *s = p;

	free(s->owner);
	lb_l2_list_free(&s->l);
	free(s);
}

void lbipamd_l2want_free(struct lbipamd_l2want *w)
{
	tdestroy(w->svcs, lb_svc_free);
	tdestroy(w->refs, free);
	memset(w, 0, sizeof(*w));
}

struct own_ctx {
	struct lbipamd_l2want *w;
	struct lb_l2_list *touched;
};

static int lb_own_cb(const struct lb_l2_service *s, void *arg)
{
	struct own_ctx *c = arg;
	struct lbipamd_l2svc *v, **slot;
	size_t i;

	if (!s->n_pairs)
		return 0;
	v = lb_xcalloc(1, sizeof(*v));
	v->owner = lb_xasprintf("%s/%s", s->ns, s->name);
	slot = tsearch(v, &c->w->svcs, lb_svc_cmp);
	if (!slot)
		lb_oom("tsearch");
	if (*slot != v) {		/* cannot happen: removed first */
		lb_svc_free(v);
		v = *slot;
	}
	for (i = 0; i < s->n_pairs; i++) {
		struct lb_l2_entry x = { 0 };

		x.family = s->pairs[i].ip.family;
		memcpy(&x.addr, &s->pairs[i].ip.v6,
		       x.family == AF_INET ? 4 : 16);
		x.ifindex = s->pairs[i].ifindex;
		lbipamd_l2list_add(&v->l, &x);
		lb_ref_add(c->w, &x);
		if (c->touched)
			lbipamd_l2list_add(c->touched, &x);
	}
	return 0;
}

int lbipamd_l2want_build(struct lbipamd_l2want *w, struct lb_engine *e,
			 const struct lb_l2_self *self)
{
	struct own_ctx c = { .w = w };
	int err = 0;

	lbipamd_l2want_free(w);
	/* Without a policy nothing is announced: no walk over every Service. */
	if (lb_engine_l2_policy_count(e))
		err = lb_engine_foreach_l2_service(e, self, lb_own_cb, &c);
	w->built = !err;
	return err;
}

int lbipamd_l2want_update(struct lbipamd_l2want *w, struct lb_engine *e,
			  const struct lb_l2_self *self, const char *ns,
			  const char *name, struct lb_l2_list *touched)
{
	struct lbipamd_l2svc key = { .owner = lb_xasprintf("%s/%s", ns, name) };
	struct own_ctx c = { .w = w, .touched = touched };
	struct lbipamd_l2svc **slot = tfind(&key, &w->svcs, lb_svc_cmp), *old;
	size_t i;
	int err;

	if (slot) {
		old = *slot;
		for (i = 0; i < old->l.n; i++) {
			lb_ref_del(w, &old->l.v[i]);
			lbipamd_l2list_add(touched, &old->l.v[i]);
		}
		tdelete(&key, &w->svcs, lb_svc_cmp);
		lb_svc_free(old);
	}
	free(key.owner);
	err = lb_engine_l2_service(e, self, ns, name, lb_own_cb, &c);
	return err == -ENOENT ? 0 : err;	/* deleted: nothing more */
}

/* twalk() has no argument: the list being filled, one walk at a time. */
static struct lb_l2_list *walk_out;

static void lb_walk(const void *node, VISIT v, int depth)
{
	(void)depth;
	if (v == postorder || v == leaf)
		lbipamd_l2list_add(walk_out,
				   &(*(struct lbipamd_l2ref *const *)node)->e);
}

void lbipamd_l2want_list(const struct lbipamd_l2want *w,
			 struct lb_l2_list *out)
{
	memset(out, 0, sizeof(*out));
	walk_out = out;
	twalk(w->refs, lb_walk);
	walk_out = NULL;
}
