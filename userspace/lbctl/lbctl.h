/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What lbctl's files share: the exit codes, the options, the output helpers
 * and the commands of both sides (kernel over netlink, lbipamd's socket).
 */
#ifndef LBCTL_H
#define LBCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "lib/lb_nl.h"

/* Exit codes: usage and parse errors, failures of the kernel or the daemon. */
#define LBCTL_EXIT_USAGE	1
#define LBCTL_EXIT_FAIL		2

/* ------------------------------------------------------------ main.c --- */

/* "lbctl: [line N: ]message" on stderr. */
void lbctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like ip(8): any non-empty prefix of @cmd selects it. */
bool lbctl_matches(const char *arg, const char *cmd);
/* The shared netlink socket, opened on first use; NULL after an error. */
struct lb_nl *lbctl_nl(void);
/* Reports a failed request; returns the exit code. */
int lbctl_fail(struct lb_nl *nl, int err);

/* --------------------------------------------------------- options.c --- */

enum lbctl_format {
	LBCTL_FMT_TEXT,			/* tables, or ip-style lines */
	LBCTL_FMT_WIDE,
	LBCTL_FMT_YAML,
	LBCTL_FMT_JSON,
};

/* The options of one command line (or one batch line) and its words. */
struct lbctl_opts {
	const char *netns;		/* -N: network namespace (ip -n) */
	const char *batch;		/* -b */
	const char *socket;		/* --socket: lbipamd's */
	const char *file;		/* -f */
	const char *ns;			/* -n: Kubernetes namespace */
	bool all_ns;			/* -A */
	bool help, version;
	enum lbctl_format fmt;		/* -j, -o */
	unsigned int given;		/* LBCTL_OPT_* given on this line */
	int argc;			/* the words that are not options */
	char **argv;
};

/* Which options were given, for lbctl_opts_check(); in about[]'s order. */
#define LBCTL_OPT_NETNS		(1u << 0)
#define LBCTL_OPT_NAMESPACE	(1u << 1)
#define LBCTL_OPT_ALL_NS	(1u << 2)
#define LBCTL_OPT_OUTPUT	(1u << 3)
#define LBCTL_OPT_FILE		(1u << 4)
#define LBCTL_OPT_SOCKET	(1u << 5)
#define LBCTL_OPT_BATCH		(1u << 6)
#define LBCTL_OPT_VERSION	(1u << 7)
#define LBCTL_OPT_HELP		(1u << 8)
/* What every command accepts. */
#define LBCTL_OPT_ANY		(LBCTL_OPT_NETNS | LBCTL_OPT_BATCH | \
				 LBCTL_OPT_VERSION | LBCTL_OPT_HELP)

/*
 * Options anywhere in @argv (up to "--"), the other words in o->argv.
 * Values already in @o (a batch's own options) stay unless given again.
 * Returns 0 or the exit code; lbctl_opts_free() in either case.
 */
int lbctl_opts_parse(struct lbctl_opts *o, int argc, char **argv);
void lbctl_opts_free(struct lbctl_opts *o);
/* An option given that @cmd does not take is a usage error, named. */
int lbctl_opts_check(const struct lbctl_opts *o, const char *cmd,
		     unsigned int allowed);

/* ---------------------------------------------------------- kernel.c --- */
/* The kernel's table over netlink, as ip(8): OBJECT COMMAND ARGS. */

int lbctl_do_service(const struct lbctl_opts *o);
int lbctl_do_backend(const struct lbctl_opts *o);
int lbctl_do_stats(const struct lbctl_opts *o);
int lbctl_do_flush(const struct lbctl_opts *o);
/* l2.c */
int lbctl_do_l2(const struct lbctl_opts *o);
/*
 * "stats ADDRESS": the L2 announcements of a bare address (every interface)
 * with their counters; -1 when @addr is not an address (nothing printed).
 */
int lbctl_l2_stats(const char *addr, bool json);
/* monitor.c */
int lbctl_do_monitor(const struct lbctl_opts *o);

/* ---------------------------------------------------------- output.c --- */
/*
 * One print path for text and JSON, as iproute2 does it: a printer fills
 * in the JSON document's keys and writes the text line's words from the
 * same calls. A NULL key is text only; a NULL format is JSON only.
 */
#define LBCTL_OUT_DEPTH	8

struct lbctl_out {
	bool json;
	int depth;
	json_t *stack[LBCTL_OUT_DEPTH];	/* open objects and arrays */
	json_t *root;
};

