// SPDX-License-Identifier: GPL-2.0
/*
 * What conntrack knows about the connections of each service and backend:
 * how many entries it tracks and, with conntrack accounting on
 * (net.netfilter.nf_conntrack_acct), their packets and bytes.
 *
 * The data path only counts new connections. Every later packet of a
 * connection is already counted by conntrack's accounting extension, so
 * instead of a second per-packet counter on the fast path, a request that
 * asks for these figures walks the namespace's conntrack entries once and
 * adds each translated entry to the service named by its original tuple and
 * to the backend named by its reply tuple. The figures describe the
 * connections conntrack still tracks: they fall when connections end.
 *
 * The walk is a reader's: it holds none of the locks conntrack's cleanup
 * walks serialise on (nf_conntrack_mutex, the bucket locks), and each entry
 * costs one service lookup and one binary search among the backends,
 * whatever the size of the sets.
 */

#include <linux/bsearch.h>
#include <linux/rbtree.h>
#include <linux/rculist_nulls.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_core.h>
#include "lbipam.h"

bool lbipam_ct_stats_acct(const struct lbipam_net *ln)
{
	return nf_ct_acct_enabled(ln->net);
}

static void lbipam_ct_stats_add(struct lbipam_ct_stats *s,
				const struct nf_conn_acct *acct)
{
	int dir;

	s->tracked++;
	if (!acct)
		return;
	for (dir = 0; dir < IP_CT_DIR_MAX; dir++) {
		s->packets[dir] += atomic64_read(&acct->counter[dir].packets);
		s->bytes[dir] += atomic64_read(&acct->counter[dir].bytes);
	}
}

/*
 * Every backend of every service, sorted by service and then by what a
 * reply tuple names, so that an entry finds its backend's counters in
 * O(log backends) instead of by a scan of its service's set.
 */
struct lbipam_ct_slot {
	const struct lbipam_service *svc;
	union nf_inet_addr addr;
	__be16 port;
	struct lbipam_ct_stats *ct;
};

struct lbipam_ct_index {
	struct lbipam_net *ln;
	struct lbipam_ct_slot *slots;	/* NULL: scan each service's set */
	u32 n;
};

static int lbipam_ct_slot_cmp(const void *a, const void *b)
{
	const struct lbipam_ct_slot *x = a, *y = b;
	int r;

	if (x->svc != y->svc)
		return (unsigned long)x->svc < (unsigned long)y->svc ? -1 : 1;
	r = memcmp(&x->addr, &y->addr, sizeof(x->addr));
	if (r)
		return r;
	return (int)ntohs(x->port) - (int)ntohs(y->port);
}

static struct lbipam_ct_stats *
lbipam_ct_be_stats(const struct lbipam_ct_index *ix,
		   struct lbipam_service *svc,
		   const struct nf_conntrack_tuple *reply)
{
	struct lbipam_ct_slot key, *slot;
	struct lbipam_state *st;
	u32 i;

	if (ix->slots) {
		memset(&key, 0, sizeof(key));
		key.svc = svc;
		key.addr = reply->src.u3;
		key.port = reply->src.u.all;
		slot = bsearch(&key, ix->slots, ix->n, sizeof(key),
			       lbipam_ct_slot_cmp);
		return slot ? slot->ct : NULL;
	}
	st = lbipam_svc_state(ix->ln, svc);
	for (i = 0; i < st->n; i++)
		if (lbipam_tuple_from_be(reply, &st->be[i].cfg))
			return &st->be[i].ct;
	return NULL;
}

/* Builds the index; on failure the walk scans instead. */
static void lbipam_ct_index_build(struct lbipam_ct_index *ix)
{
	struct lbipam_net *ln = ix->ln;
	struct rb_node *node;
	size_t total = 0;
	u32 i;

	for (node = rb_first(&ln->svc_tree); node; node = rb_next(node))
		total += lbipam_svc_state(ln, rb_entry(node,
				struct lbipam_service, tree))->n;
	if (!total || total > U32_MAX)
		return;
	ix->slots = kvmalloc_array(total, sizeof(*ix->slots),
				   GFP_KERNEL_ACCOUNT);
	if (!ix->slots)
		return;
	for (node = rb_first(&ln->svc_tree); node; node = rb_next(node)) {
		struct lbipam_service *svc =
			rb_entry(node, struct lbipam_service, tree);
		struct lbipam_state *st = lbipam_svc_state(ln, svc);

		for (i = 0; i < st->n; i++) {
			struct lbipam_ct_slot *slot = &ix->slots[ix->n++];

			memset(slot, 0, sizeof(*slot));
			slot->svc = svc;
			slot->addr = st->be[i].cfg.addr;
			slot->port = st->be[i].cfg.port;
			slot->ct = &st->be[i].ct;
		}
		cond_resched();
	}
	sort(ix->slots, ix->n, sizeof(*ix->slots), lbipam_ct_slot_cmp, NULL);
}

