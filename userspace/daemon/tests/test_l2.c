// SPDX-License-Identifier: GPL-2.0
/*
 * This node's L2 announcement set, decided with fake interface lists:
 * which (address, ifindex) pairs the daemon would program, node labels
 * from the command line and the Node object, and the views of describe.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include "daemon/lbipamd.h"
#include "tap.h"

static const char objs[] =
	"apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\n"
	"metadata: {name: p}\nspec: {blocks: [{cidr: 192.0.2.0/30}]}\n"
	"---\napiVersion: v1\nkind: Service\n"
	"metadata: {name: web, labels: {app: web},\n"
	"  annotations: {lbipam.cilium.io/sharing-key: k}}\n"
	"spec: {type: LoadBalancer, ports: [{port: 80}],"
	" externalIPs: [198.51.100.5]}\n"
	"---\napiVersion: v1\nkind: Service\n"
	"metadata: {name: api, labels: {app: api}}\n"
	"spec: {type: LoadBalancer, ports: [{port: 443}],"
	" externalTrafficPolicy: Local}\n"
	"---\napiVersion: v1\nkind: Service\n"
	"metadata: {name: web2, labels: {app: web},\n"
	"  annotations: {lbipam.cilium.io/sharing-key: k}}\n"
	"spec: {type: LoadBalancer, ports: [{port: 81}]}\n"
	"---\napiVersion: cilium.io/v2alpha1\n"
	"kind: CiliumL2AnnouncementPolicy\nmetadata: {name: lan}\n"
	"spec:\n  loadBalancerIPs: true\n  externalIPs: true\n"
	"  interfaces: ['^eth[0-9]+$']\n"
	"  nodeSelector: {matchLabels: {zone: a}}\n";

static struct lbipamd_ifaces fake;

static int fake_ifaces(struct lbipamd_ifaces *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < fake.n; i++)
		lbipamd_ifaces_add(out, fake.v[i].name, fake.v[i].ifindex);
	return 0;
}

static const char *list_str(const struct lb_l2_list *l, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(l->v[i].family, &l->v[i].addr, a, sizeof(a));
		n += snprintf(buf + n, len - n, "%s%s@%u", i ? " " : "", a,
			      l->v[i].ifindex);
	}
	return buf;
}

/*
 * "addr@ifindex ..." of the set the daemon would program, computed from
 * scratch; it must equal what the daemon kept up to date write by write.
 */
static const char *wanted(struct lbipamd *d)
{
	static char buf[1024];
	char inc[1024];
	struct lbipamd_ifaces f;
	struct lb_l2_self self;
	struct lb_l2_list l;
	size_t i, n = 0;

	buf[0] = '\0';
	fake_ifaces(&f);
	lbipamd_l2_self(&d->node, &f, &self);
	/* Interfaces are read at writes: a test that added one applies. */
	if (lbipamd_reconcile(d, false) && d->l2want.built)
		snprintf(buf, sizeof(buf), "reconcile error");
	lbipamd_l2want_list(&d->l2want, &l);
	list_str(&l, inc, sizeof(inc));
	lb_l2_list_free(&l);
	if (lbipamd_l2_desired(d->eng, &self, &l))
		snprintf(buf, sizeof(buf), "error");
	ok(!strcmp(list_str(&l, buf, sizeof(buf)), inc),
	   "the incremental set equals a full computation");
	if (strcmp(buf, inc))
		printf("#   incremental '%s'\n", inc);
	buf[0] = '\0';
	for (i = 0; i < l.n; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(l.v[i].family, &l.v[i].addr, a, sizeof(a));
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s@%u",
			      i ? " " : "", a, l.v[i].ifindex);
	}
	lb_l2_list_free(&l);
	lbipamd_ifaces_free(&f);
	return buf;
}

static json_t *apply(struct lbipamd *d, const char *yaml)
{
	json_t *r = json_pack("{s:s, s:s}", "op", "apply", "yaml", yaml);
	json_t *resp = lbipamd_handle(d, r, true);

	json_decref(r);
	return resp;
}

