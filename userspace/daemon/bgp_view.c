// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl get bgp peers|routes: the peers of the fragment BIRD runs, with
 * what BIRD says of them ("show protocols all", "show route export"),
 * as cilium bgp peers / routes show them.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"

#define VIEW_TIMEOUT_MS	5000

/* "  Key:   value" -> value, when the line's key is key. */
static const char *field(const char *line, const char *key)
{
	size_t l = strlen(key);

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, key, l) || line[l] != ':')
		return NULL;
	line += l + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* The 1002 line: NAME PROTO TABLE STATE SINCE INFO. */
static void proto_line(json_t *o, const char *t)
{
	char name[80], proto[20], table[80], state[20], since[40];
	int used = 0;

	if (sscanf(t, "%79s %19s %79s %19s %39s %n", name, proto, table, state,
		   since, &used) < 5)
		return;
	json_object_set_new(o, "protocolState", json_string(state));
	json_object_set_new(o, "since", json_string(since));
	json_object_set_new(o, "info", json_string(used ? t + used : ""));
}

/* "Routes: 1 imported, 2 exported, 0 preferred" into the family. */
static void routes_line(json_t *fam, const char *v)
{
	long imp = 0, exp = 0;

	if (sscanf(v, "%ld imported, %ld exported", &imp, &exp) == 2) {
		json_object_set_new(fam, "received", json_integer(imp));
		json_object_set_new(fam, "advertised", json_integer(exp));
	}
}

static void details(json_t *o, const struct lbipamd_bird_reply *r)
{
	json_t *fams = json_object_get(o, "families"), *fam = NULL;
	const char *v;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const char *t = r->v[i].text;

		if (r->v[i].code == 1002)
			proto_line(o, t);
		else if ((v = field(t, "BGP state")))
			json_object_set_new(o, "sessionState", json_string(v));
		else if ((v = field(t, "Neighbor AS")))
			json_object_set_new(o, "peerASN", json_integer(atol(v)));
		else if ((v = field(t, "Last error")))
			json_object_set_new(o, "lastError", json_string(v));
		else if (!strncmp(t, "  Channel ", 10))
			fam = json_object_get(fams, t + 10);
		else if (fam && (v = field(t, "Routes")))
			routes_line(fam, v);
	}
}

static json_t *peer_json(const struct lbipamd_bgp_peer *p)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:{}}",
			      "instance", p->instance, "peer", p->peer,
			      "protocol", p->proto, "peerAddress", p->address,
			      "localASN", (json_int_t)p->local_asn, "peerASN",
			      (json_int_t)p->peer_asn, "sessionState",
			      "unknown", "families");
	json_t *fams = json_object_get(o, "families");

	if (p->v4)
		json_object_set_new(fams, "ipv4", json_pack("{s:i, s:i}",
				    "received", 0, "advertised", 0));
	if (p->v6)
		json_object_set_new(fams, "ipv6", json_pack("{s:i, s:i}",
				    "received", 0, "advertised", 0));
	return o;
}

static int view_peers(struct lbipamd_bgp *g, struct lbipamd_bird *b,
		      json_t *items, char *err, size_t len)
{
	size_t i;

	for (i = 0; i < g->npeers; i++) {
		struct lbipamd_bird_reply r;
		json_t *o = peer_json(&g->peers[i]);
		char *cmd = lb_xasprintf("show protocols all %s",
					 g->peers[i].proto);
		int rc = lbipamd_bird_cmd(b, cmd, &r, err, len);

		free(cmd);
		if (rc) {
			json_decref(o);
			return rc;
		}
		if (lbipamd_bird_reply_failed(&r))
			json_object_set_new(o, "sessionState",
					    json_string("not in BIRD"));
		else
			details(o, &r);
		lbipamd_bird_reply_free(&r);
		json_array_append_new(items, o);
	}
	return 0;
}

/* The route lines of "show route export P.ipvN all". */
static void route_lines(const struct lbipamd_bgp_peer *p, const char *fam,
			const struct lbipamd_bird_reply *r, json_t *items)
{
	json_t *cur = NULL;
	char prefix[64];
	size_t i;

	for (i = 0; i < r->n; i++) {
		const char *t = r->v[i].text;
		const char *colon;

		if (r->v[i].code == 1007 && sscanf(t, "%63s", prefix) == 1 &&
		    strchr(prefix, '/')) {
			cur = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}}",
					"instance", p->instance, "peer", p->peer,
					"peerAddress", p->address, "family",
					fam, "prefix", prefix, "attributes");
			json_array_append_new(items, cur);
		} else if (cur && r->v[i].code == 1012 &&
			   (colon = strchr(t, ':'))) {
			char *k = lb_xstrndup(t, (size_t)(colon - t));
			char *key = k + strspn(k, " \t");

			json_object_set_new(json_object_get(cur, "attributes"),
					    key, json_string(colon + 1 +
						strspn(colon + 1, " ")));
			free(k);
		}
	}
}

static int view_routes(struct lbipamd_bgp *g, struct lbipamd_bird *b,
		       json_t *items, char *err, size_t len)
{
	size_t i, k;

	for (i = 0; i < g->npeers; i++) {
		const struct lbipamd_bgp_peer *p = &g->peers[i];

		for (k = 0; k < 2; k++) {
			const char *fam = k ? "ipv6" : "ipv4";
			struct lbipamd_bird_reply r;
			char *cmd;
			int rc;

			if (!(k ? p->v6 : p->v4))
				continue;
			cmd = lb_xasprintf("show route export %s.%s all",
					   p->proto, fam);
			rc = lbipamd_bird_cmd(b, cmd, &r, err, len);
			free(cmd);
			if (rc)
				return rc;
			/* A channel that is not up has nothing exported. */
			if (!lbipamd_bird_reply_failed(&r))
				route_lines(p, fam, &r, items);
			lbipamd_bird_reply_free(&r);
		}
	}
	return 0;
}

json_t *lbipamd_bgp_view(struct lbipamd_bgp *g, const char *what)
{
	struct lbipamd_bird *b;
	char err[300];
	json_t *items, *res;
	bool peers = what && !strcmp(what, "peers");
	int rc;

	if (!peers && (!what || strcmp(what, "routes")))
		return lbipamd_fail("bgp needs \"what\": \"peers\" or \"routes\"");
	if (g->state == LBIPAMD_BGP_OFF)
		return lbipamd_fail("BGP through BIRD is off (lbipamd --bgp-bird-socket and --bgp-bird-include)");
	rc = lbipamd_bird_open(g->socket, VIEW_TIMEOUT_MS, &b, err,
			       sizeof(err));
	if (rc)
		return lbipamd_fail("BIRD does not answer: %s", err);
	items = json_array();
	rc = peers ? view_peers(g, b, items, err, sizeof(err)) :
		     view_routes(g, b, items, err, sizeof(err));
	lbipamd_bird_close(b);
	if (rc) {
		json_decref(items);
		return lbipamd_fail("asking BIRD: %s", err);
	}
	res = lbipamd_ok();
	json_object_set_new(res, "items", items);
	json_object_set_new(res, "bgp", lbipamd_bgp_status(g));
	return res;
}
