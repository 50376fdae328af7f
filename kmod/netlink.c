// SPDX-License-Identifier: GPL-2.0
/*
 * The "lbipam" generic netlink family; uapi/linux/lbipam.h is its
 * specification.
 *
 * Policies only check types and lengths; ranges and combinations are
 * checked in code so that every refusal says in words which attribute is
 * wrong.
 */

#include <linux/in.h>
#include <linux/slab.h>
#include <linux/netfilter.h>
#include <net/genetlink.h>
#include <linux/rtnetlink.h>
#include <net/sock.h>
#include "lbipam.h"

static const struct nla_policy lbipam_cidr_policy[LBIPAM_CIDR_A_MAX + 1] = {
	[LBIPAM_CIDR_A_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LBIPAM_CIDR_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LBIPAM_CIDR_A_PREFIXLEN] = { .type = NLA_U8 },
};

static const struct nla_policy lbipam_svc_policy[LBIPAM_SVC_A_MAX + 1] = {
	[LBIPAM_SVC_A_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LBIPAM_SVC_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LBIPAM_SVC_A_PORT] = { .type = NLA_U16 },
	[LBIPAM_SVC_A_PROTO] = { .type = NLA_U8 },
	[LBIPAM_SVC_A_BACKEND_COUNT] = {
		.type = NLA_REJECT,
		.reject_message = "backend count is read-only",
	},
	[LBIPAM_SVC_A_SCHED] = { .type = NLA_U8 },
	[LBIPAM_SVC_A_AFFINITY] = { .type = NLA_U32 },
	[LBIPAM_SVC_A_FLAGS] = { .type = NLA_U32 },
	[LBIPAM_SVC_A_SOURCE_RANGE] = NLA_POLICY_NESTED(lbipam_cidr_policy),
	[LBIPAM_SVC_A_STATS] = {
		.type = NLA_REJECT,
		.reject_message = "service counters are read-only",
	},
	[LBIPAM_SVC_A_CLUSTER_CIDR] = NLA_POLICY_NESTED(lbipam_cidr_policy),
};

static const struct nla_policy lbipam_be_policy[LBIPAM_BE_A_MAX + 1] = {
	[LBIPAM_BE_A_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LBIPAM_BE_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LBIPAM_BE_A_PORT] = { .type = NLA_U16 },
	[LBIPAM_BE_A_WEIGHT] = { .type = NLA_U16 },
	[LBIPAM_BE_A_STATE] = { .type = NLA_U8 },
	[LBIPAM_BE_A_FLAGS] = { .type = NLA_U32 },
	[LBIPAM_BE_A_STATS] = {
		.type = NLA_REJECT,
		.reject_message = "backend counters are read-only",
	},
};

/* Service commands: a backend attribute is beyond maxattr, hence rejected. */
static const struct nla_policy lbipam_svc_cmd_policy[LBIPAM_A_SERVICE + 1] = {
	[LBIPAM_A_SERVICE] = NLA_POLICY_NESTED(lbipam_svc_policy),
};

static const struct nla_policy lbipam_be_cmd_policy[LBIPAM_A_BACKEND + 1] = {
	[LBIPAM_A_SERVICE] = NLA_POLICY_NESTED(lbipam_svc_policy),
	[LBIPAM_A_BACKEND] = NLA_POLICY_NESTED(lbipam_be_policy),
};

/*
 * A get: one service's key or none (a dump), and whether to walk conntrack
 * and the affinity table. LBIPAM_A_L2 is refused as unsupported (NLA_UNSPEC
 * under strict validation).
 */
static const struct nla_policy lbipam_get_cmd_policy[LBIPAM_A_AFF_STATS + 1] = {
	[LBIPAM_A_SERVICE] = NLA_POLICY_NESTED(lbipam_svc_policy),
	[LBIPAM_A_BACKEND] = {
		.type = NLA_REJECT,
		.reject_message = "a get takes no backend; the reply lists them all",
	},
	[LBIPAM_A_CT_STATS] = { .type = NLA_FLAG },
	[LBIPAM_A_AFF_STATS] = { .type = NLA_FLAG },
};

static const struct nla_policy lbipam_l2_policy[LBIPAM_L2_A_MAX + 1] = {
	[LBIPAM_L2_A_ADDR4] = NLA_POLICY_EXACT_LEN(sizeof(struct in_addr)),
	[LBIPAM_L2_A_ADDR6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[LBIPAM_L2_A_IFINDEX] = { .type = NLA_U32 },
	[LBIPAM_L2_A_STATS] = {
		.type = NLA_REJECT,
		.reject_message = "announcement counters are read-only",
	},
};

/*
 * L2 commands: only LBIPAM_A_L2. A service or backend nest is refused as an
 * "Unsupported attribute" (NLA_UNSPEC under strict validation): a
 * NLA_REJECT entry would refuse it for its NLA_F_NESTED flag first, with a
 * message about the flag.
 */
static const struct nla_policy lbipam_l2_cmd_policy[LBIPAM_A_L2 + 1] = {
	[LBIPAM_A_CT_STATS] = {
		.type = NLA_REJECT,
		.reject_message = "an L2 command takes no conntrack flag",
	},
	[LBIPAM_A_L2] = NLA_POLICY_NESTED(lbipam_l2_policy),
};

static struct genl_family lbipam_genl_family;

/* ----------------------------------------------------------- parsing --- */

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

static int lbipam_parse_key(struct nlattr *nest, struct nlattr **tb,
			    struct lbipam_svc_key *key,
			    struct netlink_ext_ack *extack)
{
	int err;

	memset(key, 0, sizeof(*key));
	err = lbipam_parse_endpoint(nest, tb, &lbipam_svc_ep, &key->addr,
				    &key->port, &key->family, extack);
	if (err)
		return err;
	if (!tb[LBIPAM_SVC_A_PROTO]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "service protocol attribute is required");
		NL_SET_ERR_ATTR_MISS(extack, nest, LBIPAM_SVC_A_PROTO);
		return -EINVAL;
	}
	key->proto = nla_get_u8(tb[LBIPAM_SVC_A_PROTO]);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP &&
	    key->proto != IPPROTO_SCTP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_SVC_A_PROTO],
				    "service protocol must be TCP (6), UDP (17) or SCTP (132)");
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* What a set of prefixes is to the service; extack messages are per kind. */
struct lbipam_cidr_kind {
	int type;			/* enum lbipam_svc_attr */
	u32 max;
	bool cluster;			/* else source ranges */
};

