// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl: configure lbipam.ko's services and backends over generic netlink,
 * in the style of ip(8): global options, then OBJECT COMMAND ARGS.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lbctl.h"

#ifndef LBIPAM_VERSION
#define LBIPAM_VERSION "unknown"
#endif

int lbctl_json;

static void lbctl_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       lbctl help\n"
		"OBJECT := { service | backend }\n"
		"OPTIONS := { -n[etns] NAME | -j[son] | -V[ersion] | -h[elp] }\n"
		"Try \"lbctl OBJECT help\" for the commands of an object.\n");
}

/* Like ip(8): any non-empty prefix of @cmd selects it. */
int lbctl_matches(const char *arg, const char *cmd)
{
	size_t n = strlen(arg);

	return n && n <= strlen(cmd) && !strncmp(arg, cmd, n);
}

int lbctl_open(struct lb_nl *nl)
{
	if (lb_nl_open(nl)) {
		fprintf(stderr, "lbctl: %s\n", nl->err);
		return -1;
	}
	return 0;
}

int lbctl_fail(struct lb_nl *nl, int err)
{
	if (nl->err[0])
		fprintf(stderr, "lbctl: Error: %s\n", nl->err);
	else
		fprintf(stderr, "lbctl: Error: %s\n", lb_nl_strerror(err));
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
		fprintf(stderr, "lbctl: invalid network namespace name '%s'\n",
			name);
		return LBCTL_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr,
			"lbctl: cannot open network namespace '%s': %s\n",
			name, strerror(errno));
		return LBCTL_EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr,
			"lbctl: cannot enter network namespace '%s': %s\n",
			name, strerror(errno));
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
};

int main(int argc, char **argv)
{
	const char *obj;
	size_t i;

	argc--, argv++;
	while (argc > 0 && argv[0][0] == '-') {
		const char *opt = argv[0] + 1;

		if (*opt == '-')
			opt++;
		if (lbctl_matches(opt, "netns") && *opt == 'n') {
			if (argc < 2) {
				fprintf(stderr, "lbctl: -n needs a namespace name\n");
				return LBCTL_EXIT_USAGE;
			}
			int rc = lbctl_setns(argv[1]);

			if (rc)
				return rc;
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
			fprintf(stderr, "lbctl: unknown option '%s'\n", argv[0]);
			lbctl_usage(stderr);
			return LBCTL_EXIT_USAGE;
		}
		argc--, argv++;
	}

	if (argc < 1) {
		lbctl_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	obj = argv[0];
	if (lbctl_matches(obj, "help")) {
		lbctl_usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(lbctl_objects) / sizeof(lbctl_objects[0]); i++)
		if (lbctl_matches(obj, lbctl_objects[i].name))
			return lbctl_objects[i].fn(argc - 1, argv + 1);

	fprintf(stderr, "lbctl: object \"%s\" is unknown, try \"lbctl help\"\n",
		obj);
	return LBCTL_EXIT_USAGE;
}
