// SPDX-License-Identifier: GPL-2.0
/*
 * User complaints (lbipam-semantics.md section 5) turned into tests, and
 * the zero-churn rule they all come down to.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dbpath[64];

static const char *tmpdb(void)
{
	int fd;

	strcpy(dbpath, "/tmp/lbengine-regress-XXXXXX");
	fd = mkstemp(dbpath);
	if (fd >= 0)
		close(fd);
	unlink(dbpath);
	return dbpath;
}

static void rmdb(void)
{
	char p[96];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static struct lb_engine *fill(const char *db)
{
	struct lb_engine *e = eng_open(db, NULL);
	int i;

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/28}, {cidr: 10.0.1.0/28}]", NULL));
	for (i = 0; i < 8; i++) {
		char n[16];

		snprintf(n, sizeof(n), "s%d", i);
		apply(e, svc_yaml("default", n, NULL, NULL, NULL));
	}
	return e;
}

static void widen_shrink(void)
{
	struct lb_engine *e = fill(NULL);
	char *before = lbe_dump(e);

	is(ips(e, "default", "s7"), "10.0.0.7", "setup: eight services in the first block");
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/27}, {cidr: 10.0.1.0/28}]", NULL));
	is(ips(e, "default", "s3"), "10.0.0.3", "cilium#40358: widening a block keeps every IP");
	is(ips(e, "default", "s7"), "10.0.0.7", "cilium#40358: ... including the last one");
	apply(e, pool_yaml("p", "[{cidr: 10.0.1.0/28}, {start: 10.0.0.4, stop: 10.0.0.7}, {start: 10.0.0.0, stop: 10.0.0.3}]", NULL));
	is(ips(e, "default", "s0"), "10.0.0.0", "re-ordering and re-expressing blocks keeps IPs");
	is(ips(e, "default", "s5"), "10.0.0.5", "... for every service");
	apply(e, pool_yaml("p", "[{start: 10.0.0.0, stop: 10.0.0.5}, {cidr: 10.0.1.0/28}]", NULL));
	is(ips(e, "default", "s4"), "10.0.0.4", "cilium#41458: shrinking keeps IPs still in range");
	is(ips(e, "default", "s6"), "10.0.1.0", "IPs no longer in any range move, lowest free first");
	is(ips(e, "default", "s7"), "10.0.1.1", "... in first-come order");
	apply(e, pool_yaml("p", "[{start: 10.0.0.0, stop: 10.0.0.5}, {cidr: 10.0.1.0/28}]",
			   "  serviceSelector: {matchExpressions: [{key: io.kubernetes.service.namespace, operator: In, values: [default]}]}\n"));
	is(ips(e, "default", "s2"), "10.0.0.2", "editing the selector (still matching) keeps IPs");
	free(before);
	lbe_close(e);
}

static void selection_changes(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("blue", "[{cidr: 10.0.1.0/24}]", "  serviceSelector: {matchLabels: {color: blue}}\n"));
	apply(e, pool_yaml("any", "[{cidr: 10.0.9.0/24}]", "  priority: -1\n"));
	apply(e, svc_yaml("default", "a", "color: blue", NULL, NULL));
	apply(e, svc_yaml("default", "b", "color: blue", NULL, NULL));
	is(ips(e, "default", "b"), "10.0.1.1", "setup");
	apply(e, pool_yaml("blue", "[{cidr: 10.0.1.0/24}]",
			   "  serviceSelector: {matchLabels: {color: blue}}\n  priority: 4\n"
			   "  allowFirstLastIPs: \"No\"\n  reserved: [\"10.0.1.1\"]\n"));
	is(ips(e, "default", "a"), "10.0.1.0", "editing priority, allowFirstLastIPs and reservations moves nobody");
	is(ips(e, "default", "b"), "10.0.1.1", "... even a service on a newly reserved IP");
	apply(e, svc_yaml("default", "b", "color: green", NULL, NULL));
	is(ips(e, "default", "b"), "10.0.9.0", "a service whose labels no longer match moves to a matching pool");
	apply(e, pool_yaml("blue", "[{cidr: 10.0.1.0/24}]", "  serviceSelector: {matchLabels: {color: cyan}}\n"));
	is(ips(e, "default", "a"), "10.0.9.1", "a pool whose selector stops matching gives its services up (as Cilium)");
	lbe_close(e);
}

static void deletes(void)
{
	struct lb_engine *e = fill(NULL);

	del_svc(e, "default", "s2");
	is(ips(e, "default", "s3"), "10.0.0.3", "metallb#2723: deleting a service moves nobody");
	is(ips(e, "default", "s7"), "10.0.0.7", "metallb#2723: ... at all");
	apply(e, pool_yaml("q", "[{cidr: 10.9.0.0/28}]", NULL));
	apply(e, svc_yaml("default", "inq", NULL, "\"lbipam.io/pool\": \"q\"", NULL));
	del_pool(e, "q");
	is(ips(e, "default", "s5"), "10.0.0.5", "deleting another pool moves nobody else");
	is(ips(e, "default", "inq"), "", "metallb#2449: IPs of a deleted pool are revoked");
	is(reason(e, "default", "inq"), "no_pool", "and the service reports no_pool");
	apply(e, pool_yaml("q2", "[{cidr: 10.8.0.0/28}]", NULL));
	apply(e, svc_yaml("default", "mv", NULL, "\"lbipam.io/pool\": \"q2\"", NULL));
	apply(e, pool_yaml("q3", "[{cidr: 10.7.0.0/28}]", NULL));
	apply(e, svc_yaml("default", "mv", NULL, "\"lbipam.io/pool\": \"q2,q3\"", NULL));
	del_pool(e, "q2");
	is(ips(e, "default", "mv"), "10.7.0.0", "a service of a deleted pool is re-allocated from another matching pool");
	lbe_close(e);
}

/* metallb#2449/#1755: when an IP leaves every pool, keep or revoke? */
static void revocation(void)
{
	struct lb_engine_config pend = { .revoke_policy = LB_REVOKE_PENDING };
	struct lb_engine_config keep = { .revoke_policy = LB_REVOKE_KEEP };
	struct lb_engine *e;
	char *before, *after;

	e = eng_open(NULL, &keep);
	apply(e, pool_yaml("a", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, pool_yaml("b", "[{cidr: 10.0.9.0/30}]", NULL));
	apply(e, svc_yaml("default", "s", NULL, NULL, NULL));
	del_pool(e, "a");
	is(ips(e, "default", "s"), "10.0.0.0", "keep policy: the IP stays after its pool is deleted");
	is(cond(e, "default", "s"),
	   "True/ip_outside_pools/The IP '10.0.0.0' is no longer in any pool that selects this service; kept by the revocation policy",
	   "keep policy: flagged in the condition");
	apply(e, pool_yaml("c", "[{cidr: 10.0.0.0/29}]", NULL));
	apply(e, svc_yaml("default", "t", NULL, NULL, NULL));
	is(ips(e, "default", "t"), "10.0.9.0", "keep policy: a kept IP is never handed out twice");
	is(cond(e, "default", "s"), "True/satisfied/", "keep policy: flag cleared once a pool covers it again");
	lbe_close(e);

	tmpdb();
	e = eng_open(dbpath, &pend);
	apply(e, pool_yaml("a", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, pool_yaml("b", "[{cidr: 10.0.9.0/30}]", NULL));
	apply(e, svc_yaml("default", "s", NULL, NULL, NULL));
	del_pool(e, "a");
	is(ips(e, "default", "s"), "", "pending policy: the IP is released");
	is(cond(e, "default", "s"),
	   "False/ip_revoked/The IPv4 address left every pool that selects this service and is not replaced until the service changes",
	   "pending policy: and not replaced");
	before = lbe_dump(e);
	lbe_close(e);
	e = eng_open(dbpath, &pend);
	after = lbe_dump(e);
	is(after, before, "pending policy: survives a restart");
	apply(e, svc_yaml("default", "s", "touched: \"yes\"", NULL, NULL));
	is(ips(e, "default", "s"), "10.0.9.0", "pending policy: changing the service allocates again");
	free(before);
	free(after);
	lbe_close(e);
	rmdb();

	e = eng_new();
	apply(e, pool_yaml("a", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, pool_yaml("b", "[{cidr: 10.0.9.0/30}]", NULL));
	apply(e, svc_yaml("default", "s", NULL, NULL, NULL));
	del_pool(e, "a");
	is(ips(e, "default", "s"), "10.0.9.0", "default policy: re-allocated at once, as Cilium");
	lbe_close(e);
}

static void counters(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("one", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, pool_yaml("two", "[{cidr: 10.0.1.0/24}]", NULL));
	is(pool_cond(e, "two", "cilium.io/IPsAvailable"), "Unknown/noreason/256",
	   "cilium#41536: a second pool has IPsAvailable");
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	is(pool_count(e, "one", 0, "used"), "1", "used goes up");
	del_svc(e, "default", "a");
	is(pool_cond(e, "one", "cilium.io/IPsUsed"), "Unknown/noreason/0",
	   "cilium#41321: IPsUsed drops after a delete");
	is(pool_cond(e, "one", "cilium.io/IPsAvailable"), "Unknown/noreason/256",
	   "cilium#41321: and IPsAvailable goes back up");
	lbe_close(e);
}

static void misc(void)
{
	struct lb_engine_config none = { .no_default_class = true };
	struct lb_engine *e = eng_open(NULL, &none);

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}, {cidr: \"fd00::/120\"}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	is(ips(e, "default", "a"), "", "cilium#40888: default-lb-service-ipam none is honoured");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}, {cidr: \"fd00::/120\"}]", NULL));
	apply(e, svc_yaml("default", "v6first", NULL, NULL, "  ipFamilies: [IPv6, IPv4]\n"));
	is(ips(e, "default", "v6first"), "fd00::", "cilium#34899: the primary family decides for SingleStack");
	apply(e, svc_yaml("default", "dns-tcp", NULL, "\"lbipam.cilium.io/sharing-key\": dns",
			  "  ports: [{port: 53, protocol: TCP}]\n"));
	apply(e, svc_yaml("default", "dns-udp", NULL, "\"lbipam.cilium.io/sharing-key\": dns",
			  "  ports: [{port: 53, protocol: UDP}]\n"));
	is(ips(e, "default", "dns-udp"), ips(e, "default", "dns-tcp"), "cilium#39172: TCP/53 and UDP/53 share");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", "  allowFirstLastIPs: \"No\"\n"));
	apply(e, svc_yaml("default", "x", NULL,
			  "\"lbipam.cilium.io/sharing-key\": k, \"lbipam.cilium.io/ips\": \"10.0.0.255\"", NULL));
	is(reason(e, "default", "x"), "ip_reserved", "cilium#48779: reserved IP with a sharing key: clear refusal");
	apply(e, pool_yaml("pref", "[{cidr: 10.5.0.0/24}]", "  priority: 100\n"));
	apply(e, svc_yaml("default", "y", NULL, NULL, NULL));
	is(ips(e, "default", "y"), "10.5.0.0", "cilium#22008: pool preference by priority");
	apply(e, svc_yaml("default", "z", NULL, "\"lbipam.io/pool\": p", NULL));
	is(ips(e, "default", "z"), "10.0.0.1", "cilium#45327: per-service pool choice");
	lbe_close(e);
}

static void restart(void)
{
	struct lb_engine *e;
	char *before, *after;

	tmpdb();
	e = fill(dbpath);
	apply(e, svc_yaml("default", "k1", NULL, "\"lbipam.cilium.io/sharing-key\": k", "  ports: [{port: 80}]\n"));
	apply(e, svc_yaml("default", "k2", NULL, "\"lbipam.cilium.io/sharing-key\": k", "  ports: [{port: 80}]\n"));
	apply(e, svc_yaml("default", "k3", NULL, "\"lbipam.cilium.io/sharing-key\": k", "  ports: [{port: 81}]\n"));
	is(ips(e, "default", "k2"), "10.0.0.9", "setup: key k owns two IPs");
	is(ips(e, "default", "k3"), "10.0.0.8", "setup: k3 shares the first");
	del_svc(e, "default", "s1");
	/* A waiting service sees a hole that is the lowest free IP. */
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/28}, {cidr: 10.0.1.0/28}]", "  disabled: true\n"));
	apply(e, svc_yaml("default", "waiting", NULL, NULL, NULL));
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/28}, {cidr: 10.0.1.0/28}]", NULL));
	is(ips(e, "default", "waiting"), "10.0.0.1", "setup: waiting service served after re-enable");
	before = lbe_dump(e);
	lbe_close(e);

	e = eng_open(dbpath, NULL);
	after = lbe_dump(e);
	is(after, before, "cilium#43131/#39033: restart gives exactly the same state");
	is(ips(e, "default", "k2"), "10.0.0.9", "cilium#46262: a key owning several IPs keeps each after restart");
	ok(strstr(pool_ips(e, "p"), "10.0.0.8=default/k1+default/k3[k]") != NULL,
	   "cilium#30700: shared IPs stay shared after restart");
	free(before);
	free(after);
	lbe_close(e);
	rmdb();

	tmpdb();
	e = eng_open(dbpath, NULL);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", "  disabled: true\n"));
	apply(e, pool_yaml("c", "[{cidr: 10.0.0.0/31}]", NULL));
	ok(!strncmp(pool_cond(e, "c", "cilium.io/PoolConflict"), "True/", 5), "setup: a conflicting pool");
	apply(e, svc_yaml("default", "b", NULL, "\"lbipam.io/pool\": c", "  loadBalancerIP: 10.0.0.1\n"));
	lbe_close(e);
	e = eng_open(dbpath, NULL);
	is(ips(e, "default", "a"), "10.0.0.0", "holdings of a disabled pool survive a restart");
	ok(!strncmp(pool_cond(e, "c", "cilium.io/PoolConflict"), "True/", 5), "conflict flags survive a restart");
	apply(e, svc_yaml("default", "pending", NULL, NULL, NULL));
	is(ips(e, "default", "pending"), "", "metallb#1774: a pending service steals nothing after a restart");
	lbe_close(e);
	rmdb();
}

