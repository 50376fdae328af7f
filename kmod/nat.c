// SPDX-License-Identifier: GPL-2.0
/*
 * Destination NAT through conntrack and nf_nat.
 *
 * The functions here are NAT "lookup" hooks: the NAT core calls them only
 * for a connection's first packet, and rewrites that and every later packet
 * (and un-NATs the replies) itself. Registering through
 * nf_nat_ipv{4,6}_register_fn() is what brings the core's own NAT hooks up
 * in the namespace; a plain netfilter hook calling nf_nat_setup_info() would
 * record a translation that nothing applies.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <linux/random.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_masquerade.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include "lbipam.h"

/*
 * Just before iptables' and nftables' NAT chains (-100 / +100): a VIP we own
 * wins deterministically over leftover rules for the same address.
 */
#define LBIPAM_PRI_NAT_DST	(NF_IP_PRI_NAT_DST - 10)
#define LBIPAM_PRI_NAT_SRC	(NF_IP_PRI_NAT_SRC - 10)

static unsigned int lbipam_reject(struct sk_buff *skb,
				  const struct nf_hook_state *state,
				  u8 family, u8 proto)
{
	if (family == NFPROTO_IPV4) {
		if (proto == IPPROTO_TCP)
			nf_send_reset(state->net, state->sk, skb, state->hook);
		else
			nf_send_unreach(skb, ICMP_PORT_UNREACH, state->hook);
	} else {
		if (proto == IPPROTO_TCP)
			nf_send_reset6(state->net, state->sk, skb, state->hook);
		else
			nf_send_unreach6(state->net, skb, ICMPV6_PORT_UNREACH,
					 state->hook);
	}
	return NF_DROP;
}

bool lbipam_src_allowed(const struct lbipam_state *st,
			const union nf_inet_addr *src)
{
	return !st->ranges.n || lbipam_cidr_set_match(&st->ranges, src);
}

/*
 * Whether a connection may only use local backends: external traffic of a
 * LOCAL_ONLY service. Sources inside the cluster's CIDRs (pods, forwarded
 * by this node's routing) are not external, as for kube-proxy's detect-local:
 * they, like the node's own connections, may use every backend.
 */
bool lbipam_local_only(const struct lbipam_state *st,
		       const struct nf_hook_state *state,
		       const union nf_inet_addr *src)
{
	return (st->flags & LBIPAM_SVC_F_LOCAL_ONLY) &&
	       state->hook == NF_INET_PRE_ROUTING &&
	       !lbipam_cidr_set_match(&st->cluster, src);
}

/* The service a connection was addressed to is named by its original tuple. */
void lbipam_key_from_tuple(struct lbipam_svc_key *key,
			   const struct nf_conntrack_tuple *t, u8 pf)
{
	memset(key, 0, sizeof(*key));
	key->addr = t->dst.u3;
	key->port = t->dst.u.all;
	key->proto = t->dst.protonum;
	key->family = pf;
}

/* Whether a connection was translated to @be: its replies come from it. */
bool lbipam_tuple_from_be(const struct nf_conntrack_tuple *reply,
			  const struct lbipam_be_cfg *be)
{
	return reply->src.u.all == be->port &&
	       nf_inet_addr_cmp(&reply->src.u3, &be->addr);
}

/*
 * The backend for a new connection, or NULL if none may take it. The 5-tuple
 * hash is of no use to one-packet services: every datagram of a client has
 * the same, so each is drawn at random.
 */
