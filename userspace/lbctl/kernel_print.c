// SPDX-License-Identifier: GPL-2.0
/*
 * How lbctl shows services, backends and L2 announcements, in text and in JSON from one
 * path. Text shows only what differs from the defaults, so that it reads
 * like the command that would make it; JSON shows everything and is the
 * stable interface.
 */

#include <net/if.h>
#include <stdio.h>
#include "lib/lb_nl_l2.h"
#include "lbctl.h"

/* @text: show the options in the text line too; JSON always has them. */
static void service_opts(struct lbctl_out *p, const struct lb_svc_opts *o,
			 bool text)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t i;

	lbctl_out_str(p, "sched", text && o->sched != LBIPAM_SCHED_MAGLEV ?
		      " sched %s" : NULL, lb_sched_name(o->sched));
	lbctl_out_uint(p, "affinity", text && o->affinity ?
		       " affinity %llu" : NULL, o->affinity);
	lbctl_out_bool(p, "masquerade", text ? " masquerade" : NULL,
		       o->flags & LBIPAM_SVC_F_MASQUERADE);
	lbctl_out_bool(p, "masq_local", text ? " masq-local" : NULL,
		       o->flags & LBIPAM_SVC_F_MASQ_LOCAL);
	lbctl_out_bool(p, "local_only", text ? " local-only" : NULL,
		       o->flags & LBIPAM_SVC_F_LOCAL_ONLY);
	lbctl_out_bool(p, "expire_nodest", text ? " expire-nodest" : NULL,
		       o->flags & LBIPAM_SVC_F_EXPIRE_NODEST);
	lbctl_out_bool(p, "one_packet", text ? " one-packet" : NULL,
		       o->flags & LBIPAM_SVC_F_ONE_PACKET);
	lbctl_out_open(p, "source_ranges", true);
	for (i = 0; i < o->ranges.n; i++)
		lbctl_out_str(p, "", text ? " source-range %s" : NULL,
			      lb_cidr_str(&o->ranges.v[i], buf, sizeof(buf)));
	lbctl_out_close(p);
	lbctl_out_open(p, "cluster_cidrs", true);
	for (i = 0; i < o->cluster.n; i++)
		lbctl_out_str(p, "", text ? " cluster-cidr %s" : NULL,
			      lb_cidr_str(&o->cluster.v[i], buf, sizeof(buf)));
	lbctl_out_close(p);
}

/*
 * @svc: a service's counters (with rejects and drops), else a backend's;
 * @affinity: the service has ClientIP affinity (its live bindings shown).
 */
static void counters(struct lbctl_out *p, const struct lb_counters *c,
		     bool svc, bool affinity, bool text)
{
	lbctl_out_open(p, "stats", false);
	lbctl_out_uint(p, "conns", text ? " conns %llu" : NULL, c->conns);
	if (svc) {
		lbctl_out_uint(p, "rejects", text ? " rejects %llu" : NULL,
			       c->rejects);
		lbctl_out_uint(p, "drops", text ? " drops %llu" : NULL,
			       c->drops);
	}
	if (svc && affinity && c->has_affinity)
		lbctl_out_uint(p, "affinity", text ? " affinity %llu" : NULL,
			       c->affinity);
	/* Rare and a sign of trouble: text shows it only then. */
	if (svc && c->has_aff_lost)
		lbctl_out_uint(p, "affinity_lost",
			       text && c->aff_lost ? " affinity-lost %llu" : NULL,
			       c->aff_lost);
	if (c->has_tracked)
		lbctl_out_uint(p, "tracked", text ? " tracked %llu" : NULL,
			       c->tracked);
	if (c->has_traffic) {
		lbctl_out_uint(p, "packets_in", text ? " packets-in %llu" : NULL,
			       c->packets_in);
		lbctl_out_uint(p, "bytes_in", text ? " bytes-in %llu" : NULL,
			       c->bytes_in);
		lbctl_out_uint(p, "packets_out",
			       text ? " packets-out %llu" : NULL,
			       c->packets_out);
		lbctl_out_uint(p, "bytes_out", text ? " bytes-out %llu" : NULL,
			       c->bytes_out);
	}
	lbctl_out_close(p);
}

/* The address, port and protocol: one word in text, three keys in JSON. */
static void service_key(struct lbctl_out *p, const struct lb_service_key *k,
			const char *fmt)
{
	char buf[LB_SERVICE_STRLEN];

	lbctl_out_str(p, NULL, fmt, lb_service_str(k, buf, sizeof(buf)));
	lbctl_out_str(p, "address", NULL, lb_addr_str(&k->ep, buf, sizeof(buf)));
	lbctl_out_uint(p, "port", NULL, k->ep.port);
	lbctl_out_str(p, "protocol", NULL, lb_proto_name(k->proto));
}

