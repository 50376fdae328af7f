// SPDX-License-Identifier: GPL-2.0
/*
 * Status as Kubernetes writes it: condition transition times and
 * observedGeneration, generation and resourceVersion, their survival
 * across a restart and a schema migration, and the event list.
 */
#include "helpers.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC 1000000000LL
#define T0 (1767225600LL * SEC)		/* 2026-01-01T00:00:00Z */

/* The clock the engine reads: tests move it instead of sleeping. */
static int64_t now_ns = T0;

static int64_t test_clock(void *arg)
{
	return now_ns;
}

static char db[128];

static void rmdb(void)
{
	char p[160];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
}

static struct lb_engine *open_at(const char *path, size_t max_events)
{
	struct lb_engine_config c = { .clock = test_clock,
				      .max_events = max_events };

	return eng_open(path, &c);
}

/* What one condition (or an object's metadata) said when asked. */
struct seen {
	const char *type;
	bool found;
	char status[16];
	int64_t ltt;
	uint64_t obs_gen;
	uint64_t gen;
	uint64_t rv;
};

static int svc_cb(const struct lb_service_info *s, void *arg)
{
	struct seen *w = arg;

	w->gen = s->generation;
	w->rv = s->resource_version;
	w->found = s->has_condition;
	if (s->has_condition) {
		snprintf(w->status, sizeof(w->status), "%s", s->condition.status);
		w->ltt = s->condition.last_transition;
		w->obs_gen = s->condition.observed_generation;
	}
	return 0;
}

static struct seen svc(struct lb_engine *e, const char *name)
{
	struct seen w = { 0 };

	if (lbe_get_service(e, "default", name, svc_cb, &w))
		w.status[0] = '?';
	return w;
}

static int pool_cb(const struct lb_pool_info *p, void *arg)
{
	struct seen *w = arg;
	size_t i;

	w->gen = p->generation;
	w->rv = p->resource_version;
	for (i = 0; i < p->n_conditions; i++) {
		if (strcmp(p->conditions[i].type, w->type))
			continue;
		w->found = true;
		snprintf(w->status, sizeof(w->status), "%s",
			 p->conditions[i].status);
		w->ltt = p->conditions[i].last_transition;
		w->obs_gen = p->conditions[i].observed_generation;
	}
	return 0;
}

static struct seen pool(struct lb_engine *e, const char *name,
			const char *type)
{
	struct seen w = { .type = type };

	lbe_get_pool(e, name, pool_cb, &w);
	return w;
}

static const char *SVC_A = "apiVersion: v1\nkind: Service\n"
	"metadata: {name: a, namespace: default, labels: {app: a}}\n"
	"spec: {type: LoadBalancer, ports: [{port: 80}]}\n";
/* The same object, keys in another order and a comment: same spec. */
static const char *SVC_A_REORDERED = "# again\napiVersion: v1\nkind: Service\n"
	"metadata: {namespace: default, name: a, labels: {app: a}}\n"
	"spec: {ports: [{port: 80}], type: LoadBalancer}\n";
static const char *SVC_A_LABEL = "apiVersion: v1\nkind: Service\n"
	"metadata: {name: a, namespace: default, labels: {app: b}}\n"
	"spec: {type: LoadBalancer, ports: [{port: 80}]}\n";
static const char *SVC_A_STATUS = "apiVersion: v1\nkind: Service\n"
	"metadata: {name: a, namespace: default, labels: {app: b}}\n"
	"spec: {type: LoadBalancer, ports: [{port: 80}]}\n"
	"status: {loadBalancer: {ingress: [{ip: 10.0.0.9}]}}\n";
static const char *SVC_A_PORT = "apiVersion: v1\nkind: Service\n"
	"metadata: {name: a, namespace: default, labels: {app: b}}\n"
	"spec: {type: LoadBalancer, ports: [{port: 81}]}\n";

