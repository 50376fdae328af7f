// SPDX-License-Identifier: GPL-2.0
/*
 * L2 announcements: answering ARP requests and IPv6 neighbour solicitations
 * for LoadBalancer addresses on the interfaces they are announced on.
 *
 * The table is an rhashtable for the hooks (RCU) and an rbtree in key order
 * for dumps; both change only under RTNL (which the IPv6 multicast code and
 * the netdevice notifier hold) and then lbipam_net.lock. An entry holds its
 * device, so that the hooks and the netdevice notifier agree on what exists:
 * the notifier drops an interface's entries when it unregisters (or leaves
 * the namespace), before the core waits for its references.
 */

#include <linux/if_arp.h>
#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <linux/netfilter_arp.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rhashtable.h>
#include <net/addrconf.h>
#include <net/arp.h>
#include <net/ipv6_stubs.h>
#include <net/ndisc.h>
#include <net/netfilter/nf_conntrack.h>
#include "lbipam.h"

static const struct rhashtable_params lbipam_l2_params = {
	.key_len = sizeof(struct lbipam_l2_key),
	.key_offset = offsetof(struct lbipam_l2, key),
	.head_offset = offsetof(struct lbipam_l2, node),
	.automatic_shrinking = true,
};

/* Order: family, address, interface index; the order `l2 list` shows. */
static int lbipam_l2_cmp(const struct lbipam_l2_key *a,
			 const struct lbipam_l2_key *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(&a->addr, &b->addr, a->family == NFPROTO_IPV4 ?
		   sizeof(a->addr.ip) : sizeof(a->addr.in6));
	if (r)
		return r;
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	return 0;
}

static struct lbipam_l2 *lbipam_l2_lookup(struct lbipam_net *ln, u8 family,
					  const union nf_inet_addr *addr,
					  const struct net_device *dev)
{
	struct lbipam_l2_key key;

	memset(&key, 0, sizeof(key));
	key.family = family;
	key.addr = *addr;
	key.ifindex = dev->ifindex;
	return rhashtable_lookup(&ln->l2_ht, &key, lbipam_l2_params);
}

/* --------------------------------------------------------------- ARP --- */

/* An Ethernet/IPv4 ARP packet, as arp_rcv() hands it to NF_ARP_IN. */
struct lbipam_arp_eth {
	struct arphdr ah;
	u8 sha[ETH_ALEN];
	__be32 sip;
	u8 tha[ETH_ALEN];
	__be32 tip;
} __packed;

static unsigned int lbipam_arp_in(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct lbipam_net *ln = lbipam_pernet(state->net);
	struct net_device *dev = state->in;
	struct lbipam_arp_eth _req;
	const struct lbipam_arp_eth *req;
	union nf_inet_addr tip = {};
	struct lbipam_l2 *e;

	if (dev->type != ARPHRD_ETHER || (dev->flags & IFF_NOARP))
		return NF_ACCEPT;
	req = skb_header_pointer(skb, 0, sizeof(_req), &_req);
	if (!req || req->ah.ar_hrd != htons(ARPHRD_ETHER) ||
	    req->ah.ar_pro != htons(ETH_P_IP) ||
	    req->ah.ar_hln != ETH_ALEN || req->ah.ar_pln != 4 ||
	    req->ah.ar_op != htons(ARPOP_REQUEST))
		return NF_ACCEPT;
	/* A gratuitous ARP is someone's claim, not a question. */
	if (req->sip == req->tip)
		return NF_ACCEPT;
	tip.ip = req->tip;
	e = lbipam_l2_lookup(ln, NFPROTO_IPV4, &tip, dev);
	if (!e)
		return NF_ACCEPT;

	/* As arp_process(): to the asker's hardware address, probes too. */
	arp_send(ARPOP_REPLY, ETH_P_ARP, req->sip, dev, req->tip, req->sha,
		 dev->dev_addr, req->sha);
	atomic64_inc(&e->answers);
	consume_skb(skb);
	return NF_STOLEN;
}

