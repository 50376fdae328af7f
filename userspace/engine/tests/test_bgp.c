// SPDX-License-Identifier: GPL-2.0
/*
 * BGP Control Plane objects: both apiVersions, defaults, apply errors
 * that change nothing, conditions, persistence, and what a node
 * advertises to which peer.
 */
#include "helpers.h"
#include "lb_bgp.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *pool =
	"apiVersion: cilium.io/v2alpha1\nkind: CiliumLoadBalancerIPPool\n"
	"metadata: {name: p}\nspec:\n  blocks:\n  - cidr: 192.0.2.0/28\n"
	"  - cidr: 'fd00::/120'\n";

static struct lb_l2_self self_of(const char *name, const char *const *k,
				 const char *const *v, size_t nl)
{
	struct lb_l2_self s = {
		.name = name, .n_labels = nl, .label_keys = k,
		.label_values = v,
	};

	return s;
}

struct out {
	char *p;
	size_t n, cap;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (len > 0 && (size_t)len < o->cap - o->n)
		o->n += (size_t)len;
}

static void put_route(struct out *o, const struct lb_bgp_route *r)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	inet_ntop(r->ip.family, &r->ip.v6, a, sizeof(a));
	put(o, " %s/%u=%s/%s@%s", a, r->plen, r->ns, r->name, r->advertisement);
	for (i = 0; i < r->n_communities; i++)
		put(o, "%sc%s", i ? "," : "[", r->communities[i]);
	for (i = 0; i < r->n_large_communities; i++)
		put(o, "%sl%s", i || r->n_communities ? "," : "[",
		    r->large_communities[i]);
	if (r->n_communities || r->n_large_communities)
		put(o, "]");
	if (r->local_pref)
		put(o, "lp%u", r->local_pref);
}

static void put_peer(struct out *o, const struct lb_bgp_peer *p)
{
	char a[INET6_ADDRSTRLEN];
	size_t i, j;

	inet_ntop(p->address.family, &p->address.v6, a, sizeof(a));
	put(o, " P %s %s as%u cfg=%s%s port=%u t=%u/%u/%u hop=%u gr=%d/%u\n",
	    p->name, a, p->peer_asn, p->peer_config ? p->peer_config : "-",
	    p->peer_config_missing ? "(missing)" : "", p->peer_port,
	    p->connect_retry_s, p->hold_s, p->keepalive_s, p->ebgp_multihop,
	    p->graceful_restart, p->restart_time_s);
	for (i = 0; i < p->n_families; i++) {
		put(o, "  F%d", p->families[i].family == AF_INET ? 4 : 6);
		for (j = 0; j < p->families[i].n_routes; j++)
			put_route(o, &p->families[i].routes[j]);
		put(o, "\n");
	}
}

static int node_cb(const struct lb_bgp_node *n, void *arg)
{
	struct out *o = arg;
	size_t i, j;

	for (i = 0; i < n->n_instances; i++) {
		const struct lb_bgp_instance *in = &n->instances[i];

		put(o, "I %s/%s as%u port=%u\n", in->cluster_config, in->name,
		    in->local_asn, in->local_port);
		for (j = 0; j < in->n_peers; j++)
			put_peer(o, &in->peers[j]);
	}
	return 0;
}

/* The node's whole answer as text (static buffer). */
static const char *answer(struct lb_engine *e, const struct lb_l2_self *me)
{
	static char buf[8192];
	struct out o = { buf, 0, sizeof(buf) };

	buf[0] = '\0';
	lbe_bgp_node(e, me, node_cb, &o);
	return buf;
}

/* Only the routes of every family of every peer, on one line. */
static const char *routes(struct lb_engine *e, const struct lb_l2_self *me)
{
	static char buf[4096];
	const char *a = answer(e, me), *l;
	size_t n = 0;

	buf[0] = '\0';
	for (l = a; (l = strstr(l, "  F")); l++) {
		const char *end = strchr(l, '\n');

		n += snprintf(buf + n, sizeof(buf) - n, "%s%.*s", n ? " |" : "",
			      (int)(end - l - 3), l + 3);
	}
	return buf;
}

static const char *obj(const char *api, const char *kind, const char *name,
		       const char *labels, const char *spec)
{
	static char b[4][2048];
	static int i;

	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]),
		 "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n"
		 "  labels: {%s}\nspec:\n%s", api, kind, name, labels, spec);
	return b[i];
}

