/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LB_ENDPOINTS_H
#define _LB_ENDPOINTS_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_ep {
	struct lb_addr addr;
	bool ready;
};

struct lb_ep_port {
	char *name;		/* "" when unnamed */
	uint16_t port;
	uint8_t proto;		/* IPPROTO_* */
};

/* The part of an EndpointSlice the data path needs: who backs what. */
struct lb_eps_spec {
	char *service;		/* kubernetes.io/service-name */
	struct lb_ep *eps;
	size_t neps;
	struct lb_ep_port *ports;
	size_t nports;
};

void lb_eps_spec_free(struct lb_eps_spec *s);

#endif /* _LB_ENDPOINTS_H */
