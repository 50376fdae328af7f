// SPDX-License-Identifier: GPL-2.0
/* Label selectors as Kubernetes defines them, plus the synthetic labels. */
#include "helpers.h"
#include "selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct lb_sel_expr expr(const char *key, enum lb_sel_op op,
			       const char *v1, const char *v2)
{
	struct lb_sel_expr x = { .key = (char *)key, .op = op };
	static char *vals[8][2];
	static int i;

	i = (i + 1) % 8;
	vals[i][0] = (char *)v1;
	vals[i][1] = (char *)v2;
	x.vals = vals[i];
	x.nvals = v2 ? 2 : v1 ? 1 : 0;
	return x;
}

static bool match1(struct lb_sel_expr x, const struct lb_labels *l)
{
	struct lb_selector s = { .exprs = &x, .nexprs = 1 };

	return lbe_selector_match(&s, l);
}

/* "match" or "no" for text against l, or "error: ..." */
static const char *parsed(const char *text, const struct lb_labels *l)
{
	static char out[4][256];
	static int i;
	struct lb_selector *sel;
	char *err = NULL;

	i = (i + 1) % 4;
	sel = lbe_selector_parse(text, &err);
	if (!sel) {
		snprintf(out[i], sizeof(out[i]), "error: %s", err);
		free(err);
		return out[i];
	}
	snprintf(out[i], sizeof(out[i]), "%s",
		 lbe_selector_match(sel, l) ? "match" : "no");
	lbe_selector_free(sel);
	return out[i];
}

/* Selectors written as text, as Kubernetes' labels.Parse reads them. */
static void text_selectors(void)
{
	struct lb_labels l = { 0 };

	lbe_labels_set(&l, "zone", "a");
	lbe_labels_set(&l, "node-role.kubernetes.io/worker", "");
	is(parsed("", &l), "match", "'' selects everything");
	is(parsed("zone=a", &l), "match", "=");
	is(parsed(" zone == a ", &l), "match", "== with spaces");
	is(parsed("zone=b", &l), "no", "= other value");
	is(parsed("zone!=b", &l), "match", "!=");
	is(parsed("gpu!=yes", &l), "match", "!= matches a missing key");
	is(parsed("zone in (b, a)", &l), "match", "in");
	is(parsed("zone notin (a)", &l), "no", "notin");
	is(parsed("node-role.kubernetes.io/worker", &l), "match", "exists, prefixed key");
	is(parsed("!gpu,zone", &l), "match", "does not exist, exists");
	is(parsed("!zone", &l), "no", "does not exist on a present key");
	is(parsed("zone=a,gpu", &l), "no", "every requirement must hold");
	is(parsed("zone=", &l), "no", "= empty value");
	is(parsed("zone in ()", &l),
	   "error: in and notin need at least one value at position 10 of 'zone in ()'",
	   "an empty set is refused");
	is(parsed("zone=a,", &l),
	   "error: expected a label key at position 7 of 'zone=a,'",
	   "a trailing comma is refused");
	is(parsed("zone>1", &l),
	   "error: the numeric operators '<' and '>' are not supported at position 4 of 'zone>1'",
	   "'>' is refused");
	is(parsed("zone ~ a", &l),
	   "error: expected an operator (=, ==, !=, in, notin) at position 5 of 'zone ~ a'",
	   "an unknown operator is refused");
	is(parsed("zone=a b", &l),
	   "error: expected ',' at position 7 of 'zone=a b'",
	   "two values without a comma are refused");
	is(parsed("zone in (a", &l),
	   "error: expected ',' or ')' at position 10 of 'zone in (a'",
	   "an unclosed set is refused");
	lbe_labels_free(&l);
}

int main(void)
{
	struct lb_labels l = { 0 }, m = { 0 };
	struct lb_selector s = { 0 };
	enum lb_sel_op op;

	lbe_labels_set(&l, "color", "blue");
	lbe_labels_set(&l, "tier", "web");
	lbe_labels_set(&l, "app", "x");
	ok(!strcmp(l.kv[0].k, "app") && !strcmp(l.kv[2].k, "tier"), "labels kept sorted");
	lbe_labels_set(&l, "color", "cyan");
	is(lbe_labels_get(&l, "color"), "cyan", "set replaces");
	ok(lbe_labels_get(&l, "nope") == NULL, "missing key");
	ok(lbe_selector_match(NULL, &l), "nil selector selects everything");
	ok(lbe_selector_match(&s, &l), "empty selector selects everything");
	lbe_labels_set(&s.match, "color", "cyan");
	ok(lbe_selector_match(&s, &l), "matchLabels hit");
	lbe_labels_set(&s.match, "tier", "db");
	ok(!lbe_selector_match(&s, &l), "matchLabels are ANDed");
	lbe_labels_free(&s.match);
	ok(match1(expr("color", LB_SEL_IN, "blue", "cyan"), &l), "In hit");
	ok(!match1(expr("color", LB_SEL_IN, "red", NULL), &l), "In miss");
	ok(!match1(expr("zone", LB_SEL_IN, "a", NULL), &l), "In on a missing key misses");
	ok(match1(expr("zone", LB_SEL_NOT_IN, "a", NULL), &l), "NotIn on a missing key matches");
	ok(!match1(expr("color", LB_SEL_NOT_IN, "cyan", NULL), &l), "NotIn miss");
	ok(match1(expr("tier", LB_SEL_EXISTS, NULL, NULL), &l), "Exists");
	ok(!match1(expr("zone", LB_SEL_EXISTS, NULL, NULL), &l), "Exists miss");
	ok(match1(expr("zone", LB_SEL_DOES_NOT_EXIST, NULL, NULL), &l), "DoesNotExist");
	ok(!match1(expr("tier", LB_SEL_DOES_NOT_EXIST, NULL, NULL), &l), "DoesNotExist miss");
	ok(!lbe_sel_op_parse("In", &op) && op == LB_SEL_IN && lbe_sel_op_parse("in", &op),
	   "operators are case sensitive");
	lbe_labels_copy(&m, &l);
	ok(lbe_labels_equal(&l, &m), "copy is equal");
	lbe_labels_set(&m, "extra", "1");
	ok(!lbe_labels_equal(&l, &m), "extra label differs");
	lbe_labels_free(&l);
	lbe_labels_free(&m);

	{
		struct lb_engine *e = eng_new();

		apply(e, pool_yaml("by-ns", "[{cidr: 10.0.0.0/24}]",
				   "  serviceSelector:\n    matchLabels: {io.kubernetes.service.namespace: prod}\n"));
		apply(e, pool_yaml("by-name", "[{cidr: 10.0.1.0/24}]",
				   "  serviceSelector:\n    matchExpressions:\n"
				   "    - {key: io.kubernetes.service.name, operator: In, values: [special]}\n"));
		apply(e, svc_yaml("prod", "web", NULL, NULL, NULL));
		apply(e, svc_yaml("dev", "special", NULL, NULL, NULL));
		apply(e, svc_yaml("dev", "other", "io.kubernetes.service.namespace: prod", NULL, NULL));
		is(ips(e, "prod", "web"), "10.0.0.0", "synthetic namespace label");
		is(ips(e, "dev", "special"), "10.0.1.0", "synthetic name label");
		is(reason(e, "dev", "other"), "no_pool", "synthetic labels override user labels");
		lbe_close(e);
	}
	text_selectors();
	return done_testing();
}