static const struct lbipam_cidr_kind lbipam_source_ranges = {
	.type = LBIPAM_SVC_A_SOURCE_RANGE,
	.max = LBIPAM_MAX_SOURCE_RANGES,
};

static const struct lbipam_cidr_kind lbipam_cluster_cidrs = {
	.type = LBIPAM_SVC_A_CLUSTER_CIDR,
	.max = LBIPAM_MAX_CLUSTER_CIDRS,
	.cluster = true,
};

enum lbipam_cidr_err {
	LBIPAM_CIDR_BAD_FAMILY,
	LBIPAM_CIDR_NO_PLEN,
	LBIPAM_CIDR_LONG_PLEN,
	LBIPAM_CIDR_HOST_BITS,
	LBIPAM_CIDR_TOO_MANY,
};

/* extack messages must be string literals: one set per kind of prefix. */
static void lbipam_cidr_err(struct netlink_ext_ack *extack,
			    const struct nlattr *attr,
			    const struct lbipam_cidr_kind *kind,
			    enum lbipam_cidr_err err)
{
	switch (err) {
	case LBIPAM_CIDR_BAD_FAMILY:
		if (kind->cluster)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "cluster CIDR needs one address of the service's family");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "source range needs one address of the service's family");
		break;
	case LBIPAM_CIDR_NO_PLEN:
		if (kind->cluster)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "cluster CIDR prefix length attribute is required");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "source range prefix length attribute is required");
		break;
	case LBIPAM_CIDR_LONG_PLEN:
		if (kind->cluster)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "cluster CIDR prefix length is too long for its family");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "source range prefix length is too long for its family");
		break;
	case LBIPAM_CIDR_HOST_BITS:
		if (kind->cluster)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "cluster CIDR has host bits set beyond its prefix length");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "source range has host bits set beyond its prefix length");
		break;
	case LBIPAM_CIDR_TOO_MANY:
		if (kind->cluster)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "too many cluster CIDRs (at most 64)");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "too many source ranges (at most 64)");
		break;
	}
}

static int lbipam_parse_cidr(struct nlattr *attr, u8 family,
			     const struct lbipam_cidr_kind *kind,
			     struct lbipam_cidr *r,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[LBIPAM_CIDR_A_MAX + 1];
	union nf_inet_addr host;
	unsigned int max;
	int err, i;

	err = nla_parse_nested(tb, LBIPAM_CIDR_A_MAX, attr, lbipam_cidr_policy,
			       extack);
	if (err)
		return err;
	memset(r, 0, sizeof(*r));
	if (family == NFPROTO_IPV4 && tb[LBIPAM_CIDR_A_ADDR4] &&
	    !tb[LBIPAM_CIDR_A_ADDR6]) {
		r->addr.ip = nla_get_in_addr(tb[LBIPAM_CIDR_A_ADDR4]);
		max = 32;
	} else if (family == NFPROTO_IPV6 && tb[LBIPAM_CIDR_A_ADDR6] &&
		   !tb[LBIPAM_CIDR_A_ADDR4]) {
		r->addr.in6 = nla_get_in6_addr(tb[LBIPAM_CIDR_A_ADDR6]);
		max = 128;
	} else {
		lbipam_cidr_err(extack, attr, kind, LBIPAM_CIDR_BAD_FAMILY);
		return -EINVAL;
	}
	if (!tb[LBIPAM_CIDR_A_PREFIXLEN]) {
		lbipam_cidr_err(extack, attr, kind, LBIPAM_CIDR_NO_PLEN);
		NL_SET_ERR_ATTR_MISS(extack, attr, LBIPAM_CIDR_A_PREFIXLEN);
		return -EINVAL;
	}
	r->plen = nla_get_u8(tb[LBIPAM_CIDR_A_PREFIXLEN]);
	if (r->plen > max) {
		lbipam_cidr_err(extack, tb[LBIPAM_CIDR_A_PREFIXLEN], kind,
				LBIPAM_CIDR_LONG_PLEN);
		return -ERANGE;
	}
	for (i = 0; i < 4; i++) {
		int bits = clamp_t(int, (int)r->plen - 32 * i, 0, 32);

		r->mask.all[i] = bits ? htonl(~0U << (32 - bits)) : 0;
	}
	nf_inet_addr_mask(&r->addr, &host, &r->mask);
	if (!nf_inet_addr_cmp(&host, &r->addr)) {
		lbipam_cidr_err(extack, attr, kind, LBIPAM_CIDR_HOST_BITS);
		return -EINVAL;
	}
	return 0;
}

/* Every attribute of @kind in the service @nest, into @buf (room for kind->max). */
static int lbipam_parse_cidrs(struct nlattr *nest, u8 family,
			      const struct lbipam_cidr_kind *kind,
			      struct lbipam_cidr_set *set,
			      struct lbipam_cidr *buf,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	int rem, err;

	set->n = 0;
	set->c = buf;
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != kind->type)
			continue;
		if (set->n == kind->max) {
			lbipam_cidr_err(extack, a, kind, LBIPAM_CIDR_TOO_MANY);
			return -E2BIG;
		}
		err = lbipam_parse_cidr(a, family, kind, &buf[set->n], extack);
		if (err)
			return err;
		set->n++;
	}
	return 0;
}

