// SPDX-License-Identifier: GPL-2.0
/*
 * lbipam services and backends as netlink attributes: building requests,
 * parsing replies, and the service dump (a service split over messages).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <linux/lbipam.h>
#include "lb_nl.h"

int lb_nl_put_addr(struct nl_msg *msg, int a4, int a6, int family,
		   const void *addr)
{
	if (family == AF_INET6)
		return nla_put(msg, a6, sizeof(struct in6_addr), addr);
	return nla_put(msg, a4, sizeof(struct in_addr), addr);
}

int lb_cidr_set_add(struct lb_cidr_set *s, const struct lb_cidr *c,
		    size_t max)
{
	struct lb_cidr *v;

	if (s->n >= max)
		return -ENOSPC;
	/* One at a time: sets are short, and exact sizes are the point. */
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[s->n++] = *c;
	s->v = v;
	return 0;
}

static int cidr_set_copy(struct lb_cidr_set *dst,
			 const struct lb_cidr_set *src)
{
	dst->n = 0;
	dst->v = NULL;
	if (!src->n)
		return 0;
	dst->v = malloc(src->n * sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = src->n;
	return 0;
}

void lb_svc_opts_default(struct lb_svc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sched = LBIPAM_SCHED_MAGLEV;
}

int lb_svc_opts_copy(struct lb_svc_opts *dst, const struct lb_svc_opts *src)
{
	*dst = *src;
	if (cidr_set_copy(&dst->ranges, &src->ranges))
		goto nomem;
	if (cidr_set_copy(&dst->cluster, &src->cluster)) {
		free(dst->ranges.v);
		goto nomem;
	}
	return 0;
nomem:
	lb_svc_opts_default(dst);
	return -ENOMEM;
}

void lb_svc_opts_free(struct lb_svc_opts *o)
{
	free(o->ranges.v);
	free(o->cluster.v);
	o->ranges = (struct lb_cidr_set){ 0 };
	o->cluster = (struct lb_cidr_set){ 0 };
}

void lb_svc_reply_free(struct lb_svc_reply *r)
{
	free(r->backends);
	r->backends = NULL;
	r->nbackends = 0;
	lb_svc_opts_free(&r->opts);
}

void lb_backend_default(struct lb_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->weight = 1;
	b->state = LBIPAM_BE_ACTIVE;
}

static int put_cidrs(struct nl_msg *msg, int type,
		     const struct lb_cidr_set *s)
{
	const struct lb_cidr *c = s->v;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct nlattr *r = nla_nest_start(msg, type | NLA_F_NESTED);

		if (!r ||
		    lb_nl_put_addr(msg, LBIPAM_CIDR_A_ADDR4, LBIPAM_CIDR_A_ADDR6,
				   c[i].family, &c[i].addr) ||
		    nla_put_u8(msg, LBIPAM_CIDR_A_PREFIXLEN, c[i].plen))
			return -EMSGSIZE;
		nla_nest_end(msg, r);
	}
	return 0;
}

