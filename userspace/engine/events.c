// SPDX-License-Identifier: GPL-2.0
/*
 * Events about allocations, conflicts and failures: a bounded in-memory
 * list that folds repeats together as Kubernetes' event correlator does.
 */
#include "engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lb_event {
	uint64_t hash;		/* of the identity: type, reason, object, message */
	bool warning;
	const char *reason;	/* a string literal of the caller */
	enum lb_kind kind;
	char *obj;		/* "ns\0name" or "name" */
	const char *name;	/* into obj */
	char *message;
	uint64_t count;
	int64_t first, last;
	struct lb_event *prev, *next;	/* least recently seen first */
};

/* What an event is, for finding the kept one it repeats. */
struct ev_id {
	uint64_t hash;
	bool warning;
	const char *reason;
	enum lb_kind kind;
	const char *key;	/* "ns/name" or "name" */
	const char *message;
	const struct lb_event *self;	/* this very entry, to remove it */
};

static uint64_t ev_hash_entry(const void *entry)
{
	return ((const struct lb_event *)entry)->hash;
}

static uint64_t ev_hash_key(const void *key)
{
	return ((const struct ev_id *)key)->hash;
}

/* obj holds key with its '/' turned into a NUL. */
static bool same_obj(const struct lb_event *v, const char *key)
{
	size_t ns = v->name == v->obj ? 0 : (size_t)(v->name - v->obj);

	if (ns && (strncmp(v->obj, key, ns - 1) || key[ns - 1] != '/'))
		return false;
	return !strcmp(v->name, key + ns);
}

static bool ev_eq(const void *entry, const void *key)
{
	const struct lb_event *v = entry;
	const struct ev_id *id = key;

	if (id->self)
		return v == id->self;
	return v->hash == id->hash && v->warning == id->warning &&
	       v->kind == id->kind && !strcmp(v->reason, id->reason) &&
	       !strcmp(v->message, id->message) && same_obj(v, id->key);
}

static const struct lb_htab_ops ev_ops = {
	.hash_entry = ev_hash_entry,
	.hash_key = ev_hash_key,
	.eq = ev_eq,
};

void lbe_events_init(struct lb_engine *e)
{
	lbe_htab_init(&e->events, &ev_ops);
	e->ev_head = NULL;
	e->ev_tail = NULL;
	e->nevents = 0;
}

static void ev_free(struct lb_event *v)
{
	free(v->obj);
	free(v->message);
	free(v);
}

void lbe_events_free(struct lb_engine *e)
{
	struct lb_event *v = e->ev_head, *next;

	for (; v; v = next) {
		next = v->next;
		ev_free(v);
	}
	lbe_htab_free(&e->events);
	e->ev_head = NULL;
	e->ev_tail = NULL;
	e->nevents = 0;
}

static void unlink_ev(struct lb_engine *e, struct lb_event *v)
{
	if (v->prev)
		v->prev->next = v->next;
	else
		e->ev_head = v->next;
	if (v->next)
		v->next->prev = v->prev;
	else
		e->ev_tail = v->prev;
	v->prev = NULL;
	v->next = NULL;
}

static void append_ev(struct lb_engine *e, struct lb_event *v)
{
	v->prev = e->ev_tail;
	v->next = NULL;
	if (e->ev_tail)
		e->ev_tail->next = v;
	else
		e->ev_head = v;
	e->ev_tail = v;
}

void lbe_event(struct lb_engine *e, bool warning, const char *reason,
	      enum lb_kind kind, const char *key, const char *fmt, ...)
{
	size_t limit = e->cfg.max_events ? e->cfg.max_events :
					    LB_EVENTS_DEFAULT;
	struct ev_id id = { .warning = warning, .reason = reason,
			    .kind = kind, .key = key };
	struct lb_event *v;
	char *msg, *slash;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		lb_oom("vasprintf");
	va_end(ap);
	id.message = msg;
	id.hash = lbe_hash_str(msg) ^ lbe_hash_bytes(key, strlen(key),
		  lbe_hash_str(reason) + (uint64_t)kind * 2 + warning);
	v = lbe_htab_get(&e->events, &id);
	if (v) {
		free(msg);
		v->count++;
		v->last = lbe_now(e);
		unlink_ev(e, v);
		append_ev(e, v);
		return;
	}
	v = lb_xcalloc(1, sizeof(*v));
	v->hash = id.hash;
	v->warning = warning;
	v->reason = reason;
	v->kind = kind;
	v->obj = lb_xstrdup(key);
	slash = lb_kind_namespaced(kind) ? strchr(v->obj, '/') : NULL;
	if (slash)
		*slash = '\0';
	v->name = slash ? slash + 1 : v->obj;
	v->message = msg;
	v->count = 1;
	v->first = lbe_now(e);
	v->last = v->first;
	lbe_htab_add(&e->events, v);
	append_ev(e, v);
	e->nevents++;
	while (e->nevents > limit) {
		struct lb_event *old = e->ev_head;
		struct ev_id oid = { .hash = old->hash, .self = old };

		unlink_ev(e, old);
		lbe_htab_del(&e->events, &oid);
		ev_free(old);
		e->nevents--;
	}
	/* The condition or allocation behind it has its own log line. */
	lbe_log(e, LB_LOG_DEBUG, "Recorded event", "type",
	       warning ? "Warning" : "Normal", "reason", reason, "object",
	       key, "message", v->message, NULL);
}

int lbe_foreach_event(struct lb_engine *e, lb_event_cb cb, void *arg)
{
	const struct lb_event *v;
	int rc;

	for (v = e->ev_head; v; v = v->next) {
		struct lb_event_info in = {
			.type = v->warning ? "Warning" : "Normal",
			.reason = v->reason,
			.kind = v->kind,
			.ns = v->name == v->obj ? "" : v->obj,
			.name = v->name,
			.message = v->message,
			.count = v->count,
			.first = v->first,
			.last = v->last,
		};

		rc = cb(&in, arg);
		if (rc)
			return rc;
	}
	return 0;
}
