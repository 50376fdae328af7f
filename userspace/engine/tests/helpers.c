// SPDX-License-Identifier: GPL-2.0
/* TAP helpers and engine fixtures shared by the engine's test programs. */
#include "helpers.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The default 256 MB ASan quarantine keeps handing out fresh pages, and
 * page faults then dominate the run time of the longer tests.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=8";
}

static int tap_n, tap_fail;
static char *logbuf;
static size_t loglen, logcap;

void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_fail++;
	fflush(stdout);
}

void is(const char *got, const char *want, const char *fmt, ...)
{
	bool c = got && want && !strcmp(got, want);
	va_list ap;

	tap_n++;
	printf("%sok %d - ", c ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!c) {
		tap_fail++;
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	}
	fflush(stdout);
}

void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	free(logbuf);
	logbuf = NULL;
	loglen = logcap = 0;
	return tap_fail ? 1 : 0;
}

static void capture(void *arg, enum lb_log_level lvl, const char *line)
{
	size_t n = strlen(line);

	if (loglen + n + 2 > logcap) {
		while (loglen + n + 2 > logcap)
			logcap = logcap ? logcap * 2 : 65536;
		logbuf = realloc(logbuf, logcap);
		if (!logbuf)
			abort();
	}
	memcpy(logbuf + loglen, line, n);
	loglen += n;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = '\0';
}

const char *logs(void)
{
	return logbuf ? logbuf : "";
}

void logs_reset(void)
{
	loglen = 0;
	if (logbuf)
		logbuf[0] = '\0';
}

bool logs_have(const char *needle)
{
	return strstr(logs(), needle) != NULL;
}

/* Frozen at 2020-01-01: arrival order then comes from the engine alone. */
static int64_t zero_clock(void *arg)
{
	return 1577836800LL * 1000000000LL;
}

struct lb_engine *eng_open(const char *db, const struct lb_engine_config *c)
{
	struct lb_engine_config cfg = { 0 };
	struct lb_engine *e;
	char *err = NULL;

	if (c)
		cfg = *c;
	cfg.db_path = db;
	if (!cfg.clock)
		cfg.clock = zero_clock;
	cfg.log = capture;
	cfg.log_level = LB_LOG_DEBUG;
	if (lbe_open(&cfg, &e, &err)) {
		diag("open failed: %s", err ? err : "?");
		free(err);
		exit(2);
	}
	return e;
}

struct lb_engine *eng_new(void)
{
	return eng_open(NULL, NULL);
}

static char rot[16][8192];
static int rot_i;

static char *next_buf(void)
{
	rot_i = (rot_i + 1) % 16;
	rot[rot_i][0] = '\0';
	return rot[rot_i];
}

int apply(struct lb_engine *e, const char *yaml)
{
	struct lb_diags d = { 0 };
	size_t i;
	int rc;

	rc = lbe_apply_yaml(e, "test.yaml", yaml, strlen(yaml), &d);
	for (i = 0; i < d.n; i++) {
		char *m = lbe_diag_str(&d.items[i]);

		diag("diag: %s", m);
		free(m);
	}
	lbe_diags_free(&d);
	return rc;
}

const char *apply_err(struct lb_engine *e, const char *yaml)
{
	struct lb_diags d = { 0 };
	char *out = next_buf();
	int rc;

	rc = lbe_apply_yaml(e, "test.yaml", yaml, strlen(yaml), &d);
	if (d.n) {
		char *m = lbe_diag_str(&d.items[0]);

		snprintf(out, 8192, "%s", m);
		free(m);
	} else {
		snprintf(out, 8192, "rc=%d", rc);
	}
	lbe_diags_free(&d);
	return out;
}

int del_svc(struct lb_engine *e, const char *ns, const char *name)
{
	return lbe_delete(e, LB_KIND_SERVICE, ns, name);
}

int del_pool(struct lb_engine *e, const char *name)
{
	return lbe_delete(e, LB_KIND_POOL, NULL, name);
}

