// SPDX-License-Identifier: GPL-2.0
/*
 * The address, prefix, port and protocol syntax of lib/lb_addr.c,
 * accepted and refused, in lbctl's and in Kubernetes' dialect.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/lb_addr.h"

struct svc_case {
	const char *in;
	const char *canon;	/* NULL: must be refused */
	const char *why;	/* for refusals: what the message must mention */
};

static const struct svc_case svc_cases[] = {
	{ "203.0.113.10:80/tcp", "203.0.113.10:80/tcp", NULL },
	{ "203.0.113.10:53/udp", "203.0.113.10:53/udp", NULL },
	{ "203.0.113.10:80/TCP", "203.0.113.10:80/tcp", NULL },
	{ "203.0.113.10:1/sctp", "203.0.113.10:1/sctp", NULL },
	{ "1.2.3.4:65535/tcp", "1.2.3.4:65535/tcp", NULL },
	{ "[2001:db8::1]:80/tcp", "[2001:db8::1]:80/tcp", NULL },
	{ "[2001:DB8:0::1]:443/udp", "[2001:db8::1]:443/udp", NULL },
	{ "[::ffff:1.2.3.4]:80/tcp", "[::ffff:1.2.3.4]:80/tcp", NULL },
	{ "300.1.1.1:80/tcp", NULL, "invalid IP address" },
	{ "1.2.3:80/tcp", NULL, "invalid IP address" },
	{ "01.2.3.4:80/tcp", NULL, "invalid IP address" },
	{ "1.2.3.4/tcp", NULL, "missing port" },
	{ "1.2.3.4:80", NULL, "missing protocol" },
	{ "1.2.3.4:80/", NULL, "unknown protocol" },
	{ "1.2.3.4:80/icmp", NULL, "unknown protocol 'icmp'" },
	{ "1.2.3.4:0/tcp", NULL, "port must be 1-65535" },
	{ "1.2.3.4:65536/tcp", NULL, "port must be 1-65535" },
	{ "1.2.3.4:-1/tcp", NULL, "port must be 1-65535" },
	{ "1.2.3.4:+80/tcp", NULL, "port must be 1-65535" },
	{ "1.2.3.4:0x50/tcp", NULL, "port must be 1-65535" },
	{ "1.2.3.4: 80/tcp", NULL, "port must be 1-65535" },
	{ "1.2.3.4:/tcp", NULL, "port must be 1-65535" },
	{ "1.2.3.4:000080/tcp", NULL, "port must be 1-65535" },
	{ "[::1:80/tcp", NULL, "missing ']'" },
	{ "[::1]80/tcp", NULL, "missing port" },
	{ "[1.2.3.4]:80/tcp", NULL, "invalid IP address" },
	{ "2001:db8::1:80/tcp", NULL, "written [ADDRESS]:PORT" },
	{ "abc", NULL, "missing protocol" },
	{ "abc:80/tcp", NULL, "invalid IP address" },
	{ "", NULL, "missing protocol" },
	{ "/tcp", NULL, "missing port" },
	{ ":80/tcp", NULL, "invalid IP address" },
};

static const struct svc_case cidr_cases[] = {
	{ "192.0.2.0/24", "192.0.2.0/24", NULL },
	{ "192.0.2.7", "192.0.2.7/32", NULL },
	{ "0.0.0.0/0", "0.0.0.0/0", NULL },
	{ "2001:db8::/32", "2001:db8::/32", NULL },
	{ "2001:db8::1/128", "2001:db8::1/128", NULL },
	{ "192.0.2.1/24", NULL, "host bits set beyond /24" },
	{ "2001:db8::1/64", NULL, "host bits set beyond /64" },
	{ "192.0.2.0/33", NULL, "prefix length must be 0-32" },
	{ "2001:db8::/129", NULL, "prefix length must be 0-128" },
	{ "192.0.2.0/", NULL, "prefix length must be 0-32" },
	{ "192.0.2.0/08", NULL, "prefix length must be 0-32" },
	{ "192.0.2.0/-1", NULL, "prefix length must be 0-32" },
	{ "300.0.0.0/8", NULL, "invalid IP prefix" },
	{ "/8", NULL, "invalid IP prefix" },
};

