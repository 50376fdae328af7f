/* SPDX-License-Identifier: GPL-2.0 */
/* Labels and label selectors, matched the Kubernetes way. */
#ifndef _LB_SELECTOR_H
#define _LB_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

struct lb_kv {
	char *k;
	char *v;
};

/* Kept sorted by key so that equality and output are order-free. */
struct lb_labels {
	struct lb_kv *kv;
	size_t n;
	size_t cap;
};

enum lb_sel_op {
	LB_SEL_IN,
	LB_SEL_NOT_IN,
	LB_SEL_EXISTS,
	LB_SEL_DOES_NOT_EXIST,
};

struct lb_sel_expr {
	char *key;
	enum lb_sel_op op;
	char **vals;
	size_t nvals;
};

struct lb_selector {
	struct lb_labels match;
	struct lb_sel_expr *exprs;
	size_t nexprs;
};

const char *lbe_labels_get(const struct lb_labels *l, const char *k);
/* Replaces an existing value for k. */
void lbe_labels_set(struct lb_labels *l, const char *k, const char *v);
bool lbe_labels_equal(const struct lb_labels *a, const struct lb_labels *b);
void lbe_labels_copy(struct lb_labels *dst, const struct lb_labels *src);
void lbe_labels_free(struct lb_labels *l);

/* A NULL selector selects everything, as a nil serviceSelector does. */
bool lbe_selector_match(const struct lb_selector *s,
		       const struct lb_labels *l);
int lbe_sel_op_parse(const char *s, enum lb_sel_op *op);
/*
 * A selector written as text, as Kubernetes' labels.Parse takes it
 * ("k=v,k!=v,k in (a,b),k notin (a),k,!k"; "" selects everything).  NULL
 * with *err (malloc'd, names the position) when it does not parse; the
 * numeric '<' and '>' have no place in struct lb_selector and are refused.
 */
struct lb_selector *lbe_selector_parse(const char *text, char **err);
void lbe_selector_free(struct lb_selector *s);

#endif /* _LB_SELECTOR_H */
