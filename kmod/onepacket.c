// SPDX-License-Identifier: GPL-2.0
/*
 * One-packet scheduling (LBIPAM_SVC_F_ONE_PACKET): each datagram of a UDP
 * service is scheduled on its own, through one conntrack zone per backend.
 *
 * Conntrack keys an entry by its original tuple and zone, so the datagrams
 * of a client with a fixed source port all meet one entry, and NAT binds
 * an entry once. Before conntrack, a hook here picks the datagram's backend
 * and puts the datagram in that backend's zone (original direction only)
 * with a conntrack template, as the CT target does: conntrack then finds or
 * makes the entry of that zone, lbipam_dnat() translates a new one to the
 * zone's backend, and replies, looked up in the default zone as the zone
 * does not apply to them, find it. A zone per backend rather than per
 * datagram: two entries of one client translated to one backend would have
 * the same reply tuple, and conntrack drops the second at confirmation
 * (nf_ct_resolve_clash() merges only entries of the same zone), or NAT
 * moves its source port; with one zone per backend there is never more
 * than one, and a client holds at most one entry per backend.
 */

#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/percpu.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include "lbipam.h"

/* After the raw tables (a NOTRACK or CT rule there wins), before conntrack. */
#define LBIPAM_PRI_ONE_PACKET	(NF_IP_PRI_RAW + 10)

/*
 * A template per CPU whose zone is set for the packet it goes with, as
 * nft_ct's zone templates do: conntrack drops its reference as soon as it
 * has looked the packet up, so the next packet on this CPU finds it free
 * (only its own reference held). One that is still held (its packet was
 * queued to userspace before conntrack, or cloned) is left to its holder,
 * and the packet gets a template of its own. They belong to no namespace:
 * conntrack takes only the zone from a template, and the namespace from
 * the hook.
 */
static DEFINE_PER_CPU(struct nf_conn *, lbipam_op_tmpl);

int lbipam_op_init(void)
{
	struct nf_conntrack_zone zone;
	struct nf_conn *tmpl;
	int cpu;

	nf_ct_zone_init(&zone, NF_CT_DEFAULT_ZONE_ID, NF_CT_ZONE_DIR_ORIG, 0);
	for_each_possible_cpu(cpu) {
		tmpl = nf_ct_tmpl_alloc(&init_net, &zone, GFP_KERNEL);
		if (!tmpl) {
			lbipam_op_exit();
			return -ENOMEM;
		}
		/* Like every template: conntrack must not confirm it. */
		__set_bit(IPS_CONFIRMED_BIT, &tmpl->status);
		per_cpu(lbipam_op_tmpl, cpu) = tmpl;
	}
	return 0;
}

/*
 * After every namespace's hooks are gone. A packet may still hold one: the
 * last reference frees it, in conntrack's code, not ours.
 */
void lbipam_op_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct nf_conn *tmpl = per_cpu(lbipam_op_tmpl, cpu);

		if (tmpl)
			nf_ct_put(tmpl);
		per_cpu(lbipam_op_tmpl, cpu) = NULL;
	}
}

/* A template in zone @id, one reference ours to hand on; NULL without memory. */
static struct nf_conn *lbipam_op_tmpl_get(struct net *net, u16 id)
{
	struct nf_conntrack_zone zone;
	struct nf_conn *tmpl;
	int old;

	nf_ct_zone_init(&zone, id, NF_CT_ZONE_DIR_ORIG, 0);
	/*
	 * Whoever raises the count from 1 owns the template until conntrack
	 * drops it again, wherever it runs by then: LOCAL_OUT may be
	 * preempted, and another task may read this CPU's template meanwhile.
	 */
	tmpl = this_cpu_read(lbipam_op_tmpl);
	__refcount_inc(&tmpl->ct_general.use, &old);
	if (likely(old == 1)) {
		nf_ct_zone_add(tmpl, &zone);
		return tmpl;
	}
	refcount_dec(&tmpl->ct_general.use);
	tmpl = nf_ct_tmpl_alloc(net, &zone, GFP_ATOMIC);
	if (tmpl)
		__set_bit(IPS_CONFIRMED_BIT, &tmpl->status);
	return tmpl;
}

