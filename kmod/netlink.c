// SPDX-License-Identifier: GPL-2.0
/*
 * The "lbipam" generic netlink family; uapi/linux/lbipam.h is its
 * specification.
 */

#include <linux/in.h>
#include <linux/netfilter.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <uapi/linux/lbipam.h>
#include "lbipam.h"

static const struct nla_policy lbipam_svc_policy[LBIPAM_SVC_A_MAX + 1] = {
	[LBIPAM_SVC_A_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LBIPAM_SVC_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LBIPAM_SVC_A_PORT] = { .type = NLA_U16 },
	[LBIPAM_SVC_A_PROTO] = { .type = NLA_U8 },
	[LBIPAM_SVC_A_BACKEND_COUNT] = {
		.type = NLA_REJECT,
		.reject_message = "backend count is read-only",
	},
};

static const struct nla_policy lbipam_be_policy[LBIPAM_BE_A_MAX + 1] = {
	[LBIPAM_BE_A_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LBIPAM_BE_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LBIPAM_BE_A_PORT] = { .type = NLA_U16 },
};

/* Service commands: a backend attribute is beyond maxattr, hence rejected. */
static const struct nla_policy lbipam_svc_cmd_policy[LBIPAM_A_SERVICE + 1] = {
	[LBIPAM_A_SERVICE] = NLA_POLICY_NESTED(lbipam_svc_policy),
};

static const struct nla_policy lbipam_be_cmd_policy[LBIPAM_A_BACKEND + 1] = {
	[LBIPAM_A_SERVICE] = NLA_POLICY_NESTED(lbipam_svc_policy),
	[LBIPAM_A_BACKEND] = NLA_POLICY_NESTED(lbipam_be_policy),
};

static struct genl_family lbipam_genl_family;

/* Where a service's or a backend's address and port live. */
struct lbipam_endpoint_attrs {
	int addr4, addr6, port;
	bool svc;
};

static const struct lbipam_endpoint_attrs lbipam_svc_ep = {
	.addr4 = LBIPAM_SVC_A_ADDR4,
	.addr6 = LBIPAM_SVC_A_ADDR6,
	.port = LBIPAM_SVC_A_PORT,
	.svc = true,
};

static const struct lbipam_endpoint_attrs lbipam_be_ep = {
	.addr4 = LBIPAM_BE_A_ADDR4,
	.addr6 = LBIPAM_BE_A_ADDR6,
	.port = LBIPAM_BE_A_PORT,
};

enum lbipam_ep_err {
	LBIPAM_EP_NO_ADDR,
	LBIPAM_EP_NO_PORT,
	LBIPAM_EP_BAD_PORT,
};

/* extack messages must be string literals: one set per endpoint kind. */
static void lbipam_ep_err(struct netlink_ext_ack *extack,
			  const struct nlattr *attr,
			  const struct lbipam_endpoint_attrs *ep,
			  enum lbipam_ep_err err)
{
	switch (err) {
	case LBIPAM_EP_NO_ADDR:
		if (ep->svc)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service needs exactly one address attribute (ADDR4 or ADDR6)");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "backend needs exactly one address attribute (ADDR4 or ADDR6)");
		break;
	case LBIPAM_EP_NO_PORT:
		if (ep->svc)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service port attribute is required");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "backend port attribute is required");
		break;
	case LBIPAM_EP_BAD_PORT:
		if (ep->svc)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service port must be 1-65535");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "backend port must be 1-65535");
		break;
	}
}

