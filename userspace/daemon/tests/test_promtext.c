// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text writer: escaping of label values and HELP text,
 * value formatting, histograms; and the --metrics-address parser.
 */
#include <math.h>
#include <stdlib.h>
#include "daemon/lbipamd.h"
#include "tap.h"

static void test_escaping(void)
{
	struct lb_prom p;

	lbipamd_prom_init(&p);
	lbipamd_prom_family(&p, "x_total", "counter", "a \\ b\nc \"q\"");
	lbipamd_prom_sample(&p, "", 3, "l", "back\\slash \"quoted\"\nnl", NULL);
	is_str(p.buf,
	       "# HELP x_total a \\\\ b\\nc \"q\"\n"
	       "# TYPE x_total counter\n"
	       "x_total{l=\"back\\\\slash \\\"quoted\\\"\\nnl\"} 3\n",
	       "HELP escapes \\ and newline; label values also \"");
	lbipamd_prom_free(&p);
}

static void test_values(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "g 0\n" },
		{ 42, "g 42\n" },
		{ -7, "g -7\n" },
		{ 0.1, "g 0.1\n" },
		{ 0.00025, "g 0.00025\n" },
		{ 1796033364.28, "g 1796033364.28\n" },
		{ 1.0 / 3, "g 0.33333333333333331\n" },
		{ 1e300, "g 1e+300\n" },
	};
	struct lb_prom p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lbipamd_prom_init(&p);
		snprintf(p.family, sizeof(p.family), "g");
		lbipamd_prom_sample(&p, "", cases[i].v, NULL);
		is_str(p.buf, cases[i].want, "value %.17g", cases[i].v);
		lbipamd_prom_free(&p);
	}
	lbipamd_prom_init(&p);
	snprintf(p.family, sizeof(p.family), "g");
	lbipamd_prom_sample(&p, "", INFINITY, NULL);
	lbipamd_prom_sample(&p, "", NAN, NULL);
	lbipamd_prom_sample_text(&p, "", "340282366920938463463374607431768211456",
			    "pool", "v6", NULL);
	is_str(p.buf, "g +Inf\ng NaN\n"
	       "g{pool=\"v6\"} 340282366920938463463374607431768211456\n",
	       "+Inf, NaN, and an exact large count as text");
	lbipamd_prom_free(&p);
}

static void test_histogram(void)
{
	static const double bounds[] = { 0.5, 1 };
	static const uint64_t buckets[] = { 2, 1 };
	struct lb_prom p;

	lbipamd_prom_init(&p);
	lbipamd_prom_histogram(&p, "h_seconds", "h", bounds, buckets, 2, 4, 3.25);
	is_str(p.buf,
	       "# HELP h_seconds h\n# TYPE h_seconds histogram\n"
	       "h_seconds_bucket{le=\"0.5\"} 2\n"
	       "h_seconds_bucket{le=\"1\"} 3\n"
	       "h_seconds_bucket{le=\"+Inf\"} 4\n"
	       "h_seconds_sum 3.25\nh_seconds_count 4\n",
	       "histogram buckets are cumulative, +Inf is the count");
	lbipamd_prom_free(&p);
}

static void test_reconcile_stats(void)
{
	struct lbipamd_stats s = { 0 };

	lbipamd_stats_reconcile(&s, 0.0001);
	lbipamd_stats_reconcile(&s, 0.003);
	lbipamd_stats_reconcile(&s, 100);
	ok(s.reconcile_buckets[0] == 1 && s.reconcile_buckets[5] == 1 &&
	   s.reconcile_count == 3,
	   "a bound belongs to its bucket; past the last only the count");
}

static void test_hostport(void)
{
	static const char *const bad[] = {
		"", "9963", ":9963", "127.0.0.1", "127.0.0.1:", "localhost:9963",
		"127.0.0.1:65536", "127.0.0.1:-1", "::1:9963", "[::1]9963",
		"[127.0.0.1]:80", "1.2.3.4:80x",
	};
	char host[64];
	uint16_t port;
	size_t i;

	ok(!lbipamd_parse_hostport("127.0.0.1:9963", host, sizeof(host),
				   &port) && !strcmp(host, "127.0.0.1") &&
	   port == 9963, "127.0.0.1:9963");
	ok(!lbipamd_parse_hostport("[::]:0", host, sizeof(host), &port) &&
	   !strcmp(host, "::") && port == 0, "[::]:0");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(lbipamd_parse_hostport(bad[i], host, sizeof(host), &port),
		   "refused: '%s'", bad[i]);
}

int main(void)
{
	test_escaping();
	test_values();
	test_histogram();
	test_reconcile_stats();
	test_hostport();
	return lb_tap_done();
}
