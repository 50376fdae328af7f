// SPDX-License-Identifier: GPL-2.0
/*
 * Label selectors written as text, as Kubernetes' labels.Parse reads them
 * ("zone=a,tier!=db,env in (x,y),gpu,!spot"), into struct lb_selector.
 */
#include "selector.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct sp {
	const char *text;
	const char *p;
	char *err;
};

static void skip_ws(struct sp *s)
{
	while (isspace((unsigned char)*s->p))
		s->p++;
}

/* Label keys and values: DNS-ish names, a prefix with '/' for keys. */
static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' ||
	       c == '/';
}

static char *word(struct sp *s)
{
	const char *start;

	skip_ws(s);
	start = s->p;
	while (name_char(*s->p))
		s->p++;
	return lb_xstrndup(start, (size_t)(s->p - start));
}

static bool fail(struct sp *s, const char *what)
{
	if (!s->err)
		s->err = lb_xasprintf("%s at position %zu of '%s'", what,
				      (size_t)(s->p - s->text), s->text);
	return false;
}

static struct lb_sel_expr *add_expr(struct lb_selector *sel, char *key,
				    enum lb_sel_op op)
{
	struct lb_sel_expr *x;

	sel->exprs = lb_xreallocarray(sel->exprs, sel->nexprs + 1,
				      sizeof(*sel->exprs));
	x = &sel->exprs[sel->nexprs++];
	memset(x, 0, sizeof(*x));
	x->key = key;
	x->op = op;
	return x;
}

static void add_val(struct lb_sel_expr *x, char *v)
{
	x->vals = lb_xreallocarray(x->vals, x->nvals + 1, sizeof(*x->vals));
	x->vals[x->nvals++] = v;
}

/* "(a, b, c)" after in/notin; Kubernetes refuses an empty set. */
static bool value_set(struct sp *s, struct lb_sel_expr *x)
{
	skip_ws(s);
	if (*s->p != '(')
		return fail(s, "expected '('");
	s->p++;
	for (;;) {
		add_val(x, word(s));
		skip_ws(s);
		if (*s->p == ')')
			break;
		if (*s->p != ',')
			return fail(s, "expected ',' or ')'");
		s->p++;
	}
	s->p++;
	if (x->nvals == 1 && !*x->vals[0])
		return fail(s, "in and notin need at least one value");
	return true;
}

/* The operator after a key and what follows it. */
static bool operation(struct sp *s, struct lb_selector *sel, char *key)
{
	enum lb_sel_op op = LB_SEL_IN;
	struct lb_sel_expr *x;
	char *w;

	if (*s->p == '=' || (*s->p == '!' && s->p[1] == '=')) {
		op = *s->p == '!' ? LB_SEL_NOT_IN : LB_SEL_IN;
		s->p += *s->p == '!' ? 2 : 1;
		if (op == LB_SEL_IN && *s->p == '=')
			s->p++;
		add_val(add_expr(sel, key, op), word(s));
		return true;
	}
	if (*s->p == '<' || *s->p == '>') {
		free(key);
		return fail(s, "the numeric operators '<' and '>' are not supported");
	}
	w = word(s);
	if (!strcmp(w, "in") || !strcmp(w, "notin")) {
		op = !strcmp(w, "in") ? LB_SEL_IN : LB_SEL_NOT_IN;
		free(w);
		x = add_expr(sel, key, op);
		return value_set(s, x);
	}
	free(w);
	free(key);
	return fail(s, "expected an operator (=, ==, !=, in, notin)");
}

static bool requirement(struct sp *s, struct lb_selector *sel)
{
	bool neg;
	char *key;

	skip_ws(s);
	neg = *s->p == '!';
	if (neg)
		s->p++;
	key = word(s);
	if (!*key) {
		free(key);
		return fail(s, "expected a label key");
	}
	skip_ws(s);
	if (neg || !*s->p || *s->p == ',') {
		add_expr(sel, key, neg ? LB_SEL_DOES_NOT_EXIST : LB_SEL_EXISTS);
		return true;
	}
	return operation(s, sel, key);
}

struct lb_selector *lbe_selector_parse(const char *text, char **err)
{
	struct lb_selector *sel = lb_xcalloc(1, sizeof(*sel));
	struct sp s = { .text = text, .p = text };

	skip_ws(&s);
	while (*s.p) {
		if (!requirement(&s, sel))
			break;
		skip_ws(&s);
		if (!*s.p)
			break;
		if (*s.p != ',') {
			fail(&s, "expected ','");
			break;
		}
		s.p++;
		/* "a," would otherwise end the loop with nothing after ','. */
		skip_ws(&s);
		if (!*s.p)
			fail(&s, "expected a label key");
	}
	if (!s.err)
		return sel;
	lbe_selector_free(sel);
	*err = s.err;
	return NULL;
}
