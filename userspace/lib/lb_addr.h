/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one reader and writer of IP addresses, prefixes, endpoints and
 * service keys as text, for lbctl, lbipamd and the engine alike.
 */
#ifndef LB_ADDR_H
#define LB_ADDR_H

#include <stdbool.h>
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

/*
 * A bare address of either family, as inet_pton reads it: no zone, no
 * spaces, no leading zeros in IPv4.  @addr gets 4 or 16 bytes in network
 * order and must hold 16.  0 or -EINVAL.
 */
int lb_ip_parse(const char *s, int *family, void *addr);
/* IPv4 sorts before IPv6, then by address. */
int lb_ip_cmp(int fa, const void *a, int fb, const void *b);
const char *lb_ip_str(int family, const void *addr, char *buf, size_t len);

/* What one string of an address list is (Cilium's pool reserved entries). */
enum lb_ip_text {
	LB_IP_TEXT_ADDR,		/* "ADDR" */
	LB_IP_TEXT_CIDR,		/* "ADDR/LEN" */
	LB_IP_TEXT_RANGE,		/* "FIRST-LAST" */
};

/*
 * Which of the three s is; for a range, its two address texts in *first
 * and *last (allocated, unchecked: the caller reads them with
 * lb_ip_parse() and names the bad one), else both NULL.
 */
enum lb_ip_text lb_ip_text_split(const char *s, char **first, char **last);

/* lb_cidr_parse() flags. */
enum {
	/* A bare address is accepted as a /32 or /128 (lbctl, Kubernetes
	 * loadBalancerSourceRanges). */
	LB_CIDR_HOST = 1 << 0,
	/*
	 * Host bits are cleared and *masked set, as Cilium does for pool
	 * blocks and Kubernetes for source ranges; without it they are an
	 * error (lbctl, where they are more likely a typo).
	 */
	LB_CIDR_MASK = 1 << 1,
};

/*
 * "ADDRESS/LEN": LEN decimal without sign or leading zeros, at most 32 or
 * 128.  On failure fills @err (may be NULL) and returns -1.
 */
int lb_cidr_parse(const char *s, unsigned int flags, struct lb_cidr *c,
		  bool *masked, char *err, size_t errlen);

/* "a.b.c.d:PORT" or "[v6]:PORT"; on failure fills @err and returns -1. */
int lb_parse_endpoint(const char *s, struct lb_endpoint *ep,
		      char *err, size_t errlen);
/* "ENDPOINT/PROTO" */
int lb_parse_service(const char *s, struct lb_service_key *key,
		     char *err, size_t errlen);
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
