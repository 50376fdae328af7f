// SPDX-License-Identifier: GPL-2.0
/*
 * Deleting the conntrack entries a change of the service table left stale:
 * after a grace period, and for many changes in one walk of the table.
 *
 * nf_ct_iterate_cleanup_net() only sees confirmed entries. A packet that
 * read a service's state just before a change replaced it is confirmed a
 * moment later; a walk started as soon as the change is published can miss
 * its entry, which then keeps the translation the change withdrew for as
 * long as the flow keeps sending (a UDP client with a fixed source port,
 * forever). Forwarded and locally delivered packets go from the NAT hook to
 * their confirmation within one softirq, an RCU read-side critical section,
 * so a walk after a grace period finds them (what nf_ct_iterate_destroy()
 * relies on too). Locally sent packets leave RCU between LOCAL_OUT and
 * POST_ROUTING; one that is scheduled out exactly there can still slip
 * through, a much smaller window than before.
 *
 * Changes queue a job per service; a work item waits one grace period for
 * all jobs queued so far and walks the namespace's table once, looking each
 * entry's service up in the sorted jobs. Deleting too much is harmless (the
 * flow's next packet makes a new entry), so jobs need no ordering against
 * later changes of the same service.
 */

#include <linux/bsearch.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/netfilter/nf_conntrack.h>
#include "lbipam.h"

struct lbipam_ct_job {
	struct list_head list;
	struct lbipam_svc_key key;
	enum lbipam_ct_what what;
	u32 n;
	struct lbipam_be_cfg bes[];	/* LBIPAM_CT_BACKENDS, sorted */
};

/* Jobs of one walk, sorted by key. */
struct lbipam_ct_batch {
	struct lbipam_ct_job **jobs;
	u32 n;
};

