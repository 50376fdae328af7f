// SPDX-License-Identifier: GPL-2.0
/* Service documents: spec, annotations and status. */
#include "yaml_node.h"
#include "engine_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *annotation(const struct lb_labels *ann, const char *key,
			      const char *alias)
{
	const char *v = lbe_labels_get(ann, key);

	return v ? v : lbe_labels_get(ann, alias);
}

static void add_req(struct lb_svc_spec *ss, const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < ss->nreq; i++)
		if (lbe_addr_eq(&ss->req[i], a))
			return;
	ss->req = lb_xrealloc(ss->req, (ss->nreq + 1) * sizeof(*ss->req));
	ss->req[ss->nreq++] = *a;
}

/* Split on commas; trim when asked (Cilium does not for namespaces). */
static char **split(const char *v, bool trim, size_t *n)
{
	char **out = NULL;
	const char *p = v;

	*n = 0;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		const char *s = p;

		if (trim) {
			while (len && isspace((unsigned char)*s)) {
				s++;
				len--;
			}
			while (len && isspace((unsigned char)s[len - 1]))
				len--;
		}
		if (len || !trim) {
			out = lb_xrealloc(out, (*n + 1) * sizeof(char *));
			out[(*n)++] = lb_xstrndup(s, len);
		}
		if (!c)
			break;
		p = c + 1;
	}
	return out;
}

/* Node IPAM's node selector, as Cilium reads it (labels.Parse). */
#define NODE_MATCH "io.cilium.nodeipam/match-node-labels"

/*
 * Cilium's controller fails the Service's reconcile on a selector that
 * does not parse and retries forever; here the apply is refused instead.
 */
static void read_node_match(struct yl *y, struct lb_svc_spec *ss,
			    const char *v)
{
	char *err = NULL;

	ss->node_sel = lbe_selector_parse(v, &err);
	if (ss->node_sel)
		return;
	lbe_y_err(y, "metadata.annotations." NODE_MATCH, "%s", err);
	free(err);
}

static void read_annotations(struct yl *y, struct lb_svc_spec *ss,
			     const struct lb_labels *ann)
{
	const char *v;
	char **parts;
	size_t n, i;

	v = annotation(ann, "lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips");
	if (v && *v) {
		parts = split(v, true, &n);
		for (i = 0; i < n; i++) {
			struct lb_addr a;

			if (lbe_addr_parse(parts[i], &a))
				lbe_y_warn(y, "metadata.annotations",
					  "Unable to parse requested IP, skipping it");
			else
				add_req(ss, &a);
			free(parts[i]);
		}
		free(parts);
	}
	v = annotation(ann, "lbipam.cilium.io/sharing-key",
		       "io.cilium/lb-ipam-sharing-key");
	if (v && *v)
		ss->sharing_key = lb_xstrdup(v);
	v = annotation(ann, "lbipam.cilium.io/sharing-cross-namespace",
		       "io.cilium/lb-ipam-sharing-cross-namespace");
	if (v && *v)
		ss->xns = split(v, false, &ss->nxns);
	v = lbe_labels_get(ann, "lbipam.io/pool");
	if (v && *v)
		ss->pools = split(v, true, &ss->npools);
	v = lbe_labels_get(ann, NODE_MATCH);
	if (v && ss->lb_class && !strcmp(ss->lb_class, "io.cilium/node"))
		read_node_match(y, ss, v);
}

/* targetPort is a number or a container port name (IntOrString). */
static void read_target(struct yl *y, const yaml_node_t *en, const char *p,
			struct lb_port *pt)
{
	yaml_node_t *tn = lbe_y_get(y, en, "targetPort");
	char q[PATH_MAX_LEN + 32];
	const char *v, *c;
	long long port;

	if (!tn)
		return;
	snprintf(q, sizeof(q), "%s.targetPort", p);
	v = lbe_y_scalar(y, tn, q);
	if (!v)
		return;
	for (c = v; *c >= '0' && *c <= '9'; c++)
		;
	if (lbe_y_plain(tn) && *v && !*c) {
		if (!lbe_y_parse_int(y, tn, q, 1, 65535, &port))
			return;
		pt->target = (uint16_t)port;
	} else if (!*v) {
		lbe_y_err(y, q, "targetPort must be a port number or name");
		return;
	} else {
		pt->target_name = lb_xstrdup(v);
	}
	pt->has_target = true;
}

