// SPDX-License-Identifier: GPL-2.0
/*
 * ClientIP session affinity: a client's new connections go to the backend
 * its previous ones went to, while it stays usable and the client keeps
 * coming back within the service's timeout (Kubernetes semantics, as
 * kube-proxy's "recent" match: each new connection renews the entry).
 *
 * Entries are made in the data path (GFP_ATOMIC) and never changed in
 * place: a renewed binding replaces the entry, so a reader never sees half
 * of an update. They are charged to the memory cgroup of whoever created
 * the service, wherever the packet that made them runs. They are keyed by
 * a per-service id rather than the service pointer: when a service goes
 * away or its affinity changes it takes a new id, and its old entries are
 * never found again. The collector then purges them within a second or so,
 * as it would only drop them at expiry otherwise: hours of a per-namespace
 * budget held by bindings nothing can use.
 *
 * A binding the budget (max_affinity_entries) or memory does not allow is
 * counted to its service, not silently lost. The live ones are counted on
 * request only (lbipam_aff_count): the data path keeps no count per service.
 */

#include <linux/jiffies.h>
#include <linux/memcontrol.h>
#include <linux/rbtree.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "lbipam.h"

#define LBIPAM_AFF_GC_INTERVAL	(10 * HZ)
/* After a service forgets: soon, but once for a burst of changes. */
#define LBIPAM_AFF_PURGE_DELAY	HZ
#define LBIPAM_AFF_PURGE	0	/* bit of lbipam_net.aff_purge */

struct lbipam_aff_key {
	u64 svc_id;
	union nf_inet_addr src;
};

struct lbipam_aff {
	struct rhash_head node;
	struct lbipam_aff_key key;
	struct lbipam_svc_key svc;	/* whose, to tell when it is stale */
	struct lbipam_be_cfg be;	/* the backend, to find it again */
	u32 gen;			/* state generation @idx belongs to */
	u32 idx;
	unsigned long expires;		/* jiffies; the only field written */
	struct rcu_head rcu;
};

static const struct rhashtable_params lbipam_aff_params = {
	.key_len = sizeof(struct lbipam_aff_key),
	.key_offset = offsetof(struct lbipam_aff, key),
	.head_offset = offsetof(struct lbipam_aff, node),
	.automatic_shrinking = true,
};

static bool lbipam_aff_usable(const struct lbipam_backend *be, bool local_only)
{
	if (be->cfg.state != LBIPAM_BE_ACTIVE || !be->cfg.weight)
		return false;
	return !local_only || (be->cfg.flags & LBIPAM_BE_F_LOCAL);
}

static int lbipam_aff_index(const struct lbipam_state *st,
			    const struct lbipam_aff *e)
{
	u32 i;

	if (e->gen == st->gen)
		return e->idx < st->n ? e->idx : -1;
	for (i = 0; i < st->n; i++)
		if (st->be[i].cfg.port == e->be.port &&
		    !memcmp(&st->be[i].cfg.addr, &e->be.addr,
			    sizeof(e->be.addr)))
			return i;
	return -1;
}

static void lbipam_aff_mkkey(struct lbipam_aff_key *k,
			     const struct lbipam_service *svc,
			     const union nf_inet_addr *src)
{
	memset(k, 0, sizeof(*k));
	k->svc_id = READ_ONCE(svc->aff_id);
	k->src = *src;
}

/* Data path, under RCU. NULL: no live binding to a usable backend. */
const struct lbipam_backend *
lbipam_aff_lookup(struct lbipam_net *ln, const struct lbipam_service *svc,
		  const struct lbipam_state *st, const union nf_inet_addr *src,
		  bool local_only)
{
	struct lbipam_aff_key k;
	struct lbipam_aff *e;
	int idx;

	lbipam_aff_mkkey(&k, svc, src);
	e = rhashtable_lookup(&ln->aff_ht, &k, lbipam_aff_params);
	if (!e || time_after(jiffies, READ_ONCE(e->expires)))
		return NULL;
	idx = lbipam_aff_index(st, e);
	if (idx < 0 || !lbipam_aff_usable(&st->be[idx], local_only))
		return NULL;
	return &st->be[idx];
}

/* Data path: bind @src to backend @idx of @st, or renew the binding. */
void lbipam_aff_update(struct lbipam_net *ln, const struct lbipam_service *svc,
		       const struct lbipam_state *st,
		       const union nf_inet_addr *src, u32 idx)
{
	unsigned long expires = jiffies + (unsigned long)st->affinity * HZ;
	struct lbipam_aff *e, *old;
	struct mem_cgroup *memcg;
	struct lbipam_aff_key k;

	lbipam_aff_mkkey(&k, svc, src);
	old = rhashtable_lookup(&ln->aff_ht, &k, lbipam_aff_params);
	if (old && old->gen == st->gen && old->idx == idx) {
		WRITE_ONCE(old->expires, expires);
		return;
	}
	if (!old && atomic_read(&ln->nr_aff) >= lbipam_max_affinity_entries)
		goto lost;

	memcg = set_active_memcg(svc->memcg);
	e = kmalloc(sizeof(*e), GFP_ATOMIC | __GFP_ACCOUNT);
	set_active_memcg(memcg);
	if (!e)
		goto lost;
	e->key = k;
	e->svc = svc->key;
	e->be = st->be[idx].cfg;
	e->gen = st->gen;
	e->idx = idx;
	e->expires = expires;

	if (old && !rhashtable_replace_fast(&ln->aff_ht, &old->node, &e->node,
					    lbipam_aff_params)) {
		kfree_rcu(old, rcu);
		return;
	}
	/* New, or the old entry went away under us: insert unless raced. */
	if (rhashtable_lookup_insert_fast(&ln->aff_ht, &e->node,
					  lbipam_aff_params)) {
		kfree(e);
		return;
	}
	/* The collector sleeps while there is nothing to collect. */
	if (atomic_inc_return(&ln->nr_aff) == 1)
		queue_delayed_work(system_power_efficient_wq, &ln->aff_gc,
				   LBIPAM_AFF_GC_INTERVAL);
	return;
lost:
	LBIPAM_STATS_INC(svc->stats, aff_lost);
}

