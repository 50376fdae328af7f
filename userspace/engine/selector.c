// SPDX-License-Identifier: GPL-2.0
/*
 * Labels and label selectors (matchLabels, matchExpressions), as pools'
 * serviceSelector matches Services.
 */
#include "selector.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t lower_bound(const struct lb_labels *l, const char *k,
			  bool *found)
{
	size_t lo = 0, hi = l->n;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(l->kv[mid].k, k);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *lbe_labels_get(const struct lb_labels *l, const char *k)
{
	bool found;
	size_t i = lower_bound(l, k, &found);

	return found ? l->kv[i].v : NULL;
}

void lbe_labels_set(struct lb_labels *l, const char *k, const char *v)
{
	bool found;
	size_t i = lower_bound(l, k, &found);

	if (found) {
		free(l->kv[i].v);
		l->kv[i].v = lb_xstrdup(v);
		return;
	}
	LB_GROW(l->kv, l->n, l->cap);
	memmove(&l->kv[i + 1], &l->kv[i], (l->n - i) * sizeof(l->kv[0]));
	l->kv[i].k = lb_xstrdup(k);
	l->kv[i].v = lb_xstrdup(v);
	l->n++;
}

bool lbe_labels_equal(const struct lb_labels *a, const struct lb_labels *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->kv[i].k, b->kv[i].k) ||
		    strcmp(a->kv[i].v, b->kv[i].v))
			return false;
	return true;
}

void lbe_labels_copy(struct lb_labels *dst, const struct lb_labels *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		lbe_labels_set(dst, src->kv[i].k, src->kv[i].v);
}

void lbe_labels_free(struct lb_labels *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->kv[i].k);
		free(l->kv[i].v);
	}
	free(l->kv);
	memset(l, 0, sizeof(*l));
}

static bool expr_match(const struct lb_sel_expr *e, const struct lb_labels *l)
{
	const char *v = lbe_labels_get(l, e->key);
	size_t i;

	switch (e->op) {
	case LB_SEL_EXISTS:
		return v;
	case LB_SEL_DOES_NOT_EXIST:
		return !v;
	case LB_SEL_IN:
	case LB_SEL_NOT_IN:
		/* NotIn matches a missing key, as in Kubernetes. */
		if (!v)
			return e->op == LB_SEL_NOT_IN;
		for (i = 0; i < e->nvals; i++)
			if (!strcmp(e->vals[i], v))
				return e->op == LB_SEL_IN;
		return e->op == LB_SEL_NOT_IN;
	}
	return false;
}

bool lbe_selector_match(const struct lb_selector *s, const struct lb_labels *l)
{
	size_t i;

	if (!s)
		return true;
	for (i = 0; i < s->match.n; i++) {
		const char *v = lbe_labels_get(l, s->match.kv[i].k);

		if (!v || strcmp(v, s->match.kv[i].v))
			return false;
	}
	for (i = 0; i < s->nexprs; i++)
		if (!expr_match(&s->exprs[i], l))
			return false;
	return true;
}

int lbe_sel_op_parse(const char *s, enum lb_sel_op *op)
{
	static const struct {
		const char *name;
		enum lb_sel_op op;
	} ops[] = {
		{ "In", LB_SEL_IN },
		{ "NotIn", LB_SEL_NOT_IN },
		{ "Exists", LB_SEL_EXISTS },
		{ "DoesNotExist", LB_SEL_DOES_NOT_EXIST },
	};
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(ops); i++) {
		if (!strcmp(s, ops[i].name)) {
			*op = ops[i].op;
			return 0;
		}
	}
	return -EINVAL;
}

void lbe_selector_free(struct lb_selector *s)
{
	size_t i, j;

	if (!s)
		return;
	lbe_labels_free(&s->match);
	for (i = 0; i < s->nexprs; i++) {
		free(s->exprs[i].key);
		for (j = 0; j < s->exprs[i].nvals; j++)
			free(s->exprs[i].vals[j]);
		free(s->exprs[i].vals);
	}
	free(s->exprs);
	free(s);
}
