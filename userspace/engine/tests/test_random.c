// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized, seeded invariant test: thousands of pool/service
 * create/update/delete operations, each followed by checks written
 * independently of the allocator:
 *  - an IP is held twice only by services that may share it;
 *  - every holding lies in a valid block of a pool that selects its
 *    holder (disabled and conflicting pools included);
 *  - counts add up, per pool and overall;
 *  - conditions agree with what is held;
 *  - no two non-conflicting pools overlap;
 *  - touching one service never moves another (zero churn);
 *  - an engine on a database, closed and reopened along the way, stays
 *    identical to the in-memory one.
 */
#include "helpers.h"
#include "engine_int.h"
#include "holding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPS_PER_SEED 1000
#define REOPEN_EVERY 75

static int failures;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			if (failures++ < 10)				\
				diag(__VA_ARGS__);			\
		}							\
	} while (0)

static bool ns_ok(const struct lb_service *a, const char *ns)
{
	size_t i;

	for (i = 0; i < a->spec.nxns; i++)
		if (!strcmp(a->spec.xns[i], "*") || !strcmp(a->spec.xns[i], ns))
			return true;
	return false;
}

static bool compatible(const struct lb_service *a, const struct lb_service *b)
{
	size_t i, j;

	if (!a->spec.sharing_key || !b->spec.sharing_key ||
	    strcmp(a->spec.sharing_key, b->spec.sharing_key))
		return false;
	if (strcmp(a->ns, b->ns) && !(ns_ok(a, b->ns) && ns_ok(b, a->ns)))
		return false;
	for (i = 0; i < a->spec.nports; i++)
		for (j = 0; j < b->spec.nports; j++)
			if (a->spec.ports[i].port == b->spec.ports[j].port &&
			    a->spec.ports[i].proto == b->spec.ports[j].proto)
				return false;
	if (a->spec.etp_local != b->spec.etp_local)
		return false;
	if (a->spec.etp_local &&
	    (!a->spec.has_selector || !b->spec.has_selector ||
	     !lbe_labels_equal(&a->spec.selector, &b->spec.selector)))
		return false;
	return true;
}

static bool pool_named(const struct lb_service *s, const char *name)
{
	size_t i;

	if (!s->spec.npools)
		return true;
	for (i = 0; i < s->spec.npools; i++)
		if (!strcmp(s->spec.pools[i], name))
			return true;
	return false;
}

static bool covered(struct lb_engine *e, const struct lb_service *s,
		    const struct lb_addr *a)
{
	size_t i, j;

	for (i = 0; i < e->npools; i++) {
		const struct lb_pool *p = e->pools[i];

		if (!pool_named(s, p->name) ||
		    !lbe_selector_match(p->spec.sel, &s->spec.labels))
			continue;
		for (j = 0; j < p->spec.nblocks; j++) {
			const struct lb_block *b = &p->spec.blocks[j];

			if (b->valid && a->fam == b->r.from.fam &&
			    a->v >= b->r.from.v && a->v <= b->r.to.v)
				return true;
		}
	}
	return false;
}

static lb_u128 parse_u128(const char *s)
{
	lb_u128 v = 0;

	for (; *s; s++)
		v = v * 10 + (lb_u128)(*s - '0');
	return v;
}

static void check_counts(struct lb_engine *e)
{
	size_t i, j, nhold = 0, it = 0;
	lb_u128 used_sum = 0;
	struct lb_holding *h;

	while ((h = lbe_htab_next(&e->holdings, &it))) {
		/* Only a kept stale IP may be counted in no pool. */
		if (!h->pool) {
			CHECK(e->cfg.revoke_policy == LB_REVOKE_KEEP &&
			      !covered(e, h->holders[0], &h->addr),
			      "a holding of %s is counted in no pool", h->holders[0]->key);
			continue;
		}
		nhold++;
	}
	for (i = 0; i < e->npools; i++) {
		struct lb_pool *p = e->pools[i];
		struct lb_counts c;
		lb_u128 total = 0, used = 0;

		for (j = 0; j < p->spec.nblocks; j++)
			if (p->spec.blocks[j].valid)
				total += p->spec.blocks[j].r.to.v -
					 p->spec.blocks[j].r.from.v + 1;
		it = 0;
		while ((h = lbe_htab_next(&e->holdings, &it)))
			used += h->pool == p;
		lbe_pool_counts(p, 0, &c);
		CHECK(parse_u128(c.total) == total, "pool %s total %s", p->name, c.total);
		CHECK(parse_u128(c.used) == used, "pool %s used %s", p->name, c.used);
		CHECK(parse_u128(c.used) + parse_u128(c.available) +
		      parse_u128(c.reserved) == total,
		      "pool %s: used %s + available %s + reserved %s != total %s",
		      p->name, c.used, c.available, c.reserved, c.total);
		used_sum += used;
	}
	CHECK(used_sum == nhold, "holdings %zu counted %llu", nhold,
	      (unsigned long long)used_sum);
}

