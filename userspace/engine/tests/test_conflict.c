// SPDX-License-Identifier: GPL-2.0
/* Pool conflicts, including the user's seed scenario. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

static const char seed_pools[] =
	"apiVersion: \"cilium.io/v2alpha1\"\n"
	"kind: CiliumLoadBalancerIPPool\n"
	"metadata:\n"
	"  name: \"blue-pool\"\n"
	"spec:\n"
	"  blocks:\n"
	"  - cidr: \"20.0.10.0/24\"\n"
	"  serviceSelector:\n"
	"    matchExpressions:\n"
	"      - {key: color, operator: In, values: [blue, cyan]}\n"
	"---\n"
	"apiVersion: \"cilium.io/v2alpha1\"\n"
	"kind: CiliumLoadBalancerIPPool\n"
	"metadata:\n"
	"  name: \"red-pool\"\n"
	"spec:\n"
	"  blocks:\n"
	"  - cidr: \"20.0.10.0/24\"\n"
	"  serviceSelector:\n"
	"    matchLabels:\n"
	"      color: red\n";

static const char seed_services[] =
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata:\n"
	"  name: service-blue\n"
	"  namespace: default\n"
	"  labels:\n"
	"    color: blue\n"
	"spec:\n"
	"  type: LoadBalancer\n"
	"  ports:\n"
	"  - port: 1234\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata:\n"
	"  name: service-red\n"
	"  namespace: default\n"
	"  labels:\n"
	"    color: red\n"
	"spec:\n"
	"  type: LoadBalancer\n"
	"  ports:\n"
	"  - port: 1234\n";

static const char blue_moved[] =
	"apiVersion: \"cilium.io/v2alpha1\"\n"
	"kind: CiliumLoadBalancerIPPool\n"
	"metadata:\n"
	"  name: \"blue-pool\"\n"
	"spec:\n"
	"  blocks:\n"
	"  - cidr: \"20.0.20.0/24\"\n"
	"  serviceSelector:\n"
	"    matchExpressions:\n"
	"      - {key: color, operator: In, values: [blue, cyan]}\n";

static void seed_scenario(void)
{
	struct lb_engine *e = eng_new();

	ok(!apply(e, seed_pools), "seed: both pools (v2alpha1, same block) apply");
	ok(!apply(e, seed_services), "seed: blue and red services apply");
	is(pool_cond(e, "blue-pool", "cilium.io/PoolConflict"),
	   "True/cidr_overlap/Pool conflicts since range '20.0.10.0 - 20.0.10.255' overlaps range '20.0.10.0 - 20.0.10.255' from IP Pool 'red-pool'",
	   "seed: pools created together tie; blue-pool is marked, as the user saw");
	is(pool_cond(e, "red-pool", "cilium.io/PoolConflict"), "False/resolved/",
	   "seed: red-pool is not conflicting");
	is(ips(e, "default", "service-blue"), "", "seed: the blue service gets no IP");
	is(cond(e, "default", "service-blue"),
	   "False/no_pool/There are no enabled CiliumLoadBalancerIPPools that match this service",
	   "seed: blue service condition is no_pool");
	is(ips(e, "default", "service-red"), "20.0.10.0", "seed: the red service is served by red-pool");
	is(pool_cond(e, "blue-pool", "cilium.io/IPsAvailable"), "Unknown/noreason/256",
	   "seed: conflicting pool still reports its counts");
	ok(logs_have("msg=\"Pool counts of 'blue-pool' changed, patching\" pool=blue-pool"),
	   "seed: count log line as in the write-up");
	ok(!apply(e, blue_moved), "seed: blue-pool moved to 20.0.20.0/24");
	is(pool_cond(e, "blue-pool", "cilium.io/PoolConflict"), "False/resolved/",
	   "seed: conflict resolved");
	is(ips(e, "default", "service-blue"), "20.0.20.0", "seed: the blue service now gets an IP");
	is(cond(e, "default", "service-blue"), "True/satisfied/", "seed: and is satisfied");
	is(ips(e, "default", "service-red"), "20.0.10.0", "seed: red service unchanged");
	lbe_close(e);
}

static void newer_marked(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("zz-old", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, pool_yaml("aa-new", "[{start: 10.0.0.200, stop: 10.0.1.5}]", NULL));
	is(pool_cond(e, "aa-new", "cilium.io/PoolConflict"),
	   "True/cidr_overlap/Pool conflicts since range '10.0.0.200 - 10.0.1.5' overlaps range '10.0.0.0 - 10.0.0.255' from IP Pool 'zz-old'",
	   "the newer pool is marked whatever the names");
	is(pool_cond(e, "zz-old", "cilium.io/PoolConflict"), "False/resolved/", "the older pool keeps working");
	apply(e, svc_yaml("default", "s", NULL, "\"lbipam.io/pool\": aa-new", NULL));
	is(reason(e, "default", "s"), "no_pool", "a conflicting pool allocates nothing");
	apply(e, pool_yaml("aa-new", "[{start: 10.0.1.0, stop: 10.0.1.5}]", NULL));
	is(pool_cond(e, "aa-new", "cilium.io/PoolConflict"), "False/resolved/", "resolved when the overlap goes away");
	is(ips(e, "default", "s"), "10.0.1.0", "and then allocates");
	ok(logs_have("msg=\"Pool conflict resolved\" pool=aa-new"), "resolution is logged");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}, {cidr: 10.0.0.128/25}]", NULL));
	is(pool_cond(e, "p", "cilium.io/PoolConflict"),
	   "True/cidr_overlap/Pool conflicts since range '10.0.0.0 - 10.0.0.255' overlaps range '10.0.0.128 - 10.0.0.255' from IP Pool 'p'",
	   "a pool overlapping itself is marked");
	apply(e, pool_yaml("q", "[{cidr: 10.0.0.0/24}]",
			   "  disabled: true\n  serviceSelector: {matchLabels: {x: y}}\n"));
	is(pool_cond(e, "q", "cilium.io/PoolConflict"), "False/resolved/",
	   "a pool overlapping only a marked pool is not marked");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("a", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, pool_yaml("b", "[{cidr: 10.0.0.0/24}]", "  disabled: true\n  serviceSelector: {matchLabels: {x: y}}\n"));
	ok(!strncmp(pool_cond(e, "b", "cilium.io/PoolConflict"), "True/", 5),
	   "overlap is checked whatever the selectors and disabled flags");
	apply(e, pool_yaml("c", "[{cidr: \"::a00:0/120\"}]", NULL));
	is(pool_cond(e, "c", "cilium.io/PoolConflict"), "False/resolved/",
	   "IPv6 ranges never conflict with IPv4 ones");
	del_pool(e, "a");
	is(pool_cond(e, "b", "cilium.io/PoolConflict"), "False/resolved/", "deleting the other pool resolves the conflict");
	lbe_close(e);
}

static void sticky(void)
{
	struct lb_engine *e = eng_new();

	/* a < b < c in age; a overlaps b, b overlaps c, a and c disjoint. */
	apply(e, pool_yaml("a", "[{cidr: 10.0.0.0/25}]", NULL));
	apply(e, pool_yaml("b", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, pool_yaml("c", "[{cidr: 10.0.0.128/25}]", NULL));
	ok(!strncmp(pool_cond(e, "b", "cilium.io/PoolConflict"), "True/", 5), "b conflicts with the older a");
	is(pool_cond(e, "c", "cilium.io/PoolConflict"), "False/resolved/", "c overlaps only the marked b");
	apply(e, svc_yaml("default", "s", NULL, "\"lbipam.io/pool\": c", NULL));
	is(ips(e, "default", "s"), "10.0.0.128", "c serves");
	del_pool(e, "a");
	ok(!strncmp(pool_cond(e, "b", "cilium.io/PoolConflict"), "True/", 5),
	   "b stays marked while it overlaps c: the serving pool is not displaced");
	is(pool_cond(e, "c", "cilium.io/PoolConflict"), "False/resolved/", "c keeps serving");
	lbe_close(e);
}

static void grandfathered(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("a", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "s", NULL, NULL, NULL));
	is(ips(e, "default", "s"), "10.0.0.0", "served by a");
	/* An older pool appears with an explicit older creation time. */
	apply(e, "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
		 "metadata: {name: older, creationTimestamp: \"2001-01-01T00:00:00Z\"}\n"
		 "spec: {blocks: [{cidr: 10.0.0.0/16}]}\n");
	ok(!strncmp(pool_cond(e, "a", "cilium.io/PoolConflict"), "True/", 5),
	   "the younger serving pool becomes conflicting");
	is(ips(e, "default", "s"), "10.0.0.0", "its holding is kept (conflicting pools keep holdings)");
	apply(e, svc_yaml("default", "t", NULL, NULL, NULL));
	is(ips(e, "default", "t"), "10.0.0.1", "the winner skips the held address");
	is(pool_count(e, "a", 0, "used"), "0", "the held IP is counted in the enabled pool");
	is(pool_count(e, "older", 0, "used"), "2", "both holdings count in the older pool");
	lbe_close(e);
}

int main(void)
{
	seed_scenario();
	newer_marked();
	sticky();
	grandfathered();
	return done_testing();
}
