/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LBCTL_H
#define LBCTL_H

#include "lib/lb_nl.h"

/* Exit codes: usage and parse errors, failures of the kernel or the daemon. */
#define LBCTL_EXIT_USAGE	1
#define LBCTL_EXIT_FAIL		2

extern int lbctl_json;

int lbctl_matches(const char *arg, const char *cmd);
int lbctl_open(struct lb_nl *nl);
int lbctl_fail(struct lb_nl *nl, int err);

int lbctl_do_service(int argc, char **argv);
int lbctl_do_backend(int argc, char **argv);

#endif
