// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl's one print path for services, backends, L2 announcements and
 * monitor events: the
 * text and the JSON that lbctl(8) documents, from the same calls.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/lb_nl_l2.h"
#include "lbctl.h"

static int fails, n;

/* lbctl_err() lives in main.c, which has main(). */
void lbctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* What the printer wrote to stdout, in captured[]. */
static char captured[8192];
static int saved_fd = -1;
static FILE *cap;

static void capture_begin(void)
{
	fflush(stdout);
	cap = tmpfile();
	saved_fd = dup(STDOUT_FILENO);
	if (!cap || saved_fd < 0 || dup2(fileno(cap), STDOUT_FILENO) < 0) {
		perror("capture");
		exit(1);
	}
}

static const char *capture_end(void)
{
	size_t len;

	fflush(stdout);
	dup2(saved_fd, STDOUT_FILENO);
	close(saved_fd);
	rewind(cap);
	len = fread(captured, 1, sizeof(captured) - 1, cap);
	captured[len] = '\0';
	fclose(cap);
	return captured;
}

static void expect(const char *what, const char *got, const char *want)
{
	n++;
	if (!strcmp(got, want)) {
		printf("ok %d - %s\n", n, what);
		return;
	}
	fails++;
	printf("not ok %d - %s\n# want: %s# got:  %s", n, what, want, got);
}