#define V2 "cilium.io/v2"
#define CC "CiliumBGPClusterConfig"
#define PC "CiliumBGPPeerConfig"
#define AD "CiliumBGPAdvertisement"

static const char *cc_spec =
	"  bgpInstances:\n  - name: i1\n    localASN: 65000\n"
	"    peers:\n    - name: tor\n      peerAddress: 10.0.0.1\n"
	"      peerASN: 65001\n      peerConfigRef: {name: pc}\n";

#define svc(name, labels, extra) svc_yaml("default", name, labels, NULL, extra)

/* An advertisement of the LB IPs of Services; rest: selector, attributes. */
static const char *lb_adv(const char *name, const char *labels,
			  const char *rest)
{
	char spec[1024];

	snprintf(spec, sizeof(spec),
		 "  advertisements:\n  - advertisementType: Service\n"
		 "    service: {addresses: [LoadBalancerIP]}\n%s", rest);
	return obj(V2, AD, name, labels, spec);
}

/* A cluster, a peer config for v4 and v6 and an advertisement of bgp=yes. */
static void base(struct lb_engine *e)
{
	ok(!apply(e, pool), "pool");
	ok(!apply(e, obj(V2, CC, "cc", "", cc_spec)), "cluster config");
	ok(!apply(e, obj(V2, PC, "pc", "",
			 "  families:\n"
			 "  - {afi: ipv4, safi: unicast,"
			 " advertisements: {matchLabels: {adv: bgp}}}\n"
			 "  - {afi: ipv6, safi: unicast,"
			 " advertisements: {matchLabels: {adv: bgp}}}\n")),
	   "peer config");
	ok(!apply(e, lb_adv("ad", "adv: bgp",
			    "    selector: {matchLabels: {bgp: 'yes'}}\n")),
	   "advertisement");
}

static void parsing_and_defaults(void)
{
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct lb_engine *e = eng_new();

	ok(!apply(e, obj("cilium.io/v2alpha1", CC, "old", "",
			 "  bgpInstances:\n  - name: a\n    localASN: 4294967295\n"
			 "    localPort: 1790\n    peers:\n"
			 "    - {name: x, peerAddress: 'fd00::1'}\n"
			 "    - {name: y, peerAddress: 10.0.0.9, peerASN: 0,"
			 " peerConfigRef: {name: none}}\n")),
	   "v2alpha1 cluster config");
	ok(!apply(e, "apiVersion: cilium.io/v2alpha1\nkind: " PC "\n"
		  "metadata: {name: empty}\n"), "v2alpha1 peer config, no spec");
	is(answer(e, &me),
	   "I old/a as4294967295 port=1790\n"
	   " P x fd00::1 as0 cfg=- port=179 t=120/90/30 hop=1 gr=0/120\n"
	   "  F4\n  F6\n"
	   " P y 10.0.0.9 as0 cfg=none(missing) port=179 t=120/90/30 hop=1 gr=0/120\n",
	   "defaults: no ref gets both families, a missing ref none");
	ok(!apply(e, obj(V2, PC, "none", "",
			 "  transport: {peerPort: 1179}\n"
			 "  timers: {connectRetryTimeSeconds: 5, holdTimeSeconds: 9,"
			 " keepAliveTimeSeconds: 3}\n  ebgpMultihop: 4\n"
			 "  gracefulRestart: {enabled: true}\n"
			 "  families: [{afi: ipv6, safi: unicast}]\n")),
	   "v2 peer config");
	is(strstr(answer(e, &me), " P y"),
	   " P y 10.0.0.9 as0 cfg=none port=1179 t=5/9/3 hop=4 gr=1/120\n  F6\n",
	   "the stored peer config's fields, restart time defaulted");
	ok(!apply(e, obj(V2, PC, "none", "",
			 "  timers: {holdTimeSeconds: 30, keepAliveTimeSeconds: 10}\n")),
	   "timers without families");
	is(strstr(answer(e, &me), " P y"),
	   " P y 10.0.0.9 as0 cfg=none port=179 t=120/30/10 hop=1 gr=0/120\n  F4\n  F6\n",
	   "no families: both, and the timers given kept");
	lbe_close(e);
}

struct objv {
	char buf[1024];
	size_t n;
};

