// SPDX-License-Identifier: GPL-2.0
/*
 * The client side of the "lbipam" generic netlink family, shared by lbctl
 * and lbipamd: the socket, requests, events. Errors carry the kernel's
 * extended ACK message and, when the kernel points at an attribute, the
 * attribute's name. The messages themselves: lb_nl_svc.c.
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
	[LBIPAM_SVC_A_CLUSTER_CIDR] = "cluster_cidr",
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
