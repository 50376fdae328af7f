// SPDX-License-Identifier: GPL-2.0
/*
 * The BIRD fragment renderer on hand-built node answers: the text it
 * writes, the protocol names, and BIRD itself (bird -p) accepting it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/bgp.h"
#include "tap.h"
#include "bgp_fixture.h"

static bool has(const char *text, const char *want)
{
	bool r = strstr(text, want) != NULL;

	if (!r)
		printf("#   missing: %s\n", want);
	return r;
}

/* bird -p on a bird.conf that includes the fragment; 0 when accepted. */
static int bird_parses(const char *text)
{
	char dir[] = "/tmp/lbipam-bgp-XXXXXX", cmd[600];
	int rc;

	if (!mkdtemp(dir))
		return -1;
	bgp_fixture_write_conf(dir, "10.0.0.1", "", text);
	snprintf(cmd, sizeof(cmd),
		 "bird -p -c %s/bird.conf >%s/out 2>&1 || { cat %s/out; exit 1; }",
		 dir, dir, dir);
	rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# cannot remove %s\n", dir);
	return rc;
}

static void test_names(void)
{
	struct bgp_fixture fx;
	char a[80], b[80], c[80];

	bgp_fixture_init(&fx, 0);
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[0], a, sizeof(a));
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[1], b, sizeof(b));
	ok(!strncmp(a, "lbipam_instance_65001_peer_v4_", 30) &&
	   strlen(a) == 30 + 8, "name from instance and peer, '-' as '_', a hash: %s", a);
	ok(strcmp(a, b), "two peers, two names");
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[0], c, sizeof(c));
	is_str(c, a, "the same peer, the same name");
	/* "a-b"/"c" and "a"/"b-c" sanitize alike; the hash keeps them apart. */
	fx.inst[0].name = "a-b";
	fx.peers[0].name = "c";
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[0], a, sizeof(a));
	fx.inst[0].name = "a";
	fx.peers[0].name = "b-c";
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[0], b, sizeof(b));
	ok(strcmp(a, b), "names that sanitize alike differ: %s %s", a, b);
	fx.inst[0].name = "x.very-long-instance-name-that-goes-on-and-on-and-on";
	fx.peers[0].name = "and-a-peer-name-that-is-long-too";
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[0], a, sizeof(a));
	ok(strlen(a) <= LBIPAMD_BIRD_NAME_MAX - 4,
	   "long names are cut so filters fit BIRD's 64: %zu", strlen(a));
	bgp_fixture_free(&fx);
}