static unsigned int lbipam_one_packet(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct lbipam_net *ln = lbipam_pernet(state->net);
	const struct lbipam_backend *be;
	struct nf_conntrack_tuple tuple;
	const struct lbipam_state *st;
	struct lbipam_service *svc;
	struct lbipam_svc_key key;
	struct nf_conn *tmpl;
	bool local_only;

	/* Already tracked (looped back), untracked or given a template. */
	if (!READ_ONCE(ln->nr_one_packet) || skb->_nfct)
		return NF_ACCEPT;
	if (state->pf == NFPROTO_IPV4 && ip_hdr(skb)->protocol != IPPROTO_UDP)
		return NF_ACCEPT;
	if (!nf_ct_get_tuplepr(skb, skb_network_offset(skb), state->pf,
			       state->net, &tuple) ||
	    tuple.dst.protonum != IPPROTO_UDP)
		return NF_ACCEPT;

	lbipam_key_from_tuple(&key, &tuple, state->pf);
	svc = lbipam_svc_lookup(ln, &key);
	if (!svc)
		return NF_ACCEPT;
	st = rcu_dereference(svc->state);
	/* The rest, refusals included, is lbipam_dnat()'s, as for any flow. */
	if (!(st->flags & LBIPAM_SVC_F_ONE_PACKET) ||
	    !lbipam_src_allowed(st, &tuple.src.u3))
		return NF_ACCEPT;
	local_only = lbipam_local_only(st, state, &tuple.src.u3);
	be = lbipam_select(ln, svc, st, &tuple, local_only);
	if (!be)
		return NF_ACCEPT;

	tmpl = lbipam_op_tmpl_get(state->net, be->zone);
	if (!tmpl)
		return NF_DROP;
	LBIPAM_STATS_INC(svc->stats, conns);
	LBIPAM_STATS_INC(be->stats, conns);
	nf_ct_set(skb, tmpl, IP_CT_NEW);
	return NF_ACCEPT;
}

/* The backend a one-packet entry's zone names, if it is still there. */
const struct lbipam_backend *lbipam_op_backend(const struct lbipam_state *st,
					       const struct nf_conn *ct)
{
	u16 id = nf_ct_zone_id(nf_ct_zone(ct), IP_CT_DIR_ORIGINAL);

	if (!id || id > st->zmax || st->zmap[id] == U16_MAX)
		return NULL;
	return &st->be[st->zmap[id]];
}

static const struct nf_hook_ops lbipam_op_ops[2][2] = {
	{
		{
			.hook = lbipam_one_packet,
			.pf = NFPROTO_IPV4,
			.hooknum = NF_INET_PRE_ROUTING,
			.priority = LBIPAM_PRI_ONE_PACKET,
		},
		{
			.hook = lbipam_one_packet,
			.pf = NFPROTO_IPV4,
			.hooknum = NF_INET_LOCAL_OUT,
			.priority = LBIPAM_PRI_ONE_PACKET,
		},
	},
	{
		{
			.hook = lbipam_one_packet,
			.pf = NFPROTO_IPV6,
			.hooknum = NF_INET_PRE_ROUTING,
			.priority = LBIPAM_PRI_ONE_PACKET,
		},
		{
			.hook = lbipam_one_packet,
			.pf = NFPROTO_IPV6,
			.hooknum = NF_INET_LOCAL_OUT,
			.priority = LBIPAM_PRI_ONE_PACKET,
		},
	},
};

/*
 * With ln->lock held, from process context. Up from a namespace's first
 * one-packet service of the family until the namespace goes, as the NAT
 * hooks: without such a service they cost a packet one read of
 * nr_one_packet.
 */
int lbipam_op_enable(struct lbipam_net *ln, u8 family)
{
	int fam = lbipam_family_idx(family);
	int err;

	lockdep_assert_held(&ln->lock);
	if (ln->op_hooks_on[fam])
		return 0;
	err = nf_register_net_hooks(ln->net, lbipam_op_ops[fam],
				    ARRAY_SIZE(lbipam_op_ops[fam]));
	if (err)
		return err;
	ln->op_hooks_on[fam] = true;
	return 0;
}

void lbipam_op_disable(struct lbipam_net *ln, u8 family)
{
	int fam = lbipam_family_idx(family);

	if (!ln->op_hooks_on[fam])
		return;
	nf_unregister_net_hooks(ln->net, lbipam_op_ops[fam],
				ARRAY_SIZE(lbipam_op_ops[fam]));
	ln->op_hooks_on[fam] = false;
}
