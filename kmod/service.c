// SPDX-License-Identifier: GPL-2.0
/*
 * The per-namespace service table: an rhashtable for the data path and an
 * rbtree in key order for dumps. Writers hold lbipam_net.lock; the data path
 * only takes RCU.
 *
 * A service's options and backends live in one immutable struct
 * lbipam_state. Every change builds a new state beside the old one and
 * publishes it with one pointer swap; the old state is freed after a grace
 * period. A backend's counters outlive the states it passes through and are
 * freed with the last state that holds it.
 */

#include <linux/bitmap.h>
#include <linux/memcontrol.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/netlink.h>
#include <linux/string.h>
#include "lbipam.h"

static const struct rhashtable_params lbipam_ht_params = {
	.key_len = sizeof(struct lbipam_svc_key),
	.key_offset = offsetof(struct lbipam_service, key),
	.head_offset = offsetof(struct lbipam_service, node),
	.automatic_shrinking = true,
};

/* Order: family, address, protocol, port; the order `service list` shows. */
static int lbipam_key_cmp(const struct lbipam_svc_key *a,
			  const struct lbipam_svc_key *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(&a->addr, &b->addr, sizeof(a->addr));
	if (r)
		return r;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return ntohs(a->port) < ntohs(b->port) ? -1 : 1;
	return 0;
}

static int lbipam_be_cmp(const struct lbipam_be_cfg *a,
			 const struct lbipam_be_cfg *b)
{
	int r = memcmp(&a->addr, &b->addr, sizeof(a->addr));

	if (r)
		return r;
	return (int)ntohs(a->port) - (int)ntohs(b->port);
}

void lbipam_stats_read(struct lbipam_stats __percpu *s,
		       struct lbipam_stats_sum *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct lbipam_stats *p = per_cpu_ptr(s, cpu);
		u64 conns, rejects, drops, aff_lost;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			conns = u64_stats_read(&p->conns);
			rejects = u64_stats_read(&p->rejects);
			drops = u64_stats_read(&p->drops);
			aff_lost = u64_stats_read(&p->aff_lost);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		sum->conns += conns;
		sum->rejects += rejects;
		sum->drops += drops;
		sum->aff_lost += aff_lost;
	}
}

static struct lbipam_stats __percpu *lbipam_stats_alloc(void)
{
	struct lbipam_stats __percpu *s;
	int cpu;

	s = alloc_percpu_gfp(struct lbipam_stats, GFP_KERNEL_ACCOUNT);
	if (!s)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(s, cpu)->syncp);
	return s;
}

/* ------------------------------------------------------------ states --- */

static void lbipam_state_free(struct lbipam_state *st)
{
	u32 i;

	for (i = 0; i < st->n; i++)
		if (st->be[i].stats_owner)
			free_percpu(st->be[i].stats);
	kvfree(st->lut);
	kvfree(st->lut_local);
	kvfree(st->zmap);
	kfree(st->ranges.c);
	kfree(st->cluster.c);
	kvfree(st);
}

static void lbipam_state_free_rcu(struct rcu_head *head)
{
	lbipam_state_free(container_of(head, struct lbipam_state, rcu));
}

/* A copy of @src that the state owns; empty on failure. */
static int lbipam_cidr_set_dup(struct lbipam_cidr_set *dst,
			       const struct lbipam_cidr_set *src)
{
	dst->n = 0;
	dst->c = NULL;
	if (!src->n)
		return 0;
	dst->c = kmemdup(src->c, src->n * sizeof(src->c[0]),
			 GFP_KERNEL_ACCOUNT);
	if (!dst->c)
		return -ENOMEM;
	dst->n = src->n;
	return 0;
}

/* A new, unpublished state with the given options and room for @n backends. */
static struct lbipam_state *
lbipam_state_alloc(struct lbipam_net *ln, u8 sched, u32 affinity, u32 flags,
		   const struct lbipam_cidr_set *ranges,
		   const struct lbipam_cidr_set *cluster, u32 n)
{
	struct lbipam_state *st;

	st = kvzalloc(struct_size(st, be, n), GFP_KERNEL_ACCOUNT);
	if (!st)
		return NULL;
	st->gen = ++ln->gen;
	st->sched = sched;
	st->affinity = affinity;
	st->flags = flags;
	st->n = n;
	if (lbipam_cidr_set_dup(&st->ranges, ranges) ||
	    lbipam_cidr_set_dup(&st->cluster, cluster)) {
		kfree(st->ranges.c);
		kvfree(st);
		return NULL;
	}
	return st;
}

