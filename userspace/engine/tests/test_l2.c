// SPDX-License-Identifier: GPL-2.0
/*
 * L2 announcement policies and Nodes: parsing and defaults, the problems
 * Cilium reports as conditions, apply errors that change nothing, and
 * which (address, interface) pairs a node announces.
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

static const struct lb_l2_iface ifs[] = {
	{ "eth0", 2 }, { "eth1", 3 }, { "veth9", 7 }, { "ens3", 4 },
};

static struct lb_l2_self self_of(const char *name, const char *const *k,
				 const char *const *v, size_t nl)
{
	struct lb_l2_self s = {
		.name = name, .n_labels = nl, .label_keys = k,
		.label_values = v, .n_ifaces = 4, .ifaces = ifs,
	};

	return s;
}

struct got {
	char pairs[1024];
	char pols[256];
	enum lb_l2_state state;
};

static int svc_cb(const struct lb_l2_service *s, void *arg)
{
	struct got *g = arg;
	size_t i, n = 0;

	g->state = s->state;
	g->pairs[0] = g->pols[0] = '\0';
	for (i = 0; i < s->n_pairs; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(s->pairs[i].ip.family, &s->pairs[i].ip.v6, a,
			  sizeof(a));
		n += snprintf(g->pairs + n, sizeof(g->pairs) - n, "%s%s@%s",
			      i ? " " : "", a, s->pairs[i].ifname);
	}
	n = 0;
	for (i = 0; i < s->n_policies; i++)
		n += snprintf(g->pols + n, sizeof(g->pols) - n, "%s%s",
			      i ? "," : "", s->policies[i]);
	return 0;
}

static const char *pairs_of(struct lb_engine *e, const struct lb_l2_self *me,
			    const char *name, enum lb_l2_state *st)
{
	static struct got g;

	memset(&g, 0, sizeof(g));
	if (lbe_l2_service(e, me, "default", name, svc_cb, &g))
		return "ENOENT";
	if (st)
		*st = g.state;
	return g.pairs;
}

struct polv {
	char conds[512];
	char matched[256];
	char svcs[256];
	char ssel[128];
	bool node;
	size_t nifaces;
	bool ext, lb;
};

static int pol_cb(const struct lb_l2_policy_info *p, void *arg)
{
	struct polv *v = arg;
	size_t i, n = 0;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < p->n_conditions; i++)
		n += snprintf(v->conds + n, sizeof(v->conds) - n, "%s=%s/%s ",
			      p->conditions[i].type, p->conditions[i].status,
			      p->conditions[i].reason);
	n = 0;
	for (i = 0; i < p->n_matched; i++)
		n += snprintf(v->matched + n, sizeof(v->matched) - n, "%s%s",
			      i ? "," : "", p->matched[i]);
	n = 0;
	for (i = 0; i < p->n_services; i++)
		n += snprintf(v->svcs + n, sizeof(v->svcs) - n, "%s%s",
			      i ? "," : "", p->services[i]);
	snprintf(v->ssel, sizeof(v->ssel), "%s", p->service_selector);
	v->node = p->selects_node;
	v->nifaces = p->n_interfaces;
	v->ext = p->external_ips;
	v->lb = p->lb_ips;
	return 0;
}

static const char *svc(const char *name, const char *labels,
		       const char *extra)
{
	static char b[4][1024];
	static int i;

	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]),
		 "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n"
		 "  labels: {%s}\nspec:\n  type: LoadBalancer\n%s"
		 "  ports: [{port: 80}]\n", name, labels, extra);
	return b[i];
}

static const char *pol(const char *name, const char *spec)
{
	static char b[4][1024];
	static int i;

	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]),
		 "apiVersion: cilium.io/v2alpha1\n"
		 "kind: CiliumL2AnnouncementPolicy\nmetadata: {name: %s}\n"
		 "spec:\n%s", name, spec);
	return b[i];
}

static void parsing_and_defaults(void)
{
	struct lb_engine *e = eng_new();
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct polv v;
	enum lb_l2_state st;

	ok(!apply(e, pool), "pool");
	ok(!apply(e, svc("web", "app: web", "")), "service");
	/* Nothing but loadBalancerIPs: every Service, node, interface. */
	ok(!apply(e, pol("all", "  loadBalancerIPs: true\n")), "minimal policy");
	ok(!lbe_get_l2_policy(e, &me, "all", pol_cb, &v), "get policy");
	is(v.ssel, "<all>", "absent serviceSelector selects all");
	ok(v.node && v.lb && !v.ext && v.nifaces == 0, "defaults");
	is(v.matched, "eth0,eth1,veth9,ens3", "no interfaces: every one");
	is(v.svcs, "default/web", "selects the Service");
	is(pairs_of(e, &me, "web", &st),
	   "192.0.2.0@eth0 192.0.2.0@eth1 192.0.2.0@ens3 192.0.2.0@veth9",
	   "announced on every interface, sorted by ifindex");
	ok(st == LB_L2_ANNOUNCED, "state announced");
	/* externalIPs only: LB IPs are not announced. */
	ok(!apply(e, pol("all", "  externalIPs: true\n")), "externalIPs policy");
	is(pairs_of(e, &me, "web", &st), "", "no external IPs: nothing");
	ok(st == LB_L2_NO_POLICY, "IP kind must match: no policy");
	ok(!apply(e, svc("web", "app: web",
			 "  externalIPs: [198.51.100.7]\n")), "externalIPs");
	is(pairs_of(e, &me, "web", &st),
	   "198.51.100.7@eth0 198.51.100.7@eth1 198.51.100.7@ens3 198.51.100.7@veth9",
	   "external IP announced");
	is(apply_err(e, svc("bad", "", "  externalIPs: [300.1.1.1]\n")),
	   "test.yaml: document 0: spec.externalIPs[0]: invalid IP address '300.1.1.1'",
	   "bad externalIP refused");
	is(apply_err(e, pol("x", "  loadBalancerIPs: maybe\n")),
	   "test.yaml: document 0: spec.loadBalancerIPs: expected a boolean, got 'maybe'",
	   "bad boolean refused");
	is(apply_err(e, "apiVersion: cilium.io/v2\n"
			"kind: CiliumL2AnnouncementPolicy\nmetadata: {name: z}\n"),
	   "test.yaml: document 0: apiVersion: unsupported apiVersion 'cilium.io/v2' for CiliumL2AnnouncementPolicy",
	   "only v2alpha1");
	ok(!lbe_exists(e, LB_KIND_L2POLICY, NULL, "x") &&
	   !lbe_exists(e, LB_KIND_SERVICE, "default", "bad"),
	   "refused objects not stored");
	lbe_close(e);
}