static int ips_cb(const struct lb_service_info *s, void *arg)
{
	char *out = arg;
	size_t i;

	for (i = 0; i < s->n_ips; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, s->ips[i]);
	}
	return 0;
}

const char *ips(struct lb_engine *e, const char *ns, const char *name)
{
	char *out = next_buf();

	if (lbe_get_service(e, ns, name, ips_cb, out))
		strcpy(out, "absent");
	return out;
}

static int cond_cb(const struct lb_service_info *s, void *arg)
{
	char *out = arg;

	if (!s->has_condition)
		strcpy(out, "none");
	else
		snprintf(out, 8192, "%s/%s/%s", s->condition.status,
			 s->condition.reason, s->condition.message);
	return 0;
}

const char *cond(struct lb_engine *e, const char *ns, const char *name)
{
	char *out = next_buf();

	if (lbe_get_service(e, ns, name, cond_cb, out))
		strcpy(out, "absent");
	return out;
}

static int reason_cb(const struct lb_service_info *s, void *arg)
{
	char *out = arg;

	strcpy(out, s->has_condition ? s->condition.reason : "none");
	return 0;
}

const char *reason(struct lb_engine *e, const char *ns, const char *name)
{
	char *out = next_buf();

	if (lbe_get_service(e, ns, name, reason_cb, out))
		strcpy(out, "absent");
	return out;
}

struct pc_arg {
	const char *type;
	char *out;
	int fam;
	const char *which;
};

static int pool_cond_cb(const struct lb_pool_info *p, void *arg)
{
	struct pc_arg *a = arg;
	size_t i;

	for (i = 0; i < p->n_conditions; i++)
		if (!strcmp(p->conditions[i].type, a->type))
			snprintf(a->out, 8192, "%s/%s/%s",
				 p->conditions[i].status,
				 p->conditions[i].reason,
				 p->conditions[i].message);
	return 0;
}

const char *pool_cond(struct lb_engine *e, const char *pool, const char *type)
{
	struct pc_arg a = { .type = type, .out = next_buf() };

	if (lbe_get_pool(e, pool, pool_cond_cb, &a))
		strcpy(a.out, "absent");
	return a.out;
}

static int pool_count_cb(const struct lb_pool_info *p, void *arg)
{
	struct pc_arg *a = arg;
	const struct lb_counts *c = a->fam == 4 ? &p->v4 :
				    a->fam == 6 ? &p->v6 : &p->all;

	if (!strcmp(a->which, "total"))
		strcpy(a->out, c->total);
	else if (!strcmp(a->which, "used"))
		strcpy(a->out, c->used);
	else if (!strcmp(a->which, "available"))
		strcpy(a->out, c->available);
	else
		strcpy(a->out, c->reserved);
	return 0;
}

const char *pool_count(struct lb_engine *e, const char *pool, int fam,
		       const char *which)
{
	struct pc_arg a = { .out = next_buf(), .fam = fam, .which = which };

	if (lbe_get_pool(e, pool, pool_count_cb, &a))
		strcpy(a.out, "absent");
	return a.out;
}

static int pool_ips_cb(const struct lb_ip_info *ii, void *arg)
{
	char *out = arg;
	size_t i;

	if (*out)
		strcat(out, " ");
	strcat(out, ii->ip);
	strcat(out, "=");
	if (ii->owner == LB_OWNER_RESERVED_FIRST_LAST)
		strcat(out, "(first-last)");
	else if (ii->owner == LB_OWNER_RESERVED)
		strcat(out, "(reserved)");
	for (i = 0; i < ii->n_holders; i++) {
		if (i)
			strcat(out, "+");
		strcat(out, ii->holders[i]);
	}
	if (ii->sharing_key) {
		strcat(out, "[");
		strcat(out, ii->sharing_key);
		strcat(out, "]");
	}
	return 0;
}