static struct lbipam_state *
lbipam_state_from_cfg(struct lbipam_net *ln, const struct lbipam_svc_cfg *cfg,
		      u32 n)
{
	return lbipam_state_alloc(ln, cfg->sched, cfg->affinity, cfg->flags,
				  &cfg->ranges, &cfg->cluster, n);
}

/* Same options as @old, room for @n backends. */
static struct lbipam_state *
lbipam_state_like(struct lbipam_net *ln, const struct lbipam_state *old, u32 n)
{
	return lbipam_state_alloc(ln, old->sched, old->affinity, old->flags,
				  &old->ranges, &old->cluster, n);
}

/*
 * Gives backends new to the service a conntrack zone for one-packet
 * scheduling: the lowest not taken, at most @st->n (so at most 65534), as
 * there are @st->n - 1 others.
 */
static int lbipam_zones_assign(struct lbipam_state *st)
{
	unsigned long *used;
	u32 i, max = st->n;
	bool fresh = false;

	for (i = 0; i < st->n; i++) {
		max = max_t(u32, max, st->be[i].zone);
		fresh |= !st->be[i].zone;
	}
	if (!fresh)
		return 0;
	used = bitmap_zalloc(max + 1, GFP_KERNEL);
	if (!used)
		return -ENOMEM;
	__set_bit(0, used);
	for (i = 0; i < st->n; i++)
		__set_bit(st->be[i].zone, used);
	for (i = 0; i < st->n; i++) {
		if (st->be[i].zone)
			continue;
		st->be[i].zone = find_first_zero_bit(used, max + 1);
		__set_bit(st->be[i].zone, used);
	}
	bitmap_free(used);
	return 0;
}

/* Which backend each zone names, for the entries lbipam_dnat() binds. */
static int lbipam_zmap_build(struct lbipam_state *st)
{
	u32 i;

	if (!(st->flags & LBIPAM_SVC_F_ONE_PACKET))
		return 0;
	for (i = 0; i < st->n; i++)
		st->zmax = max_t(u32, st->zmax, st->be[i].zone);
	st->zmap = kvmalloc_array(st->zmax + 1, sizeof(*st->zmap),
				  GFP_KERNEL_ACCOUNT);
	if (!st->zmap)
		return -ENOMEM;
	memset(st->zmap, 0xff, (st->zmax + 1) * sizeof(*st->zmap));
	for (i = 0; i < st->n; i++)
		st->zmap[st->be[i].zone] = i;
	return 0;
}

/* Gives backends without counters their own; then builds the tables. */
static int lbipam_state_finish(struct lbipam_state *st)
{
	u32 i;
	int err;

	for (i = 0; i < st->n; i++) {
		if (st->be[i].stats)
			continue;
		st->be[i].stats = lbipam_stats_alloc();
		if (!st->be[i].stats)
			return -ENOMEM;
		st->be[i].stats_owner = true;
	}
	err = lbipam_zones_assign(st);
	if (err)
		return err;
	err = lbipam_zmap_build(st);
	if (err)
		return err;
	err = lbipam_maglev_build(st, GFP_KERNEL_ACCOUNT);
	if (err)
		return err;
	/* From here on the counters belong to the published state chain. */
	for (i = 0; i < st->n; i++)
		st->be[i].stats_owner = false;
	return 0;
}

/* Undoes a state that was never published: only its new counters go. */
static void lbipam_state_abort(struct lbipam_state *st)
{
	lbipam_state_free(st);
}

struct lbipam_state *lbipam_svc_state(struct lbipam_net *ln,
				      struct lbipam_service *svc)
{
	return rcu_dereference_protected(svc->state,
					 lockdep_is_held(&ln->lock));
}

/* Publishes @new; the old state goes after readers, with what it owns. */
static void lbipam_state_swap(struct lbipam_net *ln,
			      struct lbipam_service *svc,
			      struct lbipam_state *new)
{
	struct lbipam_state *old;

	old = rcu_replace_pointer(svc->state, new, lockdep_is_held(&ln->lock));
	if (old)
		call_rcu(&old->rcu, lbipam_state_free_rcu);
	ln->gen++;
}

/* ------------------------------------------------------------- table --- */