/* --------------------------------------------------------------- NDP --- */

/*
 * What RFC 4861 7.1.1 asks of a solicitation before it is answered; the
 * source link-layer address option, if any, goes to *@lladdr. Anything
 * wrong is left to the kernel, which drops it and counts the error.
 */
static bool lbipam_ns_valid(struct sk_buff *skb, const struct nf_hook_state *state,
			    unsigned int off, const struct ipv6hdr *ip6,
			    const struct in6_addr *target, const u8 **lladdr,
			    u8 *llbuf)
{
	struct in6_addr snm;
	unsigned int pos;

	*lladdr = NULL;
	addrconf_addr_solict_mult(target, &snm);
	if (!ipv6_addr_equal(&ip6->daddr, &snm) &&
	    !ipv6_addr_equal(&ip6->daddr, target))
		return false;
	if (nf_ip6_checksum(skb, state->hook, off, IPPROTO_ICMPV6))
		return false;

	for (pos = off + sizeof(struct nd_msg); pos < skb->len;) {
		u8 _opt[2 + ETH_ALEN];
		const u8 *opt;
		unsigned int len;

		opt = skb_header_pointer(skb, pos, 2, _opt);
		if (!opt || !opt[1])
			return false;
		len = opt[1] * 8;
		if (len > skb->len - pos)
			return false;
		if (opt[0] == ND_OPT_SOURCE_LL_ADDR && len >= sizeof(_opt)) {
			opt = skb_header_pointer(skb, pos, sizeof(_opt), _opt);
			if (!opt)
				return false;
			memcpy(llbuf, opt + 2, ETH_ALEN);
			*lladdr = llbuf;
		}
		pos += len;
	}
	/* A DAD probe carries no source link-layer address. */
	return !(ipv6_addr_any(&ip6->saddr) && *lladdr);
}

static unsigned int lbipam_ns_in(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct lbipam_net *ln = lbipam_pernet(state->net);
	unsigned int off = skb_network_offset(skb) + sizeof(struct ipv6hdr);
	struct net_device *dev = state->in;
	const struct ipv6hdr *ip6 = ipv6_hdr(skb);
	struct nd_msg _ns;
	const struct nd_msg *ns;
	union nf_inet_addr target;
	u8 llbuf[ETH_ALEN];
	const u8 *lladdr;
	struct lbipam_l2 *e;

	/* Fragments and extension headers never carry a valid solicitation. */
	if (ip6->nexthdr != IPPROTO_ICMPV6 || ip6->hop_limit != 255 ||
	    dev->type != ARPHRD_ETHER || (dev->flags & IFF_NOARP))
		return NF_ACCEPT;
	ns = skb_header_pointer(skb, off, sizeof(_ns), &_ns);
	if (!ns || ns->icmph.icmp6_type != NDISC_NEIGHBOUR_SOLICITATION ||
	    ns->icmph.icmp6_code != 0 || ipv6_addr_is_multicast(&ns->target))
		return NF_ACCEPT;
	target.in6 = ns->target;
	e = lbipam_l2_lookup(ln, NFPROTO_IPV6, &target, dev);
	if (!e || !lbipam_ns_valid(skb, state, off, ip6, &target.in6, &lladdr,
				   llbuf))
		return NF_ACCEPT;

	if (ipv6_addr_any(&ip6->saddr)) {
		ipv6_stub->ndisc_send_na(dev, &in6addr_linklocal_allnodes,
					 &target.in6, false, false, true, true);
	} else {
		/*
		 * As ndisc_recv_ns(): learn the asker first, so that the
		 * answer leaves now instead of waiting for our own
		 * solicitation of it.
		 */
		struct in6_addr saddr = ip6->saddr;

		if (lladdr) {
			struct neighbour *n = neigh_event_ns(&nd_tbl, (u8 *)lladdr,
							     &saddr, dev);

			if (n)
				neigh_release(n);
		}
		ipv6_stub->ndisc_send_na(dev, &saddr, &target.in6, false,
					 true, true, true);
	}
	atomic64_inc(&e->answers);
	consume_skb(skb);
	return NF_STOLEN;
}

