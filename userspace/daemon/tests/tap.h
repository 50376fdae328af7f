/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal TAP producer for the daemon's host tests. */
#ifndef LB_TAP_H
#define LB_TAP_H

#include <stdio.h>
#include <string.h>

static int lb_tap_n, lb_tap_failed;

#define ok(cond, ...) do {						\
	int c_ = !!(cond);						\
	printf("%sok %d - ", c_ ? "" : "not ", ++lb_tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!c_) {							\
		lb_tap_failed++;					\
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__,	\
		       #cond);						\
	}								\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int s_ = g_ && w_ && !strcmp(g_, w_);				\
	ok(s_, __VA_ARGS__);						\
	if (!s_)							\
		printf("#   got '%s'\n#   want '%s'\n", g_ ? g_ : "(null)", \
		       w_ ? w_ : "(null)");				\
} while (0)

static inline int lb_tap_done(void)
{
	printf("1..%d\n", lb_tap_n);
	return lb_tap_failed ? 1 : 0;
}

#endif
