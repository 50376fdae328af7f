// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster mode's watch: a thread that follows every key under the prefix
 * and wakes the main loop, so that no etcd event is handled off it.
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

static int on_watch(json_t *msg, void *arg)
{
	struct lbipamd_cluster *c = arg;
	size_t i, plen = strlen(c->cfg.prefix);
	bool state = false, request = false, announce = false;
	json_t *ev;

	if (json_is_true(json_object_get(msg, "created")))
		notify(c, EV_CREATED);
	json_array_foreach(json_object_get(msg, "events"), i, ev) {
		char *k = lbe_etcd_unb64(json_object_get(json_object_get(ev,
							"kv"), "key"), NULL);
		const char *rel = k && strlen(k) >= plen ? k + plen : "";

		if (!strncmp(rel, "requests/", 9))
			request = true;
		else if (!strncmp(rel, "announce/", 9) ||
			 !strncmp(rel, "nodes/", 6))
			announce = true;
		else if (strncmp(rel, "responses/", 10))
			state = true;
		free(k);
	}
	if (state)
		notify(c, EV_STATE);
	if (request)
		notify(c, EV_REQUEST);
	if (announce)
		notify(c, EV_ANNOUNCE);
	return stopping(c) ? -ECANCELED : 0;
}

void *lbipamd_cluster_watch_thread(void *arg)
{
	struct lbipamd_cluster *c = arg;

	while (!stopping(c)) {
		json_t *req = json_pack("{s:{s:o, s:o}}", "create_request",
					"key", str_b64(c->cfg.prefix),
					"range_end",
					lbe_etcd_prefix_end(c->cfg.prefix));
		int i;

		lbe_etcd_stream(c->wetcd, "/v3/watch", req, on_watch, c,
			       &c->stop);
		json_decref(req);
		notify(c, EV_DOWN);
		for (i = 0; i < 5 && !stopping(c); i++)
			usleep(50000);
	}
	return NULL;
}