/* Options absent from @tb take their defaults: SET replaces them all. */
static int lbipam_parse_svc_cfg(struct nlattr *nest, struct nlattr **tb,
				const struct lbipam_svc_key *key,
				struct lbipam_svc_cfg *cfg,
				struct netlink_ext_ack *extack)
{
	int err;

	cfg->sched = LBIPAM_SCHED_MAGLEV;
	cfg->affinity = 0;
	cfg->flags = 0;

	if (tb[LBIPAM_SVC_A_SCHED]) {
		cfg->sched = nla_get_u8(tb[LBIPAM_SVC_A_SCHED]);
		if (cfg->sched > LBIPAM_SCHED_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_SVC_A_SCHED],
					    "service scheduler must be maglev (0) or random (1)");
			return -ERANGE;
		}
	}
	if (tb[LBIPAM_SVC_A_AFFINITY]) {
		cfg->affinity = nla_get_u32(tb[LBIPAM_SVC_A_AFFINITY]);
		if (cfg->affinity > LBIPAM_MAX_AFFINITY) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_SVC_A_AFFINITY],
					    "service affinity timeout must be 0-86400 seconds");
			return -ERANGE;
		}
	}
	if (tb[LBIPAM_SVC_A_FLAGS]) {
		cfg->flags = nla_get_u32(tb[LBIPAM_SVC_A_FLAGS]);
		if (cfg->flags & ~__LBIPAM_SVC_F_ALL) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_SVC_A_FLAGS],
					    "service flags has unknown bits set");
			return -EINVAL;
		}
	}
	if ((cfg->flags & LBIPAM_SVC_F_ONE_PACKET) &&
	    key->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_SVC_A_FLAGS],
				    "one-packet scheduling is for UDP services only");
		return -EINVAL;
	}
	/* Without zones every datagram would meet the same entry. */
	if ((cfg->flags & LBIPAM_SVC_F_ONE_PACKET) &&
	    !IS_ENABLED(CONFIG_NF_CONNTRACK_ZONES)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_SVC_A_FLAGS],
				    "one-packet scheduling needs conntrack zones (CONFIG_NF_CONNTRACK_ZONES)");
		return -EOPNOTSUPP;
	}
	err = lbipam_parse_cidrs(nest, key->family, &lbipam_source_ranges,
				 &cfg->ranges, cfg->range_buf, extack);
	if (err)
		return err;
	return lbipam_parse_cidrs(nest, key->family, &lbipam_cluster_cidrs,
				  &cfg->cluster, cfg->cluster_buf, extack);
}

/*
 * The service of a request: its key and, if @cfg, its options. @cfg is
 * large (source ranges, cluster CIDRs), so callers allocate it.
 */
static int lbipam_parse_svc(struct genl_info *info, struct lbipam_svc_key *key,
			    struct lbipam_svc_cfg *cfg)
{
	struct nlattr *nest = info->attrs[LBIPAM_A_SERVICE];
	struct nlattr *tb[LBIPAM_SVC_A_MAX + 1];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LBIPAM_A_SERVICE)) {
		GENL_SET_ERR_MSG(info, "service attribute is required");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, LBIPAM_SVC_A_MAX, nest, lbipam_svc_policy,
			       info->extack);
	if (err)
		return err;
	err = lbipam_parse_key(nest, tb, key, info->extack);
	if (err || !cfg)
		return err;
	return lbipam_parse_svc_cfg(nest, tb, key, cfg, info->extack);
}

static int lbipam_parse_be(struct nlattr *nest, const struct lbipam_svc_key *key,
			   struct lbipam_be_cfg *be,
			   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[LBIPAM_BE_A_MAX + 1];
	u8 family;
	int err;

	err = nla_parse_nested(tb, LBIPAM_BE_A_MAX, nest, lbipam_be_policy,
			       extack);
	if (err)
		return err;

	memset(be, 0, sizeof(*be));
	err = lbipam_parse_endpoint(nest, tb, &lbipam_be_ep, &be->addr,
				    &be->port, &family, extack);
	if (err)
		return err;
	if (family != key->family) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "backend address family differs from the service's");
		return -EINVAL;
	}
	be->weight = 1;
	if (tb[LBIPAM_BE_A_WEIGHT])
		be->weight = nla_get_u16(tb[LBIPAM_BE_A_WEIGHT]);
	be->state = LBIPAM_BE_ACTIVE;
	if (tb[LBIPAM_BE_A_STATE]) {
		be->state = nla_get_u8(tb[LBIPAM_BE_A_STATE]);
		if (be->state > LBIPAM_BE_STATE_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_BE_A_STATE],
					    "backend state must be active (0), terminating (1) or maintenance (2)");
			return -ERANGE;
		}
	}
	if (tb[LBIPAM_BE_A_FLAGS]) {
		u32 flags = nla_get_u32(tb[LBIPAM_BE_A_FLAGS]);

		if (flags & ~__LBIPAM_BE_F_ALL) {
			NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_BE_A_FLAGS],
					    "backend flags has unknown bits set");
			return -EINVAL;
		}
		be->flags = flags;
	}
	return 0;
}

static int lbipam_parse_one_be(struct genl_info *info,
			       const struct lbipam_svc_key *key,
			       struct lbipam_be_cfg *be)
{
	if (GENL_REQ_ATTR_CHECK(info, LBIPAM_A_BACKEND)) {
		GENL_SET_ERR_MSG(info, "backend attribute is required");
		return -EINVAL;
	}
	return lbipam_parse_be(info->attrs[LBIPAM_A_BACKEND], key, be,
			       info->extack);
}

/* ----------------------------------------------------------- replies --- */

static int lbipam_put_addr(struct sk_buff *skb, int a4, int a6, u8 family,
			   const union nf_inet_addr *addr)
{
	if (family == NFPROTO_IPV4)
		return nla_put_in_addr(skb, a4, addr->ip);
	return nla_put_in6_addr(skb, a6, &addr->in6);
}