/* ------------------------------------------------------------- hooks --- */

static const struct nf_hook_ops lbipam_l2_ops[2] = {
	{
		.hook = lbipam_arp_in,
		.pf = NFPROTO_ARP,
		.hooknum = NF_ARP_IN,
		.priority = 0,
	},
	{
		/* Before defragmentation and conntrack: nothing to track. */
		.hook = lbipam_ns_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK_DEFRAG - 10,
	},
};

/*
 * A family's hook comes with its first announcement and, as the NAT hooks,
 * stays until the namespace goes: registering and unregistering cost a
 * grace period and a copy of the hook table each, which a daemon moving an
 * address back and forth would pay on every move; an idle hook costs one
 * failed lookup per ARP request or solicitation.
 */
static int lbipam_l2_hook_on(struct lbipam_net *ln, u8 family)
{
	int fam = lbipam_family_idx(family);
	int err;

	if (ln->l2_hooks_on[fam])
		return 0;
	/* A kernel without arptables nor nftables' arp family has no ARP hooks. */
	if (family == NFPROTO_IPV4 && !IS_ENABLED(CONFIG_NETFILTER_FAMILY_ARP))
		return -EOPNOTSUPP;
	err = nf_register_net_hook(ln->net, &lbipam_l2_ops[fam]);
	if (err)
		return err;
	ln->l2_hooks_on[fam] = true;
	return 0;
}

/* Namespace pre-exit: the core waits a grace period before lbipam_l2_destroy(). */
void lbipam_l2_hooks_off(struct lbipam_net *ln)
{
	int fam;

	for (fam = 0; fam < 2; fam++) {
		if (!ln->l2_hooks_on[fam])
			continue;
		nf_unregister_net_hook(ln->net, &lbipam_l2_ops[fam]);
		ln->l2_hooks_on[fam] = false;
	}
}

/* ------------------------------------------------------------ table --- */

int lbipam_l2_init(struct lbipam_net *ln)
{
	ln->l2_tree = RB_ROOT;
	ln->l2_gen = 1;
	return rhashtable_init(&ln->l2_ht, &lbipam_l2_params);
}

struct lbipam_l2 *lbipam_l2_find(struct lbipam_net *ln,
				 const struct lbipam_l2_key *key)
{
	struct rb_node *n = ln->l2_tree.rb_node;

	while (n) {
		struct lbipam_l2 *e = rb_entry(n, struct lbipam_l2, tree);
		int r = lbipam_l2_cmp(key, &e->key);

		if (!r)
			return e;
		n = r < 0 ? n->rb_left : n->rb_right;
	}
	return NULL;
}

