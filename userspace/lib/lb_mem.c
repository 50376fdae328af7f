// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation that cannot fail for its callers: on failure one log line
 * and abort(), the daemon's out-of-memory policy (see lb_mem.h).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* vasprintf */
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lb_mem.h"

void lb_oom(const char *what)
{
	struct timespec now = { 0 };
	char line[256], ts[32] = "";
	struct tm tm;
	ssize_t w;
	int n;

	/* No allocation from here on: the heap is what failed. */
	if (!clock_gettime(CLOCK_REALTIME, &now) &&
	    gmtime_r(&now.tv_sec, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line),
		     "time=%s.%03ldZ level=error msg=\"Out of memory, aborting\" what=%s pid=%ld\n",
		     ts, now.tv_nsec / 1000000, what, (long)getpid());
	if (n > 0) {
		w = write(STDERR_FILENO, line, (size_t)n < sizeof(line) ?
			  (size_t)n : sizeof(line) - 1);
		(void)w;	/* nowhere left to report a failed write */
	}
	abort();
}

void *lb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		lb_oom("malloc");
	return p;
}

void *lb_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		lb_oom("calloc");
	return p;
}

void *lb_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		lb_oom("realloc");
	return p;
}

void *lb_xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz)
		lb_oom("reallocarray");
	return lb_xrealloc(p, n * sz);
}

char *lb_xstrdup(const char *s)
{
	return lb_xstrndup(s, strlen(s));
}

char *lb_xstrndup(const char *s, size_t n)
{
	char *p = lb_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *lb_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		lb_oom("asprintf");
	return s;
}
