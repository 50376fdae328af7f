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
 */

#include <linux/rbtree.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
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

/* Never asks for a deletion: the "cleanup" walk is used to read only. */
static int lbipam_ct_stats_one(struct nf_conn *ct, void *data)
{
	struct lbipam_net *ln = data;
	const struct nf_conntrack_tuple *reply;
	const struct nf_conn_acct *acct;
	struct lbipam_service *svc;
	struct lbipam_state *st;
	struct lbipam_svc_key key;
	u32 i;

	if (!(ct->status & IPS_DST_NAT))
		return 0;
	lbipam_key_from_tuple(&key, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple,
			      nf_ct_l3num(ct));
	/* ln->lock, held by the caller, keeps @svc and its state alive. */
	rcu_read_lock();
	svc = lbipam_svc_lookup(ln, &key);
	rcu_read_unlock();
	if (!svc)
		return 0;

	acct = nf_conn_acct_find(ct);
	lbipam_ct_stats_add(&svc->ct, acct);
	st = lbipam_svc_state(ln, svc);
	reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	for (i = 0; i < st->n; i++) {
		if (lbipam_tuple_from_be(reply, &st->be[i].cfg)) {
			lbipam_ct_stats_add(&st->be[i].ct, acct);
			break;
		}
	}
	return 0;
}

/*
 * Recomputes lbipam_ct_stats of every service and of the backends of its
 * current state. Caller holds ln->lock (so no state changes meanwhile);
 * may sleep.
 */
void lbipam_ct_stats_gather(struct lbipam_net *ln)
{
	struct nf_ct_iter_data d = {
		.net = ln->net,
		.data = ln,
	};
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
	if (ln->nr_services)
		nf_ct_iterate_cleanup_net(lbipam_ct_stats_one, &d);
}
