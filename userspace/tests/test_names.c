// SPDX-License-Identifier: GPL-2.0
/*
 * The names in lib/lb_names.c: every spelling lbctl, lbipamd and
 * manifests use parses to the right value and prints back the same.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/lbipam.h>
#include "lib/lb_names.h"

static int t, failed;

static void ok(int cond, const char *what, const char *arg)
{
	failed += !cond;
	printf("%sok %d - %s '%s'\n", cond ? "" : "not ", ++t, what, arg);
}

static const struct {
	const char *s;
	int kind;		/* -1: refused */
} aliases[] = {
	{ "ippool", LB_KIND_POOL }, { "ippools", LB_KIND_POOL },
	{ "lbippool", LB_KIND_POOL }, { "lbippools", LB_KIND_POOL },
	{ "pool", LB_KIND_POOL }, { "pools", LB_KIND_POOL },
	{ "ciliumloadbalancerippool", LB_KIND_POOL },
	{ "ciliumloadbalancerippools", LB_KIND_POOL },
	{ "ciliumloadbalancerippools.cilium.io", LB_KIND_POOL },
	{ "CiliumLoadBalancerIPPool", LB_KIND_POOL },
	{ "service", LB_KIND_SERVICE }, { "services", LB_KIND_SERVICE },
	{ "svc", LB_KIND_SERVICE }, { "Service", LB_KIND_SERVICE },
	{ "endpointslice", LB_KIND_ENDPOINTSLICE },
	{ "endpointslices", LB_KIND_ENDPOINTSLICE },
	{ "EndpointSlice", LB_KIND_ENDPOINTSLICE },
	{ "l2announcementpolicies", LB_KIND_L2POLICY },
	{ "l2announcementpolicy", LB_KIND_L2POLICY },
	{ "l2announcement", LB_KIND_L2POLICY },
	{ "ciliuml2announcementpolicy", LB_KIND_L2POLICY },
	{ "ciliuml2announcementpolicies", LB_KIND_L2POLICY },
	{ "ciliuml2announcementpolicies.cilium.io", LB_KIND_L2POLICY },
	{ "CiliumL2AnnouncementPolicy", LB_KIND_L2POLICY },
	{ "node", LB_KIND_NODE }, { "nodes", LB_KIND_NODE },
	{ "no", LB_KIND_NODE }, { "Node", LB_KIND_NODE },
	{ "bgpclusterconfigs", LB_KIND_BGP_CLUSTER },
	{ "cbgpcluster", LB_KIND_BGP_CLUSTER },
	{ "ciliumbgpclusterconfig", LB_KIND_BGP_CLUSTER },
	{ "bgppeerconfigs", LB_KIND_BGP_PEER }, { "cbgppeer", LB_KIND_BGP_PEER },
	{ "CiliumBGPPeerConfig", LB_KIND_BGP_PEER },
	{ "bgpadvertisements", LB_KIND_BGP_ADVERT },
	{ "cbgpadvert", LB_KIND_BGP_ADVERT },
	{ "ciliumbgpadvertisements.cilium.io", LB_KIND_BGP_ADVERT },
	{ "bgp", -1 },
	{ "status", -1 }, { "", -1 }, { "svcs", -1 }, { "Pod", -1 },
};

