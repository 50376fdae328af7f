// SPDX-License-Identifier: GPL-2.0
/*
 * Node IPAM: Node status.addresses parsed and refused, and the ingress of
 * io.cilium/node Services as Cilium's operator/pkg/nodeipam computes it.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *pool =
	"apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\n"
	"metadata: {name: p}\nspec:\n  blocks:\n  - cidr: 192.0.2.0/28\n"
	"  - cidr: 'fd00::/120'\n";

static const char *const classes[] = { "io.cilium/node", NULL };

static struct lb_engine *eng_nodeipam(const char *db, bool on)
{
	struct lb_engine_config c = { .node_ipam = on, .lb_classes = classes };

	return eng_open(db, &c);
}

/* A Node with labels "{...}" and addresses "- {type: .., address: ..}". */
static const char *node(const char *name, const char *labels,
			const char *addrs)
{
	static char b[4][1024];
	static int i;

	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]),
		 "apiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n"
		 "  labels: {%s}\nstatus:\n  addresses:\n%s", name, labels,
		 addrs);
	return b[i];
}

/* A Service of class io.cilium/node with these extra spec lines. */
static const char *svc(const char *name, const char *extra)
{
	char spec[512];

	snprintf(spec, sizeof(spec), "  loadBalancerClass: io.cilium/node\n%s",
		 extra);
	return svc_yaml("default", name, NULL, NULL, spec);
}

#define INT4(a)	"  - {type: InternalIP, address: '" a "'}\n"
#define EXT4(a)	"  - {type: ExternalIP, address: '" a "'}\n"

static int node_cb(const struct lb_node_info *n, void *arg)
{
	char *out = arg;
	size_t i, k = 0;

	out[0] = '\0';
	for (i = 0; i < n->n_addresses; i++)
		k += snprintf(out + k, 512 - k, "%s%s=%s", i ? " " : "",
			      n->address_types[i], n->addresses[i]);
	return 0;
}

static void parsing(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, true);
	char out[512];

	ok(!apply(e, node("n1", "", INT4("10.0.0.1")
			  "  - {type: Hostname, address: n1.example}\n"
			  "  - {type: InternalIP, address: 'fd10::1'}\n")),
	   "a node with three addresses");
	ok(!lbe_get_node(e, "n1", node_cb, out), "get node");
	is(out, "InternalIP=10.0.0.1 Hostname=n1.example InternalIP=fd10::1",
	   "addresses kept in order, types by their API names");
	is(apply_err(e, node("n2", "", INT4("10.0.0.1") INT4("10.0.0.300"))),
	   "test.yaml: document 0: status.addresses[1].address: InternalIP '10.0.0.300' is not an IPv4 or IPv6 address",
	   "an IP that does not parse is refused with its path");
	is(apply_err(e, node("n2", "", EXT4("eth0"))),
	   "test.yaml: document 0: status.addresses[0].address: ExternalIP 'eth0' is not an IPv4 or IPv6 address",
	   "so is a name given as an ExternalIP");
	is(apply_err(e, node("n2", "", "  - {type: PublicIP, address: 1.2.3.4}\n")),
	   "test.yaml: document 0: status.addresses[0].type: unknown address type 'PublicIP': expected Hostname, ExternalIP, InternalIP, ExternalDNS or InternalDNS",
	   "an unknown type is refused");
	is(apply_err(e, node("n2", "", "  - {type: InternalIP}\n")),
	   "test.yaml: document 0: status.addresses[0].address: address is required",
	   "an entry without address is refused");
	is(apply_err(e, node("n2", "", "  - {address: 1.2.3.4}\n")),
	   "test.yaml: document 0: status.addresses[0].type: type is required",
	   "an entry without type is refused");
	ok(!lbe_exists(e, LB_KIND_NODE, NULL, "n2"), "nothing refused was stored");
	lbe_close(e);
}

