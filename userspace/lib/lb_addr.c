// SPDX-License-Identifier: GPL-2.0
/*
 * The textual forms of services and backends. Strict on purpose: a typo
 * must fail here with a message, not reach the kernel as something else.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "lb_addr.h"

int lb_parse_uint(const char *s, unsigned long min, unsigned long max,
		  unsigned long *v)
{
	unsigned long r = 0;
	const char *p;

	/* Ten digits are enough for any u32; more could only overflow. */
	if (!*s || strlen(s) > 10 || (s[0] == '0' && s[1]))
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		r = r * 10 + (unsigned long)(*p - '0');
	}
	if (r < min || r > max)
		return -1;
	*v = r;
	return 0;
}

static int lb_parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (lb_parse_uint(s, 1, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int lb_parse_cidr(const char *s, struct lb_cidr *c, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	unsigned int i, max;
	uint8_t *b;

	memset(c, 0, sizeof(*c));
	if (hlen >= sizeof(host))
		goto bad_addr;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &c->addr.v4) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, &c->addr.v6) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		goto bad_addr;
	}
	plen = max;
	if (slash && lb_parse_uint(slash + 1, 0, max, &plen)) {
		snprintf(err, errlen, "'%s': prefix length must be 0-%u", s,
			 max);
		return -1;
	}
	c->plen = (uint8_t)plen;
	b = (uint8_t *)&c->addr;
	for (i = c->plen; i < max; i++) {
		if (b[i / 8] & (0x80 >> (i % 8))) {
			snprintf(err, errlen,
				 "'%s': host bits set beyond /%u", s, c->plen);
			return -1;
		}
	}
	return 0;

bad_addr:
	snprintf(err, errlen, "'%s': invalid IP prefix (expected ADDRESS/LEN)",
		 s);
	return -1;
}

int lb_parse_endpoint(const char *s, struct lb_endpoint *ep,
		      char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close) {
			snprintf(err, errlen, "'%s': missing ']' after IPv6 address",
				 s);
			return -1;
		}
		if (close[1] != ':') {
			snprintf(err, errlen,
				 "'%s': missing port (expected [IPV6]:PORT)", s);
			return -1;
		}
		hlen = (size_t)(close - s - 1);
		port = close + 2;
		if (hlen >= sizeof(host))
			goto bad_addr;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &ep->addr.v6) != 1)
			goto bad_addr;
		ep->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			snprintf(err, errlen,
				 "'%s': missing port (expected ADDRESS:PORT)", s);
			return -1;
		}
		hlen = (size_t)(colon - s);
		port = colon + 1;
		if (hlen >= sizeof(host))
			goto bad_addr;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (strchr(host, ':')) {
			snprintf(err, errlen,
				 "'%s': IPv6 addresses are written [ADDRESS]:PORT",
				 s);
			return -1;
		}
		if (inet_pton(AF_INET, host, &ep->addr.v4) != 1)
			goto bad_addr;
		ep->family = AF_INET;
	}
	if (lb_parse_port(port, &ep->port)) {
		snprintf(err, errlen, "'%s': port must be 1-65535, not '%s'", s,
			 port);
		return -1;
	}
	return 0;

bad_addr:
	snprintf(err, errlen, "'%s': invalid IP address '%.*s'", s,
		 (int)(hlen < 64 ? hlen : 64), s[0] == '[' ? s + 1 : s);
	return -1;
}

int lb_parse_service(const char *s, struct lb_service_key *key,
		     char *err, size_t errlen)
{
	char buf[LB_SERVICE_STRLEN + 8];
	const char *slash = strrchr(s, '/');
	size_t n;

	memset(key, 0, sizeof(*key));
	if (!slash) {
		snprintf(err, errlen,
			 "'%s': missing protocol (expected ADDRESS:PORT/PROTO)",
			 s);
		return -1;
	}
	n = (size_t)(slash - s);
	if (n >= sizeof(buf)) {
		snprintf(err, errlen, "'%.64s...': too long for a service", s);
		return -1;
	}
	if (lb_proto_parse(slash + 1, &key->proto)) {
		snprintf(err, errlen,
			 "'%s': unknown protocol '%s' (expected tcp, udp or sctp)",
			 s, slash + 1);
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return lb_parse_endpoint(buf, &key->ep, err, errlen);
}

const char *lb_addr_str(const struct lb_endpoint *ep, char *buf, size_t len)
{
	if (!inet_ntop(ep->family, &ep->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *lb_endpoint_str(const struct lb_endpoint *ep, char *buf,
			    size_t len)
{
	char a[INET6_ADDRSTRLEN];

	lb_addr_str(ep, a, sizeof(a));
	if (ep->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, ep->port);
	else
		snprintf(buf, len, "%s:%u", a, ep->port);
	return buf;
}

const char *lb_cidr_str(const struct lb_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, &c->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, c->plen);
	return buf;
}

const char *lb_service_str(const struct lb_service_key *key, char *buf,
			   size_t len)
{
	char e[LB_SERVICE_STRLEN];

	snprintf(buf, len, "%s/%s", lb_endpoint_str(&key->ep, e, sizeof(e)),
		 lb_proto_name(key->proto));
	return buf;
}
