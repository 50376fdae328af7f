// SPDX-License-Identifier: GPL-2.0
/*
 * How lbctl shows services and backends, in text and in JSON. Text shows
 * only what differs from the defaults, so that it reads like the command
 * that would make it; JSON shows everything and is the stable interface.
 */

#include <stdio.h>
#include <stdlib.h>
#include "lbctl.h"

static const char *const lbctl_states[] = {
	[LBIPAM_BE_ACTIVE] = "active",
	[LBIPAM_BE_TERMINATING] = "terminating",
	[LBIPAM_BE_MAINTENANCE] = "maintenance",
};

static const char *const lbctl_scheds[] = {
	[LBIPAM_SCHED_MAGLEV] = "maglev",
	[LBIPAM_SCHED_RANDOM] = "random",
};

const char *lbctl_state_name(uint8_t state)
{
	return state <= LBIPAM_BE_STATE_MAX ? lbctl_states[state] : "unknown";
}

const char *lbctl_sched_name(uint8_t sched)
{
	return sched <= LBIPAM_SCHED_MAX ? lbctl_scheds[sched] : "unknown";
}

void lbctl_print_service_opts(const struct lb_svc_opts *o, FILE *f)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t i;

	if (o->sched != LBIPAM_SCHED_MAGLEV)
		fprintf(f, " sched %s", lbctl_sched_name(o->sched));
	if (o->affinity)
		fprintf(f, " affinity %u", o->affinity);
	if (o->flags & LBIPAM_SVC_F_MASQUERADE)
		fprintf(f, " masquerade");
	if (o->flags & LBIPAM_SVC_F_LOCAL_ONLY)
		fprintf(f, " local-only");
	for (i = 0; i < o->nranges; i++)
		fprintf(f, " source-range %s",
			lb_cidr_str(&o->ranges[i], buf, sizeof(buf)));
}

void lbctl_print_backend_opts(const struct lb_backend *b, FILE *f)
{
	if (b->weight != 1)
		fprintf(f, " weight %u", b->weight);
	if (b->state != LBIPAM_BE_ACTIVE)
		fprintf(f, " state %s", lbctl_state_name(b->state));
	if (b->flags & LBIPAM_BE_F_LOCAL)
		fprintf(f, " local");
}

/* @svc: a service's counters (with rejects and drops), else a backend's. */
static void lbctl_print_counters(const struct lb_counters *c, int svc, FILE *f)
{
	fprintf(f, " conns %llu", (unsigned long long)c->conns);
	if (svc)
		fprintf(f, " rejects %llu drops %llu",
			(unsigned long long)c->rejects,
			(unsigned long long)c->drops);
	if (c->has_tracked)
		fprintf(f, " tracked %llu", (unsigned long long)c->tracked);
	if (c->has_traffic)
		fprintf(f, " packets-in %llu bytes-in %llu packets-out %llu bytes-out %llu",
			(unsigned long long)c->packets_in,
			(unsigned long long)c->bytes_in,
			(unsigned long long)c->packets_out,
			(unsigned long long)c->bytes_out);
}

static json_t *lbctl_counters_json(const struct lb_counters *c, int svc)
{
	json_t *o = json_pack("{s:I}", "conns", (json_int_t)c->conns);

	if (!o)
		return NULL;
	if (svc) {
		json_object_set_new(o, "rejects", json_integer(c->rejects));
		json_object_set_new(o, "drops", json_integer(c->drops));
	}
	if (c->has_tracked)
		json_object_set_new(o, "tracked", json_integer(c->tracked));
	if (c->has_traffic) {
		json_object_set_new(o, "packets_in",
				    json_integer(c->packets_in));
		json_object_set_new(o, "bytes_in", json_integer(c->bytes_in));
		json_object_set_new(o, "packets_out",
				    json_integer(c->packets_out));
		json_object_set_new(o, "bytes_out", json_integer(c->bytes_out));
	}
	return o;
}

void lbctl_print_service(const struct lb_svc_reply *r,
			 enum lbctl_print_what what, FILE *f)
{
	char buf[LB_SERVICE_STRLEN];
	size_t i;

	fprintf(f, "%s", lb_service_str(&r->key, buf, sizeof(buf)));
	if (what == LBCTL_PRINT_STATS)
		lbctl_print_counters(&r->stats, 1, f);
	else
		lbctl_print_service_opts(&r->opts, f);
	fputc('\n', f);
	for (i = 0; i < r->nbackends; i++) {
		const struct lb_backend *b = &r->backends[i];

		fprintf(f, "  -> %s", lb_endpoint_str(&b->ep, buf, sizeof(buf)));
		if (what == LBCTL_PRINT_STATS)
			lbctl_print_counters(&b->stats, 0, f);
		else
			lbctl_print_backend_opts(b, f);
		fputc('\n', f);
	}
}

json_t *lbctl_backend_json(const struct lb_backend *b)
{
	char a[INET6_ADDRSTRLEN];

	return json_pack("{s:s, s:i, s:i, s:s, s:b, s:o*}",
			 "address", lb_addr_str(&b->ep, a, sizeof(a)),
			 "port", b->ep.port,
			 "weight", b->weight,
			 "state", lbctl_state_name(b->state),
			 "local", !!(b->flags & LBIPAM_BE_F_LOCAL),
			 "stats", lbctl_counters_json(&b->stats, 0));
}

json_t *lbctl_service_json(const struct lb_svc_reply *r, int backends)
{
	char a[INET6_ADDRSTRLEN + 8];
	json_t *o, *ranges, *bes;
	size_t i;

	o = json_pack("{s:s, s:i, s:s}",
		      "address", lb_addr_str(&r->key.ep, a, sizeof(a)),
		      "port", r->key.ep.port,
		      "protocol", lb_proto_name(r->key.proto));
	if (!o)
		return NULL;
	if (r->has_opts) {
		ranges = json_array();
		for (i = 0; i < r->opts.nranges; i++)
			json_array_append_new(ranges, json_string(
				lb_cidr_str(&r->opts.ranges[i], a, sizeof(a))));
		json_object_set_new(o, "sched",
				    json_string(lbctl_sched_name(r->opts.sched)));
		json_object_set_new(o, "affinity",
				    json_integer(r->opts.affinity));
		json_object_set_new(o, "masquerade", json_boolean(
			r->opts.flags & LBIPAM_SVC_F_MASQUERADE));
		json_object_set_new(o, "local_only", json_boolean(
			r->opts.flags & LBIPAM_SVC_F_LOCAL_ONLY));
		json_object_set_new(o, "source_ranges", ranges);
	}
	if (r->has_count && !backends)
		json_object_set_new(o, "backend_count",
				    json_integer(r->backend_count));
	if (backends) {
		json_object_set_new(o, "stats",
				    lbctl_counters_json(&r->stats, 1));
		bes = json_array();
		for (i = 0; i < r->nbackends; i++)
			json_array_append_new(bes,
					      lbctl_backend_json(&r->backends[i]));
		json_object_set_new(o, "backends", bes);
	}
	return o;
}

int lbctl_print_json(json_t *j)
{
	char *out = j ? json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;

	json_decref(j);
	if (!out) {
		lbctl_err("out of memory");
		return LBCTL_EXIT_FAIL;
	}
	printf("%s\n", out);
	free(out);
	return 0;
}
