// SPDX-License-Identifier: GPL-2.0
/*
 * CiliumBGPClusterConfig, CiliumBGPPeerConfig and CiliumBGPAdvertisement
 * documents: what Cilium's CRD schema refuses is an apply error here.
 */
#include "yaml_node.h"
#include "engine_int.h"
#include "bgp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ASN_MAX		4294967295LL

/* A field's path for diagnostics; a long one is cut short, which is fine. */
static void __attribute__((format(printf, 3, 4)))
at(char *p, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, len, fmt, ap);
	va_end(ap);
}

/* Items of a list at path, or 0 (with a diagnostic if it is no list). */
static size_t seq_len(struct yl *y, const yaml_node_t *n, const char *path)
{
	if (!lbe_y_want_seq(y, n, path))
		return 0;
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

static yaml_node_t *seq_at(struct yl *y, const yaml_node_t *n, size_t i)
{
	return lbe_y_node(y, n->data.sequence.items.start[i]);
}

/* An optional integer field; false only when present and bad. */
static bool get_int(struct yl *y, const yaml_node_t *map, const char *key,
		    const char *base, long long min, long long max,
		    long long *out)
{
	yaml_node_t *n = lbe_y_get(y, map, key);
	char p[PATH_MAX_LEN + 64];

	if (!n)
		return true;
	at(p, sizeof(p), "%s.%s", base, key);
	return lbe_y_parse_int(y, n, p, min, max, out);
}

/* A required name, 1 to 255 characters, not one of names[0..n). */
static char *read_name(struct yl *y, const yaml_node_t *map, const char *base,
		       const char *const *names, size_t n)
{
	char p[PATH_MAX_LEN + 16];
	const char *v;
	size_t i;

	at(p, sizeof(p), "%s.name", base);
	v = lbe_y_get_str(y, map, "name", p);
	if (!v || !*v || strlen(v) > 255) {
		lbe_y_err(y, p, "name is required (1 to 255 characters)");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (names[i] && !strcmp(names[i], v)) {
			lbe_y_err(y, p, "duplicate name '%s'", v);
			return NULL;
		}
	}
	return lb_xstrdup(v);
}

/* The names given so far, to refuse a duplicate. */
static const char **names_of(const void *v, size_t stride, size_t n)
{
	const char **out = lb_xcalloc(n + 1, sizeof(*out));
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = *(char *const *)((const char *)v + i * stride);
	return out;
}

static void read_peer(struct yl *y, const yaml_node_t *n, const char *base,
		      struct lb_bgp_inst_spec *in)
{
	struct lb_bgp_peer_spec *pe = &in->peers[in->npeers];
	char p[PATH_MAX_LEN + 64];
	yaml_node_t *ref;
	struct lb_addr a;
	long long asn = 0;
	const char **names;
	const char *v;

	if (!lbe_y_want_map(y, n, base))
		return;
	names = names_of(in->peers, sizeof(*in->peers), in->npeers);
	pe->name = read_name(y, n, base, names, in->npeers);
	free(names);
	at(p, sizeof(p), "%s.peerAddress", base);
	v = lbe_y_get_str(y, n, "peerAddress", p);
	if (!v)
		lbe_y_err(y, p, "peerAddress is required (autoDiscovery is not supported)");
	else if (lbe_addr_parse(v, &a))
		lbe_y_err(y, p, "'%s' is not an IPv4 or IPv6 address", v);
	else
		lbe_addr_to_ip(&a, &pe->addr);
	get_int(y, n, "peerASN", base, 0, ASN_MAX, &asn);
	pe->asn = (uint32_t)asn;
	at(p, sizeof(p), "%s.peerConfigRef", base);
	ref = lbe_y_get(y, n, "peerConfigRef");
	if (ref && lbe_y_want_map(y, ref, p)) {
		at(p, sizeof(p), "%s.peerConfigRef.name", base);
		v = lbe_y_get_str(y, ref, "name", p);
		if (!v || !*v)
			lbe_y_err(y, p, "name is required");
		else
			pe->config_ref = lb_xstrdup(v);
	}
	in->npeers++;
}

static void read_instance(struct yl *y, const yaml_node_t *n, size_t idx,
			  struct lb_bgp_spec *s)
{
	struct lb_bgp_inst_spec *in = &s->insts[s->ninsts];
	char base[PATH_MAX_LEN], p[PATH_MAX_LEN + 16];
	long long v = 0;
	const char **names;
	yaml_node_t *peers;
	size_t i, np;

	at(base, sizeof(base), "spec.bgpInstances[%zu]", idx);
	if (!lbe_y_want_map(y, n, base))
		return;
	names = names_of(s->insts, sizeof(*s->insts), s->ninsts);
	in->name = read_name(y, n, base, names, s->ninsts);
	free(names);
	s->ninsts++;
	if (!lbe_y_get(y, n, "localASN"))
		lbe_y_err(y, base, "localASN is required (there is no CiliumBGPNodeConfigOverride here to give it)");
	else if (get_int(y, n, "localASN", base, 1, ASN_MAX, &v))
		in->asn = (uint32_t)v;
	v = 0;
	get_int(y, n, "localPort", base, 1, 65535, &v);
	in->port = (uint16_t)v;
	at(p, sizeof(p), "%s.peers", base);
	peers = lbe_y_get(y, n, "peers");
	np = seq_len(y, peers, p);
	in->peers = lb_xcalloc(np + 1, sizeof(*in->peers));
	for (i = 0; i < np; i++) {
		at(p, sizeof(p), "%s.peers[%zu]", base, i);
		read_peer(y, seq_at(y, peers, i), p, in);
	}
}

static void load_cluster(struct yl *y, const yaml_node_t *spec,
			 struct lb_bgp_spec *s)
{
	yaml_node_t *n = lbe_y_get(y, spec, "nodeSelector");
	size_t i, ni;

	if (n)
		s->node_sel = lbe_y_read_selector(y, n, "spec.nodeSelector",
						  NULL);
	n = lbe_y_get(y, spec, "bgpInstances");
	ni = seq_len(y, n, "spec.bgpInstances");
	if (!n || (n->type == YAML_SEQUENCE_NODE && !ni))
		lbe_y_err(y, "spec.bgpInstances",
			  "at least one BGP instance is required");
	if (ni > 16)
		lbe_y_err(y, "spec.bgpInstances",
			  "at most 16 BGP instances, got %zu", ni);
	s->insts = lb_xcalloc(ni + 1, sizeof(*s->insts));
	for (i = 0; i < ni; i++)
		read_instance(y, seq_at(y, n, i), i, s);
}

static void read_family(struct yl *y, const yaml_node_t *n, size_t idx,
			struct lb_bgp_spec *s)
{
	char base[PATH_MAX_LEN], p[PATH_MAX_LEN + 32];
	const char *afi, *safi;
	yaml_node_t *adv;
	size_t i;
	int fam;

	at(base, sizeof(base), "spec.families[%zu]", idx);
	if (!lbe_y_want_map(y, n, base))
		return;
	at(p, sizeof(p), "%s.afi", base);
	afi = lbe_y_get_str(y, n, "afi", p);
	fam = afi && !strcmp(afi, "ipv4") ? AF_INET :
	      afi && !strcmp(afi, "ipv6") ? AF_INET6 : 0;
	if (!fam)
		lbe_y_err(y, p, "afi must be ipv4 or ipv6 (the families Cilium's BGP Control Plane advertises), got '%s'",
			  afi ? afi : "");
	at(p, sizeof(p), "%s.safi", base);
	safi = lbe_y_get_str(y, n, "safi", p);
	if (!safi || strcmp(safi, "unicast"))
		lbe_y_err(y, p, "safi must be unicast, got '%s'",
			  safi ? safi : "");
	for (i = 0; fam && i < s->nfams; i++)
		if (s->fams[i].family == fam)
			lbe_y_err(y, p, "duplicate family %s/unicast", afi);
	at(p, sizeof(p), "%s.advertisements", base);
	adv = lbe_y_get(y, n, "advertisements");
	s->fams[s->nfams].family = fam;
	if (adv)
		s->fams[s->nfams].adverts = lbe_y_read_selector(y, adv, p,
								NULL);
	s->nfams++;
}

static void load_peer(struct yl *y, const yaml_node_t *spec,
		      struct lb_bgp_spec *s)
{
	yaml_node_t *t = lbe_y_get(y, spec, "transport");
	yaml_node_t *tm = lbe_y_get(y, spec, "timers");
	yaml_node_t *gr = lbe_y_get(y, spec, "gracefulRestart");
	yaml_node_t *fams = lbe_y_get(y, spec, "families");
	long long v[5] = { LB_BGP_PEER_PORT, LB_BGP_CONNECT_RETRY, LB_BGP_HOLD,
			   LB_BGP_KEEPALIVE, LB_BGP_RESTART };
	long long hop = LB_BGP_MULTIHOP;
	size_t i, nf;

	if (t && lbe_y_want_map(y, t, "spec.transport"))
		get_int(y, t, "peerPort", "spec.transport", 1, 65535, &v[0]);
	if (tm && lbe_y_want_map(y, tm, "spec.timers")) {
		get_int(y, tm, "connectRetryTimeSeconds", "spec.timers", 1,
			2147483647, &v[1]);
		get_int(y, tm, "holdTimeSeconds", "spec.timers", 3, 65535,
			&v[2]);
		get_int(y, tm, "keepAliveTimeSeconds", "spec.timers", 1, 65535,
			&v[3]);
		if (v[3] > v[2])
			lbe_y_err(y, "spec.timers.keepAliveTimeSeconds",
				  "keepAliveTimeSeconds can not be larger than holdTimeSeconds (%lld > %lld)",
				  v[3], v[2]);
	}
	if (gr && lbe_y_want_map(y, gr, "spec.gracefulRestart")) {
		if (!lbe_y_get(y, gr, "enabled"))
			lbe_y_err(y, "spec.gracefulRestart.enabled",
				  "enabled is required");
		lbe_y_get_bool(y, gr, "enabled", "spec.gracefulRestart.enabled",
			       &s->gr);
		get_int(y, gr, "restartTimeSeconds", "spec.gracefulRestart", 1,
			4095, &v[4]);
	}
	get_int(y, spec, "ebgpMultihop", "spec", 1, 255, &hop);
	s->peer_port = (uint16_t)v[0];
	s->connect_retry = (uint32_t)v[1];
	s->hold = (uint32_t)v[2];
	s->keepalive = (uint32_t)v[3];
	s->restart = (uint32_t)v[4];
	s->multihop = (uint8_t)hop;
	nf = seq_len(y, fams, "spec.families");
	if (!nf) {
		lbe_bgp_default_families(s);
		return;
	}
	s->fams = lb_xcalloc(nf, sizeof(*s->fams));
	for (i = 0; i < nf; i++)
		read_family(y, seq_at(y, fams, i), i, s);
}

/* Cilium's names of standard communities (RFC 1997 and successors). */
static const struct {
	const char *name;
	const char *value;
} well_known[] = {
	{ "internet", "0:0" }, { "planned-shut", "65535:0" },
	{ "accept-own", "65535:1" }, { "route-filter-translated-v4", "65535:2" },
	{ "route-filter-v4", "65535:3" }, { "route-filter-translated-v6", "65535:4" },
	{ "route-filter-v6", "65535:5" }, { "llgr-stale", "65535:6" },
	{ "no-llgr", "65535:7" }, { "blackhole", "65535:666" },
	{ "no-export", "65535:65281" }, { "no-advertise", "65535:65282" },
	{ "no-export-subconfed", "65535:65283" }, { "no-peer", "65535:65284" },
};

/* n decimal numbers separated by ':', each at most max[i]. */
static bool parse_parts(const char *v, size_t n, const unsigned long long *max,
			unsigned long long *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *end;

		if (*v < '0' || *v > '9' || (v[0] == '0' && v[1] >= '0' &&
					     v[1] <= '9'))
			return false;
		out[i] = strtoull(v, &end, 10);
		if (out[i] > max[i] || end - v > 10)
			return false;
		v = end;
		if (i + 1 < n && *v++ != ':')
			return false;
	}
	return !*v;
}