/* What to put beside the key of a service (and, for the counters, its backends). */
enum {
	LBIPAM_PUT_OPTS		= 1 << 0,
	LBIPAM_PUT_COUNT	= 1 << 1,
	LBIPAM_PUT_STATS	= 1 << 2,
	LBIPAM_PUT_CT		= 1 << 3,	/* lbipam_ct_stats: tracked */
	LBIPAM_PUT_ACCT		= 1 << 4,	/* ... and traffic */
	LBIPAM_PUT_AFF		= 1 << 5,	/* service's aff_live */
};

static int lbipam_put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, LBIPAM_STATS_A_PAD);
}

static int lbipam_put_ct_stats(struct sk_buff *skb,
			       const struct lbipam_ct_stats *ct,
			       unsigned int what)
{
	if (!(what & LBIPAM_PUT_CT))
		return 0;
	if (lbipam_put_u64(skb, LBIPAM_STATS_A_TRACKED, ct->tracked))
		return -EMSGSIZE;
	if (!(what & LBIPAM_PUT_ACCT))
		return 0;
	if (lbipam_put_u64(skb, LBIPAM_STATS_A_PACKETS_IN,
			   ct->packets[IP_CT_DIR_ORIGINAL]) ||
	    lbipam_put_u64(skb, LBIPAM_STATS_A_BYTES_IN,
			   ct->bytes[IP_CT_DIR_ORIGINAL]) ||
	    lbipam_put_u64(skb, LBIPAM_STATS_A_PACKETS_OUT,
			   ct->packets[IP_CT_DIR_REPLY]) ||
	    lbipam_put_u64(skb, LBIPAM_STATS_A_BYTES_OUT,
			   ct->bytes[IP_CT_DIR_REPLY]))
		return -EMSGSIZE;
	return 0;
}