/*
 * A backend; its options in the text line when @opts, its counters when
 * @stats (JSON always has both).
 */
static void backend(struct lbctl_out *p, const struct lb_backend *b,
		    const char *fmt, bool opts, bool stats)
{
	char buf[LB_SERVICE_STRLEN];

	lbctl_out_str(p, NULL, fmt, lb_endpoint_str(&b->ep, buf, sizeof(buf)));
	lbctl_out_str(p, "address", NULL, lb_addr_str(&b->ep, buf, sizeof(buf)));
	lbctl_out_uint(p, "port", NULL, b->ep.port);
	lbctl_out_uint(p, "weight", opts && b->weight != 1 ? " weight %llu" :
		       NULL, b->weight);
	lbctl_out_str(p, "state", opts && b->state != LBIPAM_BE_ACTIVE ?
		      " state %s" : NULL, lb_be_state_name(b->state));
	lbctl_out_bool(p, "local", opts ? " local" : NULL,
		       b->flags & LBIPAM_BE_F_LOCAL);
	counters(p, &b->stats, false, false, stats);
}

void lbctl_print_service(struct lbctl_out *p, const struct lb_svc_reply *r,
			 enum lbctl_show what)
{
	bool stats = what == LBCTL_SHOW_STATS;
	size_t i;

	lbctl_out_open(p, NULL, false);
	service_key(p, &r->key, "%s");
	if (r->has_opts || !p->json)
		service_opts(p, &r->opts, !stats);
	counters(p, &r->stats, true, r->opts.affinity != 0, stats);
	lbctl_out_text(p, "\n");
	lbctl_out_open(p, "backends", true);
	for (i = 0; i < r->nbackends; i++) {
		lbctl_out_open(p, NULL, false);
		backend(p, &r->backends[i], "  -> %s", !stats, stats);
		lbctl_out_text(p, "\n");
		lbctl_out_close(p);
	}
	lbctl_out_close(p);
	lbctl_out_close(p);
}

void lbctl_print_l2(struct lbctl_out *p, const char *key,
		    const struct lb_l2_entry *e, bool stats)
{
	char buf[INET6_ADDRSTRLEN], name[IF_NAMESIZE];

	lbctl_out_open(p, key, false);
	lbctl_out_str(p, "address", "%s",
		      lb_ip_str(e->family, &e->addr, buf, sizeof(buf)));
	/* Gone meanwhile, or shown from another namespace: the index says it. */
	if (!if_indextoname(e->ifindex, name))
		snprintf(name, sizeof(name), "if%u", e->ifindex);
	lbctl_out_str(p, "interface", " dev %s", name);
	lbctl_out_uint(p, "ifindex", NULL, e->ifindex);
	if (stats) {
		lbctl_out_open(p, "stats", false);
		lbctl_out_uint(p, "answers", " answers %llu",
			       e->stats.answers);
		lbctl_out_uint(p, "announces", " announces %llu",
			       e->stats.announces);
		lbctl_out_close(p);
	}
	lbctl_out_text(p, "\n");
	lbctl_out_close(p);
}

void lbctl_print_event(struct lbctl_out *p, const struct lb_svc_reply *r,
		       const char *text, const char *json)
{
	lbctl_out_open(p, NULL, false);
	lbctl_out_str(p, NULL, "%s", text);
	lbctl_out_str(p, "event", NULL, json);
	if (r->has_service) {
		lbctl_out_open(p, "service", false);
		service_key(p, &r->key, " %s");
		if (r->has_opts)
			service_opts(p, &r->opts, true);
		if (r->has_count)
			lbctl_out_uint(p, "backend_count", NULL,
				       r->backend_count);
		lbctl_out_close(p);
	}
	if (r->nbackends) {
		lbctl_out_open(p, "backend", false);
		backend(p, &r->backends[0], " %s",
			r->cmd != LBIPAM_CMD_BACKEND_DEL, false);
		lbctl_out_close(p);
	}
	/* The one event whose backends are not on the line itself. */
	if (r->has_count && r->cmd == LBIPAM_CMD_BACKEND_REPLACE)
		lbctl_out_text(p, " (%u backend%s)", r->backend_count,
			       r->backend_count == 1 ? "" : "s");
	lbctl_out_text(p, "\n");
	lbctl_out_close(p);
}
