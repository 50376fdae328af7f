// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl's options: one meaning per flag, accepted anywhere on the command
 * line as kubectl accepts its flags, and checked against the command.
 */

#include <stdlib.h>
#include <string.h>
#include "lbctl.h"

/* Each option, its spellings and whether it takes a value. */
static const struct option_def {
	unsigned int bit;
	char short_name;		/* 0: none */
	const char *long_name;
	bool has_value;
} defs[] = {
	{ LBCTL_OPT_NETNS, 'N', "netns", true },
	{ LBCTL_OPT_NAMESPACE, 'n', "namespace", true },
	{ LBCTL_OPT_ALL_NS, 'A', "all-namespaces", false },
	{ LBCTL_OPT_OUTPUT, 'o', "output", true },
	{ LBCTL_OPT_OUTPUT, 'j', "json", false },
	{ LBCTL_OPT_FILE, 'f', "filename", true },
	{ LBCTL_OPT_SOCKET, 0, "socket", true },
	{ LBCTL_OPT_BATCH, 'b', "batch", true },
	{ LBCTL_OPT_VERSION, 'V', "version", false },
	{ LBCTL_OPT_HELP, 'h', "help", false },
};

#define NDEFS	(sizeof(defs) / sizeof(defs[0]))

/* By bit: how errors name an option, and where it belongs. */
static const struct {
	const char *name;
	const char *where;
} about[] = {
	{ "-N/--netns", NULL },
	{ "-n/--namespace",
	  "-n is a Kubernetes namespace, for get, describe and delete; a network namespace is -N/--netns NAME" },
	{ "-A/--all-namespaces", "-A is for get services" },
	{ "-o/--output", NULL },
	{ "-f/--filename", "-f is for apply and delete" },
	{ "--socket",
	  "--socket is lbipamd's, for apply, delete, get and describe" },
	{ "-b/--batch", "give -b before the commands, not inside a batch" },
	{ "-V/--version", NULL },
	{ "-h/--help", NULL },
};

static int set_format(struct lbctl_opts *o, const char *v)
{
	static const char *const formats[] = {
		[LBCTL_FMT_TEXT] = "text", [LBCTL_FMT_WIDE] = "wide",
		[LBCTL_FMT_YAML] = "yaml", [LBCTL_FMT_JSON] = "json",
	};
	unsigned int i;

	for (i = LBCTL_FMT_WIDE; i <= LBCTL_FMT_JSON; i++) {
		if (!strcmp(v, formats[i])) {
			o->fmt = (enum lbctl_format)i;
			return 0;
		}
	}
	lbctl_err("unknown output format '%s' for -o (expected wide, yaml or json)",
		  v);
	return LBCTL_EXIT_USAGE;
}

static int set_option(struct lbctl_opts *o, const struct option_def *d,
		      const char *v)
{
	if ((o->given & d->bit) && d->bit == LBCTL_OPT_FILE) {
		lbctl_err("only one -f per call (one call is all-or-nothing)");
		return LBCTL_EXIT_USAGE;
	}
	o->given |= d->bit;
	switch (d->bit) {
	case LBCTL_OPT_NETNS:
		o->netns = v;
		break;
	case LBCTL_OPT_NAMESPACE:
		o->ns = v;
		break;
	case LBCTL_OPT_ALL_NS:
		o->all_ns = true;
		break;
	case LBCTL_OPT_OUTPUT:
		if (!v) {
			o->fmt = LBCTL_FMT_JSON;
			break;
		}
		return set_format(o, v);
	case LBCTL_OPT_FILE:
		o->file = v;
		break;
	case LBCTL_OPT_SOCKET:
		o->socket = v;
		break;
	case LBCTL_OPT_BATCH:
		o->batch = v;
		break;
	case LBCTL_OPT_VERSION:
		o->version = true;
		break;
	default:
		o->help = true;
		break;
	}
	return 0;
}

/* The option @w names ("-n", "-nNS", "--namespace", "--namespace=NS"). */
static const struct option_def *lookup(const char *w, const char **inline_v)
{
	const char *eq;
	size_t i, n;

	*inline_v = NULL;
	if (w[1] != '-') {
		for (i = 0; i < NDEFS; i++) {
			if (defs[i].short_name != w[1])
				continue;
			if (w[2] && !defs[i].has_value)
				return NULL;
			if (w[2])
				*inline_v = w + 2 + (w[2] == '=');
			return &defs[i];
		}
		return NULL;
	}
	eq = strchr(w, '=');
	n = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
	for (i = 0; i < NDEFS; i++) {
		if (strlen(defs[i].long_name) != n ||
		    strncmp(w + 2, defs[i].long_name, n))
			continue;
		if (eq && !defs[i].has_value)
			return NULL;
		if (eq)
			*inline_v = eq + 1;
		return &defs[i];
	}
	return NULL;
}

int lbctl_opts_parse(struct lbctl_opts *o, int argc, char **argv)
{
	bool options = true;
	int i, rc;

	o->given = 0;
	o->argc = 0;
	o->argv = calloc((size_t)argc + 1, sizeof(*o->argv));
	if (!o->argv) {
		lbctl_err("out of memory");
		return LBCTL_EXIT_FAIL;
	}
	for (i = 0; i < argc; i++) {
		const char *w = argv[i], *v;
		const struct option_def *d;

		/* "-" is a file name, "-1" a number: words, not options. */
		if (!options || w[0] != '-' || !w[1] ||
		    (w[1] >= '0' && w[1] <= '9')) {
			o->argv[o->argc++] = argv[i];
			continue;
		}
		if (!strcmp(w, "--")) {
			options = false;
			continue;
		}
		d = lookup(w, &v);
		if (!d) {
			lbctl_err("unknown option '%s', try \"lbctl help\"", w);
			return LBCTL_EXIT_USAGE;
		}
		if (d->has_value && !v) {
			if (i + 1 == argc) {
				lbctl_err("option '%s' needs a value", w);
				return LBCTL_EXIT_USAGE;
			}
			v = argv[++i];
		}
		rc = set_option(o, d, v);
		if (rc)
			return rc;
	}
	return 0;
}

void lbctl_opts_free(struct lbctl_opts *o)
{
	free(o->argv);
	o->argv = NULL;
	o->argc = 0;
}

int lbctl_opts_check(const struct lbctl_opts *o, const char *cmd,
		     unsigned int allowed)
{
	unsigned int bad = o->given & ~allowed, i;

	for (i = 0; i < sizeof(about) / sizeof(about[0]); i++) {
		if (!(bad & (1u << i)))
			continue;
		if (about[i].where)
			lbctl_err("%s does not take %s (%s)", cmd,
				  about[i].name, about[i].where);
		else
			lbctl_err("%s does not take %s", cmd, about[i].name);
		return LBCTL_EXIT_USAGE;
	}
	return 0;
}
