// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016), weighted.
 *
 * Each usable backend gets a quota of table slots proportional to its
 * weight, then backends take turns claiming the next free slot of their own
 * permutation of the table until their quota is used up. Everything is
 * derived from the backends' addresses, ports and weights with fixed hash
 * seeds, in a canonical order, so two nodes with the same configuration
 * build the same table and send a 5-tuple to the same backend.
 */

#include <linux/bitops.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <net/netfilter/nf_conntrack_tuple.h>
#include "lbipam.h"

/* Fixed on purpose: a random seed would differ between nodes. */
#define LBIPAM_SEED_OFFSET	0x6c62697a
#define LBIPAM_SEED_SKIP	0x6d61676c
#define LBIPAM_SEED_FLOW	0x666c6f77

#define LBIPAM_LUT_FACTOR	100
#define LBIPAM_LUT_MIN		101

static bool lbipam_is_prime(u32 n)
{
	u32 d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/*
 * The smallest prime >= 100 x the power of two above @n. A table whose size
 * followed @n exactly would change size, and so every slot, whenever one
 * backend comes or goes; this way it only does when the count crosses a
 * power of two, and removing one of N backends otherwise moves only the
 * flows of that backend. Still a function of the configuration alone, so
 * nodes agree.
 */
static u32 lbipam_lut_size(u32 n)
{
	u32 m;

	/* Backends are u16 indices: M stays below 100 x 2^16 + a prime gap. */
	n = min_t(u32, n, U16_MAX - 1);
	m = max_t(u32, LBIPAM_LUT_MIN,
		  (u32)roundup_pow_of_two(n + 1) * LBIPAM_LUT_FACTOR);

	while (!lbipam_is_prime(m))
		m++;
	return m;
}

static u32 lbipam_be_hash(const struct lbipam_be_cfg *be, u32 seed)
{
	u32 w[5];

	memcpy(w, &be->addr, sizeof(be->addr));
	w[4] = (__force u32)be->port;
	return jhash2(w, ARRAY_SIZE(w), seed);
}

u32 lbipam_flow_hash(const struct nf_conntrack_tuple *t)
{
	u32 w[9];

	memcpy(w, &t->src.u3, sizeof(t->src.u3));
	memcpy(w + 4, &t->dst.u3, sizeof(t->dst.u3));
	w[8] = ((__force u32)t->src.u.all << 16) ^ (__force u32)t->dst.u.all ^
	       t->dst.protonum;
	return jhash2(w, ARRAY_SIZE(w), LBIPAM_SEED_FLOW);
}

struct lbipam_mg_be {
	const struct lbipam_be_cfg *cfg;
	u32 idx;			/* into st->be[] */
	u32 pos, skip;			/* next slot of its permutation */
	u64 quota;
};

static int lbipam_mg_cmp(const void *a, const void *b)
{
	const struct lbipam_be_cfg *x = ((const struct lbipam_mg_be *)a)->cfg;
	const struct lbipam_be_cfg *y = ((const struct lbipam_mg_be *)b)->cfg;
	int r = memcmp(&x->addr, &y->addr, sizeof(x->addr));

	if (r)
		return r;
	return ntohs(x->port) - ntohs(y->port);
}

static bool lbipam_be_usable(const struct lbipam_backend *be, bool local)
{
	if (be->cfg.state != LBIPAM_BE_ACTIVE || !be->cfg.weight)
		return false;
	return !local || (be->cfg.flags & LBIPAM_BE_F_LOCAL);
}

/*
 * Fills the table: backends take turns in canonical order, each claiming
 * the next free slot of its permutation, until its quota is used up. A
 * backend whose quota is used up leaves the turn list, so every turn gives
 * out a slot: m turns in all, whatever the weights (visiting every backend
 * in every round would cost the largest quota times the backend count:
 * billions of steps for one backend at weight 65535 beside thousands at 1).
 * A turn probes its permutation for a free slot, about ln(m) probes on
 * average over a build. The probes read a bitmap of taken slots (800 kB at
 * the largest m) rather than the table (13 MB), and step through the
 * permutation by addition rather than a division per probe: the same slots
 * in the same order, several times faster at 65k backends. Process context
 * under ln->lock: yields now and then, a 65534-backend table being some ten
 * million probes.
 */
static void lbipam_maglev_claim(struct lbipam_mg_be *mg, u32 *live, u32 nlive,
				unsigned long *taken, u16 *lut, u32 m)
{
	u32 k, keep, probes = 0;

	while (nlive) {
		for (k = 0, keep = 0; k < nlive; k++) {
			struct lbipam_mg_be *b = &mg[live[k]];
			u32 c;

			do {
				c = b->pos;
				/* pos and skip are below m */
				b->pos += b->skip;
				if (b->pos >= m)
					b->pos -= m;
				if (!(++probes % 4096))
					cond_resched();
			} while (test_bit(c, taken));
			__set_bit(c, taken);
			lut[c] = b->idx;
			if (--b->quota)
				live[keep++] = live[k];
		}
		nlive = keep;
	}
}

static int lbipam_maglev_fill(struct lbipam_state *st, bool local,
			      u16 **lutp, u32 *mp, gfp_t gfp)
{
	u32 n = 0, i, m, nlive = 0;
	struct lbipam_mg_be *mg;
	u64 wsum = 0, given = 0;
	unsigned long *taken;
	u32 *live;
	u16 *lut;

	*lutp = NULL;
	*mp = 0;
	mg = kvcalloc(max_t(u32, st->n, 1), sizeof(*mg), gfp);
	if (!mg)
		return -ENOMEM;
	for (i = 0; i < st->n; i++) {
		if (!lbipam_be_usable(&st->be[i], local))
			continue;
		mg[n].cfg = &st->be[i].cfg;
		mg[n].idx = i;
		wsum += st->be[i].cfg.weight;
		n++;
	}
	if (!n) {
		kvfree(mg);
		return 0;
	}
	/* Canonical order: the table must not depend on insertion order. */
	sort(mg, n, sizeof(*mg), lbipam_mg_cmp, NULL);

	m = lbipam_lut_size(n);
	lut = kvmalloc_array(m, sizeof(*lut), gfp);
	live = kvmalloc_array(n, sizeof(*live), gfp);
	taken = kvcalloc(BITS_TO_LONGS(m), sizeof(*taken), gfp);
	if (!lut || !live || !taken) {
		kvfree(taken);
		kvfree(live);
		kvfree(lut);
		kvfree(mg);
		return -ENOMEM;
	}

	for (i = 0; i < n; i++) {
		mg[i].pos = lbipam_be_hash(mg[i].cfg, LBIPAM_SEED_OFFSET) % m;
		mg[i].skip = lbipam_be_hash(mg[i].cfg, LBIPAM_SEED_SKIP) %
			     (m - 1) + 1;
		mg[i].quota = div64_u64((u64)m * mg[i].cfg->weight, wsum);
		given += mg[i].quota;
	}
	/* What rounding left over goes one slot each, in canonical order. */
	for (i = 0; given < m; i = (i + 1) % n, given++)
		mg[i].quota++;

	/*
	 * The quotas add up to m, and each backend's permutation visits every
	 * slot (m is prime, skip is not 0 mod m): this fills the table.
	 */
	for (i = 0; i < n; i++)
		if (mg[i].quota)
			live[nlive++] = i;
	lbipam_maglev_claim(mg, live, nlive, taken, lut, m);
	kvfree(taken);
	kvfree(live);
	kvfree(mg);
	*lutp = lut;
	*mp = m;
	return 0;
}

/* Fills st->lut (and st->lut_local for a local-only service). */
int lbipam_maglev_build(struct lbipam_state *st, gfp_t gfp)
{
	int err;

	err = lbipam_maglev_fill(st, false, &st->lut, &st->m, gfp);
	if (err || !(st->flags & LBIPAM_SVC_F_LOCAL_ONLY))
		return err;
	err = lbipam_maglev_fill(st, true, &st->lut_local, &st->m_local, gfp);
	if (err) {
		kvfree(st->lut);
		st->lut = NULL;
		st->m = 0;
	}
	return err;
}
