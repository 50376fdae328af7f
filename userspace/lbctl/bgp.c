// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl get bgp peers|routes: the BGP sessions and advertised routes of
 * this node as lbipamd's BIRD reports them, like cilium bgp peers/routes.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "lbctl/lbctl.h"

static void num(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, len, "%s", json_is_integer(v) ? "auto" : "");
}

/* One row per family of each peer, as cilium bgp peers prints them. */
static void peers_table(json_t *items, bool wide)
{
	struct lbctl_table t = { .ncols = wide ? 12 : 10 };
	const char *fam;
	json_t *p, *f;
	size_t i;

	lbctl_table_row(&t, "INSTANCE", "PEER", "LOCAL-AS", "PEER-AS",
			"PEER-ADDRESS", "SESSION", "SINCE", "FAMILY",
			"RECEIVED", "ADVERTISED", "PROTOCOL", "LAST-ERROR");
	json_array_foreach(items, i, p) {
		char las[16], pas[16], rx[24], tx[24];

		num(p, "localASN", las, sizeof(las));
		num(p, "peerASN", pas, sizeof(pas));
		json_object_foreach(json_object_get(p, "families"), fam, f) {
			snprintf(rx, sizeof(rx), "%lld", (long long)
				 json_integer_value(json_object_get(f, "received")));
			snprintf(tx, sizeof(tx), "%lld", (long long)
				 json_integer_value(json_object_get(f, "advertised")));
			lbctl_table_row(&t, lbctl_str(p, "instance"),
					lbctl_str(p, "peer"), las, pas,
					lbctl_str(p, "peerAddress"),
					lbctl_str(p, "sessionState"),
					lbctl_str(p, "since"), fam, rx, tx,
					lbctl_str(p, "protocol"),
					lbctl_str(p, "lastError"));
		}
	}
	if (t.nrows == 1)
		printf("No BGP peers on this node.\n");
	lbctl_table_print(&t, 0);
}

static void routes_table(json_t *items, bool wide)
{
	struct lbctl_table t = { .ncols = wide ? 6 : 5 };
	json_t *r, *v;
	const char *k;
	size_t i;

	lbctl_table_row(&t, "INSTANCE", "PEER", "PEER-ADDRESS", "FAMILY",
			"PREFIX", "ATTRIBUTES");
	json_array_foreach(items, i, r) {
		char attrs[2048] = "";
		size_t n = 0;

		json_object_foreach(json_object_get(r, "attributes"), k, v) {
			if (n < sizeof(attrs))
				n += (size_t)snprintf(attrs + n,
						      sizeof(attrs) - n,
						      "%s%s=%s", n ? " " : "", k,
						      json_string_value(v) ?: "");
		}
		lbctl_table_row(&t, lbctl_str(r, "instance"),
				lbctl_str(r, "peer"), lbctl_str(r, "peerAddress"),
				lbctl_str(r, "family"), lbctl_str(r, "prefix"),
				attrs);
	}
	if (t.nrows == 1)
		printf("No routes advertised.\n");
	lbctl_table_print(&t, 0);
}

int lbctl_get_bgp(const struct lbctl_opts *o)
{
	const char *what = o->argc == 2 ? o->argv[1] : "";
	json_t *resp, *items;
	int rc = 0;

	if (strcmp(what, "peers") && strcmp(what, "routes")) {
		lbctl_err("Usage: lbctl get bgp peers|routes [-o wide|yaml|json]");
		return LBCTL_EXIT_USAGE;
	}
	resp = lbctl_request(o, json_pack("{s:s, s:s}", "op", "bgp", "what",
					  what), &rc);
	if (!resp)
		return rc;
	items = json_incref(json_object_get(resp, "items"));
	json_decref(resp);
	if (o->fmt == LBCTL_FMT_JSON)
		return lbctl_print_json(items);
	if (o->fmt == LBCTL_FMT_YAML)
		rc = lbctl_print_yaml(items);
	else if (!strcmp(what, "peers"))
		peers_table(items, o->fmt == LBCTL_FMT_WIDE);
	else
		routes_table(items, o->fmt == LBCTL_FMT_WIDE);
	json_decref(items);
	return rc;
}
