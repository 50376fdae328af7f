// SPDX-License-Identifier: GPL-2.0
/*
 * The client side of the "lbipam" generic netlink family, shared by lbctl
 * and lbipamd. Errors carry the kernel's extended ACK message and, when the
 * kernel points at an attribute, the attribute's name.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/lbipam.h>
#include "lb_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct request {
	struct lb_nl *nl;
	lb_nl_reply_fn fn;
	void *arg;
	int done;
	int error;
	int intr;
};

/* Attribute names by nest, for error messages; index = attribute type. */
static const char *const top_names[] = {
	[LBIPAM_A_SERVICE] = "service",
	[LBIPAM_A_BACKEND] = "backend",
};

static const char *const svc_names[] = {
	[LBIPAM_SVC_A_ADDR4] = "address",
	[LBIPAM_SVC_A_ADDR6] = "address",
	[LBIPAM_SVC_A_PORT] = "port",
	[LBIPAM_SVC_A_PROTO] = "protocol",
	[LBIPAM_SVC_A_BACKEND_COUNT] = "backend_count",
	[LBIPAM_SVC_A_SCHED] = "sched",
	[LBIPAM_SVC_A_AFFINITY] = "affinity",
	[LBIPAM_SVC_A_FLAGS] = "flags",
	[LBIPAM_SVC_A_SOURCE_RANGE] = "source_range",
	[LBIPAM_SVC_A_STATS] = "stats",
};

static const char *const be_names[] = {
	[LBIPAM_BE_A_ADDR4] = "address",
	[LBIPAM_BE_A_ADDR6] = "address",
	[LBIPAM_BE_A_PORT] = "port",
	[LBIPAM_BE_A_WEIGHT] = "weight",
	[LBIPAM_BE_A_STATE] = "state",
	[LBIPAM_BE_A_FLAGS] = "flags",
	[LBIPAM_BE_A_STATS] = "stats",
};

static const char *attr_name(const char *const *tbl, size_t n, int t)
{
	return t >= 0 && (size_t)t < n ? tbl[t] : NULL;
}

#define LB_NAME(tbl, t) attr_name(tbl, sizeof(tbl) / sizeof(tbl[0]), t)

static const char *child_name(int top, int type)
{
	if (top == LBIPAM_A_SERVICE)
		return LB_NAME(svc_names, type);
	if (top == LBIPAM_A_BACKEND)
		return LB_NAME(be_names, type);
	return NULL;
}

/*
 * Names the attribute at byte @off of the last request ("service.port"),
 * or the nest that starts there. Returns 0 if found.
 */
static int name_at(struct lb_nl *nl, uint32_t off, char *buf, size_t len)
{
	struct nlmsghdr *nlh;
	struct nlattr *a, *c;
	int rem, crem;

	if (!nl->last)
		return -1;
	nlh = nlmsg_hdr(nl->last);
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		uint32_t start = (uint32_t)((char *)a - (char *)nlh);
		int top = nla_type(a);
		const char *tn = LB_NAME(top_names, top);

		if (off < start || off >= start + nla_len(a) + NLA_HDRLEN)
			continue;
		if (!tn) {
			snprintf(buf, len, "attribute type %d", top);
			return 0;
		}
		if (off == start) {
			snprintf(buf, len, "%s", tn);
			return 0;
		}
		nla_for_each_nested(c, a, crem) {
			uint32_t cs = (uint32_t)((char *)c - (char *)nlh);
			const char *cn = child_name(top, nla_type(c));

			/* Inside a child nest (a source range): name the child. */
			if (off < cs || off >= cs + nla_len(c) + NLA_HDRLEN)
				continue;
			if (cn)
				snprintf(buf, len, "%s.%s", tn, cn);
			else
				snprintf(buf, len, "%s.(type %d)", tn,
					 nla_type(c));
			return 0;
		}
		snprintf(buf, len, "%s", tn);
		return 0;
	}
	return -1;
}

static void parse_ext_ack(struct lb_nl *nl, struct nlmsghdr *nlh,
			  struct nlmsgerr *e)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t ack_len = sizeof(*nlh) + sizeof(*e);
	char name[96];
	size_t n;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += e->msg.nlmsg_len - sizeof(*nlh);
	if (nlh->nlmsg_len <= ack_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + ack_len),
		      (int)(nlh->nlmsg_len - ack_len), NULL))
		return;

	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(nl->err, sizeof(nl->err), "%.*s",
			 nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	n = strlen(nl->err);

	if (tb[NLMSGERR_ATTR_OFFS] &&
	    !name_at(nl, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]), name,
			sizeof(name)))
		snprintf(nl->err + n, sizeof(nl->err) - n, "%s(attribute %s)",
			 n ? " " : "", name);
	if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
		int top = 0, type = (int)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
		const char *nest = NULL, *what;

		if (tb[NLMSGERR_ATTR_MISS_NEST] &&
		    !name_at(nl, nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]),
				name, sizeof(name))) {
			nest = name;
			top = !strcmp(name, "service") ? LBIPAM_A_SERVICE :
			      !strcmp(name, "backend") ? LBIPAM_A_BACKEND : -1;
		}
		what = top ? child_name(top, type) :
			     LB_NAME(top_names, type);
		n = strlen(nl->err);
		snprintf(nl->err + n, sizeof(nl->err) - n,
			 "%smissing attribute %s%s%s", n ? "; " : "",
			 nest ? nest : "", nest ? "." : "", what ? what : "?");
	}
}