/* First entry whose key is greater than @key (the first of all if NULL). */
struct lbipam_l2 *lbipam_l2_next(struct lbipam_net *ln,
				 const struct lbipam_l2_key *key)
{
	struct rb_node *n = ln->l2_tree.rb_node;
	struct lbipam_l2 *best = NULL;

	while (n) {
		struct lbipam_l2 *e = rb_entry(n, struct lbipam_l2, tree);

		if (!key || lbipam_l2_cmp(key, &e->key) < 0) {
			best = e;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

static void lbipam_l2_tree_insert(struct lbipam_net *ln, struct lbipam_l2 *e)
{
	struct rb_node **p = &ln->l2_tree.rb_node, *parent = NULL;

	while (*p) {
		struct lbipam_l2 *cur = rb_entry(*p, struct lbipam_l2, tree);

		parent = *p;
		if (lbipam_l2_cmp(&e->key, &cur->key) < 0)
			p = &(*p)->rb_left;
		else
			p = &(*p)->rb_right;
	}
	rb_link_node(&e->tree, parent, p);
	rb_insert_color(&e->tree, &ln->l2_tree);
}

/*
 * Takeover: tell the segment at once rather than wait for neighbours'
 * caches to expire. Process context; the device may be down, in which case
 * nothing leaves and nothing is counted.
 */
static void lbipam_l2_announce(struct lbipam_l2 *e)
{
	struct net_device *dev = e->dev;

	if (!netif_running(dev))
		return;
	if (e->key.family == NFPROTO_IPV4)
		arp_send(ARPOP_REQUEST, ETH_P_ARP, e->key.addr.ip, dev,
			 e->key.addr.ip, NULL, dev->dev_addr, NULL);
	else
		ipv6_stub->ndisc_send_na(dev, &in6addr_linklocal_allnodes,
					 &e->key.addr.in6, false, false, true,
					 true);
	atomic64_inc(&e->announces);
}

static int lbipam_l2_check_addr(const struct lbipam_l2_key *key,
				struct netlink_ext_ack *extack)
{
	if (key->family == NFPROTO_IPV4) {
		__be32 a = key->addr.ip;

		if (ipv4_is_zeronet(a) || ipv4_is_loopback(a) ||
		    ipv4_is_multicast(a) || ipv4_is_lbcast(a)) {
			NL_SET_ERR_MSG(extack,
				       "L2 address must be a unicast IPv4 address (not 0.0.0.0/8, loopback, multicast or broadcast)");
			return -EINVAL;
		}
		return 0;
	}
	if (ipv6_addr_any(&key->addr.in6) ||
	    ipv6_addr_loopback(&key->addr.in6) ||
	    ipv6_addr_is_multicast(&key->addr.in6)) {
		NL_SET_ERR_MSG(extack,
			       "L2 address must be a unicast IPv6 address (not ::, ::1 or multicast)");
		return -EINVAL;
	}
	return 0;
}

int lbipam_l2_add(struct lbipam_net *ln, const struct lbipam_l2_key *key,
		  struct netlink_ext_ack *extack)
{
	struct in6_addr snm;
	struct net_device *dev;
	struct lbipam_l2 *e;
	int err;

	ASSERT_RTNL();
	lockdep_assert_held(&ln->lock);
	err = lbipam_l2_check_addr(key, extack);
	if (err)
		return err;
	if (lbipam_l2_find(ln, key)) {
		NL_SET_ERR_MSG(extack,
			       "address is already announced on this interface");
		return -EEXIST;
	}
	if (ln->nr_l2 >= lbipam_max_l2) {
		NL_SET_ERR_MSG(extack,
			       "L2 announcement limit reached (module parameter max_l2)");
		return -ENOSPC;
	}

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->key = *key;

	/* Under RTNL the device cannot go before the entry holds it. */
	dev = __dev_get_by_index(ln->net, key->ifindex);
	if (!dev) {
		NL_SET_ERR_MSG(extack,
			       "no interface with that index in this namespace");
		err = -ENODEV;
		goto fail;
	}
	if (dev->type != ARPHRD_ETHER || (dev->flags & IFF_NOARP)) {
		NL_SET_ERR_MSG(extack,
			       "interface is not Ethernet-like or does no ARP (IFF_NOARP)");
		err = -EOPNOTSUPP;
		goto fail;
	}
	err = lbipam_l2_hook_on(ln, key->family);
	if (err) {
		if (err == -EOPNOTSUPP)
			NL_SET_ERR_MSG(extack,
				       "kernel has no ARP netfilter hooks (CONFIG_NETFILTER_FAMILY_ARP)");
		else
			NL_SET_ERR_MSG(extack,
				       "cannot register the L2 netfilter hook");
		goto fail;
	}
	if (key->family == NFPROTO_IPV6) {
		addrconf_addr_solict_mult(&key->addr.in6, &snm);
		err = ipv6_dev_mc_inc(dev, &snm);
		if (err) {
			NL_SET_ERR_MSG(extack,
				       "cannot join the solicited-node group (IPv6 disabled on the interface?)");
			goto fail;
		}
	}
	err = rhashtable_insert_fast(&ln->l2_ht, &e->node, lbipam_l2_params);
	if (err) {
		if (key->family == NFPROTO_IPV6)
			ipv6_dev_mc_dec(dev, &snm);
		goto fail;
	}
	netdev_hold(dev, &e->dev_tracker, GFP_KERNEL);
	e->dev = dev;
	lbipam_l2_tree_insert(ln, e);
	ln->nr_l2++;
	ln->l2_gen++;
	lbipam_l2_announce(e);
	return 0;

fail:
	kfree(e);
	return err;
}

/*
 * Takes @e out of the table; the hooks may still see it for a grace period.
 * RTNL: leaving the multicast group needs it.
 */
static void lbipam_l2_unlink(struct lbipam_net *ln, struct lbipam_l2 *e)
{
	struct in6_addr snm;

	rhashtable_remove_fast(&ln->l2_ht, &e->node, lbipam_l2_params);
	rb_erase(&e->tree, &ln->l2_tree);
	ln->nr_l2--;
	ln->l2_gen++;
	if (e->key.family == NFPROTO_IPV6) {
		addrconf_addr_solict_mult(&e->key.addr.in6, &snm);
		ipv6_dev_mc_dec(e->dev, &snm);
	}
	/* The hooks use the packet's device, never e->dev. */
	netdev_put(e->dev, &e->dev_tracker);
	kfree_rcu(e, rcu);
}

int lbipam_l2_del(struct lbipam_net *ln, const struct lbipam_l2_key *key,
		  struct netlink_ext_ack *extack)
{
	struct lbipam_l2 *e;

	ASSERT_RTNL();
	lockdep_assert_held(&ln->lock);
	e = lbipam_l2_find(ln, key);
	if (!e) {
		NL_SET_ERR_MSG(extack,
			       "address is not announced on this interface");
		return -ENOENT;
	}
	lbipam_l2_unlink(ln, e);
	return 0;
}

/* Namespace exit or module unload, after lbipam_l2_hooks_off() and a grace period. */
void lbipam_l2_destroy(struct lbipam_net *ln)
{
	struct lbipam_l2 *e;

	rtnl_lock();
	mutex_lock(&ln->lock);
	while ((e = lbipam_l2_next(ln, NULL))) {
		lbipam_l2_unlink(ln, e);
		cond_resched();
	}
	mutex_unlock(&ln->lock);
	rtnl_unlock();
	rhashtable_destroy(&ln->l2_ht);
}

/* ---------------------------------------------------- netdev events --- */

/* An interface leaving the namespace (or going) takes its announcements. */
static int lbipam_l2_netdev_event(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct lbipam_net *ln;
	struct lbipam_l2 *e, *next;
	struct lbipam_l2_key key;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	ln = lbipam_pernet(dev_net(dev));
	mutex_lock(&ln->lock);
	for (e = lbipam_l2_next(ln, NULL); e; e = next) {
		next = lbipam_l2_next(ln, &e->key);
		if (e->dev != dev)
			continue;
		key = e->key;
		lbipam_l2_unlink(ln, e);
		lbipam_l2_notify(ln->net, LBIPAM_CMD_L2_DEL, &key);
	}
	mutex_unlock(&ln->lock);
	return NOTIFY_DONE;
}

static struct notifier_block lbipam_l2_netdev_nb = {
	.notifier_call = lbipam_l2_netdev_event,
};

int __init lbipam_l2_notifier_init(void)
{
	return register_netdevice_notifier(&lbipam_l2_netdev_nb);
}

void lbipam_l2_notifier_exit(void)
{
	unregister_netdevice_notifier(&lbipam_l2_netdev_nb);
}
