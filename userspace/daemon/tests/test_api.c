// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's request handling and desired kernel table, with an
 * in-memory engine and no kernel (the module is absent on the host: the
 * daemon must keep allocating and say so).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include "daemon/lbipamd.h"
#include "tap.h"

static const char pools[] =
	"apiVersion: \"cilium.io/v2alpha1\"\n"
	"kind: CiliumLoadBalancerIPPool\n"
	"metadata:\n  name: \"blue-pool\"\n"
	"spec:\n  blocks:\n  - cidr: \"20.0.10.0/24\"\n"
	"  serviceSelector:\n    matchExpressions:\n"
	"      - {key: color, operator: In, values: [blue, cyan]}\n"
	"---\n"
	"apiVersion: \"cilium.io/v2alpha1\"\n"
	"kind: CiliumLoadBalancerIPPool\n"
	"metadata:\n  name: \"red-pool\"\n"
	"spec:\n  blocks:\n  - cidr: \"20.0.10.0/24\"\n"
	"  serviceSelector:\n    matchLabels:\n      color: red\n";

static const char svcs[] =
	"apiVersion: v1\nkind: Service\n"
	"metadata: {name: red, namespace: default, labels: {color: red}}\n"
	"spec:\n  type: LoadBalancer\n  clusterIP: 10.96.0.11\n"
	"  sessionAffinity: ClientIP\n"
	"  loadBalancerSourceRanges: [\"192.0.2.7/24\", \"2001:db8::/64\"]\n"
	"  ports:\n  - {name: http, port: 80, targetPort: web}\n"
	"  - {name: dns, port: 53, protocol: UDP, targetPort: 53}\n"
	"---\n"
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata:\n  name: red-1\n  labels: {kubernetes.io/service-name: red}\n"
	"addressType: IPv4\n"
	"ports:\n- {name: http, port: 8080}\n- {name: dns, port: 5353, protocol: UDP}\n"
	"endpoints:\n"
	"- addresses: [198.51.100.2]\n"
	"- addresses: [198.51.100.3]\n  conditions: {ready: false}\n"
	"- addresses: [198.51.100.4]\n"
	"  conditions: {ready: false, serving: true, terminating: true}\n";

static json_t *req(struct lbipamd *d, bool w, const char *fmt, ...)
{
	json_error_t je;
	json_t *r, *resp;
	va_list ap;

	va_start(ap, fmt);
	r = json_vpack_ex(&je, 0, fmt, ap);
	va_end(ap);
	resp = lbipamd_handle(d, r, w);
	json_decref(r);
	return resp;
}

static bool resp_ok(json_t *r)
{
	return json_is_true(json_object_get(r, "ok"));
}

static const struct lbipamd_ksvc *find(struct lbipamd *d, const char *addr,
				       uint16_t port, uint8_t proto)
{
	size_t i;

	for (i = 0; i < d->want.by_key.n; i++) {
		const struct lbipamd_ksvc *k = d->want.by_key.v[i];
		char a[64];

		lb_addr_str(&k->key.ep, a, sizeof(a));
		if (!strcmp(a, addr) && k->key.ep.port == port &&
		    k->key.proto == proto)
			return k;
	}
	return NULL;
}

static const struct lb_backend *be(const struct lbipamd_ksvc *k,
				   const char *addr)
{
	size_t i;

	for (i = 0; k && i < k->nbe; i++) {
		char a[64];

		lb_addr_str(&k->be[i].ep, a, sizeof(a));
		if (!strcmp(a, addr))
			return &k->be[i];
	}
	return NULL;
}

/* The entry of Service @owner on an LB IP (expire-nodest) for @port/tcp. */
static const struct lbipamd_ksvc *find_lb(struct lbipamd *d, const char *owner,
					  uint16_t port)
{
	size_t i;

	for (i = 0; i < d->want.by_key.n; i++) {
		const struct lbipamd_ksvc *k = d->want.by_key.v[i];

		if (!strcmp(k->owner, owner) && k->key.ep.port == port &&
		    k->key.proto == IPPROTO_TCP &&
		    (k->opts.flags & LBIPAM_SVC_F_EXPIRE_NODEST))
			return k;
	}
	return NULL;
}

