// SPDX-License-Identifier: GPL-2.0
/* YAML input: accepted shapes, validation errors, all-or-nothing. */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hdr[] = "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n";

/* Mostly its table: each bad document and the error it must give. */
static void errors(void)
{
	struct lb_engine *e = eng_new();
	char buf[2048];
	static const struct {
		const char *spec;	/* appended after the header */
		const char *want;
	} cases[] = {
		{ "metadata: {name: p}\nspec: {disabled: maybe}\n",
		  "test.yaml: document 0: spec.disabled: expected a boolean, got 'maybe'" },
		{ "metadata: {name: p}\nspec: {disabled: \"true\"}\n",
		  "test.yaml: document 0: spec.disabled: expected a boolean, got 'true'" },
		{ "metadata: {name: p}\nspec: {allowFirstLastIPs: nope}\n",
		  "test.yaml: document 0: spec.allowFirstLastIPs: must be Yes or No, got 'nope'" },
		{ "metadata: {name: p}\nspec: {blocks: \"10.0.0.0/8\"}\n",
		  "test.yaml: document 0: spec.blocks: expected a list" },
		{ "metadata: {name: p}\nspec: {blocks: [\"10.0.0.0/8\"]}\n",
		  "test.yaml: document 0: spec.blocks[0]: expected a mapping with cidr or start/stop" },
		{ "metadata: {name: p}\nspec: {blocks: [{cidr: [1]}]}\n",
		  "test.yaml: document 0: spec.blocks[0].cidr: expected a string" },
		{ "metadata: {name: Bad_Name}\n",
		  "test.yaml: document 0: metadata.name: invalid or missing name 'Bad_Name'" },
		{ "metadata: {}\n",
		  "test.yaml: document 0: metadata.name: invalid or missing name ''" },
		{ "spec: {}\n", "test.yaml: document 0: metadata: metadata is required" },
		{ "metadata: {name: p}\nspec: {priority: high}\n",
		  "test.yaml: document 0: spec.priority: expected an integer, got 'high'" },
		{ "metadata: {name: p}\nspec: {priority: 99999999999}\n",
		  "test.yaml: document 0: spec.priority: 99999999999 is out of range [-2147483648, 2147483647]" },
		{ "metadata: {name: p}\nspec:\n  serviceSelector:\n    matchExpressions: [{key: a, operator: Maybe}]\n",
		  "test.yaml: document 0: spec.serviceSelector.matchExpressions[0].operator: operator must be one of In, NotIn, Exists, DoesNotExist" },
		{ "metadata: {name: p}\nspec:\n  serviceSelector:\n    matchExpressions: [{key: a, operator: In}]\n",
		  "test.yaml: document 0: spec.serviceSelector.matchExpressions[0].values: values must be non-empty for In" },
		{ "metadata: {name: p}\nspec:\n  serviceSelector:\n    matchExpressions: [{key: a, operator: Exists, values: [x]}]\n",
		  "test.yaml: document 0: spec.serviceSelector.matchExpressions[0].values: values must be empty for Exists" },
		{ "metadata: {name: p}\nspec:\n  serviceSelector: {matchLabels: {a: [x]}}\n",
		  "test.yaml: document 0: spec.serviceSelector.matchLabels.a: expected a string" },
		{ "metadata: {name: p, creationTimestamp: yesterday}\n",
		  "test.yaml: document 0: metadata.creationTimestamp: expected RFC 3339 UTC time like 2024-01-02T03:04:05Z, got 'yesterday'" },
	};
	size_t i;

	apply(e, pool_yaml("keep", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "s", NULL, NULL, NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", hdr, cases[i].spec);
		is(apply_err(e, buf), cases[i].want, "pool error %zu: %s", i, cases[i].want + 23);
	}
	is(apply_err(e, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
		     "spec: {type: LoadBalancer, ports: [{port: 99999}]}\n"),
	   "test.yaml: document 0: spec.ports[0].port: 99999 is out of range [1, 65535]", "service port range");
	is(apply_err(e, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
		     "spec: {ports: [{port: 53, protocol: ICMP}]}\n"),
	   "test.yaml: document 0: spec.ports[0].protocol: protocol must be TCP, UDP or SCTP, got 'ICMP'",
	   "service protocol");
	is(apply_err(e, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
		     "spec: {ipFamilyPolicy: Sometimes}\n"),
	   "test.yaml: document 0: spec.ipFamilyPolicy: must be SingleStack, PreferDualStack or RequireDualStack, got 'Sometimes'",
	   "service family policy");
	is(apply_err(e, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
		     "spec: {ipFamilies: [IPv4, IPv4]}\n"),
	   "test.yaml: document 0: spec.ipFamilies[1]: duplicate or extra family", "duplicate family");
	is(apply_err(e, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
		     "spec: {externalTrafficPolicy: Global}\n"),
	   "test.yaml: document 0: spec.externalTrafficPolicy: must be Cluster or Local, got 'Global'", "etp");
	is(apply_err(e, "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: Not_Ok}\n"),
	   "test.yaml: document 0: metadata.namespace: invalid namespace 'Not_Ok'", "namespace");
	is(apply_err(e, "apiVersion: v2\nkind: Service\nmetadata: {name: x}\n"),
	   "test.yaml: document 0: apiVersion: unsupported apiVersion 'v2' for Service", "apiVersion");
	is(apply_err(e, "metadata: {name: x}\n"), "test.yaml: document 0: kind: kind is required", "kind");
	is(apply_err(e, "- a\n- b\n"), "test.yaml: document 0: document is not a mapping", "not a mapping");
	is(apply_err(e, "a: [\n"),
	   "test.yaml: document 0: YAML syntax error: did not find expected node content at line 2 column 1",
	   "syntax error with position");

	/* All or nothing: a good document before a bad one changes nothing. */
	snprintf(buf, sizeof(buf),
		 "%s---\n%s---\n%smetadata: {name: bad}\nspec: {disabled: 3}\n",
		 pool_yaml("keep", "[{cidr: 10.9.0.0/24}]", NULL),
		 svc_yaml("default", "new", NULL, NULL, NULL), hdr);
	is(apply_err(e, buf), "test.yaml: document 2: spec.disabled: expected a boolean, got '3'",
	   "the failing document is named by index");
	is(ips(e, "default", "s"), "10.0.0.0", "all or nothing: existing service untouched");
	is(ips(e, "default", "new"), "absent", "all or nothing: the valid service was not created");
	is(pool_count(e, "keep", 0, "total"), "256", "all or nothing: the valid pool edit was not applied");
	ok(logs_have("level=error msg=\"Rejected input, nothing applied\""), "rejection is logged");
	{
		struct lb_diags dg = { 0 };
		uint64_t seq = lbe_state_seq(e);

		ok(lbe_validate_yaml(e, "v.yaml", buf, strlen(buf), &dg) == -EINVAL &&
		   dg.n == 1 && dg.items[0].doc == 2 && !strcmp(dg.items[0].path, "spec.disabled"),
		   "validate-only reports the same diagnostic");
		lbe_diags_free(&dg);
		snprintf(buf, sizeof(buf), "%s", svc_yaml("default", "v", NULL, NULL, NULL));
		ok(!lbe_validate_yaml(e, "v.yaml", buf, strlen(buf), NULL) &&
		   lbe_state_seq(e) == seq && !strcmp(ips(e, "default", "v"), "absent"),
		   "validate-only of a good document changes nothing");
	}
	snprintf(buf, sizeof(buf), "%s---\n%s", pool_yaml("dup", "[]", NULL), pool_yaml("dup", "[]", NULL));
	is(apply_err(e, buf),
	   "test.yaml: document 1: metadata.name: CiliumLoadBalancerIPPool 'dup' already appears in document 0",
	   "two versions of one object in one call are refused");
	lbe_close(e);
}

static void shapes(void)
{
	struct lb_engine *e = eng_new();

	ok(!apply(e, "---\n# comment only\n---\n"
		     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n"
		     "apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\n"
		     "metadata: {name: old}\nspec:\n  cidrs: [{cidr: 10.1.0.0/30}]\n"
		     "...\n"),
	   "empty documents and other kinds are skipped; v2alpha1 cidrs accepted");
	ok(logs_have("Skipping document of a kind we do not handle"), "skipped kinds are logged");
	is(pool_count(e, "old", 0, "total"), "4", "cidrs behaves as blocks");
	apply(e, pool_yaml("m", "[{cidr: 192.168.100.200/28}]", NULL));
	is(pool_cond(e, "m", "lbipam.io/InvalidBlocks"), "False/valid/", "a misaligned CIDR is valid");
	apply(e, svc_yaml("default", "s", NULL, "\"lbipam.io/pool\": m", NULL));
	is(ips(e, "default", "s"), "192.168.100.192", "its host bits are masked, as in Cilium");
	ok(logs_have("CIDR has host bits set"), "and a warning is logged");
	apply(e, pool_yaml("bad", "[{start: 10.5.0.9, stop: 10.5.0.1}, {start: 10.5.0.1, stop: \"fd00::1\"},"
			   " {cidr: nonsense}, {stop: 10.5.0.3}, {start: 10.5.1.1, stop: 10.5.1.2}]", NULL));
	is(pool_cond(e, "bad", "lbipam.io/InvalidBlocks"),
	   "True/invalid_blocks/blocks[0]: start IP '10.5.0.9' is greater than stop IP '10.5.0.1'; "
	   "blocks[1]: start IP '10.5.0.1' and stop IP 'fd00::1' are of different families; "
	   "blocks[2]: invalid CIDR 'nonsense'; blocks[3]: block has neither cidr nor start",
	   "invalid blocks are reported together");
	is(pool_count(e, "bad", 0, "total"), "2", "the valid block still counts");
	apply(e, svc_yaml("default", "t", NULL, "\"lbipam.io/pool\": bad", NULL));
	is(ips(e, "default", "t"), "10.5.1.1", "and still allocates");
	apply(e, "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: n}\n"
		 "spec:\n  disabled: ~\n  serviceSelector: null\n  blocks:\n  - start: 10.6.0.1\n");
	is(pool_count(e, "n", 0, "total"), "1", "start alone is one IP; nulls are absent fields");
	apply(e, "apiVersion: v1\nkind: Service\nmetadata: {name: anchors}\n"
		 "spec: &s {type: LoadBalancer, ports: [{port: 1}]}\n"
		 "---\napiVersion: v1\nkind: Service\nmetadata: {name: b, annotations: {\"lbipam.io/pool\": n}}\n"
		 "spec: {type: LoadBalancer}\n");
	is(ips(e, "default", "b"), "10.6.0.1", "multi-document service file");
	lbe_close(e);
}

static const char list[] =
	"apiVersion: v1\n"
	"kind: List\n"
	"metadata: {resourceVersion: \"\"}\n"
	"items:\n"
	"- apiVersion: cilium.io/v2\n"
	"  kind: CiliumLoadBalancerIPPool\n"
	"  metadata: {name: listed, creationTimestamp: \"2024-01-01T00:00:00Z\"}\n"
	"  spec:\n"
	"    blocks: [{cidr: 10.3.0.0/24}]\n"
	"    disabled: false\n"
	"- apiVersion: v1\n"
	"  kind: Service\n"
	"  metadata:\n"
	"    name: web\n"
	"    namespace: prod\n"
	"    annotations: {lbipam.cilium.io/sharing-key: \"k: with colon\"}\n"
	"  spec:\n"
	"    type: LoadBalancer\n"
	"    ports: [{port: 443, name: \"true\"}]\n"
	"  status:\n"
	"    loadBalancer:\n"
	"      ingress: [{ip: 10.3.0.77}]\n";

static void lists(void)
{
	struct lb_engine *e = eng_new();
	char buf[2048];

	ok(!apply(e, list), "a kubectl List applies item by item");
	is(ips(e, "prod", "web"), "10.3.0.77", "its Service imports the status IP");
	is(pool_count(e, "listed", 0, "total"), "256", "its pool is there");
	snprintf(buf, sizeof(buf), "%s", list);
	strcpy(strstr(buf, "port: 443"), "port: 0}]\n");
	is(apply_err(e, buf), "test.yaml: document 0: items[1].spec.ports[0].port: 0 is out of range [1, 65535]",
	   "errors inside a List name the item");
	lbe_close(e);
}

static void generations(void)
{
	struct lb_engine *e = eng_new();
	uint64_t seq;
	char *d;

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	seq = lbe_state_seq(e);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	ok(lbe_state_seq(e) == seq, "re-applying identical YAML changes nothing");
	is(pool_cond(e, "p", "cilium.io/PoolConflict"), "False/resolved/", "condition");
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/25}]", NULL));
	d = lbe_dump(e);
	ok(strstr(d, "pool p created=1577836800000000000 gen=2 ") != NULL,
	   "an edit bumps the generation");
	ok(strstr(d, "cond cilium.io/IPsTotal Unknown noreason '128' gen=2") != NULL,
	   "conditions carry it as observedGeneration");
	free(d);
	lbe_close(e);
}

