// SPDX-License-Identifier: GPL-2.0
/*
 * The one table of each kind of name, so lbctl, lbipamd and the engine
 * cannot disagree on how a kind, protocol, state or scheduler is spelt.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <linux/lbipam.h>
#include "lb_names.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *kind;
	const char *resource;
	const char *full;
	const char *singular;	/* kubectl's "<resource>.<group>" in messages */
	/* NULL-terminated; what lbctl and the daemon accepted before. */
	const char *aliases[8];
} kinds[LB_KIND_COUNT] = {
	[LB_KIND_POOL] = {
		"CiliumLoadBalancerIPPool", "ippools",
		"ciliumloadbalancerippools.cilium.io",
		"ciliumloadbalancerippool.cilium.io",
		{ "ippool", "lbippool", "lbippools", "pool", "pools",
		  "ciliumloadbalancerippool", "ciliumloadbalancerippools",
		  NULL },
	},
	[LB_KIND_SERVICE] = {
		"Service", "services", "services", "service",
		{ "service", "svc", NULL },
	},
	[LB_KIND_ENDPOINTSLICE] = {
		"EndpointSlice", "endpointslices",
		"endpointslices.discovery.k8s.io",
		"endpointslice.discovery.k8s.io",
		{ "endpointslice", NULL },
	},
	[LB_KIND_L2POLICY] = {
		"CiliumL2AnnouncementPolicy", "l2announcementpolicies",
		"ciliuml2announcementpolicies.cilium.io",
		"ciliuml2announcementpolicy.cilium.io",
		{ "l2announcementpolicy", "l2announcement",
		  "l2announcements", "ciliuml2announcementpolicy",
		  "ciliuml2announcementpolicies", NULL },
	},
	[LB_KIND_NODE] = {
		"Node", "nodes", "nodes", "node",
		{ "node", "no", NULL },
	},
	/* kubectl's names of Cilium's CRDs, short names included. */
	[LB_KIND_BGP_CLUSTER] = {
		"CiliumBGPClusterConfig", "bgpclusterconfigs",
		"ciliumbgpclusterconfigs.cilium.io",
		"ciliumbgpclusterconfig.cilium.io",
		{ "bgpclusterconfig", "ciliumbgpclusterconfig",
		  "ciliumbgpclusterconfigs", "cbgpcluster", NULL },
	},
	[LB_KIND_BGP_PEER] = {
		"CiliumBGPPeerConfig", "bgppeerconfigs",
		"ciliumbgppeerconfigs.cilium.io",
		"ciliumbgppeerconfig.cilium.io",
		{ "bgppeerconfig", "ciliumbgppeerconfig",
		  "ciliumbgppeerconfigs", "cbgppeer", NULL },
	},
	[LB_KIND_BGP_ADVERT] = {
		"CiliumBGPAdvertisement", "bgpadvertisements",
		"ciliumbgpadvertisements.cilium.io",
		"ciliumbgpadvertisement.cilium.io",
		{ "bgpadvertisement", "ciliumbgpadvertisement",
		  "ciliumbgpadvertisements", "cbgpadvert", NULL },
	},
};

const char *lb_kind_name(enum lb_kind k)
{
	return (size_t)k < ARRAY_SIZE(kinds) ? kinds[k].kind : "?";
}

int lb_kind_namespaced(enum lb_kind k)
{
	return k == LB_KIND_SERVICE || k == LB_KIND_ENDPOINTSLICE;
}

const char *lb_kind_resource(enum lb_kind k)
{
	return (size_t)k < ARRAY_SIZE(kinds) ? kinds[k].resource : "?";
}

const char *lb_kind_full_resource(enum lb_kind k)
{
	return (size_t)k < ARRAY_SIZE(kinds) ? kinds[k].full : "?";
}

const char *lb_kind_singular(enum lb_kind k)
{
	return (size_t)k < ARRAY_SIZE(kinds) ? kinds[k].singular : "?";
}

int lb_kind_parse(const char *s, enum lb_kind *k)
{
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(kinds); i++) {
		if (!strcmp(s, kinds[i].kind)) {
			*k = (enum lb_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int kind_has_alias(size_t i, const char *s)
{
	size_t j;

	if (!strcmp(s, kinds[i].kind) || !strcmp(s, kinds[i].resource) ||
	    !strcmp(s, kinds[i].full))
		return 1;
	for (j = 0; kinds[i].aliases[j]; j++)
		if (!strcmp(s, kinds[i].aliases[j]))
			return 1;
	return 0;
}

int lb_kind_parse_alias(const char *s, enum lb_kind *k)
{
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(kinds); i++) {
		if (kind_has_alias(i, s)) {
			*k = (enum lb_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct {
	uint8_t num;
	const char *name;	/* lbctl; parsed in any case */
	const char *k8s;	/* Kubernetes; parsed exactly */
} protos[] = {
	{ IPPROTO_TCP, "tcp", "TCP" },
	{ IPPROTO_UDP, "udp", "UDP" },
	{ IPPROTO_SCTP, "sctp", "SCTP" },
};

static int proto_parse(const char *s, bool k8s, uint8_t *proto)
{
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(protos); i++) {
		if (k8s ? !strcmp(s, protos[i].k8s) :
			  !strcasecmp(s, protos[i].name)) {
			*proto = protos[i].num;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *proto_str(uint8_t proto, bool k8s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].num == proto)
			return k8s ? protos[i].k8s : protos[i].name;
	return "unknown";
}

int lb_proto_parse(const char *s, uint8_t *proto)
{
	return proto_parse(s, false, proto);
}

int lb_proto_parse_k8s(const char *s, uint8_t *proto)
{
	return proto_parse(s, true, proto);
}

const char *lb_proto_name(uint8_t proto)
{
	return proto_str(proto, false);
}

const char *lb_proto_k8s_name(uint8_t proto)
{
	return proto_str(proto, true);
}

static const char *const be_states[] = {
	[LBIPAM_BE_ACTIVE] = "active",
	[LBIPAM_BE_TERMINATING] = "terminating",
	[LBIPAM_BE_MAINTENANCE] = "maintenance",
};

static const char *const scheds[] = {
	[LBIPAM_SCHED_MAGLEV] = "maglev",
	[LBIPAM_SCHED_RANDOM] = "random",
};

/* Every value of the uapi enums has a name here. */
_Static_assert(ARRAY_SIZE(be_states) == LBIPAM_BE_STATE_MAX + 1,
	       "a backend state without a name");
_Static_assert(ARRAY_SIZE(scheds) == LBIPAM_SCHED_MAX + 1,
	       "a scheduler without a name");

static int find(const char *const *v, size_t n, const char *s, uint8_t *out)
{
	size_t i;

	for (i = 0; s && i < n; i++) {
		if (v[i] && !strcmp(s, v[i])) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	return -EINVAL;
}

int lb_be_state_parse(const char *s, uint8_t *state)
{
	return find(be_states, ARRAY_SIZE(be_states), s, state);
}

const char *lb_be_state_name(uint8_t state)
{
	return state < ARRAY_SIZE(be_states) ? be_states[state] : "unknown";
}

int lb_sched_parse(const char *s, uint8_t *sched)
{
	return find(scheds, ARRAY_SIZE(scheds), s, sched);
}

const char *lb_sched_name(uint8_t sched)
{
	return sched < ARRAY_SIZE(scheds) ? scheds[sched] : "unknown";
}
