// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl: configure lbipam.ko's services and backends over generic netlink,
 * in the style of ip(8): global options, then OBJECT COMMAND ARGS, or a
 * batch of such commands (-b) over one socket.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lbctl.h"

#ifndef LBIPAM_VERSION
#define LBIPAM_VERSION "unknown"
#endif

/* Words on one batch line, at most. */
#define LBCTL_BATCH_MAXARGS	1024

int lbctl_json;
static unsigned long lbctl_line;	/* batch line being run, 0 outside */
static struct lb_nl lbctl_sock;
static int lbctl_sock_open;

static void lbctl_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       lbctl [OPTIONS] -b FILE|-\n"
		"       lbctl help\n"
		"OBJECT := { service | backend | stats | monitor | flush }\n"
		"       lbctl { apply | delete | get | describe } ... (lbipamd; try \"lbctl get help\")\n"
		"OPTIONS := { -n[etns] NAME | -j[son] | -b[atch] FILE | -V[ersion] | -h[elp] }\n"
		"Try \"lbctl OBJECT help\" for the commands of an object.\n");
}

void lbctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("lbctl: ", stderr);
	if (lbctl_line)
		fprintf(stderr, "line %lu: ", lbctl_line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Like ip(8): any non-empty prefix of @cmd selects it. */
int lbctl_matches(const char *arg, const char *cmd)
{
	size_t n = strlen(arg);

	return n && n <= strlen(cmd) && !strncmp(arg, cmd, n);
}

struct lb_nl *lbctl_nl(void)
{
	if (lbctl_sock_open)
		return &lbctl_sock;
	if (lb_nl_open(&lbctl_sock)) {
		lbctl_err("%s", lbctl_sock.err);
		return NULL;
	}
	lbctl_sock_open = 1;
	return &lbctl_sock;
}

void lbctl_nl_close(void)
{
	if (lbctl_sock_open)
		lb_nl_close(&lbctl_sock);
	lbctl_sock_open = 0;
}

int lbctl_fail(struct lb_nl *nl, int err)
{
	lbctl_err("Error: %s", nl->err[0] ? nl->err : lb_nl_strerror(err));
	return LBCTL_EXIT_FAIL;
}

/*
 * Same as "ip -n": everything after this runs inside the namespace.
 * Returns 0 or the exit code.
 */
static int lbctl_setns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		lbctl_err("invalid network namespace name '%s'", name);
		return LBCTL_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		lbctl_err("cannot open network namespace '%s': %s", name,
			  strerror(errno));
		return LBCTL_EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET)) {
		lbctl_err("cannot enter network namespace '%s': %s", name,
			  strerror(errno));
		close(fd);
		return LBCTL_EXIT_FAIL;
	}
	close(fd);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} lbctl_objects[] = {
	{ "service", lbctl_do_service },
	{ "backend", lbctl_do_backend },
	{ "stats", lbctl_do_stats },
	{ "monitor", lbctl_do_monitor },
	{ "flush", lbctl_do_flush },
	{ "apply", lbctl_do_apply },
	{ "delete", lbctl_do_delete },
	{ "get", lbctl_do_get },
	{ "describe", lbctl_do_describe },
};

static int lbctl_run(int argc, char **argv)
{
	size_t i;

	if (argc < 1) {
		lbctl_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (lbctl_matches(argv[0], "help")) {
		lbctl_usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(lbctl_objects) / sizeof(lbctl_objects[0]); i++)
		if (lbctl_matches(argv[0], lbctl_objects[i].name))
			return lbctl_objects[i].fn(argc - 1, argv + 1);

	lbctl_err("object \"%s\" is unknown, try \"lbctl help\"", argv[0]);
	return LBCTL_EXIT_USAGE;
}

/* One command per line, in order; stops at the first that fails. */
static int lbctl_batch(const char *path)
{
	char *line = NULL, *args[LBCTL_BATCH_MAXARGS], *save, *w;
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 0;
	int rc = 0, argc;

	if (!f) {
		lbctl_err("cannot open batch file '%s': %s", path,
			  strerror(errno));
		return LBCTL_EXIT_FAIL;
	}
	while (!rc && getline(&line, &cap, f) >= 0) {
		lbctl_line++;
		argc = 0;
		for (w = strtok_r(line, " \t\r\n", &save); w;
		     w = strtok_r(NULL, " \t\r\n", &save)) {
			if (argc == LBCTL_BATCH_MAXARGS) {
				lbctl_err("more than %d words", LBCTL_BATCH_MAXARGS);
				rc = LBCTL_EXIT_USAGE;
				break;
			}
			args[argc++] = w;
		}
		if (rc || !argc || args[0][0] == '#')
			continue;
		if (lbctl_matches(args[0], "monitor")) {
			lbctl_err("monitor cannot run in a batch");
			rc = LBCTL_EXIT_USAGE;
			break;
		}
		rc = lbctl_run(argc, args);
	}
	if (!rc && ferror(f)) {
		lbctl_err("reading '%s': %s", path, strerror(errno));
		rc = LBCTL_EXIT_FAIL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	int rc;

	argc--, argv++;
	while (argc > 0 && argv[0][0] == '-' && argv[0][1]) {
		const char *opt = argv[0] + 1;

		if (*opt == '-')
			opt++;
		if (*opt == 'n' && lbctl_matches(opt, "netns")) {
			if (argc < 2) {
				lbctl_err("-n needs a namespace name");
				return LBCTL_EXIT_USAGE;
			}
			rc = lbctl_setns(argv[1]);
			if (rc)
				return rc;
			argc--, argv++;
		} else if (*opt == 'b' && lbctl_matches(opt, "batch")) {
			if (argc < 2) {
				lbctl_err("-b needs a file name (- for standard input)");
				return LBCTL_EXIT_USAGE;
			}
			batch = argv[1];
			argc--, argv++;
		} else if (lbctl_matches(opt, "json")) {
			lbctl_json = 1;
		} else if (lbctl_matches(opt, "Version")) {
			printf("lbctl %s\n", LBIPAM_VERSION);
			return 0;
		} else if (lbctl_matches(opt, "help")) {
			lbctl_usage(stdout);
			return 0;
		} else {
			lbctl_err("unknown option '%s'", argv[0]);
			lbctl_usage(stderr);
			return LBCTL_EXIT_USAGE;
		}
		argc--, argv++;
	}

	if (batch) {
		if (argc) {
			lbctl_err("-b takes no command on the command line");
			return LBCTL_EXIT_USAGE;
		}
		rc = lbctl_batch(batch);
	} else {
		rc = lbctl_run(argc, argv);
	}
	lbctl_nl_close();
	return rc;
}