static void bad_input(void)
{
	struct lb_engine *e = eng_new();
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	const char *before;
	struct polv v;
	enum lb_l2_state st;
	char *text;

	ok(!apply(e, pool), "pool");
	ok(!apply(e, svc("web", "app: web", "")), "service");
	ok(!apply(e, pol("good", "  loadBalancerIPs: true\n"
			 "  interfaces: ['^eth0$']\n")), "good policy");
	before = "192.0.2.0@eth0";
	is(pairs_of(e, &me, "web", NULL), before, "anchored pattern: eth0 only");
	/* The CRD's enum refuses an unknown operator: nothing changes. */
	is(apply_err(e, pol("good", "  loadBalancerIPs: true\n"
			    "  serviceSelector:\n    matchExpressions:\n"
			    "    - {key: app, operator: Like, values: [web]}\n")),
	   "test.yaml: document 0: spec.serviceSelector.matchExpressions[0].operator: operator must be one of In, NotIn, Exists, DoesNotExist",
	   "unknown operator refused with its path");
	text = lbe_object_json(e, LB_KIND_L2POLICY, NULL, "good");
	ok(text && strstr(text, "^eth0$") && !strstr(text, "Like"),
	   "stored policy unchanged");
	free(text);
	is(pairs_of(e, &me, "web", NULL), before, "announcements unchanged");
	/* Cilium stores these and reports a condition. */
	ok(!apply(e, pol("badre", "  loadBalancerIPs: true\n"
			 "  interfaces: ['eth(']\n")), "bad regex stored");
	ok(!lbe_get_l2_policy(e, &me, "badre", pol_cb, &v), "get");
	is(v.conds, "io.cilium/bad-interface-regex=True/error ",
	   "bad-interface-regex condition");
	ok(!v.node && !*v.svcs, "a broken policy selects nothing");
	ok(!apply(e, pol("badsel", "  loadBalancerIPs: true\n"
			 "  serviceSelector:\n    matchExpressions:\n"
			 "    - {key: app, operator: In}\n"
			 "  nodeSelector:\n    matchExpressions:\n"
			 "    - {key: a, operator: Exists, values: [x]}\n")),
	   "bad selectors stored");
	ok(!lbe_get_l2_policy(e, &me, "badsel", pol_cb, &v), "get");
	is(v.conds, "io.cilium/bad-node-selector=True/error "
	   "io.cilium/bad-service-selector=True/error ",
	   "bad selector conditions");
	is(pairs_of(e, &me, "web", &st), before,
	   "broken policies add nothing");
	ok(st == LB_L2_ANNOUNCED, "still announced by the good one");
	/* Fixing the regex clears the condition. */
	ok(!apply(e, pol("badre", "  loadBalancerIPs: true\n"
			 "  interfaces: ['eth(1)']\n")), "fixed");
	ok(!lbe_get_l2_policy(e, &me, "badre", pol_cb, &v), "get");
	is(v.conds, "", "condition gone");
	is(v.matched, "eth1", "unanchored search: eth(1) takes eth1");
	lbe_close(e);
}

