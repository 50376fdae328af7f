// SPDX-License-Identifier: GPL-2.0
/* Address parsing, CIDR masking, range math and 192-bit counting. */
#include "helpers.h"
#include "addr.h"

#include <stdio.h>
#include <string.h>

static const char *cidr(const char *s)
{
	static char buf[4][LB_RANGE_STRLEN + 16];
	static int i;
	struct lb_range r;
	bool masked;

	i = (i + 1) % 4;
	if (lbe_range_parse_cidr(s, &r, &masked))
		return "invalid";
	snprintf(buf[i], sizeof(buf[i]), "%s%s", lbe_range_fmt(&r, buf[(i + 1) % 4]),
		 masked ? " (masked)" : "");
	return buf[i];
}

static const char *count(const char *from, const char *to, int times)
{
	static char buf[LB_COUNT_STRLEN];
	struct lb_range r;
	struct lb_count c;
	int i;

	lbe_addr_parse(from, &r.from);
	lbe_addr_parse(to, &r.to);
	lbe_count_zero(&c);
	for (i = 0; i < times; i++)
		lbe_count_add_range(&c, &r);
	return lbe_count_fmt(&c, buf);
}

int main(void)
{
	struct lb_addr a, b;
	struct lb_range x, y;
	struct lb_count c, d;
	char buf[LB_COUNT_STRLEN], ip[LB_ADDR_STRLEN];
	bool m;

	ok(!lbe_addr_parse("10.0.0.1", &a) && a.fam == 4 && a.v == 0x0a000001, "IPv4 parse");
	ok(!lbe_addr_parse("2004::1", &a) && a.fam == 6 && a.v == (((lb_u128)0x2004 << 112) | 1),
	   "IPv6 parse");
	ok(lbe_addr_parse("10.0.0.256", &a) && lbe_addr_parse("", &a) && lbe_addr_parse("fe80::1%eth0", &a) &&
	   lbe_addr_parse(" 10.0.0.1", &a), "garbage, zones and spaces are rejected");
	lbe_addr_parse("::ffff:10.0.0.1", &a);
	is(lbe_addr_fmt(&a, ip), "::ffff:10.0.0.1", "IPv4-mapped stays IPv6");
	ok(a.fam == 6, "... of family 6");
	lbe_addr_parse("10.0.0.1", &a);
	lbe_addr_parse("::a00:1", &b);
	ok(!lbe_addr_eq(&a, &b) && lbe_addr_cmp(&a, &b) < 0, "same bits, different families differ; v4 sorts first");
	is(cidr("10.0.0.0/24"), "10.0.0.0 - 10.0.0.255", "CIDR range");
	is(cidr("192.168.100.200/28"), "192.168.100.192 - 192.168.100.207 (masked)", "host bits masked");
	is(cidr("0.0.0.0/0"), "0.0.0.0 - 255.255.255.255", "/0 IPv4");
	is(cidr("::/0"), ":: - ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "/0 IPv6");
	is(cidr("2004::/112"), "2004:: - 2004::ffff", "IPv6 /112");
	is(cidr("10.0.0.1/32"), "10.0.0.1 - 10.0.0.1", "/32");
	is(cidr("10.0.0.0/33"), "invalid", "prefix too long");
	is(cidr("10.0.0.0/"), "invalid", "empty prefix");
	is(cidr("10.0.0.0/-1"), "invalid", "negative prefix");
	is(cidr("10.0.0.0/8x"), "invalid", "trailing junk");
	is(cidr("/8"), "invalid", "no address");
	lbe_range_parse_cidr("10.0.0.0/24", &x, &m);
	lbe_range_parse_cidr("10.0.0.255/32", &y, &m);
	ok(lbe_range_overlaps(&x, &y) && lbe_range_overlaps(&y, &x), "touching at one address overlaps");
	lbe_range_parse_cidr("10.0.1.0/32", &y, &m);
	ok(!lbe_range_overlaps(&x, &y), "adjacent ranges do not overlap");
	lbe_range_parse_cidr("::a00:0/120", &y, &m);
	ok(!lbe_range_overlaps(&x, &y), "families never overlap");
	is(count("10.0.0.0", "10.0.0.255", 1), "256", "count /24");
	is(count("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", 1), "18446744073709551616", "count /64 = 2^64");
	is(count("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1),
	   "340282366920938463463374607431768211456", "count ::/0 = 2^128 without overflow");
	is(count("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 3),
	   "1020847100762815390390123822295304634368", "three ::/0 blocks = 3 * 2^128");
	lbe_count_zero(&c);
	lbe_count_add_u64(&c, 5);
	lbe_count_zero(&d);
	lbe_count_add_u64(&d, 7);
	lbe_count_sub(&c, &d);
	is(lbe_count_fmt(&c, buf), "0", "subtraction saturates at zero");
	lbe_count_zero(&c);
	lbe_count_add_u64(&c, UINT64_MAX);
	lbe_count_add_u64(&c, 1);
	is(lbe_count_fmt(&c, buf), "18446744073709551616", "carry across words");
	lbe_count_sub(&c, &d);
	is(lbe_count_fmt(&c, buf), "18446744073709551609", "borrow across words");
	return done_testing();
}