/* The Kubernetes/Cilium dialect: host bits cleared and reported. */
static const struct svc_case masked_cases[] = {
	{ "192.168.100.200/28", "192.168.100.192/28 masked", NULL },
	{ "10.0.0.0/24", "10.0.0.0/24", NULL },
	{ "10.0.0.1/0", "0.0.0.0/0 masked", NULL },
	{ "2001:db8::1/64", "2001:db8::/64 masked", NULL },
	{ "2001:db8::ff/121", "2001:db8::80/121 masked", NULL },
	{ "2001:db8::1/128", "2001:db8::1/128", NULL },
	{ "10.0.0.1", NULL, "invalid IP prefix" },
	{ "10.0.0.0/33", NULL, "prefix length must be 0-32" },
	{ "10.0.0.0/8x", NULL, "prefix length must be 0-32" },
	{ "fe80::1%eth0/64", NULL, "invalid IP prefix" },
};

static const struct {
	const char *in;
	int family;		/* 0: refused */
} ip_cases[] = {
	{ "10.0.0.1", AF_INET },
	{ "0.0.0.0", AF_INET },
	{ "255.255.255.255", AF_INET },
	{ "::", AF_INET6 },
	{ "::ffff:10.0.0.1", AF_INET6 },	/* mapped stays IPv6 */
	{ "2001:DB8::1", AF_INET6 },
	{ "10.0.0.256", 0 },
	{ "010.0.0.1", 0 },
	{ "10.0.0", 0 },
	{ " 10.0.0.1", 0 },
	{ "10.0.0.1 ", 0 },
	{ "fe80::1%eth0", 0 },
	{ "[::1]", 0 },
	{ "", 0 },
	{ "1:2:3:4:5:6:7:8:9", 0 },
};

static int check_ip(size_t i)
{
	unsigned char a[16];
	int fam = 0, r = lb_ip_parse(ip_cases[i].in, &fam, a);

	if (ip_cases[i].family ? r || fam != ip_cases[i].family : !r) {
		printf("# '%s': rc %d family %d\n", ip_cases[i].in, r, fam);
		return 0;
	}
	return 1;
}

static int check_ip_order(void)
{
	unsigned char a[16], b[16], c[16];
	int fa, fb, fc;

	/* Same bits, different families: IPv4 first; then by address. */
	return !lb_ip_parse("10.0.0.1", &fa, a) &&
	       !lb_ip_parse("::a00:1", &fb, b) &&
	       !lb_ip_parse("10.0.0.2", &fc, c) &&
	       lb_ip_cmp(fa, a, fb, b) < 0 && lb_ip_cmp(fb, b, fa, a) > 0 &&
	       lb_ip_cmp(fa, a, fc, c) < 0 && !lb_ip_cmp(fa, a, fa, a) &&
	       lb_ip_parse(NULL, &fa, a) == -EINVAL;
}

/* Canonical form, with " masked" when host bits were cleared. */
static int check_cidr(const struct svc_case *c, unsigned int flags)
{
	char err[256] = "", out[64], got[80];
	struct lb_cidr cidr;
	bool masked = true;
	int r = lb_cidr_parse(c->in, flags, &cidr, &masked, err, sizeof(err));

	if (c->canon) {
		snprintf(got, sizeof(got), "%s%s",
			 lb_cidr_str(&cidr, out, sizeof(out)),
			 masked ? " masked" : "");
		if (r || strcmp(got, c->canon)) {
			printf("# '%s': %s\n", c->in, r ? err : got);
			return 0;
		}
		return 1;
	}
	if (!r || !strstr(err, c->why)) {
		printf("# '%s': %s\n", c->in, r ? err : "accepted");
		return 0;
	}
	return 1;
}