/* "a:b" from "a:b" or from one 32-bit number; NULL if neither. */
static char *standard_community(const char *v)
{
	static const unsigned long long pair[] = { 65535, 65535 };
	static const unsigned long long one[] = { 4294967295ULL };
	unsigned long long x[2];

	if (parse_parts(v, 2, pair, x))
		return lb_xasprintf("%llu:%llu", x[0], x[1]);
	if (parse_parts(v, 1, one, x))
		return lb_xasprintf("%llu:%llu", x[0] >> 16, x[0] & 0xffff);
	return NULL;
}

static char *large_community(const char *v)
{
	static const unsigned long long max[] = { 4294967295ULL, 4294967295ULL,
						  4294967295ULL };
	unsigned long long x[3];

	return parse_parts(v, 3, max, x) ? lb_xstrdup(v) : NULL;
}

static char *well_known_community(const char *v)
{
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(well_known); i++)
		if (!strcmp(v, well_known[i].name))
			return lb_xstrdup(well_known[i].value);
	return NULL;
}

/* One list of communities under attributes.communities. */
static void read_comms(struct yl *y, const yaml_node_t *c, const char *key,
		       const char *base, char *(*conv)(const char *),
		       const char *want, char ***out, size_t *nout)
{
	yaml_node_t *n = lbe_y_get(y, c, key);
	char p[PATH_MAX_LEN + 64];
	size_t i, len;

	at(p, sizeof(p), "%s.%s", base, key);
	len = seq_len(y, n, p);
	*out = lb_xreallocarray(*out, *nout + len + 1, sizeof(**out));
	for (i = 0; i < len; i++) {
		const char *v;
		char *x;

		at(p, sizeof(p), "%s.%s[%zu]", base, key, i);
		v = lbe_y_scalar(y, seq_at(y, n, i), p);
		if (!v)
			continue;
		x = conv(v);
		if (!x) {
			lbe_y_err(y, p, "'%s' is not %s", v, want);
			continue;
		}
		(*out)[(*nout)++] = x;
	}
}

