/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LB_ADDR_H
#define LB_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "lb_names.h"

/* An address and port as written on lbctl's command line. */
struct lb_endpoint {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint16_t port;			/* host byte order */
};

struct lb_service_key {
	struct lb_endpoint ep;
	uint8_t proto;			/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
};

/* A prefix, as in a service's source ranges. */
struct lb_cidr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint8_t plen;
};

/* "a.b.c.d:PORT" or "[v6]:PORT"; on failure fills @err and returns -1. */
int lb_parse_endpoint(const char *s, struct lb_endpoint *ep,
		      char *err, size_t errlen);
/* "ENDPOINT/PROTO" */
int lb_parse_service(const char *s, struct lb_service_key *key,
		     char *err, size_t errlen);
/* "ADDRESS/LEN" (a bare address is a host route); host bits must be 0. */
int lb_parse_cidr(const char *s, struct lb_cidr *c, char *err, size_t errlen);
/* Decimal only, no sign, no spaces; in [min, max]. */
int lb_parse_uint(const char *s, unsigned long min, unsigned long max,
		  unsigned long *v);

/* Size enough for "[v6]:65535/sctp". */
#define LB_SERVICE_STRLEN	(INET6_ADDRSTRLEN + 16)

const char *lb_addr_str(const struct lb_endpoint *ep, char *buf, size_t len);
const char *lb_endpoint_str(const struct lb_endpoint *ep, char *buf,
			    size_t len);
const char *lb_cidr_str(const struct lb_cidr *c, char *buf, size_t len);
const char *lb_service_str(const struct lb_service_key *key, char *buf,
			   size_t len);

#endif
