/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CiliumBGPClusterConfig, CiliumBGPPeerConfig and CiliumBGPAdvertisement
 * as the engine keeps them: specs with Cilium's defaults filled in.
 */
#ifndef _LB_BGP_INT_H
#define _LB_BGP_INT_H

#include "l2policy.h"
#include "lb_engine.h"
#include "selector.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_bgp_peer_spec {
	char *name;
	struct lb_ip addr;
	uint32_t asn;			/* 0: learnt from the peer's OPEN */
	char *config_ref;		/* NULL: Cilium's default peer config */
};

struct lb_bgp_inst_spec {
	char *name;
	uint32_t asn;
	uint16_t port;			/* 0: not set */
	struct lb_bgp_peer_spec *peers;
	size_t npeers;
};

struct lb_bgp_fam_spec {
	int family;			/* AF_INET or AF_INET6 (unicast) */
	/* Picks advertisements by their labels; NULL (absent): none. */
	struct lb_selector *adverts;
};

enum lb_bgp_adv_type {
	LB_BGP_ADV_SERVICE,
	/* Accepted as Cilium's schema does; nothing here has pod CIDRs. */
	LB_BGP_ADV_POD_CIDR,
	LB_BGP_ADV_POD_IP_POOL,
};

struct lb_bgp_adv_item {
	enum lb_bgp_adv_type type;
	/* service.addresses; only LoadBalancerIP yields routes here. */
	bool lb_ip, cluster_ip, external_ip;
	/* Services by label; NULL (absent) selects none, as in Cilium v2. */
	struct lb_selector *sel;
	char **comms;			/* standard and well-known, "a:b" */
	size_t ncomms;
	char **large;			/* "a:b:c" */
	size_t nlarge;
	bool has_pref;
	uint32_t local_pref;
};

/* The parsed spec of one BGP object; only its kind's part is set. */
struct lb_bgp_spec {
	/* CiliumBGPClusterConfig */
	struct lb_selector *node_sel;	/* NULL: every node */
	struct lb_bgp_inst_spec *insts;
	size_t ninsts;
	/* CiliumBGPPeerConfig, defaults applied */
	uint16_t peer_port;
	uint32_t connect_retry, hold, keepalive, restart;
	uint8_t multihop;
	bool gr;
	struct lb_bgp_fam_spec *fams;
	size_t nfams;
	/* CiliumBGPAdvertisement */
	struct lb_labels labels;	/* metadata.labels */
	struct lb_bgp_adv_item *items;
	size_t nitems;
};

struct lb_bgp_obj {
	struct lb_named o;
	struct lb_bgp_spec spec;
};

#define LB_BGP_COND_MISSING_PEER_CONFIGS	"cilium.io/MissingPeerConfigs"

/* Cilium's CiliumBGPPeerConfig defaults (SetDefaults in its API). */
#define LB_BGP_PEER_PORT	179
#define LB_BGP_CONNECT_RETRY	120
#define LB_BGP_HOLD		90
#define LB_BGP_KEEPALIVE	30
#define LB_BGP_RESTART		120
#define LB_BGP_MULTIHOP		1

/* A peer config with every default: both families, no advertisement. */
void lbe_bgp_spec_defaults(struct lb_bgp_spec *s);
/* No families given: ipv4 and ipv6 unicast, neither advertising. */
void lbe_bgp_default_families(struct lb_bgp_spec *s);
void lbe_bgp_spec_free(struct lb_bgp_spec *s);
bool lbe_bgp_kind(enum lb_kind k);

struct lb_engine;
struct lb_doc;
/* The name-ordered set of one of the three kinds. */
struct lb_named_set *lbe_bgp_set(struct lb_engine *e, enum lb_kind k);
/* Moves o's spec into a new or replaced object; false if unchanged. */
bool lbe_bgp_upsert(struct lb_engine *e, struct lb_doc *o, int64_t created,
		    uint64_t generation);
int lbe_bgp_remove(struct lb_engine *e, enum lb_kind k, const char *key);
void lbe_bgp_free_all(struct lb_engine *e);
struct yl;
struct yaml_node_s;
/* yaml_bgp.c: the spec of a document of one of the three kinds. */
void lbe_y_load_bgp(struct yl *y, const struct yaml_node_s *root,
		    const struct yaml_node_s *md, struct lb_doc *o);
/* A ClusterConfig's one condition; *msg (the message) for the caller to free. */
void lbe_bgp_cluster_conditions(struct lb_engine *e,
				const struct lb_bgp_obj *b,
				struct lb_condition *c, char **msg);
/* Conditions of every ClusterConfig, for lbe_status_sync(). */
void lbe_bgp_status_sync(struct lb_engine *e);

#endif /* _LB_BGP_INT_H */