static void read_attrs(struct yl *y, const yaml_node_t *n, const char *base,
		       struct lb_bgp_adv_item *it)
{
	char p[PATH_MAX_LEN + 32];
	yaml_node_t *c;
	long long v;

	if (!lbe_y_want_map(y, n, base))
		return;
	at(p, sizeof(p), "%s.communities", base);
	c = lbe_y_get(y, n, "communities");
	if (c && lbe_y_want_map(y, c, p)) {
		read_comms(y, c, "standard", p, standard_community,
			   "a standard community (a:b of 16-bit numbers, or one 32-bit number)",
			   &it->comms, &it->ncomms);
		read_comms(y, c, "wellKnown", p, well_known_community,
			   "a well-known community name (no-export, no-advertise, ...)",
			   &it->comms, &it->ncomms);
		read_comms(y, c, "large", p, large_community,
			   "a large community (a:b:c of 32-bit numbers)",
			   &it->large, &it->nlarge);
	}
	if (lbe_y_get(y, n, "localPreference") &&
	    get_int(y, n, "localPreference", base, 0, 4294967295LL, &v)) {
		it->has_pref = true;
		it->local_pref = (uint32_t)v;
	}
}

static void read_addresses(struct yl *y, const yaml_node_t *svc,
			   const char *base, struct lb_bgp_adv_item *it)
{
	char p[PATH_MAX_LEN + 32];
	yaml_node_t *n;
	size_t i, len;

	if (!lbe_y_want_map(y, svc, base))
		return;
	at(p, sizeof(p), "%s.addresses", base);
	n = lbe_y_get(y, svc, "addresses");
	len = seq_len(y, n, p);
	if (!len)
		lbe_y_err(y, p, "at least one address type is required");
	for (i = 0; i < len; i++) {
		const char *v;

		at(p, sizeof(p), "%s.addresses[%zu]", base, i);
		v = lbe_y_scalar(y, seq_at(y, n, i), p);
		if (v && !strcmp(v, "LoadBalancerIP"))
			it->lb_ip = true;
		else if (v && !strcmp(v, "ClusterIP"))
			it->cluster_ip = true;
		else if (v && !strcmp(v, "ExternalIP"))
			it->external_ip = true;
		else if (v)
			lbe_y_err(y, p, "must be LoadBalancerIP, ClusterIP or ExternalIP, got '%s'",
				  v);
	}
}