static void check_pools(struct lb_engine *e)
{
	size_t i, j, a, b;

	for (i = 0; i < e->npools; i++) {
		for (j = i; j < e->npools; j++) {
			struct lb_pool *p = e->pools[i], *q = e->pools[j];

			if (p->conflicting || q->conflicting)
				continue;
			for (a = 0; a < p->spec.nblocks; a++)
				for (b = p == q ? a + 1 : 0; b < q->spec.nblocks; b++)
					CHECK(!p->spec.blocks[a].valid ||
					      !q->spec.blocks[b].valid ||
					      !lbe_range_overlaps(&p->spec.blocks[a].r,
								 &q->spec.blocks[b].r),
					      "non-conflicting pools %s and %s overlap",
					      p->name, q->name);
		}
	}
}

static void check_services(struct lb_engine *e)
{
	struct lb_service *s;
	size_t it = 0, i, j;

	while ((s = lbe_htab_next(&e->svcs, &it))) {
		uint8_t fams[2];
		size_t nf = lbe_service_families(s, true, true, fams);
		int per[2] = { 0, 0 };
		bool sat = true;

		if (!s->managed) {
			CHECK(!s->nheld && s->cond == LB_COND_NONE,
			      "%s unmanaged but holds or has a condition", s->key);
			continue;
		}
		for (i = 0; i < s->nheld; i++) {
			struct lb_holding *h = s->held[i];
			char ip[LB_ADDR_STRLEN];
			bool inreq = false;

			lbe_addr_fmt(&h->addr, ip);
			CHECK(lbe_hold_find(e, &h->addr) == h, "%s: %s not indexed", s->key, ip);
			CHECK(lbe_holding_has(h, s), "%s: not in holders of %s", s->key, ip);
			CHECK(covered(e, s, &h->addr) ||
			      e->cfg.revoke_policy == LB_REVOKE_KEEP,
			      "%s holds %s outside every selecting pool", s->key, ip);
			for (j = 0; j < h->n; j++)
				CHECK(h->holders[j] == s || compatible(s, h->holders[j]),
				      "%s and %s share %s incompatibly", s->key,
				      h->holders[j]->key, ip);
			for (j = 0; j < s->spec.nreq; j++)
				inreq |= lbe_addr_eq(&s->spec.req[j], &h->addr);
			if (s->spec.nreq)
				CHECK(inreq, "%s holds unrequested %s", s->key, ip);
			per[lbe_fam_idx(h->addr.fam)]++;
		}
		if (s->spec.nreq) {
			for (j = 0; j < s->spec.nreq; j++) {
				bool held = false;

				for (i = 0; i < s->nheld; i++)
					held |= lbe_addr_eq(&s->held[i]->addr, &s->spec.req[j]);
				sat &= held;
			}
		} else {
			for (j = 0; j < 2; j++)
				CHECK(per[j] <= 1, "%s holds several IPs of one family", s->key);
			for (j = 0; j < nf; j++)
				sat &= per[lbe_fam_idx(fams[j])] > 0;
		}
		CHECK(sat == (s->cond == LB_COND_TRUE), "%s: condition %d but satisfied=%d",
		      s->key, s->cond, sat);
	}
}

/* "ip ip ..." of one service, or NULL. */
static char *held_str(struct lb_engine *e, const char *key)
{
	struct lb_service *s = lbe_service(e, key);
	char buf[1024] = "", ip[LB_ADDR_STRLEN];
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < s->nheld; i++) {
		strcat(buf, lbe_addr_fmt(&s->held[i]->addr, ip));
		strcat(buf, " ");
	}
	return strdup(buf);
}

static bool shares_with(struct lb_engine *e, const char *a, const char *b)
{
	struct lb_service *s = lbe_service(e, a);
	struct lb_service *t = lbe_service(e, b);
	size_t i;

	if (!s || !t)
		return false;
	for (i = 0; i < s->nheld; i++)
		if (lbe_holding_has(s->held[i], t))
			return true;
	return false;
}