static int obj_cb(const struct lb_bgp_object_info *o, void *arg)
{
	struct objv *v = arg;
	size_t i;

	v->n += snprintf(v->buf + v->n, sizeof(v->buf) - v->n,
			 "%s g%llu {%s}", o->name,
			 (unsigned long long)o->generation, o->summary);
	for (i = 0; i < o->n_conditions; i++)
		v->n += snprintf(v->buf + v->n, sizeof(v->buf) - v->n,
				 " %s=%s/%s/%s", o->conditions[i].type,
				 o->conditions[i].status,
				 o->conditions[i].reason,
				 o->conditions[i].message);
	v->n += snprintf(v->buf + v->n, sizeof(v->buf) - v->n, "\n");
	return 0;
}

static const char *objects(struct lb_engine *e, enum lb_kind k)
{
	static struct objv v;

	memset(&v, 0, sizeof(v));
	lbe_foreach_bgp_object(e, k, obj_cb, &v);
	return v.buf;
}

static void rejects(struct lb_engine *e, const char *kind, const char *spec,
		    const char *want)
{
	char w[512];

	snprintf(w, sizeof(w), "test.yaml: document 0: %s", want);
	is(apply_err(e, obj(V2, kind, "bad", "", spec)), w, "refused: %s", want);
	ok(!lbe_exists(e, LB_KIND_BGP_CLUSTER, NULL, "bad") &&
	   !lbe_exists(e, LB_KIND_BGP_PEER, NULL, "bad") &&
	   !lbe_exists(e, LB_KIND_BGP_ADVERT, NULL, "bad"), "nothing stored");
}

