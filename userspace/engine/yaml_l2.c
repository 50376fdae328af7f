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

/*
 * One status.addresses entry: both fields required, the type one of the
 * API's, and an InternalIP or ExternalIP a literal address (Node IPAM
 * hands it out as a load-balancer IP).
 */
static bool read_node_addr(struct yl *y, const yaml_node_t *en,
			   const char *p, struct lb_node_addr *out)
{
	char q[PATH_MAX_LEN + 32];
	const char *type, *addr;

	if (!lbe_y_want_map(y, en, p))
		return false;
	snprintf(q, sizeof(q), "%s.type", p);
	type = lbe_y_get_str(y, en, "type", q);
	if (!type) {
		lbe_y_err(y, q, "type is required");
		return false;
	}
	if (lbe_node_addr_type_parse(type, &out->type)) {
		lbe_y_err(y, q, "unknown address type '%s': expected Hostname, ExternalIP, InternalIP, ExternalDNS or InternalDNS",
			 type);
		return false;
	}
	snprintf(q, sizeof(q), "%s.address", p);
	addr = lbe_y_get_str(y, en, "address", q);
	if (!addr || !*addr) {
		lbe_y_err(y, q, "address is required");
		return false;
	}
	if ((out->type == LB_NA_EXTERNAL_IP || out->type == LB_NA_INTERNAL_IP) &&
	    lbe_addr_parse(addr, &out->ip)) {
		lbe_y_err(y, q, "%s '%s' is not an IPv4 or IPv6 address",
			 type, addr);
		return false;
	}
	out->text = lb_xstrdup(addr);
	return true;
}

static void read_node_addrs(struct yl *y, const yaml_node_t *n,
			    struct lb_node_addrs *out)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];

	if (!lbe_y_want_seq(y, n, "status.addresses"))
		return;
	out->v = lb_xcalloc(n->data.sequence.items.top -
			    n->data.sequence.items.start + 1, sizeof(*out->v));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		snprintf(p, sizeof(p), "status.addresses[%zu]",
			 (size_t)(it - n->data.sequence.items.start));
		if (read_node_addr(y, lbe_y_node(y, *it), p, &out->v[out->n]))
			out->n++;
	}
}

/* The cluster autoscaler's taint on a node it is about to delete. */
#define TO_BE_DELETED "ToBeDeletedByClusterAutoscaler"

/* spec.taints: each needs a key; one of them may say the node goes. */
static bool read_taints(struct yl *y, const yaml_node_t *n)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];
	bool leaving = false;

	if (!lbe_y_want_seq(y, n, "spec.taints"))
		return false;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *t = lbe_y_node(y, *it);
		const char *key;

		snprintf(p, sizeof(p), "spec.taints[%zu]",
			 (size_t)(it - n->data.sequence.items.start));
		if (!lbe_y_want_map(y, t, p))
			continue;
		snprintf(p + strlen(p), sizeof(p) - strlen(p), ".key");
		key = lbe_y_get_str(y, t, "key", p);
		if (!key || !*key)
			lbe_y_err(y, p, "key is required");
		else if (!strcmp(key, TO_BE_DELETED))
			leaving = true;
	}
	return leaving;
}

/*
 * A Node: its labels, and for Node IPAM status.addresses and whether it
 * is on its way out (deletionTimestamp, the autoscaler's taint).
 */
void lbe_y_load_node(struct yl *y, const yaml_node_t *root,
		    const yaml_node_t *md, struct lb_doc *o)
{
	yaml_node_t *n = lbe_y_get(y, md, "labels"), *st, *spec;

	if (n)
		lbe_y_read_strmap(y, n, "metadata.labels", &o->node_labels);
	o->node_leaving = lbe_y_get(y, md, "deletionTimestamp") != NULL;
	spec = lbe_y_get(y, root, "spec");
	if (spec && !lbe_y_want_map(y, spec, "spec"))
		return;
	n = lbe_y_get(y, spec, "taints");
	if (n && read_taints(y, n))
		o->node_leaving = true;
	st = lbe_y_get(y, root, "status");
	if (st && !lbe_y_want_map(y, st, "status"))
		return;
	n = lbe_y_get(y, st, "addresses");
	if (n)
		read_node_addrs(y, n, &o->node_addrs);
}