int lbipam_table_init(struct lbipam_net *ln)
{
	ln->svc_tree = RB_ROOT;
	return rhashtable_init(&ln->svc_ht, &lbipam_ht_params);
}

static void lbipam_svc_free(struct lbipam_service *svc)
{
	mem_cgroup_put(svc->memcg);
	free_percpu(svc->stats);
	kfree(svc);
}

static void lbipam_svc_free_rcu(struct rcu_head *head)
{
	lbipam_svc_free(container_of(head, struct lbipam_service, rcu));
}

/* The service and everything it holds, counters included. */
static void lbipam_svc_release(struct lbipam_net *ln,
			       struct lbipam_service *svc, bool now)
{
	struct lbipam_state *st = rcu_dereference_protected(svc->state, true);
	u32 i;

	for (i = 0; i < st->n; i++)
		st->be[i].stats_owner = true;
	if (now) {
		lbipam_state_free(st);
		lbipam_svc_free(svc);
		return;
	}
	call_rcu(&st->rcu, lbipam_state_free_rcu);
	call_rcu(&svc->rcu, lbipam_svc_free_rcu);
}

static void lbipam_svc_destroy_cb(void *ptr, void *arg)
{
	lbipam_svc_release(arg, ptr, true);
}

/* Only once no reader can remain: after the hooks are gone and a grace period. */
void lbipam_table_destroy(struct lbipam_net *ln)
{
	rhashtable_free_and_destroy(&ln->svc_ht, lbipam_svc_destroy_cb, ln);
	ln->svc_tree = RB_ROOT;
	ln->nr_services = 0;
}

/* Data path: caller holds rcu_read_lock(). */
struct lbipam_service *lbipam_svc_lookup(struct lbipam_net *ln,
					 const struct lbipam_svc_key *key)
{
	return rhashtable_lookup(&ln->svc_ht, key, lbipam_ht_params);
}

/* Control path: caller holds ln->lock. */
struct lbipam_service *lbipam_svc_find(struct lbipam_net *ln,
				       const struct lbipam_svc_key *key)
{
	struct rb_node *n = ln->svc_tree.rb_node;

	while (n) {
		struct lbipam_service *svc = rb_entry(n, struct lbipam_service,
						      tree);
		int r = lbipam_key_cmp(key, &svc->key);

		if (!r)
			return svc;
		n = r < 0 ? n->rb_left : n->rb_right;
	}
	return NULL;
}