static void selection(void)
{
	static const char *const k[] = { "zone", "role" };
	static const char *const vals[] = { "a", "edge" };
	struct lb_l2_self me = self_of("n1", k, vals, 2);
	struct lb_engine *e = eng_new();
	enum lb_l2_state st;
	struct got g;

	ok(!apply(e, pool), "pool");
	ok(!apply(e, svc("web", "app: web", "")), "web");
	ok(!apply(e, svc("db", "app: db",
			 "  ipFamilyPolicy: PreferDualStack\n"
			 "  ipFamilies: [IPv4, IPv6]\n"
			 "  externalIPs: [198.51.100.9, '2001:db8::9']\n")),
	   "db");
	is(pairs_of(e, &me, "web", &st), "", "no policy: nothing");
	ok(st == LB_L2_NO_POLICY, "state no policy");
	/* Two policies select web: each brings its own interfaces. */
	ok(!apply(e, pol("p-eth0", "  loadBalancerIPs: true\n"
			 "  interfaces: [eth0]\n"
			 "  serviceSelector: {matchLabels: {app: web}}\n")),
	   "p-eth0");
	ok(!apply(e, pol("p-ens", "  loadBalancerIPs: true\n"
			 "  externalIPs: true\n  interfaces: ['^ens']\n"
			 "  nodeSelector:\n    matchExpressions:\n"
			 "    - {key: zone, operator: In, values: [a, b]}\n")),
	   "p-ens");
	is(pairs_of(e, &me, "web", NULL), "192.0.2.0@eth0 192.0.2.0@ens3",
	   "union over policies");
	ok(!lbe_l2_service(e, &me, "default", "web", svc_cb, &g), "web");
	is(g.pols, "p-ens,p-eth0", "both policies listed");
	/* "eth0" also takes veth0-like names: Go's MatchString searches. */
	ok(!apply(e, pol("p-eth0", "  loadBalancerIPs: true\n"
			 "  interfaces: [eth]\n"
			 "  serviceSelector: {matchLabels: {app: web}}\n")),
	   "p-eth0 unanchored");
	is(pairs_of(e, &me, "web", NULL),
	   "192.0.2.0@eth0 192.0.2.0@eth1 192.0.2.0@ens3 192.0.2.0@veth9",
	   "eth matches veth9 too");
	is(pairs_of(e, &me, "db", NULL),
	   "192.0.2.1@ens3 198.51.100.9@ens3 2001:db8::9@ens3 fd00::@ens3",
	   "db: LB and external IPs, both families, through p-ens");
	/* The Node object's labels win over the command line's. */
	ok(!apply(e, "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n"
		  "  labels: {zone: c}\n"), "node n1 in zone c");
	is(pairs_of(e, &me, "db", &st), "", "node no longer selected");
	ok(st == LB_L2_NODE_NOT_SELECTED, "state node not selected");
	is(pairs_of(e, &me, "web", NULL), "192.0.2.0@eth0 192.0.2.0@eth1 192.0.2.0@veth9",
	   "web keeps p-eth0's pairs only");
	ok(!lbe_delete(e, LB_KIND_NODE, NULL, "n1"), "delete node");
	is(pairs_of(e, &me, "db", NULL),
	   "192.0.2.1@ens3 198.51.100.9@ens3 2001:db8::9@ens3 fd00::@ens3",
	   "command-line labels again");
	/* Another class is not ours; the L2 announcer's class is. */
	ok(!apply(e, svc("other", "", "  loadBalancerClass: example.com/lb\n"
			 "  externalIPs: [198.51.100.1]\n")), "other class");
	pairs_of(e, &me, "other", &st);
	ok(st == LB_L2_OTHER_CLASS, "other class not announced");
	lbe_close(e);
}

