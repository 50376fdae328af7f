/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the reconcile pass (alloc.c) and the handing out of addresses
 * (satisfy.c) share: the pass's context and the questions both ask.
 */
#ifndef _LB_RECONCILE_H
#define _LB_RECONCILE_H

#include "engine_int.h"
#include "holding.h"

#include <stdlib.h>
#include <string.h>

struct rctx {
	struct lb_engine *e;
	struct lb_pool **pools;		/* priority, then name */
	struct lb_htab groups;		/* built on first use */
	bool have_groups;
	/* Last failure of the service being satisfied. */
	const char *reason;
	char *msg;
};

static inline bool pool_chosen(const struct lb_service *s,
			       const struct lb_pool *p)
{
	size_t i;

	if (!s->spec.npools)
		return true;
	for (i = 0; i < s->spec.npools; i++)
		if (!strcmp(s->spec.pools[i], p->name))
			return true;
	return false;
}

static inline bool selects(const struct lb_pool *p,
			   const struct lb_service *s)
{
	return pool_chosen(s, p) && lbe_selector_match(p->spec.sel,
						      &s->spec.labels);
}

static inline struct lb_pool *keeping_pool(struct rctx *c,
					   const struct lb_service *s,
					   const struct lb_addr *a,
					   struct lb_block **blk)
{
	return lbe_keeping_pool(c->e, c->pools, s, a, blk);
}

static inline bool requested_ip(const struct lb_service *s,
				const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < s->spec.nreq; i++)
		if (lbe_addr_eq(&s->spec.req[i], a))
			return true;
	return false;
}

static inline bool holds(const struct lb_service *s, const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < s->nheld; i++)
		if (lbe_addr_eq(&s->held[i]->addr, a))
			return true;
	return false;
}

static inline bool holds_family(const struct lb_service *s, uint8_t fam)
{
	size_t i;

	for (i = 0; i < s->nheld; i++)
		if (s->held[i]->addr.fam == fam)
			return true;
	return false;
}

static inline bool fam_wanted(const uint8_t *fams, size_t nf, uint8_t fam)
{
	size_t i;

	for (i = 0; i < nf; i++)
		if (fams[i] == fam)
			return true;
	return false;
}

/* A log line and an event (IPAllocated or IPReleased) for one IP. */
static inline void log_ip(struct lb_engine *e, const char *msg,
			  const struct lb_service *s, const struct lb_addr *a,
			  const char *k, const char *v)
{
	bool released = !strncmp(msg, "Releasing", 9);
	size_t n = strlen(msg);
	char ip[LB_ADDR_STRLEN];

	lbe_addr_fmt(a, ip);
	/* "Allocated IP 10.0.0.1 (pool: p)", "Imported IP from ...: 10.0.0.1" */
	lbe_event(e, false, released ? "IPReleased" : "IPAllocated",
		 LB_KIND_SERVICE, s->key, "%s%s %s (%s: %s)",
		 released ? "Released IP" : msg,
		 released || (n >= 2 && !strcmp(msg + n - 2, "IP")) ? "" : ":",
		 ip, k, v);
	if (!lbe_log_on(e, LB_LOG_INFO))
		return;
	lbe_log(e, LB_LOG_INFO, msg, "service", s->key, "ip", ip, k, v, NULL);
}

static inline bool joinable(struct rctx *c, const struct lb_service *s,
			    const struct lb_holding *h)
{
	size_t i;

	if (!s->spec.sharing_key)
		return false;
	for (i = 0; i < h->n; i++)
		if (lbe_sharing_incompatible(c->e, s, h->holders[i]))
			return false;
	return true;
}

static inline void fail(struct rctx *c, const char *reason, char *msg)
{
	c->reason = reason;
	free(c->msg);
	c->msg = msg;
}

/*
 * Gives s what it still lacks: its requested IPs, or one address per
 * family (joined under its sharing key, else the next free one of its
 * pools); c->reason and c->msg say why when something is left.
 */
void lbe_satisfy(struct rctx *c, struct lb_service *s, const uint8_t *fams,
		size_t nf);
/* The sharing-key groups, built by the first lbe_satisfy() needing them. */
void lbe_sharing_groups_free(struct rctx *c);

#endif /* _LB_RECONCILE_H */