/* Cilium's fallback is over all candidate nodes, not per node. */
static void external_first(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, true);

	ok(!apply(e, pool), "pool");
	ok(!apply(e, svc("web", "")), "node ipam service");
	is(ips(e, "default", "web"), "", "no Node: no ingress");
	ok(!apply(e, node("n1", "", INT4("10.0.0.9"))), "n1 internal only");
	ok(!apply(e, node("n2", "", INT4("10.0.0.10"))), "n2 internal only");
	is(ips(e, "default", "web"), "10.0.0.10,10.0.0.9",
	   "InternalIPs, sorted as text as Cilium sorts them");
	ok(!apply(e, node("n2", "", INT4("10.0.0.10") EXT4("203.0.113.2"))),
	   "n2 gains an ExternalIP");
	is(ips(e, "default", "web"), "203.0.113.2",
	   "one ExternalIP anywhere hides every InternalIP");
	ok(!apply(e, node("n1", "", INT4("10.0.0.9") EXT4("203.0.113.2"))),
	   "n1 claims the same ExternalIP");
	is(ips(e, "default", "web"), "203.0.113.2", "duplicates listed once");
	is(cond(e, "default", "web"), "none", "no condition, as in Cilium");
	is(pool_count(e, "p", 0, "used"), "0", "no pool IP taken");
	lbe_close(e);
}

static void never_from_pools(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, false);

	ok(!apply(e, pool), "pool");
	ok(!apply(e, node("n1", "", INT4("10.0.0.1"))), "node");
	ok(!apply(e, svc("web", "")), "class io.cilium/node, node ipam off");
	is(ips(e, "default", "web"), "",
	   "not served, and no pool IP although the class is listed");
	is(cond(e, "default", "web"), "none", "LB-IPAM leaves it alone");
	is(pool_count(e, "p", 0, "used"), "0", "pool untouched");
	ok(!apply(e, svc("web", "  loadBalancerIP: 192.0.2.5\n")),
	   "even asking for a pool IP");
	is(ips(e, "default", "web"), "", "does not take it");
	lbe_close(e);
}

static void excluded(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, true);

	ok(!apply(e, node("n1", "", INT4("10.0.0.1"))), "n1");
	ok(!apply(e, node("n2", "", INT4("10.0.0.2"))), "n2");
	ok(!apply(e, svc("web", "")), "svc");
	is(ips(e, "default", "web"), "10.0.0.1,10.0.0.2", "both nodes");
	ok(!apply(e, node("n2",
			  "node.kubernetes.io/exclude-from-external-load-balancers: ''",
			  INT4("10.0.0.2"))), "n2 labelled for exclusion");
	is(ips(e, "default", "web"), "10.0.0.1", "n2 left out (empty value too)");
	ok(!apply(e, node("n1", "node.kubernetes.io/exclude-from-external-load-balancers: 'true'",
			  INT4("10.0.0.1"))), "n1 too");
	is(ips(e, "default", "web"), "", "every node excluded: empty ingress");
	ok(!apply(e, node("n1", "zone: a", INT4("10.0.0.1"))), "n1 relabelled");
	is(ips(e, "default", "web"), "10.0.0.1", "n1 back");
	lbe_close(e);
}

/* Cilium's other two predicates: nodes on their way out are left out. */
static void leaving(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, true);
	const char *tainted =
		"apiVersion: v1\nkind: Node\nmetadata: {name: n2}\n"
		"spec:\n  taints:\n  - {key: %s, effect: NoSchedule}\n"
		"status:\n  addresses:\n" INT4("10.0.0.2");
	char buf[512];

	ok(!apply(e, node("n1", "", INT4("10.0.0.1"))), "n1");
	ok(!apply(e, svc("web", "")), "svc");
	snprintf(buf, sizeof(buf), tainted, "dedicated");
	ok(!apply(e, buf), "n2 with another taint");
	is(ips(e, "default", "web"), "10.0.0.1,10.0.0.2", "another taint: n2 counts");
	snprintf(buf, sizeof(buf), tainted, "ToBeDeletedByClusterAutoscaler");
	ok(!apply(e, buf), "n2 tainted by the cluster autoscaler");
	is(ips(e, "default", "web"), "10.0.0.1", "n2 left out");
	ok(!apply(e, "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n"
		  "  deletionTimestamp: '2026-01-01T00:00:00Z'\n"
		  "status:\n  addresses:\n" INT4("10.0.0.1")),
	   "n1 being deleted");
	is(ips(e, "default", "web"), "", "n1 left out too");
	snprintf(buf, sizeof(buf), tainted, "''");
	is(apply_err(e, buf),
	   "test.yaml: document 0: spec.taints[0].key: key is required",
	   "a taint without key is refused");
	lbe_close(e);
}

