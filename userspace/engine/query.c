// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only views for callers: pools, Services and EndpointSlices with
 * their conditions, counts and held IPs, passed to callbacks.
 */
#include "engine_int.h"
#include "holding.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOND 6

static int emit_pool(struct lb_pool *p, lb_pool_cb cb, void *arg)
{
	struct lb_condition cond[NCOND];
	struct lb_block_info *bi;
	struct lb_strbuf bad = { 0 };
	struct lb_pool_info pi = {
		.name = p->name,
		.api_version = p->spec.api_version,
		.created = p->created,
		.generation = p->generation,
		.resource_version = p->st.rv,
		.priority = p->spec.priority,
		.disabled = p->spec.disabled,
		.conflicting = p->conflicting,
		.allow_first_last = p->spec.allow_first_last,
		.conditions = cond,
		.n_conditions = NCOND,
		.n_blocks = p->spec.nblocks,
	};
	char (*ranges)[LB_RANGE_STRLEN];
	size_t i;
	int rc;

	lbe_pool_counts(p, 0, &pi.all);
	lbe_pool_counts(p, 4, &pi.v4);
	lbe_pool_counts(p, 6, &pi.v6);
	bi = lb_xcalloc(p->spec.nblocks + 1, sizeof(*bi));
	ranges = lb_xcalloc(p->spec.nblocks + 1, sizeof(*ranges));
	for (i = 0; i < p->spec.nblocks; i++) {
		struct lb_block *b = &p->spec.blocks[i];

		bi[i].spec = b->spec;
		bi[i].valid = b->valid;
		bi[i].error = b->error ? b->error : "";
		bi[i].range = b->valid ? lbe_range_fmt(&b->r, ranges[i]) : "";
		if (!b->valid)
			lbe_sb_printf(&bad, "%sblocks[%zu]: %s",
				     bad.len ? "; " : "", i, b->error);
	}
	for (i = 0; i < p->spec.nproblems; i++)
		lbe_sb_printf(&bad, "%s%s", bad.len ? "; " : "",
			     p->spec.problems[i]);
	pi.blocks = bi;
	for (i = 0; i < NCOND; i++) {
		cond[i].observed_generation = p->generation;
		cond[i].status = "Unknown";
		cond[i].reason = "noreason";
	}
	cond[0].type = "cilium.io/IPsTotal";
	cond[0].message = pi.all.total;
	cond[1].type = "cilium.io/IPsAvailable";
	cond[1].message = pi.all.available;
	cond[2].type = "cilium.io/IPsUsed";
	cond[2].message = pi.all.used;
	cond[3].type = "cilium.io/PoolConflict";
	cond[3].status = p->conflicting ? "True" : "False";
	cond[3].reason = p->conflicting ? "cidr_overlap" : "resolved";
	cond[3].message = p->conflicting ? p->conflict_msg : "";
	cond[4].type = "lbipam.io/IPsReserved";
	cond[4].message = pi.all.reserved;
	cond[5].type = "lbipam.io/InvalidBlocks";
	cond[5].status = bad.len ? "True" : "False";
	cond[5].reason = bad.len ? "invalid_blocks" : "valid";
	cond[5].message = bad.len ? bad.s : "";
	lbe_status_fill(&p->st, cond, NCOND);
	rc = cb(&pi, arg);
	lbe_sb_free(&bad);
	free(bi);
	free(ranges);
	return rc;
}

