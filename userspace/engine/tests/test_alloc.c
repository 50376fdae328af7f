// SPDX-License-Identifier: GPL-2.0
/* Allocation rules and every IPAMRequestSatisfied reason. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void lowest_first(void)
{
	struct lb_engine *e = eng_new();

	ok(!apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}, {start: 10.0.1.5, stop: 10.0.1.6}]", NULL)),
	   "pool with a CIDR and a range applies");
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "b", NULL, NULL, NULL));
	is(ips(e, "default", "a"), "10.0.0.0", "first service gets the lowest address (first IP allowed by default)");
	is(ips(e, "default", "b"), "10.0.0.1", "second service gets the next one");
	is(cond(e, "default", "a"), "True/satisfied/", "condition True/satisfied");
	apply(e, svc_yaml("default", "c", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "d", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "f", NULL, NULL, NULL));
	is(ips(e, "default", "f"), "10.0.1.5", "range block is used once the CIDR is full");
	del_svc(e, "default", "b");
	apply(e, svc_yaml("default", "g", NULL, NULL, NULL));
	is(ips(e, "default", "g"), "10.0.0.1", "a freed hole is the lowest free address and is reused");
	apply(e, svc_yaml("default", "h", NULL, NULL, NULL));
	is(ips(e, "default", "h"), "10.0.1.6", "then allocation continues after the hole");
	apply(e, svc_yaml("default", "i", NULL, NULL, NULL));
	is(cond(e, "default", "i"),
	   "False/out_of_ips/All enabled CiliumLoadBalancerIPPools that match this service ran out of allocatable IPs",
	   "out_of_ips when every matching range is full");
	del_svc(e, "default", "a");
	is(ips(e, "default", "i"), "10.0.0.0", "waiting service takes the freed IP");
	is(cond(e, "default", "i"), "True/satisfied/", "and becomes satisfied");
	lbe_close(e);
}

static void reasons(void)
{
	struct lb_engine *e = eng_new();

	apply(e, svc_yaml("default", "early", NULL, NULL, NULL));
	is(cond(e, "default", "early"), "none", "dormant without pools: no condition at all");
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]",
			   "  serviceSelector:\n    matchLabels: {color: blue}\n"));
	is(cond(e, "default", "early"),
	   "False/no_pool/There are no enabled CiliumLoadBalancerIPPools that match this service",
	   "the first pool wakes it: no_pool for a generic request no pool selects");
	apply(e, svc_yaml("default", "s1", "color: blue", "\"lbipam.cilium.io/ips\": \"10.0.0.7\"", NULL));
	is(ips(e, "default", "s1"), "10.0.0.7", "specific IP request honoured");
	apply(e, svc_yaml("default", "s2", "color: blue", "\"lbipam.cilium.io/ips\": \"10.0.0.7\"", NULL));
	is(cond(e, "default", "s2"),
	   "False/already_allocated/The IP '10.0.0.7' is already allocated to another service",
	   "already_allocated without a sharing key");
	apply(e, svc_yaml("default", "s3", "color: red", "\"lbipam.cilium.io/ips\": \"10.0.0.8\"", NULL));
	is(cond(e, "default", "s3"),
	   "False/pool_selector_mismatch/The pool with the CIDR containing '10.0.0.8', doesn't select this service",
	   "pool_selector_mismatch");
	apply(e, svc_yaml("default", "s4", "color: blue", "\"lbipam.cilium.io/ips\": \"10.9.0.8\"", NULL));
	is(cond(e, "default", "s4"),
	   "False/no_pool/No pool exists with a CIDR containing '10.9.0.8'",
	   "no_pool for a specific IP outside every pool");
	apply(e, svc_yaml("default", "s5", "color: blue",
			  "\"lbipam.cilium.io/ips\": \"10.0.0.9,10.9.9.9\"", NULL));
	is(ips(e, "default", "s5"), "10.0.0.9", "partial success keeps the granted IP");
	is(reason(e, "default", "s5"), "no_pool", "and reports the failure");
	apply(e, svc_yaml("default", "s6", "color: blue",
			  "\"lbipam.cilium.io/ips\": \"10.9.9.9,bogus, 10.0.0.7\"", NULL));
	is(cond(e, "default", "s6"),
	   "False/already_allocated/The IP '10.0.0.7' is already allocated to another service",
	   "the last failure processed is reported; unparsable items are skipped");
	ok(logs_have("Unable to parse requested IP"), "unparsable requested IP is logged");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	del_pool(e, "p");
	is(ips(e, "default", "a"), "", "deleting the last pool releases every IP");
	is(cond(e, "default", "a"), "none", "and LB-IPAM goes dormant, removing its condition");
	apply(e, pool_yaml("q", "[{cidr: 10.1.0.0/24}]", NULL));
	is(ips(e, "default", "a"), "10.1.0.0", "a new pool wakes it up again");
	lbe_close(e);
}

static void first_last(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/29}, {cidr: 10.0.1.0/31}, {start: 10.0.2.0, stop: 10.0.2.3}]",
			   "  allowFirstLastIPs: \"No\"\n"));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	is(ips(e, "default", "a"), "10.0.0.1", "allowFirstLastIPs No skips the network address");
	is(pool_count(e, "p", 0, "total"), "14", "total counts every address of valid blocks");
	is(pool_count(e, "p", 0, "reserved"), "2", "first/last of the /29 are reserved; /31 and ranges are not");
	is(pool_count(e, "p", 0, "used"), "1", "reserved addresses are not counted as used");
	is(pool_count(e, "p", 0, "available"), "11", "available = total - used - reserved");
	is(pool_cond(e, "p", "cilium.io/IPsAvailable"), "Unknown/noreason/11", "IPsAvailable condition");
	is(pool_cond(e, "p", "lbipam.io/IPsReserved"), "Unknown/noreason/2", "IPsReserved condition");
	apply(e, svc_yaml("default", "r", NULL, "\"lbipam.cilium.io/ips\": \"10.0.0.7\"", NULL));
	is(cond(e, "default", "r"), "False/ip_reserved/The IP '10.0.0.7' is reserved in pool 'p'",
	   "requesting a reserved last IP fails with ip_reserved");
	apply(e, svc_yaml("default", "rk", NULL,
			  "\"lbipam.cilium.io/ips\": \"10.0.0.0\", \"lbipam.cilium.io/sharing-key\": k", NULL));
	is(reason(e, "default", "rk"), "ip_reserved",
	   "with a sharing key too (cilium#48779 gave it away or panicked)");
	is(pool_ips(e, "p"), "10.0.0.0=(first-last) 10.0.0.1=default/a 10.0.0.7=(first-last)",
	   "per-IP view shows reserved owners and holders");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	is(ips(e, "default", "a"), "10.0.0.0", "first IP allocatable with the default Yes");
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", "  allowFirstLastIPs: \"No\"\n"));
	is(ips(e, "default", "a"), "10.0.0.0", "Yes->No keeps a service on the now-reserved first IP");
	is(pool_count(e, "p", 0, "used"), "1", "it counts as used");
	is(pool_count(e, "p", 0, "reserved"), "1", "only the free last IP counts as reserved");
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", "  allowFirstLastIPs: \"Yes\"\n"));
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", "  allowFirstLastIPs: \"No\"\n"));
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", "  allowFirstLastIPs: \"Yes\"\n"));
	apply(e, svc_yaml("default", "b", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "c", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "d", NULL, NULL, NULL));
	is(ips(e, "default", "a"), "10.0.0.0", "Yes->No->Yes never frees a held IP");
	is(ips(e, "default", "b"), "10.0.0.1", "next service gets .1");
	is(ips(e, "default", "d"), "10.0.0.3", "and the last one .3: no IP handed out twice");
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", "  allowFirstLastIPs: \"No\"\n"));
	del_svc(e, "default", "a");
	apply(e, svc_yaml("default", "e", NULL, NULL, NULL));
	is(cond(e, "default", "e"), "False/out_of_ips/All enabled CiliumLoadBalancerIPPools that match this service ran out of allocatable IPs",
	   "a released reserved IP goes back to the reservation, not to the next service");
	is(pool_ips(e, "p"), "10.0.0.0=(first-last) 10.0.0.1=default/b 10.0.0.2=default/c 10.0.0.3=default/d",
	   "per-IP view after release");
	lbe_close(e);
}

static void reservations(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/28}]",
			   "  reserved: [\"10.0.0.0\", \"10.0.0.2-10.0.0.3\", {cidr: 10.0.0.8/30}, \"zzz\"]\n"));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "b", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "c", NULL, NULL, NULL));
	is(ips(e, "default", "a"), "10.0.0.1", "reserved single IP skipped");
	is(ips(e, "default", "b"), "10.0.0.4", "reserved range skipped");
	is(pool_count(e, "p", 0, "reserved"), "7", "reserved count");
	is(pool_count(e, "p", 0, "available"), "6", "available excludes reserved");
	is(pool_cond(e, "p", "lbipam.io/InvalidBlocks"),
	   "True/invalid_blocks/spec.reserved[3]: invalid start IP 'zzz'",
	   "an unparsable reservation is reported in a condition");
	apply(e, svc_yaml("default", "d", NULL, "\"lbipam.cilium.io/ips\": \"10.0.0.9\"", NULL));
	is(cond(e, "default", "d"), "False/ip_reserved/The IP '10.0.0.9' is reserved in pool 'p'",
	   "request for a reserved IP fails clearly");
	is(pool_ips(e, "p"),
	   "10.0.0.0=(reserved) 10.0.0.1=default/a 10.0.0.2-10.0.0.3=(reserved) 10.0.0.4=default/b 10.0.0.5=default/c 10.0.0.8-10.0.0.11=(reserved)",
	   "per-IP view lists reservations");
	lbe_close(e);
}

static void huge_reservation(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: \"2001:db8::/48\"}]",
			   "  reserved: [\"2001:db8::/64\", \"2001:db8:0:1::/65\"]\n"));
	apply(e, svc_yaml("default", "a", NULL, NULL, "  ipFamilies: [IPv6]\n"));
	is(ips(e, "default", "a"), "2001:db8:0:1:8000::",
	   "a reservation of 2^64 addresses is stepped over, not walked");
	is(pool_count(e, "p", 0, "reserved"), "27670116110564327424", "and counted exactly (2^64 + 2^63)");
	lbe_close(e);
}

static void churn(void)
{
	struct lb_engine *e = eng_new();
	char name[32];
	int i;

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/18}]", NULL));
	for (i = 0; i < 4500; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		apply(e, svc_yaml("default", name, NULL, NULL, NULL));
	}
	is(ips(e, "default", "s4499"), "10.0.17.147", "4500 services allocated in order");
	for (i = 4499; i >= 1; i--) {
		snprintf(name, sizeof(name), "s%d", i);
		del_svc(e, "default", name);
	}
	apply(e, svc_yaml("default", "new1", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "new2", NULL, NULL, NULL));
	is(ips(e, "default", "new1"), "10.0.0.1", "after mass deletion the lowest free address is still found");
	is(ips(e, "default", "new2"), "10.0.0.2", "... and the next");
	logs_reset();
	lbe_close(e);
}

static void priority(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("a", "[{cidr: 10.0.1.0/24}]", NULL));
	apply(e, pool_yaml("b", "[{cidr: 10.0.2.0/24}]", NULL));
	apply(e, svc_yaml("default", "s1", NULL, NULL, NULL));
	is(ips(e, "default", "s1"), "10.0.1.0", "equal priority: pools tried in name order");
	apply(e, pool_yaml("b", "[{cidr: 10.0.2.0/24}]", "  priority: 10\n"));
	apply(e, svc_yaml("default", "s2", NULL, NULL, NULL));
	is(ips(e, "default", "s2"), "10.0.2.0", "higher priority pool is tried first");
	is(ips(e, "default", "s1"), "10.0.1.0", "re-prioritising pools does not move existing IPs");
	apply(e, svc_yaml("default", "s3", NULL, "\"lbipam.io/pool\": a", NULL));
	is(ips(e, "default", "s3"), "10.0.1.1", "lbipam.io/pool picks the pool");
	apply(e, svc_yaml("default", "s4", NULL, "\"lbipam.io/pool\": nope", NULL));
	is(reason(e, "default", "s4"), "no_pool", "unknown pool in lbipam.io/pool gives no_pool");
	apply(e, svc_yaml("default", "s5", NULL, "\"lbipam.io/pool\": \"nope, a\"", NULL));
	is(ips(e, "default", "s5"), "10.0.1.2", "pool list is tried in order");
	apply(e, svc_yaml("default", "s6", NULL, "\"lbipam.io/pool\": a, \"lbipam.cilium.io/ips\": \"10.0.2.77\"", NULL));
	is(reason(e, "default", "s6"), "pool_selector_mismatch", "a specific IP outside the chosen pool is refused");
	lbe_close(e);
}

static void classes(void)
{
	static const char *const cls[] = { "io.cilium/l2-announcer", NULL };
	struct lb_engine_config cfg = { .lb_classes = cls };
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "l2", NULL, NULL, "  loadBalancerClass: io.cilium/l2-announcer\n"));
	is(cond(e, "default", "l2"), "none", "a class we do not serve is ignored: no condition");
	is(ips(e, "default", "l2"), "", "and no IP");
	apply(e, svc_yaml("default", "cip", NULL, NULL, "  type: ClusterIP\n"));
	is(cond(e, "default", "cip"), "none", "non-LoadBalancer services are ignored");
	apply(e, svc_yaml("default", "h", NULL, NULL, NULL));
	is(ips(e, "default", "h"), "10.0.0.0", "unclassed LoadBalancer is served by default");
	apply(e, svc_yaml("default", "h", NULL, NULL, "  type: ClusterIP\n"));
	is(ips(e, "default", "h"), "", "handover: the IP is released when the type changes");
	is(cond(e, "default", "h"), "none", "and the condition is removed");
	apply(e, svc_yaml("default", "h2", NULL, NULL, NULL));
	is(ips(e, "default", "h2"), "10.0.0.0", "the released IP is free again");
	lbe_close(e);

	e = eng_open(NULL, &cfg);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "l2", NULL, NULL, "  loadBalancerClass: io.cilium/l2-announcer\n"));
	is(ips(e, "default", "l2"), "10.0.0.0", "configured class is served");
	apply(e, svc_yaml("default", "bgp", NULL, NULL, "  loadBalancerClass: io.cilium/bgp-control-plane\n"));
	is(cond(e, "default", "bgp"), "none", "other classes still ignored");
	lbe_close(e);

	cfg.no_default_class = true;
	e = eng_open(NULL, &cfg);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "plain", NULL, NULL, NULL));
	is(cond(e, "default", "plain"), "none", "default-lb-service-ipam other than lbipam: unclassed ignored");
	lbe_close(e);
}

static void disabled(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", "  disabled: true\n"));
	is(ips(e, "default", "a"), "10.0.0.0", "disabling a pool keeps existing holdings");
	apply(e, svc_yaml("default", "b", NULL, NULL, NULL));
	is(reason(e, "default", "b"), "no_pool", "a disabled pool allocates nothing");
	apply(e, svc_yaml("default", "c", NULL, "\"lbipam.cilium.io/ips\": \"10.0.0.9\"", NULL));
	is(reason(e, "default", "c"), "no_pool", "specific requests in a disabled pool: no_pool");
	is(pool_count(e, "p", 0, "used"), "1", "disabled pool still counts its holdings");
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", "  disabled: false\n"));
	is(ips(e, "default", "b"), "10.0.0.1", "re-enabled pool serves the waiting service");
	is(ips(e, "default", "c"), "10.0.0.9", "and the specific request");
	lbe_close(e);
}

static void requested(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "lbip", NULL, NULL, "  loadBalancerIP: 10.0.0.5\n"));
	is(ips(e, "default", "lbip"), "10.0.0.5", "spec.loadBalancerIP is honoured");
	apply(e, svc_yaml("default", "both", NULL,
			  "\"lbipam.cilium.io/ips\": \"10.0.0.6\", \"io.cilium/lb-ipam-ips\": \"10.0.0.7\"", NULL));
	is(ips(e, "default", "both"), "10.0.0.6", "lbipam.cilium.io/ips wins over the io.cilium alias");
	apply(e, svc_yaml("default", "alias", NULL, "\"io.cilium/lb-ipam-ips\": \"10.0.0.8\"", NULL));
	is(ips(e, "default", "alias"), "10.0.0.8", "the io.cilium/lb-ipam-ips alias works alone");
	apply(e, svc_yaml("default", "mix", NULL, "\"lbipam.cilium.io/ips\": \"10.0.0.11\"",
			  "  loadBalancerIP: 10.0.0.10\n"));
	is(ips(e, "default", "mix"), "10.0.0.10,10.0.0.11", "loadBalancerIP plus annotation: both, loadBalancerIP first");
	apply(e, svc_yaml("default", "lbip", NULL, NULL, "  loadBalancerIP: 10.0.0.20\n"));
	is(ips(e, "default", "lbip"), "10.0.0.20", "changing the requested IP moves the service");
	apply(e, svc_yaml("default", "lbip", NULL, NULL, NULL));
	is(ips(e, "default", "lbip"), "10.0.0.20", "dropping the request keeps the IP as the generic one");
	apply(e, svc_yaml("default", "gen", NULL, NULL, NULL));
	is(ips(e, "default", "gen"), "10.0.0.0", "generic after requests takes the lowest free");
	lbe_close(e);
}

static void hints(void)
{
	struct lb_engine *e = eng_new();
	const char *two =
		"apiVersion: v1\nkind: Service\nmetadata: {name: old, namespace: default,"
		" creationTimestamp: \"2020-01-01T00:00:00Z\"}\n"
		"spec: {type: LoadBalancer}\n"
		"---\n"
		"apiVersion: v1\nkind: Service\nmetadata: {name: migrated, namespace: default,"
		" creationTimestamp: \"2021-01-01T00:00:00Z\"}\n"
		"spec: {type: LoadBalancer}\n"
		"status: {loadBalancer: {ingress: [{ip: 10.0.0.0}, {hostname: x.example}]}}\n";

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, two);
	is(ips(e, "default", "migrated"), "10.0.0.0",
	   "status IPs are imported before anything new is allocated");
	is(ips(e, "default", "old"), "10.0.0.1", "even for an older waiting service");
	apply(e, svc_yaml("default", "x", "color: red", NULL,
			  "status: {loadBalancer: {ingress: [{ip: 10.7.0.1}]}}\n"));
	is(ips(e, "default", "x"), "10.0.0.2", "a status IP outside every pool is dropped");
	lbe_close(e);
}

static void counts_v6(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("big", "[{cidr: \"2001:db8::/64\"}, {cidr: \"10.0.0.0/8\"}, {cidr: \"::/0\"}]", NULL));
	is(pool_count(e, "big", 6, "total"), "340282366920938463481821351505477763072",
	   "::/0 plus a /64 counts 2^128 + 2^64 exactly");
	apply(e, pool_yaml("big", "[{cidr: \"2001:db8::/64\"}, {cidr: \"10.0.0.0/8\"}]", NULL));
	is(pool_count(e, "big", 6, "total"), "18446744073709551616", "a /64 counts 2^64 exactly");
	is(pool_count(e, "big", 0, "total"), "18446744073726328832", "pool total adds both families");
	apply(e, svc_yaml("default", "v6", NULL, NULL, "  ipFamilies: [IPv6]\n"));
	is(pool_count(e, "big", 6, "available"), "18446744073709551615", "available drops by one");
	is(pool_cond(e, "big", "cilium.io/IPsTotal"), "Unknown/noreason/18446744073726328832", "IPsTotal condition");
	is(pool_cond(e, "big", "cilium.io/IPsUsed"), "Unknown/noreason/1", "IPsUsed condition");
	ok(logs_have("level=debug msg=\"Pool counts of 'big' changed, patching\" pool=big"),
	   "count changes are logged as Cilium does");
	ok(logs_have("level=debug msg=\"Updating pool counts\" pool=big"), "Updating pool counts is logged");
	lbe_close(e);
}

static void fifo(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/32}]", NULL));
	apply(e, svc_yaml("default", "holder", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "zz-first", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "aa-second", NULL, NULL, NULL));
	is(reason(e, "default", "zz-first"), "out_of_ips", "both wait");
	del_svc(e, "default", "holder");
	is(ips(e, "default", "zz-first"), "10.0.0.0",
	   "a freed IP goes to the longest-waiting service, not the first name");
	is(reason(e, "default", "aa-second"), "out_of_ips", "the later one keeps waiting");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/32}]", NULL));
	apply(e, "apiVersion: v1\nkind: Service\nmetadata: {name: b, creationTimestamp: \"2019-01-01T00:00:00Z\"}\n"
		 "spec: {type: LoadBalancer}\n---\n"
		 "apiVersion: v1\nkind: Service\nmetadata: {name: a, creationTimestamp: \"2019-06-01T00:00:00Z\"}\n"
		 "spec: {type: LoadBalancer}\n");
	is(ips(e, "default", "b"), "10.0.0.0", "creationTimestamp orders services, not document order or name");
	lbe_close(e);
}

static void ends_v6(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: \"fd00::/126\"}, {cidr: \"fd00:1::/127\"}]",
			   "  allowFirstLastIPs: \"No\"\n"));
	is(pool_count(e, "p", 6, "reserved"), "2", "IPv6 first/last reserved only for the /126, not the /127");
	apply(e, svc_yaml("default", "a", NULL, NULL, "  ipFamilies: [IPv6]\n"));
	apply(e, svc_yaml("default", "b", NULL, NULL, "  ipFamilies: [IPv6]\n"));
	apply(e, svc_yaml("default", "c", NULL, NULL, "  ipFamilies: [IPv6]\n"));
	is(ips(e, "default", "a"), "fd00::1", "first IPv6 skipped");
	is(ips(e, "default", "c"), "fd00:1::", "/127 hands out both addresses");
	lbe_close(e);
}

static void log_format(void)
{
	struct lb_engine *e = eng_new();

	logs_reset();
	apply(e, pool_yaml("blue-pool", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	ok(logs_have("level=info msg=\"Allocated IP\" service=default/a ip=10.0.0.0 pool=blue-pool\n"),
	   "allocation log line in logfmt");
	ok(logs_have("level=debug msg=\"Pool counts of 'blue-pool' changed, patching\" pool=blue-pool total=4 available=3 used=1\n"),
	   "pool count log line");
	apply(e, svc_yaml("default", "b", NULL, "\"lbipam.cilium.io/ips\": \"10.9.9.9\"", NULL));
	ok(logs_have("level=info msg=\"Service IPAM request condition changed\" service=default/b status=False reason=no_pool "
		     "message=\"No pool exists with a CIDR containing '10.9.9.9'\"\n"),
	   "condition changes are logged with quoted values");
	lbe_close(e);
}

int main(void)
{
	log_format();
	fifo();
	ends_v6();
	lowest_first();
	reasons();
	first_last();
	reservations();
	huge_reservation();
	churn();
	priority();
	classes();
	disabled();
	requested();
	hints();
	counts_v6();
	return done_testing();
}