const char *pool_ips(struct lb_engine *e, const char *pool)
{
	char *out = next_buf();

	if (lbe_foreach_pool_ip(e, pool, pool_ips_cb, out))
		strcpy(out, "absent");
	return out;
}

const char *pool_yaml(const char *name, const char *blocks, const char *extra)
{
	char *out = next_buf();

	snprintf(out, 8192,
		 "apiVersion: cilium.io/v2\n"
		 "kind: CiliumLoadBalancerIPPool\n"
		 "metadata:\n"
		 "  name: %s\n"
		 "spec:\n"
		 "  blocks: %s\n"
		 "%s",
		 name, blocks, extra ? extra : "");
	return out;
}

const char *svc_yaml(const char *ns, const char *name, const char *labels,
		     const char *annotations, const char *spec_extra)
{
	char *out = next_buf();

	snprintf(out, 8192,
		 "apiVersion: v1\n"
		 "kind: Service\n"
		 "metadata:\n"
		 "  name: %s\n"
		 "  namespace: %s\n"
		 "  labels: {%s}\n"
		 "  annotations: {%s}\n"
		 "spec:\n"
		 "  type: LoadBalancer\n"
		 "  ports: [{port: 80, protocol: TCP}]\n"
		 "%s",
		 name, ns, labels ? labels : "", annotations ? annotations : "",
		 spec_extra ? spec_extra : "");
	return out;
}

const char *web_slice(const char *node, bool ready)
{
	char *out = next_buf();

	snprintf(out, 8192,
		 "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		 "metadata:\n  name: web-x\n"
		 "  labels: {kubernetes.io/service-name: web}\n"
		 "addressType: IPv4\nendpoints:\n"
		 "- addresses: [10.1.0.1]\n  nodeName: %s\n"
		 "  conditions: {ready: %s}\n", node, ready ? "true" : "false");
	return out;
}

unsigned gen_rand(unsigned *seed)
{
	/* xorshift32: tiny, deterministic, good enough to shuffle tests. */
	unsigned x = *seed ? *seed : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seed = x;
	return x;
}

#define PICK(seed, arr) (arr[gen_rand(seed) % (sizeof(arr) / sizeof(arr[0]))])

static void gen_pool(unsigned *seed, struct gen_op *op)
{
	static const char *const blocks[] = {
		"{cidr: 10.0.0.0/29}", "{cidr: 10.0.0.8/29}", "{cidr: 10.0.1.0/30}",
		"{start: 10.0.0.4, stop: 10.0.0.12}", "{start: 10.0.2.1}",
		"{cidr: \"fd00::/126\"}", "{cidr: \"fd00::8/125\"}",
		"{start: \"fd00::2\", stop: \"fd00::9\"}", "{cidr: 10.0.3.0/31}",
		"{start: 10.0.4.9, stop: 10.0.4.1}", "{cidr: bogus}",
	};
	static const char *const sels[] = {
		"", "", "  serviceSelector: {matchLabels: {color: red}}\n",
		"  serviceSelector: {matchLabels: {color: blue}}\n",
		"  serviceSelector: {matchExpressions: [{key: color, operator: In, values: [red, blue]}]}\n",
		"  serviceSelector: {matchExpressions: [{key: io.kubernetes.service.namespace, operator: NotIn, values: [ns1]}]}\n",
	};
	static const char *const extras[] = {
		"", "", "", "  disabled: true\n", "  allowFirstLastIPs: \"No\"\n",
		"  priority: 5\n", "  reserved: [\"10.0.0.3\", \"fd00::1\"]\n",
	};
	char b[512] = "[";
	int n = 1 + gen_rand(seed) % 3, i;

	for (i = 0; i < n; i++) {
		if (i)
			strcat(b, ", ");
		strcat(b, PICK(seed, blocks));
	}
	strcat(b, "]");
	snprintf(op->name, sizeof(op->name), "p%u", gen_rand(seed) % 4);
	snprintf(op->text, sizeof(op->text),
		 "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\n"
		 "metadata: {name: %s}\nspec:\n  blocks: %s\n%s%s",
		 op->name, b, PICK(seed, sels), PICK(seed, extras));
}

