/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory allocation for lbipamd, its engine and lib: the one
 * out-of-memory policy of the daemon process, and its helpers.
 */
#ifndef LB_MEM_H
#define LB_MEM_H

#include <stddef.h>

/*
 * The policy: an allocation that fails ends the process with one log
 * line (level=error msg="Out of memory, aborting") and abort(3).  Callers
 * never see NULL and never propagate -ENOMEM.
 *
 * Why: lbipamd keeps its objects, the engine's holdings, the SQLite
 * database and the kernel tables in step.  Unwinding a half-applied
 * change on ENOMEM is code that never runs in tests and is wrong when it
 * runs; a restart replays the database and reprograms the kernel from
 * it, which is tested on every boot; systemd restarts the daemon
 * (Restart=on-failure).
 *
 * The same holds for a library call that can only fail for memory
 * (yaml_parser_initialize, json_object...): its caller calls lb_oom().
 */
void lb_oom(const char *what) __attribute__((noreturn));

void *lb_xmalloc(size_t n);
void *lb_xcalloc(size_t n, size_t sz);
void *lb_xrealloc(void *p, size_t n);
/* n * sz, refusing (as out of memory) a product that overflows. */
void *lb_xreallocarray(void *p, size_t n, size_t sz);
char *lb_xstrdup(const char *s);
char *lb_xstrndup(const char *s, size_t n);
char *lb_xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