static void read_advert(struct yl *y, const yaml_node_t *n, size_t idx,
			struct lb_bgp_spec *s)
{
	struct lb_bgp_adv_item *it = &s->items[s->nitems++];
	char base[PATH_MAX_LEN], p[PATH_MAX_LEN + 32];
	yaml_node_t *x;
	const char *t;

	at(base, sizeof(base), "spec.advertisements[%zu]", idx);
	if (!lbe_y_want_map(y, n, base))
		return;
	at(p, sizeof(p), "%s.advertisementType", base);
	t = lbe_y_get_str(y, n, "advertisementType", p);
	if (t && !strcmp(t, "Service"))
		it->type = LB_BGP_ADV_SERVICE;
	else if (t && !strcmp(t, "PodCIDR"))
		it->type = LB_BGP_ADV_POD_CIDR;
	else if (t && !strcmp(t, "CiliumPodIPPool"))
		it->type = LB_BGP_ADV_POD_IP_POOL;
	else
		lbe_y_err(y, p, "advertisementType must be Service, PodCIDR or CiliumPodIPPool, got '%s'",
			  t ? t : "");
	at(p, sizeof(p), "%s.service", base);
	x = lbe_y_get(y, n, "service");
	if (x)
		read_addresses(y, x, p, it);
	at(p, sizeof(p), "%s.selector", base);
	x = lbe_y_get(y, n, "selector");
	if (x)
		it->sel = lbe_y_read_selector(y, x, p, NULL);
	at(p, sizeof(p), "%s.attributes", base);
	x = lbe_y_get(y, n, "attributes");
	if (x)
		read_attrs(y, x, p, it);
}

