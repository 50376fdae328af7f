// SPDX-License-Identifier: GPL-2.0
/* Keeping the engine and its SQLite database telling the same story. */
#include "engine_int.h"
#include "bgp.h"
#include "holding.h"
#include "store.h"
#include "yaml_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * The objects one call changed, written to the store when it commits
 * (each once, spec and status together).
 */
void lbe_note_change(struct lb_engine *e, enum lb_kind kind,
			   const char *key, bool deleted)
{
	struct lb_objstat *st;
	struct lb_change *c;

	if (!e->store)
		return;
	/* Once per call: spec and status changes share one write. */
	st = deleted ? NULL : lbe_objstat(e, kind, key);
	if (st && st->noted)
		return;
	if (st)
		st->noted = true;
	LB_GROW(e->changes, e->nchanges, e->capchanges);
	c = &e->changes[e->nchanges++];
	c->kind = kind;
	c->key = lb_xstrdup(key);
	c->deleted = deleted;
}

void lbe_clear_changes(struct lb_engine *e)
{
	size_t i;

	struct lb_objstat *st;

	for (i = 0; i < e->nchanges; i++) {
		st = e->changes[i].deleted ? NULL :
			lbe_objstat(e, e->changes[i].kind,
					  e->changes[i].key);
		if (st)
			st->noted = false;
		free(e->changes[i].key);
	}
	e->nchanges = 0;
}

static void put_holdings(struct lb_engine *e, struct lb_service *s, int *rc)
{
	char (*buf)[LB_ADDR_STRLEN];
	const char **ips;
	size_t i;

	buf = lb_xmalloc((s->nheld + 1) * sizeof(*buf));
	ips = lb_xmalloc((s->nheld + 1) * sizeof(*ips));
	for (i = 0; i < s->nheld; i++)
		ips[i] = lbe_addr_fmt(&s->held[i]->addr, buf[i]);
	if (!*rc)
		*rc = lbe_store_put_holdings(e->store, s->key, ips, s->nheld,
					    s->revoked);
	free(ips);
	free(buf);
}

/* The fields every kind shares; conditions into *conds when asked. */
static void fill_record(struct lb_store_object *o, int64_t created,
			uint64_t generation, const char *doc,
			const struct lb_objstat *st,
			struct lb_store_condition **conds)
{
	size_t i;

	o->created = created;
	o->generation = generation;
	o->doc = doc;
	o->resource_version = st->rv;
	o->status_hash = st->status_hash;
	if (!conds)
		return;
	*conds = lb_xreallocarray(*conds, st->nconds + 1, sizeof(**conds));
	for (i = 0; i < st->nconds; i++)
		(*conds)[i] = (struct lb_store_condition){
			.type = st->conds[i].type,
			.status = st->conds[i].status,
			.last_transition = st->conds[i].ltt,
			.observed_generation = st->conds[i].gen,
		};
	o->n_conditions = st->nconds;
	o->conditions = *conds;
}

bool lbe_record(struct lb_engine *e, enum lb_kind kind,
		      const char *key, struct lb_store_object *o,
		      struct lb_store_condition **conds)
{
	struct lb_named *named;
	struct lb_service *s;
	struct lb_pool *p;
	struct lb_eps *x;

	*o = (struct lb_store_object){ .kind = kind, .key = key };
	switch (kind) {
	case LB_KIND_POOL:
		p = lbe_pool(e, key);
		if (!p)
			return false;
		fill_record(o, p->created, p->generation, p->doc, &p->st,
			    conds);
		return true;
	case LB_KIND_SERVICE:
		s = lbe_service(e, key);
		if (!s)
			return false;
		fill_record(o, s->created, s->generation, s->doc, &s->st,
			    conds);
		return true;
	case LB_KIND_ENDPOINTSLICE:
		x = lbe_htab_get(&e->eps, key);
		if (!x)
			return false;
		fill_record(o, x->created, x->generation, x->doc, &x->st,
			    conds);
		return true;
	case LB_KIND_L2POLICY:
	case LB_KIND_NODE:
		named = lbe_named_find(kind == LB_KIND_NODE ? &e->nodes :
				      &e->l2pols, key);
		if (!named)
			return false;
		fill_record(o, named->created, named->generation, named->doc,
			    &named->st, conds);
		return true;
	case LB_KIND_BGP_CLUSTER:
	case LB_KIND_BGP_PEER:
	case LB_KIND_BGP_ADVERT:
		named = lbe_named_find(lbe_bgp_set(e, kind), key);
		if (!named)
			return false;
		fill_record(o, named->created, named->generation, named->doc,
			    &named->st, conds);
		return true;
	}
	return false;
}

/*
 * Write the objects touched by this call, the holdings that moved and
 * the conflict flags in one transaction.  If it cannot commit, memory
 * is rebuilt from the database so both keep telling the same story.
 */