static int backend_cb(const struct lb_backend_info *b, void *arg)
{
	char *out = arg;
	size_t i;

	sprintf(out + strlen(out), "%s%s/%s/%s", *out ? " " : "", b->slice,
		b->address, b->ready ? "ready" : "notready");
	for (i = 0; i < b->n_ports; i++)
		sprintf(out + strlen(out), "/%s:%u:%s", b->ports[i].name,
			b->ports[i].port, b->ports[i].protocol);
	return 0;
}

static void endpoints(void)
{
	struct lb_engine *e = eng_new();
	char out[1024] = "";

	ok(!apply(e, "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		     "metadata: {name: web-b, namespace: prod, labels: {kubernetes.io/service-name: web}}\n"
		     "addressType: IPv4\n"
		     "endpoints:\n- addresses: [10.244.1.7]\n  conditions: {ready: false}\n"
		     "- addresses: [10.244.2.9, 10.244.2.10]\n"
		     "ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]\n"
		     "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		     "metadata: {name: web-a, namespace: prod, labels: {kubernetes.io/service-name: web}}\n"
		     "addressType: IPv6\nendpoints: [{addresses: [\"fd00::7\"]}]\nports: [{name: http, port: 8080}]\n"
		     "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		     "metadata: {name: other, namespace: prod, labels: {kubernetes.io/service-name: other}}\n"
		     "addressType: IPv4\nendpoints: [{addresses: [10.0.0.1]}]\n"),
	   "EndpointSlices apply");
	lbe_foreach_backend(e, "prod", "web", backend_cb, out);
	is(out, "web-a/fd00::7/ready/http:8080:TCP "
		"web-b/10.244.1.7/notready/http:8080:TCP/dns:53:UDP "
		"web-b/10.244.2.9/ready/http:8080:TCP/dns:53:UDP "
		"web-b/10.244.2.10/ready/http:8080:TCP/dns:53:UDP",
	   "backends of a service, slices in name order, readiness kept");
	is(apply_err(e, "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		     "metadata: {name: bad}\naddressType: IPv4\nendpoints: [{addresses: [not-an-ip]}]\n"),
	   "test.yaml: document 0: endpoints[0].addresses: invalid address 'not-an-ip'",
	   "invalid endpoint address is a validation error");
	ok(!lbe_delete(e, LB_KIND_ENDPOINTSLICE, "prod", "web-b"), "delete a slice");
	out[0] = '\0';
	lbe_foreach_backend(e, "prod", "web", backend_cb, out);
	is(out, "web-a/fd00::7/ready/http:8080:TCP", "its backends are gone");
	lbe_close(e);
}

int main(void)
{
	endpoints();
	lists();
	errors();
	shapes();
	generations();
	return done_testing();
}