static void transitions(void)
{
	struct lb_engine *e;
	struct seen a, b;

	now_ns = T0;
	e = open_at(NULL, 0);
	/* No pool yet: LB-IPAM is dormant and reports nothing. */
	apply(e, SVC_A);
	ok(!svc(e, "a").found, "no condition while no pool exists");
	now_ns += 10 * SEC;
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", NULL));
	a = svc(e, "a");
	ok(a.found && !strcmp(a.status, "True") && a.ltt == T0 / SEC + 10,
	   "a pool arrives: True, lastTransitionTime now (%s %lld)", a.status,
	   (long long)a.ltt);
	ok(a.obs_gen == 1 && a.gen == 1, "observedGeneration = generation = 1");

	now_ns += 10 * SEC;
	apply(e, SVC_A);
	b = svc(e, "a");
	ok(b.ltt == a.ltt && b.rv == a.rv && b.gen == 1,
	   "identical re-apply: same time, resourceVersion and generation");
	apply(e, SVC_A_REORDERED);
	b = svc(e, "a");
	ok(b.gen == 1 && b.ltt == a.ltt,
	   "re-ordered keys and a comment: generation stays 1 (%llu)",
	   (unsigned long long)b.gen);
	ok(b.rv != a.rv, "... but the object changed: new resourceVersion");
	ok(lbe_resource_version(e, LB_KIND_SERVICE, "default", "a") == b.rv,
	   "lbe_resource_version agrees with the Service's view");

	now_ns += 10 * SEC;
	apply(e, SVC_A_LABEL);
	b = svc(e, "a");
	ok(b.gen == 1, "a label edit is metadata: generation stays 1");
	apply(e, SVC_A_STATUS);
	b = svc(e, "a");
	ok(b.gen == 1, "a status-only edit: generation stays 1");
	apply(e, SVC_A_PORT);
	b = svc(e, "a");
	ok(b.gen == 2 && b.obs_gen == 2,
	   "a spec edit bumps generation and observedGeneration (%llu %llu)",
	   (unsigned long long)b.gen, (unsigned long long)b.obs_gen);
	ok(b.ltt == a.ltt, "... status still True: lastTransitionTime kept");

	/* Reconciles caused by others leave it alone too. */
	now_ns += 10 * SEC;
	apply(e, svc_yaml("default", "other", NULL, NULL, NULL));
	apply(e, pool_yaml("q", "[{cidr: 10.1.0.0/30}]", NULL));
	ok(svc(e, "a").ltt == a.ltt, "other objects' reconciles keep it");

	/* Status flips: the pool goes, then comes back. */
	now_ns += 100 * SEC;
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]",
			   "  serviceSelector: {matchLabels: {app: none}}\n"));
	del_pool(e, "q");
	b = svc(e, "a");
	ok(!strcmp(b.status, "False") && b.ltt == a.ltt + 130,
	   "flip to False: lastTransitionTime moves (%s +%lld)", b.status,
	   (long long)(b.ltt - a.ltt));
	now_ns += 5 * SEC;
	apply(e, svc_yaml("default", "third", NULL, NULL, NULL));
	ok(svc(e, "a").ltt == b.ltt, "still False: kept");
	now_ns += 5 * SEC;
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", NULL));
	a = svc(e, "a");
	ok(!strcmp(a.status, "True") && a.ltt == b.ltt + 10,
	   "back to True: moves again");
	lbe_close(e);
}

/* Objects without conditions: only generation and resourceVersion. */
static const char *EPS = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {name: a-1, namespace: default, labels: {kubernetes.io/service-name: a%s}}\n"
	"addressType: IPv4\nendpoints: [{addresses: [%s]}]\n";

static int node_gen_cb(const struct lb_node_info *n, void *arg)
{
	uint64_t *v = arg;

	v[0] = n->generation;
	v[1] = n->resource_version;
	return 0;
}