static void key(struct lb_service_key *k, const char *s)
{
	char err[128];

	if (lb_parse_service(s, k, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
}

static void be(struct lb_backend *b, const char *ep, uint16_t weight,
	       uint8_t state, uint32_t flags, uint64_t conns)
{
	char err[128];

	lb_backend_default(b);
	if (lb_parse_endpoint(ep, &b->ep, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	b->weight = weight;
	b->state = state;
	b->flags = flags;
	b->stats.conns = conns;
}

/* A service as a dump returns it: options, counters, two backends. */
static void service(struct lb_svc_reply *r, struct lb_backend *bes)
{
	/* The test's reply is never freed: its sets are static. */
	static struct lb_cidr range, cluster;
	char err[128];

	memset(r, 0, sizeof(*r));
	r->cmd = LBIPAM_CMD_SERVICE_GET;
	r->has_service = r->has_opts = 1;
	key(&r->key, "192.0.2.1:80/tcp");
	lb_svc_opts_default(&r->opts);
	r->opts.sched = LBIPAM_SCHED_RANDOM;
	r->opts.affinity = 10;
	r->opts.flags = LBIPAM_SVC_F_MASQUERADE;
	if (lb_cidr_parse("10.0.0.0/8", LB_CIDR_HOST, &range, NULL, err,
			  sizeof(err)))
		exit(1);
	r->opts.ranges = (struct lb_cidr_set){ .n = 1, .v = &range };
	if (lb_cidr_parse("10.244.0.0/16", LB_CIDR_HOST, &cluster, NULL, err,
			  sizeof(err)))
		exit(1);
	r->opts.cluster = (struct lb_cidr_set){ .n = 1, .v = &cluster };
	r->stats.conns = 5;
	r->stats.rejects = 1;
	r->stats.drops = 2;
	r->stats.has_tracked = 1;
	r->stats.tracked = 3;
	be(&bes[0], "10.0.0.1:8080", 1, LBIPAM_BE_ACTIVE, 0, 4);
	be(&bes[1], "10.0.0.2:8080", 3, LBIPAM_BE_TERMINATING,
	   LBIPAM_BE_F_LOCAL, 1);
	r->backends = bes;
	r->nbackends = 2;
}

static const char *list(const struct lb_svc_reply *r, enum lbctl_show what,
			bool json)
{
	struct lbctl_out p;

	capture_begin();
	lbctl_out_init(&p, json);
	lbctl_out_open(&p, NULL, true);
	lbctl_print_service(&p, r, what);
	lbctl_out_close(&p);
	lbctl_out_finish(&p);
	return capture_end();
}

static const char *event(const struct lb_svc_reply *r, const char *text,
			 const char *json_name, bool json)
{
	struct lbctl_out p;

	capture_begin();
	lbctl_out_init(&p, json);
	lbctl_print_event(&p, r, text, json_name);
	lbctl_out_finish(&p);
	return capture_end();
}

static void test_service(void)
{
	struct lb_backend bes[2];
	struct lb_svc_reply r;
	char *config;

	service(&r, bes);
	expect("service list: options not at their default",
	       list(&r, LBCTL_SHOW_CONFIG, false),
	       "192.0.2.1:80/tcp sched random affinity 10 masquerade source-range 10.0.0.0/8 cluster-cidr 10.244.0.0/16\n"
	       "  -> 10.0.0.1:8080\n"
	       "  -> 10.0.0.2:8080 weight 3 state terminating local\n");
	expect("stats: counters",
	       list(&r, LBCTL_SHOW_STATS, false),
	       "192.0.2.1:80/tcp conns 5 rejects 1 drops 2 tracked 3\n"
	       "  -> 10.0.0.1:8080 conns 4\n"
	       "  -> 10.0.0.2:8080 conns 1\n");
	r.stats.has_aff_lost = 1;
	r.stats.aff_lost = 7;
	expect("stats: lost affinity bindings, only when there are some",
	       list(&r, LBCTL_SHOW_STATS, false),
	       "192.0.2.1:80/tcp conns 5 rejects 1 drops 2 affinity-lost 7 tracked 3\n"
	       "  -> 10.0.0.1:8080 conns 4\n"
	       "  -> 10.0.0.2:8080 conns 1\n");
	r.stats.aff_lost = 0;
	expect("-j service list: everything, in lbctl(8)'s keys",
	       list(&r, LBCTL_SHOW_CONFIG, true),
	       "[{\"address\":\"192.0.2.1\",\"port\":80,\"protocol\":\"tcp\","
	       "\"sched\":\"random\",\"affinity\":10,\"masquerade\":true,"
	       "\"masq_local\":false,"
	       "\"local_only\":false,\"expire_nodest\":false,\"one_packet\":false,\"source_ranges\":[\"10.0.0.0/8\"],\"cluster_cidrs\":[\"10.244.0.0/16\"],"
	       "\"stats\":{\"conns\":5,\"rejects\":1,\"drops\":2,\"affinity_lost\":0,\"tracked\":3},"
	       "\"backends\":[{\"address\":\"10.0.0.1\",\"port\":8080,"
	       "\"weight\":1,\"state\":\"active\",\"local\":false,"
	       "\"stats\":{\"conns\":4}},{\"address\":\"10.0.0.2\","
	       "\"port\":8080,\"weight\":3,\"state\":\"terminating\","
	       "\"local\":true,\"stats\":{\"conns\":1}}]}]\n");
	/* JSON has options and counters whichever the text shows. */
	config = strdup(list(&r, LBCTL_SHOW_CONFIG, true));
	if (!config)
		exit(1);
	expect("-j stats: the same document", list(&r, LBCTL_SHOW_STATS, true),
	       config);
	free(config);

	r.stats.has_affinity = 1;
	r.stats.affinity = 4;
	expect("stats: live affinity bindings of a service with affinity",
	       list(&r, LBCTL_SHOW_STATS, false),
	       "192.0.2.1:80/tcp conns 5 rejects 1 drops 2 affinity 4 tracked 3\n"
	       "  -> 10.0.0.1:8080 conns 4\n"
	       "  -> 10.0.0.2:8080 conns 1\n");
	expect("-j stats: live affinity bindings in the service's counters",
	       list(&r, LBCTL_SHOW_STATS, true),
	       "[{\"address\":\"192.0.2.1\",\"port\":80,\"protocol\":\"tcp\","
	       "\"sched\":\"random\",\"affinity\":10,\"masquerade\":true,"
	       "\"masq_local\":false,"
	       "\"local_only\":false,\"expire_nodest\":false,\"one_packet\":false,\"source_ranges\":[\"10.0.0.0/8\"],\"cluster_cidrs\":[\"10.244.0.0/16\"],"
	       "\"stats\":{\"conns\":5,\"rejects\":1,\"drops\":2,\"affinity\":4,\"affinity_lost\":0,\"tracked\":3},"
	       "\"backends\":[{\"address\":\"10.0.0.1\",\"port\":8080,"
	       "\"weight\":1,\"state\":\"active\",\"local\":false,"
	       "\"stats\":{\"conns\":4}},{\"address\":\"10.0.0.2\","
	       "\"port\":8080,\"weight\":3,\"state\":\"terminating\","
	       "\"local\":true,\"stats\":{\"conns\":1}}]}]\n");
	r.opts.affinity = 0;
	r.stats.affinity = 0;
	expect("stats: no affinity bindings for a service without affinity",
	       list(&r, LBCTL_SHOW_STATS, false),
	       "192.0.2.1:80/tcp conns 5 rejects 1 drops 2 tracked 3\n"
	       "  -> 10.0.0.1:8080 conns 4\n"
	       "  -> 10.0.0.2:8080 conns 1\n");
	expect("-j stats: ... nor in JSON",
	       list(&r, LBCTL_SHOW_STATS, true),
	       "[{\"address\":\"192.0.2.1\",\"port\":80,\"protocol\":\"tcp\","
	       "\"sched\":\"random\",\"affinity\":0,\"masquerade\":true,"
	       "\"masq_local\":false,"
	       "\"local_only\":false,\"expire_nodest\":false,\"one_packet\":false,\"source_ranges\":[\"10.0.0.0/8\"],\"cluster_cidrs\":[\"10.244.0.0/16\"],"
	       "\"stats\":{\"conns\":5,\"rejects\":1,\"drops\":2,\"affinity_lost\":0,\"tracked\":3},"
	       "\"backends\":[{\"address\":\"10.0.0.1\",\"port\":8080,"
	       "\"weight\":1,\"state\":\"active\",\"local\":false,"
	       "\"stats\":{\"conns\":4}},{\"address\":\"10.0.0.2\","
	       "\"port\":8080,\"weight\":3,\"state\":\"terminating\","
	       "\"local\":true,\"stats\":{\"conns\":1}}]}]\n");
}

static void test_events(void)
{
	struct lb_backend b;
	struct lb_svc_reply r;

	memset(&r, 0, sizeof(r));
	r.cmd = LBIPAM_CMD_BACKEND_NEW;
	r.has_service = 1;
	key(&r.key, "[2001:db8::1]:53/udp");
	be(&b, "[2001:db8::2]:53", 2, LBIPAM_BE_ACTIVE, 0, 0);
	r.backends = &b;
	r.nbackends = 1;
	expect("monitor: backend add",
	       event(&r, "backend add", "backend_add", false),
	       "backend add [2001:db8::1]:53/udp [2001:db8::2]:53 weight 2\n");
	expect("monitor -j: backend add",
	       event(&r, "backend add", "backend_add", true),
	       "{\"event\":\"backend_add\",\"service\":{\"address\":\"2001:db8::1\","
	       "\"port\":53,\"protocol\":\"udp\"},\"backend\":{\"address\":"
	       "\"2001:db8::2\",\"port\":53,\"weight\":2,\"state\":\"active\","
	       "\"local\":false,\"stats\":{\"conns\":0}}}\n");
	r.cmd = LBIPAM_CMD_BACKEND_DEL;
	expect("monitor: backend del names the backend only",
	       event(&r, "backend del", "backend_del", false),
	       "backend del [2001:db8::1]:53/udp [2001:db8::2]:53\n");

	r.nbackends = 0;
	r.cmd = LBIPAM_CMD_BACKEND_REPLACE;
	r.has_count = 1;
	r.backend_count = 1;
	expect("monitor: backend replace counts",
	       event(&r, "backend replace", "backend_replace", false),
	       "backend replace [2001:db8::1]:53/udp (1 backend)\n");
	expect("monitor -j: backend replace counts",
	       event(&r, "backend replace", "backend_replace", true),
	       "{\"event\":\"backend_replace\",\"service\":{\"address\":"
	       "\"2001:db8::1\",\"port\":53,\"protocol\":\"udp\","
	       "\"backend_count\":1}}\n");

	r.cmd = LBIPAM_CMD_SERVICE_SET;
	r.has_count = 0;
	r.has_opts = 1;
	lb_svc_opts_default(&r.opts);
	r.opts.affinity = 60;
	r.opts.flags = LBIPAM_SVC_F_LOCAL_ONLY;
	expect("monitor: service set with its options",
	       event(&r, "service set", "service_set", false),
	       "service set [2001:db8::1]:53/udp affinity 60 local-only\n");

	memset(&r, 0, sizeof(r));
	r.cmd = LBIPAM_CMD_FLUSH;
	expect("monitor: flush", event(&r, "flush", "flush", false), "flush\n");
	expect("monitor -j: flush", event(&r, "flush", "flush", true),
	       "{\"event\":\"flush\"}\n");
}

/* "l2 list" of two entries; the interface index 1 is lo everywhere. */
static const char *l2_list(bool json)
{
	struct lb_l2_entry e[2];
	struct lbctl_out p;

	memset(e, 0, sizeof(e));
	e[0].family = AF_INET;
	lb_ip_parse("203.0.113.10", &e[0].family, &e[0].addr);
	e[0].ifindex = 1;
	e[0].stats.answers = 12;
	e[0].stats.announces = 1;
	lb_ip_parse("2001:db8::10", &e[1].family, &e[1].addr);
	e[1].ifindex = 1;
	capture_begin();
	lbctl_out_init(&p, json);
	lbctl_out_open(&p, NULL, true);
	lbctl_print_l2(&p, NULL, &e[0], true);
	lbctl_print_l2(&p, NULL, &e[1], true);
	lbctl_out_close(&p);
	lbctl_out_finish(&p);
	return capture_end();
}

static void test_l2(void)
{
	expect("l2 list: address, interface, counters", l2_list(false),
	       "203.0.113.10 dev lo answers 12 announces 1\n"
	       "2001:db8::10 dev lo answers 0 announces 0\n");
	expect("-j l2 list: lbctl(8)'s keys", l2_list(true),
	       "[{\"address\":\"203.0.113.10\",\"interface\":\"lo\","
	       "\"ifindex\":1,\"stats\":{\"answers\":12,\"announces\":1}},"
	       "{\"address\":\"2001:db8::10\",\"interface\":\"lo\","
	       "\"ifindex\":1,\"stats\":{\"answers\":0,\"announces\":0}}]\n");
}

int main(void)
{
	printf("TAP version 13\n");
	test_service();
	test_events();
	test_l2();
	printf("1..%d\n", n);
	return fails ? 1 : 0;
}