const struct lbipam_backend *
lbipam_select(struct lbipam_net *ln, const struct lbipam_service *svc,
	      const struct lbipam_state *st,
	      const struct nf_conntrack_tuple *t, bool local_only)
{
	const struct lbipam_backend *be;
	const u16 *lut = local_only ? st->lut_local : st->lut;
	u32 m = local_only ? st->m_local : st->m;
	u32 slot;

	if (!m)
		return NULL;
	if (st->affinity) {
		be = lbipam_aff_lookup(ln, svc, st, &t->src.u3, local_only);
		if (be)
			goto out;
	}
	if (st->sched == LBIPAM_SCHED_RANDOM ||
	    (st->flags & LBIPAM_SVC_F_ONE_PACKET))
		slot = get_random_u32_below(m);
	else
		slot = reciprocal_scale(lbipam_flow_hash(t), m);
	be = &st->be[lut[slot]];
out:
	if (st->affinity)
		lbipam_aff_update(ln, svc, st, &t->src.u3, be - st->be);
	return be;
}

static unsigned int lbipam_dnat(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct lbipam_net *ln = lbipam_pernet(state->net);
	const struct nf_conntrack_tuple *t;
	const struct lbipam_backend *be;
	const struct lbipam_state *st;
	struct lbipam_service *svc;
	enum ip_conntrack_info ctinfo;
	struct nf_nat_range2 range;
	struct lbipam_svc_key key;
	struct nf_conn *ct;
	bool local_only;

	ct = nf_ct_get(skb, &ctinfo);
	/*
	 * RELATED (e.g. ICMP errors) is translated by the core from the master.
	 * A confirmed entry is still NEW until a reply is seen (a retransmitted
	 * SYN of a connection another conntrack user tracked before our hooks
	 * came up), but nf_nat_setup_info() no longer binds it: choosing a
	 * backend would count a connection and record affinity for nothing.
	 */
	if (!ct || ctinfo != IP_CT_NEW || nf_ct_is_confirmed(ct))
		return NF_ACCEPT;

	t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	switch (t->dst.protonum) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	default:
		return NF_ACCEPT;
	}

	lbipam_key_from_tuple(&key, t, state->pf);
	svc = lbipam_svc_lookup(ln, &key);
	if (!svc)
		return NF_ACCEPT;
	st = rcu_dereference(svc->state);

	if (!lbipam_src_allowed(st, &t->src.u3))
		goto drop;
	/*
	 * A one-packet datagram was scheduled and counted before conntrack,
	 * which put it in its backend's zone (see onepacket.c): that zone's
	 * entries all go to that backend.
	 */
	be = lbipam_op_backend(st, ct);
	if (be)
		goto nat;
	local_only = lbipam_local_only(st, state, &t->src.u3);
	be = lbipam_select(ln, svc, st, t, local_only);
	if (!be) {
		/* kube-proxy drops external traffic with no local endpoint. */
		if (local_only && st->m)
			goto drop;
		LBIPAM_STATS_INC(svc->stats, rejects);
		return lbipam_reject(skb, state, key.family, key.proto);
	}

	LBIPAM_STATS_INC(svc->stats, conns);
	LBIPAM_STATS_INC(be->stats, conns);
nat:
	memset(&range, 0, sizeof(range));
	range.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	range.min_addr = be->cfg.addr;
	range.max_addr = be->cfg.addr;
	range.min_proto.all = be->cfg.port;
	range.max_proto.all = be->cfg.port;
	return nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);

drop:
	LBIPAM_STATS_INC(svc->stats, drops);
	return NF_DROP;
}

/*
 * Source NAT where replies would otherwise not come back through us:
 * hairpin (the client is the backend it was sent to), connections that came
 * from another host to masquerade services and, for services that ask for
 * it, connections this host makes itself (kube-proxy masquerades node-local
 * clients of an LB IP). Source ports are fully random, as kube-proxy's
 * masquerade rule asks (--random-fully): keeping the client's port, or
 * taking the next free one, makes two clients racing for one port collide
 * at confirmation, and conntrack then drops the loser (insert_failed).
 */
