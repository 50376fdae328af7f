// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's view of Services (typed fields, resolved target ports),
 * change reporting, stored objects as JSON, and the admission extras.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *seed =
	"apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
	"metadata: {name: blue}\nspec:\n  blocks:\n  - cidr: 20.0.10.0/24\n"
	"  - cidr: 'fd00:10::/120'\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
	"  type: LoadBalancer\n  clusterIP: 10.96.0.10\n"
	"  sessionAffinity: ClientIP\n"
	"  sessionAffinityConfig: {clientIP: {timeoutSeconds: 300}}\n"
	"  loadBalancerSourceRanges: [192.0.2.7/24, '2001:db8::1/64']\n"
	"  externalTrafficPolicy: Local\n"
	"  ports:\n  - {name: http, port: 80, targetPort: 8080}\n"
	"  - {name: dns, port: 53, protocol: UDP, targetPort: dns}\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata:\n  name: web-b\n  labels: {kubernetes.io/service-name: web}\n"
	"addressType: IPv4\nports:\n- {name: http, port: 8080}\n"
	"- {name: dns, port: 5353, protocol: UDP}\nendpoints:\n"
	"- addresses: [198.51.100.2, 198.51.100.22]\n  nodeName: n1\n"
	"- addresses: [198.51.100.3]\n"
	"  conditions: {ready: false, serving: true, terminating: true}\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata:\n  name: web-a\n  labels: {kubernetes.io/service-name: web}\n"
	"addressType: IPv4\nendpoints:\n- addresses: [198.51.100.9]\n";

struct seen {
	char lb[64], cip[64], ranges[128], ports[256], eps[256];
	uint32_t affinity;
	bool etp_local;
};

static void ipstr(const struct lb_ip *ip, char *b, size_t n)
{
	inet_ntop(ip->family, &ip->v6, b, (socklen_t)n);
}

static int view_cb(const struct lb_kservice *s, void *arg)
{
	struct seen *v = arg;
	char a[INET6_ADDRSTRLEN];
	size_t i, j;
	int n;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < s->n_lb_ips; i++) {
		ipstr(&s->lb_ips[i], a, sizeof(a));
		n = strlen(v->lb);
		snprintf(v->lb + n, sizeof(v->lb) - n, "%s ", a);
	}
	for (i = 0; i < s->n_cluster_ips; i++)
		ipstr(&s->cluster_ips[i], v->cip, sizeof(v->cip));
	for (i = 0; i < s->n_ranges; i++) {
		ipstr(&s->ranges[i].ip, a, sizeof(a));
		n = strlen(v->ranges);
		snprintf(v->ranges + n, sizeof(v->ranges) - n, "%s/%u ", a,
			 s->ranges[i].plen);
	}
	for (i = 0; i < s->n_ports; i++) {
		const struct lb_kport *p = &s->ports[i];

		n = strlen(v->ports);
		snprintf(v->ports + n, sizeof(v->ports) - n, "%u/%u:", p->port,
			 p->proto);
		for (j = 0; j < p->n_endpoints; j++) {
			ipstr(&p->endpoints[j].ip, a, sizeof(a));
			n = strlen(v->ports);
			snprintf(v->ports + n, sizeof(v->ports) - n, "%s:%u,",
				 a, p->endpoints[j].port);
		}
		n = strlen(v->ports);
		snprintf(v->ports + n, sizeof(v->ports) - n, " ");
	}
	for (i = 0; i < s->n_endpoints; i++) {
		const struct lb_kendpoint *ep = &s->endpoints[i];

		ipstr(&ep->ip, a, sizeof(a));
		n = strlen(v->eps);
		snprintf(v->eps + n, sizeof(v->eps) - n, "%s/%s/%d%d%d/%s ",
			 ep->slice, a, ep->ready, ep->serving, ep->terminating,
			 ep->node ? ep->node : "-");
	}
	v->affinity = s->affinity;
	v->etp_local = s->etp_local;
	return 0;
}

struct names {
	char s[256];
};

static int changed_cb(const char *ns, const char *name, void *arg)
{
	struct names *c = arg;
	size_t n = strlen(c->s);

	snprintf(c->s + n, sizeof(c->s) - n, "%s/%s ", ns, name);
	return 0;
}

static const char *changed(struct lb_engine *e)
{
	static struct names c;

	c.s[0] = '\0';
	lbe_foreach_changed(e, changed_cb, &c);
	lbe_changed_clear(e);
	return c.s;
}