static void test_text(void)
{
	struct bgp_fixture fx;
	char *t, p0[80], p1[80], want[600];

	bgp_fixture_init(&fx, 0);
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[0], p0, sizeof(p0));
	lbipamd_bgp_proto_name(&fx.inst[1], &fx.peers[2], p1, sizeof(p1));
	t = lbipamd_bgp_render(&fx.node);
	ok(has(t, "ipv4 table lbipam4;\nipv6 table lbipam6;\n"),
	   "its own tables");
	ok(has(t, "protocol static lbipam_routes4 {\n\tipv4 { table lbipam4; import all; export none; };\n"
	       "\troute 192.0.2.10/32 blackhole;\n\troute 192.0.2.11/32 blackhole;\n}\n"),
	   "v4 static: each prefix once, sorted");
	ok(has(t, "\troute 2001:db8::10/128 blackhole;\n}\n"), "v6 static");
	snprintf(want, sizeof(want), "protocol bgp %s {\n\tlocal as 65001;\n"
		 "\tneighbor 10.0.0.2 as 65002;\n\tmultihop 2;\n\thold time 90;\n"
		 "\tkeepalive time 30;\n\tconnect retry time 120;\n"
		 "\tgraceful restart on;\n\tgraceful restart time 120;\n", p0);
	ok(has(t, want), "eBGP peer: AS, multihop, timers, graceful restart");
	snprintf(want, sizeof(want), "\tipv4 {\n\t\ttable lbipam4;\n\t\timport none;\n"
		 "\t\texport filter %s_ex4;\n\t\tnext hop self;\n\t};\n}\n", p0);
	ok(has(t, want), "its v4 channel: own table, import none, filter, next hop self");
	snprintf(want, sizeof(want), "filter %s_ex4 {\n\tif net ~ [\n\t\t192.0.2.10/32\n"
		 "\t] then {\n\t\tbgp_local_pref = 200;\n"
		 "\t\tbgp_community.add((65000, 100));\n"
		 "\t\tbgp_community.add((65535, 65281));\n"
		 "\t\t# not a community, left out: bad:community\n"
		 "\t\tbgp_large_community.add((65000, 1, 1));\n"
		 "\t\taccept;\n\t}\n\tif net ~ [\n\t\t192.0.2.11/32\n"
		 "\t] then {\n\t\taccept;\n\t}\n\treject;\n}\n", p0);
	ok(has(t, want), "the peer's filter: its routes by attribute set, then reject");
	ok(has(t, "# not a community, left out: bad:community"),
	   "a community BIRD cannot take is left out, said in a comment");
	snprintf(want, sizeof(want), "protocol bgp %s {\n\tlocal port 1790 as 65001;\n"
		 "\tneighbor 2001:db8::2 port 1791 as 65001;\n", p1);
	ok(has(t, want), "iBGP v6 peer: ports, same AS, no multihop line");
	snprintf(want, sizeof(want), "filter %s_ex6 {\n\tif net ~ [\n\t\t2001:db8::10/128\n", p1);
	ok(has(t, want), "its v6 filter");
	snprintf(want, sizeof(want), "filter %s_ex4 {\n", p1);
	ok(!strstr(t, want), "no v4 channel for a peer with only ipv6");
	ok(has(t, "neighbor 10.0.0.3 external;\n"), "peer without ASN: external");
	ok(has(t, "is missing, nothing advertised"), "missing peer config said");
	ok(!bird_parses(t), "BIRD accepts the fragment");
	free(t);
	bgp_fixture_free(&fx);
}

/* Both families on each peer: what crosses sessions of the other family. */
static void test_cross_family(void)
{
	struct bgp_fixture fx;
	char *t, p0[80], p1[80], want[200];

	bgp_fixture_init(&fx, 0);
	fx.peers[0].n_families = 2;
	fx.peers[0].families = fx.fam;
	fx.peers[2].n_families = 2;
	fx.peers[2].families = fx.fam;
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[0], p0, sizeof(p0));
	lbipamd_bgp_proto_name(&fx.inst[1], &fx.peers[2], p1, sizeof(p1));
	t = lbipamd_bgp_render(&fx.node);
	snprintf(want, sizeof(want), "filter %s_ex6", p0);
	ok(!strstr(t, want) && has(t, "no ipv6 family over this IPv4 session"),
	   "no IPv6 channel on an IPv4 session, said in a comment");
	snprintf(want, sizeof(want), "\t\texport filter %s_ex4;\n\t\tnext hop self;\n"
		 "\t\textended next hop on;\n", p1);
	ok(has(t, want), "IPv4 over an IPv6 session: extended next hop");
	ok(!bird_parses(t), "BIRD accepts it");
	free(t);
	bgp_fixture_free(&fx);
}

static void test_empty_and_large(void)
{
	struct bgp_fixture fx;
	struct lb_bgp_node none = { .node = "n1" };
	char *t = lbipamd_bgp_render(&none);

	ok(has(t, "protocol static lbipam_routes4 {") &&
	   !strstr(t, "protocol bgp"), "no instance: tables and statics only");
	ok(!bird_parses(t), "BIRD accepts the empty fragment");
	free(t);
	bgp_fixture_init(&fx, 10000);
	t = lbipamd_bgp_render(&fx.node);
	ok(has(t, "\t\t10.128.39.15/32\n\t] then"), "10k routes in one prefix set");
	ok(!bird_parses(t), "BIRD accepts 10k routes");
	free(t);
	bgp_fixture_free(&fx);
}

int main(void)
{
	test_names();
	test_text();
	test_cross_family();
	test_empty_and_large();
	return lb_tap_done();
}
