// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark (not a test): allocate 100k services over pools of mixed
 * IPv4/IPv6 blocks, in memory and on SQLite, then restart from the
 * database.  Prints timings and peak RSS.
 */
#include "lb_bgp.h"
#include "lb_engine.h"
#include "util.h"
#include "yaml_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NSVC 100000

/*
 * CPU time of this process: the machine running the bench is often busy
 * with other work, and wall time would measure that too.  SQLite's
 * fsync waits are thus not included; the wall clock is printed as well.
 */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

static const char pools[] =
	"apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
	"metadata: {name: pool-a}\nspec:\n  blocks:\n"
	"  - cidr: 10.0.0.0/17\n  - cidr: \"2001:db8:a::/64\"\n"
	"  serviceSelector: {matchLabels: {tier: a}}\n---\n"
	"apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
	"metadata: {name: pool-b}\nspec:\n  priority: 10\n  allowFirstLastIPs: \"No\"\n"
	"  reserved: [\"10.1.0.7\", \"10.1.1.0-10.1.1.255\"]\n  blocks:\n"
	"  - cidr: 10.1.0.0/18\n  - {start: 10.2.0.1, stop: 10.2.127.254}\n"
	"  - cidr: \"2001:db8:b::/48\"\n"
	"  serviceSelector: {matchExpressions: [{key: tier, operator: In, values: [b, c]}]}\n---\n"
	"apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
	"metadata: {name: pool-c}\nspec:\n  blocks:\n"
	"  - cidr: 10.8.0.0/16\n  - cidr: \"fd00::/8\"\n";

static char *services(int n, int salt)
{
	struct lb_strbuf b = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		const char *tier = i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c";

		lbe_sb_printf(&b, "---\napiVersion: v1\nkind: Service\n"
			     "metadata:\n  name: svc-%d-%d\n  namespace: ns%d\n"
			     "  labels: {tier: %s}\n", salt, i, i % 50, tier);
		if (i % 10 == 0)
			lbe_sb_printf(&b, "  annotations: {lbipam.cilium.io/sharing-key: k%d}\n",
				     i / 20);
		lbe_sb_printf(&b, "spec:\n  type: LoadBalancer\n  ports: [{port: %d}]\n%s",
			     80 + (i % 20 == 10),
			     i % 4 == 0 ? "  ipFamilyPolicy: PreferDualStack\n" : "");
	}
	return lbe_sb_steal(&b);
}