static int lbipam_ct_key_cmp(const struct lbipam_svc_key *a,
			     const struct lbipam_svc_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

static int lbipam_ct_job_cmp(const void *a, const void *b)
{
	return lbipam_ct_key_cmp(&(*(struct lbipam_ct_job *const *)a)->key,
				 &(*(struct lbipam_ct_job *const *)b)->key);
}

/* By address and port only: what a reply tuple names. */
static int lbipam_ct_be_cmp(const void *a, const void *b)
{
	const struct lbipam_be_cfg *x = a, *y = b;
	int r = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	if (r)
		return r;
	return (int)ntohs(x->port) - (int)ntohs(y->port);
}

static bool lbipam_ct_job_match(const struct lbipam_ct_job *job,
				const struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *reply;
	struct lbipam_be_cfg be;

	switch (job->what) {
	case LBIPAM_CT_ALL:
		return true;
	case LBIPAM_CT_UNTRANSLATED:
		/* One that got replies was answered by someone: leave it be. */
		return !(ct->status & IPS_DST_NAT) &&
		       !test_bit(IPS_SEEN_REPLY_BIT, &ct->status);
	case LBIPAM_CT_BACKENDS:
		if (!(ct->status & IPS_DST_NAT))
			return false;
		reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
		memset(&be, 0, sizeof(be));
		be.addr = reply->src.u3;
		be.port = reply->src.u.all;
		return bsearch(&be, job->bes, job->n, sizeof(be),
			       lbipam_ct_be_cmp) != NULL;
	}
	return false;
}

static int lbipam_ct_stale(struct nf_conn *ct, void *data)
{
	const struct lbipam_ct_batch *b = data;
	struct lbipam_svc_key key;
	u32 lo = 0, hi = b->n;

	lbipam_key_from_tuple(&key, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple,
			      nf_ct_l3num(ct));
	/* The first job of the key: several changes may name one service. */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (lbipam_ct_key_cmp(&b->jobs[mid]->key, &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->n && !lbipam_ct_key_cmp(&b->jobs[lo]->key, &key); lo++)
		if (lbipam_ct_job_match(b->jobs[lo], ct))
			return 1;
	return 0;
}

static void lbipam_ct_walk(struct net *net, struct lbipam_ct_batch *b)
{
	struct nf_ct_iter_data d = {
		.net = net,
		.data = b,
	};

	nf_ct_iterate_cleanup_net(lbipam_ct_stale, &d);
}

struct lbipam_ct_job *lbipam_ct_job_new(const struct lbipam_svc_key *key,
					enum lbipam_ct_what what, u32 n)
{
	struct lbipam_ct_job *job;

	job = kvzalloc(struct_size(job, bes, n), GFP_KERNEL_ACCOUNT);
	if (!job)
		return NULL;
	job->key = *key;
	job->what = what;
	job->n = n;
	return job;
}

void lbipam_ct_job_set_be(struct lbipam_ct_job *job, u32 i,
			  const struct lbipam_be_cfg *be)
{
	memset(&job->bes[i], 0, sizeof(job->bes[i]));
	job->bes[i].addr = be->addr;
	job->bes[i].port = be->port;
}

void lbipam_ct_job_free(struct lbipam_ct_job *job)
{
	kvfree(job);
}

/*
 * Queues @job (which it takes) once the change it is for is published.
 * Caller holds ln->lock.
 */
void lbipam_ct_job_queue(struct lbipam_net *ln, struct lbipam_ct_job *job)
{
	lockdep_assert_held(&ln->lock);

	/*
	 * A packet that read the old state has a conntrack entry already,
	 * counted with a fully ordered atomic before it read the state: if
	 * none exists after the change is published, there is nothing to do.
	 */
	smp_mb();
	if (!nf_conntrack_count(ln->net)) {
		lbipam_ct_job_free(job);
		return;
	}
	if (job->what == LBIPAM_CT_BACKENDS)
		sort(job->bes, job->n, sizeof(job->bes[0]), lbipam_ct_be_cmp,
		     NULL);
	list_add_tail(&job->list, &ln->ct_jobs);
	queue_work(system_unbound_wq, &ln->ct_work);
}

/* Without memory for a job: the same, synchronously, for a whole service. */
void lbipam_ct_flush_now(struct lbipam_net *ln,
			 const struct lbipam_svc_key *key)
{
	struct lbipam_ct_job job = { .key = *key, .what = LBIPAM_CT_ALL };
	struct lbipam_ct_job *jobs[] = { &job };
	struct lbipam_ct_batch b = { .jobs = jobs, .n = 1 };

	synchronize_net();
	lbipam_ct_walk(ln->net, &b);
}

static void lbipam_ct_work(struct work_struct *work)
{
	struct lbipam_net *ln = container_of(work, struct lbipam_net, ct_work);
	struct lbipam_ct_job *job, *tmp;
	struct lbipam_ct_batch b;
	LIST_HEAD(jobs);
	u32 n = 0;

	mutex_lock(&ln->lock);
	list_splice_init(&ln->ct_jobs, &jobs);
	mutex_unlock(&ln->lock);
	if (list_empty(&jobs))
		return;

	/* Every packet that read a state these jobs replaced is confirmed. */
	synchronize_net();

	list_for_each_entry(job, &jobs, list)
		n++;
	b.jobs = kvmalloc_array(n, sizeof(*b.jobs), GFP_KERNEL);
	if (b.jobs) {
		b.n = 0;
		list_for_each_entry(job, &jobs, list)
			b.jobs[b.n++] = job;
		sort(b.jobs, b.n, sizeof(*b.jobs), lbipam_ct_job_cmp, NULL);
		lbipam_ct_walk(ln->net, &b);
		kvfree(b.jobs);
	} else {
		/* One walk per job then: slower, but nothing is missed. */
		list_for_each_entry(job, &jobs, list) {
			b.jobs = &job;
			b.n = 1;
			lbipam_ct_walk(ln->net, &b);
		}
	}
	list_for_each_entry_safe(job, tmp, &jobs, list)
		lbipam_ct_job_free(job);
}

void lbipam_ct_jobs_init(struct lbipam_net *ln)
{
	INIT_LIST_HEAD(&ln->ct_jobs);
	INIT_WORK(&ln->ct_work, lbipam_ct_work);
}

/* Namespace exit: conntrack goes with it, pending jobs are moot. */
void lbipam_ct_jobs_destroy(struct lbipam_net *ln)
{
	struct lbipam_ct_job *job, *tmp;

	cancel_work_sync(&ln->ct_work);
	list_for_each_entry_safe(job, tmp, &ln->ct_jobs, list)
		lbipam_ct_job_free(job);
	INIT_LIST_HEAD(&ln->ct_jobs);
}
