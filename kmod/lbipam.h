/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LBIPAM_H
#define _LBIPAM_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rhashtable-types.h>
#include <linux/bottom_half.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netdevice.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <uapi/linux/lbipam.h>

/* The flags that make lbipam_snat() look a service up. */
#define LBIPAM_SVC_F_MASQ_ANY \
	(LBIPAM_SVC_F_MASQUERADE | LBIPAM_SVC_F_MASQ_LOCAL)

/* Zero-padded so that it can be hashed and compared as plain bytes. */
struct lbipam_svc_key {
	union nf_inet_addr addr;
	__be16 port;
	u8 proto;
	u8 family;			/* NFPROTO_IPV4 or NFPROTO_IPV6 */
};

struct lbipam_stats {
	u64_stats_t conns;
	u64_stats_t rejects;
	u64_stats_t drops;
	u64_stats_t aff_lost;		/* affinity bindings not recorded */
	struct u64_stats_sync syncp;
};

struct lbipam_stats_sum {
	u64 conns, rejects, drops, aff_lost;
};

/*
 * What conntrack holds about the connections of a service or a backend, as
 * gathered by the last request that asked for it (LBIPAM_A_CT_STATS).
 * Control path only: written and read under lbipam_net.lock, never by the
 * data path, so it may sit in otherwise immutable published state.
 */
struct lbipam_ct_stats {
	u64 tracked;
	u64 packets[IP_CT_DIR_MAX];
	u64 bytes[IP_CT_DIR_MAX];
};

struct lbipam_cidr {
	union nf_inet_addr addr;
	union nf_inet_addr mask;
	u8 plen;
};

/*
 * Prefixes of the service's family that a connection's source is matched
 * against: its source ranges, its cluster CIDRs. A published state owns @c;
 * a request's options point it into their own arrays.
 */
struct lbipam_cidr_set {
	u32 n;
	struct lbipam_cidr *c;
};

static inline bool lbipam_cidr_set_match(const struct lbipam_cidr_set *set,
					 const union nf_inet_addr *addr)
{
	union nf_inet_addr masked;
	u32 i;

	for (i = 0; i < set->n; i++) {
		nf_inet_addr_mask(addr, &masked, &set->c[i].mask);
		if (nf_inet_addr_cmp(&masked, &set->c[i].addr))
			return true;
	}
	return false;
}

/* A backend as the control plane gives it, before it joins a set. */
struct lbipam_be_cfg {
	union nf_inet_addr addr;
	__be16 port;
	u16 weight;
	u8 state;
	u8 flags;
};

struct lbipam_backend {
	struct lbipam_be_cfg cfg;
	/* Shared by every set the backend is part of; freed with the last. */
	struct lbipam_stats __percpu *stats;
	bool stats_owner;		/* control path only: free on release */
	/*
	 * The conntrack zone of its one-packet entries (1-65534): kept while
	 * it stays in the service, so that a zone's entries always name one
	 * backend. Given to every backend, so that the flag can be set later.
	 */
	u16 zone;
	struct lbipam_ct_stats ct;	/* copied along to the next state */
};

/* Service options as the control plane gives them. */
struct lbipam_svc_cfg {
	u8 sched;
	u32 affinity;			/* seconds, 0: none */
	u32 flags;
	struct lbipam_cidr_set ranges;	/* in range_buf */
	struct lbipam_cidr_set cluster;	/* in cluster_buf */
	struct lbipam_cidr range_buf[LBIPAM_MAX_SOURCE_RANGES];
	struct lbipam_cidr cluster_buf[LBIPAM_MAX_CLUSTER_CIDRS];
};

/*
 * Everything the data path reads about a service, immutable once published:
 * a change builds a new one and swaps the pointer, so a packet sees one
 * consistent version of the options, the backends and the lookup tables.
 */
struct lbipam_state {
	struct rcu_head rcu;
	u32 gen;			/* tells affinity entries they are stale */
	u8 sched;
	u32 affinity;
	u32 flags;
	struct lbipam_cidr_set ranges;	/* the only sources allowed, if any */
	struct lbipam_cidr_set cluster;	/* sources exempt from LOCAL_ONLY */
	u32 m;				/* Maglev table over the usable backends */
	u16 *lut;
	u32 m_local;			/* ... over the usable local backends */
	u16 *lut_local;
	u32 zmax;			/* one-packet: the highest zone, */
	u16 *zmap;			/* ... and each zone's backend or U16_MAX */
	u32 n;
	struct lbipam_backend be[];
};

struct lbipam_service {
	struct rhash_head node;
	struct rb_node tree;
	struct lbipam_svc_key key;
	struct lbipam_state __rcu *state;
	struct lbipam_stats __percpu *stats;
	struct lbipam_ct_stats ct;
	u64 aff_id;			/* names its affinity entries */
	/*
	 * Its live affinity entries, as counted by the last request that
	 * asked (LBIPAM_A_AFF_STATS). Control path only: written and read
	 * under lbipam_net.lock, never by the data path.
	 */
	u64 aff_live;
	struct mem_cgroup *memcg;	/* pays for them: its creator's */
	struct rcu_head rcu;
};

