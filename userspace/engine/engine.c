// SPDX-License-Identifier: GPL-2.0
/*
 * The engine object: open/close, apply and delete of documents, and the
 * lookup tables and first-come order of pools and Services.
 */
#include "engine_int.h"
#include "holding.h"
#include "store.h"
#include "yaml_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct lb_htab_ops svc_ops =
	LB_HTAB_STR_OPS(struct lb_service, key);
static const struct lb_htab_ops eps_ops = LB_HTAB_STR_OPS(struct lb_eps, key);

static void eps_free(struct lb_eps *x)
{
	if (!x)
		return;
	free(x->ns);
	free(x->name);
	free(x->key);
	free(x->doc);
	lbe_objstat_free(&x->st);
	lbe_eps_spec_free(&x->spec);
	free(x);
}

struct lb_pool *lbe_pool(struct lb_engine *e, const char *name)
{
	size_t lo = 0, hi = e->npools;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(e->pools[mid]->name, name);

		if (!c)
			return e->pools[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct lb_service *lbe_service(struct lb_engine *e, const char *key)
{
	return lbe_htab_get(&e->svcs, key);
}

static int cmp_age_ptr(const void *a, const void *b)
{
	return lbe_service_cmp_age(*(struct lb_service *const *)a,
				  *(struct lb_service *const *)b);
}

void lbe_sort_services(struct lb_engine *e)
{
	struct lb_service *s;
	size_t it = 0, i;

	if (!e->order_stale)
		return;
	if (e->nsvcs + 1 > e->caporder) {
		e->caporder = e->nsvcs + 1;
		e->order = lb_xrealloc(e->order,
				       e->caporder * sizeof(*e->order));
	}
	e->norder = 0;
	while ((s = lbe_htab_next(&e->svcs, &it)))
		e->order[e->norder++] = s;
	qsort(e->order, e->norder, sizeof(*e->order), cmp_age_ptr);
	for (i = 0; i < e->norder; i++)
		e->order[i]->rank = i;
	e->order_stale = false;
}

/*
 * New services are usually the newest, so the first-come order is kept by
 * appending instead of re-sorting on every call.
 */
void lbe_order_add(struct lb_engine *e, struct lb_service *s)
{
	if (e->order_stale || (e->norder &&
			       lbe_service_cmp_age(e->order[e->norder - 1], s) > 0)) {
		e->order_stale = true;
		return;
	}
	LB_GROW(e->order, e->norder, e->caporder);
	s->rank = e->norder;
	e->order[e->norder++] = s;
}

void lbe_order_del(struct lb_engine *e, struct lb_service *s)
{
	size_t i;

	if (e->order_stale || s->rank >= e->norder || e->order[s->rank] != s) {
		e->order_stale = true;
		return;
	}
	memmove(&e->order[s->rank], &e->order[s->rank + 1],
		(e->norder - s->rank - 1) * sizeof(e->order[0]));
	e->norder--;
	for (i = s->rank; i < e->norder; i++)
		e->order[i]->rank = i;
}

void lbe_enqueue(struct lb_engine *e, struct lb_service *s)
{
	if (s->queued)
		return;
	LB_GROW(e->work, e->nwork, e->capwork);
	e->work[e->nwork++] = s;
	s->queued = true;
}

void lbe_mark_dirty(struct lb_engine *e, struct lb_service *s)
{
	/* Holdings moved: the Service's LB IPs in the kernel too. */
	lbe_view_changed_svc(e, s);
	lbe_status_touch(e, s);
	if (s->dirty)
		return;
	LB_GROW(e->dirty, e->ndirty, e->capdirty);
	e->dirty[e->ndirty++] = s;
	s->dirty = true;
}

static void drop_from(struct lb_service **v, size_t *n, struct lb_service *s)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (v[i] == s) {
			v[i] = v[--*n];
			return;
		}
	}
}

/*
 * Objects created by one call share a creation time, as objects of one
 * kubectl apply share a creationTimestamp second; later calls are
 * strictly newer even with a coarse or frozen clock.
 */