static void load_advert(struct yl *y, const yaml_node_t *spec,
			const yaml_node_t *md, struct lb_bgp_spec *s)
{
	yaml_node_t *n = lbe_y_get(y, md, "labels");
	size_t i, len;

	if (n)
		lbe_y_read_strmap(y, n, "metadata.labels", &s->labels);
	n = lbe_y_get(y, spec, "advertisements");
	if (!n)
		lbe_y_err(y, "spec.advertisements", "advertisements is required");
	len = seq_len(y, n, "spec.advertisements");
	s->items = lb_xcalloc(len + 1, sizeof(*s->items));
	for (i = 0; i < len; i++)
		read_advert(y, seq_at(y, n, i), i, s);
}

void lbe_y_load_bgp(struct yl *y, const yaml_node_t *root,
		    const yaml_node_t *md, struct lb_doc *o)
{
	yaml_node_t *spec = lbe_y_get(y, root, "spec");

	if (!spec) {
		if (o->kind != LB_KIND_BGP_PEER) {
			lbe_y_err(y, "spec", "spec is required");
			return;
		}
	} else if (!lbe_y_want_map(y, spec, "spec")) {
		return;
	}
	switch (o->kind) {
	case LB_KIND_BGP_CLUSTER:
		load_cluster(y, spec, &o->bgp);
		break;
	case LB_KIND_BGP_PEER:
		load_peer(y, spec, &o->bgp);
		break;
	case LB_KIND_BGP_ADVERT:
		load_advert(y, spec, md, &o->bgp);
		break;
	default:
		break;
	}
}