/* An L2 announcement's key; zero-padded so that it hashes as plain bytes. */
struct lbipam_l2_key {
	union nf_inet_addr addr;
	u32 ifindex;
	u8 family;			/* NFPROTO_IPV4 or NFPROTO_IPV6 */
	u8 pad[3];
};

/*
 * One announced (address, interface). The hooks find it under RCU and only
 * bump its counters; everything else is control path, under lbipam_net.lock.
 */
struct lbipam_l2 {
	struct rhash_head node;
	struct rb_node tree;
	struct lbipam_l2_key key;
	struct net_device *dev;		/* held until the entry goes */
	netdevice_tracker dev_tracker;
	atomic64_t answers;
	atomic64_t announces;
	struct rcu_head rcu;
};

/*
 * Per network namespace. The rhashtables serve the data path under RCU; the
 * rbtree orders services by key for dumps, which resume from the last key
 * sent and so neither skip nor repeat entries when the table changes.
 */
struct lbipam_net {
	struct mutex lock;		/* serialises all writers */
	struct rhashtable svc_ht;
	struct rb_root svc_tree;
	u32 nr_services;
	u32 nr_masquerade;		/* services with LBIPAM_SVC_F_MASQ_ANY */
	u32 nr_one_packet;		/* ... with LBIPAM_SVC_F_ONE_PACKET */
	bool op_hooks_on[2];
	u32 gen;			/* bumped on every change, for dumps */
	bool nat_on[2];
	struct rhashtable aff_ht;	/* ClientIP affinity entries */
	atomic_t nr_aff;
	unsigned long aff_purge;	/* stale entries to purge */
	struct delayed_work aff_gc;
	struct list_head ct_jobs;	/* conntrack cleanups, under lock */
	struct work_struct ct_work;
	struct rhashtable l2_ht;	/* L2 announcements, for the hooks */
	struct rb_root l2_tree;		/* ... in key order, for dumps */
	u32 nr_l2;
	u32 l2_gen;			/* bumped on every change, for dumps */
	bool l2_hooks_on[2];
	struct net *net;
};

extern unsigned int lbipam_net_id;
extern unsigned int lbipam_max_services;
extern unsigned int lbipam_max_backends;
extern unsigned int lbipam_max_affinity_entries;
extern unsigned int lbipam_max_l2;

static inline struct lbipam_net *lbipam_pernet(const struct net *net)
{
	return net_generic(net, lbipam_net_id);
}

static inline int lbipam_family_idx(u8 family)
{
	return family == NFPROTO_IPV6;
}

/*
 * LOCAL_OUT runs in process context, PRE_ROUTING in softirq: keep the one
 * from interrupting the other on this CPU mid-update (as nft_counter does).
 */
static inline void lbipam_stats_inc(struct lbipam_stats __percpu *s,
				    size_t off)
{
	struct lbipam_stats *p;

	local_bh_disable();
	p = this_cpu_ptr(s);
	u64_stats_update_begin(&p->syncp);
	u64_stats_inc((u64_stats_t *)((char *)p + off));
	u64_stats_update_end(&p->syncp);
	local_bh_enable();
}

#define LBIPAM_STATS_INC(s, field) \
	lbipam_stats_inc(s, offsetof(struct lbipam_stats, field))

void lbipam_stats_read(struct lbipam_stats __percpu *s,
		       struct lbipam_stats_sum *sum);

/* service.c */
int lbipam_table_init(struct lbipam_net *ln);
void lbipam_table_destroy(struct lbipam_net *ln);
struct lbipam_service *lbipam_svc_lookup(struct lbipam_net *ln,
					 const struct lbipam_svc_key *key);
struct lbipam_service *lbipam_svc_find(struct lbipam_net *ln,
				       const struct lbipam_svc_key *key);
struct lbipam_service *lbipam_svc_next(struct lbipam_net *ln,
				       const struct lbipam_svc_key *key);
struct lbipam_state *lbipam_svc_state(struct lbipam_net *ln,
				      struct lbipam_service *svc);
int lbipam_svc_add(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   const struct lbipam_svc_cfg *cfg,
		   struct netlink_ext_ack *extack);
int lbipam_svc_set(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   const struct lbipam_svc_cfg *cfg,
		   struct netlink_ext_ack *extack);
int lbipam_svc_del(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   struct netlink_ext_ack *extack);
void lbipam_svc_flush(struct lbipam_net *ln);
int lbipam_be_add(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_be_cfg *be, struct netlink_ext_ack *extack);
int lbipam_be_set(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_be_cfg *be, struct netlink_ext_ack *extack);
int lbipam_be_del(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_be_cfg *be,
		  struct netlink_ext_ack *extack);
