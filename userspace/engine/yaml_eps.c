// SPDX-License-Identifier: GPL-2.0
/* EndpointSlice documents. */
#include "yaml_node.h"
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void read_ep_ports(struct yl *y, struct lb_eps_spec *es,
			  const yaml_node_t *n)
{
	char p[PATH_MAX_LEN];
	yaml_node_item_t *it;

	if (!lbe_y_want_seq(y, n, "ports"))
		return;
	es->ports = lb_xcalloc(n->data.sequence.items.top -
			       n->data.sequence.items.start,
			       sizeof(*es->ports));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		struct lb_ep_port *pt = &es->ports[es->nports];
		yaml_node_t *en = lbe_y_node(y, *it);

		snprintf(p, sizeof(p), "ports[%zu]", idx);
		if (!en || en->type != YAML_MAPPING_NODE) {
			lbe_y_err(y, p, "expected a mapping");
			continue;
		}
		if (!lbe_y_read_port(y, en, p, false, &pt->port, &pt->proto,
				    &pt->name))
			continue;
		es->nports++;
	}
}

/* conditions: unset ready is ready (kube-proxy), serving follows ready. */
static void read_conditions(struct yl *y, const yaml_node_t *en,
			    const char *p, struct lb_ep *ep)
{
	char q[PATH_MAX_LEN + 32];
	yaml_node_t *cond = lbe_y_get(y, en, "conditions");
	bool serving_set = false;

	ep->ready = true;
	ep->terminating = false;
	snprintf(q, sizeof(q), "%s.conditions", p);
	if (!cond || !lbe_y_want_map(y, cond, q)) {
		ep->serving = ep->ready;
		return;
	}
	snprintf(q, sizeof(q), "%s.conditions.ready", p);
	lbe_y_get_bool(y, cond, "ready", q, &ep->ready);
	snprintf(q, sizeof(q), "%s.conditions.serving", p);
	if (lbe_y_get(y, cond, "serving")) {
		serving_set = true;
		lbe_y_get_bool(y, cond, "serving", q, &ep->serving);
	}
	if (!serving_set)
		ep->serving = ep->ready;
	snprintf(q, sizeof(q), "%s.conditions.terminating", p);
	lbe_y_get_bool(y, cond, "terminating", q, &ep->terminating);
}

static void read_endpoints(struct yl *y, struct lb_eps_spec *es,
			   const yaml_node_t *n, bool fqdn)
{
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN + 32];
	yaml_node_item_t *it, *ai;

	if (!lbe_y_want_seq(y, n, "endpoints"))
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		yaml_node_t *en = lbe_y_node(y, *it), *addrs;
		struct lb_ep tmpl = { 0 };
		const char *node;

		snprintf(p, sizeof(p), "endpoints[%zu]", idx);
		if (!en || en->type != YAML_MAPPING_NODE) {
			lbe_y_err(y, p, "expected a mapping");
			continue;
		}
		read_conditions(y, en, p, &tmpl);
		snprintf(q, sizeof(q), "%s.nodeName", p);
		node = lbe_y_get_str(y, en, "nodeName", q);
		snprintf(q, sizeof(q), "%s.addresses", p);
		addrs = lbe_y_get(y, en, "addresses");
		if (!lbe_y_want_seq(y, addrs, q) || fqdn)
			continue;
		tmpl.primary = true;
		for (ai = addrs->data.sequence.items.start;
		     ai < addrs->data.sequence.items.top; ai++) {
			const char *v = lbe_y_scalar(y, lbe_y_node(y, *ai), q);
			struct lb_ep ep = tmpl;

			tmpl.primary = false;
			if (!v)
				continue;
			if (lbe_addr_parse(v, &ep.addr)) {
				lbe_y_err(y, q, "invalid address '%s'", v);
				continue;
			}
			ep.node = node ? lb_xstrdup(node) : NULL;
			es->eps = lb_xrealloc(es->eps, (es->neps + 1) *
					      sizeof(*es->eps));
			es->eps[es->neps++] = ep;
		}
	}
}

void lbe_y_load_eps(struct yl *y, const yaml_node_t *root,
		   const yaml_node_t *md, struct lb_doc *o)
{
	struct lb_labels l = { 0 };
	yaml_node_t *n = lbe_y_get(y, md, "labels");
	const char *v;

	if (n)
		lbe_y_read_strmap(y, n, "metadata.labels", &l);
	v = lbe_labels_get(&l, "kubernetes.io/service-name");
	if (v)
		o->eps.service = lb_xstrdup(v);
	lbe_labels_free(&l);
	v = lbe_y_get_str(y, root, "addressType", "addressType");
	if (v && strcmp(v, "IPv4") && strcmp(v, "IPv6") && strcmp(v, "FQDN"))
		lbe_y_err(y, "addressType", "must be IPv4, IPv6 or FQDN, got '%s'", v);
	o->eps.fqdn = v && !strcmp(v, "FQDN");
	n = lbe_y_get(y, root, "endpoints");
	if (n)
		read_endpoints(y, &o->eps, n, v && !strcmp(v, "FQDN"));
	n = lbe_y_get(y, root, "ports");
	if (n)
		read_ep_ports(y, &o->eps, n);
}
