// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's BGP answer for this node rendered into a BIRD 2 fragment
 * that the node's bird.conf includes: only names of its own (lbipam*),
 * so nothing else in the user's configuration is touched.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/bgp.h"
#include "lib/lb_addr.h"
#include "lib/lb_mem.h"

/* Room left in a name for the filters' "_ex4" suffix. */
#define PROTO_MAX	(LBIPAMD_BIRD_NAME_MAX - 4)

static uint32_t fnv1a(uint32_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	/* A separator, so ("ab", "c") and ("a", "bc") differ. */
	h ^= 0xff;
	return h * 16777619u;
}

static void put_sanitized(char *dst, size_t room, const char *s)
{
	size_t n = strlen(dst);

	for (; s && *s && n + 1 < room; s++)
		dst[n++] = isalnum((unsigned char)*s) ? *s : '_';
	dst[n] = '\0';
}

void lbipamd_bgp_proto_name(const struct lb_bgp_instance *in,
			    const struct lb_bgp_peer *p, char *buf,
			    size_t len)
{
	uint32_t h = 2166136261u;
	char base[PROTO_MAX + 1] = "lbipam_";

	h = fnv1a(h, in->cluster_config);
	h = fnv1a(h, in->name);
	h = fnv1a(h, p->name);
	/* 9 characters stay for "_" and the hash. */
	put_sanitized(base, sizeof(base) - 9, in->name);
	put_sanitized(base, sizeof(base) - 9, "_");
	put_sanitized(base, sizeof(base) - 9, p->name);
	snprintf(buf, len, "%s_%08x", base, h);
}

/* ------------------------------------------------------------ helpers */

/* Text from the objects in a comment: printable, no line breaks. */
static void comment_text(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc(isprint((unsigned char)*s) ? *s : '?', f);
}

static bool parse_u32(const char *s, char **end, uint32_t *v)
{
	unsigned long long x;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	x = strtoull(s, end, 10);
	if (errno || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* "A:B:...": n numbers, each at most max; false if anything else. */
static bool parse_colon_list(const char *s, uint32_t *v, size_t n,
			     uint32_t max)
{
	char *end;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!parse_u32(s, &end, &v[i]) || v[i] > max)
			return false;
		if (*end != (i + 1 < n ? ':' : '\0'))
			return false;
		s = end + 1;
	}
	return true;
}

/* Cilium's standard community text: "A:B", a number or a known name. */
static bool parse_community(const char *s, uint32_t v[2])
{
	static const struct {
		const char *name;
		uint32_t low;
	} known[] = {
		{ "no-export", 0xff01 },
		{ "no-advertise", 0xff02 },
		{ "no-export-subconfed", 0xff03 },
		{ "no-peer", 0xff04 },
	};
	uint32_t x;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(s, known[i].name)) {
			v[0] = 0xffff;
			v[1] = known[i].low;
			return true;
		}
	}
	if (parse_colon_list(s, v, 2, 0xffff))
		return true;
	if (!parse_u32(s, &end, &x) || *end)
		return false;
	v[0] = x >> 16;
	v[1] = x & 0xffff;
	return true;
}

static void put_prefix(FILE *f, const struct lb_ip *ip, uint8_t plen)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "%s/%u", lb_ip_str(ip->family, &ip->v6, a, sizeof(a)),
		plen);
}

/* ------------------------------------------------------ static routes */

struct prefix {
	struct lb_ip ip;
	uint8_t plen;
};

static int prefix_cmp(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;
	int c = lb_ip_cmp(x->ip.family, &x->ip.v6, y->ip.family, &y->ip.v6);

	return c ? c : (int)x->plen - (int)y->plen;
}

/* Every prefix of family fam that some peer gets, sorted, once each. */
static struct prefix *all_prefixes(const struct lb_bgp_node *n, int fam,
				   size_t *count)
{
	struct prefix *v = NULL;
	size_t i, j, k, r, cnt = 0, cap = 0, out = 0;

	for (i = 0; i < n->n_instances; i++) {
		const struct lb_bgp_instance *in = &n->instances[i];

		for (j = 0; j < in->n_peers; j++) {
			const struct lb_bgp_peer *p = &in->peers[j];

			for (k = 0; k < p->n_families; k++) {
				const struct lb_bgp_family *fa = &p->families[k];

				for (r = 0; r < fa->n_routes; r++) {
					if (fa->routes[r].ip.family != fam)
						continue;
					if (cnt == cap) {
						cap = cap ? 2 * cap : 64;
						v = lb_xreallocarray(v, cap,
								     sizeof(*v));
					}
					v[cnt].ip = fa->routes[r].ip;
					v[cnt++].plen = fa->routes[r].plen;
				}
			}
		}
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), prefix_cmp);
	for (i = 0; i < cnt; i++)
		if (!out || prefix_cmp(&v[out - 1], &v[i]))
			v[out++] = v[i];
	*count = out;
	return v;
}

