// SPDX-License-Identifier: GPL-2.0
/* CiliumL2AnnouncementPolicy and Node documents. */
#include "yaml_node.h"
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void read_ifaces(struct yl *y, struct lb_l2pol_spec *s,
			const yaml_node_t *n)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];

	if (!lbe_y_want_seq(y, n, "spec.interfaces"))
		return;
	s->ifaces = lb_xcalloc(n->data.sequence.items.top -
			       n->data.sequence.items.start + 1,
			       sizeof(*s->ifaces));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const char *v;

		snprintf(p, sizeof(p), "spec.interfaces[%zu]",
			 (size_t)(it - n->data.sequence.items.start));
		v = lbe_y_scalar(y, lbe_y_node(y, *it), p);
		if (v)
			s->ifaces[s->nifaces++] = lb_xstrdup(v);
	}
}

/*
 * What the CRD's schema refuses is an apply error; a selector the schema
 * takes but Cilium cannot convert, or a pattern that does not compile, is
 * stored and reported in the policy's conditions (reason "error"), and
 * the policy selects nothing until it is fixed, as in Cilium.
 */
void lbe_y_load_l2policy(struct yl *y, const yaml_node_t *root,
			struct lb_doc *o)
{
	struct lb_l2pol_spec *s = &o->l2;
	yaml_node_t *spec, *n;

	spec = lbe_y_get(y, root, "spec");
	if (spec && !lbe_y_want_map(y, spec, "spec"))
		return;
	n = lbe_y_get(y, spec, "serviceSelector");
	if (n)
		s->svc_sel = lbe_y_read_selector(y, n, "spec.serviceSelector",
						&s->problem[LB_L2P_SERVICE_SELECTOR]);
	n = lbe_y_get(y, spec, "nodeSelector");
	if (n)
		s->node_sel = lbe_y_read_selector(y, n, "spec.nodeSelector",
						 &s->problem[LB_L2P_NODE_SELECTOR]);
	n = lbe_y_get(y, spec, "interfaces");
	if (n)
		read_ifaces(y, s, n);
	lbe_y_get_bool(y, spec, "externalIPs", "spec.externalIPs",
		      &s->external_ips);
	lbe_y_get_bool(y, spec, "loadBalancerIPs", "spec.loadBalancerIPs",
		      &s->lb_ips);
	lbe_l2pol_compile(s);
}

void lbe_y_load_node(struct yl *y, const yaml_node_t *md, struct lb_doc *o)
{
	yaml_node_t *n = lbe_y_get(y, md, "labels");

	if (n)
		lbe_y_read_strmap(y, n, "metadata.labels", &o->node_labels);
}