/* Every IP in before must still be in after. */
static bool subset(const char *before, const char *after)
{
	char tmp[1024], *tok, *save;

	snprintf(tmp, sizeof(tmp), "%s", before);
	for (tok = strtok_r(tmp, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char pat[64];

		snprintf(pat, sizeof(pat), "%s ", tok);
		if (strncmp(after, pat, strlen(pat)) && !strstr(after, pat))
			return false;
	}
	return true;
}

/*
 * One seed's run: the operation loop and, after every operation, each
 * invariant checked against the state it left; kept whole so that a
 * failure's report sits next to the operation that caused it.
 */
static void run_seed(unsigned seed0, const char *db,
		     const struct lb_engine_config *cfg)
{
	struct lb_engine *a = eng_open(NULL, cfg), *b;
	struct lb_engine *full = eng_open(NULL, cfg);
	unsigned seed = seed0;
	int k, mismatch = 0, reopen_bad = 0, churn = 0, bad_ok = 0;
	int full_bad = 0;

	b = eng_open(db, cfg);
	full->always_full = true;
	for (k = 0; k < OPS_PER_SEED; k++) {
		struct gen_op op;
		char key[40];
		char *before[2][16];
		int rc, n, x;

		logs_reset();
		gen_op(&seed, &op);
		snprintf(key, sizeof(key), "%s/%s", op.ns, op.name);
		for (n = 0; n < 2; n++)
			for (x = 0; x < 16; x++) {
				char other[40];

				snprintf(other, sizeof(other), "ns%d/s%d", n, x);
				before[n][x] = strcmp(other, key) &&
					       !shares_with(a, key, other) ?
					       held_str(a, other) : NULL;
			}
		rc = gen_run(a, &op);
		gen_run(b, &op);
		gen_run(full, &op);
		if (op.type == GEN_BAD)
			bad_ok += rc != 0;
		else if (op.type == GEN_APPLY)
			bad_ok += rc == 0;
		else
			bad_ok++;
		check_services(a);
		check_counts(a);
		check_pools(a);
		if ((op.type == GEN_APPLY && op.ns[0] &&
		     !strstr(op.text, "CiliumLoadBalancerIPPool")) ||
		    op.type == GEN_DEL_SVC) {
			for (n = 0; n < 2; n++)
				for (x = 0; x < 16; x++) {
					char other[40], *after;

					if (!before[n][x])
						continue;
					snprintf(other, sizeof(other), "ns%d/s%d", n, x);
					after = held_str(a, other);
					if (after && !subset(before[n][x], after)) {
						churn++;
						if (churn < 4)
							diag("seed %u op %d (%s): %s moved from '%s' to '%s'",
							     seed0, k, key, other, before[n][x], after);
					}
					free(after);
				}
		}
		for (n = 0; n < 2; n++)
			for (x = 0; x < 16; x++)
				free(before[n][x]);
		if (k % 10 == 9 || k == OPS_PER_SEED - 1) {
			char *da = lbe_dump(a), *dbs = lbe_dump(b);
			char *df = lbe_dump(full);

			mismatch += strcmp(da, dbs) != 0;
			if (strcmp(da, df) && !full_bad++ && getenv("LB_DEBUG")) {
				FILE *f = fopen("/tmp/da.txt", "w");

				fputs(da, f);
				fclose(f);
				f = fopen("/tmp/df.txt", "w");
				fputs(df, f);
				fclose(f);
				diag("first mismatch after op %d", k);
			}
			free(df);
			if ((k + 1) % REOPEN_EVERY == 0) {
				char *dr;

				lbe_close(b);
				b = eng_open(db, cfg);
				dr = lbe_dump(b);
				reopen_bad += strcmp(da, dr) != 0;
				free(dr);
			}
			free(da);
			free(dbs);
		}
	}
	ok(bad_ok == OPS_PER_SEED, "seed %u: valid ops apply, invalid ops are rejected", seed0);
	ok(!failures, "seed %u: invariants hold after each of %d ops", seed0, OPS_PER_SEED);
	ok(!churn, "seed %u: touching one service never moved another", seed0);
	ok(!mismatch, "seed %u: database-backed engine matches the in-memory one", seed0);
	ok(!reopen_bad, "seed %u: reopening the database gives the same state", seed0);
	ok(!full_bad, "seed %u: the work-list reconcile equals a full one", seed0);
	failures = 0;
	lbe_close(full);
	lbe_close(a);
	lbe_close(b);
}

int main(void)
{
	static const unsigned seeds[] = { 1, 42, 4242, 90001, 31337, 7, 2718, 65537 };
	/* Seeds 6 and 7 run with the other revocation policies. */
	struct lb_engine_config pend = { .revoke_policy = LB_REVOKE_PENDING };
	struct lb_engine_config keep = { .revoke_policy = LB_REVOKE_KEEP };
	char db[128], p[160];
	size_t i;

	/* LB_RANDOM_SEEDS=n runs seeds 1..n instead, for longer soaks. */
	size_t extra = getenv("LB_RANDOM_SEEDS") ?
		       strtoul(getenv("LB_RANDOM_SEEDS"), NULL, 10) : 0;
	size_t nseeds = extra ? extra : sizeof(seeds) / sizeof(seeds[0]);

	for (i = 0; i < nseeds; i++) {
		unsigned seed = extra ? (unsigned)i + 1 : seeds[i];

		snprintf(db, sizeof(db), "%s/lbengine-random-%d-%zu.db",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm",
			 getpid(), i);
		run_seed(seed, db, i % 8 == 6 ? &pend : i % 8 == 7 ? &keep : NULL);
		unlink(db);
		snprintf(p, sizeof(p), "%s-wal", db);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", db);
		unlink(p);
	}
	return done_testing();
}
