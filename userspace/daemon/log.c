// SPDX-License-Identifier: GPL-2.0
/*
 * Structured log lines on stderr, in the logfmt shape users already read
 * from Cilium's operator:
 *   time=2026-11-26T04:30:00.123Z level=info msg="..." key=value
 * One line per write(2), so lines from a restarted daemon and from tests
 * sharing the file never interleave mid-line.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "daemon/lbipamd.h"

static enum lb_log_level min_level = LB_LOG_INFO;

static const char *const level_names[] = {
	[LB_LOG_DEBUG] = "debug",
	[LB_LOG_INFO] = "info",
	[LB_LOG_WARN] = "warn",
	[LB_LOG_ERROR] = "error",
};

void lbipamd_log_set_level(enum lb_log_level min)
{
	min_level = min;
}

enum lb_log_level lbipamd_log_level(void)
{
	return min_level;
}

int lbipamd_log_parse_level(const char *s, enum lb_log_level *l)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(char *); i++) {
		if (!strcasecmp(s, level_names[i])) {
			*l = (enum lb_log_level)i;
			return 0;
		}
	}
	if (!strcasecmp(s, "warning")) {
		*l = LB_LOG_WARN;
		return 0;
	}
	return -1;
}

struct lb_line {
	char buf[4096];
	size_t n;
};

static void line_add(struct lb_line *b, const char *s, size_t len)
{
	size_t room = sizeof(b->buf) - 2 - b->n;	/* keep "\n\0" */

	if (len > room)
		len = room;
	memcpy(b->buf + b->n, s, len);
	b->n += len;
}

static void line_str(struct lb_line *b, const char *s)
{
	line_add(b, s, strlen(s));
}

/* logfmt: bare when safe, else quoted with \" \\ \n escaped. */
static void line_value(struct lb_line *b, const char *v)
{
	const char *p;

	if (*v && !strpbrk(v, " \t\"=\\\n\r")) {
		line_str(b, v);
		return;
	}
	line_add(b, "\"", 1);
	for (p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			line_add(b, "\\", 1);
		if (*p == '\n')
			line_add(b, "\\n", 2);
		else if (*p == '\r')
			line_add(b, "\\r", 2);
		else
			line_add(b, p, 1);
	}
	line_add(b, "\"", 1);
}

static void line_time(struct lb_line *b)
{
	struct timespec ts;
	struct tm tm;
	char t[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(t, sizeof(t), "time=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	line_str(b, t);
}

static void line_flush(struct lb_line *b)
{
	ssize_t r;

	b->buf[b->n++] = '\n';
	/* Best effort: a full or closed stderr must not stop the daemon. */
	r = write(STDERR_FILENO, b->buf, b->n);
	(void)r;
}

void lbipamd_log(enum lb_log_level l, const char *msg, ...)
{
	struct lb_line b = { .n = 0 };
	const char *k, *v;
	va_list ap;

	if (l < min_level)
		return;
	line_time(&b);
	line_str(&b, "level=");
	line_str(&b, level_names[l]);
	line_str(&b, " msg=");
	/* msg is always quoted, as in Cilium's lines. */
	line_add(&b, "\"", 1);
	for (k = msg; *k; k++) {
		if (*k == '"' || *k == '\\')
			line_add(&b, "\\", 1);
		line_add(&b, k, 1);
	}
	line_add(&b, "\"", 1);
	line_str(&b, " module=lbipamd");
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		if (!v)
			continue;
		line_add(&b, " ", 1);
		line_str(&b, k);
		line_add(&b, "=", 1);
		line_value(&b, v);
	}
	va_end(ap);
	line_flush(&b);
}

void lbipamd_log_raw(enum lb_log_level l, const char *line)
{
	struct lb_line b = { .n = 0 };

	if (l < min_level)
		return;
	line_time(&b);
	line_str(&b, line);
	line_flush(&b);
}

/* The engine's lines, tagged like the operator's ("module=...lbipam"). */
void lbipamd_log_engine(void *arg, enum lb_log_level l, const char *line)
{
	struct lb_line b = { .n = 0 };

	(void)arg;
	if (l < min_level)
		return;
	line_time(&b);
	line_str(&b, line);
	line_str(&b, " module=lbipam");
	line_flush(&b);
}