int lb_nl_put_service(struct nl_msg *msg, const struct lb_service_key *key,
		      const struct lb_svc_opts *o)
{
	struct nlattr *nest = nla_nest_start(msg, LBIPAM_A_SERVICE | NLA_F_NESTED);

	if (!nest ||
	    lb_nl_put_addr(msg, LBIPAM_SVC_A_ADDR4, LBIPAM_SVC_A_ADDR6,
		     key->ep.family, &key->ep.addr) ||
	    nla_put_u16(msg, LBIPAM_SVC_A_PORT, key->ep.port) ||
	    nla_put_u8(msg, LBIPAM_SVC_A_PROTO, key->proto))
		return -EMSGSIZE;
	if (o) {
		if (nla_put_u8(msg, LBIPAM_SVC_A_SCHED, o->sched) ||
		    nla_put_u32(msg, LBIPAM_SVC_A_AFFINITY, o->affinity) ||
		    nla_put_u32(msg, LBIPAM_SVC_A_FLAGS, o->flags) ||
		    put_cidrs(msg, LBIPAM_SVC_A_SOURCE_RANGE, &o->ranges) ||
		    put_cidrs(msg, LBIPAM_SVC_A_CLUSTER_CIDR, &o->cluster))
			return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

int lb_nl_put_backend(struct nl_msg *msg, const struct lb_backend *be,
		      int full)
{
	struct nlattr *nest = nla_nest_start(msg, LBIPAM_A_BACKEND | NLA_F_NESTED);

	if (!nest ||
	    lb_nl_put_addr(msg, LBIPAM_BE_A_ADDR4, LBIPAM_BE_A_ADDR6,
		     be->ep.family, &be->ep.addr) ||
	    nla_put_u16(msg, LBIPAM_BE_A_PORT, be->ep.port))
		return -EMSGSIZE;
	if (full &&
	    (nla_put_u16(msg, LBIPAM_BE_A_WEIGHT, be->weight) ||
	     nla_put_u8(msg, LBIPAM_BE_A_STATE, be->state) ||
	     nla_put_u32(msg, LBIPAM_BE_A_FLAGS, be->flags)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Address attributes decide the family; the caller checks there is one. */
int lb_nl_get_addr(struct nlattr *a4, struct nlattr *a6, int *family,
		   void *addr)
{
	if (a4 && nla_len(a4) == sizeof(struct in_addr)) {
		*family = AF_INET;
		memcpy(addr, nla_data(a4), sizeof(struct in_addr));
	} else if (a6 && nla_len(a6) == sizeof(struct in6_addr)) {
		*family = AF_INET6;
		memcpy(addr, nla_data(a6), sizeof(struct in6_addr));
	} else {
		return -EINVAL;
	}
	return 0;
}

void lb_nl_get_stats(struct nlattr *nest, struct lb_counters *c)
{
	struct nlattr *tb[LBIPAM_STATS_A_MAX + 1];

	if (nla_parse_nested(tb, LBIPAM_STATS_A_MAX, nest, NULL))
		return;
	if (tb[LBIPAM_STATS_A_CONNS])
		c->conns = nla_get_u64(tb[LBIPAM_STATS_A_CONNS]);
	if (tb[LBIPAM_STATS_A_REJECTS])
		c->rejects = nla_get_u64(tb[LBIPAM_STATS_A_REJECTS]);
	if (tb[LBIPAM_STATS_A_DROPS])
		c->drops = nla_get_u64(tb[LBIPAM_STATS_A_DROPS]);
	if (tb[LBIPAM_STATS_A_ANSWERS])
		c->answers = nla_get_u64(tb[LBIPAM_STATS_A_ANSWERS]);
	if (tb[LBIPAM_STATS_A_ANNOUNCES])
		c->announces = nla_get_u64(tb[LBIPAM_STATS_A_ANNOUNCES]);
	if (tb[LBIPAM_STATS_A_AFF_LOST]) {
		c->has_aff_lost = 1;
		c->aff_lost = nla_get_u64(tb[LBIPAM_STATS_A_AFF_LOST]);
	}
	if (tb[LBIPAM_STATS_A_AFFINITY]) {
		c->has_affinity = 1;
		c->affinity = nla_get_u64(tb[LBIPAM_STATS_A_AFFINITY]);
	}
	if (tb[LBIPAM_STATS_A_TRACKED]) {
		c->has_tracked = 1;
		c->tracked = nla_get_u64(tb[LBIPAM_STATS_A_TRACKED]);
	}
	if (tb[LBIPAM_STATS_A_PACKETS_IN] && tb[LBIPAM_STATS_A_BYTES_IN] &&
	    tb[LBIPAM_STATS_A_PACKETS_OUT] && tb[LBIPAM_STATS_A_BYTES_OUT]) {
		c->has_traffic = 1;
		c->packets_in = nla_get_u64(tb[LBIPAM_STATS_A_PACKETS_IN]);
		c->bytes_in = nla_get_u64(tb[LBIPAM_STATS_A_BYTES_IN]);
		c->packets_out = nla_get_u64(tb[LBIPAM_STATS_A_PACKETS_OUT]);
		c->bytes_out = nla_get_u64(tb[LBIPAM_STATS_A_BYTES_OUT]);
	}
}

/* One prefix of a set; those beyond @max (a newer kernel's) are left out. */
static int get_cidr(struct nlattr *c, struct lb_cidr_set *set, size_t max)
{
	struct nlattr *ct[LBIPAM_CIDR_A_MAX + 1];
	struct lb_cidr cidr = { 0 };
	int err;

	if (nla_parse_nested(ct, LBIPAM_CIDR_A_MAX, c, NULL) ||
	    lb_nl_get_addr(ct[LBIPAM_CIDR_A_ADDR4], ct[LBIPAM_CIDR_A_ADDR6],
			   &cidr.family, &cidr.addr) ||
	    !ct[LBIPAM_CIDR_A_PREFIXLEN])
		return -EBADMSG;
	cidr.plen = nla_get_u8(ct[LBIPAM_CIDR_A_PREFIXLEN]);
	err = lb_cidr_set_add(set, &cidr, max);
	return err == -ENOSPC ? 0 : err;
}

static int parse_svc_nest(struct nlattr *a, struct lb_svc_reply *r)
{
	struct nlattr *tb[LBIPAM_SVC_A_MAX + 1], *c;
	int rem, err;

	if (nla_parse_nested(tb, LBIPAM_SVC_A_MAX, a, NULL) ||
	    lb_nl_get_addr(tb[LBIPAM_SVC_A_ADDR4], tb[LBIPAM_SVC_A_ADDR6],
		     &r->key.ep.family, &r->key.ep.addr) ||
	    !tb[LBIPAM_SVC_A_PORT] || !tb[LBIPAM_SVC_A_PROTO])
		return -EBADMSG;
	r->has_service = 1;
	r->key.ep.port = nla_get_u16(tb[LBIPAM_SVC_A_PORT]);
	r->key.proto = nla_get_u8(tb[LBIPAM_SVC_A_PROTO]);
	if (tb[LBIPAM_SVC_A_BACKEND_COUNT]) {
		r->has_count = 1;
		r->backend_count = nla_get_u32(tb[LBIPAM_SVC_A_BACKEND_COUNT]);
	}
	if (tb[LBIPAM_SVC_A_SCHED]) {
		r->has_opts = 1;
		r->opts.sched = nla_get_u8(tb[LBIPAM_SVC_A_SCHED]);
	}
	if (tb[LBIPAM_SVC_A_AFFINITY])
		r->opts.affinity = nla_get_u32(tb[LBIPAM_SVC_A_AFFINITY]);
	if (tb[LBIPAM_SVC_A_FLAGS])
		r->opts.flags = nla_get_u32(tb[LBIPAM_SVC_A_FLAGS]);
	if (tb[LBIPAM_SVC_A_STATS])
		lb_nl_get_stats(tb[LBIPAM_SVC_A_STATS], &r->stats);
	nla_for_each_nested(c, a, rem) {
		if (nla_type(c) == LBIPAM_SVC_A_SOURCE_RANGE)
			err = get_cidr(c, &r->opts.ranges,
				       LBIPAM_MAX_SOURCE_RANGES);
		else if (nla_type(c) == LBIPAM_SVC_A_CLUSTER_CIDR)
			err = get_cidr(c, &r->opts.cluster,
				       LBIPAM_MAX_CLUSTER_CIDRS);
		else
			err = 0;
		if (err)
			return err;
	}
	return 0;
}

static int parse_be_nest(struct nlattr *a, struct lb_backend *b)
{
	struct nlattr *tb[LBIPAM_BE_A_MAX + 1];

	lb_backend_default(b);
	if (nla_parse_nested(tb, LBIPAM_BE_A_MAX, a, NULL) ||
	    lb_nl_get_addr(tb[LBIPAM_BE_A_ADDR4], tb[LBIPAM_BE_A_ADDR6],
		     &b->ep.family, &b->ep.addr) || !tb[LBIPAM_BE_A_PORT])
		return -EBADMSG;
	b->ep.port = nla_get_u16(tb[LBIPAM_BE_A_PORT]);
	if (tb[LBIPAM_BE_A_WEIGHT])
		b->weight = nla_get_u16(tb[LBIPAM_BE_A_WEIGHT]);
	if (tb[LBIPAM_BE_A_STATE])
		b->state = nla_get_u8(tb[LBIPAM_BE_A_STATE]);
	if (tb[LBIPAM_BE_A_FLAGS])
		b->flags = nla_get_u32(tb[LBIPAM_BE_A_FLAGS]);
	if (tb[LBIPAM_BE_A_STATS])
		lb_nl_get_stats(tb[LBIPAM_BE_A_STATS], &b->stats);
	return 0;
}

int lb_nl_parse_service(struct nlmsghdr *nlh, struct lb_svc_reply *r)
{
	struct genlmsghdr *gh = nlmsg_data(nlh);
	size_t cap = 0;
	struct nlattr *a;
	int rem;

	memset(r, 0, sizeof(*r));
	lb_svc_opts_default(&r->opts);
	r->cmd = gh->cmd;
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		if (nla_type(a) == LBIPAM_A_SERVICE) {
			if (parse_svc_nest(a, r))
				goto bad;
		} else if (nla_type(a) == LBIPAM_A_BACKEND) {
			if (r->nbackends == cap) {
				struct lb_backend *nb;

				cap = cap ? 2 * cap : 8;
				nb = realloc(r->backends, cap * sizeof(*nb));
				if (!nb)
					goto bad;
				r->backends = nb;
			}
			if (parse_be_nest(a, &r->backends[r->nbackends]))
				goto bad;
			r->nbackends++;
		}
	}
	return 0;
bad:
	lb_svc_reply_free(r);
	return -EBADMSG;
}

void lb_svc_list_free(struct lb_svc_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		lb_svc_reply_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int same_key(const struct lb_service_key *a,
		    const struct lb_service_key *b)
{
	return a->proto == b->proto && a->ep.port == b->ep.port &&
	       a->ep.family == b->ep.family &&
	       !memcmp(&a->ep.addr, &b->ep.addr,
		       a->ep.family == AF_INET6 ? sizeof(a->ep.addr.v6) :
						  sizeof(a->ep.addr.v4));
}

/* The kernel continues a service whose backends do not fit in the next
 * message, which starts with the same key. */
static int svc_list_add(struct nlmsghdr *nlh, void *arg)
{
	struct lb_svc_list *l = arg;
	struct lb_svc_reply r, *last;

	if (lb_nl_parse_service(nlh, &r) || !r.has_service)
		return -EBADMSG;

	last = l->n ? &l->v[l->n - 1] : NULL;
	if (last && same_key(&last->key, &r.key)) {
		struct lb_backend *nb = last->backends;

		if (r.nbackends) {
			nb = realloc(nb, (last->nbackends + r.nbackends) *
					 sizeof(*nb));
			if (!nb) {
				lb_svc_reply_free(&r);
				return -ENOMEM;
			}
			memcpy(nb + last->nbackends, r.backends,
			       r.nbackends * sizeof(*nb));
		}
		last->backends = nb;
		last->nbackends += r.nbackends;
		lb_svc_reply_free(&r);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct lb_svc_reply *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv) {
			lb_svc_reply_free(&r);
			return -ENOMEM;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = r;
	return 0;
}

static int get_services_once(struct lb_nl *nl, const struct lb_service_key *key,
			     unsigned int flags, struct lb_svc_list *l)
{
	struct nl_msg *msg = lb_nl_msg(nl, LBIPAM_CMD_SERVICE_GET,
				       key && !(flags & LB_GET_DUMP) ?
				       0 : NLM_F_DUMP);

	lb_svc_list_free(l);
	nl->err[0] = '\0';
	if (!msg)
		return -ENOMEM;
	if ((key && lb_nl_put_service(msg, key, NULL)) ||
	    ((flags & LB_GET_CT_STATS) &&
	     nla_put_flag(msg, LBIPAM_A_CT_STATS)) ||
	    ((flags & LB_GET_AFF_STATS) &&
	     nla_put_flag(msg, LBIPAM_A_AFF_STATS))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return lb_nl_request(nl, msg, svc_list_add, l);
}

int lb_nl_get_services(struct lb_nl *nl, const struct lb_service_key *key,
		       unsigned int flags, struct lb_svc_list *l)
{
	int tries, err = -EAGAIN;

	for (tries = 0; tries < LB_NL_DUMP_TRIES && err == -EAGAIN; tries++) {
		err = get_services_once(nl, key, flags, l);
		/* Too many backends for one message: the same, as a dump. */
		if (err == -EMSGSIZE && key && !(flags & LB_GET_DUMP)) {
			flags |= LB_GET_DUMP;
			err = get_services_once(nl, key, flags, l);
		}
	}
	return err;
}