/*
 * The service's existing bindings no longer apply (deleted, or changed).
 * Caller holds ln->lock.
 */
void lbipam_aff_forget(struct lbipam_net *ln, struct lbipam_service *svc)
{
	static atomic64_t lbipam_aff_ids = ATOMIC64_INIT(1);

	WRITE_ONCE(svc->aff_id, atomic64_inc_return(&lbipam_aff_ids));
	if (atomic_read(&ln->nr_aff) &&
	    !test_and_set_bit(LBIPAM_AFF_PURGE, &ln->aff_purge))
		mod_delayed_work(system_power_efficient_wq, &ln->aff_gc,
				 LBIPAM_AFF_PURGE_DELAY);
}

/* Under RCU: whether @e belongs to no service's current bindings. */
static bool lbipam_aff_stale(struct lbipam_net *ln, const struct lbipam_aff *e)
{
	const struct lbipam_service *svc = lbipam_svc_lookup(ln, &e->svc);

	return !svc || READ_ONCE(svc->aff_id) != e->key.svc_id;
}

static void lbipam_aff_gc(struct work_struct *work)
{
	struct lbipam_net *ln = container_of(to_delayed_work(work),
					     struct lbipam_net, aff_gc);
	struct rhashtable_iter iter;
	struct lbipam_aff *e;
	unsigned int seen = 0;

	/* Forgetting from here on needs another walk. */
	clear_bit(LBIPAM_AFF_PURGE, &ln->aff_purge);
	/*
	 * A forget that still saw the bit set changed its id before (its
	 * test_and_set_bit() is fully ordered): this walk must see that id.
	 */
	smp_mb__after_atomic();
	rhashtable_walk_enter(&ln->aff_ht, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter))) {
		if (IS_ERR(e))
			continue;	/* -EAGAIN: a resize, keep walking */
		/* A large table must not hold up RCU or the CPU. */
		if (++seen % 1024 == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
		if (!time_after(jiffies, READ_ONCE(e->expires)) &&
		    !lbipam_aff_stale(ln, e))
			continue;
		if (!rhashtable_remove_fast(&ln->aff_ht, &e->node,
					    lbipam_aff_params)) {
			atomic_dec(&ln->nr_aff);
			kfree_rcu(e, rcu);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	if (atomic_read(&ln->nr_aff))
		queue_delayed_work(system_power_efficient_wq, &ln->aff_gc,
				   LBIPAM_AFF_GC_INTERVAL);
}

/*
 * Recomputes every service's aff_live: its entries neither expired nor
 * stale. Caller holds ln->lock, which keeps the services found alive and
 * their ids still; may sleep. Entries made or renewed meanwhile may or may
 * not count, as a walk of a changing table sees them.
 */
void lbipam_aff_count(struct lbipam_net *ln)
{
	struct lbipam_service *svc;
	struct rhashtable_iter iter;
	struct rb_node *node;
	struct lbipam_aff *e;
	unsigned int seen = 0;

	lockdep_assert_held(&ln->lock);
	for (node = rb_first(&ln->svc_tree); node; node = rb_next(node)) {
		svc = rb_entry(node, struct lbipam_service, tree);
		svc->aff_live = 0;
	}
	if (!atomic_read(&ln->nr_aff))
		return;
	rhashtable_walk_enter(&ln->aff_ht, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter))) {
		if (IS_ERR(e))
			continue;	/* -EAGAIN: a resize, keep walking */
		if (++seen % 1024 == 0) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
		if (time_after(jiffies, READ_ONCE(e->expires)))
			continue;
		svc = lbipam_svc_lookup(ln, &e->svc);
		if (svc && READ_ONCE(svc->aff_id) == e->key.svc_id)
			svc->aff_live++;
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

int lbipam_aff_init(struct lbipam_net *ln)
{
	int err;

	atomic_set(&ln->nr_aff, 0);
	ln->aff_purge = 0;
	err = rhashtable_init(&ln->aff_ht, &lbipam_aff_params);
	if (err)
		return err;
	INIT_DELAYED_WORK(&ln->aff_gc, lbipam_aff_gc);
	return 0;
}

static void lbipam_aff_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* After the hooks are gone and a grace period: no reader is left. */
void lbipam_aff_destroy(struct lbipam_net *ln)
{
	cancel_delayed_work_sync(&ln->aff_gc);
	rhashtable_free_and_destroy(&ln->aff_ht, lbipam_aff_free, NULL);
}
