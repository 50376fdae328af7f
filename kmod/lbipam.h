/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LBIPAM_H
#define _LBIPAM_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rhashtable-types.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

/* Zero-padded so that it can be hashed and compared as plain bytes. */
struct lbipam_svc_key {
	union nf_inet_addr addr;
	__be16 port;
	u8 proto;
	u8 family;
};

struct lbipam_backend {
	union nf_inet_addr addr;
	__be16 port;
};

/*
 * Immutable once published: writers build a new set and swap the pointer,
 * so the data path sees either the old or the new set, never a mix.
 */
struct lbipam_backends {
	struct rcu_head rcu;
	u32 n;
	struct lbipam_backend be[];
};

struct lbipam_service {
	struct rhash_head node;
	struct rb_node tree;
	struct lbipam_svc_key key;
	struct lbipam_backends __rcu *backends;
	struct rcu_head rcu;
};

/*
 * Per network namespace. The rhashtable serves the data path under RCU; the
 * rbtree orders services by key for dumps, which resume from the last key
 * sent and so neither skip nor repeat entries when the table changes.
 */
struct lbipam_net {
	struct mutex lock;		/* serialises all writers */
	struct rhashtable svc_ht;
	struct rb_root svc_tree;
	u32 nr_services;
	u32 gen;			/* bumped on every change, for dumps */
	bool nat4_on;
	struct net *net;
};

extern unsigned int lbipam_net_id;
extern unsigned int lbipam_max_services;
extern unsigned int lbipam_max_backends;

static inline struct lbipam_net *lbipam_pernet(const struct net *net)
{
	return net_generic(net, lbipam_net_id);
}

/* service.c */
int lbipam_table_init(struct lbipam_net *ln);
void lbipam_table_destroy(struct lbipam_net *ln);
struct lbipam_service *lbipam_svc_lookup(struct lbipam_net *ln,
					 const struct lbipam_svc_key *key);
struct lbipam_service *lbipam_svc_find(struct lbipam_net *ln,
				       const struct lbipam_svc_key *key);
struct lbipam_service *lbipam_svc_next(struct lbipam_net *ln,
				       const struct lbipam_svc_key *key);
int lbipam_svc_add(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   struct netlink_ext_ack *extack);
int lbipam_svc_del(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   struct netlink_ext_ack *extack);
int lbipam_be_add(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_backend *be,
		  struct netlink_ext_ack *extack);
int lbipam_be_del(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_backend *be,
		  struct netlink_ext_ack *extack);

/* nat.c */
int lbipam_nat_enable(struct lbipam_net *ln, u8 family);
void lbipam_nat_disable(struct lbipam_net *ln, u8 family);

/* netlink.c */
int lbipam_genl_init(void);
void lbipam_genl_exit(void);

#endif /* _LBIPAM_H */