static int64_t stamp(struct lb_engine *e)
{
	struct timespec ts;
	int64_t now;

	if (e->call_stamp)
		return e->call_stamp;
	if (e->cfg.clock) {
		now = e->cfg.clock(e->cfg.clock_arg);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	if (now <= e->last_stamp)
		now = e->last_stamp + 1;
	e->last_stamp = now;
	e->call_stamp = now;
	return now;
}

static void insert_pool(struct lb_engine *e, struct lb_pool *p)
{
	size_t i;

	LB_GROW(e->pools, e->npools, e->cappools);
	for (i = e->npools; i > 0; i--) {
		if (strcmp(e->pools[i - 1]->name, p->name) < 0)
			break;
		e->pools[i] = e->pools[i - 1];
	}
	e->pools[i] = p;
	e->npools++;
}

/*
 * A new object's creation stamp and first generation: the store's on a
 * reload, else the document's, else now and 1; its spec's fingerprint and
 * a first resourceVersion.
 */
static void stamp_new(struct lb_engine *e, const struct lb_doc *o,
		      int64_t created, uint64_t generation, int64_t *c,
		      uint64_t *g, struct lb_objstat *st)
{
	*c = created ? created : o->created ? o->created : stamp(e);
	*g = generation ? generation : 1;
	st->spec_hash = o->spec_hash;
	lbe_rv_bump(e, st);
}

/* A new namespaced object's names, copied from its document's. */
static void name_new(const struct lb_doc *o, char **ns, char **name,
		     char **key)
{
	*ns = lb_xstrdup(o->ns);
	*name = lb_xstrdup(o->name);
	*key = lb_xstrdup(o->key);
}

/* The object's document becomes o's text (taken from o). */
static void take_doc(char **doc, struct lb_doc *o)
{
	free(*doc);
	*doc = o->text;
	o->text = NULL;
}

static bool upsert_pool(struct lb_engine *e, struct lb_doc *o, int64_t created,
			uint64_t generation)
{
	struct lb_pool *p = lbe_pool(e, o->key);

	if (p && !strcmp(p->doc, o->text))
		return false;
	if (!p) {
		p = lb_xcalloc(1, sizeof(*p));
		p->name = lb_xstrdup(o->name);
		stamp_new(e, o, created, generation, &p->created,
			  &p->generation, &p->st);
		insert_pool(e, p);
	} else {
		lbe_spec_changed(e, &p->st, o->spec_hash, &p->generation);
		lbe_pool_spec_free(&p->spec);
	}
	p->spec = o->pool;
	memset(&o->pool, 0, sizeof(o->pool));
	take_doc(&p->doc, o);
	lbe_pool_count_static(p);
	e->pools_dirty = true;
	return true;
}

/* Co-holders of s's IPs must re-check their compatibility with s. */
static void recheck_coholders(struct lb_engine *e, struct lb_service *s)
{
	size_t i, j;

	for (i = 0; i < s->nheld; i++) {
		for (j = 0; j < s->held[i]->n; j++) {
			struct lb_service *co = s->held[i]->holders[j];

			co->check = true;
			lbe_enqueue(e, co);
		}
	}
}

static bool upsert_service(struct lb_engine *e, struct lb_doc *o,
			   int64_t created, uint64_t generation)
{
	struct lb_service *s = lbe_service(e, o->key);

	if (s && !strcmp(s->doc, o->text))
		return false;
	if (!s) {
		s = lb_xcalloc(1, sizeof(*s));
		name_new(o, &s->ns, &s->name, &s->key);
		stamp_new(e, o, created, generation, &s->created,
			  &s->generation, &s->st);
		lbe_htab_add(&e->svcs, s);
		e->nsvcs++;
		lbe_order_add(e, s);
	} else {
		lbe_spec_changed(e, &s->st, o->spec_hash, &s->generation);
		lbe_svc_spec_free(&s->spec);
		recheck_coholders(e, s);
	}
	s->check = true;
	lbe_view_changed_svc(e, s);
	lbe_enqueue(e, s);
	lbe_status_touch(e, s);
	if (s->revoked) {
		s->revoked = 0;
		lbe_mark_dirty(e, s);
	}
	s->spec = o->svc;
	memset(&o->svc, 0, sizeof(o->svc));
	take_doc(&s->doc, o);
	return true;
}

static bool upsert_eps(struct lb_engine *e, struct lb_doc *o, int64_t created,
		       uint64_t generation)
{
	struct lb_eps *x = lbe_htab_get(&e->eps, o->key);

	if (x && !strcmp(x->doc, o->text))
		return false;
	if (!x) {
		x = lb_xcalloc(1, sizeof(*x));
		name_new(o, &x->ns, &x->name, &x->key);
		stamp_new(e, o, created, generation, &x->created,
			  &x->generation, &x->st);
		lbe_htab_add(&e->eps, x);
	} else {
		lbe_spec_changed(e, &x->st, o->spec_hash, &x->generation);
		lbe_eps_index_del(e, x);
		lbe_eps_spec_free(&x->spec);
	}
	x->spec = o->eps;
	memset(&o->eps, 0, sizeof(o->eps));
	take_doc(&x->doc, o);
	lbe_eps_index_add(e, x);
	return true;
}

/* Cluster-scoped kinds (L2 policies, Nodes, BGP objects); see engine_int.h. */
struct lb_named *lbe_upsert_named(struct lb_engine *e,
				  struct lb_named_set *set, size_t size,
				  struct lb_doc *o, int64_t created,
				  uint64_t generation, bool *fresh)
{
	struct lb_named *x = lbe_named_find(set, o->name);

	*fresh = !x;
	if (x && !strcmp(x->doc, o->text))
		return NULL;
	if (!x) {
		/* size: the whole object, which begins with its lb_named */
		x = lb_xcalloc(1, size);
		x->name = lb_xstrdup(o->name);
		stamp_new(e, o, created, generation, &x->created,
			  &x->generation, &x->st);
		lbe_named_insert(set, x);
	} else {
		lbe_spec_changed(e, &x->st, o->spec_hash, &x->generation);
	}
	take_doc(&x->doc, o);
	return x;
}

/* An L2 announcement policy or a Node: either changes every announcement. */
static bool upsert_l2(struct lb_engine *e, struct lb_doc *o, int64_t created,
		      uint64_t generation)
{
	bool node = o->kind == LB_KIND_NODE, fresh;
	struct lb_named *x = lbe_upsert_named(e, node ? &e->nodes : &e->l2pols,
			node ? sizeof(struct lb_node) : sizeof(struct lb_l2pol),
			o, created, generation, &fresh);
	struct lb_l2pol *p = (struct lb_l2pol *)x;
	struct lb_node *n = (struct lb_node *)x;

	if (!x)
		return false;
	e->l2_changed_all = true;
	if (node) {
		/* Its labels choose the node's BGP cluster configs. */
		e->bgp_changed = true;
		if (!fresh) {
			lbe_labels_free(&n->labels);
			lbe_node_addrs_free(&n->addrs);
		}
		n->labels = o->node_labels;
		memset(&o->node_labels, 0, sizeof(o->node_labels));
		n->addrs = o->node_addrs;
		memset(&o->node_addrs, 0, sizeof(o->node_addrs));
		n->leaving = o->node_leaving;
		lbe_nodeipam_nodes_changed(e);
	} else {
		if (!fresh)
			lbe_l2pol_spec_free(&p->spec);
		p->spec = o->l2;
		memset(&o->l2, 0, sizeof(o->l2));
	}
	return true;
}

/* Moves the parsed spec out of o.  Returns false if nothing changed. */
bool lbe_upsert(struct lb_engine *e, struct lb_doc *o, int64_t created,
		      uint64_t generation)
{
	switch (o->kind) {
	case LB_KIND_POOL:
		return upsert_pool(e, o, created, generation);
	case LB_KIND_SERVICE:
		return upsert_service(e, o, created, generation);
	case LB_KIND_ENDPOINTSLICE:
		return upsert_eps(e, o, created, generation);
	case LB_KIND_L2POLICY:
	case LB_KIND_NODE:
		return upsert_l2(e, o, created, generation);
	case LB_KIND_BGP_CLUSTER:
	case LB_KIND_BGP_PEER:
	case LB_KIND_BGP_ADVERT:
		return lbe_bgp_upsert(e, o, created, generation);
	}
	return false;
}

static void remove_pool(struct lb_engine *e, struct lb_pool *p)
{
	struct lb_holding *h;
	size_t i, it = 0;

	/* Deleting the pool forces a full recount; just forget it here. */
	while ((h = lbe_htab_next(&e->holdings, &it)))
		if (h->pool == p)
			h->pool = NULL;
	for (i = 0; i < e->npools; i++)
		if (e->pools[i] == p)
			break;
	memmove(&e->pools[i], &e->pools[i + 1],
		(e->npools - i - 1) * sizeof(e->pools[0]));
	e->npools--;
	lbe_pool_free(p);
	e->pools_dirty = true;
}

static void remove_service(struct lb_engine *e, struct lb_service *s)
{
	char ip[LB_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < s->nheld; i++)
		lbe_event(e, false, "IPReleased", LB_KIND_SERVICE, s->key,
			 "Released IP %s (reason: service deleted)",
			 lbe_addr_fmt(&s->held[i]->addr, ip));
	lbe_view_changed(e, s->key);
	lbe_hold_release_all(e, s);
	lbe_status_untouch(e, s);
	if (s->queued)
		drop_from(e->work, &e->nwork, s);
	if (s->dirty)
		drop_from(e->dirty, &e->ndirty, s);
	lbe_order_del(e, s);
	lbe_htab_del(&e->svcs, s->key);
	e->nsvcs--;
	lbe_service_free(s);
}

static void named_free(struct lb_named *x, bool node)
{
	if (node)
		lbe_node_free((struct lb_node *)x);
	else
		lbe_l2pol_free((struct lb_l2pol *)x);
}

static void free_named(struct lb_named_set *set, bool nodes)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		named_free(set->v[i], nodes);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

static int remove_l2(struct lb_engine *e, bool node, const char *key)
{
	struct lb_named_set *set = node ? &e->nodes : &e->l2pols;
	struct lb_named *x = lbe_named_find(set, key);

	if (!x)
		return -ENOENT;
	lbe_named_remove(set, x);
	named_free(x, node);
	e->l2_changed_all = true;
	if (node)
		lbe_nodeipam_nodes_changed(e);
	e->bgp_changed |= node;
	return 0;
}

/* The empty tables of a new engine or of one about to reload. */
static void init_tables(struct lb_engine *e)
{
	lbe_htab_init(&e->svcs, &svc_ops);
	lbe_htab_init(&e->eps, &eps_ops);
	lbe_eps_index_init(e);
	lbe_holdings_init(e);
}

void lbe_free_state(struct lb_engine *e)
{
	struct lb_service *s;
	struct lb_eps *x;
	size_t i, it = 0;

	free_named(&e->l2pols, false);
	free_named(&e->nodes, true);
	e->l2_changed_all = true;
	lbe_bgp_free_all(e);

	lbe_holdings_free(e);
	while ((s = lbe_htab_next(&e->svcs, &it)))
		lbe_service_free(s);
	lbe_htab_free(&e->svcs);
	it = 0;
	while ((x = lbe_htab_next(&e->eps, &it)))
		eps_free(x);
	lbe_htab_free(&e->eps);
	lbe_eps_index_free(e);
	/* Whatever comes back (a reload) is news to every reader. */
	e->changed_all = true;
	for (i = 0; i < e->npools; i++)
		lbe_pool_free(e->pools[i]);
	free(e->pools);
	e->pools = NULL;
	e->npools = e->cappools = 0;
	free(e->order);
	e->order = NULL;
	e->norder = e->nsvcs = e->caporder = 0;
	e->order_stale = true;
	e->pools_dirty = true;
	free(e->work);
	e->work = NULL;
	e->nwork = e->capwork = 0;
	free(e->dirty);
	e->dirty = NULL;
	e->ndirty = e->capdirty = 0;
	free(e->statq);
	e->statq = NULL;
	e->nstatq = e->capstatq = 0;
	lbe_clear_changes(e);
	init_tables(e);
}

char *lbe_key(enum lb_kind kind, const char *ns, const char *name)
{
	if (!lb_kind_namespaced(kind))
		return lb_xstrdup(name);
	return lb_xasprintf("%s/%s", ns && *ns ? ns : "default", name);
}

const char *lbe_object_text(struct lb_engine *e, enum lb_kind kind,
				  const char *ns, const char *name)
{
	char *key = lbe_key(kind, ns, name);
	struct lb_store_object o;
	const char *doc;

	doc = lbe_record(e, kind, key, &o, NULL) ? o.doc : NULL;
	free(key);
	return doc;
}

bool lbe_exists(struct lb_engine *e, enum lb_kind kind, const char *ns,
		      const char *name)
{
	return lbe_object_text(e, kind, ns, name) != NULL;
}

/* Forgets one object (key: pool name or "ns/name"); -ENOENT if absent. */
int lbe_remove(struct lb_engine *e, enum lb_kind kind, const char *key)
{
	struct lb_service *s;
	struct lb_pool *p;
	struct lb_eps *x;

	switch (kind) {
	case LB_KIND_POOL:
		p = lbe_pool(e, key);
		if (!p)
			return -ENOENT;
		remove_pool(e, p);
		return 0;
	case LB_KIND_SERVICE:
		s = lbe_service(e, key);
		if (!s)
			return -ENOENT;
		remove_service(e, s);
		return 0;
	case LB_KIND_ENDPOINTSLICE:
		x = lbe_htab_del(&e->eps, key);
		if (!x)
			return -ENOENT;
		lbe_eps_index_del(e, x);
		eps_free(x);
		return 0;
	case LB_KIND_L2POLICY:
	case LB_KIND_NODE:
		return remove_l2(e, kind == LB_KIND_NODE, key);
	case LB_KIND_BGP_CLUSTER:
	case LB_KIND_BGP_PEER:
	case LB_KIND_BGP_ADVERT:
		return lbe_bgp_remove(e, kind, key);
	}
	return -ENOENT;
}

int lbe_open(const struct lb_engine_config *cfg, struct lb_engine **out,
		   char **err)
{
	struct lb_engine *e = lb_xcalloc(1, sizeof(*e));
	size_t n = 0;
	int rc;

	*out = NULL;
	if (err)
		*err = NULL;
	if (cfg)
		e->cfg = *cfg;
	e->cfg.db_path = NULL;
	e->cfg.store = NULL;
	if (cfg && cfg->lb_classes) {
		while (cfg->lb_classes[n])
			n++;
		e->classes = lb_xcalloc(n + 1, sizeof(char *));
		for (e->nclasses = 0; e->nclasses < n; e->nclasses++)
			e->classes[e->nclasses] =
				lb_xstrdup(cfg->lb_classes[e->nclasses]);
	}
	e->cfg.lb_classes = NULL;
	init_tables(e);
	lbe_events_init(e);
	e->order_stale = true;
	e->changed_all = true;
	if (cfg && cfg->store) {
		e->store = cfg->store;
		rc = lbe_load(e);
		if (rc) {
			if (err && !*err)
				*err = lb_xasprintf("cannot load state: %s",
						    lbe_store_errmsg(e->store));
			goto fail;
		}
	} else if (cfg && cfg->db_path) {
		rc = lbe_store_open(cfg->db_path, &e->store, err);
		if (rc)
			goto fail;
		rc = lbe_load(e);
		if (!rc)
			rc = lbe_persist(e);
		if (rc) {
			if (err && !*err)
				*err = lb_xasprintf("%s: cannot load state: %s",
						    cfg->db_path,
						    lbe_store_errmsg(e->store));
			goto fail;
		}
	}
	*out = e;
	return 0;
fail:
	lbe_close(e);
	return rc;
}

void lbe_close(struct lb_engine *e)
{
	size_t i;

	if (!e)
		return;
	lbe_free_state(e);
	lbe_holdings_free(e);
	lbe_htab_free(&e->svcs);
	lbe_htab_free(&e->eps);
	lbe_eps_index_free(e);
	lbe_changed_clear(e);
	lbe_events_free(e);
	free(e->changed);
	free(e->changes);
	for (i = 0; i < e->nclasses; i++)
		free(e->classes[i]);
	free(e->classes);
	lbe_store_close(e->store);
	free(e);
}

int lbe_reload(struct lb_engine *e, bool save)
{
	int rc;

	if (!e->store)
		return 0;
	lbe_free_state(e);
	rc = lbe_load(e);
	e->changed_all = true;
	if (!rc && save)
		rc = lbe_persist(e);
	return rc;
}

int lbe_reload_changes(struct lb_engine *e)
{
	int rc;

	if (!e->store)
		return 0;
	/* What changed in the kernel's view is tracked as for an apply. */
	rc = lbe_load_changes(e);
	if (rc)
		e->changed_all = true;
	return rc;
}

uint64_t lbe_state_seq(const struct lb_engine *e)
{
	return e->state_seq;
}