static bool cidr_is(const struct lb_cidr *c, int family, const char *addr,
		    uint8_t plen)
{
	unsigned char want[16];

	return c->family == family && c->plen == plen &&
	       inet_pton(family, addr, want) == 1 &&
	       !memcmp(&c->addr, want, family == AF_INET ? 4 : 16);
}

/* What the incremental updates left equals a rebuild from the engine. */
static void same_as_rebuild(struct lbipamd *d, const char *when)
{
	struct lbipamd_want full;
	bool same;
	size_t i;

	same = !lbipamd_desired(d->eng, &d->dcfg, &full) &&
	       full.by_key.n == d->want.by_key.n &&
	       full.by_owner.n == d->want.by_owner.n;
	for (i = 0; same && i < full.by_key.n; i++)
		same = !lbipamd_ksvc_cmp_key(&full.by_key.v[i]->key,
					     &d->want.by_key.v[i]->key) &&
		       !strcmp(full.by_key.v[i]->owner,
			       d->want.by_key.v[i]->owner) &&
		       lbipamd_ksvc_equal(full.by_key.v[i], d->want.by_key.v[i]);
	ok(same, "%s: incremental wanted table equals a rebuild (%zu entries)",
	   when, full.by_key.n);
	lbipamd_want_free(&full);
}

/*
 * One scenario against one daemon, step after step: each step starts from
 * the state the one before left, so it reads top to bottom, unsplit.
 */
