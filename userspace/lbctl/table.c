// SPDX-License-Identifier: GPL-2.0
/*
 * The pieces of kubectl's output every view uses: columns aligned as
 * kubectl aligns them, and its ages and times.
 */

#define _GNU_SOURCE		/* strptime */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lbctl.h"

#define MAX_COLS	12

void lbctl_table_row(struct lbctl_table *t, ...)
{
	char **nc;
	va_list ap;
	size_t i;

	nc = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*nc));
	if (!nc)
		return;
	t->cells = nc;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

void lbctl_table_print(struct lbctl_table *t, int indent)
{
	size_t w[MAX_COLS] = { 0 }, r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s ? strlen(s) : 0;

			if (n > w[c])
				w[c] = n;
		}
	for (r = 0; r < t->nrows; r++) {
		printf("%*s", indent, "");
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			/* kubectl: three spaces between columns. */
			if (c + 1 < t->ncols)
				printf("%-*s   ", (int)w[c], s ? s : "");
			else
				printf("%s\n", s ? s : "");
		}
	}
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/* kubectl's HumanDuration. */
void lbctl_human_age(json_t *created, char *buf, size_t len)
{
	long long s = (long long)time(NULL) -
		      (long long)json_integer_value(created);
	long long m = s / 60, h = s / 3600, d = s / 86400;

	if (!json_is_integer(created)) {
		snprintf(buf, len, "<unknown>");
		return;
	}
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (m < 10 && s % 60)
		snprintf(buf, len, "%lldm%llds", m, s % 60);
	else if (m < 180)
		snprintf(buf, len, "%lldm", m);
	else if (h < 8 && m % 60)
		snprintf(buf, len, "%lldh%lldm", h, m % 60);
	else if (h < 48)
		snprintf(buf, len, "%lldh", h);
	else if (d < 8 && h % 24)
		snprintf(buf, len, "%lldd%lldh", d, h % 24);
	else if (d < 730)
		snprintf(buf, len, "%lldd", d);
	else
		snprintf(buf, len, "%lldy%lldd", d / 365, d % 365);
}

/* "2026-11-30T10:05:42Z" as kubectl describe prints times. */
void lbctl_rfc3339_human(const char *s, char *buf, size_t len)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (!end || *end) {
		snprintf(buf, len, "%s", *s ? s : "<unknown>");
		return;
	}
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}
