// SPDX-License-Identifier: GPL-2.0
/*
 * L2 announcements: which policies select a Service and this node, which
 * (address, interface) pairs follow, and the elector that says whether
 * this node is the one to announce.
 */
#include "engine_int.h"
#include "holding.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cilium's class for Services only the L2 announcer serves. */
#define L2_LB_CLASS	"io.cilium/l2-announcer"

static bool local_wins(struct lb_l2_elector *el, const char *ns,
		       const char *name, const char *node)
{
	(void)el;
	(void)ns;
	(void)name;
	(void)node;
	return true;
}

static const struct lb_l2_elector_ops local_ops = { .wins = local_wins };

struct lb_l2_elector lbe_l2_elector_local = { .ops = &local_ops };

static const char *const state_text[] = {
	[LB_L2_ANNOUNCED] = "announced by this node",
	[LB_L2_NO_ADDRESS] = "not announced: no load-balancer IP and no externalIPs",
	[LB_L2_OTHER_CLASS] = "not announced: its loadBalancerClass belongs to another controller",
	[LB_L2_NO_POLICY] = "not announced: no CiliumL2AnnouncementPolicy selects it",
	[LB_L2_NODE_NOT_SELECTED] = "not announced here: no policy selecting it selects this node",
	[LB_L2_NO_LOCAL_ENDPOINT] = "not announced here: externalTrafficPolicy Local and no ready endpoint on this node",
	[LB_L2_NO_INTERFACE] = "not announced here: no interface of this node matches the policies",
	[LB_L2_ELECTION_LOST] = "announced by another node",
};

const char *lbe_l2_state_text(enum lb_l2_state s)
{
	return (size_t)s < LB_ARRAY_SIZE(state_text) ? state_text[s] : "?";
}

void lbe_self_labels(struct lb_engine *e, const struct lb_l2_self *self,
		     struct lb_labels *out)
{
	const struct lb_node *n;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < self->n_labels; i++)
		lbe_labels_set(out, self->label_keys[i], self->label_values[i]);
	n = (const struct lb_node *)lbe_named_find(&e->nodes, self->name);
	for (i = 0; n && i < n->labels.n; i++)
		lbe_labels_set(out, n->labels.kv[i].k, n->labels.kv[i].v);
}

void lbe_svc_lb_ips(const struct lb_service *s, struct lb_addr **v,
		    size_t *n)
{
	size_t i;

	if (s->managed) {
		*v = lb_xcalloc(s->nheld + 1, sizeof(**v));
		for (i = 0; i < s->nheld; i++)
			(*v)[i] = s->held[i]->addr;
		*n = s->nheld;
		return;
	}
	*v = lb_xcalloc(s->spec.nhints + 1, sizeof(**v));
	if (s->spec.nhints)
		memcpy(*v, s->spec.hints, s->spec.nhints * sizeof(**v));
	*n = s->spec.nhints;
}

/* Does the policy select the Service, IP kinds included? */
static bool pol_takes(const struct lb_l2pol *p, const struct lb_service *s,
		      size_t nlb)
{
	if (lbe_l2pol_broken(&p->spec) ||
	    !lbe_selector_match(p->spec.svc_sel, &s->spec.labels))
		return false;
	return (p->spec.lb_ips && nlb) ||
	       (p->spec.external_ips && s->spec.next_ips);
}

/* Also Node IPAM's eTP Local rule: one rule for both, as in Cilium. */
bool lbe_local_endpoint(struct lb_engine *e, const struct lb_service *s,
			const char *node)
{
	struct lb_svc_eps *se = lbe_htab_get(&e->eps_by_svc, s->key);
	size_t i, j;

	for (i = 0; se && i < se->n; i++) {
		const struct lb_eps_spec *sp = &se->v[i]->spec;

		for (j = 0; j < sp->neps; j++)
			if (sp->eps[j].primary && sp->eps[j].ready &&
			    sp->eps[j].node && !strcmp(sp->eps[j].node, node))
				return true;
	}
	return false;
}

struct l2_eval {
	enum lb_l2_state state;
	const char **policies;
	size_t npol;
	struct lb_l2_pair *pairs;
	size_t npairs, cappairs;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct lb_l2_pair *x = a, *y = b;
	int c;

