// SPDX-License-Identifier: GPL-2.0
/*
 * IP addresses, prefixes, endpoints and service keys to and from text.
 * Strict on purpose: a typo must fail here, not reach the kernel.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "lb_addr.h"
#include "lb_mem.h"

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

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (lb_parse_uint(s, 1, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

enum lb_ip_text lb_ip_text_split(const char *s, char **first, char **last)
{
	const char *dash = strchr(s, '-');

	*first = *last = NULL;
	if (strchr(s, '/'))
		return LB_IP_TEXT_CIDR;
	if (!dash)
		return LB_IP_TEXT_ADDR;
	*first = lb_xstrndup(s, dash - s);
	*last = lb_xstrdup(dash + 1);
	return LB_IP_TEXT_RANGE;
}

int lb_ip_parse(const char *s, int *family, void *addr)
{
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int lb_ip_cmp(int fa, const void *a, int fb, const void *b)
{
	if (fa != fb)
		return fa == AF_INET ? -1 : 1;
	return memcmp(a, b, fa == AF_INET ? 4 : 16);
}

const char *lb_ip_str(int family, const void *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Clears the bits after @plen; true if any was set. */
static bool mask_host_bits(uint8_t *b, unsigned int plen, unsigned int max)
{
	bool set = false;
	unsigned int i;

	for (i = plen; i < max; i++) {
		set |= !!(b[i / 8] & (0x80 >> (i % 8)));
		b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	}
	return set;
}

int lb_cidr_parse(const char *s, unsigned int flags, struct lb_cidr *c,
		  bool *masked, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	struct lb_cidr orig;
	unsigned long plen;
	unsigned int max;

	memset(c, 0, sizeof(*c));
	if (masked)
		*masked = false;
	if (!slash && !(flags & LB_CIDR_HOST))
		goto bad_addr;
	if (hlen >= sizeof(host))
		goto bad_addr;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (lb_ip_parse(host, &c->family, &c->addr))
		goto bad_addr;
	max = c->family == AF_INET ? 32 : 128;
	plen = max;
	if (slash && lb_parse_uint(slash + 1, 0, max, &plen)) {
		if (err)
			snprintf(err, errlen, "'%s': prefix length must be 0-%u",
				 s, max);
		return -1;
	}
	c->plen = (uint8_t)plen;
	orig = *c;
	if (mask_host_bits((uint8_t *)&c->addr, c->plen, max)) {
		if (!(flags & LB_CIDR_MASK)) {
			*c = orig;
			if (err)
				snprintf(err, errlen,
					 "'%s': host bits set beyond /%u", s,
					 c->plen);
			return -1;
		}
		if (masked)
			*masked = true;
	}
	return 0;

bad_addr:
	if (err)
		snprintf(err, errlen,
			 "'%s': invalid IP prefix (expected ADDRESS/LEN)", s);
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
		if (lb_ip_parse(host, &ep->family, &ep->addr) ||
		    ep->family != AF_INET6)
			goto bad_addr;
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
		if (lb_ip_parse(host, &ep->family, &ep->addr))
			goto bad_addr;
	}
	if (parse_port(port, &ep->port)) {
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
	return lb_ip_str(ep->family, &ep->addr, buf, len);
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

	snprintf(buf, len, "%s/%u", lb_ip_str(c->family, &c->addr, a, sizeof(a)),
		 c->plen);
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