static void put_static(FILE *f, const struct lb_bgp_node *n, int fam)
{
	const char *v = fam == AF_INET ? "4" : "6";
	size_t i, cnt;
	struct prefix *p = all_prefixes(n, fam, &cnt);

	fprintf(f, "\n# Every advertised LB IP of the family, as a route that\n"
		"# exists only to be exported.\n"
		"protocol static lbipam_routes%s {\n"
		"\tipv%s { table lbipam%s; import all; export none; };\n",
		v, v, v);
	for (i = 0; i < cnt; i++) {
		fputs("\troute ", f);
		put_prefix(f, &p[i].ip, p[i].plen);
		fputs(" blackhole;\n", f);
	}
	fputs("}\n", f);
	free(p);
}

/* ------------------------------------------------------------ filters */

static bool same_list(size_t na, const char *const *a, size_t nb,
		      const char *const *b)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static bool same_attrs(const struct lb_bgp_route *a,
		       const struct lb_bgp_route *b)
{
	return a->local_pref == b->local_pref &&
	       same_list(a->n_communities, a->communities,
			 b->n_communities, b->communities) &&
	       same_list(a->n_large_communities, a->large_communities,
			 b->n_large_communities, b->large_communities);
}

static void put_attrs(FILE *f, const struct lb_bgp_route *r)
{
	uint32_t v[3];
	size_t i;

	if (r->local_pref)
		fprintf(f, "\t\tbgp_local_pref = %u;\n", r->local_pref);
	for (i = 0; i < r->n_communities; i++) {
		if (parse_community(r->communities[i], v)) {
			fprintf(f, "\t\tbgp_community.add((%u, %u));\n", v[0],
				v[1]);
			continue;
		}
		fputs("\t\t# not a community, left out: ", f);
		comment_text(f, r->communities[i]);
		fputc('\n', f);
	}
	for (i = 0; i < r->n_large_communities; i++) {
		if (parse_colon_list(r->large_communities[i], v, 3,
				     UINT32_MAX)) {
			fprintf(f, "\t\tbgp_large_community.add((%u, %u, %u));\n",
				v[0], v[1], v[2]);
			continue;
		}
		fputs("\t\t# not a large community, left out: ", f);
		comment_text(f, r->large_communities[i]);
		fputc('\n', f);
	}
}

/*
 * One "if net ~ [ ... ]" per set of attributes, in the order the routes
 * first use it; a prefix set is a trie in BIRD, so 10k routes stay cheap.
 */
static void put_filter_body(FILE *f, const struct lb_bgp_family *fa)
{
	bool *done = lb_xcalloc(fa->n_routes + 1, sizeof(*done));
	size_t i, j;

	for (i = 0; i < fa->n_routes; i++) {
		const struct lb_bgp_route *g = &fa->routes[i];
		const char *sep = "";

		if (done[i] || g->ip.family != fa->family)
			continue;
		fputs("\tif net ~ [", f);
		for (j = i; j < fa->n_routes; j++) {
			if (done[j] || fa->routes[j].ip.family != fa->family ||
			    !same_attrs(g, &fa->routes[j]))
				continue;
			done[j] = true;
			fprintf(f, "%s\n\t\t", sep);
			put_prefix(f, &fa->routes[j].ip, fa->routes[j].plen);
			sep = ",";
		}
		fputs("\n\t] then {\n", f);
		put_attrs(f, g);
		fputs("\t\taccept;\n\t}\n", f);
	}
	free(done);
}

static const struct lb_bgp_family *find_family(const struct lb_bgp_peer *p,
					       int fam)
{
	size_t i;

	for (i = 0; i < p->n_families; i++)
		if (p->families[i].family == fam)
			return &p->families[i];
	return NULL;
}

static void put_filter(FILE *f, const char *proto,
		       const struct lb_bgp_peer *p, int fam)
{
	const struct lb_bgp_family *fa = find_family(p, fam);

	fprintf(f, "\nfilter %s_ex%c {\n", proto, fam == AF_INET ? '4' : '6');
	if (fa)
		put_filter_body(f, fa);
	fputs("\treject;\n}\n", f);
}

/* -------------------------------------------------------------- peers */

