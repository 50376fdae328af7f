// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-memory policy of lib/lb_mem.c: a failed allocation ends the
 * process with abort() after one structured log line on stderr.
 */

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/lb_mem.h"

/* Let malloc fail with NULL under ASan instead of ASan reporting it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static int t, failed;

static void ok(int cond, const char *what)
{
	failed += !cond;
	printf("%sok %d - %s\n", cond ? "" : "not ", ++t, what);
}

/* Runs fn in a child; its stderr goes to @out. Returns the wait status. */
static int run(void (*fn)(void), char *out, size_t len)
{
	int fd[2], status = 0;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fd[1], STDERR_FILENO);
		close(fd[0]);
		fn();
		_exit(0);
	}
	close(fd[1]);
	while ((n = read(fd[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(fd[0]);
	waitpid(pid, &status, 0);
	return status;
}

/* A line of its own (ASan may have warned before it) in logfmt. */
static int logged(const char *out, const char *what)
{
	const char *p = strstr(out, "time=");

	if (!p || (p != out && p[-1] != '\n'))
		return 0;
	return !!strstr(p, "level=error msg=\"Out of memory, aborting\"") &&
	       !!strstr(p, what);
}

static volatile size_t huge = SIZE_MAX / 2;

static void too_big(void)
{
	free(lb_xmalloc(huge));
}

static void overflow(void)
{
	free(lb_xreallocarray(NULL, huge, 4));
}

static void fine(void)
{
	char *s = lb_xasprintf("%s-%d", "a", 1);
	char *d = lb_xstrndup("abcdef", 3);
	int good = !strcmp(s, "a-1") && !strcmp(d, "abc");

	free(s);
	free(d);
	if (!good)
		abort();
}

int main(void)
{
	char out[512];
	int st;

	printf("TAP version 13\n");
	st = run(too_big, out, sizeof(out));
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	   "a failed malloc aborts");
	ok(logged(out, "what=malloc"), "... after one logfmt line");
	st = run(overflow, out, sizeof(out));
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT &&
	   logged(out, "what=reallocarray"),
	   "an array size that overflows aborts before allocating");
	st = run(fine, out, sizeof(out));
	ok(WIFEXITED(st) && !WEXITSTATUS(st) && !*out,
	   "allocations that succeed say nothing");
	printf("1..%d\n", t);
	return failed ? 1 : 0;
}