/* Cilium's io.cilium.nodeipam/match-node-labels annotation. */
static void match_node_labels(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, true);
	const char *ann = "io.cilium.nodeipam/match-node-labels: '%s'";
	char a[256];

	ok(!apply(e, node("n1", "zone: a", INT4("10.0.0.1"))), "n1 zone a");
	ok(!apply(e, node("n2", "zone: b", INT4("10.0.0.2"))), "n2 zone b");
	snprintf(a, sizeof(a), ann, "zone in (a, c)");
	ok(!apply(e, svc_yaml("default", "web", NULL, a,
			      "  loadBalancerClass: io.cilium/node\n")),
	   "service selecting zone a");
	is(ips(e, "default", "web"), "10.0.0.1", "only the selected node");
	ok(!apply(e, node("n2", "zone: c", INT4("10.0.0.2"))), "n2 moves to c");
	is(ips(e, "default", "web"), "10.0.0.1,10.0.0.2", "n2 joins");
	snprintf(a, sizeof(a), ann, "zone=a,");
	is(apply_err(e, svc_yaml("default", "web", NULL, a,
				 "  loadBalancerClass: io.cilium/node\n")),
	   "test.yaml: document 0: metadata.annotations.io.cilium.nodeipam/match-node-labels: expected a label key at position 7 of 'zone=a,'",
	   "a selector that does not parse is refused");
	is(ips(e, "default", "web"), "10.0.0.1,10.0.0.2", "nothing changed");
	ok(!apply(e, svc_yaml("default", "other", NULL, a, NULL)),
	   "the annotation means nothing on another class");
	lbe_close(e);
}

static void etp_local(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, true);
	uint64_t rv;
	const char *slice =
		"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata:\n  name: web-x\n"
		"  labels: {kubernetes.io/service-name: web}\n"
		"addressType: IPv4\nendpoints:\n"
		"- addresses: [10.1.0.1]\n  nodeName: %s\n"
		"  conditions: {ready: %s}\n";
	char buf[512];

	ok(!apply(e, node("n1", "", INT4("10.0.0.1"))), "n1");
	ok(!apply(e, node("n2", "", INT4("10.0.0.2"))), "n2");
	ok(!apply(e, svc("web", "  externalTrafficPolicy: Local\n")),
	   "eTP Local service");
	is(ips(e, "default", "web"), "", "no endpoint: no node");
	snprintf(buf, sizeof(buf), slice, "n2", "false");
	ok(!apply(e, buf), "unready endpoint on n2");
	is(ips(e, "default", "web"), "", "an unready endpoint does not count");
	rv = lbe_resource_version(e, LB_KIND_SERVICE, "default", "web");
	snprintf(buf, sizeof(buf), slice, "n2", "true");
	ok(!apply(e, buf), "ready endpoint on n2");
	is(ips(e, "default", "web"), "10.0.0.2", "only the node with it");
	ok(lbe_resource_version(e, LB_KIND_SERVICE, "default", "web") > rv,
	   "a slice moved the ingress: the resourceVersion follows");
	ok(!apply(e, svc("web", "")), "eTP Cluster");
	is(ips(e, "default", "web"), "10.0.0.1,10.0.0.2", "every node");
	lbe_close(e);
}

static int changed_cb(const char *ns, const char *name, void *arg)
{
	char *out = arg;

	snprintf(out + strlen(out), 256 - strlen(out), "%s/%s ", ns, name);
	return 0;
}

static const char *changed(struct lb_engine *e)
{
	static char out[256];

	out[0] = '\0';
	lbe_foreach_changed(e, changed_cb, out);
	lbe_changed_clear(e);
	return out;
}

static int kview_cb(const struct lb_kservice *k, void *arg)
{
	char *out = arg;
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < k->n_lb_ips; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(k->lb_ips[i].family, &k->lb_ips[i].v6, a, sizeof(a));
		n += snprintf(out + n, 256 - n, "%s%s", i ? "," : "", a);
	}
	return 0;
}