/* @aff_live: the service's, with LBIPAM_PUT_AFF; ignored for a backend. */
static int lbipam_put_stats(struct sk_buff *skb, int type,
			    struct lbipam_stats __percpu *s,
			    const struct lbipam_ct_stats *ct, bool svc,
			    u64 aff_live, unsigned int what)
{
	struct lbipam_stats_sum sum;
	struct nlattr *nest;

	lbipam_stats_read(s, &sum);
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (lbipam_put_u64(skb, LBIPAM_STATS_A_CONNS, sum.conns) ||
	    (svc && (lbipam_put_u64(skb, LBIPAM_STATS_A_REJECTS, sum.rejects) ||
		     lbipam_put_u64(skb, LBIPAM_STATS_A_DROPS, sum.drops) ||
		     lbipam_put_u64(skb, LBIPAM_STATS_A_AFF_LOST,
				    sum.aff_lost) ||
		     ((what & LBIPAM_PUT_AFF) &&
		      lbipam_put_u64(skb, LBIPAM_STATS_A_AFFINITY,
				     aff_live)))) ||
	    lbipam_put_ct_stats(skb, ct, what)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int lbipam_put_key(struct sk_buff *skb, const struct lbipam_svc_key *key)
{
	if (lbipam_put_addr(skb, LBIPAM_SVC_A_ADDR4, LBIPAM_SVC_A_ADDR6,
			    key->family, &key->addr) ||
	    nla_put_u16(skb, LBIPAM_SVC_A_PORT, ntohs(key->port)) ||
	    nla_put_u8(skb, LBIPAM_SVC_A_PROTO, key->proto))
		return -EMSGSIZE;
	return 0;
}

static int lbipam_put_cidrs(struct sk_buff *skb, int type,
			    const struct lbipam_cidr_set *set, u8 family)
{
	struct nlattr *nest;
	u32 i;

	for (i = 0; i < set->n; i++) {
		nest = nla_nest_start(skb, type);
		if (!nest ||
		    lbipam_put_addr(skb, LBIPAM_CIDR_A_ADDR4,
				    LBIPAM_CIDR_A_ADDR6, family,
				    &set->c[i].addr) ||
		    nla_put_u8(skb, LBIPAM_CIDR_A_PREFIXLEN, set->c[i].plen))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

static int lbipam_put_svc(struct sk_buff *skb, const struct lbipam_svc_key *key,
			  const struct lbipam_service *svc,
			  const struct lbipam_state *st, unsigned int what)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, LBIPAM_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	if (lbipam_put_key(skb, key))
		goto cancel;
	if ((what & LBIPAM_PUT_OPTS) &&
	    (nla_put_u8(skb, LBIPAM_SVC_A_SCHED, st->sched) ||
	     nla_put_u32(skb, LBIPAM_SVC_A_AFFINITY, st->affinity) ||
	     nla_put_u32(skb, LBIPAM_SVC_A_FLAGS, st->flags) ||
	     lbipam_put_cidrs(skb, LBIPAM_SVC_A_SOURCE_RANGE, &st->ranges,
			      key->family) ||
	     lbipam_put_cidrs(skb, LBIPAM_SVC_A_CLUSTER_CIDR, &st->cluster,
			      key->family)))
		goto cancel;
	if ((what & LBIPAM_PUT_COUNT) &&
	    nla_put_u32(skb, LBIPAM_SVC_A_BACKEND_COUNT, st->n))
		goto cancel;
	if ((what & LBIPAM_PUT_STATS) &&
	    lbipam_put_stats(skb, LBIPAM_SVC_A_STATS, svc->stats, &svc->ct,
			     true, svc->aff_live, what))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int lbipam_put_be(struct sk_buff *skb, u8 family,
			 const struct lbipam_be_cfg *be,
			 struct lbipam_stats __percpu *stats,
			 const struct lbipam_ct_stats *ct, unsigned int what)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, LBIPAM_A_BACKEND);
	if (!nest)
		return -EMSGSIZE;
	if (lbipam_put_addr(skb, LBIPAM_BE_A_ADDR4, LBIPAM_BE_A_ADDR6, family,
			    &be->addr) ||
	    nla_put_u16(skb, LBIPAM_BE_A_PORT, ntohs(be->port)) ||
	    nla_put_u16(skb, LBIPAM_BE_A_WEIGHT, be->weight) ||
	    nla_put_u8(skb, LBIPAM_BE_A_STATE, be->state) ||
	    nla_put_u32(skb, LBIPAM_BE_A_FLAGS, be->flags) ||
	    (stats && lbipam_put_stats(skb, LBIPAM_BE_A_STATS, stats, ct,
				       false, 0, what))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * One reply message for @svc holding backends from *@be_idx on, as many as
 * fit. Advances *@be_idx; -EMSGSIZE if not even the service itself fit.
 * @ct_what: 0 or the LBIPAM_PUT_CT / _ACCT / _AFF counters to add.
 */
static int lbipam_fill_svc(struct sk_buff *skb, struct lbipam_net *ln,
			   struct lbipam_service *svc, u32 *be_idx,
			   u32 portid, u32 seq, int flags,
			   struct netlink_callback *cb, unsigned int ct_what)
{
	struct lbipam_state *st = lbipam_svc_state(ln, svc);
	u32 i = *be_idx;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &lbipam_genl_family, flags,
			  LBIPAM_CMD_SERVICE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (lbipam_put_svc(skb, &svc->key, svc, st, LBIPAM_PUT_OPTS |
			   LBIPAM_PUT_COUNT | LBIPAM_PUT_STATS | ct_what))
		goto cancel;
	for (; i < st->n; i++)
		if (lbipam_put_be(skb, svc->key.family, &st->be[i].cfg,
				  st->be[i].stats, &st->be[i].ct, ct_what))
			break;
	/* A message carrying the service but none of its pending backends is no progress. */
	if (i == *be_idx && i < st->n)
		goto cancel;
	genlmsg_end(skb, hdr);
	*be_idx = i;
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Generous upper bounds; a reply must never fail to fit. */
#define LBIPAM_BE_MSG_SIZE	256
#define LBIPAM_SVC_MSG_SIZE \
	(384 + (LBIPAM_MAX_SOURCE_RANGES + LBIPAM_MAX_CLUSTER_CIDRS) * 32)
/*
 * The most a single-service GET asks for, as a dump's messages: beyond
 * PAGE_ALLOC_COSTLY_ORDER, a linear buffer may not be found at all. The
 * skb's own overhead and headers count too: what the head holds beyond the
 * requested size, alloc_skb() hands out as tailroom.
 */
#define LBIPAM_GET_MAX_SIZE \
	(SKB_WITH_OVERHEAD(PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER) - \
	 NLMSG_HDRLEN - GENL_HDRLEN)

/* ------------------------------------------------------------ events --- */

static void lbipam_notify(struct net *net, u8 cmd,
			  const struct lbipam_svc_key *key,
			  const struct lbipam_service *svc,
			  const struct lbipam_state *st,
			  const struct lbipam_be_cfg *be)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&lbipam_genl_family, net, 0))
		return;
	skb = genlmsg_new(LBIPAM_SVC_MSG_SIZE + LBIPAM_BE_MSG_SIZE,
			  GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &lbipam_genl_family, 0, cmd);
	if (!hdr)
		goto fail;
	if (key && lbipam_put_svc(skb, key, svc, st,
				  (cmd == LBIPAM_CMD_SERVICE_NEW ||
				   cmd == LBIPAM_CMD_SERVICE_SET ?
				   LBIPAM_PUT_OPTS | LBIPAM_PUT_COUNT : 0) |
				  (cmd == LBIPAM_CMD_BACKEND_REPLACE ?
				   LBIPAM_PUT_COUNT : 0)))
		goto fail;
	if (be && lbipam_put_be(skb, key->family, be, NULL, NULL, 0))
		goto fail;
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&lbipam_genl_family, net, skb, 0, 0,
				GFP_KERNEL);
	return;
fail:
	nlmsg_free(skb);
}

/* After a successful change of @key, with ln->lock still held. */
static void lbipam_notify_svc(struct lbipam_net *ln, u8 cmd,
			      const struct lbipam_svc_key *key,
			      const struct lbipam_be_cfg *be)
{
	struct lbipam_service *svc = lbipam_svc_find(ln, key);

	lbipam_notify(ln->net, cmd, key, svc,
		      svc ? lbipam_svc_state(ln, svc) : NULL, be);
}

/* ---------------------------------------------------------- commands --- */

static int lbipam_svc_doit(struct genl_info *info, u8 cmd)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_svc_cfg *cfg = NULL;
	struct lbipam_svc_key key;
	int err;

	if (cmd != LBIPAM_CMD_SERVICE_DEL) {
		cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);
		if (!cfg)
			return -ENOMEM;
	}
	err = lbipam_parse_svc(info, &key, cfg);
	if (err)
		goto out;

	mutex_lock(&ln->lock);
	if (cmd == LBIPAM_CMD_SERVICE_NEW)
		err = lbipam_svc_add(ln, &key, cfg, info->extack);
	else if (cmd == LBIPAM_CMD_SERVICE_SET)
		err = lbipam_svc_set(ln, &key, cfg, info->extack);
	else
		err = lbipam_svc_del(ln, &key, info->extack);
	if (!err)
		lbipam_notify_svc(ln, cmd, &key, NULL);
	mutex_unlock(&ln->lock);
out:
	kfree(cfg);
	return err;
}

static int lbipam_svc_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_svc_doit(info, LBIPAM_CMD_SERVICE_NEW);
}

static int lbipam_svc_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_svc_doit(info, LBIPAM_CMD_SERVICE_SET);
}

static int lbipam_svc_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_svc_doit(info, LBIPAM_CMD_SERVICE_DEL);
}

/*
 * For LBIPAM_A_CT_STATS: walks conntrack (ln->lock held) and says which
 * counters the replies then carry.
 */