static void plain_objects(void)
{
	struct lb_engine *e = open_at(NULL, 0);
	uint64_t rv1, rv2, rv3, n1[2], n2[2];
	char buf[512];

	snprintf(buf, sizeof(buf), EPS, "", "10.244.0.5");
	apply(e, buf);
	rv1 = lbe_resource_version(e, LB_KIND_ENDPOINTSLICE, "default", "a-1");
	apply(e, buf);
	ok(rv1 && lbe_resource_version(e, LB_KIND_ENDPOINTSLICE, "default", "a-1") == rv1,
	   "EndpointSlice: identical re-apply keeps its resourceVersion");
	snprintf(buf, sizeof(buf), EPS, ", x: y", "10.244.0.5");
	apply(e, buf);
	rv2 = lbe_resource_version(e, LB_KIND_ENDPOINTSLICE, "default", "a-1");
	snprintf(buf, sizeof(buf), EPS, ", x: y", "10.244.0.6");
	apply(e, buf);
	rv3 = lbe_resource_version(e, LB_KIND_ENDPOINTSLICE, "default", "a-1");
	ok(rv2 > rv1 && rv3 > rv2, "... a label edit and an endpoint edit each move it");
	apply(e, "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {a: b}}\n");
	lbe_get_node(e, "n1", node_gen_cb, n1);
	apply(e, "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {a: c}}\n");
	lbe_get_node(e, "n1", node_gen_cb, n2);
	ok(n1[0] == 1 && n2[0] == 1 && n2[1] > n1[1],
	   "Node: a label edit keeps generation 1, moves resourceVersion");
	ok(!lbe_resource_version(e, LB_KIND_NODE, NULL, "nope"),
	   "no such object: resourceVersion 0");
	lbe_close(e);
}

static void pool_conditions(void)
{
	struct lb_engine *e;
	struct seen c1, c2, u1, u2;

	now_ns = T0;
	e = open_at(NULL, 0);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/29}]", NULL));
	c1 = pool(e, "p", "cilium.io/PoolConflict");
	u1 = pool(e, "p", "cilium.io/IPsUsed");
	ok(c1.found && !strcmp(c1.status, "False") && c1.ltt == T0 / SEC,
	   "new pool: PoolConflict False since now");
	now_ns += 60 * SEC;
	apply(e, svc_yaml("default", "s", NULL, NULL, NULL));
	u2 = pool(e, "p", "cilium.io/IPsUsed");
	ok(u2.ltt == u1.ltt, "IPsUsed message moved, status did not: time kept");
	ok(u2.rv != u1.rv, "... and the pool's resourceVersion moved");
	now_ns += 60 * SEC;
	apply(e, pool_yaml("z", "[{cidr: 10.0.0.0/29}]", NULL));
	c2 = pool(e, "z", "cilium.io/PoolConflict");
	ok(!strcmp(c2.status, "True") && c2.ltt == T0 / SEC + 120,
	   "the newer overlapping pool conflicts, since now");
	now_ns += 60 * SEC;
	apply(e, pool_yaml("z", "[{cidr: 10.9.0.0/29}]", NULL));
	c2 = pool(e, "z", "cilium.io/PoolConflict");
	ok(!strcmp(c2.status, "False") && c2.ltt == T0 / SEC + 180 &&
	   c2.obs_gen == 2, "resolved: False since now, observedGeneration 2");
	ok(pool(e, "p", "cilium.io/PoolConflict").ltt == c1.ltt,
	   "the other pool's condition kept its time");
	lbe_close(e);
}

