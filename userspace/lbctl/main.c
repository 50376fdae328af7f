// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl: the kernel's services and backends over generic netlink, as ip(8)
 * does it (OBJECT COMMAND ARGS, or a batch of them over one socket), and
 * lbipamd's Kubernetes objects as kubectl does it (VERB RESOURCE NAME).
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
#define BATCH_MAXARGS	1024

/* Formats, as a mask of 1 << enum lbctl_format. */
#define FMT(f)		(1u << (f))
#define FMT_KERNEL	(FMT(LBCTL_FMT_TEXT) | FMT(LBCTL_FMT_JSON))
#define FMT_ALL		(FMT_KERNEL | FMT(LBCTL_FMT_WIDE) | FMT(LBCTL_FMT_YAML))
#define FMT_DESCRIBE	(FMT_KERNEL | FMT(LBCTL_FMT_YAML))

static unsigned long batch_line;	/* batch line being run, 0 outside */
static struct lb_nl sock;
static bool sock_open;

static const struct {
	const char *name;
	int (*fn)(const struct lbctl_opts *o);
	unsigned int options;		/* LBCTL_OPT_* beyond LBCTL_OPT_ANY */
	unsigned int formats;
} objects[] = {
	{ "service", lbctl_do_service, LBCTL_OPT_OUTPUT, FMT_KERNEL },
	{ "backend", lbctl_do_backend, LBCTL_OPT_OUTPUT, FMT_KERNEL },
	{ "stats", lbctl_do_stats, LBCTL_OPT_OUTPUT, FMT_KERNEL },
	{ "monitor", lbctl_do_monitor, LBCTL_OPT_OUTPUT, FMT_KERNEL },
	{ "flush", lbctl_do_flush, 0, FMT_KERNEL },
	{ "l2", lbctl_do_l2, LBCTL_OPT_OUTPUT, FMT_KERNEL },
	{ "apply", lbctl_do_apply,
	  LBCTL_OPT_SOCKET | LBCTL_OPT_FILE | LBCTL_OPT_OUTPUT, FMT_KERNEL },
	{ "delete", lbctl_do_delete, LBCTL_OPT_SOCKET | LBCTL_OPT_FILE |
	  LBCTL_OPT_NAMESPACE | LBCTL_OPT_OUTPUT, FMT_KERNEL },
	{ "get", lbctl_do_get, LBCTL_OPT_SOCKET | LBCTL_OPT_NAMESPACE |
	  LBCTL_OPT_ALL_NS | LBCTL_OPT_OUTPUT, FMT_ALL },
	{ "describe", lbctl_do_describe, LBCTL_OPT_SOCKET |
	  LBCTL_OPT_NAMESPACE | LBCTL_OPT_OUTPUT, FMT_DESCRIBE },
};

#define NOBJECTS	(sizeof(objects) / sizeof(objects[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       lbctl [OPTIONS] -b FILE|-\n"
		"       lbctl [OPTIONS] { apply | delete | get | describe } ... (lbipamd; try \"lbctl get help\")\n"
		"       lbctl help\n"
		"OBJECT := { service | backend | stats | l2 | monitor | flush }\n"
		"OPTIONS := { -N|--netns NAME | -j|--json | -o|--output { wide | yaml | json } |\n"
		"             -n|--namespace NS | -A|--all-namespaces | -f|--filename FILE |\n"
		"             --socket PATH | -b|--batch FILE | -V|--version | -h|--help }\n"
		"Options may come before or after the command; \"--\" ends them.\n"
		"Try \"lbctl OBJECT help\" for the commands of an object.\n");
}

void lbctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("lbctl: ", stderr);
	if (batch_line)
		fprintf(stderr, "line %lu: ", batch_line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool lbctl_matches(const char *arg, const char *cmd)
{
	size_t n = strlen(arg);

	return n && n <= strlen(cmd) && !strncmp(arg, cmd, n);
}

struct lb_nl *lbctl_nl(void)
{
	if (sock_open)
		return &sock;
	if (lb_nl_open(&sock)) {
		lbctl_err("%s", sock.err);
		return NULL;
	}
	sock_open = true;
	return &sock;
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
static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
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

static int run(const struct lbctl_opts *o)
{
	static char *help_argv[] = { "help", NULL };
	struct lbctl_opts h;
	size_t i;

	if (o->argc < 1) {
		usage(o->help ? stdout : stderr);
		return o->help ? 0 : LBCTL_EXIT_USAGE;
	}
	if (lbctl_matches(o->argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NOBJECTS; i++) {
		if (!lbctl_matches(o->argv[0], objects[i].name))
			continue;
		if (o->help) {
			/* "lbctl get -h": the verb's own help. */
			h = *o;
			h.argc = 1;
			h.argv = help_argv;
			return objects[i].fn(&h);
		}
		if (lbctl_opts_check(o, objects[i].name,
				     LBCTL_OPT_ANY | objects[i].options))
			return LBCTL_EXIT_USAGE;
		if (!(objects[i].formats & FMT(o->fmt))) {
			lbctl_err("%s does not print -o %s (only %s)",
				  objects[i].name,
				  o->fmt == LBCTL_FMT_WIDE ? "wide" : "yaml",
				  objects[i].formats == FMT_DESCRIBE ?
				  "text, yaml and json" : "text and json");
			return LBCTL_EXIT_USAGE;
		}
		h = *o;
		h.argc--;
		h.argv++;
		return objects[i].fn(&h);
	}
	lbctl_err("object \"%s\" is unknown, try \"lbctl help\"", o->argv[0]);
	return LBCTL_EXIT_USAGE;
}

/* A batch line's words, split in place; the exit code. */
static int split_line(char *line, char **args, int *argc)
{
	char *save, *w;

	*argc = 0;
	for (w = strtok_r(line, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (*argc == BATCH_MAXARGS) {
			lbctl_err("more than %d words", BATCH_MAXARGS);
			return LBCTL_EXIT_USAGE;
		}
		args[(*argc)++] = w;
	}
	return 0;
}

/* One line: the batch's options, then the line's own. */
static int run_line(const struct lbctl_opts *batch, int argc, char **args)
{
	struct lbctl_opts o = *batch;
	int rc = lbctl_opts_parse(&o, argc, args);

	if (!rc && (o.given & (LBCTL_OPT_NETNS | LBCTL_OPT_BATCH |
			       LBCTL_OPT_VERSION))) {
		lbctl_err("%s belongs before -b, not on a batch line",
			  o.given & LBCTL_OPT_NETNS ? "-N/--netns" :
			  o.given & LBCTL_OPT_BATCH ? "-b/--batch" :
			  "-V/--version");
		rc = LBCTL_EXIT_USAGE;
	}
	if (!rc && o.argc && lbctl_matches(o.argv[0], "monitor")) {
		lbctl_err("monitor cannot run in a batch");
		rc = LBCTL_EXIT_USAGE;
	}
	if (!rc && o.argc)
		rc = run(&o);
	lbctl_opts_free(&o);
	return rc;
}

/* One command per line, in order; stops at the first that fails. */
static int run_batch(const struct lbctl_opts *o)
{
	static char *args[BATCH_MAXARGS];
	FILE *f = strcmp(o->batch, "-") ? fopen(o->batch, "r") : stdin;
	struct lbctl_opts batch = *o;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0, argc;

	if (!f) {
		lbctl_err("cannot open batch file '%s': %s", o->batch,
			  strerror(errno));
		return LBCTL_EXIT_FAIL;
	}
	/* The command line's options are every line's defaults. */
	batch.given = 0;
	while (!rc && getline(&line, &cap, f) >= 0) {
		batch_line++;
		rc = split_line(line, args, &argc);
		if (rc || !argc || args[0][0] == '#')
			continue;
		rc = run_line(&batch, argc, args);
	}
	if (!rc && ferror(f)) {
		lbctl_err("reading '%s': %s", o->batch, strerror(errno));
		rc = LBCTL_EXIT_FAIL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	struct lbctl_opts o = { 0 };
	int rc = lbctl_opts_parse(&o, argc - 1, argv + 1);

	if (rc)
		goto out;
	if (o.version) {
		printf("lbctl %s\n", LBIPAM_VERSION);
		goto out;
	}
	if (o.netns) {
		rc = enter_netns(o.netns);
		if (rc)
			goto out;
	}
	if (o.batch && o.argc && !o.help) {
		lbctl_err("-b takes no command on the command line");
		rc = LBCTL_EXIT_USAGE;
	} else if (o.batch && !o.help) {
		rc = run_batch(&o);
	} else {
		rc = run(&o);
	}
out:
	lbctl_opts_free(&o);
	if (sock_open)
		lb_nl_close(&sock);
	return rc;
}
