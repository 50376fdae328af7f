// SPDX-License-Identifier: GPL-2.0
/* Kubernetes label selectors (matchLabels, matchExpressions) from YAML. */
#include "yaml_node.h"
#include "engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What the schema accepts but the selector conversion refuses: an error
 * for pools, the first such message in *soft for kinds that store the
 * object with a condition (the L2 announcement policy).
 */
static void __attribute__((format(printf, 4, 5)))
problem(struct yl *y, char **soft, const char *path, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!soft) {
		lbe_y_err(y, path, "%s", buf);
		return;
	}
	if (!*soft)
		*soft = lb_xasprintf("%s: %s", path, buf);
}

struct lb_selector *lbe_y_read_selector(struct yl *y, const yaml_node_t *n,
				       const char *path, char **soft)
{
	struct lb_selector *s;
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];
	yaml_node_t *ml, *me;

	if (!lbe_y_want_map(y, n, path))
		return NULL;
	s = lb_xcalloc(1, sizeof(*s));
	snprintf(p, sizeof(p), "%s.matchLabels", path);
	ml = lbe_y_get(y, n, "matchLabels");
	if (ml)
		lbe_y_read_strmap(y, ml, p, &s->match);
	snprintf(p, sizeof(p), "%s.matchExpressions", path);
	me = lbe_y_get(y, n, "matchExpressions");
	if (!lbe_y_want_seq(y, me, p))
		return s;
	s->exprs = lb_xcalloc(me->data.sequence.items.top -
			      me->data.sequence.items.start,
			      sizeof(*s->exprs));
	for (it = me->data.sequence.items.start;
	     it < me->data.sequence.items.top; it++) {
		size_t idx = it - me->data.sequence.items.start;
		struct lb_sel_expr *x = &s->exprs[s->nexprs];
		yaml_node_t *en = lbe_y_node(y, *it), *vals;
		char q[PATH_MAX_LEN + 32];
		const char *key, *op;
		yaml_node_item_t *vi;

		snprintf(p, sizeof(p), "%s.matchExpressions[%zu]", path, idx);
		if (!lbe_y_want_map(y, en, p)) {
			if (!en || lbe_y_is_null(en))
				lbe_y_err(y, p, "expected a mapping");
			continue;
		}
		snprintf(q, sizeof(q), "%s.key", p);
		key = lbe_y_get_str(y, en, "key", q);
		if (!key || !*key) {
			lbe_y_err(y, q, "key is required");
			continue;
		}
		snprintf(q, sizeof(q), "%s.operator", p);
		op = lbe_y_get_str(y, en, "operator", q);
		if (!op || lbe_sel_op_parse(op, &x->op)) {
			lbe_y_err(y, q,
				 "operator must be one of In, NotIn, Exists, DoesNotExist");
			continue;
		}
		snprintf(q, sizeof(q), "%s.values", p);
		vals = lbe_y_get(y, en, "values");
		if (vals && !lbe_y_want_seq(y, vals, q))
			continue;
		x->key = lb_xstrdup(key);
		s->nexprs++;
		if (vals) {
			x->vals = lb_xcalloc(vals->data.sequence.items.top -
					     vals->data.sequence.items.start,
					     sizeof(char *));
			for (vi = vals->data.sequence.items.start;
			     vi < vals->data.sequence.items.top; vi++) {
				const char *v = lbe_y_scalar(y, lbe_y_node(y, *vi), q);

				if (v)
					x->vals[x->nvals++] = lb_xstrdup(v);
			}
		}
		if ((x->op == LB_SEL_IN || x->op == LB_SEL_NOT_IN) &&
		    !x->nvals)
			problem(y, soft, q, "values must be non-empty for %s",
				op);
		if ((x->op == LB_SEL_EXISTS ||
		     x->op == LB_SEL_DOES_NOT_EXIST) && x->nvals)
			problem(y, soft, q, "values must be empty for %s", op);
	}
	return s;
}