static unsigned int lbipam_ct_gather(struct lbipam_net *ln)
{
	lbipam_ct_stats_gather(ln);
	return LBIPAM_PUT_CT |
	       (lbipam_ct_stats_acct(ln) ? LBIPAM_PUT_ACCT : 0);
}

/*
 * For the flags of a get: gathers what they ask for (ln->lock held) and
 * says which counters the replies then carry.
 */
static unsigned int lbipam_get_gather(struct lbipam_net *ln,
				      struct nlattr **attrs)
{
	unsigned int what = 0;

	if (attrs[LBIPAM_A_CT_STATS])
		what |= lbipam_ct_gather(ln);
	if (attrs[LBIPAM_A_AFF_STATS]) {
		lbipam_aff_count(ln);
		what |= LBIPAM_PUT_AFF;
	}
	return what;
}

static int lbipam_svc_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_service *svc;
	struct lbipam_svc_key key;
	unsigned int ct_what;
	struct sk_buff *msg;
	u32 be_idx = 0, n;
	int err;

	err = lbipam_parse_svc(info, &key, NULL);
	if (err)
		return err;

	mutex_lock(&ln->lock);
	svc = lbipam_svc_find(ln, &key);
	if (!svc) {
		GENL_SET_ERR_MSG(info, "no such service");
		err = -ENOENT;
		goto out;
	}
	ct_what = lbipam_get_gather(ln, info->attrs);
	n = lbipam_svc_state(ln, svc)->n;
	msg = genlmsg_new(min_t(size_t, LBIPAM_GET_MAX_SIZE,
				LBIPAM_SVC_MSG_SIZE +
				(size_t)LBIPAM_BE_MSG_SIZE * n), GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = lbipam_fill_svc(msg, ln, svc, &be_idx, info->snd_portid,
			      info->snd_seq, 0, NULL, ct_what);
	if (!err && be_idx < n)
		err = -EMSGSIZE;
	if (err) {
		nlmsg_free(msg);
		GENL_SET_ERR_MSG(info,
				 "the service's backends do not fit in one message: dump it (NLM_F_DUMP with the service)");
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
	u8 ct_what;		/* LBIPAM_PUT_CT / _ACCT / _AFF, gathered at the start */
	bool started;
	bool partial;
	bool one;		/* only the service @last */
};

/*
 * A dump of one service: the same messages as for all of them, for a
 * service with more backends than one message holds.
 */
static int lbipam_dump_one(struct lbipam_net *ln, struct nlattr *nest,
			   struct lbipam_dump_ctx *ctx,
			   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[LBIPAM_SVC_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, LBIPAM_SVC_A_MAX, nest, lbipam_svc_policy,
			       extack);
	if (err)
		return err;
	err = lbipam_parse_key(nest, tb, &ctx->last, extack);
	if (err)
		return err;
	if (!lbipam_svc_find(ln, &ctx->last)) {
		NL_SET_ERR_MSG(extack, "no such service");
		return -ENOENT;
	}
	ctx->one = true;
	ctx->started = true;
	ctx->partial = true;
	return 0;
}

static int lbipam_svc_get_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = genl_info_dump(cb)->attrs;
	struct lbipam_net *ln = lbipam_pernet(sock_net(cb->skb->sk));
	struct lbipam_dump_ctx *ctx = (void *)cb->ctx;
	int err = 0;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	memset(ctx, 0, sizeof(*ctx));
	mutex_lock(&ln->lock);
	if (attrs[LBIPAM_A_SERVICE])
		err = lbipam_dump_one(ln, attrs[LBIPAM_A_SERVICE], ctx,
				      cb->extack);
	/*
	 * One walk for the whole dump: later messages show what it found
	 * (zero for services and backends added since).
	 */
	if (!err)
		ctx->ct_what = lbipam_get_gather(ln, attrs);
	mutex_unlock(&ln->lock);
	return err;
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
	if (!svc && !ctx->one) {
		svc = lbipam_svc_next(ln, ctx->started ? &ctx->last : NULL);
		ctx->be_idx = 0;
	}
	if (!svc)
		ctx->partial = false;

	while (svc) {
		err = lbipam_fill_svc(skb, ln, svc, &ctx->be_idx,
				      NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI, cb,
				      ctx->ct_what);
		if (err)
			break;
		ctx->last = svc->key;
		ctx->started = true;
		ctx->partial = ctx->be_idx < lbipam_svc_state(ln, svc)->n;
		if (ctx->partial || ctx->one)
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

static int lbipam_be_doit(struct genl_info *info, u8 cmd)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_svc_key key;
	struct lbipam_be_cfg be;
	int err;

	err = lbipam_parse_svc(info, &key, NULL);
	if (err)
		return err;
	err = lbipam_parse_one_be(info, &key, &be);
	if (err)
		return err;

	mutex_lock(&ln->lock);
	if (cmd == LBIPAM_CMD_BACKEND_NEW)
		err = lbipam_be_add(ln, &key, &be, info->extack);
	else if (cmd == LBIPAM_CMD_BACKEND_SET)
		err = lbipam_be_set(ln, &key, &be, info->extack);
	else
		err = lbipam_be_del(ln, &key, &be, info->extack);
	if (!err)
		lbipam_notify_svc(ln, cmd, &key, &be);
	mutex_unlock(&ln->lock);
	return err;
}

static int lbipam_be_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_be_doit(info, LBIPAM_CMD_BACKEND_NEW);
}

static int lbipam_be_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_be_doit(info, LBIPAM_CMD_BACKEND_SET);
}

static int lbipam_be_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_be_doit(info, LBIPAM_CMD_BACKEND_DEL);
}

