/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LBCTL_H
#define LBCTL_H

#include <stdio.h>
#include <jansson.h>
#include "lib/lb_nl.h"

/* Exit codes: usage and parse errors, failures of the kernel or the daemon. */
#define LBCTL_EXIT_USAGE	1
#define LBCTL_EXIT_FAIL		2

extern int lbctl_json;

int lbctl_matches(const char *arg, const char *cmd);
/* "lbctl: [line N: ]message" on stderr. */
void lbctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The shared netlink socket, opened on first use; NULL after an error. */
struct lb_nl *lbctl_nl(void);
void lbctl_nl_close(void);
/* Reports a failed request; returns the exit code. */
int lbctl_fail(struct lb_nl *nl, int err);

int lbctl_do_service(int argc, char **argv);
int lbctl_do_backend(int argc, char **argv);
int lbctl_do_stats(int argc, char **argv);
int lbctl_do_flush(int argc, char **argv);
int lbctl_do_monitor(int argc, char **argv);
/* lbctl_daemon.c: kubectl-like verbs served by lbipamd. */
int lbctl_do_apply(int argc, char **argv);
int lbctl_do_delete(int argc, char **argv);
int lbctl_do_get(int argc, char **argv);
int lbctl_do_describe(int argc, char **argv);

/* lbctl_print.c: one rendering of services for list, show, stats, monitor. */
enum lbctl_print_what {
	LBCTL_PRINT_CONFIG,		/* options and backends */
	LBCTL_PRINT_STATS,		/* counters */
};

void lbctl_print_service(const struct lb_svc_reply *r,
			 enum lbctl_print_what what, FILE *f);
json_t *lbctl_service_json(const struct lb_svc_reply *r, int backends);
json_t *lbctl_backend_json(const struct lb_backend *b);
const char *lbctl_state_name(uint8_t state);
const char *lbctl_sched_name(uint8_t sched);
/* " weight 3 state terminating local": the options not at their default. */
void lbctl_print_backend_opts(const struct lb_backend *b, FILE *f);
void lbctl_print_service_opts(const struct lb_svc_opts *o, FILE *f);
int lbctl_print_json(json_t *j);

#endif