/* First service whose key is greater than @key (the first of all if NULL). */
struct lbipam_service *lbipam_svc_next(struct lbipam_net *ln,
				       const struct lbipam_svc_key *key)
{
	struct rb_node *n = ln->svc_tree.rb_node;
	struct lbipam_service *best = NULL;

	while (n) {
		struct lbipam_service *svc = rb_entry(n, struct lbipam_service,
						      tree);

		if (!key || lbipam_key_cmp(key, &svc->key) < 0) {
			best = svc;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

static void lbipam_tree_insert(struct lbipam_net *ln,
			       struct lbipam_service *svc)
{
	struct rb_node **p = &ln->svc_tree.rb_node, *parent = NULL;

	while (*p) {
		struct lbipam_service *cur = rb_entry(*p, struct lbipam_service,
						      tree);

		parent = *p;
		if (lbipam_key_cmp(&svc->key, &cur->key) < 0)
			p = &(*p)->rb_left;
		else
			p = &(*p)->rb_right;
	}
	rb_link_node(&svc->tree, parent, p);
	rb_insert_color(&svc->tree, &ln->svc_tree);
}

static struct lbipam_service *lbipam_svc_get(struct lbipam_net *ln,
					     const struct lbipam_svc_key *key,
					     struct netlink_ext_ack *extack)
{
	struct lbipam_service *svc = lbipam_svc_find(ln, key);

	if (!svc)
		NL_SET_ERR_MSG(extack, "no such service");
	return svc;
}

/* ---------------------------------------------------------- services --- */

/*
 * lbipam_snat() looks a connection's service up only while some service
 * masquerades (or for hairpin): count them. Callers raise the count before
 * a masquerading state is published and lower it after one is withdrawn.
 */
static void lbipam_masq_count(struct lbipam_net *ln, u32 old_flags,
			      u32 new_flags)
{
	int d = !!(new_flags & LBIPAM_SVC_F_MASQ_ANY) -
		!!(old_flags & LBIPAM_SVC_F_MASQ_ANY);

	WRITE_ONCE(ln->nr_masquerade, ln->nr_masquerade + d);
}

/* Likewise for lbipam_one_packet(), which looks services up before it. */
static void lbipam_op_count(struct lbipam_net *ln, u32 old_flags,
			    u32 new_flags)
{
	int d = !!(new_flags & LBIPAM_SVC_F_ONE_PACKET) -
		!!(old_flags & LBIPAM_SVC_F_ONE_PACKET);

	WRITE_ONCE(ln->nr_one_packet, ln->nr_one_packet + d);
}

/* The hooks a service's flags need, before it is published with them. */
static int lbipam_svc_hooks(struct lbipam_net *ln,
			    const struct lbipam_svc_key *key, u32 flags,
			    struct netlink_ext_ack *extack)
{
	int err;

	if (!(flags & LBIPAM_SVC_F_ONE_PACKET))
		return 0;
	err = lbipam_op_enable(ln, key->family);
	if (err)
		NL_SET_ERR_MSG(extack, "cannot register the one-packet hooks");
	return err;
}

int lbipam_svc_add(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   const struct lbipam_svc_cfg *cfg,
		   struct netlink_ext_ack *extack)
{
	struct lbipam_ct_job *job = NULL;
	struct lbipam_service *svc;
	struct lbipam_state *st;
	int err = -ENOMEM;

	lockdep_assert_held(&ln->lock);

	if (lbipam_svc_find(ln, key)) {
		NL_SET_ERR_MSG(extack, "service already exists");
		return -EEXIST;
	}
	if (ln->nr_services >= lbipam_max_services) {
		NL_SET_ERR_MSG(extack,
			       "service limit reached (module parameter max_services)");
		return -ENOSPC;
	}

	svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return -ENOMEM;
	svc->key = *key;
	/* Affinity entries are charged to it, wherever they are made. */
	svc->memcg = get_mem_cgroup_from_mm(current->mm);
	svc->stats = lbipam_stats_alloc();
	st = lbipam_state_from_cfg(ln, cfg, 0);
	if (!svc->stats || !st)
		goto err_free;
	/*
	 * Flows that began before the VIP existed are stuck untranslated: a
	 * UDP client with a fixed source port for good, a TCP or SCTP client
	 * until its handshake times out, as the NAT core binds only entries
	 * it sees before they are confirmed. Every protocol, then.
	 */
	job = lbipam_ct_job_new(key, LBIPAM_CT_UNTRANSLATED, 0);
	if (!job)
		goto err_free;
	err = lbipam_state_finish(st);
	if (err)
		goto err_free;
	RCU_INIT_POINTER(svc->state, st);
	lbipam_aff_forget(ln, svc);

	/*
	 * Hooks first: a service must never be visible without them. They
	 * stay until the namespace goes (see lbipam_nat_enable()).
	 */
	err = lbipam_nat_enable(ln, key->family);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the NAT hooks");
		goto err_free;
	}
	err = lbipam_svc_hooks(ln, key, st->flags, extack);
	if (err)
		goto err_free;
	lbipam_masq_count(ln, 0, st->flags);
	lbipam_op_count(ln, 0, st->flags);
	err = rhashtable_lookup_insert_fast(&ln->svc_ht, &svc->node,
					    lbipam_ht_params);
	if (err) {
		lbipam_masq_count(ln, st->flags, 0);
		lbipam_op_count(ln, st->flags, 0);
		goto err_free;
	}
	lbipam_tree_insert(ln, svc);
	ln->nr_services++;
	ln->gen++;
	lbipam_ct_job_queue(ln, job);
	return 0;

err_free:
	if (job)
		lbipam_ct_job_free(job);
	if (st)
		lbipam_state_abort(st);
	lbipam_svc_free(svc);
	return err;
}

int lbipam_svc_set(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   const struct lbipam_svc_cfg *cfg,
		   struct netlink_ext_ack *extack)
{
	struct lbipam_ct_job *job = NULL;
	struct lbipam_state *old, *st;
	struct lbipam_service *svc;
	u32 old_flags;
	int err;

	lockdep_assert_held(&ln->lock);

	svc = lbipam_svc_get(ln, key, extack);
	if (!svc)
		return -ENOENT;
	old = lbipam_svc_state(ln, svc);
	old_flags = old->flags;
	err = lbipam_svc_hooks(ln, key, cfg->flags, extack);
	if (err)
		return err;
	/*
	 * An entry of the default zone and one of a backend's zone, both
	 * translated to that backend, would have the same reply tuple, and
	 * conntrack would drop the datagrams of the second kind until the
	 * first expired: switching starts afresh.
	 */
	if ((old_flags ^ cfg->flags) & LBIPAM_SVC_F_ONE_PACKET) {
		job = lbipam_ct_job_new(key, LBIPAM_CT_ALL, 0);
		if (!job)
			return -ENOMEM;
	}
	st = lbipam_state_from_cfg(ln, cfg, old->n);
	if (!st) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(st->be, old->be, old->n * sizeof(st->be[0]));
	err = lbipam_state_finish(st);
	if (err) {
		lbipam_state_abort(st);
		goto out;
	}
	if (st->affinity != old->affinity || st->sched != old->sched)
		lbipam_aff_forget(ln, svc);
	if (cfg->flags & LBIPAM_SVC_F_MASQ_ANY)
		lbipam_masq_count(ln, old_flags, cfg->flags);
	if (cfg->flags & LBIPAM_SVC_F_ONE_PACKET)
		lbipam_op_count(ln, old_flags, cfg->flags);
	lbipam_state_swap(ln, svc, st);
	if (!(cfg->flags & LBIPAM_SVC_F_MASQ_ANY))
		lbipam_masq_count(ln, old_flags, cfg->flags);
	if (!(cfg->flags & LBIPAM_SVC_F_ONE_PACKET))
		lbipam_op_count(ln, old_flags, cfg->flags);
	if (job) {
		lbipam_ct_job_queue(ln, job);
		job = NULL;
	}
out:
	if (job)
		lbipam_ct_job_free(job);
	return err;
}

/*
 * Whether the connections of a backend that leaves, or of the service
 * when it goes, are deleted rather than left to drain: UDP flows would
 * otherwise never end; the others on request (expire_nodest_conn).
 */
static bool lbipam_ct_expire(const struct lbipam_svc_key *key, u32 flags)
{
	return key->proto == IPPROTO_UDP ||
	       (flags & LBIPAM_SVC_F_EXPIRE_NODEST);
}

static void lbipam_svc_unlink(struct lbipam_net *ln, struct lbipam_service *svc)
{
	bool expire = lbipam_ct_expire(&svc->key,
				       lbipam_svc_state(ln, svc)->flags);
	struct lbipam_ct_job *job = NULL;

	if (expire)
		job = lbipam_ct_job_new(&svc->key, LBIPAM_CT_ALL, 0);
	rhashtable_remove_fast(&ln->svc_ht, &svc->node, lbipam_ht_params);
	lbipam_aff_forget(ln, svc);
	lbipam_masq_count(ln, lbipam_svc_state(ln, svc)->flags, 0);
	lbipam_op_count(ln, lbipam_svc_state(ln, svc)->flags, 0);
	rb_erase(&svc->tree, &ln->svc_tree);
	ln->nr_services--;
	ln->gen++;

	if (job)
		lbipam_ct_job_queue(ln, job);
	else if (expire)
		lbipam_ct_flush_now(ln, &svc->key);
	lbipam_svc_release(ln, svc, false);
}

int lbipam_svc_del(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   struct netlink_ext_ack *extack)
{
	struct lbipam_service *svc;

	lockdep_assert_held(&ln->lock);

	svc = lbipam_svc_get(ln, key, extack);
	if (!svc)
		return -ENOENT;
	lbipam_svc_unlink(ln, svc);
	return 0;
}

void lbipam_svc_flush(struct lbipam_net *ln)
{
	struct lbipam_service *svc;

	lockdep_assert_held(&ln->lock);

	while ((svc = lbipam_svc_next(ln, NULL))) {
		lbipam_svc_unlink(ln, svc);
		cond_resched();
	}
}

/* ---------------------------------------------------------- backends --- */

static int lbipam_be_index(const struct lbipam_state *st,
			   const struct lbipam_be_cfg *be)
{
	u32 i;

	for (i = 0; i < st->n; i++)
		if (!lbipam_be_cmp(&st->be[i].cfg, be))
			return i;
	return -1;
}

/* The service of @key, its current state and the index of @be in it. */
static int lbipam_be_find(struct lbipam_net *ln,
			  const struct lbipam_svc_key *key,
			  const struct lbipam_be_cfg *be,
			  struct lbipam_service **svcp,
			  struct lbipam_state **oldp,
			  struct netlink_ext_ack *extack)
{
	int idx;

	*svcp = lbipam_svc_get(ln, key, extack);
	if (!*svcp)
		return -ENOENT;
	*oldp = lbipam_svc_state(ln, *svcp);
	idx = lbipam_be_index(*oldp, be);
	if (idx < 0) {
		NL_SET_ERR_MSG(extack, "no such backend");
		return -ENOENT;
	}
	return idx;
}

static int lbipam_be_limit(u32 n, struct netlink_ext_ack *extack)
{
	/* Lookup tables index backends with u16, U16_MAX marking "empty". */
	if (n > min_t(u32, lbipam_max_backends, U16_MAX - 1)) {
		NL_SET_ERR_MSG(extack,
			       "backend limit reached (module parameter max_backends)");
		return -ENOSPC;
	}
	return 0;
}

/*
 * Finishes and publishes @st. @gone are backends of the current state that
 * @st drops: that state, freed after readers, is the last to hold their
 * counters, which must be known before it is handed to RCU.
 */
static int lbipam_be_commit(struct lbipam_net *ln, struct lbipam_service *svc,
			    struct lbipam_state *st,
			    const struct lbipam_be_cfg *const *gone, u32 ngone)
{
	int err = lbipam_state_finish(st);
	u32 i;

	if (err) {
		lbipam_state_abort(st);
		return err;
	}
	for (i = 0; i < ngone; i++)
		container_of(gone[i], struct lbipam_backend, cfg)->stats_owner = true;
	lbipam_state_swap(ln, svc, st);
	return 0;
}

int lbipam_be_add(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_be_cfg *be, struct netlink_ext_ack *extack)
{
	struct lbipam_state *old, *st;
	struct lbipam_service *svc;
	int err;

	lockdep_assert_held(&ln->lock);

	svc = lbipam_svc_get(ln, key, extack);
	if (!svc)
		return -ENOENT;
	old = lbipam_svc_state(ln, svc);
	if (lbipam_be_index(old, be) >= 0) {
		NL_SET_ERR_MSG(extack, "backend already exists");
		return -EEXIST;
	}
	err = lbipam_be_limit(old->n + 1, extack);
	if (err)
		return err;

	st = lbipam_state_like(ln, old, old->n + 1);
	if (!st)
		return -ENOMEM;
	memcpy(st->be, old->be, old->n * sizeof(st->be[0]));
	st->be[old->n].cfg = *be;
	return lbipam_be_commit(ln, svc, st, NULL, 0);
}

int lbipam_be_set(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_be_cfg *be, struct netlink_ext_ack *extack)
{
	struct lbipam_state *old, *st;
	struct lbipam_service *svc;
	int idx;

	lockdep_assert_held(&ln->lock);

	idx = lbipam_be_find(ln, key, be, &svc, &old, extack);
	if (idx < 0)
		return idx;
	st = lbipam_state_like(ln, old, old->n);
	if (!st)
		return -ENOMEM;
	memcpy(st->be, old->be, old->n * sizeof(st->be[0]));
	st->be[idx].cfg = *be;
	return lbipam_be_commit(ln, svc, st, NULL, 0);
}

/*
 * A job to delete the entries of backends that leave a service (see
 * lbipam_ct_expire()), made before the change (the old state may be freed
 * once replaced). NULL without anything to delete; -ENOMEM as an error
 * pointer.
 */
static struct lbipam_ct_job *
lbipam_be_gone_job(const struct lbipam_svc_key *key, u32 flags,
		   const struct lbipam_be_cfg *const *gone, u32 n)
{
	struct lbipam_ct_job *job;
	u32 i;

	if (!n || !lbipam_ct_expire(key, flags))
		return NULL;
	job = lbipam_ct_job_new(key, LBIPAM_CT_BACKENDS, n);
	if (!job)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < n; i++)
		lbipam_ct_job_set_be(job, i, gone[i]);
	return job;
}

int lbipam_be_del(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_be_cfg *be,
		  struct netlink_ext_ack *extack)
{
	const struct lbipam_be_cfg *gone;
	struct lbipam_state *old, *st;
	struct lbipam_service *svc;
	struct lbipam_ct_job *job;
	int idx, err;

	lockdep_assert_held(&ln->lock);

	idx = lbipam_be_find(ln, key, be, &svc, &old, extack);
	if (idx < 0)
		return idx;
	gone = &old->be[idx].cfg;
	job = lbipam_be_gone_job(key, old->flags, &gone, 1);
	if (IS_ERR(job))
		return PTR_ERR(job);
	st = lbipam_state_like(ln, old, old->n - 1);
	if (!st) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(st->be, old->be, idx * sizeof(st->be[0]));
	memcpy(st->be + idx, old->be + idx + 1,
	       (old->n - idx - 1) * sizeof(st->be[0]));
	err = lbipam_be_commit(ln, svc, st, &gone, 1);
	if (!err && job) {
		lbipam_ct_job_queue(ln, job);
		job = NULL;
	}
out:
	if (job)
		lbipam_ct_job_free(job);
	return err;
}

/* Sorts pointers to backend configurations, to match sets in O(n log n). */
static int lbipam_be_pcmp(const void *a, const void *b)
{
	return lbipam_be_cmp(*(const struct lbipam_be_cfg *const *)a,
			     *(const struct lbipam_be_cfg *const *)b);
}

int lbipam_be_replace(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		      const struct lbipam_be_cfg *bes, u32 n,
		      struct netlink_ext_ack *extack)
{
	const struct lbipam_be_cfg **newp = NULL, **oldp = NULL, **gone = NULL;
	struct lbipam_state *old, *st = NULL;
	struct lbipam_ct_job *job = NULL;
	struct lbipam_service *svc;
	u32 i, j, ngone = 0;
	int err;

	lockdep_assert_held(&ln->lock);

	svc = lbipam_svc_get(ln, key, extack);
	if (!svc)
		return -ENOENT;
	err = lbipam_be_limit(n, extack);
	if (err)
		return err;
	old = lbipam_svc_state(ln, svc);

	err = -ENOMEM;
	newp = kvmalloc_array(n + 1, sizeof(*newp), GFP_KERNEL);
	oldp = kvmalloc_array(old->n + 1, sizeof(*oldp), GFP_KERNEL);
	gone = kvmalloc_array(old->n + 1, sizeof(*gone), GFP_KERNEL);
	st = lbipam_state_like(ln, old, n);
	if (!newp || !oldp || !gone || !st)
		goto out;

	for (i = 0; i < n; i++) {
		st->be[i].cfg = bes[i];
		newp[i] = &st->be[i].cfg;
	}
	for (i = 0; i < old->n; i++)
		oldp[i] = &old->be[i].cfg;
	sort(newp, n, sizeof(*newp), lbipam_be_pcmp, NULL);
	sort(oldp, old->n, sizeof(*oldp), lbipam_be_pcmp, NULL);
	for (i = 1; i < n; i++) {
		if (!lbipam_be_cmp(newp[i - 1], newp[i])) {
			NL_SET_ERR_MSG(extack, "backend listed twice");
			err = -EINVAL;
			goto out;
		}
	}

	/* Merge: backends that stay keep their counters. */
	for (i = 0, j = 0; i < n || j < old->n; ) {
		int r = i == n ? 1 : j == old->n ? -1 :
			lbipam_be_cmp(newp[i], oldp[j]);

		if (r < 0) {
			i++;
		} else if (r > 0) {
			gone[ngone++] = oldp[j++];
		} else {
			struct lbipam_backend *nb = container_of(newp[i++],
								 struct lbipam_backend, cfg);
			const struct lbipam_backend *ob =
				container_of(oldp[j++], struct lbipam_backend, cfg);

			nb->stats = ob->stats;
			nb->ct = ob->ct;
			nb->zone = ob->zone;
		}
	}

	job = lbipam_be_gone_job(key, old->flags, gone, ngone);
	if (IS_ERR(job)) {
		job = NULL;
		goto out;
	}
	err = lbipam_be_commit(ln, svc, st, gone, ngone);
	st = NULL;	/* published, or freed by the commit */
	if (!err && job) {
		lbipam_ct_job_queue(ln, job);
		job = NULL;
	}
out:
	if (job)
		lbipam_ct_job_free(job);
	if (st)
		lbipam_state_abort(st);
	kvfree(gone);
	kvfree(oldp);
	kvfree(newp);
	return err;
}