/*
 * Adds one entry. Caller holds a reference to @ct, so its extensions stay;
 * ln->lock keeps the services and their states alive.
 */
static void lbipam_ct_stats_one(const struct lbipam_ct_index *ix,
				struct nf_conn *ct)
{
	const struct nf_conn_acct *acct;
	struct lbipam_service *svc;
	struct lbipam_ct_stats *be;
	struct lbipam_svc_key key;

	if (!(ct->status & IPS_DST_NAT))
		return;
	lbipam_key_from_tuple(&key, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple,
			      nf_ct_l3num(ct));
	svc = lbipam_svc_lookup(ix->ln, &key);
	if (!svc)
		return;
	acct = nf_conn_acct_find(ct);
	lbipam_ct_stats_add(&svc->ct, acct);
	be = lbipam_ct_be_stats(ix, svc, &ct->tuplehash[IP_CT_DIR_REPLY].tuple);
	if (be)
		lbipam_ct_stats_add(be, acct);
}

/* Buckets per RCU read-side section: bounds the time between resched points. */
#define LBIPAM_CT_BUCKETS_PER_PASS	256

/*
 * A consistent table and size. nf_conntrack_get_ht() needs a seqcount that
 * is not exported; a resize swaps both under every bucket lock, so one of
 * them is enough. Caller is in an RCU read-side section, which keeps the
 * table it got alive (a resize frees the old one after synchronize_net()).
 */
static void lbipam_ct_get_ht(struct hlist_nulls_head **hash,
			     unsigned int *hsize)
{
	spinlock_t *lockp = &nf_conntrack_locks[0];

	local_bh_disable();
	nf_conntrack_lock(lockp);
	*hash = nf_conntrack_hash;
	*hsize = nf_conntrack_htable_size;
	spin_unlock(lockp);
	local_bh_enable();
}

/*
 * Reads the table the way lookups do (__nf_conntrack_find_get()): under RCU,
 * without holding conntrack's locks while it reads, taking a reference before believing an entry,
 * since entries are SLAB_TYPESAFE_BY_RCU and may be reused meanwhile. An
 * entry that moves during the walk may be missed or counted twice, as in
 * any dump that races changes; a quiet table is counted exactly.
 */
static void lbipam_ct_stats_walk(const struct lbipam_ct_index *ix)
{
	struct net *net = ix->ln->net;
	struct nf_conntrack_tuple_hash *h;
	struct hlist_nulls_head *hash;
	struct hlist_nulls_node *n;
	unsigned int bucket = 0, end, hsize;
	struct nf_conn *ct;

	for (;;) {
		rcu_read_lock();
		lbipam_ct_get_ht(&hash, &hsize);
		if (bucket >= hsize) {
			rcu_read_unlock();
			break;
		}
		end = min(hsize, bucket + LBIPAM_CT_BUCKETS_PER_PASS);
		for (; bucket < end; bucket++) {
			hlist_nulls_for_each_entry_rcu(h, n, &hash[bucket],
						       hnnode) {
				if (NF_CT_DIRECTION(h) != IP_CT_DIR_ORIGINAL)
					continue;
				ct = nf_ct_tuplehash_to_ctrack(h);
				if (!net_eq(nf_ct_net(ct), net) ||
				    nf_ct_is_expired(ct) ||
				    !refcount_inc_not_zero(&ct->ct_general.use))
					continue;
				/* Pairs with the reuse of a freed entry. */
				smp_acquire__after_ctrl_dep();
				if (nf_ct_is_confirmed(ct) &&
				    net_eq(nf_ct_net(ct), net) &&
				    !nf_ct_is_dying(ct))
					lbipam_ct_stats_one(ix, ct);
				nf_ct_put(ct);
			}
		}
		rcu_read_unlock();
		cond_resched();
	}
}

/*
 * Recomputes lbipam_ct_stats of every service and of the backends of its
 * current state. Caller holds ln->lock (so no state changes meanwhile);
 * may sleep. Takes no conntrack lock: the data path and other walks go on.
 */
void lbipam_ct_stats_gather(struct lbipam_net *ln)
{
	struct lbipam_ct_index ix = { .ln = ln };
	struct rb_node *node;
	u32 i;

	lockdep_assert_held(&ln->lock);
	for (node = rb_first(&ln->svc_tree); node; node = rb_next(node)) {
		struct lbipam_service *svc =
			rb_entry(node, struct lbipam_service, tree);
		struct lbipam_state *st = lbipam_svc_state(ln, svc);

		memset(&svc->ct, 0, sizeof(svc->ct));
		for (i = 0; i < st->n; i++)
			memset(&st->be[i].ct, 0, sizeof(st->be[i].ct));
		cond_resched();
	}
	if (!ln->nr_services || !nf_conntrack_count(ln->net))
		return;
	lbipam_ct_index_build(&ix);
	lbipam_ct_stats_walk(&ix);
	kvfree(ix.slots);
}
