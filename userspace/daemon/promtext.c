// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (format 0.0.4): families with HELP and TYPE,
 * samples with escaped labels, histograms.  Knows nothing of lbipamd.
 */

#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"

void lbipamd_prom_init(struct lb_prom *p)
{
	memset(p, 0, sizeof(*p));
	p->cap = 4096;
	p->buf = lb_xmalloc(p->cap);
	p->buf[0] = '\0';
}

void lbipamd_prom_free(struct lb_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static void put(struct lb_prom *p, const char *s, size_t len)
{
	if (p->n + len + 1 > p->cap) {
		while (p->n + len + 1 > p->cap)
			p->cap *= 2;
		p->buf = lb_xrealloc(p->buf, p->cap);
	}
	memcpy(p->buf + p->n, s, len);
	p->n += len;
	p->buf[p->n] = '\0';
}

static void puts_(struct lb_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* Label values escape \, " and newline; HELP text \ and newline only. */
static void put_escaped(struct lb_prom *p, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (*s == '"' && quote)
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

void lbipamd_prom_family(struct lb_prom *p, const char *name, const char *type,
		    const char *help)
{
	snprintf(p->family, sizeof(p->family), "%s", name);
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	put_escaped(p, help, false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

static void sample(struct lb_prom *p, const char *suffix, const char *v,
		   va_list ap)
{
	const char *k;
	bool first = true;

	puts_(p, p->family);
	puts_(p, suffix);
	while ((k = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);

		puts_(p, first ? "{" : ",");
		first = false;
		puts_(p, k);
		puts_(p, "=\"");
		put_escaped(p, val ? val : "", true);
		puts_(p, "\"");
	}
	if (!first)
		puts_(p, "}");
	puts_(p, " ");
	puts_(p, v);
	puts_(p, "\n");
}

static void fmt_value(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(buf, len, "%.0f", v);
	else if (snprintf(buf, len, "%.15g", v), strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);	/* the shortest exact one */
}

void lbipamd_prom_sample(struct lb_prom *p, const char *suffix, double v, ...)
{
	char buf[64];
	va_list ap;

	fmt_value(v, buf, sizeof(buf));
	va_start(ap, v);
	sample(p, suffix, buf, ap);
	va_end(ap);
}

void lbipamd_prom_sample_text(struct lb_prom *p, const char *suffix,
			 const char *v, ...)
{
	va_list ap;

	va_start(ap, v);
	sample(p, suffix, v, ap);
	va_end(ap);
}

void lbipamd_prom_histogram(struct lb_prom *p, const char *name, const char *help,
		       const double *bounds, const uint64_t *buckets,
		       size_t n, uint64_t count, double sum)
{
	uint64_t cum = 0;
	char le[64];
	size_t i;

	lbipamd_prom_family(p, name, "histogram", help);
	for (i = 0; i < n; i++) {
		cum += buckets[i];
		fmt_value(bounds[i], le, sizeof(le));
		lbipamd_prom_sample(p, "_bucket", (double)cum, "le", le, NULL);
	}
	lbipamd_prom_sample(p, "_bucket", (double)count, "le", "+Inf", NULL);
	lbipamd_prom_sample(p, "_sum", sum, NULL);
	lbipamd_prom_sample(p, "_count", (double)count, NULL);
}
