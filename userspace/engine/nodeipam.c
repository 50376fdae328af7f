// SPDX-License-Identifier: GPL-2.0
/*
 * Node IPAM (Cilium's operator/pkg/nodeipam): Services of class
 * io.cilium/node get the addresses of the nodes instead of pool IPs.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

#define NODE_LB_CLASS	"io.cilium/node"
/* Presence is enough, whatever its value (KEP-3458's predicate). */
#define EXCLUDE_LABEL	"node.kubernetes.io/exclude-from-external-load-balancers"

bool lbe_nodeipam_class(const struct lb_service *s)
{
	return s->spec.lb_class && !strcmp(s->spec.lb_class, NODE_LB_CLASS);
}

bool lbe_nodeipam_serves(const struct lb_engine *e, const struct lb_service *s)
{
	return e->cfg.node_ipam && s->spec.is_lb && lbe_nodeipam_class(s);
}

/*
 * Is n a candidate: not being deleted, not excluded, selected by the
 * Service's match-node-labels, and (eTP Local) with a ready endpoint?
 * The first two are KEP-3458's stable node set, as in Cilium.
 */
static bool node_included(struct lb_engine *e, const struct lb_service *s,
			  const struct lb_node *n)
{
	if (n->leaving || lbe_labels_get(&n->labels, EXCLUDE_LABEL) ||
	    !lbe_selector_match(s->spec.node_sel, &n->labels))
		return false;
	return !s->spec.etp_local || lbe_local_endpoint(e, s, n->o.name);
}

/* An address with its text, formatted once for the sort. */
struct text_addr {
	char text[LB_ADDR_STRLEN];
	struct lb_addr a;
};

static int cmp_text(const void *a, const void *b)
{
	return strcmp(((const struct text_addr *)a)->text,
		      ((const struct text_addr *)b)->text);
}

/* Cilium sorts the address strings: "10.0.0.10" before "10.0.0.9". */
static size_t sort_uniq(struct lb_addr *v, size_t n)
{
	struct text_addr *t = lb_xcalloc(n + 1, sizeof(*t));
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		lbe_addr_fmt(&v[i], t[i].text);
		t[i].a = v[i];
	}
	qsort(t, n, sizeof(*t), cmp_text);
	for (i = 0; i < n; i++)
		if (!k || !lbe_addr_eq(&v[k - 1], &t[i].a))
			v[k++] = t[i].a;
	free(t);
	return k;
}

/*
 * The ingress of a Node IPAM Service: of the candidate nodes, their
 * ExternalIP addresses of the Service's families if any node has one,
 * else their InternalIP ones.  The fallback is over all candidates at
 * once, as in Cilium: one node with an ExternalIP hides the others'
 * InternalIPs.  The families are the ones the API server would have
 * written into spec.ipFamilies (the family table LB-IPAM uses).
 */
size_t lbe_nodeipam_ips(struct lb_engine *e, const struct lb_service *s,
		       struct lb_addr **out)
{
	struct lb_addr *ext, *in;
	size_t i, j, n = 0, next = 0, nin = 0, nf;
	bool want[2] = { false, false };
	uint8_t fams[2];

	nf = lbe_service_families(s, !e->cfg.ipv4_disabled,
				  !e->cfg.ipv6_disabled, fams);
	for (i = 0; i < nf; i++)
		want[fams[i] == 6] = true;
	for (i = 0; i < e->nodes.n; i++)
		n += ((const struct lb_node *)e->nodes.v[i])->addrs.n;
	ext = lb_xcalloc(n + 1, sizeof(*ext));
	in = lb_xcalloc(n + 1, sizeof(*in));
	for (i = 0; i < e->nodes.n; i++) {
		const struct lb_node *nd = (const struct lb_node *)e->nodes.v[i];

		if (!node_included(e, s, nd))
			continue;
		for (j = 0; j < nd->addrs.n; j++) {
			const struct lb_node_addr *a = &nd->addrs.v[j];

			if (a->type == LB_NA_EXTERNAL_IP && want[a->ip.fam == 6])
				ext[next++] = a->ip;
			else if (a->type == LB_NA_INTERNAL_IP &&
				 want[a->ip.fam == 6])
				in[nin++] = a->ip;
		}
	}
	if (next) {
		free(in);
		*out = ext;
		return sort_uniq(ext, next);
	}
	free(ext);
	*out = in;
	return sort_uniq(in, nin);
}

/*
 * Folds s's node addresses into its status hash h, so that its
 * resourceVersion moves when they do, as the API server's would.
 */
uint64_t lbe_nodeipam_hash(struct lb_engine *e, const struct lb_service *s,
			  uint64_t h)
{
	struct lb_addr *v;
	size_t i, n;

	if (!lbe_nodeipam_serves(e, s))
		return h;
	n = lbe_nodeipam_ips(e, s, &v);
	for (i = 0; i < n; i++) {
		h = lbe_hash_bytes(&v[i].v, sizeof(v[i].v), h);
		h = lbe_hash_bytes(&v[i].fam, sizeof(v[i].fam), h);
	}
	free(v);
	return h;
}

/* A Node came, went or changed: every Node IPAM Service's view may. */
void lbe_nodeipam_nodes_changed(struct lb_engine *e)
{
	struct lb_service *s;
	size_t it = 0;

	if (!e->cfg.node_ipam)
		return;
	while ((s = lbe_htab_next(&e->svcs, &it))) {
		if (!lbe_nodeipam_serves(e, s))
			continue;
		lbe_view_changed_svc(e, s);
		lbe_status_touch(e, s);
	}
}

/* The slices of Service key changed: with eTP Local, so may its nodes. */
void lbe_nodeipam_slices_changed(struct lb_engine *e, const char *key)
{
	struct lb_service *s = lbe_service(e, key);

	if (s && s->spec.etp_local && lbe_nodeipam_serves(e, s))
		lbe_status_touch(e, s);
}