static int lbipam_parse_endpoint(struct nlattr *nest, struct nlattr **tb,
				 const struct lbipam_endpoint_attrs *ep,
				 union nf_inet_addr *addr, __be16 *port,
				 u8 *family, struct netlink_ext_ack *extack)
{
	u16 p;

	if (!!tb[ep->addr4] == !!tb[ep->addr6]) {
		lbipam_ep_err(extack, nest, ep, LBIPAM_EP_NO_ADDR);
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	if (tb[ep->addr4]) {
		addr->ip = nla_get_in_addr(tb[ep->addr4]);
		*family = NFPROTO_IPV4;
	} else {
		addr->in6 = nla_get_in6_addr(tb[ep->addr6]);
		*family = NFPROTO_IPV6;
	}

	if (!tb[ep->port]) {
		lbipam_ep_err(extack, nest, ep, LBIPAM_EP_NO_PORT);
		NL_SET_ERR_ATTR_MISS(extack, nest, ep->port);
		return -EINVAL;
	}
	p = nla_get_u16(tb[ep->port]);
	if (!p) {
		lbipam_ep_err(extack, tb[ep->port], ep, LBIPAM_EP_BAD_PORT);
		return -ERANGE;
	}
	*port = htons(p);
	return 0;
}

static int lbipam_parse_svc(struct genl_info *info, struct lbipam_svc_key *key)
{
	struct nlattr *nest = info->attrs[LBIPAM_A_SERVICE];
	struct nlattr *tb[LBIPAM_SVC_A_MAX + 1];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LBIPAM_A_SERVICE)) {
		GENL_SET_ERR_MSG(info, "service (LBIPAM_A_SERVICE) is required");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, LBIPAM_SVC_A_MAX, nest, lbipam_svc_policy,
			       info->extack);
	if (err)
		return err;

	memset(key, 0, sizeof(*key));
	err = lbipam_parse_endpoint(nest, tb, &lbipam_svc_ep, &key->addr,
				    &key->port, &key->family, info->extack);
	if (err)
		return err;
	if (key->family != NFPROTO_IPV4) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[LBIPAM_SVC_A_ADDR6],
				    "IPv6 services are not supported by this module version");
		return -EAFNOSUPPORT;
	}

	if (!tb[LBIPAM_SVC_A_PROTO]) {
		NL_SET_ERR_ATTR_MISS(info->extack, nest, LBIPAM_SVC_A_PROTO);
		GENL_SET_ERR_MSG(info,
				 "service protocol (LBIPAM_SVC_A_PROTO) is required");
		return -EINVAL;
	}
	key->proto = nla_get_u8(tb[LBIPAM_SVC_A_PROTO]);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[LBIPAM_SVC_A_PROTO],
				    "service protocol must be TCP (6) or UDP (17)");
		return -EPROTONOSUPPORT;
	}
	return 0;
}

static int lbipam_parse_be(struct genl_info *info,
			   const struct lbipam_svc_key *key,
			   struct lbipam_backend *be)
{
	struct nlattr *nest = info->attrs[LBIPAM_A_BACKEND];
	struct nlattr *tb[LBIPAM_BE_A_MAX + 1];
	u8 family;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LBIPAM_A_BACKEND)) {
		GENL_SET_ERR_MSG(info, "backend (LBIPAM_A_BACKEND) is required");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, LBIPAM_BE_A_MAX, nest, lbipam_be_policy,
			       info->extack);
	if (err)
		return err;

	memset(be, 0, sizeof(*be));
	err = lbipam_parse_endpoint(nest, tb, &lbipam_be_ep, &be->addr,
				    &be->port, &family, info->extack);
	if (err)
		return err;
	if (family != key->family) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "backend address family differs from the service's");
		return -EINVAL;
	}
	return 0;
}

static int lbipam_put_addr(struct sk_buff *skb, int a4, int a6, u8 family,
			   const union nf_inet_addr *addr)
{
	if (family == NFPROTO_IPV4)
		return nla_put_in_addr(skb, a4, addr->ip);
	return nla_put_in6_addr(skb, a6, &addr->in6);
}