	if (x->ip.family != y->ip.family)
		return x->ip.family == AF_INET ? -1 : 1;
	c = memcmp(&x->ip.v6, &y->ip.v6, x->ip.family == AF_INET ? 4 : 16);
	if (c)
		return c;
	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static void add_pairs(struct l2_eval *ev, const struct lb_l2pol *p,
		      const struct lb_l2_self *self, const struct lb_addr *a,
		      size_t na)
{
	size_t i, j;

	for (j = 0; j < self->n_ifaces; j++) {
		if (!lbe_l2pol_iface_match(&p->spec, self->ifaces[j].name))
			continue;
		for (i = 0; i < na; i++) {
			struct lb_l2_pair *x;

			LB_GROW(ev->pairs, ev->npairs, ev->cappairs);
			x = &ev->pairs[ev->npairs++];
			lbe_addr_to_ip(&a[i], &x->ip);
			x->ifname = self->ifaces[j].name;
			x->ifindex = self->ifaces[j].ifindex;
		}
	}
}

static void uniq_pairs(struct l2_eval *ev)
{
	size_t i, n = 0;

	if (!ev->npairs)
		return;
	qsort(ev->pairs, ev->npairs, sizeof(*ev->pairs), cmp_pair);
	for (i = 0; i < ev->npairs; i++)
		if (!n || cmp_pair(&ev->pairs[n - 1], &ev->pairs[i]))
			ev->pairs[n++] = ev->pairs[i];
	ev->npairs = n;
}

static void evaluate(struct lb_engine *e, const struct lb_l2_self *self,
		     const struct lb_labels *node_labels,
		     const struct lb_service *s, struct l2_eval *ev)
{
	struct lb_l2_elector *el = self->elector ? self->elector :
				   &lbe_l2_elector_local;
	struct lb_addr *lb;
	size_t nlb, i;
	bool node_ok = false;

	memset(ev, 0, sizeof(*ev));
	lbe_svc_lb_ips(s, &lb, &nlb);
	ev->policies = lb_xcalloc(e->l2pols.n + 1, sizeof(*ev->policies));
	if (!nlb && !s->spec.next_ips) {
		ev->state = LB_L2_NO_ADDRESS;
		goto out;
	}
	if (s->spec.lb_class && strcmp(s->spec.lb_class, L2_LB_CLASS)) {
		ev->state = LB_L2_OTHER_CLASS;
		goto out;
	}
	for (i = 0; i < e->l2pols.n; i++) {
		const struct lb_l2pol *p = (const struct lb_l2pol *)e->l2pols.v[i];

		if (!pol_takes(p, s, nlb))
			continue;
		ev->policies[ev->npol++] = p->o.name;
		if (!lbe_selector_match(p->spec.node_sel, node_labels))
			continue;
		node_ok = true;
		if (p->spec.lb_ips)
			add_pairs(ev, p, self, lb, nlb);
		if (p->spec.external_ips)
			add_pairs(ev, p, self, s->spec.ext_ips,
				  s->spec.next_ips);
	}
	uniq_pairs(ev);
	if (!ev->npol)
		ev->state = LB_L2_NO_POLICY;
	else if (!node_ok)
		ev->state = LB_L2_NODE_NOT_SELECTED;
	else if (s->spec.etp_local && !lbe_local_endpoint(e, s, self->name))
		ev->state = LB_L2_NO_LOCAL_ENDPOINT;
	else if (!ev->npairs)
		ev->state = LB_L2_NO_INTERFACE;
	else if (!el->ops->wins(el, s->ns, s->name, self->name))
		ev->state = LB_L2_ELECTION_LOST;
	else
		ev->state = LB_L2_ANNOUNCED;
out:
	if (ev->state != LB_L2_ANNOUNCED)
		ev->npairs = 0;
	free(lb);
}

static int report(const struct lb_service *s, struct l2_eval *ev,
		  lb_l2_service_cb cb, void *arg)
{
	struct lb_l2_service out = {
		.ns = s->ns, .name = s->name, .state = ev->state,
		.n_policies = ev->npol, .policies = ev->policies,
		.n_pairs = ev->npairs, .pairs = ev->pairs,
	};
	int rc = cb(&out, arg);

	free(ev->policies);
	free(ev->pairs);
	return rc;
}

size_t lbe_l2_policy_count(const struct lb_engine *e)
{
	return e->l2pols.n;
}

bool lbe_l2_changed_all(const struct lb_engine *e)
{
	return e->l2_changed_all || e->changed_all;
}

int lbe_l2_service(struct lb_engine *e, const struct lb_l2_self *self,
			 const char *ns, const char *name,
			 lb_l2_service_cb cb, void *arg)
{
	char *key = lbe_key(LB_KIND_SERVICE, ns, name);
	struct lb_service *s = lbe_service(e, key);
	struct lb_labels nl;
	struct l2_eval ev;

	free(key);
	if (!s)
		return -ENOENT;
	lbe_self_labels(e, self, &nl);
	evaluate(e, self, &nl, s, &ev);
	lbe_labels_free(&nl);
	return report(s, &ev, cb, arg);
}

int lbe_foreach_l2_service(struct lb_engine *e,
				 const struct lb_l2_self *self,
				 lb_l2_service_cb cb, void *arg)
{
	struct lb_labels nl;
	size_t i;
	int rc = 0;

	lbe_sort_services(e);
	lbe_self_labels(e, self, &nl);
	for (i = 0; i < e->norder && !rc; i++) {
		struct l2_eval ev;

		evaluate(e, self, &nl, e->order[i], &ev);
		rc = report(e->order[i], &ev, cb, arg);
	}
	lbe_labels_free(&nl);
	return rc;
}

/* ---------------------------------------------------------- views --- */

static const char *const op_names[] = {
	[LB_SEL_IN] = "in",
	[LB_SEL_NOT_IN] = "notin",
};

char *lbe_selector_text(const struct lb_selector *sel)
{
	struct lb_strbuf b = { 0 };
	size_t i, j;

	if (!sel)
		return lb_xstrdup("<all>");
	for (i = 0; i < sel->match.n; i++)
		lbe_sb_printf(&b, "%s%s=%s", b.len ? "," : "",
			     sel->match.kv[i].k, sel->match.kv[i].v);
	for (i = 0; i < sel->nexprs; i++) {
		const struct lb_sel_expr *x = &sel->exprs[i];

		if (b.len)
			lbe_sb_addc(&b, ',');
		if (x->op == LB_SEL_EXISTS) {
			lbe_sb_add(&b, x->key);
			continue;
		}
		if (x->op == LB_SEL_DOES_NOT_EXIST) {
			lbe_sb_printf(&b, "!%s", x->key);
			continue;
		}
		lbe_sb_printf(&b, "%s %s (", x->key, op_names[x->op]);
		for (j = 0; j < x->nvals; j++)
			lbe_sb_printf(&b, "%s%s", j ? "," : "", x->vals[j]);
		lbe_sb_addc(&b, ')');
	}
	if (!b.len)
		lbe_sb_add(&b, "<all>");
	return lbe_sb_steal(&b);
}

static int policy_view(struct lb_engine *e, const struct lb_l2_self *self,
		       const struct lb_labels *nl, const struct lb_l2pol *p,
		       lb_l2_policy_cb cb, void *arg)
{
	struct lb_condition conds[LB_L2P_COUNT];
	struct lb_l2_policy_info in = {
		.name = p->o.name, .created = p->o.created,
		.generation = p->o.generation,
		.resource_version = p->o.st.rv,
		.n_interfaces = p->spec.nifaces,
		.interfaces = (const char *const *)p->spec.ifaces,
		.external_ips = p->spec.external_ips,
		.lb_ips = p->spec.lb_ips, .conditions = conds,
	};
	char *ssel = lbe_selector_text(p->spec.svc_sel);
	char *nsel = lbe_selector_text(p->spec.node_sel);
	const char **matched, **svcs;
	size_t i;
	int rc;

	for (i = 0; i < LB_L2P_COUNT; i++) {
		if (!p->spec.problem[i])
			continue;
		conds[in.n_conditions++] = (struct lb_condition){
			.type = lbe_l2_problem_type((enum lb_l2_problem)i),
			.status = "True", .reason = "error",
			.message = p->spec.problem[i],
			.observed_generation = p->o.generation,
		};
	}
	lbe_status_fill(&p->o.st, conds, in.n_conditions);
	in.service_selector = ssel;
	in.node_selector = nsel;
	in.selects_node = !lbe_l2pol_broken(&p->spec) &&
			  lbe_selector_match(p->spec.node_sel, nl);
	matched = lb_xcalloc(self->n_ifaces + 1, sizeof(*matched));
	for (i = 0; in.selects_node && i < self->n_ifaces; i++)
		if (lbe_l2pol_iface_match(&p->spec, self->ifaces[i].name))
			matched[in.n_matched++] = self->ifaces[i].name;
	in.matched = matched;
	lbe_sort_services(e);
	svcs = lb_xcalloc(e->norder + 1, sizeof(*svcs));
	for (i = 0; i < e->norder; i++) {
		const struct lb_service *s = e->order[i];
		struct lb_addr *lb;
		size_t nlb;

		lbe_svc_lb_ips(s, &lb, &nlb);
		free(lb);
		if ((!s->spec.lb_class || !strcmp(s->spec.lb_class,
						  L2_LB_CLASS)) &&
		    pol_takes(p, s, nlb))
			svcs[in.n_services++] = s->key;
	}
	in.services = svcs;
	rc = cb(&in, arg);
	free(svcs);
	free(matched);
	free(ssel);
	free(nsel);
	return rc;
}

int lbe_foreach_l2_policy(struct lb_engine *e,
				const struct lb_l2_self *self,
				lb_l2_policy_cb cb, void *arg)
{
	struct lb_labels nl;
	size_t i;
	int rc = 0;

	lbe_self_labels(e, self, &nl);
	for (i = 0; i < e->l2pols.n && !rc; i++)
		rc = policy_view(e, self, &nl,
				 (const struct lb_l2pol *)e->l2pols.v[i], cb,
				 arg);
	lbe_labels_free(&nl);
	return rc;
}

int lbe_get_l2_policy(struct lb_engine *e, const struct lb_l2_self *self,
			    const char *name, lb_l2_policy_cb cb, void *arg)
{
	const struct lb_named *p = lbe_named_find(&e->l2pols, name);
	struct lb_labels nl;
	int rc;

	if (!p)
		return -ENOENT;
	lbe_self_labels(e, self, &nl);
	rc = policy_view(e, self, &nl, (const struct lb_l2pol *)p, cb, arg);
	lbe_labels_free(&nl);
	return rc;
}

static int node_view(const struct lb_node *n, lb_node_cb cb, void *arg)
{
	const char **k = lb_xcalloc(n->labels.n + 1, sizeof(*k));
	const char **v = lb_xcalloc(n->labels.n + 1, sizeof(*v));
	const char **at = lb_xcalloc(n->addrs.n + 1, sizeof(*at));
	const char **av = lb_xcalloc(n->addrs.n + 1, sizeof(*av));
	struct lb_node_info in = {
		.name = n->o.name, .created = n->o.created,
		.generation = n->o.generation,
		.resource_version = n->o.st.rv, .n_labels = n->labels.n,
		.label_keys = k, .label_values = v,
		.n_addresses = n->addrs.n, .address_types = at,
		.addresses = av,
	};
	size_t i;
	int rc;

	for (i = 0; i < n->labels.n; i++) {
		k[i] = n->labels.kv[i].k;
		v[i] = n->labels.kv[i].v;
	}
	for (i = 0; i < n->addrs.n; i++) {
		at[i] = lbe_node_addr_type_name(n->addrs.v[i].type);
		av[i] = n->addrs.v[i].text;
	}
	rc = cb(&in, arg);
	free(k);
	free(v);
	free(at);
	free(av);
	return rc;
}

int lbe_foreach_node(struct lb_engine *e, lb_node_cb cb, void *arg)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < e->nodes.n && !rc; i++)
		rc = node_view((const struct lb_node *)e->nodes.v[i], cb, arg);
	return rc;
}

int lbe_get_node(struct lb_engine *e, const char *name, lb_node_cb cb,
		       void *arg)
{
	const struct lb_named *n = lbe_named_find(&e->nodes, name);

	if (!n)
		return -ENOENT;
	return node_view((const struct lb_node *)n, cb, arg);
}