int lbe_persist(struct lb_engine *e)
{
	struct lb_store_condition *sc = NULL;
	size_t i;
	int rc;

	lbe_status_sync(e);
	if (!e->store) {
		for (i = 0; i < e->ndirty; i++)
			e->dirty[i]->dirty = false;
		e->ndirty = 0;
		lbe_clear_changes(e);
		return 0;
	}
	rc = lbe_store_begin(e->store);
	for (i = 0; i < e->nchanges && !rc; i++) {
		struct lb_change *c = &e->changes[i];
		struct lb_store_object o;

		if (c->deleted) {
			rc = lbe_store_del_object(e->store, c->kind, c->key);
			if (!rc && c->kind == LB_KIND_SERVICE)
				rc = lbe_store_put_holdings(e->store, c->key,
							   NULL, 0, 0);
			if (!rc && c->kind == LB_KIND_POOL)
				rc = lbe_store_del_pool_state(e->store, c->key);
			continue;
		}
		if (!lbe_record(e, c->kind, c->key, &o, &sc))
			continue;
		rc = lbe_store_put_object(e->store, &o);
	}
	free(sc);
	for (i = 0; i < e->ndirty; i++)
		put_holdings(e, e->dirty[i], &rc);
	for (i = 0; i < e->npools && !rc; i++)
		rc = lbe_store_put_pool_state(e->store, e->pools[i]->name,
					     e->pools[i]->conflicting,
					     e->pools[i]->conflict_msg);
	if (!rc)
		rc = lbe_store_set_meta(e->store, "last_stamp", e->last_stamp);
	if (!rc)
		rc = lbe_store_set_meta(e->store, "resource_version",
				       (int64_t)e->rv);
	if (!rc)
		rc = lbe_store_commit(e->store);
	if (rc) {
		lbe_log(e, LB_LOG_ERROR,
		       "Database update failed, reloading last committed state",
		       "error", lbe_store_errmsg(e->store), NULL);
		lbe_store_rollback(e->store);
		lbe_free_state(e);
		lbe_load(e);
		return -EIO;
	}
	for (i = 0; i < e->ndirty; i++)
		e->dirty[i]->dirty = false;
	e->ndirty = 0;
	lbe_clear_changes(e);
	return 0;
}

struct load_ctx {
	struct lb_engine *e;
	int bad;
	/* Objects stored without a resourceVersion (an older database). */
	struct lb_change *fresh;
	size_t nfresh, capfresh;
};

/* The stored bookkeeping of an object just loaded. */
static void load_objstat(struct load_ctx *lc, const struct lb_store_object *so)
{
	struct lb_objstat *st = lbe_objstat(lc->e, so->kind, so->key);
	size_t i;

	if (!st)
		return;
	if (!so->resource_version) {
		LB_GROW(lc->fresh, lc->nfresh, lc->capfresh);
		lc->fresh[lc->nfresh].kind = so->kind;
		lc->fresh[lc->nfresh++].key = lb_xstrdup(so->key);
		return;
	}
	st->rv = so->resource_version;
	if (st->rv > lc->e->rv)
		lc->e->rv = st->rv;
	st->status_hash = so->status_hash;
	lbe_objstat_free(st);
	st->conds = lb_xcalloc(so->n_conditions + 1, sizeof(*st->conds));
	for (i = 0; i < so->n_conditions; i++) {
		st->conds[i].type = lb_xstrdup(so->conditions[i].type);
		st->conds[i].status = lb_xstrdup(so->conditions[i].status);
		st->conds[i].ltt = so->conditions[i].last_transition;
		st->conds[i].gen = so->conditions[i].observed_generation;
	}
	st->nconds = so->n_conditions;
}

static int load_object(const struct lb_store_object *so, void *arg)
{
	struct load_ctx *lc = arg;
	struct lb_engine *e = lc->e;
	struct lb_diags d = { 0 };
	struct lb_doc *docs;
	size_t n;

	lbe_yaml_load(e, "<database>", so->doc, strlen(so->doc), &docs, &n,
		     &d);
	if (d.n || n != 1 || (int)docs[0].kind != so->kind ||
	    strcmp(docs[0].key, so->key)) {
		lbe_log(e, LB_LOG_ERROR, "Stored object no longer loads, dropped",
		       "name", so->key, NULL);
		lc->bad++;
	} else {
		lbe_upsert(e, &docs[0], so->created, so->generation);
		load_objstat(lc, so);
	}
	lbe_docs_free(docs, n);
	lbe_diags_free(&d);
	return 0;
}

static int load_pool_state(const char *name, bool conflicting,
			   const char *msg, void *arg)
{
	struct load_ctx *lc = arg;
	struct lb_pool *p = lbe_pool(lc->e, name);

	if (p && conflicting) {
		p->conflicting = true;
		p->conflict_msg = lb_xstrdup(msg);
	}
	return 0;
}