static bool apply_ok(struct lbipamd *d, const char *yaml)
{
	json_t *r = apply(d, yaml);
	bool ok_ = json_is_true(json_object_get(r, "ok"));

	if (!ok_)
		printf("# %s\n", json_string_value(json_object_get(r, "error")));
	json_decref(r);
	return ok_;
}

static json_t *describe(struct lbipamd *d, const char *kind, const char *name)
{
	json_t *r = json_pack("{s:s, s:s, s:s}", "op", "describe", "kind", kind,
			      "name", name);
	json_t *resp = lbipamd_handle(d, r, false);

	json_decref(r);
	return resp;
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
	struct lbipamd d = { .dcfg.masquerade = true, .ifaces = fake_ifaces };
	char err[128];
	json_t *r, *l2;

	lbipamd_log_set_level(LB_LOG_ERROR);
	if (lbe_open(&cfg, &d.eng, NULL))
		return 1;
	d.want.by_owner.by_owner = true;
	lbipamd_kernel_init(&d.kern);
	d.node.name = strdup("n1");
	ok(!lbipamd_node_labels(&d.node, "zone=a,rack=r1", err, sizeof(err)),
	   "--node-labels parses");
	ok(lbipamd_node_labels(&d.node, "zone", err, sizeof(err)) == -EINVAL &&
	   strstr(err, "expected KEY=VALUE"), "a label without '=' is refused");
	lbipamd_ifaces_add(&fake, "eth0", 2);
	lbipamd_ifaces_add(&fake, "wlan0", 3);
	lbipamd_ifaces_add(&fake, "eth1", 5);

	ok(apply_ok(&d, objs), "apply pool, Services, policy");
	is_str(wanted(&d),
	       "192.0.2.1@2 192.0.2.1@5 198.51.100.5@2 198.51.100.5@5",
	       "web's LB IP (shared with web2 once) and external IP on eth0, eth1; api has no local endpoint");
	ok(apply_ok(&d, "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		    "metadata:\n  name: api-1\n"
		    "  labels: {kubernetes.io/service-name: api}\n"
		    "addressType: IPv4\nendpoints:\n"
		    "- addresses: [10.0.0.9]\n  nodeName: n1\n"),
	   "a ready endpoint of api on n1");
	is_str(wanted(&d),
	       "192.0.2.0@2 192.0.2.0@5 192.0.2.1@2 192.0.2.1@5 198.51.100.5@2 198.51.100.5@5",
	       "api announced too");
	/* An interface appearing later is taken on the next reconcile. */
	lbipamd_ifaces_add(&fake, "eth7", 9);
	is_str(wanted(&d),
	       "192.0.2.0@2 192.0.2.0@5 192.0.2.0@9 192.0.2.1@2 192.0.2.1@5 192.0.2.1@9 198.51.100.5@2 198.51.100.5@5 198.51.100.5@9",
	       "new interface included");
	/* The Node object's labels win over --node-labels. */
	ok(apply_ok(&d, "apiVersion: v1\nkind: Node\n"
		    "metadata: {name: n1, labels: {zone: b}}\n"), "Node n1 zone b");
	is_str(wanted(&d), "", "node not selected: nothing announced");
	r = describe(&d, "service", "web");
	l2 = json_object_get(json_object_get(r, "item"), "l2");
	ok(json_is_false(json_object_get(l2, "announced")) &&
	   strstr(json_string_value(json_object_get(l2, "reason")),
		  "selects this node") &&
	   json_array_size(json_object_get(l2, "policies")) == 1,
	   "describe service says why not");
	json_decref(r);
	r = describe(&d, "node", "n1");
	is_str(json_string_value(json_object_get(json_object_get(
		json_object_get(r, "item"), "effectiveLabels"), "zone")), "b",
	       "describe node: effective zone from the object");
	is_str(json_string_value(json_object_get(json_object_get(
		json_object_get(r, "item"), "effectiveLabels"), "rack")), "r1",
	       "describe node: rack from --node-labels");
	json_decref(r);
	l2 = json_pack("{s:s, s:s, s:s}", "op", "delete", "kind", "node",
		       "name", "n1");
	r = lbipamd_handle(&d, l2, true);
	json_decref(l2);
	ok(json_is_true(json_object_get(r, "ok")), "delete node n1");
	json_decref(r);
	r = describe(&d, "svc", "web");
	l2 = json_object_get(json_object_get(r, "item"), "l2");
	ok(json_is_true(json_object_get(l2, "announced")) &&
	   !strcmp(json_string_value(json_object_get(l2, "node")), "n1") &&
	   json_array_size(json_object_get(l2, "announcements")) == 6,
	   "describe service: announced by n1 on three interfaces, two IPs");
	json_decref(r);
	r = describe(&d, "l2announcement", "lan");
	ok(json_is_true(json_object_get(json_object_get(r, "item"),
					"selectsNode")) &&
	   json_array_size(json_object_get(json_object_get(r, "item"),
					   "matchedInterfaces")) == 3 &&
	   json_array_size(json_object_get(json_object_get(r, "item"),
					   "services")) == 3,
	   "describe policy: node, interfaces, Services");
	json_decref(r);
	/* A refused policy changes nothing. */
	r = apply(&d, "apiVersion: cilium.io/v2alpha1\n"
		  "kind: CiliumL2AnnouncementPolicy\nmetadata: {name: lan}\n"
		  "spec:\n  nodeSelector:\n    matchExpressions:\n"
		  "    - {key: zone, operator: Near}\n");
	ok(!json_is_true(json_object_get(r, "ok")) &&
	   strstr(json_string_value(json_object_get(r, "error")),
		  "spec.nodeSelector.matchExpressions[0].operator"),
	   "bad operator: error names the field");
	json_decref(r);
	is_str(wanted(&d),
	       "192.0.2.0@2 192.0.2.0@5 192.0.2.0@9 192.0.2.1@2 192.0.2.1@5 192.0.2.1@9 198.51.100.5@2 198.51.100.5@5 198.51.100.5@9",
	       "announcements unchanged");
	r = describe(&d, "l2announcementpolicy", "nope");
	is_str(json_string_value(json_object_get(r, "error")),
	       "ciliuml2announcementpolicies.cilium.io \"nope\" not found",
	       "describe of a missing policy");
	json_decref(r);

	/* Writes that touch single Services: the set follows, piece by piece. */
	ok(apply_ok(&d, "apiVersion: v1\nkind: Service\n"
		    "metadata: {name: extra, labels: {app: web}}\n"
		    "spec: {type: LoadBalancer, ports: [{port: 80}]}\n"),
	   "a new Service");
	is_str(wanted(&d),
	       "192.0.2.0@2 192.0.2.0@5 192.0.2.0@9 192.0.2.1@2 192.0.2.1@5 192.0.2.1@9 192.0.2.2@2 192.0.2.2@5 192.0.2.2@9 198.51.100.5@2 198.51.100.5@5 198.51.100.5@9",
	       "its address added");
	r = json_pack("{s:s, s:s, s:s}", "op", "delete", "kind", "service",
		      "name", "web2");
	l2 = lbipamd_handle(&d, r, true);
	json_decref(r);
	json_decref(l2);
	is_str(wanted(&d),
	       "192.0.2.0@2 192.0.2.0@5 192.0.2.0@9 192.0.2.1@2 192.0.2.1@5 192.0.2.1@9 192.0.2.2@2 192.0.2.2@5 192.0.2.2@9 198.51.100.5@2 198.51.100.5@5 198.51.100.5@9",
	       "web2 deleted: web still announces the shared address");
	ok(apply_ok(&d, "apiVersion: v1\nkind: Service\n"
		    "metadata: {name: web, labels: {app: web}}\n"
		    "spec: {type: LoadBalancer, ports: [{port: 80}],"
		    " loadBalancerClass: example.com/lb,"
		    " externalIPs: [198.51.100.5]}\n"), "web moves to another class");
	is_str(wanted(&d),
	       "192.0.2.0@2 192.0.2.0@5 192.0.2.0@9 192.0.2.2@2 192.0.2.2@5 192.0.2.2@9",
	       "another controller's Service: its addresses go");

	lbipamd_ifaces_free(&fake);
	lbipamd_l2_state_free(&d);
	lbipamd_node_free(&d.node);
	lbipamd_kernel_close(&d.kern);
	lbipamd_want_free(&d.want);
	lbe_close(d.eng);
	return lb_tap_done();
}