static void etp_local(void)
{
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct lb_engine *e = eng_new();
	enum lb_l2_state st;

	ok(!apply(e, pool), "pool");
	ok(!apply(e, pol("p", "  loadBalancerIPs: true\n  interfaces: [eth0]\n")),
	   "policy");
	ok(!apply(e, svc("web", "", "  externalTrafficPolicy: Local\n")), "svc");
	is(pairs_of(e, &me, "web", &st), "", "no endpoint: not announced");
	ok(st == LB_L2_NO_LOCAL_ENDPOINT, "state no local endpoint");
	ok(!apply(e, web_slice("n2", true)), "endpoint on n2");
	pairs_of(e, &me, "web", &st);
	ok(st == LB_L2_NO_LOCAL_ENDPOINT, "another node's endpoint is not local");
	ok(!apply(e, web_slice("n1", false)), "unready endpoint on n1");
	pairs_of(e, &me, "web", &st);
	ok(st == LB_L2_NO_LOCAL_ENDPOINT, "an unready endpoint does not count");
	ok(!apply(e, web_slice("n1", true)), "ready endpoint on n1");
	is(pairs_of(e, &me, "web", &st), "192.0.2.0@eth0", "announced");
	/* ETP Cluster needs no endpoint. */
	ok(!apply(e, svc("web2", "", "")), "cluster svc");
	is(pairs_of(e, &me, "web2", NULL), "192.0.2.1@eth0", "cluster: announced");
	lbe_close(e);
}

static bool never(struct lb_l2_elector *el, const char *ns, const char *name,
		  const char *node)
{
	(void)el;
	(void)ns;
	(void)node;
	return strcmp(name, "web");
}

static void election(void)
{
	static const struct lb_l2_elector_ops ops = { .wins = never };
	struct lb_l2_elector el = { .ops = &ops };
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct lb_engine *e = eng_new();
	enum lb_l2_state st;

	me.elector = &el;
	ok(!apply(e, pool), "pool");
	ok(!apply(e, pol("p", "  loadBalancerIPs: true\n  interfaces: [eth0]\n")),
	   "policy");
	ok(!apply(e, svc("web", "", "")), "web");
	ok(!apply(e, svc("api", "", "")), "api");
	is(pairs_of(e, &me, "web", &st), "", "lost election: nothing");
	ok(st == LB_L2_ELECTION_LOST, "state lost");
	is(pairs_of(e, &me, "api", &st), "192.0.2.1@eth0", "won: announced");
	lbe_close(e);
}

static void persisted(void)
{
	char db[] = "/tmp/lbtest-l2-XXXXXX";
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct lb_engine *e;
	char *dump, *dump2;
	struct polv v;
	int fd = mkstemp(db);

	ok(fd >= 0, "temp db");
	close(fd);
	e = eng_open(db, NULL);
	ok(!apply(e, pool), "pool");
	ok(!apply(e, svc("web", "", "")), "svc");
	ok(!apply(e, pol("p", "  loadBalancerIPs: true\n  interfaces: ['eth(']\n")),
	   "policy with a bad regex");
	ok(!apply(e, "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n"
		  "  labels: {zone: a}\n"), "node");
	dump = lbe_dump(e);
	lbe_close(e);
	e = eng_open(db, NULL);
	dump2 = lbe_dump(e);
	is(dump2, dump, "the whole state survives the restart");
	ok(strstr(dump, "l2policy p gen=1 lb=1 ext=0 ifaces=1 io.cilium/bad-interface-regex\n") &&
	   strstr(dump, "node n1 gen=1 zone=a\n"), "the dump shows both kinds");
	free(dump);
	free(dump2);
	ok(lbe_exists(e, LB_KIND_L2POLICY, NULL, "p") &&
	   lbe_exists(e, LB_KIND_NODE, NULL, "n1"), "both reloaded");
	ok(!lbe_get_l2_policy(e, &me, "p", pol_cb, &v), "get");
	is(v.conds, "io.cilium/bad-interface-regex=True/error ",
	   "condition rebuilt");
	ok(!lbe_delete(e, LB_KIND_L2POLICY, "ignored", "p"),
	   "delete policy");
	lbe_close(e);
	e = eng_open(db, NULL);
	ok(!lbe_exists(e, LB_KIND_L2POLICY, NULL, "p"),
	   "deletion persisted");
	lbe_close(e);
	unlink(db);
}

int main(void)
{
	parsing_and_defaults();
	bad_input();
	selection();
	etp_local();
	election();
	persisted();
	return done_testing();
}
