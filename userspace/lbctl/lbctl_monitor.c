// SPDX-License-Identifier: GPL-2.0
/* lbctl monitor: every change to the table, as it happens. */

#include <errno.h>
#include <stdlib.h>
#include "lbctl.h"

static const struct {
	uint8_t cmd;
	const char *text;	/* as the lbctl command that would do it */
	const char *json;
} lbctl_events[] = {
	{ LBIPAM_CMD_SERVICE_NEW, "service add", "service_add" },
	{ LBIPAM_CMD_SERVICE_SET, "service set", "service_set" },
	{ LBIPAM_CMD_SERVICE_DEL, "service del", "service_del" },
	{ LBIPAM_CMD_BACKEND_NEW, "backend add", "backend_add" },
	{ LBIPAM_CMD_BACKEND_SET, "backend set", "backend_set" },
	{ LBIPAM_CMD_BACKEND_DEL, "backend del", "backend_del" },
	{ LBIPAM_CMD_BACKEND_REPLACE, "backend replace", "backend_replace" },
	{ LBIPAM_CMD_FLUSH, "flush", "flush" },
};

static int lbctl_event_json(const struct lb_svc_reply *r, const char *name)
{
	json_t *o = json_pack("{s:s}", "event", name);

	if (o && r->has_service)
		json_object_set_new(o, "service", lbctl_service_json(r, 0));
	if (o && r->nbackends)
		json_object_set_new(o, "backend",
				    lbctl_backend_json(&r->backends[0]));
	return lbctl_print_json(o);
}

static void lbctl_event_text(const struct lb_svc_reply *r, const char *name)
{
	char buf[LB_SERVICE_STRLEN];

	fputs(name, stdout);
	if (r->has_service)
		printf(" %s", lb_service_str(&r->key, buf, sizeof(buf)));
	if (r->has_opts)
		lbctl_print_service_opts(&r->opts, stdout);
	if (r->nbackends) {
		printf(" %s", lb_endpoint_str(&r->backends[0].ep, buf,
					      sizeof(buf)));
		if (r->cmd != LBIPAM_CMD_BACKEND_DEL)
			lbctl_print_backend_opts(&r->backends[0], stdout);
	}
	/* The one event whose backends are not on the line itself. */
	if (r->has_count && r->cmd == LBIPAM_CMD_BACKEND_REPLACE)
		printf(" (%u backend%s)", r->backend_count,
		       r->backend_count == 1 ? "" : "s");
	putchar('\n');
}

static int lbctl_event(struct nlmsghdr *nlh, void *arg)
{
	struct lb_svc_reply r;
	size_t i;
	int err = 0;

	(void)arg;
	if (lb_nl_parse_service(nlh, &r))
		return -EBADMSG;
	for (i = 0; i < sizeof(lbctl_events) / sizeof(lbctl_events[0]); i++) {
		if (lbctl_events[i].cmd != r.cmd)
			continue;
		if (lbctl_json)
			err = lbctl_event_json(&r, lbctl_events[i].json) ?
			      -ENOMEM : 0;
		else
			lbctl_event_text(&r, lbctl_events[i].text);
		break;
	}
	free(r.backends);
	/* Someone may be reading through a pipe, line by line. */
	fflush(stdout);
	return err;
}

int lbctl_do_monitor(int argc, char **argv)
{
	struct lb_nl *nl;
	int err;

	(void)argv;
	if (argc) {
		lbctl_err("monitor takes no arguments");
		return LBCTL_EXIT_USAGE;
	}
	nl = lbctl_nl();
	if (!nl)
		return LBCTL_EXIT_FAIL;
	err = lb_nl_monitor(nl, lbctl_event, NULL);
	return err ? lbctl_fail(nl, err) : 0;
}