/* Same input, any document order, any engine: same allocation. */
static void deterministic(void)
{
	static const char *const docs[] = {
		"apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: a}\n"
		"spec: {blocks: [{cidr: 10.0.0.0/29}]}\n",
		"apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: {name: b}\n"
		"spec: {blocks: [{cidr: 10.0.0.0/28}, {cidr: \"fd00::/126\"}], priority: 1}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: n1}\n"
		"spec: {type: LoadBalancer, ipFamilyPolicy: PreferDualStack}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: y, namespace: n1}\n"
		"spec: {type: LoadBalancer}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: n0}\n"
		"spec: {type: LoadBalancer}\n",
	};
	static const int perms[][5] = {
		{ 0, 1, 2, 3, 4 }, { 4, 3, 2, 1, 0 }, { 2, 0, 4, 1, 3 }, { 3, 4, 1, 0, 2 },
	};
	char *first = NULL, buf[4096];
	size_t i, j;
	int same = 0;

	for (i = 0; i < sizeof(perms) / sizeof(perms[0]); i++) {
		struct lb_engine *e = eng_new();
		char *d;

		buf[0] = '\0';
		for (j = 0; j < 5; j++) {
			strcat(buf, "---\n");
			strcat(buf, docs[perms[i][j]]);
		}
		apply(e, buf);
		d = lbe_dump(e);
		if (!first)
			first = d;
		else {
			same += !strcmp(first, d);
			free(d);
		}
		lbe_close(e);
	}
	ok(same == 3, "document order within one call does not change the allocation");
	ok(strstr(first, "service n0/x created=1577836800000000000 gen=1 managed=1 ips=10.0.0.0 ") != NULL,
	   "ties are served in namespace/name order; priority picks pool b (a conflicts anyway)");
	free(first);
}

int main(void)
{
	deterministic();
	widen_shrink();
	selection_changes();
	deletes();
	revocation();
	counters();
	misc();
	restart();
	return done_testing();
}