static void bad_input(void)
{
	struct lb_engine *e = eng_new();

	rejects(e, CC, "  bgpInstances:\n  - name: i\n    localASN: 65000.1\n",
		"spec.bgpInstances[0].localASN: expected an integer, got '65000.1'");
	rejects(e, CC, "  bgpInstances:\n  - name: i\n    localASN: '65000'\n",
		"spec.bgpInstances[0].localASN: expected an integer, got '65000'");
	rejects(e, CC, "  bgpInstances:\n  - name: i\n    localASN: 0\n",
		"spec.bgpInstances[0].localASN: 0 is out of range [1, 4294967295]");
	rejects(e, CC, "  bgpInstances:\n  - name: i\n    localASN: 4294967296\n",
		"spec.bgpInstances[0].localASN: 4294967296 is out of range [1, 4294967295]");
	rejects(e, CC, "  bgpInstances:\n  - name: i\n",
		"spec.bgpInstances[0]: localASN is required (there is no CiliumBGPNodeConfigOverride here to give it)");
	rejects(e, CC, "  bgpInstances: []\n",
		"spec.bgpInstances: at least one BGP instance is required");
	rejects(e, CC, "  bgpInstances:\n  - {name: i, localASN: 1}\n"
		"  - {name: i, localASN: 2}\n",
		"spec.bgpInstances[1].name: duplicate name 'i'");
	rejects(e, CC, "  bgpInstances:\n  - name: i\n    localASN: 1\n"
		"    peers: [{name: p, peerAddress: 10.0.0.1},"
		" {name: p, peerAddress: 10.0.0.2}]\n",
		"spec.bgpInstances[0].peers[1].name: duplicate name 'p'");
	rejects(e, CC, "  bgpInstances:\n  - name: i\n    localASN: 1\n"
		"    peers: [{name: p, peerAddress: 10.0.0.256}]\n",
		"spec.bgpInstances[0].peers[0].peerAddress: '10.0.0.256' is not an IPv4 or IPv6 address");
	rejects(e, CC, "  bgpInstances:\n  - name: i\n    localASN: 1\n"
		"    peers: [{name: p}]\n",
		"spec.bgpInstances[0].peers[0].peerAddress: peerAddress is required (autoDiscovery is not supported)");
	rejects(e, CC, "  bgpInstances:\n  - name: i\n    localASN: 1\n"
		"    peers: [{name: p, peerAddress: 10.0.0.1, peerASN: -1}]\n",
		"spec.bgpInstances[0].peers[0].peerASN: -1 is out of range [0, 4294967295]");
	rejects(e, CC, "  nodeSelector: {matchExpressions: [{key: a, operator: Is}]}\n"
		"  bgpInstances: [{name: i, localASN: 1}]\n",
		"spec.nodeSelector.matchExpressions[0].operator: operator must be one of In, NotIn, Exists, DoesNotExist");
	rejects(e, CC, "  nodeSelector: {matchExpressions: [{key: a, operator: In}]}\n"
		"  bgpInstances: [{name: i, localASN: 1}]\n",
		"spec.nodeSelector.matchExpressions[0].values: values must be non-empty for In");
	rejects(e, PC, "  families: [{afi: l2vpn, safi: unicast}]\n",
		"spec.families[0].afi: afi must be ipv4 or ipv6 (the families Cilium's BGP Control Plane advertises), got 'l2vpn'");
	rejects(e, PC, "  families: [{afi: ipv4, safi: evpn}]\n",
		"spec.families[0].safi: safi must be unicast, got 'evpn'");
	rejects(e, PC, "  families: [{afi: ipv4, safi: unicast, advertisements: []}]\n",
		"spec.families[0].advertisements: expected a mapping");
	rejects(e, PC, "  timers: {holdTimeSeconds: 2}\n",
		"spec.timers.holdTimeSeconds: 2 is out of range [3, 65535]");
	rejects(e, PC, "  timers: {holdTimeSeconds: 9, keepAliveTimeSeconds: 10}\n",
		"spec.timers.keepAliveTimeSeconds: keepAliveTimeSeconds can not be larger than holdTimeSeconds (10 > 9)");
	rejects(e, PC, "  gracefulRestart: {enabled: true, restartTimeSeconds: 4096}\n",
		"spec.gracefulRestart.restartTimeSeconds: 4096 is out of range [1, 4095]");
	rejects(e, PC, "  ebgpMultihop: 0\n",
		"spec.ebgpMultihop: 0 is out of range [1, 255]");
	rejects(e, AD, "  advertisements: [{advertisementType: Pods}]\n",
		"spec.advertisements[0].advertisementType: advertisementType must be Service, PodCIDR or CiliumPodIPPool, got 'Pods'");
	rejects(e, AD, "  advertisements: [{advertisementType: Service,"
		" service: {addresses: [NodeIP]}}]\n",
		"spec.advertisements[0].service.addresses[0]: must be LoadBalancerIP, ClusterIP or ExternalIP, got 'NodeIP'");
	rejects(e, AD, "  advertisements: [{advertisementType: Service,"
		" attributes: {communities: {standard: ['65536:1']}}}]\n",
		"spec.advertisements[0].attributes.communities.standard[0]: '65536:1' is not a standard community (a:b of 16-bit numbers, or one 32-bit number)");
	rejects(e, AD, "  advertisements: [{advertisementType: Service,"
		" attributes: {communities: {wellKnown: [no-such]}}}]\n",
		"spec.advertisements[0].attributes.communities.wellKnown[0]: 'no-such' is not a well-known community name (no-export, no-advertise, ...)");
	rejects(e, AD, "  advertisements: [{advertisementType: Service,"
		" attributes: {communities: {large: ['1:2']}}}]\n",
		"spec.advertisements[0].attributes.communities.large[0]: '1:2' is not a large community (a:b:c of 32-bit numbers)");
	is(apply_err(e, "apiVersion: cilium.io/v1\nkind: " CC "\nmetadata: {name: z}\n"),
	   "test.yaml: document 0: apiVersion: unsupported apiVersion 'cilium.io/v1' for CiliumBGPClusterConfig",
	   "only v2 and v2alpha1");
	/* A bad object in a set refuses the whole set. */
	ok(apply(e, "apiVersion: cilium.io/v2\nkind: " PC "\nmetadata: {name: good}\n"
		 "---\napiVersion: cilium.io/v2\nkind: " PC "\nmetadata: {name: worse}\n"
		 "spec: {ebgpMultihop: 256}\n"), "set with one bad object");
	ok(!lbe_exists(e, LB_KIND_BGP_PEER, NULL, "good"),
	   "the good one is not stored either");
	lbe_close(e);
}

