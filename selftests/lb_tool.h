/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the selftests' C tools (lb_traffic, lb_l2probe) share: an error
 * exit that names the tool (define LB_TOOL first), and the monotonic clock.
 */
#ifndef LB_TOOL_H
#define LB_TOOL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef LB_TOOL
#error "define LB_TOOL, the tool's name, before including lb_tool.h"
#endif

/* Exit status 2: the tests tell a tool's failure from a refused flow. */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(LB_TOOL ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* Seconds on CLOCK_MONOTONIC. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* LB_TOOL_H */
