// SPDX-License-Identifier: GPL-2.0
/* Label selectors as Kubernetes defines them, plus the synthetic labels. */
#include "helpers.h"
#include "selector.h"

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
	return done_testing();
}