static int load_svc_state(const char *svc, int revoked, void *arg)
{
	struct load_ctx *lc = arg;
	struct lb_service *s = lbe_service(lc->e, svc);

	if (s)
		s->revoked = (uint8_t)revoked;
	return 0;
}

static int load_holding(const char *svc, const char *ip, void *arg)
{
	struct load_ctx *lc = arg;
	struct lb_service *s = lbe_service(lc->e, svc);
	struct lb_holding *h;
	struct lb_addr a;

	if (!s || lbe_addr_parse(ip, &a)) {
		lc->bad++;
		return 0;
	}
	h = lbe_hold_find(lc->e, &a);
	if (h && lbe_holding_has(h, s))
		return 0;
	lbe_hold_add(lc->e, s, &a);
	return 0;
}

static int change_object(const struct lb_store_object *so, void *arg)
{
	struct load_ctx *lc = arg;

	if (so->doc)
		return load_object(so, arg);
	lbe_remove(lc->e, (enum lb_kind)so->kind, so->key);
	return 0;
}

static int change_svc_state(const char *svc, int revoked, void *arg)
{
	struct load_ctx *lc = arg;
	struct lb_service *s = lbe_service(lc->e, svc);

	if (s) {
		lbe_hold_release_all(lc->e, s);
		s->revoked = (uint8_t)revoked;
		/* Its LB IPs, as the kernel sees them, are the stored ones. */
		lbe_view_changed_svc(lc->e, s);
	}
	return 0;
}

static int change_pool_state(const char *name, bool conflicting,
			     const char *msg, void *arg)
{
	struct load_ctx *lc = arg;
	struct lb_pool *p = lbe_pool(lc->e, name);

	if (!p)
		return 0;
	free(p->conflict_msg);
	p->conflict_msg = conflicting ? lb_xstrdup(msg) : NULL;
	p->conflicting = conflicting;
	return 0;
}

/* What lbe_load does after reading, for what it read (*lc). */
static int load_done(struct lb_engine *e, struct load_ctx *lc, int rc)
{
	struct lb_service *s;
	size_t it = 0, i;

	lbe_clear_changes(e);
	for (i = 0; i < e->ndirty; i++)
		e->dirty[i]->dirty = false;
	e->ndirty = 0;
	/* Their new resourceVersion must reach the database. */
	for (i = 0; i < lc->nfresh; i++) {
		lbe_note_change(e, lc->fresh[i].kind, lc->fresh[i].key,
				      false);
		free(lc->fresh[i].key);
	}
	free(lc->fresh);
	/* Rows that no longer load are rewritten from what did. */
	while (lc->bad && (s = lbe_htab_next(&e->svcs, &it)))
		lbe_mark_dirty(e, s);
	if (rc)
		return rc;
	lbe_reconcile(e);
	return 0;
}

/* How a load takes each kind of row: all of them, or only changes. */
struct load_cbs {
	int (*object)(const struct lb_store_object *so, void *arg);
	int (*pool_state)(const char *name, bool conflicting, const char *msg,
			  void *arg);
	int (*svc_state)(const char *svc, int revoked, void *arg);
};

static int load_with(struct lb_engine *e, const struct load_cbs *cb)
{
	struct load_ctx lc = { .e = e };
	int64_t v;
	int rc;

	if (!lbe_store_get_meta(e->store, "last_stamp", &v))
		e->last_stamp = v;
	/* Never back: a reload after a failed commit keeps counting on. */
	if (!lbe_store_get_meta(e->store, "resource_version", &v) &&
	    (uint64_t)v > e->rv)
		e->rv = (uint64_t)v;
	rc = lbe_store_each_object(e->store, cb->object, &lc);
	if (!rc)
		rc = lbe_store_each_pool_state(e->store, cb->pool_state, &lc);
	if (!rc)
		rc = lbe_store_each_svc_state(e->store, cb->svc_state, &lc);
	if (!rc) {
		lbe_sort_services(e);
		rc = lbe_store_each_holding(e->store, load_holding, &lc);
	}
	return load_done(e, &lc, rc);
}

/*
 * Rebuild memory from the database: objects, conflict flags, then the
 * holdings exactly as stored.  The reconcile that follows only drops what
 * the current rules reject, so a clean shutdown or a crash both come back
 * to the committed allocation.
 */
int lbe_load(struct lb_engine *e)
{
	static const struct load_cbs all = {
		load_object, load_pool_state, load_svc_state,
	};

	return load_with(e, &all);
}

/*
 * Memory brought forward by a store whose iterators show only what
 * changed (cluster mode's, lbe_store_etcd_changes()): deleted objects
 * come without a doc, and every Service whose holdings changed comes
 * through each_svc_state, its holdings then replaced by the stored ones.
 */
int lbe_load_changes(struct lb_engine *e)
{
	static const struct load_cbs changes = {
		change_object, change_pool_state, change_svc_state,
	};

	return load_with(e, &changes);
}
