/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hand-built BGP node answer for the BIRD tests, and the bird.conf
 * around a fragment, as a node's would be.
 */
#ifndef LB_BGP_FIXTURE_H
#define LB_BGP_FIXTURE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include "daemon/bgp.h"

struct bgp_fixture {
	struct lb_bgp_node node;
	struct lb_bgp_instance inst[2];
	struct lb_bgp_peer peers[3];
	struct lb_bgp_family fam[2];
	struct lb_bgp_route routes_v4[2], route_v6;
	struct lb_bgp_route *bulk;
};

static const char *const fx_comms[] = { "65000:100", "no-export",
					"bad:community" };
static const char *const fx_large[] = { "65000:1:1" };

static inline void fx_ip(struct lb_ip *ip, const char *s)
{
	ip->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	inet_pton(ip->family, s, &ip->v6);
}

static inline void fx_peer(struct lb_bgp_peer *p, const char *name,
			   const char *addr, uint32_t asn)
{
	p->name = name;
	fx_ip(&p->address, addr);
	p->peer_asn = asn;
	p->peer_port = 179;
	p->connect_retry_s = 120;
	p->hold_s = 90;
	p->keepalive_s = 30;
	p->ebgp_multihop = 1;
	p->restart_time_s = 120;
}

/*
 * Instance instance-65001: peer-v4 (eBGP, v4 routes .10 with attributes
 * and .11 without, or nbulk plain routes from 10.128.0.0) and
 * peer-noasn (its peer config missing); instance instance-v6 on local
 * port 1790: peer-v6 (iBGP on port 1791, one v6 route).
 */
static inline void bgp_fixture_init(struct bgp_fixture *fx, size_t nbulk)
{
	struct lb_bgp_route *r = fx->routes_v4;
	size_t i;

	memset(fx, 0, sizeof(*fx));
	fx_ip(&r[0].ip, "192.0.2.10");
	r[0].plen = 32;
	r[0].ns = "default";
	r[0].name = "svc-a";
	r[0].advertisement = "adv-attrs";
	r[0].local_pref = 200;
	r[0].n_communities = 3;
	r[0].communities = fx_comms;
	r[0].n_large_communities = 1;
	r[0].large_communities = fx_large;
	fx_ip(&r[1].ip, "192.0.2.11");
	r[1].plen = 32;
	r[1].ns = "default";
	r[1].name = "svc-b";
	r[1].advertisement = "adv-plain";
	fx_ip(&fx->route_v6.ip, "2001:db8::10");
	fx->route_v6.plen = 128;
	fx->route_v6.ns = "default";
	fx->route_v6.name = "svc-a";
	fx->route_v6.advertisement = "adv-plain";
	fx->fam[0] = (struct lb_bgp_family){ AF_INET, 2, r };
	if (nbulk) {
		fx->bulk = calloc(nbulk, sizeof(*fx->bulk));
		for (i = 0; fx->bulk && i < nbulk; i++) {
			fx->bulk[i].ip.family = AF_INET;
			fx->bulk[i].ip.v4.s_addr = htonl(0x0a800000u + (uint32_t)i);
			fx->bulk[i].plen = 32;
			fx->bulk[i].ns = "bench";
			fx->bulk[i].name = "svc";
		}
		fx->fam[0] = (struct lb_bgp_family){ AF_INET, nbulk, fx->bulk };
	}
	fx->fam[1] = (struct lb_bgp_family){ AF_INET6, 1, &fx->route_v6 };
	fx_peer(&fx->peers[0], "peer-v4", "10.0.0.2", 65002);
	fx->peers[0].ebgp_multihop = 2;
	fx->peers[0].graceful_restart = true;
	fx->peers[0].n_families = 1;
	fx->peers[0].families = &fx->fam[0];
	fx_peer(&fx->peers[1], "peer-noasn", "10.0.0.3", 0);
	fx->peers[1].peer_config = "missing-pc";
	fx->peers[1].peer_config_missing = true;
	fx_peer(&fx->peers[2], "peer-v6", "2001:db8::2", 65001);
	fx->peers[2].peer_port = 1791;
	fx->peers[2].n_families = 1;
	fx->peers[2].families = &fx->fam[1];
	fx->inst[0] = (struct lb_bgp_instance){ "cc", "instance-65001", 65001,
						0, 2, fx->peers };
	fx->inst[1] = (struct lb_bgp_instance){ "cc", "instance-v6", 65001,
						1790, 1, &fx->peers[2] };
	fx->node = (struct lb_bgp_node){ "node-1", 2, fx->inst };
}

static inline void bgp_fixture_free(struct bgp_fixture *fx)
{
	free(fx->bulk);
	fx->bulk = NULL;
}

/* dir/bird.conf (router id, extra, the include) and dir/lbipam.conf. */
static inline void bgp_fixture_write_conf(const char *dir, const char *id,
					  const char *extra,
					  const char *fragment)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/lbipam.conf", dir);
	f = fopen(path, "w");
	if (f) {
		fputs(fragment, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/bird.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "router id %s;\nprotocol device {}\n%s"
		"include \"%s/lbipam.conf\";\n", id, extra, dir);
	fclose(f);
}

#endif