int lbe_foreach_pool(struct lb_engine *e, lb_pool_cb cb, void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < e->npools; i++) {
		rc = emit_pool(e->pools[i], cb, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int lbe_get_pool(struct lb_engine *e, const char *name, lb_pool_cb cb,
		       void *arg)
{
	struct lb_pool *p = lbe_pool(e, name);

	return p ? emit_pool(p, cb, arg) : -ENOENT;
}

/* What status.loadBalancer.ingress says: held IPs or node addresses. */
static size_t ingress(struct lb_engine *e, const struct lb_service *s,
		      struct lb_addr **v)
{
	size_t i;

	if (lbe_nodeipam_serves(e, s))
		return lbe_nodeipam_ips(e, s, v);
	*v = lb_xcalloc(s->nheld + 1, sizeof(**v));
	for (i = 0; i < s->nheld; i++)
		(*v)[i] = s->held[i]->addr;
	return s->nheld;
}

static int emit_service(struct lb_engine *e, struct lb_service *s,
			lb_service_cb cb, void *arg)
{
	struct lb_service_info si = {
		.ns = s->ns,
		.name = s->name,
		.created = s->created,
		.generation = s->generation,
		.resource_version = s->st.rv,
		.managed = s->managed,
		.sharing_key = s->spec.sharing_key,
		.etp_local = s->spec.etp_local,
		.revoked = s->revoked,
		.node_ipam = lbe_nodeipam_serves(e, s),
		.n_ports = s->spec.nports,
		.has_condition = s->cond != LB_COND_NONE,
	};
	struct lb_addr *in;
	size_t i, n = ingress(e, s, &in);
	char (*buf)[LB_ADDR_STRLEN] = lb_xmalloc((n + 1) * sizeof(*buf));
	const char **ips = lb_xmalloc((n + 1) * sizeof(*ips));
	struct lb_port_info *ports = lb_xcalloc(s->spec.nports + 1,
						sizeof(*ports));
	int rc;

	for (i = 0; i < n; i++)
		ips[i] = lbe_addr_fmt(&in[i], buf[i]);
	free(in);
	si.n_ips = n;
	for (i = 0; i < s->spec.nports; i++) {
		ports[i].port = s->spec.ports[i].port;
		ports[i].protocol = lb_proto_k8s_name(s->spec.ports[i].proto);
		ports[i].name = s->spec.ports[i].name;
	}
	si.ips = ips;
	si.ports = ports;
	if (si.has_condition) {
		si.condition.type = LB_SVC_COND_TYPE;
		si.condition.status = s->cond == LB_COND_TRUE ? "True" :
								"False";
		si.condition.reason = s->cond_reason;
		si.condition.message = s->cond_msg;
		si.condition.observed_generation = s->generation;
		lbe_status_fill(&s->st, &si.condition, 1);
	}
	rc = cb(&si, arg);
	free(buf);
	free(ips);
	free(ports);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	const struct lb_service *x = *(struct lb_service *const *)a;
	const struct lb_service *y = *(struct lb_service *const *)b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

static struct lb_service **sorted_services(struct lb_engine *e)
{
	struct lb_service **v = lb_xmalloc((e->nsvcs + 1) * sizeof(*v));
	struct lb_service *s;
	size_t n = 0, it = 0;

	while ((s = lbe_htab_next(&e->svcs, &it)))
		v[n++] = s;
	qsort(v, n, sizeof(*v), cmp_name);
	return v;
}

int lbe_foreach_service(struct lb_engine *e, lb_service_cb cb,
			      void *arg)
{
	struct lb_service **v = sorted_services(e);
	size_t i;
	int rc = 0;

	for (i = 0; i < e->nsvcs && !rc; i++)
		rc = emit_service(e, v[i], cb, arg);
	free(v);
	return rc;
}

int lbe_get_service(struct lb_engine *e, const char *ns,
			  const char *name, lb_service_cb cb, void *arg)
{
	char *key = lbe_key(LB_KIND_SERVICE, ns, name);
	struct lb_service *s = lbe_service(e, key);

	free(key);
	return s ? emit_service(e, s, cb, arg) : -ENOENT;
}

struct ip_entry {
	struct lb_range r;
	enum lb_ip_owner owner;
	struct lb_holding *h;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct ip_entry *x = a, *y = b;
	int c = lbe_addr_cmp(&x->r.from, &y->r.from);

	if (c)
		return c;
	return (int)x->owner - (int)y->owner;
}

static void add_entry(struct ip_entry **v, size_t *n, size_t *cap,
		      const struct lb_range *r, enum lb_ip_owner o,
		      struct lb_holding *h)
{
	LB_GROW(*v, *n, *cap);
	(*v)[*n].r = *r;
	(*v)[*n].owner = o;
	(*v)[*n].h = h;
	(*n)++;
}

static int emit_pool_ips(struct lb_engine *e, struct lb_pool *p, lb_ip_cb cb,
			 void *arg)
{
	struct ip_entry *v = NULL;
	struct lb_holding *h;
	size_t n = 0, cap = 0, i, j, it = 0;
	int rc = 0;

	while ((h = lbe_htab_next(&e->holdings, &it))) {
		struct lb_range r = { h->addr, h->addr };

		if (h->pool == p)
			add_entry(&v, &n, &cap, &r, LB_OWNER_SERVICE, h);
	}
	for (i = 0; i < p->spec.nblocks; i++) {
		struct lb_block *b = &p->spec.blocks[i];
		struct lb_range ends[2] = { { b->r.from, b->r.from },
					    { b->r.to, b->r.to } };

		if (!lbe_block_reserves_ends(p, b))
			continue;
		for (j = 0; j < 2; j++)
			if (!lbe_hold_find(e, &ends[j].from) &&
			    lbe_pool_reserved(p, b, &ends[j].from) ==
			    LB_RES_FIRST_LAST)
				add_entry(&v, &n, &cap, &ends[j],
					  LB_OWNER_RESERVED_FIRST_LAST, NULL);
	}
	for (i = 0; i < p->spec.nreserved; i++)
		add_entry(&v, &n, &cap, &p->spec.reserved[i],
			  LB_OWNER_RESERVED, NULL);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_entry);
	for (i = 0; i < n && !rc; i++) {
		char a[LB_ADDR_STRLEN], b[LB_ADDR_STRLEN];
		char ip[2 * LB_ADDR_STRLEN + 2];
		struct lb_ip_info ii = {
			.pool = p->name,
			.ip = ip,
			.owner = v[i].owner,
		};
		const char **holders = NULL;

		lbe_addr_fmt(&v[i].r.from, a);
		if (lbe_addr_eq(&v[i].r.from, &v[i].r.to))
			strcpy(ip, a);
		else
			snprintf(ip, sizeof(ip), "%s-%s", a,
				 lbe_addr_fmt(&v[i].r.to, b));
		if (v[i].h) {
			h = v[i].h;
			holders = lb_xmalloc(h->n * sizeof(*holders));
			for (j = 0; j < h->n; j++)
				holders[j] = h->holders[j]->key;
			ii.n_holders = h->n;
			ii.holders = holders;
			ii.sharing_key = h->holders[0]->spec.sharing_key;
		}
		rc = cb(&ii, arg);
		free(holders);
	}
	free(v);
	return rc;
}

int lbe_foreach_pool_ip(struct lb_engine *e, const char *pool,
			      lb_ip_cb cb, void *arg)
{
	struct lb_pool *p;
	size_t i;
	int rc;

	if (pool) {
		p = lbe_pool(e, pool);
		return p ? emit_pool_ips(e, p, cb, arg) : -ENOENT;
	}
	for (i = 0; i < e->npools; i++) {
		rc = emit_pool_ips(e, e->pools[i], cb, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int lbe_foreach_holding(struct lb_engine *e, lb_holding_cb cb,
			      void *arg)
{
	struct lb_service **v = sorted_services(e);
	size_t i, j;
	int rc = 0;

	for (i = 0; i < e->nsvcs && !rc; i++) {
		struct lb_service *s = v[i];

		for (j = 0; j < s->nheld && !rc; j++) {
			char ip[LB_ADDR_STRLEN];
			struct lb_holding_info hi = {
				.ns = s->ns,
				.name = s->name,
				.ip = lbe_addr_fmt(&s->held[j]->addr, ip),
				.family = s->held[j]->addr.fam,
				.pool = s->held[j]->pool ?
					s->held[j]->pool->name : "",
			};

			rc = cb(&hi, arg);
		}
	}
	free(v);
	return rc;
}

static int dump_pool(const struct lb_pool_info *p, void *arg)
{
	struct lb_strbuf *b = arg;
	size_t i;

	lbe_sb_printf(b, "pool %s created=%lld gen=%llu prio=%lld disabled=%d conflicting=%d firstlast=%d\n",
		     p->name, (long long)p->created,
		     (unsigned long long)p->generation,
		     (long long)p->priority, p->disabled, p->conflicting,
		     p->allow_first_last);
	for (i = 0; i < p->n_blocks; i++)
		lbe_sb_printf(b, "  block '%s' valid=%d range='%s' error='%s'\n",
			     p->blocks[i].spec, p->blocks[i].valid,
			     p->blocks[i].range, p->blocks[i].error);
	for (i = 0; i < p->n_conditions; i++)
		lbe_sb_printf(b, "  cond %s %s %s '%s' gen=%llu\n",
			     p->conditions[i].type, p->conditions[i].status,
			     p->conditions[i].reason,
			     p->conditions[i].message,
			     (unsigned long long)
			     p->conditions[i].observed_generation);
	lbe_sb_printf(b, "  v4 %s/%s/%s/%s v6 %s/%s/%s/%s\n", p->v4.total,
		     p->v4.used, p->v4.available, p->v4.reserved,
		     p->v6.total, p->v6.used, p->v6.available,
		     p->v6.reserved);
	return 0;
}

static int dump_service(const struct lb_service_info *s, void *arg)
{
	struct lb_strbuf *b = arg;
	size_t i;

	lbe_sb_printf(b, "service %s/%s created=%lld gen=%llu managed=%d ips=",
		     s->ns, s->name, (long long)s->created,
		     (unsigned long long)s->generation, s->managed);
	for (i = 0; i < s->n_ips; i++)
		lbe_sb_printf(b, "%s%s", i ? "," : "", s->ips[i]);
	if (s->revoked)
		lbe_sb_printf(b, " revoked=%u", s->revoked);
	if (s->has_condition)
		lbe_sb_printf(b, " cond=%s/%s/'%s'", s->condition.status,
			     s->condition.reason, s->condition.message);
	lbe_sb_addc(b, '\n');
	return 0;
}

static int dump_ip(const struct lb_ip_info *ii, void *arg)
{
	struct lb_strbuf *b = arg;
	size_t i;

	lbe_sb_printf(b, "ip %s %s owner=%d key=%s holders=", ii->pool, ii->ip,
		     ii->owner, ii->sharing_key ? ii->sharing_key : "-");
	for (i = 0; i < ii->n_holders; i++)
		lbe_sb_printf(b, "%s%s", i ? "," : "", ii->holders[i]);
	lbe_sb_addc(b, '\n');
	return 0;
}

static int cmp_eps(const void *a, const void *b)
{
	return strcmp((*(struct lb_eps *const *)a)->key,
		      (*(struct lb_eps *const *)b)->key);
}

int lbe_foreach_backend(struct lb_engine *e, const char *ns,
			      const char *service, lb_backend_cb cb,
			      void *arg)
{
	struct lb_eps **v = NULL, *x;
	size_t n = 0, cap = 0, i, j, it = 0;
	int rc = 0;

	if (!ns)
		ns = "default";
	while ((x = lbe_htab_next(&e->eps, &it))) {
		if (strcmp(x->ns, ns) || !x->spec.service ||
		    strcmp(x->spec.service, service))
			continue;
		LB_GROW(v, n, cap);
		v[n++] = x;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_eps);
	for (i = 0; i < n && !rc; i++) {
		struct lb_port_info *pi = lb_xcalloc(v[i]->spec.nports + 1,
						     sizeof(*pi));

		for (j = 0; j < v[i]->spec.nports; j++) {
			pi[j].port = v[i]->spec.ports[j].port;
			pi[j].protocol = lb_proto_k8s_name(v[i]->spec.ports[j].proto);
			pi[j].name = v[i]->spec.ports[j].name;
		}
		for (j = 0; j < v[i]->spec.neps && !rc; j++) {
			char ip[LB_ADDR_STRLEN];
			struct lb_backend_info bi = {
				.slice = v[i]->name,
				.address = lbe_addr_fmt(&v[i]->spec.eps[j].addr,
						       ip),
				.ready = v[i]->spec.eps[j].ready,
				.n_ports = v[i]->spec.nports,
				.ports = pi,
			};

			rc = cb(&bi, arg);
		}
		free(pi);
	}
	free(v);
	return rc;
}

static void dump_eps(struct lb_engine *e, struct lb_strbuf *b)
{
	struct lb_eps **v = NULL, *x;
	size_t n = 0, cap = 0, i, it = 0;

	while ((x = lbe_htab_next(&e->eps, &it))) {
		LB_GROW(v, n, cap);
		v[n++] = x;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_eps);
	for (i = 0; i < n; i++)
		lbe_sb_printf(b, "endpointslice %s service=%s gen=%llu\n",
			     v[i]->key, v[i]->spec.service ? v[i]->spec.service : "",
			     (unsigned long long)v[i]->generation);
	free(v);
}

/* Policies and Nodes: what they are, not what a node makes of them. */
static void dump_l2(struct lb_engine *e, struct lb_strbuf *b)
{
	size_t i, j;

	for (i = 0; i < e->l2pols.n; i++) {
		const struct lb_l2pol *p = (const struct lb_l2pol *)e->l2pols.v[i];

		lbe_sb_printf(b, "l2policy %s gen=%llu lb=%d ext=%d ifaces=%zu",
			     p->o.name, (unsigned long long)p->o.generation,
			     p->spec.lb_ips, p->spec.external_ips,
			     p->spec.nifaces);
		for (j = 0; j < LB_L2P_COUNT; j++)
			if (p->spec.problem[j])
				lbe_sb_printf(b, " %s",
					     lbe_l2_problem_type((enum lb_l2_problem)j));
		lbe_sb_addc(b, '\n');
	}
	for (i = 0; i < e->nodes.n; i++) {
		const struct lb_node *n = (const struct lb_node *)e->nodes.v[i];

		lbe_sb_printf(b, "node %s gen=%llu", n->o.name,
			     (unsigned long long)n->o.generation);
		for (j = 0; j < n->labels.n; j++)
			lbe_sb_printf(b, " %s=%s", n->labels.kv[j].k,
				     n->labels.kv[j].v);
		for (j = 0; j < n->addrs.n; j++)
			lbe_sb_printf(b, " %s:%s",
				     lbe_node_addr_type_name(n->addrs.v[j].type),
				     n->addrs.v[j].text);
		lbe_sb_addc(b, '\n');
	}
}

char *lbe_dump(struct lb_engine *e)
{
	struct lb_strbuf b = { 0 };

	lbe_foreach_pool(e, dump_pool, &b);
	lbe_foreach_service(e, dump_service, &b);
	lbe_foreach_pool_ip(e, NULL, dump_ip, &b);
	dump_eps(e, &b);
	dump_l2(e, &b);
	return lbe_sb_steal(&b);
}

size_t lbe_count(const struct lb_engine *e, enum lb_kind kind)
{
	switch (kind) {
	case LB_KIND_POOL:
		return e->npools;
	case LB_KIND_SERVICE:
		return e->svcs.n;
	case LB_KIND_ENDPOINTSLICE:
		return e->eps.n;
	case LB_KIND_L2POLICY:
		return e->l2pols.n;
	case LB_KIND_NODE:
		return e->nodes.n;
	case LB_KIND_BGP_CLUSTER:
	case LB_KIND_BGP_PEER:
	case LB_KIND_BGP_ADVERT:
		return e->bgp[kind - LB_KIND_BGP_CLUSTER].n;
	default:
		return 0;
	}
}

void lbe_service_counts(struct lb_engine *e, size_t *matching,
			      size_t *unsatisfied)
{
	struct lb_service *s;
	size_t it = 0;

	*matching = *unsatisfied = 0;
	while ((s = lbe_htab_next(&e->svcs, &it))) {
		if (!s->managed)
			continue;
		(*matching)++;
		if (s->cond == LB_COND_FALSE)
			(*unsatisfied)++;
	}
}
