/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EndpointSlice objects as the engine keeps them (the ports and
 * addresses a Service's backends are read from).
 */
#ifndef _LB_ENDPOINTS_H
#define _LB_ENDPOINTS_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_ep {
	struct lb_addr addr;
	/* Conditions; unset ready counts as ready, serving follows ready. */
	bool ready, serving, terminating;
	/* The endpoint's first address: the one consumers use. */
	bool primary;
	char *node;		/* nodeName, NULL when unset */
};

struct lb_ep_port {
	char *name;		/* "" when unnamed */
	uint16_t port;
	uint8_t proto;		/* IPPROTO_* */
};

/* The part of an EndpointSlice the data path needs: who backs what. */
struct lb_eps_spec {
	char *service;		/* kubernetes.io/service-name */
	bool fqdn;		/* addressType FQDN: no addresses */
	struct lb_ep *eps;
	size_t neps;
	struct lb_ep_port *ports;
	size_t nports;
};

void lbe_eps_spec_free(struct lb_eps_spec *s);

#endif /* _LB_ENDPOINTS_H */