static void read_ports(struct yl *y, struct lb_svc_spec *ss,
		       const yaml_node_t *n)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN + 32];

	if (!lbe_y_want_seq(y, n, "spec.ports"))
		return;
	ss->ports = lb_xcalloc(n->data.sequence.items.top -
			       n->data.sequence.items.start,
			       sizeof(*ss->ports));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		yaml_node_t *en = lbe_y_node(y, *it), *pn;
		struct lb_port *pt = &ss->ports[ss->nports];
		long long port;

		snprintf(p, sizeof(p), "spec.ports[%zu]", idx);
		if (!en || en->type != YAML_MAPPING_NODE) {
			lbe_y_err(y, p, "expected a mapping");
			continue;
		}
		if (!lbe_y_read_port(y, en, p, true, &pt->port, &pt->proto,
				    &pt->name))
			continue;
		read_target(y, en, p, pt);
		snprintf(q, sizeof(q), "%s.nodePort", p);
		pn = lbe_y_get(y, en, "nodePort");
		if (pn && lbe_y_parse_int(y, pn, q, 0, 65535, &port))
			pt->node_port = (uint16_t)port;
		ss->nports++;
	}
}

static void read_families(struct yl *y, struct lb_svc_spec *ss,
			  const yaml_node_t *spec)
{
	yaml_node_t *n = lbe_y_get(y, spec, "ipFamilies");
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];
	const char *v;

	if (n && lbe_y_want_seq(y, n, "spec.ipFamilies")) {
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			size_t idx = it - n->data.sequence.items.start;
			uint8_t fam;

			snprintf(p, sizeof(p), "spec.ipFamilies[%zu]", idx);
			v = lbe_y_scalar(y, lbe_y_node(y, *it), p);
			if (!v)
				continue;
			if (!strcmp(v, "IPv4")) {
				fam = 4;
			} else if (!strcmp(v, "IPv6")) {
				fam = 6;
			} else {
				lbe_y_err(y, p, "must be IPv4 or IPv6, got '%s'", v);
				continue;
			}
			if (ss->nfams == 2 ||
			    (ss->nfams == 1 && ss->fams[0] == fam)) {
				lbe_y_err(y, p, "duplicate or extra family");
				continue;
			}
			ss->fams[ss->nfams++] = fam;
		}
	}
	v = lbe_y_get_str(y, spec, "ipFamilyPolicy", "spec.ipFamilyPolicy");
	if (!v)
		return;
	if (!strcmp(v, "SingleStack"))
		ss->fam_policy = LB_FP_SINGLE;
	else if (!strcmp(v, "PreferDualStack"))
		ss->fam_policy = LB_FP_PREFER_DUAL;
	else if (!strcmp(v, "RequireDualStack"))
		ss->fam_policy = LB_FP_REQUIRE_DUAL;
	else
		lbe_y_err(y, "spec.ipFamilyPolicy",
			 "must be SingleStack, PreferDualStack or RequireDualStack, got '%s'",
		    v);
	if (ss->fam_policy == LB_FP_SINGLE && ss->nfams > 1)
		lbe_y_err(y, "spec.ipFamilies", "SingleStack allows one family");
}

/* "None" and "" stay in the text only: they program nothing. */
static void add_cluster_ip(struct yl *y, struct lb_svc_spec *ss,
			   const char *v, const char *path)
{
	struct lb_addr a;

	ss->cip_text = lb_xrealloc(ss->cip_text, (ss->ncip_text + 1) *
				   sizeof(*ss->cip_text));
	ss->cip_text[ss->ncip_text++] = lb_xstrdup(v);
	if (!*v || !strcmp(v, "None"))
		return;
	if (lbe_addr_parse(v, &a)) {
		lbe_y_err(y, path, "invalid IP address '%s'", v);
		return;
	}
	ss->cips = lb_xrealloc(ss->cips, (ss->ncips + 1) * sizeof(*ss->cips));
	ss->cips[ss->ncips++] = a;
}

/* spec.clusterIPs when given, else spec.clusterIP. */
static void read_cluster_ips(struct yl *y, struct lb_svc_spec *ss,
			     const yaml_node_t *spec)
{
	yaml_node_t *n = lbe_y_get(y, spec, "clusterIPs");
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];
	const char *v;

	if (n && lbe_y_want_seq(y, n, "spec.clusterIPs") &&
	    n->data.sequence.items.top > n->data.sequence.items.start) {
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			snprintf(p, sizeof(p), "spec.clusterIPs[%zu]",
				 (size_t)(it - n->data.sequence.items.start));
			v = lbe_y_scalar(y, lbe_y_node(y, *it), p);
			if (v)
				add_cluster_ip(y, ss, v, p);
		}
		return;
	}
	v = lbe_y_get_str(y, spec, "clusterIP", "spec.clusterIP");
	if (v)
		add_cluster_ip(y, ss, v, "spec.clusterIP");
}