static unsigned int lbipam_snat(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct lbipam_net *ln = lbipam_pernet(state->net);
	const struct nf_conntrack_tuple *orig, *reply;
	const struct lbipam_state *st;
	struct lbipam_service *svc;
	enum ip_conntrack_info ctinfo;
	struct nf_nat_range2 range;
	struct lbipam_svc_key key;
	struct nf_conn *ct;
	bool hairpin;
	u32 want;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW || nf_ct_is_confirmed(ct) ||
	    !(ct->status & IPS_DST_NAT))
		return NF_ACCEPT;

	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	hairpin = nf_inet_addr_cmp(&orig->src.u3, &reply->src.u3);
	/* The common case needs no SNAT whatever the service: no lookup. */
	if (!hairpin && !READ_ONCE(ln->nr_masquerade))
		return NF_ACCEPT;

	lbipam_key_from_tuple(&key, orig, state->pf);
	svc = lbipam_svc_lookup(ln, &key);
	if (!svc)
		return NF_ACCEPT;
	st = rcu_dereference(svc->state);
	/* skb_iif is 0 for what this host sent itself. */
	want = skb->skb_iif ? LBIPAM_SVC_F_MASQUERADE : LBIPAM_SVC_F_MASQ_LOCAL;
	if (!hairpin && !(st->flags & want))
		return NF_ACCEPT;

	memset(&range, 0, sizeof(range));
	range.flags = NF_NAT_RANGE_PROTO_RANDOM_FULLY;
	if (state->pf == NFPROTO_IPV4)
		return nf_nat_masquerade_ipv4(skb, state->hook, &range,
					      state->out);
	return nf_nat_masquerade_ipv6(skb, &range, state->out);
}

static const struct nf_hook_ops lbipam_nat_ops[2][3] = {
	{
		{
			.hook = lbipam_dnat,
			.pf = NFPROTO_IPV4,
			.hooknum = NF_INET_PRE_ROUTING,
			.priority = LBIPAM_PRI_NAT_DST,
		},
		{
			.hook = lbipam_dnat,
			.pf = NFPROTO_IPV4,
			.hooknum = NF_INET_LOCAL_OUT,
			.priority = LBIPAM_PRI_NAT_DST,
		},
		{
			.hook = lbipam_snat,
			.pf = NFPROTO_IPV4,
			.hooknum = NF_INET_POST_ROUTING,
			.priority = LBIPAM_PRI_NAT_SRC,
		},
	},
	{
		{
			.hook = lbipam_dnat,
			.pf = NFPROTO_IPV6,
			.hooknum = NF_INET_PRE_ROUTING,
			.priority = LBIPAM_PRI_NAT_DST,
		},
		{
			.hook = lbipam_dnat,
			.pf = NFPROTO_IPV6,
			.hooknum = NF_INET_LOCAL_OUT,
			.priority = LBIPAM_PRI_NAT_DST,
		},
		{
			.hook = lbipam_snat,
			.pf = NFPROTO_IPV6,
			.hooknum = NF_INET_POST_ROUTING,
			.priority = LBIPAM_PRI_NAT_SRC,
		},
	},
};

/*
 * A packet conntrack found INVALID (an out-of-window TCP segment, a stray
 * RST) carries no entry, so NAT leaves it alone: one of a translated
 * connection would go on untranslated, to the VIP (where a host that owns
 * the address answers with a reset) or, a reply, to the client from the
 * backend's own address (whose reset then kills the backend's side). As
 * kube-proxy drops INVALID, drop those; only they pay for the lookup.
 */
static unsigned int lbipam_invalid(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct lbipam_net *ln = lbipam_pernet(state->net);
	const struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_tuple tuple;
	struct lbipam_svc_key key;
	struct nf_conn *ct;
	bool ours = false;

	if (skb_nfct(skb) || !READ_ONCE(ln->nr_services))
		return NF_ACCEPT;
	if (!nf_ct_get_tuplepr(skb, skb_network_offset(skb), state->pf,
			       state->net, &tuple))
		return NF_ACCEPT;
	switch (tuple.dst.protonum) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	default:
		return NF_ACCEPT;
	}
	h = nf_conntrack_find_get(state->net, &nf_ct_zone_dflt, &tuple);
	if (!h)
		return NF_ACCEPT;
	ct = nf_ct_tuplehash_to_ctrack(h);
	if (ct->status & IPS_DST_NAT) {
		lbipam_key_from_tuple(&key,
				      &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple,
				      state->pf);
		ours = lbipam_svc_lookup(ln, &key);
	}
	nf_ct_put(ct);
	return ours ? NF_DROP : NF_ACCEPT;
}