static void advertising(void)
{
	static const char *const k[] = { "rack" };
	static const char *const v0[] = { "r0" }, *const v1[] = { "r1" };
	struct lb_l2_self me = self_of("n1", k, v0, 1);
	struct lb_l2_self other = self_of("n2", k, v1, 1);
	struct lb_engine *e = eng_new();

	base(e);
	ok(!apply(e, svc("web", "bgp: 'yes'", "")), "web");
	ok(!apply(e, svc("api", "", "")), "api, not labelled");
	ok(!apply(e, svc("dual", "bgp: 'yes'",
			 "  ipFamilyPolicy: RequireDualStack\n"
			 "  ipFamilies: [IPv4, IPv6]\n")), "dual-stack");
	is(routes(e, &me),
	   "4 192.0.2.0/32=default/web@ad 192.0.2.2/32=default/dual@ad |"
	   "6 fd00::/128=default/dual@ad",
	   "each family gets its LB IPs of the selected Services");
	/* nodeSelector: only rack r0. */
	ok(apply(e, obj(V2, CC, "cc", "",
			"  nodeSelector: {matchLabels: {rack: r0}}\n")) != 0,
	   "a cluster config needs instances");
	ok(!apply(e, "apiVersion: cilium.io/v2\nkind: " CC "\nmetadata: {name: cc}\n"
		  "spec:\n  nodeSelector: {matchLabels: {rack: r0}}\n"
		  "  bgpInstances:\n  - name: i1\n    localASN: 65000\n"
		  "    peers:\n    - name: tor\n      peerAddress: 10.0.0.1\n"
		  "      peerConfigRef: {name: pc}\n"), "node selector");
	ok(strstr(answer(e, &me), "I cc/i1 as65000"), "r0 selected");
	is(answer(e, &other), "", "r1 not selected: no instance");
	/* A Node object's labels win over the command line's. */
	ok(!apply(e, "apiVersion: v1\nkind: Node\nmetadata:\n  name: n2\n"
		  "  labels: {rack: r0}\n"), "Node n2 moves to r0");
	ok(strstr(answer(e, &other), "I cc/i1"), "now n2 is selected");
	/* The Service loses its label: its route goes. */
	ok(!apply(e, svc("web", "", "")), "web unlabelled");
	is(routes(e, &me), "4 192.0.2.2/32=default/dual@ad |6 fd00::/128=default/dual@ad",
	   "web's route withdrawn");
	/* The special name label selects by name. */
	ok(!apply(e, lb_adv("ad", "adv: bgp",
			    "    selector: {matchLabels: {io.kubernetes.service.name: api}}\n")),
	   "select api by name");
	is(routes(e, &me), "4 192.0.2.1/32=default/api@ad |6", "api by name");
	/* Advertisement no longer selected by the family: nothing. */
	ok(!apply(e, lb_adv("ad", "adv: other",
			    "    selector: {}\n")), "relabel the advertisement");
	is(routes(e, &me), "4 |6", "family's selector no longer matches");
	lbe_close(e);
}