static int err_cb(struct sockaddr_nl *sa, struct nlmsgerr *e, void *arg)
{
	struct request *req = arg;

	(void)sa;
	req->error = e->error;
	req->done = 1;
	parse_ext_ack(req->nl, (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN),
		      e);
	return NL_STOP;
}

static int done_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->done = 1;
	return NL_STOP;
}

static int intr_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->intr = 1;
	return NL_OK;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	int r;

	if (!req->fn)
		return NL_OK;
	r = req->fn(nlmsg_hdr(msg), req->arg);
	/* Keep reading to the end of a dump, but remember the failure. */
	if (r < 0 && !req->error)
		req->error = r;
	return NL_OK;
}

int lb_nl_open(struct lb_nl *nl)
{
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	err = genl_connect(nl->sk);
	if (err) {
		snprintf(nl->err, sizeof(nl->err),
			 "cannot open a generic netlink socket: %s",
			 nl_geterror(err));
		goto fail;
	}
	/* Best effort: without them errors only lose their explanations. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 1 << 20);
	/* Large dump messages must not be truncated. */
	nl_socket_enable_msg_peek(nl->sk);

	/* Resolving the name makes the kernel autoload lbipam.ko. */
	nl->family = genl_ctrl_resolve(nl->sk, LBIPAM_GENL_NAME);
	if (nl->family < 0) {
		snprintf(nl->err, sizeof(nl->err),
			 "generic netlink family '%s' not found: is lbipam.ko loaded? (modprobe lbipam)",
			 LBIPAM_GENL_NAME);
		err = nl->family;
		goto fail;
	}
	return 0;

fail:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return err == -NLE_OBJ_NOTFOUND ? -ENOENT : -EIO;
}

void lb_nl_close(struct lb_nl *nl)
{
	nlmsg_free(nl->last);
	nl->last = NULL;
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *lb_nl_msg(struct lb_nl *nl, uint8_t cmd, int flags)
{
	return lb_nl_msg_size(nl, cmd, flags, 4096);
}

struct nl_msg *lb_nl_msg_size(struct lb_nl *nl, uint8_t cmd, int flags,
			      size_t size)
{
	struct nl_msg *msg = nlmsg_alloc_size(size);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, LBIPAM_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int lb_nl_request(struct lb_nl *nl, struct nl_msg *msg, lb_nl_reply_fn fn,
		  void *arg)
{
	struct request req = { .nl = nl, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err;

	nl->err[0] = '\0';
	nlmsg_free(nl->last);
	nl->last = msg;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, done_cb, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, done_cb, &req);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, intr_cb, &req);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &req);

	err = nl_send_auto(nl->sk, msg);
	if (err < 0) {
		snprintf(nl->err, sizeof(nl->err), "netlink send: %s",
			 nl_geterror(err));
		nl_cb_put(cb);
		return -EIO;
	}
	while (!req.done) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && !req.done) {
			snprintf(nl->err, sizeof(nl->err), "netlink receive: %s",
				 nl_geterror(err));
			req.error = -EIO;
			break;
		}
	}
	nl_cb_put(cb);
	if (!req.error && req.intr) {
		snprintf(nl->err, sizeof(nl->err),
			 "dump interrupted by a concurrent change");
		return -EAGAIN;
	}
	return req.error;
}

int lb_nl_put_addr(struct nl_msg *msg, int a4, int a6, int family,
		   const void *addr)
{
	if (family == AF_INET6)
		return nla_put(msg, a6, sizeof(struct in6_addr), addr);
	return nla_put(msg, a4, sizeof(struct in_addr), addr);
}

void lb_svc_opts_default(struct lb_svc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sched = LBIPAM_SCHED_MAGLEV;
}

void lb_backend_default(struct lb_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->weight = 1;
	b->state = LBIPAM_BE_ACTIVE;
}