static void test_view(void)
{
	struct lb_engine *e = eng_new();
	struct seen v;

	ok(apply(e, seed) == 0, "seed applies");
	ok(lbe_changed_all(e), "a fresh engine reports everything");
	ok(lbe_kernel_service(e, "default", "web", view_cb, &v) == 0,
	   "kernel view of web");
	is(v.lb, "20.0.10.0 ", "LB IP in binary (single stack)");
	is(v.cip, "10.96.0.10", "clusterIP");
	is(v.ranges, "192.0.2.0/24 2001:db8::/64 ",
	   "source ranges, host bits cleared");
	ok(v.affinity == 300 && v.etp_local, "affinity 300 s, ETP Local");
	is(v.ports,
	   "80/6:198.51.100.9:8080,198.51.100.2:8080,198.51.100.3:8080, "
	   "53/17:198.51.100.2:5353,198.51.100.3:5353, ",
	   "target ports per slice: named port, numeric fallback, no name match");
	is(v.eps, "web-a/198.51.100.9/110/- web-b/198.51.100.2/110/n1 "
	   "web-b/198.51.100.3/011/- ",
	   "endpoints: slices by name, first address, conditions, node");
	ok(lbe_kernel_service(e, "default", "nope", view_cb, &v) ==
	   -ENOENT, "no view of a missing Service");
	lbe_close(e);
}

static void test_changes(void)
{
	struct lb_engine *e = eng_new();

	apply(e, seed);
	apply(e, svc_yaml("default", "other", NULL, NULL,
			  "  type: LoadBalancer\n  ports: [{port: 1}]\n"));
	lbe_changed_clear(e);
	ok(!lbe_changed_all(e), "cleared");
	is(changed(e), "", "nothing changed");
	apply(e, "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	      "metadata:\n  name: web-a\n  labels: {kubernetes.io/service-name: web}\n"
	      "addressType: IPv4\nendpoints:\n- addresses: [198.51.100.8]\n");
	ok(strstr(changed(e), "default/web ") != NULL,
	   "a changed EndpointSlice reports its Service");
	apply(e, seed);
	changed(e);
	apply(e, seed);
	is(changed(e), "", "re-applying the same objects reports nothing");
	del_pool(e, "blue");
	{
		const char *c = changed(e);

		ok(strstr(c, "default/web ") && strstr(c, "default/other "),
		   "deleting the pool reports every Service that lost an IP (%s)",
		   c);
	}
	del_svc(e, "default", "other");
	is(changed(e), "default/other ", "a deleted Service is reported");
	{
		char y[512];
		int i;

		/* Nobody reads the list: it stops growing, says "all". */
		for (i = 0; i < 700; i++) {
			snprintf(y, sizeof(y),
				 "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
				 "metadata:\n  name: web-a\n  labels: {kubernetes.io/service-name: web}\n"
				 "addressType: IPv4\nendpoints:\n- addresses: [198.51.%d.%d]\n",
				 100 + i / 200, 1 + i % 200);
			apply(e, y);
		}
		ok(lbe_changed_all(e), "an unread list turns into 'everything'");
		lbe_changed_clear(e);
		apply(e, svc_yaml("default", "web", NULL, NULL,
				  "  type: LoadBalancer\n  ports: [{port: 2}]\n"));
		is(changed(e), "default/web ", "... and after a clear, changes are named again");
	}
	lbe_close(e);
}

static void test_json(void)
{
	const char *y = "a: 80\nb: '80'\nc: true\nd: ~\ne: 1.5\nf: x\ng: \"\"\n"
			"h: [1, two]\ni: 1.0\nj: \"q\\\"\\\\\"\n";
	char *err, *j = lbe_yaml_to_json(y, strlen(y), &err);

	is(j, "{\"a\":80,\"b\":\"80\",\"c\":true,\"d\":null,\"e\":1.5,"
	   "\"f\":\"x\",\"g\":\"\",\"h\":[1,\"two\"],\"i\":1.0,"
	   "\"j\":\"q\\\"\\\\\"}",
	   "plain scalars typed, quoted ones strings, escapes");
	free(j);
	y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
	j = lbe_yaml_to_json(y, strlen(y), &err);
	ok(!j && err, "alias bomb refused (%s)", err ? err : "");
	free(err);
	y = "? [a]\n: 1\n";
	j = lbe_yaml_to_json(y, strlen(y), &err);
	ok(!j && err, "non-scalar key refused (%s)", err ? err : "");
	free(err);
	j = lbe_yaml_to_json("a: [", 4, &err);
	ok(!j && err && strstr(err, "line"), "syntax error with its line");
	free(err);
}