/* A version 1 database, as the previous release wrote it. */
static void write_v1_db(void)
{
	static const char *const sql =
		"CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
		"CREATE TABLE objects(kind INTEGER NOT NULL, key TEXT NOT NULL,"
		" created INTEGER NOT NULL, generation INTEGER NOT NULL,"
		" doc TEXT NOT NULL, PRIMARY KEY(kind, key));"
		"CREATE TABLE holdings(svc TEXT NOT NULL, idx INTEGER NOT NULL,"
		" ip TEXT NOT NULL, PRIMARY KEY(svc, idx));"
		"CREATE TABLE svc_state(svc TEXT PRIMARY KEY,"
		" revoked INTEGER NOT NULL);"
		"CREATE TABLE pool_state(pool TEXT PRIMARY KEY,"
		" conflicting INTEGER NOT NULL, message TEXT NOT NULL);"
		"INSERT INTO meta VALUES ('schema', 1), ('last_stamp', 5);"
		"INSERT INTO objects VALUES (0, 'p', 1, 3,"
		" 'apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
		"metadata: {name: p}\nspec: {blocks: [{cidr: 10.0.0.0/30}]}\n');"
		"INSERT INTO objects VALUES (1, 'default/a', 2, 4,"
		" 'apiVersion: v1\nkind: Service\n"
		"metadata: {name: a, namespace: default}\n"
		"spec: {type: LoadBalancer, ports: [{port: 80}]}\n');"
		"INSERT INTO holdings VALUES ('default/a', 0, '10.0.0.2');"
		"INSERT INTO pool_state VALUES ('p', 0, '');";
	sqlite3 *h;
	char *err = NULL;

	ok(sqlite3_open(db, &h) == SQLITE_OK &&
	   sqlite3_exec(h, sql, NULL, NULL, &err) == SQLITE_OK,
	   "wrote a schema 1 database%s%s", err ? ": " : "", err ? err : "");
	sqlite3_free(err);
	sqlite3_close(h);
}

static void persistence(void)
{
	struct seen a, b, p1, p2;
	struct lb_engine *e;
	uint64_t rv;

	snprintf(db, sizeof(db), "/tmp/lbengine-status-%d.db", getpid());
	rmdb();
	now_ns = T0;
	e = open_at(db, 0);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, SVC_A);
	apply(e, SVC_A_PORT);
	a = svc(e, "a");
	p1 = pool(e, "p", "cilium.io/PoolConflict");
	lbe_close(e);

	now_ns += 3600 * SEC;
	e = open_at(db, 0);
	b = svc(e, "a");
	p2 = pool(e, "p", "cilium.io/PoolConflict");
	ok(b.ltt == a.ltt && b.obs_gen == a.obs_gen && b.gen == 2 &&
	   b.rv == a.rv, "restart: the Service's time, generations and resourceVersion survive");
	ok(p2.ltt == p1.ltt && p2.rv == p1.rv, "restart: the pool's too");
	apply(e, SVC_A);
	rv = svc(e, "a").rv;
	ok(rv > a.rv && rv > p1.rv,
	   "resourceVersions keep counting up after a restart (%llu)",
	   (unsigned long long)rv);
	lbe_close(e);
	rmdb();

	/* An old database opens, keeps its data and gains the new fields. */
	write_v1_db();
	now_ns = T0;
	e = open_at(db, 0);
	a = svc(e, "a");
	p1 = pool(e, "p", "cilium.io/PoolConflict");
	is(ips(e, "default", "a"), "10.0.0.2", "schema 1: holdings kept");
	ok(a.gen == 4 && p1.gen == 3, "schema 1: generations kept");
	ok(a.rv && p1.rv && a.rv != p1.rv && a.ltt == T0 / SEC,
	   "schema 1: resourceVersions and transition times assigned");
	lbe_close(e);
	now_ns += 60 * SEC;
	e = open_at(db, 0);
	b = svc(e, "a");
	ok(b.rv == a.rv && b.ltt == a.ltt,
	   "schema 1: ... and written back by the migration");
	lbe_close(e);
	rmdb();
}

struct ev_seen {
	char text[4096];
	size_t n;
};

static int ev_cb(const struct lb_event_info *ev, void *arg)
{
	struct ev_seen *w = arg;
	size_t len = strlen(w->text);

	snprintf(w->text + len, sizeof(w->text) - len,
		 "%s %s %s/%s/%s x%llu %lld-%lld: %s\n", ev->type, ev->reason,
		 lb_kind_name(ev->kind), ev->ns, ev->name,
		 (unsigned long long)ev->count,
		 (long long)((ev->first - T0) / SEC),
		 (long long)((ev->last - T0) / SEC), ev->message);
	w->n++;
	return 0;
}

