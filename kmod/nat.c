// SPDX-License-Identifier: GPL-2.0
/*
 * Destination NAT through conntrack and nf_nat.
 *
 * The functions here are NAT "lookup" hooks: the NAT core calls them only
 * for a connection's first packet, and rewrites that and every later packet
 * (and un-NATs the replies) itself. Registering through
 * nf_nat_ipv4_register_fn() is what brings the core's own NAT hooks up in
 * the namespace; a plain netfilter hook calling nf_nat_setup_info() would
 * record a translation that nothing applies.
 */

#include <linux/ip.h>
#include <linux/jhash.h>
#include <linux/netfilter_ipv4.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include "lbipam.h"

/*
 * Just before iptables' and nftables' NAT chains (-100): a VIP we own wins
 * deterministically over leftover rules for the same address.
 */
#define LBIPAM_PRI_NAT_DST	(NF_IP_PRI_NAT_DST - 10)

static const struct lbipam_backend *
lbipam_pick(const struct lbipam_backends *bes,
	    const struct nf_conntrack_tuple *t)
{
	u32 h;

	/* Deterministic per flow, so racing UDP packets of one flow agree. */
	h = jhash_2words((__force u32)t->src.u3.ip,
			 (__force u32)t->src.u.all, 0);
	return &bes->be[reciprocal_scale(h, bes->n)];
}

static unsigned int lbipam_reject(struct sk_buff *skb,
				  const struct nf_hook_state *state, u8 proto)
{
	if (proto == IPPROTO_TCP)
		nf_send_reset(state->net, state->sk, skb, state->hook);
	else
		nf_send_unreach(skb, ICMP_PORT_UNREACH, state->hook);
	return NF_DROP;
}

static unsigned int lbipam_dnat4(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	const struct lbipam_backends *bes;
	const struct nf_conntrack_tuple *t;
	const struct lbipam_backend *be;
	struct lbipam_service *svc;
	enum ip_conntrack_info ctinfo;
	struct nf_nat_range2 range;
	struct lbipam_svc_key key;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	/* RELATED (e.g. ICMP errors) is translated by the core from the master. */
	if (!ct || ctinfo != IP_CT_NEW)
		return NF_ACCEPT;

	t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	if (t->dst.protonum != IPPROTO_TCP && t->dst.protonum != IPPROTO_UDP)
		return NF_ACCEPT;

	memset(&key, 0, sizeof(key));
	key.addr.ip = t->dst.u3.ip;
	key.port = t->dst.u.all;
	key.proto = t->dst.protonum;
	key.family = NFPROTO_IPV4;

	svc = lbipam_svc_lookup(lbipam_pernet(state->net), &key);
	if (!svc)
		return NF_ACCEPT;

	bes = rcu_dereference(svc->backends);
	if (!bes || !bes->n)
		return lbipam_reject(skb, state, key.proto);

	be = lbipam_pick(bes, t);
	memset(&range, 0, sizeof(range));
	range.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	range.min_addr.ip = be->addr.ip;
	range.max_addr.ip = be->addr.ip;
	range.min_proto.all = be->port;
	range.max_proto.all = be->port;
	return nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
}

static const struct nf_hook_ops lbipam_nat4_ops[] = {
	{
		.hook = lbipam_dnat4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = LBIPAM_PRI_NAT_DST,
	},
	{
		.hook = lbipam_dnat4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = LBIPAM_PRI_NAT_DST,
	},
};

static void lbipam_nat4_unregister(struct net *net, unsigned int n)
{
	while (n--)
		nf_nat_ipv4_unregister_fn(net, &lbipam_nat4_ops[n]);
}

/*
 * Called from process context with ln->lock held: nf_ct_netns_get() and the
 * NAT registration take mutexes and may sleep, which a hook never may.
 */
int lbipam_nat_enable(struct lbipam_net *ln, u8 family)
{
	unsigned int i;
	int err;

	lockdep_assert_held(&ln->lock);
	if (family != NFPROTO_IPV4)
		return -EAFNOSUPPORT;
	if (ln->nat4_on)
		return 0;

	err = nf_ct_netns_get(ln->net, NFPROTO_IPV4);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(lbipam_nat4_ops); i++) {
		err = nf_nat_ipv4_register_fn(ln->net, &lbipam_nat4_ops[i]);
		if (err) {
			lbipam_nat4_unregister(ln->net, i);
			nf_ct_netns_put(ln->net, NFPROTO_IPV4);
			return err;
		}
	}
	ln->nat4_on = true;
	return 0;
}

void lbipam_nat_disable(struct lbipam_net *ln, u8 family)
{
	if (family != NFPROTO_IPV4 || !ln->nat4_on)
		return;
	lbipam_nat4_unregister(ln->net, ARRAY_SIZE(lbipam_nat4_ops));
	nf_ct_netns_put(ln->net, NFPROTO_IPV4);
	ln->nat4_on = false;
}