static void test_object_json(void)
{
	struct lb_engine *e = eng_new();
	char *j;

	apply(e, seed);
	j = lbe_object_json(e, LB_KIND_SERVICE, "default", "web");
	ok(j && strstr(j, "\"targetPort\":8080") &&
	   strstr(j, "\"timeoutSeconds\":300"),
	   "stored Service as JSON");
	free(j);
	ok(!lbe_object_json(e, LB_KIND_POOL, NULL, "nope"),
	   "no JSON for a missing object");
	lbe_close(e);
}

static void test_validation(void)
{
	struct lb_engine_config c = { .strict = true };
	struct lb_engine *e = eng_open(NULL, &c);
	struct lb_diags d = { 0 };
	struct lb_results r = { 0 };
	const char *svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
			  "spec:\n  ports: [{port: 1}]\n";

	is(apply_err(e, svc_yaml("default", "s", NULL, NULL,
				 "  loadBalancerSourceRanges: [1.2.3.4/33]\n")),
	   "test.yaml: document 0: spec.loadBalancerSourceRanges[0]: invalid CIDR '1.2.3.4/33'",
	   "bad source range named");
	is(apply_err(e, svc_yaml("default", "s", NULL, NULL,
				 "  sessionAffinity: Sticky\n")),
	   "test.yaml: document 0: spec.sessionAffinity: must be None or ClientIP, got 'Sticky'",
	   "bad affinity named");
	is(apply_err(e, svc_yaml("default", "s", NULL, NULL,
				 "  clusterIP: 10.0.0.300\n")),
	   "test.yaml: document 0: spec.clusterIP: invalid IP address '10.0.0.300'",
	   "bad clusterIP named");
	is(apply_err(e, svc_yaml("default", "s", NULL, NULL,
				 "  ports: [{port: 1, targetPort: 70000}]\n")) ?
	   "rejected" : "accepted", "rejected", "targetPort out of range");
	is(apply_err(e, "kind: Ingress\napiVersion: v1\nmetadata: {name: x}\n"),
	   "test.yaml: document 0: kind: unknown kind 'Ingress': expected CiliumLoadBalancerIPPool, Service, EndpointSlice, CiliumL2AnnouncementPolicy, Node, CiliumBGPClusterConfig, CiliumBGPPeerConfig or CiliumBGPAdvertisement",
	   "strict: unknown kind is an error");
	is(apply_err(e, pool_yaml("p", "[{cidr: 20.0.300.0/24}]", NULL)),
	   "test.yaml: document 0: spec.blocks[0].cidr: invalid CIDR '20.0.300.0/24'",
	   "strict: unparseable block is an error");

	ok(lbe_apply_yaml_results(e, "f", svc, strlen(svc), &d, &r) == 0 &&
	   r.n == 1 && r.items[0].action == LB_ACTION_CREATED,
	   "apply says created");
	lbe_results_free(&r);
	lbe_apply_yaml_results(e, "f", svc, strlen(svc), &d, &r);
	ok(r.n == 1 && r.items[0].action == LB_ACTION_UNCHANGED,
	   "same again: unchanged");
	lbe_results_free(&r);
	ok(lbe_delete_yaml(e, "f", "kind: Service\nmetadata: {name: t}\n",
				 strlen("kind: Service\nmetadata: {name: t}\n"),
				 &d, &r) == -EINVAL && d.n == 1 &&
	   !strcmp(d.items[0].reason, "service \"t\" not found"),
	   "delete of a missing object: nothing deleted, named");
	lbe_diags_free(&d);
	lbe_results_free(&r);
	ok(lbe_delete_yaml(e, "f", svc, strlen(svc), &d, &r) == 0 &&
	   r.n == 1 && r.items[0].action == LB_ACTION_DELETED &&
	   !lbe_exists(e, LB_KIND_SERVICE, "default", "s"),
	   "delete by YAML");
	lbe_results_free(&r);
	lbe_diags_free(&d);
	lbe_close(e);
}

int main(void)
{
	test_view();
	test_changes();
	test_json();
	test_object_json();
	test_validation();
	return done_testing();
}
