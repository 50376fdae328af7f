// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mode's watch: a thread that follows every key under the prefix,
 * keeps the changes of each commit for the main loop and wakes it, so
 * that no etcd event is handled off it.
 *
 * State keys change in several txns when a commit is large (the journal,
 * store_etcd_journal.c); their events wait in pending_delta until the
 * commit key's event, written last, moves them to ready_delta: a
 * follower applies only whole commits, and reads only what changed.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include "daemon/cluster.h"

static void notify(struct lbipamd_cluster *c, char ev)
{
	ssize_t n = write(c->pipe[1], &ev, 1);

	(void)n;		/* full pipe: a wake-up is pending anyway */
}

/* One state key's event into pending_delta (dlock held). */
static void record(struct lbipamd_cluster *c, const char *rel, json_t *ev)
{
	json_t *kv = json_object_get(ev, "kv"), *v = NULL;
	char *text = NULL;

	if (json_is_string(json_object_get(ev, "type")) &&
	    !strcmp(json_string_value(json_object_get(ev, "type")), "DELETE"))
		v = json_null();
	else
		text = lbe_etcd_unb64(json_object_get(kv, "value"), NULL);
	if (text)
		v = json_loads(text, 0, NULL);
	free(text);
	if (!v)
		return;
	json_object_set_new(c->pending_delta, rel, json_pack("[I, o]",
		(json_int_t)lbe_etcd_int(json_object_get(kv, "mod_revision")),
		v));
}

/* The commit key's event: what is pending is now a whole commit. */
static void committed(struct lbipamd_cluster *c, const char *rel,
		      json_t *ev)
{
	record(c, rel, ev);
	json_object_update(c->ready_delta, c->pending_delta);
	json_object_clear(c->pending_delta);
	c->ready_rev = lbe_etcd_int(json_object_get(json_object_get(ev, "kv"),
						   "mod_revision"));
}

/* Which wake-up an event is, recording state changes; 0 for none. */
static char classify(struct lbipamd_cluster *c, json_t *ev)
{
	size_t plen = strlen(c->cfg.prefix);
	char *k = lbe_etcd_unb64(json_object_get(json_object_get(ev, "kv"),
						"key"), NULL);
	const char *rel = k && strlen(k) >= plen ? k + plen : "";
	char what = 0;

	if (!strncmp(rel, "requests/", 9))
		what = EV_REQUEST;
	else if (!strncmp(rel, "announce/", 9) || !strncmp(rel, "nodes/", 6))
		what = EV_ANNOUNCE;
	else if (!strcmp(rel, "leader"))
		what = EV_LEADER;
	else if (!strcmp(rel, "commit"))
		what = EV_STATE;
	if (what == EV_STATE || lbe_store_etcd_state_key(rel)) {
		pthread_mutex_lock(&c->dlock);
		if (what == EV_STATE)
			committed(c, rel, ev);
		else
			record(c, rel, ev);
		pthread_mutex_unlock(&c->dlock);
	}
	free(k);
	return what;
}

static int on_watch(json_t *msg, void *arg)
{
	struct lbipamd_cluster *c = arg;
	bool seen[128] = { false };
	int64_t last = 0;
	json_t *ev;
	size_t i;
	char w;

	if (lbe_etcd_int(json_object_get(msg, "compact_revision"))) {
		/* Resumed past what etcd keeps: read everything again. */
		__atomic_store_n(&c->watch_from, 0, __ATOMIC_SEQ_CST);
		notify(c, EV_CREATED);
		return -ECANCELED;
	}
	if (json_is_true(json_object_get(msg, "created")))
		notify(c, __atomic_load_n(&c->watch_from, __ATOMIC_SEQ_CST) ?
		       EV_RESUMED : EV_CREATED);
	json_array_foreach(json_object_get(msg, "events"), i, ev) {
		w = classify(c, ev);
		if (w)
			seen[(int)w] = true;
		last = lbe_etcd_int(json_object_get(json_object_get(ev, "kv"),
						   "mod_revision"));
	}
	if (last)
		__atomic_store_n(&c->seen_rev, last, __ATOMIC_SEQ_CST);
	for (w = 'A'; w <= 'Z'; w++)
		if (seen[(int)w])
			notify(c, w);
	return stopping(c) ? -ECANCELED : 0;
}

json_t *lbipamd_cluster_take_delta(struct lbipamd_cluster *c, int64_t *rev)
{
	json_t *d;

	pthread_mutex_lock(&c->dlock);
	d = c->ready_delta;
	c->ready_delta = json_object();
	*rev = c->ready_rev;
	pthread_mutex_unlock(&c->dlock);
	return d;
}

bool lbipamd_cluster_wait_seen(struct lbipamd_cluster *c, int64_t rev,
			       int ms)
{
	int64_t end = now_ms() + ms;

	while (__atomic_load_n(&c->seen_rev, __ATOMIC_SEQ_CST) < rev) {
		if (now_ms() >= end)
			return false;
		usleep(2000);
	}
	return true;
}

void *lbipamd_cluster_watch_thread(void *arg)
{
	struct lbipamd_cluster *c = arg;

	while (!stopping(c)) {
		int64_t from = __atomic_load_n(&c->watch_from,
					       __ATOMIC_SEQ_CST);
		json_t *req = json_pack("{s:{s:o, s:o}}", "create_request",
					"key", str_b64(c->cfg.prefix),
					"range_end",
					lbe_etcd_prefix_end(c->cfg.prefix));
		int i;

		/* No event missed between the snapshot and this watch. */
		if (from)
			json_object_set_new(json_object_get(req,
							    "create_request"),
					    "start_revision",
					    json_integer(from + 1));
		lbe_etcd_stream(c->wetcd, "/v3/watch", req, on_watch, c,
			       &c->stop);
		json_decref(req);
		notify(c, EV_DOWN);
		for (i = 0; i < 5 && !stopping(c); i++)
			usleep(50000);
	}
	return NULL;
}