static int lbipam_be_replace_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_be_cfg *bes;
	struct lbipam_svc_key key;
	u32 n = 0, max;
	struct nlattr *a;
	int rem, err;

	err = lbipam_parse_svc(info, &key, NULL);
	if (err)
		return err;

	max = min_t(u32, lbipam_max_backends, U16_MAX - 1);
	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem)
		n += nla_type(a) == LBIPAM_A_BACKEND;
	if (n > max) {
		GENL_SET_ERR_MSG(info,
				 "backend limit reached (module parameter max_backends)");
		return -ENOSPC;
	}
	bes = kvmalloc_array(n + 1, sizeof(*bes), GFP_KERNEL);
	if (!bes)
		return -ENOMEM;
	n = 0;
	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(a) != LBIPAM_A_BACKEND)
			continue;
		err = lbipam_parse_be(a, &key, &bes[n++], info->extack);
		if (err)
			goto out;
	}

	mutex_lock(&ln->lock);
	err = lbipam_be_replace(ln, &key, bes, n, info->extack);
	if (!err)
		lbipam_notify_svc(ln, LBIPAM_CMD_BACKEND_REPLACE, &key, NULL);
	mutex_unlock(&ln->lock);
out:
	kvfree(bes);
	return err;
}

static int lbipam_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));

	mutex_lock(&ln->lock);
	lbipam_svc_flush(ln);
	lbipam_notify(ln->net, LBIPAM_CMD_FLUSH, NULL, NULL, NULL, NULL);
	mutex_unlock(&ln->lock);
	return 0;
}

/* --------------------------------------------------------------- L2 --- */

static int lbipam_parse_l2(struct nlattr *nest, struct lbipam_l2_key *key,
			   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[LBIPAM_L2_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, LBIPAM_L2_A_MAX, nest, lbipam_l2_policy,
			       extack);
	if (err)
		return err;
	memset(key, 0, sizeof(*key));
	if (!!tb[LBIPAM_L2_A_ADDR4] == !!tb[LBIPAM_L2_A_ADDR6]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "L2 announcement needs exactly one address attribute (ADDR4 or ADDR6)");
		return -EINVAL;
	}
	if (tb[LBIPAM_L2_A_ADDR4]) {
		key->addr.ip = nla_get_in_addr(tb[LBIPAM_L2_A_ADDR4]);
		key->family = NFPROTO_IPV4;
	} else {
		key->addr.in6 = nla_get_in6_addr(tb[LBIPAM_L2_A_ADDR6]);
		key->family = NFPROTO_IPV6;
	}
	if (!tb[LBIPAM_L2_A_IFINDEX]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "L2 announcement interface index attribute is required");
		NL_SET_ERR_ATTR_MISS(extack, nest, LBIPAM_L2_A_IFINDEX);
		return -EINVAL;
	}
	key->ifindex = nla_get_u32(tb[LBIPAM_L2_A_IFINDEX]);
	if (!key->ifindex || key->ifindex > INT_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, tb[LBIPAM_L2_A_IFINDEX],
				    "L2 announcement interface index must be 1-2147483647");
		return -ERANGE;
	}
	return 0;
}

static int lbipam_parse_l2_req(struct genl_info *info, struct lbipam_l2_key *key)
{
	if (GENL_REQ_ATTR_CHECK(info, LBIPAM_A_L2)) {
		GENL_SET_ERR_MSG(info, "L2 announcement attribute is required");
		return -EINVAL;
	}
	return lbipam_parse_l2(info->attrs[LBIPAM_A_L2], key, info->extack);
}

/* Generous upper bound for one announcement's message. */
#define LBIPAM_L2_MSG_SIZE	192

static int lbipam_put_l2(struct sk_buff *skb, const struct lbipam_l2_key *key,
			 const struct lbipam_l2 *e)
{
	struct nlattr *nest, *stats;

	nest = nla_nest_start(skb, LBIPAM_A_L2);
	if (!nest)
		return -EMSGSIZE;
	if (lbipam_put_addr(skb, LBIPAM_L2_A_ADDR4, LBIPAM_L2_A_ADDR6,
			    key->family, &key->addr) ||
	    nla_put_u32(skb, LBIPAM_L2_A_IFINDEX, key->ifindex))
		goto cancel;
	if (e) {
		stats = nla_nest_start(skb, LBIPAM_L2_A_STATS);
		if (!stats ||
		    lbipam_put_u64(skb, LBIPAM_STATS_A_ANSWERS,
				   atomic64_read(&e->answers)) ||
		    lbipam_put_u64(skb, LBIPAM_STATS_A_ANNOUNCES,
				   atomic64_read(&e->announces)))
			goto cancel;
		nla_nest_end(skb, stats);
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int lbipam_fill_l2(struct sk_buff *skb, const struct lbipam_l2 *e,
			  u32 portid, u32 seq, int flags,
			  struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &lbipam_genl_family, flags,
			  LBIPAM_CMD_L2_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (lbipam_put_l2(skb, &e->key, e)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Also called by l2.c when an interface takes its announcements away. */
void lbipam_l2_notify(struct net *net, u8 cmd, const struct lbipam_l2_key *key)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&lbipam_genl_family, net, 0))
		return;
	skb = genlmsg_new(LBIPAM_L2_MSG_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &lbipam_genl_family, 0, cmd);
	if (!hdr || lbipam_put_l2(skb, key, NULL)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&lbipam_genl_family, net, skb, 0, 0,
				GFP_KERNEL);
}

static int lbipam_l2_doit(struct genl_info *info, u8 cmd)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_l2_key key;
	int err;

	err = lbipam_parse_l2_req(info, &key);
	if (err)
		return err;
	/*
	 * RTNL first, as the netdevice notifier holds it when it takes
	 * ln->lock; the solicited-node group and the device lookup need it.
	 */
	rtnl_lock();
	mutex_lock(&ln->lock);
	if (cmd == LBIPAM_CMD_L2_NEW)
		err = lbipam_l2_add(ln, &key, info->extack);
	else
		err = lbipam_l2_del(ln, &key, info->extack);
	if (!err)
		lbipam_l2_notify(ln->net, cmd, &key);
	mutex_unlock(&ln->lock);
	rtnl_unlock();
	return err;
}