static void selection_rules(void)
{
	/* What lbipamd serves when BGP is on, as Cilium's LB-IPAM does. */
	static const char *const classes[] = { "io.cilium/bgp-control-plane",
					       "io.cilium/l2-announcer", NULL };
	struct lb_engine_config cfg = { .lb_classes = classes };
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct lb_engine *e = eng_open(NULL, &cfg);

	base(e);
	ok(!apply(e, svc("web", "bgp: 'yes'", "")), "web");
	/* No selector on a Service item: no Service (Cilium v2). */
	ok(!apply(e, lb_adv("ad", "adv: bgp", "")),
	   "advertisement without selector");
	is(routes(e, &me), "4 |6", "nil selector selects nothing");
	/* ClusterIP/ExternalIP and PodCIDR items advertise nothing here. */
	ok(!apply(e, obj(V2, AD, "ad", "adv: bgp",
			 "  advertisements:\n  - advertisementType: PodCIDR\n"
			 "  - advertisementType: Service\n"
			 "    service: {addresses: [ClusterIP, ExternalIP]}\n"
			 "    selector: {}\n")), "other address types");
	is(routes(e, &me), "4 |6", "only LoadBalancerIP yields routes");
	/* Two advertisements on one address: attributes merge. */
	ok(!apply(e, lb_adv("ad", "adv: bgp",
			    "    selector: {}\n"
			    "    attributes:\n      communities: {standard: ['65000:1', '4259840002'],"
			    " wellKnown: [no-export], large: ['1:2:3']}\n"
			    "      localPreference: 100\n")), "attributes");
	ok(!apply(e, lb_adv("ad2", "adv: bgp",
			    "    selector: {matchLabels: {bgp: 'yes'}}\n"
			    "    attributes:\n      communities: {standard: ['65000:1', '65000:9']}\n"
			    "      localPreference: 200\n")), "second advertisement");
	is(routes(e, &me),
	   "4 192.0.2.0/32=default/web@ad[c65000:1,c65000:2,c65535:65281,c65000:9,l1:2:3]lp200 |6",
	   "communities united, the larger local preference");
	/* Two peers sharing the peer config: the same routes to each. */
	ok(!apply(e, obj(V2, CC, "cc", "",
			 "  bgpInstances:\n  - name: i1\n    localASN: 65000\n"
			 "    peers:\n    - {name: b, peerAddress: 10.0.0.2,"
			 " peerConfigRef: {name: pc}}\n"
			 "    - {name: a, peerAddress: 10.0.0.1,"
			 " peerConfigRef: {name: pc}}\n")), "two peers");
	is(answer(e, &me),
	   "I cc/i1 as65000 port=0\n"
	   " P a 10.0.0.1 as0 cfg=pc port=179 t=120/90/30 hop=1 gr=0/120\n"
	   "  F4 192.0.2.0/32=default/web@ad[c65000:1,c65000:2,c65535:65281,c65000:9,l1:2:3]lp200\n"
	   "  F6\n"
	   " P b 10.0.0.2 as0 cfg=pc port=179 t=120/90/30 hop=1 gr=0/120\n"
	   "  F4 192.0.2.0/32=default/web@ad[c65000:1,c65000:2,c65535:65281,c65000:9,l1:2:3]lp200\n"
	   "  F6\n", "both peers, in name order, get the routes");
	/* Class: only unset or io.cilium/bgp-control-plane. */
	ok(!apply(e, svc("web", "bgp: 'yes'",
			 "  loadBalancerClass: io.cilium/bgp-control-plane\n")),
	   "bgp class");
	ok(strstr(routes(e, &me), "default/web"), "BGP class advertised");
	ok(!apply(e, svc("l2", "bgp: 'yes'",
			 "  loadBalancerClass: io.cilium/l2-announcer\n")),
	   "l2 class");
	ok(strcmp(ips(e, "default", "l2"), "") &&
	   !strstr(routes(e, &me), "default/l2"),
	   "another class has an IP but is not advertised");
	lbe_close(e);
}

static void etp_local(void)
{
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct lb_engine *e = eng_new();

	base(e);
	ok(!apply(e, svc("web", "bgp: 'yes'",
			 "  externalTrafficPolicy: Local\n")), "eTP Local");
	lbe_changed_clear(e);
	ok(!lbe_bgp_changed(e), "nothing changed after clear");
	is(routes(e, &me), "4 |6", "no endpoint: not advertised");
	ok(!apply(e, web_slice("n2", true)), "endpoint on n2");
	ok(lbe_bgp_changed(e), "an EndpointSlice change is a change");
	is(routes(e, &me), "4 |6", "another node's endpoint is not local");
	ok(!apply(e, web_slice("n1", false)), "unready endpoint here");
	is(routes(e, &me), "4 |6", "an unready endpoint does not count");
	ok(!apply(e, web_slice("n1", true)), "ready endpoint here");
	is(routes(e, &me), "4 192.0.2.0/32=default/web@ad |6", "advertised");
	lbe_changed_clear(e);
	ok(!apply(e, obj(V2, PC, "unused", "", "  ebgpMultihop: 2\n")),
	   "another peer config");
	ok(lbe_bgp_changed(e), "a BGP object is a change");
	lbe_changed_clear(e);
	ok(!lbe_delete(e, LB_KIND_SERVICE, "default", "web"), "delete web");
	ok(lbe_bgp_changed(e), "a deleted Service is a change");
	is(routes(e, &me), "4 |6", "withdrawn with the Service");
	lbe_close(e);
}