static int lbipam_put_svc(struct sk_buff *skb, const struct lbipam_service *svc,
			  const struct lbipam_backends *bes)
{
	const struct lbipam_svc_key *key = &svc->key;
	struct nlattr *nest;

	nest = nla_nest_start(skb, LBIPAM_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	if (lbipam_put_addr(skb, LBIPAM_SVC_A_ADDR4, LBIPAM_SVC_A_ADDR6,
			    key->family, &key->addr) ||
	    nla_put_u16(skb, LBIPAM_SVC_A_PORT, ntohs(key->port)) ||
	    nla_put_u8(skb, LBIPAM_SVC_A_PROTO, key->proto) ||
	    nla_put_u32(skb, LBIPAM_SVC_A_BACKEND_COUNT, bes ? bes->n : 0)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int lbipam_put_be(struct sk_buff *skb, u8 family,
			 const struct lbipam_backend *be)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, LBIPAM_A_BACKEND);
	if (!nest)
		return -EMSGSIZE;
	if (lbipam_put_addr(skb, LBIPAM_BE_A_ADDR4, LBIPAM_BE_A_ADDR6, family,
			    &be->addr) ||
	    nla_put_u16(skb, LBIPAM_BE_A_PORT, ntohs(be->port))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static struct lbipam_backends *lbipam_bes(struct lbipam_net *ln,
					  struct lbipam_service *svc)
{
	return rcu_dereference_protected(svc->backends,
					 lockdep_is_held(&ln->lock));
}

/*
 * One reply message for @svc holding backends from *@be_idx on, as many as
 * fit. Advances *@be_idx; -EMSGSIZE if not even the service itself fit.
 */
static int lbipam_fill_svc(struct sk_buff *skb, struct lbipam_net *ln,
			   struct lbipam_service *svc, u32 *be_idx,
			   u32 portid, u32 seq, int flags,
			   struct netlink_callback *cb)
{
	struct lbipam_backends *bes = lbipam_bes(ln, svc);
	u32 n = bes ? bes->n : 0, i = *be_idx;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &lbipam_genl_family, flags,
			  LBIPAM_CMD_SERVICE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (lbipam_put_svc(skb, svc, bes))
		goto cancel;
	for (; i < n; i++)
		if (lbipam_put_be(skb, svc->key.family, &bes->be[i]))
			break;
	/* A message carrying the service but none of its pending backends is no progress. */
	if (i == *be_idx && i < n)
		goto cancel;
	genlmsg_end(skb, hdr);
	*be_idx = i;
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static size_t lbipam_svc_msg_size(const struct lbipam_backends *bes)
{
	size_t be = nla_total_size(0) + nla_total_size(sizeof(struct in6_addr)) +
		    nla_total_size(sizeof(u16));

	return nla_total_size(0) + nla_total_size(sizeof(struct in6_addr)) +
	       nla_total_size(sizeof(u16)) + nla_total_size(sizeof(u8)) +
	       nla_total_size(sizeof(u32)) + (bes ? bes->n : 0) * be;
}

static int lbipam_svc_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_svc_key key;
	int err;

	err = lbipam_parse_svc(info, &key);
	if (err)
		return err;
	mutex_lock(&ln->lock);
	err = lbipam_svc_add(ln, &key, info->extack);
	mutex_unlock(&ln->lock);
	return err;
}

static int lbipam_svc_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_svc_key key;
	int err;

	err = lbipam_parse_svc(info, &key);
	if (err)
		return err;
	mutex_lock(&ln->lock);
	err = lbipam_svc_del(ln, &key, info->extack);
	mutex_unlock(&ln->lock);
	return err;
}

static int lbipam_svc_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_service *svc;
	struct lbipam_svc_key key;
	struct sk_buff *msg;
	u32 be_idx = 0;
	int err;

	err = lbipam_parse_svc(info, &key);
	if (err)
		return err;

	mutex_lock(&ln->lock);
	svc = lbipam_svc_find(ln, &key);
	if (!svc) {
		GENL_SET_ERR_MSG(info, "no such service");
		err = -ENOENT;
		goto out;
	}
	msg = genlmsg_new(lbipam_svc_msg_size(lbipam_bes(ln, svc)), GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = lbipam_fill_svc(msg, ln, svc, &be_idx, info->snd_portid,
			      info->snd_seq, 0, NULL);
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	mutex_unlock(&ln->lock);
	return genlmsg_reply(msg, info);
out:
	mutex_unlock(&ln->lock);
	return err;
}

/* Dump cursor: the key last sent, so a resumed dump starts right after it. */
struct lbipam_dump_ctx {
	struct lbipam_svc_key last;
	u32 be_idx;		/* next backend of @last, when @partial */
	bool started;
	bool partial;
};

static int lbipam_svc_get_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct lbipam_dump_ctx *ctx = (void *)cb->ctx;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	if (di->attrs[LBIPAM_A_SERVICE]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, di->attrs[LBIPAM_A_SERVICE],
				    "a dump takes no service; omit NLM_F_DUMP to get one service");
		return -EINVAL;
	}
	memset(ctx, 0, sizeof(*ctx));
	return 0;
}