int main(void)
{
	struct lb_engine_config cfg = { .log = lbipamd_log_engine,
					.log_level = LB_LOG_WARN,
					.strict = true };
	struct lbipamd d = { .dcfg.masquerade = true };
	struct lb_cidr ccidrs[2];
	struct lbipamd_ksvc *copy;
	const struct lbipamd_ksvc *k;
	const struct lb_backend *b;
	json_t *r, *items;
	char *before, *after;

	lbipamd_log_set_level(LB_LOG_ERROR);
	/* cluster-cidr: one prefix of each family. */
	if (lb_cidr_parse("10.244.0.0/16", 0, &ccidrs[0], NULL, NULL, 0) ||
	    lb_cidr_parse("fd00:10:244::/56", 0, &ccidrs[1], NULL, NULL, 0))
		return 1;
	d.dcfg.cluster_cidrs = ccidrs;
	d.dcfg.ncluster_cidrs = 2;
	if (lbe_open(&cfg, &d.eng, NULL))
		return 1;
	d.want.by_owner.by_owner = true;
	lbipamd_kernel_init(&d.kern);

	r = req(&d, false, "{s:s, s:s}", "op", "apply", "yaml", pools);
	ok(!resp_ok(r) && strstr(json_string_value(json_object_get(r, "error")),
				 "permission denied"),
	   "apply without write permission is refused");
	json_decref(r);

	r = req(&d, true, "{s:s, s:s, s:s}", "op", "apply", "file", "pools.yaml",
		"yaml", pools);
	ok(resp_ok(r), "apply the seed pools");
	is_str(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "results"), 0), "action")), "created",
	       "first apply says created");
	json_decref(r);

	r = req(&d, true, "{s:s, s:s, s:s}", "op", "apply", "file", "s.yaml",
		"yaml", svcs);
	ok(resp_ok(r), "apply a Service with its EndpointSlice");
	json_decref(r);
	ok(d.kern.state == LBIPAMD_K_MISSING || d.kern.state == LBIPAMD_K_SYNCED,
	   "kernel state reported (%s: %s)", lbipamd_kstate_name(d.kern.state),
	   d.kern.msg);

	r = req(&d, false, "{s:s, s:s}", "op", "get", "kind", "ippools");
	items = json_object_get(r, "items");
	ok(resp_ok(r) && json_array_size(items) == 2, "get ippools lists two");
	ok(json_is_true(json_object_get(json_array_get(items, 0), "conflicting")) &&
	   json_is_false(json_object_get(json_array_get(items, 1), "conflicting")),
	   "blue-pool conflicts, red-pool does not");
	json_decref(r);

	/* The desired kernel table. */
	k = find(&d, "20.0.10.0", 80, IPPROTO_TCP);
	ok(k != NULL, "LB IP 20.0.10.0:80/tcp wanted");
	ok(k && k->opts.affinity == 10800, "sessionAffinity ClientIP -> 10800 s");
	ok(k && (k->opts.flags & LBIPAM_SVC_F_MASQUERADE),
	   "externalTrafficPolicy Cluster -> masquerade");
	ok(k && k->opts.ranges.n == 1 && k->opts.ranges.v[0].plen == 24 &&
	   k->opts.ranges.v[0].addr.v4.s_addr == inet_addr("192.0.2.0"),
	   "source range of the family, host bits cleared");
	b = be(k, "198.51.100.2");
	ok(b && b->ep.port == 8080 && b->state == LBIPAM_BE_ACTIVE &&
	   (b->flags & LBIPAM_BE_F_LOCAL),
	   "ready endpoint -> active on the slice's named port 8080");
	b = be(k, "198.51.100.3");
	ok(b && b->state == LBIPAM_BE_MAINTENANCE, "not ready -> maintenance");
	b = be(k, "198.51.100.4");
	ok(b && b->state == LBIPAM_BE_TERMINATING, "terminating -> terminating");
	k = find(&d, "20.0.10.0", 53, IPPROTO_UDP);
	ok(k && be(k, "198.51.100.2") && be(k, "198.51.100.2")->ep.port == 5353,
	   "UDP port maps to the slice's UDP port");
	k = find(&d, "10.96.0.11", 80, IPPROTO_TCP);
	ok(k && k->opts.flags == 0 && k->opts.ranges.n == 0 && k->nbe == 3,
	   "ClusterIP programmed without LB flags or ranges");
	ok(k && k->opts.cluster.n == 0, "ClusterIP programmed without cluster CIDRs");
	k = find(&d, "20.0.10.0", 80, IPPROTO_TCP);
	ok(k && !(k->opts.flags & LBIPAM_SVC_F_LOCAL_ONLY) &&
	   k->opts.cluster.n == 0,
	   "externalTrafficPolicy Cluster: no local-only, no cluster CIDRs");

	/* externalTrafficPolicy Local: the configured cluster CIDRs too. */
	r = req(&d, true, "{s:s, s:s}", "op", "apply", "yaml",
		"apiVersion: v1\nkind: Service\n"
		"metadata: {name: loc, namespace: default, labels: {color: red}}\n"
		"spec:\n  type: LoadBalancer\n  clusterIP: 10.96.0.12\n"
		"  externalTrafficPolicy: Local\n"
		"  ports:\n  - {name: https, port: 443}\n");
	ok(resp_ok(r), "apply an externalTrafficPolicy Local Service");
	json_decref(r);
	k = find_lb(&d, "default/loc", 443);
	ok(k && (k->opts.flags & LBIPAM_SVC_F_LOCAL_ONLY) &&
	   !(k->opts.flags & LBIPAM_SVC_F_MASQUERADE),
	   "externalTrafficPolicy Local -> local-only, no masquerade");
	ok(k && k->opts.cluster.n == 1 &&
	   cidr_is(&k->opts.cluster.v[0], AF_INET, "10.244.0.0", 16),
	   "externalTrafficPolicy Local -> the cluster CIDR of the LB IP's family");
	k = find(&d, "10.96.0.12", 443, IPPROTO_TCP);
	ok(k && k->opts.flags == 0 && k->opts.cluster.n == 0,
	   "its ClusterIP: neither local-only nor cluster CIDRs");
	k = find_lb(&d, "default/loc", 443);
	if (k) {
		copy = lbipamd_ksvc_dup(k);
		ok(lbipamd_ksvc_equal(k, copy), "a copy is no change");
		copy->opts.cluster.v[0].plen = 17;
		ok(!lbipamd_ksvc_equal(k, copy),
		   "a changed cluster CIDR is a change to program");
		copy->opts.cluster.n = 0;
		ok(!lbipamd_ksvc_equal(k, copy),
		   "a removed cluster CIDR is a change to program");
		lbipamd_ksvc_free(copy);
	} else {
		ok(false, "a copy is no change");
		ok(false, "a changed cluster CIDR is a change to program");
		ok(false, "a removed cluster CIDR is a change to program");
	}

	/* Terminating fallback: only serving terminating endpoints left. */
	r = req(&d, true, "{s:s, s:s}", "op", "apply", "yaml",
		"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata:\n  name: red-1\n  labels: {kubernetes.io/service-name: red}\n"
		"addressType: IPv4\nports:\n- {name: http, port: 8080}\n"
		"endpoints:\n- addresses: [198.51.100.4]\n"
		"  conditions: {ready: false, serving: true, terminating: true}\n");
	json_decref(r);
	k = find(&d, "20.0.10.0", 80, IPPROTO_TCP);
	ok(k && k->nbe == 1 && k->be[0].state == LBIPAM_BE_ACTIVE,
	   "no ready endpoint: serving terminating one takes connections");
	same_as_rebuild(&d, "after applies");

	/* All or nothing: a bad document anywhere rejects the call. */
	before = lbe_dump(d.eng);
	r = req(&d, true, "{s:s, s:s, s:s}", "op", "apply", "file", "bad.yaml",
		"yaml",
		"apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
		"metadata: {name: green}\nspec:\n  blocks:\n  - cidr: 20.0.30.0/24\n"
		"---\nkind: Ingress\napiVersion: v1\nmetadata: {name: x}\n");
	ok(!resp_ok(r), "unknown kind rejects the whole apply");
	is_str(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "diags"), 0), "path")), "kind",
	       "diag names the field");
	ok(json_integer_value(json_object_get(json_array_get(
		json_object_get(r, "diags"), 0), "doc")) == 1,
	   "diag names document 1");
	json_decref(r);
	r = req(&d, true, "{s:s, s:s}", "op", "apply", "yaml",
		"apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
		"metadata: {name: green}\nspec:\n  blocks:\n  - cidr: 20.0.300.0/24\n");
	is_str(json_string_value(json_object_get(json_array_get(
		json_object_get(r, "diags"), 0), "path")), "spec.blocks[0].cidr",
	       "invalid CIDR rejected with its path");
	json_decref(r);
	r = req(&d, true, "{s:s, s:s}", "op", "apply", "yaml",
		"apiVersion: v1\nkind: Service\nmetadata: {name: Bad_Name}\n");
	ok(!resp_ok(r) && json_array_size(json_object_get(r, "diags")) >= 1,
	   "engine validation errors come back as diags");
	json_decref(r);
	after = lbe_dump(d.eng);
	is_str(after, before, "state unchanged by rejected applies");
	free(before);
	free(after);

	r = req(&d, true, "{s:s, s:s, s:s, s:s}", "op", "delete", "kind",
		"service", "namespace", "default", "name", "nope");
	ok(!resp_ok(r), "deleting a missing service fails");
	json_decref(r);
	r = req(&d, true, "{s:s, s:s, s:s}", "op", "delete", "kind", "ippool",
		"name", "red-pool");
	ok(resp_ok(r), "delete ippool red-pool");
	json_decref(r);
	r = req(&d, false, "{s:s, s:s, s:s, s:s}", "op", "describe", "kind",
		"service", "namespace", "default", "name", "red");
	ok(resp_ok(r) && !json_array_size(json_object_get(json_object_get(r, "item"), "ips")),
	   "the red Service lost its IP with its pool");
	json_decref(r);
	ok(find(&d, "20.0.10.0", 80, IPPROTO_TCP) == NULL &&
	   find(&d, "10.96.0.11", 80, IPPROTO_TCP) != NULL,
	   "LB IP left the wanted table, ClusterIP stayed");

	same_as_rebuild(&d, "after deletes");

	ok(lbipamd_peer_may_write(0, 0, NULL, 0, 1000, 77), "root may write");
	ok(!lbipamd_peer_may_write(1001, 1001, NULL, 0, 1000, 77),
	   "other user may not");
	{
		gid_t g[] = { 5, 77 };

		ok(lbipamd_peer_may_write(1001, 1001, g, 2, 1000, 77),
		   "supplementary group lbipam may");
	}
	ok(!lbipamd_peer_may_write(1001, 1001, NULL, 0, 1000, (gid_t)-1),
	   "no group lbipam: only root and the daemon's user");

	lbipamd_l2_state_free(&d);
	lbipamd_kernel_close(&d.kern);
	lbipamd_want_free(&d.want);
	lbe_close(d.eng);
	return lb_tap_done();
}