static void kinds(void)
{
	enum lb_kind k;
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		int rc = lb_kind_parse_alias(aliases[i].s, &k);

		ok(aliases[i].kind < 0 ? rc == -EINVAL :
		   !rc && (int)k == aliases[i].kind, "kind alias", aliases[i].s);
	}
	for (k = 0; k < LB_KIND_COUNT; k++) {
		enum lb_kind back = LB_KIND_COUNT;

		ok(!lb_kind_parse(lb_kind_name(k), &back) && back == k,
		   "kind round trip", lb_kind_name(k));
	}
	/* A manifest's kind: field takes the Kind only. */
	ok(lb_kind_parse("svc", &k) == -EINVAL, "manifest kind refuses", "svc");
	ok(lb_kind_parse("service", &k) == -EINVAL, "manifest kind refuses",
	   "service");
	ok(lb_kind_parse(NULL, &k) == -EINVAL, "kind refuses", "(null)");
	ok(lb_kind_namespaced(LB_KIND_SERVICE) &&
	   lb_kind_namespaced(LB_KIND_ENDPOINTSLICE) &&
	   !lb_kind_namespaced(LB_KIND_POOL) &&
	   !lb_kind_namespaced(LB_KIND_L2POLICY) &&
	   !lb_kind_namespaced(LB_KIND_NODE) &&
	   !lb_kind_namespaced(LB_KIND_BGP_CLUSTER) &&
	   !lb_kind_namespaced(LB_KIND_BGP_ADVERT), "namespaced kinds", "all");
	ok(!strcmp(lb_kind_resource(LB_KIND_POOL), "ippools"), "resource",
	   "ippools");
	ok(!strcmp(lb_kind_full_resource(LB_KIND_POOL),
		   "ciliumloadbalancerippools.cilium.io"), "full resource",
	   "ciliumloadbalancerippools.cilium.io");
	ok(!strcmp(lb_kind_name((enum lb_kind)LB_KIND_COUNT), "?"), "unknown kind",
	   "LB_KIND_COUNT");
}

static void protos(void)
{
	uint8_t p = 0;

	ok(!lb_proto_parse("tcp", &p) && p == IPPROTO_TCP, "proto", "tcp");
	ok(!lb_proto_parse("UdP", &p) && p == IPPROTO_UDP, "proto", "UdP");
	ok(!lb_proto_parse("SCTP", &p) && p == IPPROTO_SCTP, "proto", "SCTP");
	ok(lb_proto_parse("icmp", &p) == -EINVAL, "proto refuses", "icmp");
	ok(!lb_proto_parse_k8s("TCP", &p) && p == IPPROTO_TCP, "k8s proto",
	   "TCP");
	ok(!lb_proto_parse_k8s("SCTP", &p) && p == IPPROTO_SCTP, "k8s proto",
	   "SCTP");
	ok(lb_proto_parse_k8s("tcp", &p) == -EINVAL, "k8s proto refuses",
	   "tcp");
	ok(lb_proto_parse_k8s("", &p) == -EINVAL, "k8s proto refuses", "");
	ok(!strcmp(lb_proto_name(IPPROTO_UDP), "udp"), "proto name", "udp");
	ok(!strcmp(lb_proto_k8s_name(IPPROTO_UDP), "UDP"), "k8s proto name",
	   "UDP");
	ok(!strcmp(lb_proto_name(IPPROTO_ICMP), "unknown"), "proto name",
	   "unknown");
}

static void states_scheds(void)
{
	uint8_t v = 9;

	ok(!lb_be_state_parse("active", &v) && v == LBIPAM_BE_ACTIVE,
	   "state", "active");
	ok(!lb_be_state_parse("terminating", &v) &&
	   v == LBIPAM_BE_TERMINATING, "state", "terminating");
	ok(!lb_be_state_parse("maintenance", &v) &&
	   v == LBIPAM_BE_MAINTENANCE, "state", "maintenance");
	ok(lb_be_state_parse("Active", &v) == -EINVAL, "state refuses",
	   "Active");
	ok(!strcmp(lb_be_state_name(LBIPAM_BE_TERMINATING), "terminating"),
	   "state name", "terminating");
	ok(!strcmp(lb_be_state_name(LBIPAM_BE_STATE_MAX + 1), "unknown"),
	   "state name", "unknown");
	ok(!lb_sched_parse("maglev", &v) && v == LBIPAM_SCHED_MAGLEV, "sched",
	   "maglev");
	ok(!lb_sched_parse("random", &v) && v == LBIPAM_SCHED_RANDOM, "sched",
	   "random");
	ok(lb_sched_parse("rr", &v) == -EINVAL, "sched refuses", "rr");
	ok(!strcmp(lb_sched_name(LBIPAM_SCHED_RANDOM), "random"),
	   "sched name", "random");
	ok(!strcmp(lb_sched_name(LBIPAM_SCHED_MAX + 1), "unknown"),
	   "sched name", "unknown");
}

int main(void)
{
	printf("TAP version 13\n");
	kinds();
	protos();
	states_scheds();
	printf("1..%d\n", t);
	return failed ? 1 : 0;
}