static void missing_peer_config(void)
{
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct lb_engine *e = eng_new();

	ok(!apply(e, obj(V2, CC, "cc", "", cc_spec)), "cluster config");
	is(objects(e, LB_KIND_BGP_CLUSTER),
	   "cc g1 {instances=1 peers=1 nodeSelector=<all>} cilium.io/MissingPeerConfigs=True/MissingPeerConfigs/Referenced CiliumBGPPeerConfig(s) are missing: [pc]\n",
	   "condition names the missing config");
	ok(strstr(answer(e, &me), "cfg=pc(missing)") &&
	   !strstr(answer(e, &me), "  F"), "no family while it is missing");
	ok(!apply(e, obj(V2, PC, "pc", "", "  families: [{afi: ipv4, safi: unicast}]\n")),
	   "peer config applied");
	is(objects(e, LB_KIND_BGP_CLUSTER),
	   "cc g1 {instances=1 peers=1 nodeSelector=<all>} cilium.io/MissingPeerConfigs=False/MissingPeerConfigs/\n",
	   "condition cleared");
	is(objects(e, LB_KIND_BGP_PEER),
	   "pc g1 {families=ipv4 peerPort=179 holdTime=90 keepAlive=30 gracefulRestart=off}\n",
	   "peer config summary");
	ok(!apply(e, obj(V2, AD, "ad", "", "  advertisements:\n"
			 "  - {advertisementType: Service, service: {addresses: [LoadBalancerIP]}}\n"
			 "  - {advertisementType: PodCIDR}\n")), "advertisement");
	is(objects(e, LB_KIND_BGP_ADVERT),
	   "ad g1 {Service(LoadBalancerIP) selector=<none>; PodCIDR}\n",
	   "advertisement summary");
	ok(!lbe_delete(e, LB_KIND_BGP_PEER, NULL, "pc"), "delete peer config");
	ok(strstr(objects(e, LB_KIND_BGP_CLUSTER), "=True/"),
	   "missing again");
	ok(lbe_foreach_bgp_object(e, LB_KIND_SERVICE, obj_cb, NULL) < 0,
	   "other kinds refused");
	me.name = NULL;
	ok(lbe_bgp_node(e, &me, node_cb, NULL) < 0, "a node needs a name");
	lbe_close(e);
}

static void persisted(void)
{
	char db[] = "/tmp/lbtest-bgp-XXXXXX";
	struct lb_l2_self me = self_of("n1", NULL, NULL, 0);
	struct lb_engine *e;
	char before[8192], objs[3][1024];
	int fd = mkstemp(db);
	enum lb_kind k;

	ok(fd >= 0, "temp db");
	close(fd);
	e = eng_open(db, NULL);
	base(e);
	ok(!apply(e, svc("web", "bgp: 'yes'", "")), "web");
	ok(!apply(e, obj(V2, CC, "cc", "",
			 "  bgpInstances:\n  - name: i1\n    localASN: 65000\n"
			 "    peers:\n    - {name: tor, peerAddress: 10.0.0.1,"
			 " peerConfigRef: {name: gone}}\n")), "changed: generation 2");
	snprintf(before, sizeof(before), "%s", answer(e, &me));
	for (k = LB_KIND_BGP_CLUSTER; k <= LB_KIND_BGP_ADVERT; k++)
		snprintf(objs[k - LB_KIND_BGP_CLUSTER], sizeof(objs[0]), "%s",
			 objects(e, k));
	ok(strstr(objs[0], "cc g2 "), "generation moved");
	lbe_close(e);
	e = eng_open(db, NULL);
	is(answer(e, &me), before, "the same answer after reopening");
	for (k = LB_KIND_BGP_CLUSTER; k <= LB_KIND_BGP_ADVERT; k++)
		is(objects(e, k), objs[k - LB_KIND_BGP_CLUSTER],
		   "%s survives", lb_kind_name(k));
	ok(lbe_resource_version(e, LB_KIND_BGP_CLUSTER, NULL, "cc") > 0,
	   "resourceVersion kept");
	ok(!lbe_delete(e, LB_KIND_BGP_ADVERT, NULL, "ad"), "delete");
	lbe_close(e);
	e = eng_open(db, NULL);
	ok(!lbe_exists(e, LB_KIND_BGP_ADVERT, NULL, "ad") &&
	   lbe_exists(e, LB_KIND_BGP_PEER, NULL, "pc"), "deletion persisted");
	lbe_close(e);
	unlink(db);
}

int main(void)
{
	parsing_and_defaults();
	bad_input();
	advertising();
	selection_rules();
	etp_local();
	missing_peer_config();
	persisted();
	return done_testing();
}