static void node_changes(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, true);
	char out[256];
	uint64_t rv;

	ok(!apply(e, pool), "pool");
	ok(!apply(e, svc("web", "")), "node ipam service");
	ok(!apply(e, svc_yaml("default", "other", NULL, NULL, NULL)),
	   "an LB-IPAM service");
	changed(e);
	ok(!apply(e, node("n1", "", INT4("10.0.0.1"))), "node added");
	is(changed(e), "default/web ", "a Node marks only Node IPAM Services");
	ok(!lbe_kernel_service(e, "default", "web", kview_cb, out), "view");
	is(out, "10.0.0.1", "the kernel serves the node address");
	rv = lbe_resource_version(e, LB_KIND_SERVICE, "default", "web");
	ok(!apply(e, node("n1", "zone: b", INT4("10.0.0.1"))), "n1 relabelled");
	ok(lbe_resource_version(e, LB_KIND_SERVICE, "default", "web") == rv,
	   "same ingress: the Service's resourceVersion stays");
	ok(!apply(e, node("n1", "", INT4("10.0.0.7"))), "address changed");
	is(changed(e), "default/web ", "marked again");
	ok(lbe_resource_version(e, LB_KIND_SERVICE, "default", "web") > rv,
	   "its ingress moved: so does its resourceVersion");
	lbe_kernel_service(e, "default", "web", kview_cb, out);
	is(out, "10.0.0.7", "the kernel follows");
	ok(!lbe_delete(e, LB_KIND_NODE, NULL, "n1"), "node deleted");
	is(changed(e), "default/web ", "marked on delete");
	lbe_kernel_service(e, "default", "web", kview_cb, out);
	is(out, "", "nothing left to serve");
	is(ips(e, "default", "web"), "", "empty ingress");
	lbe_kernel_service(e, "default", "other", kview_cb, out);
	is(out, "192.0.2.0", "the LB-IPAM service kept its pool IP");
	lbe_close(e);
}

static void dual_stack(void)
{
	struct lb_engine *e = eng_nodeipam(NULL, true);
	const char *addrs = INT4("10.0.0.1") INT4("fd10::1") EXT4("2001:db8::1");

	ok(!apply(e, node("n1", "", addrs)), "dual-stack node");
	ok(!apply(e, svc("v4", "")), "no ipFamilies: the primary family");
	is(ips(e, "default", "v4"), "10.0.0.1", "IPv4 only (its InternalIP)");
	ok(!apply(e, svc("v6", "  ipFamilies: [IPv6]\n")), "IPv6 service");
	is(ips(e, "default", "v6"), "2001:db8::1",
	   "IPv6: the ExternalIP hides the IPv6 InternalIP");
	ok(!apply(e, svc("dual", "  ipFamilyPolicy: RequireDualStack\n"
			 "  ipFamilies: [IPv4, IPv6]\n")), "dual-stack service");
	is(ips(e, "default", "dual"), "2001:db8::1",
	   "dual: the ExternalIP (v6) hides every InternalIP, as in Cilium");
	ok(!apply(e, node("n1", "", INT4("10.0.0.1") INT4("fd10::1"))),
	   "no ExternalIP any more");
	is(ips(e, "default", "dual"), "10.0.0.1,fd10::1", "both families");
	lbe_close(e);
}

static void persisted(void)
{
	char db[] = "/tmp/lbtest-nodeipam-XXXXXX";
	struct lb_engine *e;
	char *dump, *dump2, out[512];
	int fd = mkstemp(db);

	ok(fd >= 0, "temp db");
	close(fd);
	e = eng_nodeipam(db, true);
	ok(!apply(e, node("n1", "zone: a", INT4("10.0.0.1")
			  "  - {type: Hostname, address: n1}\n")), "node");
	ok(!apply(e, svc("web", "")), "svc");
	dump = lbe_dump(e);
	lbe_close(e);
	e = eng_nodeipam(db, true);
	dump2 = lbe_dump(e);
	is(dump2, dump, "the whole state survives the restart");
	ok(strstr(dump, "node n1 gen=1 zone=a InternalIP:10.0.0.1 Hostname:n1\n") != NULL,
	   "the dump shows the addresses");
	free(dump);
	free(dump2);
	ok(!lbe_get_node(e, "n1", node_cb, out), "get");
	is(out, "InternalIP=10.0.0.1 Hostname=n1", "addresses reloaded");
	is(ips(e, "default", "web"), "10.0.0.1", "ingress after the restart");
	lbe_close(e);
	unlink(db);
	snprintf(out, sizeof(out), "%s-wal", db);
	unlink(out);
	snprintf(out, sizeof(out), "%s-shm", db);
	unlink(out);
}

int main(void)
{
	parsing();
	external_first();
	never_from_pools();
	excluded();
	leaving();
	match_node_labels();
	etp_local();
	node_changes();
	dual_stack();
	persisted();
	return done_testing();
}
