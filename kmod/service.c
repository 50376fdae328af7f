// SPDX-License-Identifier: GPL-2.0
/*
 * The per-namespace service table: an rhashtable for the data path and an
 * rbtree in key order for dumps. Writers hold lbipam_net.lock; readers in
 * the data path only take RCU.
 */

#include <linux/rhashtable.h>
#include <linux/slab.h>
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

int lbipam_table_init(struct lbipam_net *ln)
{
	ln->svc_tree = RB_ROOT;
	return rhashtable_init(&ln->svc_ht, &lbipam_ht_params);
}

static void lbipam_svc_free(void *ptr, void *arg)
{
	struct lbipam_service *svc = ptr;

	kvfree(rcu_access_pointer(svc->backends));
	kfree(svc);
}

/* Only once no reader can remain: after the hooks are gone and a grace period. */
void lbipam_table_destroy(struct lbipam_net *ln)
{
	rhashtable_free_and_destroy(&ln->svc_ht, lbipam_svc_free, NULL);
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

int lbipam_svc_add(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   struct netlink_ext_ack *extack)
{
	struct lbipam_service *svc;
	int err;

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

	/* Hooks first: a service must never be visible without them. */
	err = lbipam_nat_enable(ln, key->family);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register NAT hooks");
		goto err_free;
	}

	err = rhashtable_lookup_insert_fast(&ln->svc_ht, &svc->node,
					    lbipam_ht_params);
	if (err) {
		if (!ln->nr_services)
			lbipam_nat_disable(ln, key->family);
		goto err_free;
	}
	lbipam_tree_insert(ln, svc);
	ln->nr_services++;
	ln->gen++;
	return 0;

err_free:
	kfree(svc);
	return err;
}

int lbipam_svc_del(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		   struct netlink_ext_ack *extack)
{
	struct lbipam_backends *bes;
	struct lbipam_service *svc;

	lockdep_assert_held(&ln->lock);

	svc = lbipam_svc_find(ln, key);
	if (!svc) {
		NL_SET_ERR_MSG(extack, "no such service");
		return -ENOENT;
	}

	rhashtable_remove_fast(&ln->svc_ht, &svc->node, lbipam_ht_params);
	rb_erase(&svc->tree, &ln->svc_tree);
	ln->nr_services--;
	ln->gen++;

	bes = rcu_dereference_protected(svc->backends,
					lockdep_is_held(&ln->lock));
	if (bes)
		kvfree_rcu(bes, rcu);
	kfree_rcu(svc, rcu);

	if (!ln->nr_services)
		lbipam_nat_disable(ln, key->family);
	return 0;
}

static bool lbipam_be_equal(const struct lbipam_backend *a,
			    const struct lbipam_backend *b)
{
	return a->port == b->port && !memcmp(&a->addr, &b->addr,
					     sizeof(a->addr));
}

static int lbipam_be_index(const struct lbipam_backends *bes,
			   const struct lbipam_backend *be)
{
	u32 i;

	for (i = 0; bes && i < bes->n; i++)
		if (lbipam_be_equal(&bes->be[i], be))
			return i;
	return -1;
}

static struct lbipam_backends *lbipam_bes_alloc(u32 n)
{
	struct lbipam_backends *bes;

	bes = kvmalloc(struct_size(bes, be, n), GFP_KERNEL_ACCOUNT);
	if (bes)
		bes->n = n;
	return bes;
}

/* Publish @new in place of the current set and free the old one after readers. */
static void lbipam_bes_swap(struct lbipam_net *ln, struct lbipam_service *svc,
			    struct lbipam_backends *new)
{
	struct lbipam_backends *old;

	old = rcu_replace_pointer(svc->backends, new,
				  lockdep_is_held(&ln->lock));
	if (old)
		kvfree_rcu(old, rcu);
	ln->gen++;
}

int lbipam_be_add(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_backend *be,
		  struct netlink_ext_ack *extack)
{
	struct lbipam_backends *old, *new;
	struct lbipam_service *svc;
	u32 n;

	lockdep_assert_held(&ln->lock);

	svc = lbipam_svc_find(ln, key);
	if (!svc) {
		NL_SET_ERR_MSG(extack, "no such service");
		return -ENOENT;
	}
	old = rcu_dereference_protected(svc->backends,
					lockdep_is_held(&ln->lock));
	if (lbipam_be_index(old, be) >= 0) {
		NL_SET_ERR_MSG(extack, "backend already exists");
		return -EEXIST;
	}
	n = old ? old->n : 0;
	if (n >= lbipam_max_backends) {
		NL_SET_ERR_MSG(extack,
			       "backend limit reached (module parameter max_backends)");
		return -ENOSPC;
	}

	new = lbipam_bes_alloc(n + 1);
	if (!new)
		return -ENOMEM;
	if (n)
		memcpy(new->be, old->be, n * sizeof(new->be[0]));
	new->be[n] = *be;
	lbipam_bes_swap(ln, svc, new);
	return 0;
}

int lbipam_be_del(struct lbipam_net *ln, const struct lbipam_svc_key *key,
		  const struct lbipam_backend *be,
		  struct netlink_ext_ack *extack)
{
	struct lbipam_backends *old, *new = NULL;
	struct lbipam_service *svc;
	int idx;

	lockdep_assert_held(&ln->lock);

	svc = lbipam_svc_find(ln, key);
	if (!svc) {
		NL_SET_ERR_MSG(extack, "no such service");
		return -ENOENT;
	}
	old = rcu_dereference_protected(svc->backends,
					lockdep_is_held(&ln->lock));
	idx = lbipam_be_index(old, be);
	if (idx < 0) {
		NL_SET_ERR_MSG(extack, "no such backend");
		return -ENOENT;
	}

	if (old->n > 1) {
		new = lbipam_bes_alloc(old->n - 1);
		if (!new)
			return -ENOMEM;
		memcpy(new->be, old->be, idx * sizeof(new->be[0]));
		memcpy(new->be + idx, old->be + idx + 1,
		       (old->n - idx - 1) * sizeof(new->be[0]));
	}
	lbipam_bes_swap(ln, svc, new);
	return 0;
}