static int lbipam_svc_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct lbipam_net *ln = lbipam_pernet(sock_net(skb->sk));
	struct lbipam_dump_ctx *ctx = (void *)cb->ctx;
	struct lbipam_service *svc;
	int err = 0;

	mutex_lock(&ln->lock);
	cb->seq = ln->gen;

	svc = NULL;
	if (ctx->partial)
		svc = lbipam_svc_find(ln, &ctx->last);
	if (!svc) {
		svc = lbipam_svc_next(ln, ctx->started ? &ctx->last : NULL);
		ctx->be_idx = 0;
	}

	while (svc) {
		struct lbipam_backends *bes = lbipam_bes(ln, svc);

		err = lbipam_fill_svc(skb, ln, svc, &ctx->be_idx,
				      NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI, cb);
		if (err)
			break;
		ctx->last = svc->key;
		ctx->started = true;
		ctx->partial = bes && ctx->be_idx < bes->n;
		if (ctx->partial)
			break;
		ctx->be_idx = 0;
		svc = lbipam_svc_next(ln, &svc->key);
	}
	mutex_unlock(&ln->lock);

	/* Something sent: come back for more; nothing fit at all: a real error. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	if (err)
		return err;
	return ctx->partial ? skb->len : 0;
}

static int lbipam_be_doit(struct genl_info *info, bool add)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_svc_key key;
	struct lbipam_backend be;
	int err;

	err = lbipam_parse_svc(info, &key);
	if (err)
		return err;
	err = lbipam_parse_be(info, &key, &be);
	if (err)
		return err;

	mutex_lock(&ln->lock);
	if (add)
		err = lbipam_be_add(ln, &key, &be, info->extack);
	else
		err = lbipam_be_del(ln, &key, &be, info->extack);
	mutex_unlock(&ln->lock);
	return err;
}

static int lbipam_be_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_be_doit(info, true);
}

static int lbipam_be_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_be_doit(info, false);
}

static const struct genl_ops lbipam_genl_ops[] = {
	{
		.cmd = LBIPAM_CMD_SERVICE_NEW,
		.doit = lbipam_svc_new_doit,
		.policy = lbipam_svc_cmd_policy,
		.maxattr = ARRAY_SIZE(lbipam_svc_cmd_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LBIPAM_CMD_SERVICE_DEL,
		.doit = lbipam_svc_del_doit,
		.policy = lbipam_svc_cmd_policy,
		.maxattr = ARRAY_SIZE(lbipam_svc_cmd_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LBIPAM_CMD_SERVICE_GET,
		.doit = lbipam_svc_get_doit,
		.start = lbipam_svc_get_start,
		.dumpit = lbipam_svc_get_dumpit,
		.policy = lbipam_svc_cmd_policy,
		.maxattr = ARRAY_SIZE(lbipam_svc_cmd_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LBIPAM_CMD_BACKEND_NEW,
		.doit = lbipam_be_new_doit,
		.policy = lbipam_be_cmd_policy,
		.maxattr = ARRAY_SIZE(lbipam_be_cmd_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = LBIPAM_CMD_BACKEND_DEL,
		.doit = lbipam_be_del_doit,
		.policy = lbipam_be_cmd_policy,
		.maxattr = ARRAY_SIZE(lbipam_be_cmd_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family lbipam_genl_family __ro_after_init = {
	.name = LBIPAM_GENL_NAME,
	.version = LBIPAM_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.ops = lbipam_genl_ops,
	.n_ops = ARRAY_SIZE(lbipam_genl_ops),
	.resv_start_op = 0,
	.module = THIS_MODULE,
};

int __init lbipam_genl_init(void)
{
	return genl_register_family(&lbipam_genl_family);
}

void lbipam_genl_exit(void)
{
	genl_unregister_family(&lbipam_genl_family);
}