/*
 * Where packets come in and where this host sends, just before our NAT
 * hooks: after conntrack, and after the mangle chains, which still see them.
 */
static const struct nf_hook_ops lbipam_invalid_ops[2][2] = {
	{
		{
			.hook = lbipam_invalid,
			.pf = NFPROTO_IPV4,
			.hooknum = NF_INET_PRE_ROUTING,
			.priority = LBIPAM_PRI_NAT_DST - 1,
		},
		{
			.hook = lbipam_invalid,
			.pf = NFPROTO_IPV4,
			.hooknum = NF_INET_LOCAL_OUT,
			.priority = LBIPAM_PRI_NAT_DST - 1,
		},
	},
	{
		{
			.hook = lbipam_invalid,
			.pf = NFPROTO_IPV6,
			.hooknum = NF_INET_PRE_ROUTING,
			.priority = LBIPAM_PRI_NAT_DST - 1,
		},
		{
			.hook = lbipam_invalid,
			.pf = NFPROTO_IPV6,
			.hooknum = NF_INET_LOCAL_OUT,
			.priority = LBIPAM_PRI_NAT_DST - 1,
		},
	},
};

static void lbipam_nat_unregister(struct net *net, int fam, unsigned int n)
{
	while (n--) {
		if (fam)
			nf_nat_ipv6_unregister_fn(net, &lbipam_nat_ops[fam][n]);
		else
			nf_nat_ipv4_unregister_fn(net, &lbipam_nat_ops[fam][n]);
	}
}

/*
 * Called from process context with ln->lock held: nf_ct_netns_get() and the
 * NAT registration take mutexes and may sleep, which a hook never may.
 *
 * Once up, the hooks stay until the namespace goes (lbipam_net_pre_exit()),
 * also when its last service is deleted: they hold the NAT core's own hooks,
 * which translate every later packet of the connections already set up. In
 * a namespace with no other NAT user, dropping them would stop translating
 * established connections at once instead of letting them drain.
 */
int lbipam_nat_enable(struct lbipam_net *ln, u8 family)
{
	int fam = lbipam_family_idx(family);
	unsigned int i;
	int err;

	lockdep_assert_held(&ln->lock);
	if (ln->nat_on[fam])
		return 0;

	err = nf_ct_netns_get(ln->net, family);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(lbipam_nat_ops[fam]); i++) {
		if (fam)
			err = nf_nat_ipv6_register_fn(ln->net,
						      &lbipam_nat_ops[fam][i]);
		else
			err = nf_nat_ipv4_register_fn(ln->net,
						      &lbipam_nat_ops[fam][i]);
		if (err)
			goto err_nat;
	}
	err = nf_register_net_hooks(ln->net, lbipam_invalid_ops[fam],
				    ARRAY_SIZE(lbipam_invalid_ops[fam]));
	if (err)
		goto err_nat;
	ln->nat_on[fam] = true;
	return 0;

err_nat:
	lbipam_nat_unregister(ln->net, fam, i);
	nf_ct_netns_put(ln->net, family);
	return err;
}

void lbipam_nat_disable(struct lbipam_net *ln, u8 family)
{
	int fam = lbipam_family_idx(family);

	if (!ln->nat_on[fam])
		return;
	nf_unregister_net_hooks(ln->net, lbipam_invalid_ops[fam],
				ARRAY_SIZE(lbipam_invalid_ops[fam]));
	lbipam_nat_unregister(ln->net, fam, ARRAY_SIZE(lbipam_nat_ops[fam]));
	nf_ct_netns_put(ln->net, family);
	ln->nat_on[fam] = false;
}
