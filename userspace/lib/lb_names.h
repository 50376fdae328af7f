/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names of things, both ways: object kinds, IP protocols, backend
 * states and schedulers, in every spelling lbctl, lbipamd and YAML use.
 */
#ifndef LB_NAMES_H
#define LB_NAMES_H

#include <stdint.h>

/* The Kubernetes objects lbipamd keeps; the values are stored on disk. */
enum lb_kind {
	LB_KIND_POOL,		/* CiliumLoadBalancerIPPool */
	LB_KIND_SERVICE,
	LB_KIND_ENDPOINTSLICE,
	LB_KIND_L2POLICY,	/* CiliumL2AnnouncementPolicy */
	LB_KIND_NODE,
	LB_KIND_BGP_CLUSTER,	/* CiliumBGPClusterConfig */
	LB_KIND_BGP_PEER,	/* CiliumBGPPeerConfig */
	LB_KIND_BGP_ADVERT,	/* CiliumBGPAdvertisement */
};

#define LB_KIND_COUNT	8

/* "CiliumLoadBalancerIPPool", "Service", "EndpointSlice"; "?" if unknown. */
const char *lb_kind_name(enum lb_kind k);
/* Objects of this kind live in a namespace (Services, EndpointSlices). */
int lb_kind_namespaced(enum lb_kind k);
/* kubectl's plural resource: "ippools", "services", "endpointslices". */
const char *lb_kind_resource(enum lb_kind k);
/* "ciliumloadbalancerippools.cilium.io", "services", "endpointslices...". */
const char *lb_kind_full_resource(enum lb_kind k);
/* kubectl's singular in messages: "endpointslice.discovery.k8s.io". */
const char *lb_kind_singular(enum lb_kind k);
/*
 * The "kind:" field of a manifest: the exact Kind name only, because a
 * document saying "kind: svc" is not a Service.  0 or -EINVAL.
 */
int lb_kind_parse(const char *s, enum lb_kind *k);
/*
 * A resource as typed on a command line: the Kind, the resource names
 * above and their aliases ("svc", "pool", "lbippool", singular or plural).
 * 0 or -EINVAL.
 */
int lb_kind_parse_alias(const char *s, enum lb_kind *k);

/*
 * IP protocols in two spellings from one table: lbctl's ("tcp", read in
 * any case) and Kubernetes' ("TCP", exact, as in a Service's ports).
 * Numbers are IPPROTO_*.  Parsers return 0 or -EINVAL; names of an
 * unknown protocol are "unknown".
 */
int lb_proto_parse(const char *s, uint8_t *proto);
int lb_proto_parse_k8s(const char *s, uint8_t *proto);
const char *lb_proto_name(uint8_t proto);
const char *lb_proto_k8s_name(uint8_t proto);

/* enum lbipam_be_state: "active", "terminating", "maintenance". */
int lb_be_state_parse(const char *s, uint8_t *state);
const char *lb_be_state_name(uint8_t state);

/* enum lbipam_sched: "maglev", "random". */
int lb_sched_parse(const char *s, uint8_t *sched);
const char *lb_sched_name(uint8_t sched);

#endif