static int lbipam_l2_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_l2_doit(info, LBIPAM_CMD_L2_NEW);
}

static int lbipam_l2_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lbipam_l2_doit(info, LBIPAM_CMD_L2_DEL);
}

static int lbipam_l2_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lbipam_net *ln = lbipam_pernet(genl_info_net(info));
	struct lbipam_l2_key key;
	struct lbipam_l2 *e;
	struct sk_buff *msg;
	int err;

	err = lbipam_parse_l2_req(info, &key);
	if (err)
		return err;
	msg = genlmsg_new(LBIPAM_L2_MSG_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&ln->lock);
	e = lbipam_l2_find(ln, &key);
	if (!e) {
		GENL_SET_ERR_MSG(info, "address is not announced on this interface");
		err = -ENOENT;
	} else {
		err = lbipam_fill_l2(msg, e, info->snd_portid, info->snd_seq,
				     0, NULL);
	}
	mutex_unlock(&ln->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* Dump cursor: the key last sent, so a resumed dump starts right after it. */
struct lbipam_l2_dump_ctx {
	struct lbipam_l2_key last;
	bool started;
};

static int lbipam_l2_get_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = genl_info_dump(cb)->attrs;
	struct lbipam_l2_dump_ctx *ctx = (void *)cb->ctx;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	if (attrs[LBIPAM_A_L2]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[LBIPAM_A_L2],
				    "a dump takes no announcement; omit NLM_F_DUMP to get one");
		return -EINVAL;
	}
	memset(ctx, 0, sizeof(*ctx));
	return 0;
}

static int lbipam_l2_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct lbipam_net *ln = lbipam_pernet(sock_net(skb->sk));
	struct lbipam_l2_dump_ctx *ctx = (void *)cb->ctx;
	struct lbipam_l2 *e;
	int err = 0;

	mutex_lock(&ln->lock);
	cb->seq = ln->l2_gen;
	for (e = lbipam_l2_next(ln, ctx->started ? &ctx->last : NULL); e;
	     e = lbipam_l2_next(ln, &e->key)) {
		err = lbipam_fill_l2(skb, e, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI, cb);
		if (err)
			break;
		ctx->last = e->key;
		ctx->started = true;
	}
	mutex_unlock(&ln->lock);

	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err;
}

#define LBIPAM_SVC_OP(c, fn)						\
	{								\
		.cmd = c,						\
		.doit = fn,						\
		.policy = lbipam_svc_cmd_policy,			\
		.maxattr = ARRAY_SIZE(lbipam_svc_cmd_policy) - 1,	\
		.flags = GENL_ADMIN_PERM,				\
	}

#define LBIPAM_BE_OP(c, fn)						\
	{								\
		.cmd = c,						\
		.doit = fn,						\
		.policy = lbipam_be_cmd_policy,				\
		.maxattr = ARRAY_SIZE(lbipam_be_cmd_policy) - 1,	\
		.flags = GENL_ADMIN_PERM,				\
	}

#define LBIPAM_L2_OP(c, fn)						\
	{								\
		.cmd = c,						\
		.doit = fn,						\
		.policy = lbipam_l2_cmd_policy,				\
		.maxattr = ARRAY_SIZE(lbipam_l2_cmd_policy) - 1,	\
		.flags = GENL_ADMIN_PERM,				\
	}

static const struct genl_ops lbipam_genl_ops[] = {
	LBIPAM_SVC_OP(LBIPAM_CMD_SERVICE_NEW, lbipam_svc_new_doit),
	LBIPAM_SVC_OP(LBIPAM_CMD_SERVICE_SET, lbipam_svc_set_doit),
	LBIPAM_SVC_OP(LBIPAM_CMD_SERVICE_DEL, lbipam_svc_del_doit),
	{
		.cmd = LBIPAM_CMD_SERVICE_GET,
		.doit = lbipam_svc_get_doit,
		.start = lbipam_svc_get_start,
		.dumpit = lbipam_svc_get_dumpit,
		.policy = lbipam_get_cmd_policy,
		.maxattr = ARRAY_SIZE(lbipam_get_cmd_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	LBIPAM_BE_OP(LBIPAM_CMD_BACKEND_NEW, lbipam_be_new_doit),
	LBIPAM_BE_OP(LBIPAM_CMD_BACKEND_SET, lbipam_be_set_doit),
	LBIPAM_BE_OP(LBIPAM_CMD_BACKEND_DEL, lbipam_be_del_doit),
	LBIPAM_BE_OP(LBIPAM_CMD_BACKEND_REPLACE, lbipam_be_replace_doit),
	{
		/* No policy: every attribute is refused. */
		.cmd = LBIPAM_CMD_FLUSH,
		.doit = lbipam_flush_doit,
		.flags = GENL_ADMIN_PERM,
	},
	LBIPAM_L2_OP(LBIPAM_CMD_L2_NEW, lbipam_l2_new_doit),
	LBIPAM_L2_OP(LBIPAM_CMD_L2_DEL, lbipam_l2_del_doit),
	{
		.cmd = LBIPAM_CMD_L2_GET,
		.doit = lbipam_l2_get_doit,
		.start = lbipam_l2_get_start,
		.dumpit = lbipam_l2_get_dumpit,
		.policy = lbipam_l2_cmd_policy,
		.maxattr = ARRAY_SIZE(lbipam_l2_cmd_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group lbipam_mcgrps[] = {
	{ .name = LBIPAM_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN, },
};

static struct genl_family lbipam_genl_family __ro_after_init = {
	.name = LBIPAM_GENL_NAME,
	.version = LBIPAM_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.ops = lbipam_genl_ops,
	.n_ops = ARRAY_SIZE(lbipam_genl_ops),
	.mcgrps = lbipam_mcgrps,
	.n_mcgrps = ARRAY_SIZE(lbipam_mcgrps),
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