void lbctl_out_init(struct lbctl_out *p, bool json);
/* Prints the JSON document, if any; returns the exit code. */
int lbctl_out_finish(struct lbctl_out *p);
/* A nested object or array under @key (NULL: in the enclosing array). */
void lbctl_out_open(struct lbctl_out *p, const char *key, bool array);
void lbctl_out_close(struct lbctl_out *p);
void lbctl_out_text(struct lbctl_out *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lbctl_out_str(struct lbctl_out *p, const char *key, const char *fmt,
		   const char *v);
void lbctl_out_uint(struct lbctl_out *p, const char *key, const char *fmt,
		    unsigned long long v);
/* Text: @fmt (no argument) only when @v is true. */
void lbctl_out_bool(struct lbctl_out *p, const char *key, const char *fmt,
		    bool v);
/* Compact JSON on a line of its own; @j is consumed. Exit code. */
int lbctl_print_json(json_t *j);

/* ---------------------------------------------------- kernel_print.c --- */

enum lbctl_show {
	LBCTL_SHOW_CONFIG,		/* options and backends */
	LBCTL_SHOW_STATS,		/* counters */
};

/* A service with its backends, as "service list" and "stats" show it. */
void lbctl_print_service(struct lbctl_out *p, const struct lb_svc_reply *r,
			 enum lbctl_show what);
struct lb_l2_entry;
/*
 * An L2 announcement, as "l2 list" shows it, its counters when @stats; an
 * object under @key (NULL: in the enclosing array).
 */
void lbctl_print_l2(struct lbctl_out *p, const char *key,
		    const struct lb_l2_entry *e, bool stats);
/*
 * A change, as "monitor" shows it: named as the command that would make
 * it (@text) or as a JSON word (@json).
 */
void lbctl_print_event(struct lbctl_out *p, const struct lb_svc_reply *r,
		       const char *text, const char *json);

/* ----------------------------------------------------- daemon side --- */
/* kubectl-like verbs served by lbipamd (verbs.c). */

int lbctl_do_apply(const struct lbctl_opts *o);
int lbctl_do_delete(const struct lbctl_opts *o);
int lbctl_do_get(const struct lbctl_opts *o);
int lbctl_do_describe(const struct lbctl_opts *o);
/* bgp.c: get bgp peers|routes. */
int lbctl_get_bgp(const struct lbctl_opts *o);

/* client.c: one request, one response; NULL: error printed, *rc set. */
json_t *lbctl_request(const struct lbctl_opts *o, json_t *req, int *rc);
/* A string member of @obj, "" if absent. */
const char *lbctl_str(json_t *obj, const char *key);

/* table.c: kubectl's aligned columns (at most 12), ages and times. */
struct lbctl_table {
	size_t ncols, nrows;
	char **cells;			/* nrows x ncols, row 0 = header */
};

/* One row of t->ncols strings (NULL prints empty). */
void lbctl_table_row(struct lbctl_table *t, ...);
/* Prints the rows, each indented, and empties the table. */
void lbctl_table_print(struct lbctl_table *t, int indent);
/* kubectl's HumanDuration since @created (seconds since the epoch). */
void lbctl_human_age(json_t *created, char *buf, size_t len);
/* "2026-11-30T10:05:42Z" as kubectl describe prints times. */
void lbctl_rfc3339_human(const char *s, char *buf, size_t len);

/* views.c: kubectl's tables and describe pages. */
void lbctl_pools_table(json_t *items, bool wide);
void lbctl_services_table(json_t *items, bool wide);
void lbctl_describe_pool(json_t *pool);
void lbctl_describe_service(json_t *svc);
void lbctl_l2policies_table(json_t *items, bool wide);
void lbctl_nodes_table(json_t *items, bool wide);
void lbctl_describe_l2policy(json_t *pol);
void lbctl_describe_node(json_t *node);
/* The "L2 Announcement:" part of describe service. */
void lbctl_describe_l2(json_t *l2);
/* EVENT items (lib/lbipamd_proto.h) as kubectl get events prints them. */
void lbctl_events_table(json_t *items, bool all_ns, const char *ns,
			bool wide);
void lbctl_describe_events(json_t *items);
/* An empty table (the header row only): freed, and kubectl's message. */
void lbctl_no_resources(struct lbctl_table *t);
/* describe's "Conditions:" table. */
void lbctl_describe_conditions(json_t *conds);
/* "Mon, 30 Nov 2026 10:05:42 +0000 (5m ago)" from seconds since the epoch. */
void lbctl_created_time(json_t *created, char *buf, size_t len);

/* views_bgp.c: the three BGP Control Plane kinds. */
void lbctl_bgp_objects_table(json_t *items, bool wide);
void lbctl_describe_bgp_object(json_t *item);

/* yaml.c: a JSON value as a YAML document. Exit code. */
int lbctl_print_yaml(json_t *v);

#endif