static struct ev_seen events(struct lb_engine *e)
{
	struct ev_seen w = { .text = "" };

	lbe_foreach_event(e, ev_cb, &w);
	return w;
}

static void event_list(void)
{
	struct lb_engine *e;
	struct ev_seen w;

	now_ns = T0;
	e = open_at(NULL, 0);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, SVC_A);
	now_ns += 10 * SEC;
	del_svc(e, "default", "a");
	now_ns += 10 * SEC;
	apply(e, SVC_A);
	w = events(e);
	ok(strstr(w.text, "Normal IPReleased Service/default/a x1 10-10: Released IP 10.0.0.0 (reason: service deleted)\n"
			  "Normal IPAllocated Service/default/a x2 0-20: Allocated IP 10.0.0.0 (pool: p)\n") != NULL,
	   "allocation and release recorded; the repeat folds in (x2, first and last)");
	apply(e, pool_yaml("z", "[{cidr: 10.0.0.0/30}]", NULL));
	apply(e, svc_yaml("default", "b", NULL, NULL,
			  "  loadBalancerIP: 10.0.0.0\n"));
	apply(e, pool_yaml("z", "[{cidr: 10.0.0.0/30}, {cidr: 10.0.0.0/33}]", NULL));
	w = events(e);
	ok(strstr(w.text, "Warning PoolConflict CiliumLoadBalancerIPPool//z x1 20-20: Pool conflicts since range") != NULL,
	   "a conflict is a Warning on the pool, recorded once");
	ok(strstr(w.text, "Warning InvalidBlocks CiliumLoadBalancerIPPool//z x1 20-20: blocks[1]") != NULL,
	   "an unusable block is a Warning");
	ok(strstr(w.text, "Warning AllocationFailed Service/default/b x1 20-20: The IP '10.0.0.0' is already allocated") != NULL,
	   "a failed allocation is a Warning on the Service");
	apply(e, "apiVersion: v1\nkind: Service\nmetadata: {name: h, namespace: default}\n"
		 "spec: {type: LoadBalancer, ports: [{port: 80}]}\n"
		 "status: {loadBalancer: {ingress: [{ip: 10.0.0.3}]}}\n");
	w = events(e);
	ok(strstr(w.text, "Normal IPAllocated Service/default/h x1 20-20: Imported IP from service status: 10.0.0.3 (pool: p)\n") != NULL,
	   "an IP taken back from the Service's status is an allocation too");
	apply(e, pool_yaml("z", "[{cidr: 10.5.0.0/30}]", NULL));
	w = events(e);
	ok(strstr(w.text, "Normal PoolConflictResolved CiliumLoadBalancerIPPool//z") != NULL,
	   "the conflict's end is recorded");
	apply(e, "apiVersion: cilium.io/v2alpha1\nkind: CiliumL2AnnouncementPolicy\n"
		 "metadata: {name: pol}\nspec: {interfaces: [\"eth(\"]}\n");
	w = events(e);
	ok(strstr(w.text, "Warning InvalidPolicy CiliumL2AnnouncementPolicy//pol x1 20-20: io.cilium/bad-interface-regex: ") != NULL,
	   "an L2 policy Cilium cannot use is a Warning");
	lbe_close(e);

	/* Bounded: the least recently seen go first. */
	e = open_at(NULL, 3);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/28}]", NULL));
	apply(e, svc_yaml("default", "s1", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "s2", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "s3", NULL, NULL, NULL));
	apply(e, svc_yaml("default", "s4", NULL, NULL, NULL));
	w = events(e);
	ok(w.n == 3 && !strstr(w.text, "/s1 ") && strstr(w.text, "/s4 "),
	   "a limit of 3 keeps the last 3 (%zu)", w.n);
	lbe_close(e);
}

int main(void)
{
	transitions();
	plain_objects();
	pool_conditions();
	persistence();
	event_list();
	return done_testing();
}
