// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl's "l2": which addresses the module answers ARP and neighbour
 * solicitations for, on which interface (L2 announcements).
 */

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include "lib/lb_nl_l2.h"
#include "lbctl.h"

static void l2_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl l2 { add | del } ADDRESS dev IFNAME\n"
		"       lbctl l2 list\n"
		"ADDRESS := { IPV4 | IPV6 }\n");
}

/* "ADDRESS dev IFNAME" into @e; the interface in the current namespace. */
static int parse_l2(int argc, char **argv, const char *cmd,
		    struct lb_l2_entry *e)
{
	unsigned int ifindex;

	if (argc != 3 || strcmp(argv[1], "dev")) {
		lbctl_err("l2 %s takes ADDRESS dev IFNAME", cmd);
		l2_usage(stderr);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	if (lb_ip_parse(argv[0], &e->family, &e->addr)) {
		lbctl_err("invalid IP address '%s'", argv[0]);
		return -1;
	}
	if (strlen(argv[2]) >= IFNAMSIZ) {
		lbctl_err("interface name '%s' is too long (at most %d characters)",
			  argv[2], IFNAMSIZ - 1);
		return -1;
	}
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex) {
		lbctl_err("no interface '%s' in this network namespace",
			  argv[2]);
		return -1;
	}
	e->ifindex = ifindex;
	return 0;
}

/* Every announcement, or only those of @only's address (any interface). */
static int l2_list(bool json, const struct lb_l2_entry *only)
{
	struct lb_nl *nl = lbctl_nl();
	struct lb_l2_list l = { 0 };
	struct lbctl_out p;
	size_t i;
	int err;

	if (!nl)
		return LBCTL_EXIT_FAIL;
	err = lb_nl_get_l2(nl, &l);
	if (err == -EAGAIN) {
		lbctl_err("warning: the table changed while it was read; announcements added or deleted meanwhile may be missing or shown");
		err = 0;
	}
	if (err) {
		lb_l2_list_free(&l);
		return lbctl_fail(nl, err);
	}
	if (only) {
		size_t n = 0;

		for (i = 0; i < l.n; i++) {
			if (!lb_ip_cmp(l.v[i].family, &l.v[i].addr,
				       only->family, &only->addr))
				l.v[n++] = l.v[i];
		}
		l.n = n;
		if (!n) {
			char buf[INET6_ADDRSTRLEN];

			lbctl_err("%s is neither a service nor an announced address",
				  lb_ip_str(only->family, &only->addr, buf,
					    sizeof(buf)));
			lb_l2_list_free(&l);
			return LBCTL_EXIT_FAIL;
		}
	}
	lbctl_out_init(&p, json);
	lbctl_out_open(&p, NULL, true);
	for (i = 0; i < l.n; i++)
		lbctl_print_l2(&p, NULL, &l.v[i], true);
	lbctl_out_close(&p);
	lb_l2_list_free(&l);
	return lbctl_out_finish(&p);
}

int lbctl_l2_stats(const char *addr, bool json)
{
	struct lb_l2_entry only = { 0 };

	if (lb_ip_parse(addr, &only.family, &only.addr))
		return -1;
	return l2_list(json, &only);
}

int lbctl_do_l2(const struct lbctl_opts *o)
{
	struct lb_l2_entry e;
	struct lb_nl *nl;
	const char *cmd;
	uint8_t op;
	int err;

	if (o->argc < 1 || lbctl_matches(o->argv[0], "list") ||
	    !strcmp(o->argv[0], "ls")) {
		if (o->argc > 1) {
			lbctl_err("l2 list takes no arguments");
			return LBCTL_EXIT_USAGE;
		}
		return l2_list(o->fmt == LBCTL_FMT_JSON, NULL);
	}
	cmd = o->argv[0];
	if (lbctl_matches(cmd, "help")) {
		l2_usage(stdout);
		return 0;
	}
	if (lbctl_matches(cmd, "add")) {
		op = LBIPAM_CMD_L2_NEW;
	} else if (lbctl_matches(cmd, "delete")) {
		op = LBIPAM_CMD_L2_DEL;
	} else {
		lbctl_err("unknown l2 command '%s'", cmd);
		l2_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (parse_l2(o->argc - 1, o->argv + 1, cmd, &e))
		return LBCTL_EXIT_USAGE;
	nl = lbctl_nl();
	if (!nl)
		return LBCTL_EXIT_FAIL;
	err = lb_nl_l2_change(nl, op, &e);
	return err ? lbctl_fail(nl, err) : 0;
}