static int check_service(const struct svc_case *c)
{
	char err[256] = "", out[LB_SERVICE_STRLEN];
	struct lb_service_key key;
	int r = lb_parse_service(c->in, &key, err, sizeof(err));

	if (c->canon) {
		if (r) {
			printf("# '%s' refused: %s\n", c->in, err);
			return 0;
		}
		lb_service_str(&key, out, sizeof(out));
		if (strcmp(out, c->canon)) {
			printf("# '%s' read as '%s'\n", c->in, out);
			return 0;
		}
		return 1;
	}
	if (!r) {
		printf("# '%s' accepted\n", c->in);
		return 0;
	}
	if (!strstr(err, c->why)) {
		printf("# '%s': message '%s' lacks '%s'\n", c->in, err, c->why);
		return 0;
	}
	return 1;
}

/* Pool reserved entries: "ADDR", "ADDR/LEN", "FIRST-LAST". */
static int check_text_split(void)
{
	char *first, *last;
	int ok;

	ok = lb_ip_text_split("10.0.0.1", &first, &last) == LB_IP_TEXT_ADDR &&
	     !first && !last;
	ok = ok && lb_ip_text_split("10.0.0.0/24", &first, &last) ==
		   LB_IP_TEXT_CIDR && !first && !last;
	if (!ok)
		return 0;
	ok = lb_ip_text_split("fd00::1-fd00::9", &first, &last) ==
	     LB_IP_TEXT_RANGE && !strcmp(first, "fd00::1") &&
	     !strcmp(last, "fd00::9");
	free(first);
	free(last);
	return ok;
}

int main(void)
{
	size_t n = sizeof(svc_cases) / sizeof(svc_cases[0]), i;
	size_t nc = sizeof(cidr_cases) / sizeof(cidr_cases[0]);
	struct lb_endpoint ep;
	char err[256];
	size_t nm = sizeof(masked_cases) / sizeof(masked_cases[0]);
	size_t ni = sizeof(ip_cases) / sizeof(ip_cases[0]);
	int failed = 0, t = 0;

	printf("TAP version 13\n1..%zu\n", n + nc + nm + ni + 4);
	for (i = 0; i < n; i++) {
		int ok = check_service(&svc_cases[i]);

		failed += !ok;
		printf("%sok %d - service '%s' %s\n", ok ? "" : "not ", ++t,
		       svc_cases[i].in,
		       svc_cases[i].canon ? "accepted" : "refused");
	}

	for (i = 0; i < nc; i++) {
		int ok = check_cidr(&cidr_cases[i], LB_CIDR_HOST);

		failed += !ok;
		printf("%sok %d - prefix '%s' %s\n", ok ? "" : "not ", ++t,
		       cidr_cases[i].in,
		       cidr_cases[i].canon ? "accepted" : "refused");
	}

	for (i = 0; i < nm; i++) {
		int ok = check_cidr(&masked_cases[i], LB_CIDR_MASK);

		failed += !ok;
		printf("%sok %d - masked prefix '%s' %s\n", ok ? "" : "not ",
		       ++t, masked_cases[i].in,
		       masked_cases[i].canon ? "accepted" : "refused");
	}

	for (i = 0; i < ni; i++) {
		int ok = check_ip(i);

		failed += !ok;
		printf("%sok %d - address '%s' %s\n", ok ? "" : "not ", ++t,
		       ip_cases[i].in, ip_cases[i].family ? "accepted" : "refused");
	}
	i = check_ip_order();
	failed += !i;
	printf("%sok %d - addresses order IPv4 first, then by bytes\n",
	       i ? "" : "not ", ++t);

	/* Backends share the endpoint syntax but take no protocol. */
	i = !lb_parse_endpoint("198.51.100.2:8080", &ep, err, sizeof(err)) &&
	    ep.family == AF_INET && ep.port == 8080;
	failed += !i;
	printf("%sok %d - backend endpoint parsed\n", i ? "" : "not ", ++t);
	i = !!lb_parse_endpoint("198.51.100.2:8080/tcp", &ep, err, sizeof(err));
	failed += !i;
	printf("%sok %d - backend with a protocol refused\n", i ? "" : "not ",
	       ++t);
	i = check_text_split();
	failed += !i;
	printf("%sok %d - address, prefix and range texts told apart\n",
	       i ? "" : "not ", ++t);
	return failed ? 1 : 0;
}