int lb_nl_put_service(struct nl_msg *msg, const struct lb_service_key *key,
		      const struct lb_svc_opts *o)
{
	struct nlattr *nest = nla_nest_start(msg, LBIPAM_A_SERVICE | NLA_F_NESTED);
	size_t i;

	if (!nest ||
	    lb_nl_put_addr(msg, LBIPAM_SVC_A_ADDR4, LBIPAM_SVC_A_ADDR6,
		     key->ep.family, &key->ep.addr) ||
	    nla_put_u16(msg, LBIPAM_SVC_A_PORT, key->ep.port) ||
	    nla_put_u8(msg, LBIPAM_SVC_A_PROTO, key->proto))
		return -EMSGSIZE;
	if (o) {
		if (nla_put_u8(msg, LBIPAM_SVC_A_SCHED, o->sched) ||
		    nla_put_u32(msg, LBIPAM_SVC_A_AFFINITY, o->affinity) ||
		    nla_put_u32(msg, LBIPAM_SVC_A_FLAGS, o->flags))
			return -EMSGSIZE;
		for (i = 0; i < o->nranges; i++) {
			struct nlattr *r = nla_nest_start(msg,
				LBIPAM_SVC_A_SOURCE_RANGE | NLA_F_NESTED);

			if (!r ||
			    lb_nl_put_addr(msg, LBIPAM_CIDR_A_ADDR4,
				     LBIPAM_CIDR_A_ADDR6,
					o->ranges[i].family,
					&o->ranges[i].addr) ||
			    nla_put_u8(msg, LBIPAM_CIDR_A_PREFIXLEN,
				       o->ranges[i].plen))
				return -EMSGSIZE;
			nla_nest_end(msg, r);
		}
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

static int parse_svc_nest(struct nlattr *a, struct lb_svc_reply *r)
{
	struct nlattr *tb[LBIPAM_SVC_A_MAX + 1], *c, *ct[LBIPAM_CIDR_A_MAX + 1];
	int rem;

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
		struct lb_cidr *cidr;

		if (nla_type(c) != LBIPAM_SVC_A_SOURCE_RANGE ||
		    r->opts.nranges == LBIPAM_MAX_SOURCE_RANGES)
			continue;
		cidr = &r->opts.ranges[r->opts.nranges];
		if (nla_parse_nested(ct, LBIPAM_CIDR_A_MAX, c, NULL) ||
		    lb_nl_get_addr(ct[LBIPAM_CIDR_A_ADDR4], ct[LBIPAM_CIDR_A_ADDR6],
			     &cidr->family, &cidr->addr) ||
		    !ct[LBIPAM_CIDR_A_PREFIXLEN])
			return -EBADMSG;
		cidr->plen = nla_get_u8(ct[LBIPAM_CIDR_A_PREFIXLEN]);
		r->opts.nranges++;
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
	free(r->backends);
	r->backends = NULL;
	return -EBADMSG;
}

void lb_svc_list_free(struct lb_svc_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].backends);
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
				free(r.backends);
				return -ENOMEM;
			}
			memcpy(nb + last->nbackends, r.backends,
			       r.nbackends * sizeof(*nb));
		}
		last->backends = nb;
		last->nbackends += r.nbackends;
		free(r.backends);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct lb_svc_reply *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv) {
			free(r.backends);
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
	     nla_put_flag(msg, LBIPAM_A_CT_STATS))) {
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

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	int r = req->fn(nlmsg_hdr(msg), req->arg);

	if (r < 0) {
		req->error = r;
		return NL_STOP;
	}
	return NL_OK;
}

int lb_nl_monitor(struct lb_nl *nl, lb_nl_reply_fn fn, void *arg)
{
	struct request req = { .nl = nl, .fn = fn, .arg = arg };
	int grp, err;

	grp = genl_ctrl_resolve_grp(nl->sk, LBIPAM_GENL_NAME,
				    LBIPAM_MCGRP_EVENTS);
	if (grp < 0) {
		snprintf(nl->err, sizeof(nl->err),
			 "no multicast group '%s' in family '%s': %s",
			 LBIPAM_MCGRP_EVENTS, LBIPAM_GENL_NAME,
			 nl_geterror(grp));
		return -ENOENT;
	}
	err = nl_socket_add_membership(nl->sk, grp);
	if (err) {
		snprintf(nl->err, sizeof(nl->err),
			 "cannot join the events group: %s", nl_geterror(err));
		return err == -NLE_PERM ? -EPERM : -EIO;
	}
	/* Events are not answers to anything we sent. */
	nl_socket_disable_seq_check(nl->sk);
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, event_cb,
			    &req);
	while (!req.error) {
		err = nl_recvmsgs_default(nl->sk);
		if (err < 0 && !req.error) {
			snprintf(nl->err, sizeof(nl->err),
				 "netlink receive: %s", nl_geterror(err));
			return -EIO;
		}
	}
	return req.error;
}

const char *lb_nl_strerror(int err)
{
	switch (-err) {
	case EPERM:
		return "permission denied (CAP_NET_ADMIN in the initial user namespace is required)";
	case EEXIST:
		return "already exists";
	case ENOENT:
		return "no such object";
	case ENOSPC:
		return "limit reached";
	default:
		return strerror(-err);
	}
}