static void gen_svc(unsigned *seed, struct gen_op *op)
{
	static const char *const labels[] = { "", "color: red", "color: blue" };
	static const char *const anns[] = {
		"", "", "", "\"lbipam.cilium.io/sharing-key\": k0",
		"\"lbipam.cilium.io/sharing-key\": k1",
		"\"lbipam.cilium.io/sharing-key\": k0, \"lbipam.cilium.io/sharing-cross-namespace\": \"*\"",
		"\"lbipam.cilium.io/ips\": \"10.0.0.5\"",
		"\"lbipam.cilium.io/ips\": \"10.0.0.9, fd00::3\", \"lbipam.cilium.io/sharing-key\": k0",
		"\"lbipam.cilium.io/ips\": \"10.0.2.1\"",
		"\"lbipam.io/pool\": p1", "\"lbipam.io/pool\": \"p3, p0\"",
	};
	static const char *const specs[] = {
		"", "", "  ports: [{port: 53, protocol: UDP}]\n",
		"  ports: [{port: 443}]\n",
		"  ipFamilyPolicy: PreferDualStack\n",
		"  ipFamilies: [IPv6]\n",
		"  externalTrafficPolicy: Local\n  selector: {app: x}\n",
		"  type: ClusterIP\n", "  loadBalancerClass: other\n",
		"  ipFamilyPolicy: RequireDualStack\n  ports: [{port: 8080}]\n",
	};

	snprintf(op->ns, sizeof(op->ns), "ns%u", gen_rand(seed) % 2);
	snprintf(op->name, sizeof(op->name), "s%u", gen_rand(seed) % 16);
	snprintf(op->text, sizeof(op->text), "%s",
		 svc_yaml(op->ns, op->name, PICK(seed, labels),
			  PICK(seed, anns), PICK(seed, specs)));
}

void gen_op(unsigned *seed, struct gen_op *op)
{
	unsigned r = gen_rand(seed) % 100;

	memset(op, 0, sizeof(*op));
	if (r < 50) {
		op->type = GEN_APPLY;
		gen_svc(seed, op);
	} else if (r < 70) {
		op->type = GEN_APPLY;
		gen_pool(seed, op);
	} else if (r < 83) {
		op->type = GEN_DEL_SVC;
		snprintf(op->ns, sizeof(op->ns), "ns%u", gen_rand(seed) % 2);
		snprintf(op->name, sizeof(op->name), "s%u",
			 gen_rand(seed) % 16);
	} else if (r < 90) {
		op->type = GEN_DEL_POOL;
		snprintf(op->name, sizeof(op->name), "p%u",
			 gen_rand(seed) % 4);
	} else if (r < 95) {
		/* A valid service and a broken pool in one call. */
		op->type = GEN_BAD;
		gen_svc(seed, op);
		strcat(op->text, "---\napiVersion: cilium.io/v2\n"
		       "kind: CiliumLoadBalancerIPPool\nmetadata: {name: p0}\n"
		       "spec: {disabled: perhaps}\n");
	} else {
		struct gen_op p;

		/* Two objects in one call share a creation time. */
		op->type = GEN_APPLY;
		gen_svc(seed, op);
		gen_pool(seed, &p);
		strcat(op->text, "---\n");
		strcat(op->text, p.text);
	}
}

int gen_run(struct lb_engine *e, const struct gen_op *op)
{
	switch (op->type) {
	case GEN_APPLY:
	case GEN_BAD:
		return lbe_apply_yaml(e, "gen.yaml", op->text,
					    strlen(op->text), NULL);
	case GEN_DEL_SVC:
		return lbe_delete(e, LB_KIND_SERVICE, op->ns, op->name);
	case GEN_DEL_POOL:
		return lbe_delete(e, LB_KIND_POOL, NULL, op->name);
	}
	return -1;
}