/* kube-proxy's default for sessionAffinityConfig.clientIP.timeoutSeconds. */
#define LB_DEFAULT_AFFINITY	10800
#define LB_MAX_AFFINITY		86400

static void read_affinity(struct yl *y, struct lb_svc_spec *ss,
			  const yaml_node_t *spec)
{
	const char *v = lbe_y_get_str(y, spec, "sessionAffinity",
				     "spec.sessionAffinity");
	yaml_node_t *n;
	long long t;

	if (!v || !strcmp(v, "None"))
		return;
	if (strcmp(v, "ClientIP")) {
		lbe_y_err(y, "spec.sessionAffinity",
			 "must be None or ClientIP, got '%s'", v);
		return;
	}
	ss->affinity = LB_DEFAULT_AFFINITY;
	n = lbe_y_get(y, spec, "sessionAffinityConfig");
	if (n && lbe_y_want_map(y, n, "spec.sessionAffinityConfig"))
		n = lbe_y_get(y, n, "clientIP");
	else
		n = NULL;
	if (n && lbe_y_want_map(y, n, "spec.sessionAffinityConfig.clientIP"))
		n = lbe_y_get(y, n, "timeoutSeconds");
	else
		n = NULL;
	if (n && lbe_y_parse_int(y, n,
				"spec.sessionAffinityConfig.clientIP.timeoutSeconds",
				1, LB_MAX_AFFINITY, &t))
		ss->affinity = (uint32_t)t;
}

/* "a.b.c.d/n", "x::/n" or a bare address; host bits are cleared. */
static int parse_src_range(const char *v, struct lb_src_range *r)
{
	struct lb_cidr c;

	if (lb_cidr_parse(v, LB_CIDR_HOST | LB_CIDR_MASK, &c, NULL, NULL, 0))
		return -1;
	lbe_addr_from_ip(&r->addr, c.family, &c.addr);
	r->plen = c.plen;
	return 0;
}

static void read_src_ranges(struct yl *y, struct lb_svc_spec *ss,
			    const yaml_node_t *spec)
{
	yaml_node_t *n = lbe_y_get(y, spec, "loadBalancerSourceRanges");
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];

	if (!n || !lbe_y_want_seq(y, n, "spec.loadBalancerSourceRanges"))
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		struct lb_src_range r;
		const char *v;

		snprintf(p, sizeof(p), "spec.loadBalancerSourceRanges[%zu]",
			 (size_t)(it - n->data.sequence.items.start));
		v = lbe_y_scalar(y, lbe_y_node(y, *it), p);
		if (!v)
			continue;
		if (parse_src_range(v, &r)) {
			lbe_y_err(y, p, "invalid CIDR '%s'", v);
			continue;
		}
		ss->ranges = lb_xrealloc(ss->ranges, (ss->nranges + 1) *
					 sizeof(*ss->ranges));
		ss->ranges[ss->nranges++] = r;
	}
}

/* spec.externalIPs: addresses the API server validates as IPs. */
static void read_external_ips(struct yl *y, struct lb_svc_spec *ss,
			      const yaml_node_t *spec)
{
	yaml_node_t *n = lbe_y_get(y, spec, "externalIPs");
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];

	if (!n || !lbe_y_want_seq(y, n, "spec.externalIPs"))
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		struct lb_addr a;
		const char *v;

		snprintf(p, sizeof(p), "spec.externalIPs[%zu]",
			 (size_t)(it - n->data.sequence.items.start));
		v = lbe_y_scalar(y, lbe_y_node(y, *it), p);
		if (!v)
			continue;
		if (lbe_addr_parse(v, &a)) {
			lbe_y_err(y, p, "invalid IP address '%s'", v);
			continue;
		}
		ss->ext_ips = lb_xrealloc(ss->ext_ips, (ss->next_ips + 1) *
					  sizeof(*ss->ext_ips));
		ss->ext_ips[ss->next_ips++] = a;
	}
}