bool lbipamd_bgp_has_channel(const struct lb_bgp_peer *p, int fam)
{
	if (!p->n_families || p->peer_config_missing)
		return p->address.family == fam;
	/* BIRD has no IPv6 next hop to give over an IPv4 session. */
	if (fam == AF_INET6 && p->address.family == AF_INET)
		return false;
	return find_family(p, fam) != NULL;
}

static void put_neighbor(FILE *f, const struct lb_bgp_instance *in,
			 const struct lb_bgp_peer *p)
{
	char a[INET6_ADDRSTRLEN];

	if (in->local_port)
		fprintf(f, "\tlocal port %u as %u;\n", in->local_port,
			in->local_asn);
	else
		fprintf(f, "\tlocal as %u;\n", in->local_asn);
	fprintf(f, "\tneighbor %s", lb_ip_str(p->address.family,
					      &p->address.v6, a, sizeof(a)));
	if (p->peer_port && p->peer_port != 179)
		fprintf(f, " port %u", p->peer_port);
	/* Without a peer ASN BIRD takes any but its own: an eBGP peer. */
	if (p->peer_asn)
		fprintf(f, " as %u;\n", p->peer_asn);
	else
		fputs(" external;\n", f);
	if (p->peer_asn != in->local_asn && p->ebgp_multihop > 1)
		fprintf(f, "\tmultihop %u;\n", p->ebgp_multihop);
}

static void put_timers(FILE *f, const struct lb_bgp_peer *p)
{
	if (p->hold_s)
		fprintf(f, "\thold time %u;\n", p->hold_s);
	if (p->keepalive_s)
		fprintf(f, "\tkeepalive time %u;\n", p->keepalive_s);
	if (p->connect_retry_s)
		fprintf(f, "\tconnect retry time %u;\n", p->connect_retry_s);
	if (p->graceful_restart)
		fprintf(f, "\tgraceful restart on;\n"
			"\tgraceful restart time %u;\n", p->restart_time_s);
}

static void put_peer(FILE *f, const struct lb_bgp_instance *in,
		     const struct lb_bgp_peer *p)
{
	char proto[LBIPAMD_BIRD_NAME_MAX + 1];
	int fams[2] = { AF_INET, AF_INET6 }, k;

	lbipamd_bgp_proto_name(in, p, proto, sizeof(proto));
	for (k = 0; k < 2; k++)
		if (lbipamd_bgp_has_channel(p, fams[k]))
			put_filter(f, proto, p, fams[k]);
	fprintf(f, "\n# instance ");
	comment_text(f, in->name);
	fprintf(f, " (CiliumBGPClusterConfig ");
	comment_text(f, in->cluster_config);
	fprintf(f, "), peer ");
	comment_text(f, p->name);
	if (p->peer_config_missing) {
		fprintf(f, ": its CiliumBGPPeerConfig ");
		comment_text(f, p->peer_config);
		fprintf(f, " is missing, nothing advertised");
	} else if (p->address.family == AF_INET && find_family(p, AF_INET6)) {
		fprintf(f, ": no ipv6 family over this IPv4 session (no IPv6 next hop)");
	}
	fprintf(f, "\nprotocol bgp %s {\n", proto);
	put_neighbor(f, in, p);
	put_timers(f, p);
	for (k = 0; k < 2; k++) {
		char v = fams[k] == AF_INET ? '4' : '6';

		if (!lbipamd_bgp_has_channel(p, fams[k]))
			continue;
		fprintf(f, "\tipv%c {\n\t\ttable lbipam%c;\n\t\timport none;\n"
			"\t\texport filter %s_ex%c;\n\t\tnext hop self;\n",
			v, v, proto, v);
		/* IPv4 over an IPv6 session: RFC 8950's IPv6 next hop. */
		if (fams[k] == AF_INET && p->address.family == AF_INET6)
			fputs("\t\textended next hop on;\n", f);
		fputs("\t};\n", f);
	}
	fputs("}\n", f);
}

char *lbipamd_bgp_render(const struct lb_bgp_node *n)
{
	char *buf = NULL;
	size_t len = 0, i, j;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		lb_oom("BIRD configuration");
	fputs("# Written by lbipamd for node ", f);
	comment_text(f, n->node);
	fputs(" from the CiliumBGP* objects; rewritten on\n"
	      "# every change, do not edit.  Only lbipam* names are defined.\n"
	      "ipv4 table lbipam4;\nipv6 table lbipam6;\n", f);
	put_static(f, n, AF_INET);
	put_static(f, n, AF_INET6);
	for (i = 0; i < n->n_instances; i++)
		for (j = 0; j < n->instances[i].n_peers; j++)
			put_peer(f, &n->instances[i], &n->instances[i].peers[j]);
	if (fclose(f) || !buf)
		lb_oom("BIRD configuration");
	return buf;
}