static int count_holding(const struct lb_holding_info *h, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static int count_pairs(const struct lb_l2_service *s, void *arg)
{
	*(size_t *)arg += s->n_pairs;
	return 0;
}

/* What lbipamd computes after every write once a policy exists. */
static void bench_l2(struct lb_engine *e)
{
	static const char pol[] =
		"apiVersion: cilium.io/v2alpha1\n"
		"kind: CiliumL2AnnouncementPolicy\nmetadata: {name: all}\n"
		"spec: {loadBalancerIPs: true, interfaces: ['^eth']}\n";
	static const struct lb_l2_iface ifs[] = { { "eth0", 2 }, { "eth1", 3 } };
	struct lb_l2_self self = { .name = "n1", .n_ifaces = 2, .ifaces = ifs };
	size_t pairs = 0;
	double t0;

	lbe_apply_yaml(e, "l2", pol, strlen(pol), NULL);
	t0 = now();
	lbe_foreach_l2_service(e, &self, count_pairs, &pairs);
	printf("l2:          every Service's announcements %.3f s (%zu pairs)\n",
	       now() - t0, pairs);
}

static int count_routes(const struct lb_bgp_node *n, void *arg)
{
	size_t i, j, k;

	for (i = 0; i < n->n_instances; i++)
		for (j = 0; j < n->instances[i].n_peers; j++)
			for (k = 0; k < n->instances[i].peers[j].n_families; k++)
				*(size_t *)arg += n->instances[i].peers[j].families[k].n_routes;
	return 0;
}

/* What lbipamd renders for BIRD after a change: every Service, two peers. */
static void bench_bgp(struct lb_engine *e)
{
	static const char objs[] =
		"apiVersion: cilium.io/v2\nkind: CiliumBGPClusterConfig\n"
		"metadata: {name: cc}\nspec:\n  bgpInstances:\n"
		"  - name: i\n    localASN: 65000\n    peers:\n"
		"    - {name: a, peerAddress: 10.0.0.1, peerConfigRef: {name: pc}}\n"
		"    - {name: b, peerAddress: 10.0.0.2, peerConfigRef: {name: pc}}\n"
		"---\napiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\n"
		"metadata: {name: pc}\nspec:\n  families:\n"
		"  - {afi: ipv4, safi: unicast, advertisements: {matchLabels: {a: b}}}\n"
		"  - {afi: ipv6, safi: unicast, advertisements: {matchLabels: {a: b}}}\n"
		"---\napiVersion: cilium.io/v2\nkind: CiliumBGPAdvertisement\n"
		"metadata: {name: ad, labels: {a: b}}\nspec:\n  advertisements:\n"
		"  - advertisementType: Service\n"
		"    service: {addresses: [LoadBalancerIP]}\n    selector: {}\n";
	struct lb_l2_self self = { .name = "n1" };
	size_t routes = 0;
	double t0;

	lbe_apply_yaml(e, "bgp", objs, strlen(objs), NULL);
	t0 = now();
	lbe_bgp_node(e, &self, count_routes, &routes);
	printf("bgp:         this node's whole answer %.3f s (%zu routes)\n",
	       now() - t0, routes);
}

/* The benchmark's phases in order, each timed and printed as it ends. */
int main(int argc, char **argv)
{
	const char *dir = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	struct lb_engine_config cfg = { .log_level = LB_LOG_ERROR };
	char db[256], p[300], *err = NULL, *svc, *d1, *d2;
	struct lb_engine *e;
	struct lb_doc *docs;
	size_t ndocs, held = 0, i;
	double t0, t_parse, t_mem, t_db, t_open, t_inc, w0, w_open, w_db;
	int n = argc > 1 ? atoi(argv[1]) : NSVC;

	svc = services(n, 0);
	printf("input: %d services, %zu bytes of YAML, 3 pools (v4+v6 blocks); "
	       "times are CPU seconds of one thread\n", n, strlen(svc));

	t0 = now();
	lbe_yaml_load(NULL, "bench", svc, strlen(svc), &docs, &ndocs, NULL);
	t_parse = now() - t0;
	lbe_docs_free(docs, ndocs);

	lbe_open(&cfg, &e, &err);
	lbe_apply_yaml(e, "pools", pools, strlen(pools), NULL);
	t0 = now();
	if (lbe_apply_yaml(e, "svc", svc, strlen(svc), NULL))
		return 1;
	t_mem = now() - t0;
	lbe_foreach_holding(e, count_holding, &held);
	printf("in memory:   parse+validate %.3f s, apply total %.3f s, allocation %.3f s "
	       "(%zu service IPs)\n", t_parse, t_mem, t_mem - t_parse, held);
	bench_l2(e);
	bench_bgp(e);
	lbe_close(e);

	snprintf(db, sizeof(db), "%s/lbengine-bench-%d.db", dir, getpid());
	cfg.db_path = db;
	lbe_open(&cfg, &e, &err);
	lbe_apply_yaml(e, "pools", pools, strlen(pools), NULL);
	t0 = now();
	w0 = wall();
	if (lbe_apply_yaml(e, "svc", svc, strlen(svc), NULL))
		return 1;
	t_db = now() - t0;
	w_db = wall() - w0;
	d1 = lbe_dump(e);
	lbe_close(e);
	printf("sqlite:      apply in one transaction %.3f s (wall %.3f s)\n",
	       t_db, w_db);

	t0 = now();
	w0 = wall();
	if (lbe_open(&cfg, &e, &err)) {
		fprintf(stderr, "reopen: %s\n", err);
		return 1;
	}
	t_open = now() - t0;
	w_open = wall() - w0;
	d2 = lbe_dump(e);
	printf("restart:     reopen and rebuild %.3f s (wall %.3f s), state %s\n",
	       t_open, w_open,
	       strcmp(d1, d2) ? "DIFFERS" : "identical to before the restart");
	free(d1);
	free(d2);

	free(svc);
	svc = services(1000, 1);
	t0 = now();
	w0 = wall();
	for (i = 0; i < 1000; i++) {
		char *one = strstr(svc + 1, "---");
		char *start = svc;
		size_t k;

		/* Apply the i-th document on its own: one transaction each. */
		for (k = 0; k < i && start; k++)
			start = strstr(start + 3, "---");
		if (!start)
			break;
		one = strstr(start + 3, "---");
		lbe_apply_yaml(e, "one", start,
				     one ? (size_t)(one - start) : strlen(start),
				     NULL);
	}
	t_inc = now() - t0;
	printf("incremental: 1000 single-service applies on top of %d: %.2f ms CPU, "
	       "%.2f ms wall each (one fsync'd SQLite transaction each)\n", n,
	       t_inc, wall() - w0);
	lbe_close(e);
	printf("peak RSS:    %ld MB\n", rss_mb());
	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
	free(svc);
	return 0;
}