static void read_status(struct yl *y, struct lb_svc_spec *ss,
			const yaml_node_t *root)
{
	yaml_node_t *st = lbe_y_get(y, root, "status"), *lb, *ing;
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];

	if (!lbe_y_want_map(y, st, "status"))
		return;
	lb = lbe_y_get(y, st, "loadBalancer");
	if (!lbe_y_want_map(y, lb, "status.loadBalancer"))
		return;
	ing = lbe_y_get(y, lb, "ingress");
	if (!lbe_y_want_seq(y, ing, "status.loadBalancer.ingress"))
		return;
	for (it = ing->data.sequence.items.start;
	     it < ing->data.sequence.items.top; it++) {
		size_t idx = it - ing->data.sequence.items.start;
		yaml_node_t *en = lbe_y_node(y, *it);
		struct lb_addr a;
		const char *ip;
		size_t i;

		snprintf(p, sizeof(p), "status.loadBalancer.ingress[%zu].ip",
			 idx);
		if (!en || en->type != YAML_MAPPING_NODE)
			continue;
		ip = lbe_y_get_str(y, en, "ip", p);
		/* Hostname-only entries are dropped, as Cilium does. */
		if (!ip || lbe_addr_parse(ip, &a))
			continue;
		for (i = 0; i < ss->nhints; i++)
			if (lbe_addr_eq(&ss->hints[i], &a))
				break;
		if (i < ss->nhints)
			continue;
		ss->hints = lb_xrealloc(ss->hints,
					(ss->nhints + 1) * sizeof(*ss->hints));
		ss->hints[ss->nhints++] = a;
	}
}

void lbe_y_load_service(struct yl *y, const yaml_node_t *root,
		       const yaml_node_t *md, struct lb_doc *o)
{
	struct lb_svc_spec *ss = &o->svc;
	struct lb_labels ann = { 0 };
	yaml_node_t *spec, *n;
	const char *v;

	n = lbe_y_get(y, md, "labels");
	if (n)
		lbe_y_read_strmap(y, n, "metadata.labels", &ss->labels);
	lbe_labels_set(&ss->labels, "io.kubernetes.service.namespace", o->ns);
	lbe_labels_set(&ss->labels, "io.kubernetes.service.name", o->name);
	n = lbe_y_get(y, md, "annotations");
	if (n)
		lbe_y_read_strmap(y, n, "metadata.annotations", &ann);

	spec = lbe_y_get(y, root, "spec");
	if (spec && !lbe_y_want_map(y, spec, "spec"))
		spec = NULL;
	v = lbe_y_get_str(y, spec, "type", "spec.type");
	if (v && strcmp(v, "ClusterIP") && strcmp(v, "NodePort") &&
	    strcmp(v, "LoadBalancer") && strcmp(v, "ExternalName"))
		lbe_y_err(y, "spec.type",
			 "must be ClusterIP, NodePort, LoadBalancer or ExternalName, got '%s'",
		    v);
	ss->is_lb = v && !strcmp(v, "LoadBalancer");
	if (v)
		ss->type = lb_xstrdup(v);
	v = lbe_y_get_str(y, spec, "loadBalancerClass", "spec.loadBalancerClass");
	if (v && *v)
		ss->lb_class = lb_xstrdup(v);
	v = lbe_y_get_str(y, spec, "loadBalancerIP", "spec.loadBalancerIP");
	if (v && *v) {
		struct lb_addr a;

		if (lbe_addr_parse(v, &a))
			lbe_y_warn(y, "spec.loadBalancerIP",
				  "Unable to parse requested IP, skipping it");
		else
			add_req(ss, &a);
	}
	/* Requested IPs: loadBalancerIP first, then the annotation. */
	read_annotations(y, ss, &ann);
	lbe_labels_free(&ann);
	read_families(y, ss, spec);
	n = lbe_y_get(y, spec, "ports");
	if (n)
		read_ports(y, ss, n);
	v = lbe_y_get_str(y, spec, "externalTrafficPolicy",
			 "spec.externalTrafficPolicy");
	if (v && strcmp(v, "Cluster") && strcmp(v, "Local"))
		lbe_y_err(y, "spec.externalTrafficPolicy",
			 "must be Cluster or Local, got '%s'", v);
	ss->etp_local = v && !strcmp(v, "Local");
	read_cluster_ips(y, ss, spec);
	read_affinity(y, ss, spec);
	read_src_ranges(y, ss, spec);
	read_external_ips(y, ss, spec);
	n = lbe_y_get(y, spec, "selector");
	if (n) {
		lbe_y_read_strmap(y, n, "spec.selector", &ss->selector);
		ss->has_selector = ss->selector.n > 0;
	}
	read_status(y, ss, root);
}
