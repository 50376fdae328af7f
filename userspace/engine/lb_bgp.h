/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BGP: what this node advertises, from Cilium's BGP Control Plane v2
 * objects.  The engine keeps CiliumBGPClusterConfig, CiliumBGPPeerConfig
 * and CiliumBGPAdvertisement (cilium.io/v2 and v2alpha1, cluster scoped)
 * like its other kinds and answers, for one node, the BGP instances it
 * runs, their peers and, per peer and address family, the routes to
 * advertise.  It never speaks BGP: the daemon renders this answer into a
 * BIRD configuration (daemon/bgp.c) and BIRD speaks to the peers.
 *
 * Semantics of Cilium's pkg/bgpv1 (the v2 "BGP Control Plane"):
 * - a ClusterConfig selects nodes by nodeSelector (none: every node);
 *   each of its bgpInstances becomes one instance on each selected node;
 * - a peer without peerConfigRef gets Cilium's default peer config
 *   (ipv4 and ipv6 unicast, no advertisements, default timers); a
 *   peerConfigRef naming no stored PeerConfig advertises nothing to that
 *   peer until one is applied (Cilium's MissingPeerConfigs condition);
 * - a family's advertisements selector picks CiliumBGPAdvertisement
 *   objects by their labels; of those, each advertisement of type
 *   Service with LoadBalancerIP in service.addresses advertises the
 *   LB IPs (/32, /128, of the family) of the Services its selector
 *   matches, whose loadBalancerClass is unset or
 *   io.cilium/bgp-control-plane;
 * - an externalTrafficPolicy: Local Service is advertised only by a node
 *   with a ready endpoint (EndpointSlice endpoints[].nodeName).
 */
#ifndef _LB_BGP_H
#define _LB_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One advertised prefix and where it comes from. */
struct lb_bgp_route {
	struct lb_ip ip;		/* the LB IP */
	uint8_t plen;			/* 32 or 128 */
	const char *ns;			/* the Service */
	const char *name;
	const char *advertisement;	/* the CiliumBGPAdvertisement */
	uint32_t local_pref;		/* 0: not set */
	size_t n_communities;		/* standard, "65000:100" text */
	const char *const *communities;
	size_t n_large_communities;	/* "65000:1:1" text */
	const char *const *large_communities;
};

/* A family of a peer (families[]): AF_INET or AF_INET6, unicast. */
struct lb_bgp_family {
	int family;
	size_t n_routes;		/* address, then Service order */
	const struct lb_bgp_route *routes;
};

struct lb_bgp_peer {
	const char *name;
	struct lb_ip address;		/* peerAddress */
	uint32_t peer_asn;		/* 0: not given, BIRD learns it */
	const char *peer_config;	/* peerConfigRef.name, NULL: default */
	bool peer_config_missing;	/* named but not stored */
	uint16_t peer_port;		/* transport.peerPort, 179 */
	uint32_t connect_retry_s;	/* timers, Cilium's defaults: 120 */
	uint32_t hold_s;		/* 90 */
	uint32_t keepalive_s;		/* 30 */
	uint8_t ebgp_multihop;		/* 1 */
	bool graceful_restart;
	uint32_t restart_time_s;	/* 120 */
	size_t n_families;
	const struct lb_bgp_family *families;
};

struct lb_bgp_instance {
	const char *cluster_config;	/* the CiliumBGPClusterConfig */
	const char *name;		/* bgpInstances[].name */
	uint32_t local_asn;
	uint16_t local_port;		/* 0: not set */
	size_t n_peers;
	const struct lb_bgp_peer *peers;
};

/* What a node runs: instances in (cluster config, name) order. */
struct lb_bgp_node {
	const char *node;
	size_t n_instances;
	const struct lb_bgp_instance *instances;
};

/*
 * The node asking: its name and labels are those of lb_l2_self (the
 * command line's labels, a stored Node object's on top).
 */
typedef int (*lb_bgp_node_cb)(const struct lb_bgp_node *n, void *arg);
/* Calls cb once; valid only during the call. */
int lbe_bgp_node(struct lb_engine *e, const struct lb_l2_self *self,
		 lb_bgp_node_cb cb, void *arg);

/*
 * A BGP object, a Service, an EndpointSlice or a Node changed since the
 * last lbe_changed_clear() in a way that can change some node's BGP
 * answer; the daemon then asks lbe_bgp_node() again.
 */
bool lbe_bgp_changed(const struct lb_engine *e);

/* For get/describe of the three kinds; conditions as Cilium sets them. */
struct lb_bgp_object_info {
	enum lb_kind kind;
	const char *name;
	int64_t created;
	uint64_t generation;
	uint64_t resource_version;
	const char *summary;		/* one line for `get`'s table */
	size_t n_conditions;
	const struct lb_condition *conditions;
};

typedef int (*lb_bgp_object_cb)(const struct lb_bgp_object_info *o,
				void *arg);
/* Objects of one of the three kinds in name order. */
int lbe_foreach_bgp_object(struct lb_engine *e, enum lb_kind kind,
			   lb_bgp_object_cb cb, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* _LB_BGP_H */