int lbipam_be_replace(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		      const struct lbipam_be_cfg *bes, u32 n,
		      struct netlink_ext_ack *extack);

/* maglev.c */
int lbipam_maglev_build(struct lbipam_state *st, gfp_t gfp);
u32 lbipam_flow_hash(const struct nf_conntrack_tuple *t);

/* affinity.c */
int lbipam_aff_init(struct lbipam_net *ln);
void lbipam_aff_destroy(struct lbipam_net *ln);
const struct lbipam_backend *
lbipam_aff_lookup(struct lbipam_net *ln, const struct lbipam_service *svc,
		  const struct lbipam_state *st, const union nf_inet_addr *src,
		  bool local_only);
void lbipam_aff_update(struct lbipam_net *ln, const struct lbipam_service *svc,
		       const struct lbipam_state *st,
		       const union nf_inet_addr *src, u32 be_idx);
void lbipam_aff_forget(struct lbipam_net *ln, struct lbipam_service *svc);
void lbipam_aff_count(struct lbipam_net *ln);

/* nat.c */
bool lbipam_src_allowed(const struct lbipam_state *st,
			const union nf_inet_addr *src);
bool lbipam_local_only(const struct lbipam_state *st,
		       const struct nf_hook_state *state,
		       const union nf_inet_addr *src);
const struct lbipam_backend *
lbipam_select(struct lbipam_net *ln, const struct lbipam_service *svc,
	      const struct lbipam_state *st,
	      const struct nf_conntrack_tuple *t, bool local_only);
int lbipam_nat_enable(struct lbipam_net *ln, u8 family);
void lbipam_nat_disable(struct lbipam_net *ln, u8 family);
void lbipam_key_from_tuple(struct lbipam_svc_key *key,
			   const struct nf_conntrack_tuple *t, u8 pf);
bool lbipam_tuple_from_be(const struct nf_conntrack_tuple *reply,
			  const struct lbipam_be_cfg *be);

/* onepacket.c */
struct nf_conn;

int lbipam_op_init(void);
void lbipam_op_exit(void);
int lbipam_op_enable(struct lbipam_net *ln, u8 family);
void lbipam_op_disable(struct lbipam_net *ln, u8 family);
const struct lbipam_backend *lbipam_op_backend(const struct lbipam_state *st,
					       const struct nf_conn *ct);

/* ctflush.c: which conntrack entries of a service to delete. */
enum lbipam_ct_what {
	LBIPAM_CT_ALL,
	LBIPAM_CT_UNTRANSLATED,		/* before the service, unanswered */
	LBIPAM_CT_BACKENDS,		/* translated to the job's backends */
};

struct lbipam_ct_job;

struct lbipam_ct_job *lbipam_ct_job_new(const struct lbipam_svc_key *key,
					enum lbipam_ct_what what, u32 n);
void lbipam_ct_job_set_be(struct lbipam_ct_job *job, u32 i,
			  const struct lbipam_be_cfg *be);
void lbipam_ct_job_free(struct lbipam_ct_job *job);
void lbipam_ct_job_queue(struct lbipam_net *ln, struct lbipam_ct_job *job);
void lbipam_ct_flush_now(struct lbipam_net *ln,
			 const struct lbipam_svc_key *key);
void lbipam_ct_jobs_init(struct lbipam_net *ln);
void lbipam_ct_jobs_destroy(struct lbipam_net *ln);

/* ctstats.c */
void lbipam_ct_stats_gather(struct lbipam_net *ln);
bool lbipam_ct_stats_acct(const struct lbipam_net *ln);

/* l2.c */
int lbipam_l2_init(struct lbipam_net *ln);
void lbipam_l2_hooks_off(struct lbipam_net *ln);
void lbipam_l2_destroy(struct lbipam_net *ln);
int lbipam_l2_add(struct lbipam_net *ln, const struct lbipam_l2_key *key,
		  struct netlink_ext_ack *extack);
int lbipam_l2_del(struct lbipam_net *ln, const struct lbipam_l2_key *key,
		  struct netlink_ext_ack *extack);
struct lbipam_l2 *lbipam_l2_find(struct lbipam_net *ln,
				 const struct lbipam_l2_key *key);
struct lbipam_l2 *lbipam_l2_next(struct lbipam_net *ln,
				 const struct lbipam_l2_key *key);
int lbipam_l2_notifier_init(void);
void lbipam_l2_notifier_exit(void);

/* netlink.c */
int lbipam_genl_init(void);
void lbipam_genl_exit(void);
void lbipam_l2_notify(struct net *net, u8 cmd, const struct lbipam_l2_key *key);

#endif /* _LBIPAM_H */
