// SPDX-License-Identifier: GPL-2.0
/* The family request table (spec 1.6) and per-family allocation. */
#include "helpers.h"

#include <string.h>

static const char mixed[] = "[{cidr: 10.0.10.0/24}, {cidr: \"2004::/112\"}]";

static void table(void)
{
	struct lb_engine_config v4only = { .ipv6_disabled = true };
	struct lb_engine_config v6only = { .ipv4_disabled = true };
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", mixed, NULL));
	apply(e, svc_yaml("default", "unset", NULL, NULL, NULL));
	is(ips(e, "default", "unset"), "10.0.10.0", "no policy, no families: IPv4 when enabled");
	apply(e, svc_yaml("default", "single6", NULL, NULL,
			  "  ipFamilyPolicy: SingleStack\n  ipFamilies: [IPv6]\n"));
	is(ips(e, "default", "single6"), "2004::", "SingleStack IPv6");
	apply(e, svc_yaml("default", "primary6", NULL, NULL, "  ipFamilies: [IPv6, IPv4]\n"));
	is(ips(e, "default", "primary6"), "2004::1", "no policy: only ipFamilies[0] (cilium#34899)");
	apply(e, svc_yaml("default", "prefer", NULL, NULL,
			  "  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv4, IPv6]\n"));
	is(ips(e, "default", "prefer"), "10.0.10.1,2004::2", "PreferDualStack: one IP per family");
	is(cond(e, "default", "prefer"), "True/satisfied/", "and satisfied");
	apply(e, svc_yaml("default", "prefer-empty", NULL, NULL, "  ipFamilyPolicy: PreferDualStack\n"));
	is(ips(e, "default", "prefer-empty"), "10.0.10.2,2004::3", "PreferDualStack, no families: both enabled");
	apply(e, svc_yaml("default", "require", NULL, NULL,
			  "  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv6]\n"));
	is(ips(e, "default", "require"), "10.0.10.3,2004::4", "RequireDualStack: both cluster families");
	apply(e, svc_yaml("default", "prefer", NULL, NULL,
			  "  ipFamilyPolicy: SingleStack\n  ipFamilies: [IPv4]\n"));
	is(ips(e, "default", "prefer"), "10.0.10.1", "dropping a family releases only that IP");
	apply(e, svc_yaml("default", "late6", NULL, NULL, "  ipFamilies: [IPv6]\n"));
	is(ips(e, "default", "late6"), "2004::2", "and the released IPv6 is reused");
	is(pool_count(e, "p", 4, "used"), "4", "per-family used v4");
	is(pool_count(e, "p", 6, "used"), "5", "per-family used v6");
	is(pool_count(e, "p", 6, "total"), "65536", "per-family total v6");
	lbe_close(e);

	e = eng_open(NULL, &v4only);
	apply(e, pool_yaml("p", mixed, NULL));
	apply(e, svc_yaml("default", "require", NULL, NULL, "  ipFamilyPolicy: RequireDualStack\n"));
	is(ips(e, "default", "require"), "10.0.10.0",
	   "RequireDualStack on an IPv4-only cluster asks for IPv4 only (code, not docs)");
	is(cond(e, "default", "require"), "True/satisfied/", "and is satisfied");
	apply(e, svc_yaml("default", "prefer", NULL, NULL,
			  "  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv4, IPv6]\n"));
	is(ips(e, "default", "prefer"), "10.0.10.1", "PreferDualStack skips disabled families");
	apply(e, svc_yaml("default", "single6", NULL, NULL, "  ipFamilies: [IPv6]\n"));
	is(ips(e, "default", "single6"), "2004::", "SingleStack does not check cluster enablement");
	lbe_close(e);

	e = eng_open(NULL, &v6only);
	apply(e, pool_yaml("p", mixed, NULL));
	apply(e, svc_yaml("default", "unset", NULL, NULL, NULL));
	is(ips(e, "default", "unset"), "2004::", "no families on an IPv6-only cluster: IPv6");
	lbe_close(e);
}

static void split_pools(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("v4", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "d", NULL, NULL,
			  "  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv4, IPv6]\n"));
	is(ips(e, "default", "d"), "10.0.0.0", "only IPv4 available: partial success kept");
	is(cond(e, "default", "d"),
	   "False/no_pool/There are no enabled CiliumLoadBalancerIPPools that match this service",
	   "the missing family is reported");
	apply(e, pool_yaml("v6", "[{cidr: \"fd00::/120\"}]", NULL));
	is(ips(e, "default", "d"), "10.0.0.0,fd00::", "families may come from different pools");
	is(cond(e, "default", "d"), "True/satisfied/", "satisfied once both are held");
	apply(e, svc_yaml("default", "r", NULL,
			  "\"lbipam.cilium.io/ips\": \"10.0.0.9,fd00::9\"", "  ipFamilies: [IPv4]\n"));
	is(ips(e, "default", "r"), "10.0.0.9,fd00::9", "specific requests are not checked against ipFamilies");
	lbe_close(e);
}

int main(void)
{
	table();
	split_pools();
	return done_testing();
}
