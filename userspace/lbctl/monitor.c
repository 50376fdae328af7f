// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl monitor: every change to the kernel's tables (services, backends,
 * L2 announcements), as it happens, one line (text or JSON) per event.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/lb_nl_l2.h"
#include "lbctl.h"

static const struct {
	uint8_t cmd;
	const char *text;	/* as the lbctl command that would do it */
	const char *json;
} events[] = {
	{ LBIPAM_CMD_SERVICE_NEW, "service add", "service_add" },
	{ LBIPAM_CMD_SERVICE_SET, "service set", "service_set" },
	{ LBIPAM_CMD_SERVICE_DEL, "service del", "service_del" },
	{ LBIPAM_CMD_BACKEND_NEW, "backend add", "backend_add" },
	{ LBIPAM_CMD_BACKEND_SET, "backend set", "backend_set" },
	{ LBIPAM_CMD_BACKEND_DEL, "backend del", "backend_del" },
	{ LBIPAM_CMD_BACKEND_REPLACE, "backend replace", "backend_replace" },
	{ LBIPAM_CMD_FLUSH, "flush", "flush" },
};

/* "l2 add ADDRESS dev IFNAME", as the command that would do it. */
static int l2_event(struct nlmsghdr *nlh, bool json, bool add)
{
	struct lb_l2_entry e;
	struct lbctl_out p;

	if (lb_nl_parse_l2(nlh, &e))
		return -EBADMSG;
	lbctl_out_init(&p, json);
	lbctl_out_open(&p, NULL, false);
	lbctl_out_str(&p, NULL, "%s", add ? "l2 add " : "l2 del ");
	lbctl_out_str(&p, "event", NULL, add ? "l2_add" : "l2_del");
	lbctl_print_l2(&p, "l2", &e, false);
	lbctl_out_close(&p);
	return lbctl_out_finish(&p) ? -ENOMEM : 0;
}

static int event(struct nlmsghdr *nlh, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlh);
	const bool *json = arg;
	struct lb_svc_reply r;
	struct lbctl_out p;
	size_t i;
	int err = 0;

	if (gh->cmd == LBIPAM_CMD_L2_NEW || gh->cmd == LBIPAM_CMD_L2_DEL) {
		err = l2_event(nlh, *json, gh->cmd == LBIPAM_CMD_L2_NEW);
		fflush(stdout);
		return err;
	}

	if (lb_nl_parse_service(nlh, &r))
		return -EBADMSG;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (events[i].cmd != r.cmd)
			continue;
		lbctl_out_init(&p, *json);
		lbctl_print_event(&p, &r, events[i].text, events[i].json);
		err = lbctl_out_finish(&p) ? -ENOMEM : 0;
		break;
	}
	lb_svc_reply_free(&r);
	/* Someone may be reading through a pipe, line by line. */
	fflush(stdout);
	return err;
}

int lbctl_do_monitor(const struct lbctl_opts *o)
{
	bool json = o->fmt == LBCTL_FMT_JSON;
	struct lb_nl *nl;
	int err;

	if (o->argc == 1 && lbctl_matches(o->argv[0], "help")) {
		printf("Usage: lbctl [-N NETNS] [-j] monitor\n");
		return 0;
	}
	if (o->argc) {
		lbctl_err("monitor takes no arguments");
		return LBCTL_EXIT_USAGE;
	}
	nl = lbctl_nl();
	if (!nl)
		return LBCTL_EXIT_FAIL;
	err = lb_nl_monitor(nl, event, &json);
	return err ? lbctl_fail(nl, err) : 0;
}
