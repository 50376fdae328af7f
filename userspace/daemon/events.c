// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's events as the API server serves core/v1 Events: for
 * "lbctl get events" and the Events section of "lbctl describe".
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "daemon/lbipamd.h"

struct ev_ctx {
	json_t *items;
	const char *ns;			/* only this namespace, or NULL */
	bool one;			/* only the object below */
	enum lb_kind kind;
	const char *name;
};

/* Kubernetes files a cluster-scoped object's events in "default". */
static const char *ev_namespace(const struct lb_event_info *ev)
{
	return *ev->ns ? ev->ns : "default";
}

static int event_cb(const struct lb_event_info *ev, void *arg)
{
	struct ev_ctx *c = arg;
	const char *ns = ev_namespace(ev);
	char first[64], last[64], name[320];
	json_t *inv, *obj, *j;

	if (c->ns && strcmp(c->ns, ns))
		return 0;
	if (c->one && (ev->kind != c->kind || strcmp(ev->name, c->name)))
		return 0;
	lbipamd_rfc3339(ev->first, first, sizeof(first));
	lbipamd_rfc3339(ev->last, last, sizeof(last));
	/* As client-go names them: the object, then the time in hex. */
	snprintf(name, sizeof(name), "%s.%llx", ev->name,
		 (unsigned long long)ev->first);
	inv = json_pack("{s:s, s:s}", "kind", lb_kind_name(ev->kind), "name",
			ev->name);
	if (*ev->ns)
		json_object_set_new(inv, "namespace", json_string(ev->ns));
	obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:O, s:s, s:s, s:s, s:I, s:s, s:s, s:{s:s}, s:s}",
			"apiVersion", "v1", "kind", "Event", "metadata",
			"name", name, "namespace", ns, "involvedObject", inv,
			"reason", ev->reason, "message", ev->message, "type",
			ev->type, "count", (json_int_t)ev->count,
			"firstTimestamp", first, "lastTimestamp", last,
			"source", "component", "lbipamd",
			"reportingComponent", "lbipamd");
	j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:o}",
		      "namespace", ns, "name", name, "type", ev->type,
		      "reason", ev->reason, "involvedObject", inv,
		      "message", ev->message, "count", (json_int_t)ev->count,
		      "firstTimestamp", (json_int_t)(ev->first / 1000000000),
		      "lastTimestamp", (json_int_t)(ev->last / 1000000000),
		      "object", obj);
	json_array_append_new(c->items, j);
	return 0;
}

json_t *lbipamd_events(struct lb_engine *e, const char *ns)
{
	struct ev_ctx c = { .items = json_array(), .ns = ns };

	lbe_foreach_event(e, event_cb, &c);
	return c.items;
}

json_t *lbipamd_events_of(struct lb_engine *e, enum lb_kind kind,
			  const char *ns, const char *name)
{
	struct ev_ctx c = { .items = json_array(), .one = true, .kind = kind,
			    .name = name };

	c.ns = lb_kind_namespaced(kind) ? ns : "default";
	lbe_foreach_event(e, event_cb, &c);
	return c.items;
}
