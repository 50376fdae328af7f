// SPDX-License-Identifier: GPL-2.0
/*
 * BIRD's control socket and the fragment's life against two real BIRDs
 * on loopback: a "node" one driven by lbipamd_bgp_apply() and a "router"
 * peering with it.  Routes arrive and leave, an unchanged session is
 * not reset, a refused fragment is undone, BIRD going and coming back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "daemon/lbipamd.h"
#include "tap.h"
#include "bgp_fixture.h"

static char dir[] = "/tmp/lbipam-bird-XXXXXX";
static char node_sock[200], router_sock[200];
static unsigned int port_node, port_router;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		printf("# command failed: %s\n", cmd);
}

/* The node's configuration is bird.conf, as on a node. */
static void start_bird(const char *name, const char *sock)
{
	sh("bird -c %s/%s.conf -s %s -P %s/%s.pid", dir,
	   strcmp(name, "node") ? name : "bird", sock, dir, name);
}

static void stop_bird(const char *name)
{
	sh("kill -9 $(cat %s/%s.pid) 2>/dev/null; sleep 0.2", dir, name);
}

/* One command's reply lines joined by '\n' (malloc'd), or NULL. */
static char *ask(const char *sock, const char *cmd)
{
	struct lbipamd_bird *b;
	struct lbipamd_bird_reply r;
	char err[300], *out = NULL;
	size_t i, len = 0;
	FILE *f;

	if (lbipamd_bird_open(sock, 5000, &b, err, sizeof(err)))
		return NULL;
	if (!lbipamd_bird_cmd(b, cmd, &r, err, sizeof(err))) {
		f = open_memstream(&out, &len);
		for (i = 0; f && i < r.n; i++)
			fprintf(f, "%04d %s\n", r.v[i].code, r.v[i].text);
		if (f)
			fclose(f);
		lbipamd_bird_reply_free(&r);
	}
	lbipamd_bird_close(b);
	return out;
}

/* Waits up to 20 s until the router has (or lacks) a prefix. */
static bool router_has(const char *prefix, bool want)
{
	char cmd[100];
	int i;

	snprintf(cmd, sizeof(cmd), "show route %s", prefix);
	for (i = 0; i < 200; i++) {
		char *t = ask(router_sock, cmd);
		bool has = t && strstr(t, prefix);

		free(t);
		if (has == want)
			return true;
		usleep(100000);
	}
	return false;
}

/* The 1002 line of the node's protocol: its state and since. */
static char *proto_line(const char *proto)
{
	char cmd[120], *t, *l, *nl;

	snprintf(cmd, sizeof(cmd), "show protocols %s", proto);
	t = ask(node_sock, cmd);
	l = t ? strstr(t, "1002 ") : NULL;
	if (!l) {
		free(t);
		return NULL;
	}
	l = strdup(l);
	nl = strchr(l, '\n');
	if (nl)
		*nl = '\0';
	free(t);
	return l;
}

/*
 * The milliseconds of the day at the "since" column (HH:MM:SS.mmm) of a
 * proto_line(), and in @rest the line with that column blanked; -1 if
 * there is none.
 */
static long since_ms(const char *line, char *rest, size_t len)
{
	const char *p;
	int h, m, s, ms, n;

	snprintf(rest, len, "%s", line);
	for (p = line; *p; p++) {
		if (sscanf(p, "%2d:%2d:%2d.%3d%n", &h, &m, &s, &ms, &n) == 4 &&
		    n == 12 && (p == line || p[-1] == ' ')) {
			if ((size_t)(p - line) + n <= len)
				memset(rest + (p - line), ' ', n);
			return ((h * 60L + m) * 60 + s) * 1000 + ms;
		}
	}
	return -1;
}

/*
 * Two proto_line()s of one session, without a change between them. BIRD
 * converts a change's time from its monotonic clock at each display, so
 * the same session's time moves by a millisecond or two; a reset moves
 * it by a second or more (measured: 1.04 s on loopback).
 */
static bool same_session(const char *a, const char *b)
{
	char ra[200], rb[200];
	long ta, tb, d;

	if (!a || !b)
		return false;
	ta = since_ms(a, ra, sizeof(ra));
	tb = since_ms(b, rb, sizeof(rb));
	d = labs(ta - tb);
	if (d > 43200000)	/* across midnight */
		d = 86400000 - d;
	return ta >= 0 && tb >= 0 && !strcmp(ra, rb) && d < 500;
}

/* Waits up to 20 s for the node's session to be up. */
static bool established(const char *proto)
{
	int i;

	for (i = 0; i < 200; i++) {
		char *l = proto_line(proto);
		bool up = l && strstr(l, "Established");

		free(l);
		if (up)
			return true;
		usleep(100000);
	}
	return false;
}

static void setup(void)
{
	char conf[600], path[300];
	FILE *f;

	if (!mkdtemp(dir))
		exit(1);
	port_node = 20000 + (unsigned int)getpid() % 20000;
	port_router = port_node + 1;
	snprintf(node_sock, sizeof(node_sock), "%s/node.ctl", dir);
	snprintf(router_sock, sizeof(router_sock), "%s/router.ctl", dir);
	snprintf(conf, sizeof(conf),
		 "router id 10.255.0.2;\nprotocol device {}\n"
		 "protocol bgp node {\n\tlocal 127.0.0.2 port %u as 65002;\n"
		 "\tneighbor 127.0.0.1 port %u as 65001;\n\tmultihop 2;\n"
		 "\tconnect delay time 1;\n\tconnect retry time 1;\n"
		 "\tipv4 { import all; export none; };\n}\n",
		 port_router, port_node);
	snprintf(path, sizeof(path), "%s/router.conf", dir);
	f = fopen(path, "w");
	if (!f)
		exit(1);
	fputs(conf, f);
	fclose(f);
}

/* The fixture's v4 peer pointed at the router; the others left out. */
static void loopback_peer(struct bgp_fixture *fx)
{
	fx->inst[0].local_port = (uint16_t)port_node;
	fx->inst[0].n_peers = 1;
	fx->node.n_instances = 1;
	fx_ip(&fx->peers[0].address, "127.0.0.2");
	fx->peers[0].peer_port = (uint16_t)port_router;
}

static int apply(struct lbipamd_bgp *g, struct bgp_fixture *fx, char **text)
{
	struct lbipamd_bgp_peer *p;
	size_t n;

	free(*text);
	*text = lbipamd_bgp_render(&fx->node);
	lbipamd_bgp_peers_of(&fx->node, &p, &n);
	return lbipamd_bgp_apply(g, *text, p, n);
}

/* The same text again, with its peers. */
static int reapply(struct lbipamd_bgp *g, struct bgp_fixture *fx,
		   const char *text)
{
	struct lbipamd_bgp_peer *p;
	size_t n;

	lbipamd_bgp_peers_of(&fx->node, &p, &n);
	return lbipamd_bgp_apply(g, text, p, n);
}

static bool file_is(const char *path, const char *want)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t got;
	FILE *f = fopen(path, "r");
	bool same;

	if (!f)
		return false;
	got = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	same = got >= 0 && !strcmp(buf, want);
	free(buf);
	return same;
}

static void test_protocol(void)
{
	char *t = ask(node_sock, "show status");

	ok(t && strstr(t, "0013 Daemon is up and running"),
	   "show status: the last line's code and text");
	ok(t && strstr(t, "1011 Hostname is"),
	   "a continuation line carries the previous code");
	free(t);
	t = ask(node_sock, "show frobnicate");
	ok(t && !strncmp(t, "9001 ", 5), "a bad command: its 9xxx error");
	free(t);
}

static void test_apply(struct lbipamd_bgp *g, struct bgp_fixture *fx,
		       char **text, const char *proto)
{
	char *before, *after, *t;

	ok(!apply(g, fx, text), "the fragment is applied");
	ok(g->state == LBIPAMD_BGP_SYNCED, "synced: %s", g->msg);
	ok(file_is(g->include, *text), "the include file holds it");
	ok(router_has("192.0.2.10/32", true) && router_has("192.0.2.11/32", true),
	   "the router learns both routes");
	t = ask(router_sock, "show route 192.0.2.10/32 all");
	ok(t && strstr(t, "(65000,100)") && strstr(t, "(65535,65281)") &&
	   strstr(t, "(65000, 1, 1)"), "with the advertisement's communities");
	free(t);
	before = proto_line(proto);
	ok(before && strstr(before, "Established"), "session up: %s", before);
	fx->fam[0].n_routes = 1;
	ok(!apply(g, fx, text), "a route fewer");
	ok(router_has("192.0.2.11/32", false), "the router loses it");
	ok(router_has("192.0.2.10/32", true), "and keeps the other");
	after = proto_line(proto);
	ok(same_session(before, after),
	   "the session was not reset by the reconfiguration (%s, now %s)",
	   before, after);
	free(before);
	free(after);
}

static void test_reject(struct lbipamd_bgp *g, struct bgp_fixture *fx,
			const char *good)
{
	const char *bad = "protocol bgp lbipam_broken { local as 1; neighbor 1.2.3.4 as; }\n";
	unsigned long conf = g->configures;
	char *st1, *st2;

	ok(lbipamd_bgp_apply(g, bad, NULL, 0) == -EINVAL,
	   "a fragment BIRD refuses fails");
	ok(g->state == LBIPAMD_BGP_REJECTED && strstr(g->msg, "lbipam.conf"),
	   "rejected, with BIRD's words: %s", g->msg);
	ok(file_is(g->include, good), "the previous file is back");
	ok(router_has("192.0.2.10/32", true), "BIRD still runs the previous one");
	st1 = ask(node_sock, "show status");
	ok(lbipamd_bgp_apply(g, bad, NULL, 0) == -EINVAL && g->rejections == 1,
	   "the same text is not tried again");
	st2 = ask(node_sock, "show status");
	ok(st1 && st2 && strstr(st1, "Last reconfiguration") &&
	   !strcmp(strstr(st1, "Last reconfiguration"),
		   strstr(st2, "Last reconfiguration")),
	   "BIRD was not asked to reconfigure");
	free(st1);
	free(st2);
	ok(!lbipamd_bgp_poll(g), "nothing new: the poll waits");
	usleep(1100000);
	free(ask(node_sock, "configure"));
	ok(lbipamd_bgp_poll(g) && g->state == LBIPAMD_BGP_PENDING,
	   "BIRD reloaded by someone else: worth one more try");
	ok(!reapply(g, fx, good) && g->configures == conf + 1,
	   "the good one goes in again");
}

static void test_restart(struct lbipamd_bgp *g, struct bgp_fixture *fx,
			 const char *good, const char *proto)
{
	char *t;

	stop_bird("node");
	ok(!lbipamd_bgp_poll(g) && g->state == LBIPAMD_BGP_UNREACHABLE,
	   "BIRD gone: unreachable (%s)", g->msg);
	sleep(1);
	t = ask(router_sock, "show route 192.0.2.10/32 all");
	ok(t && strstr(t, "192.0.2.10/32"),
	   "graceful restart: the router keeps the route meanwhile");
	free(t);
	ok(lbipamd_bgp_apply(g, "# other\n", NULL, 0) < 0 &&
	   file_is(g->include, good), "nothing written while BIRD is away");
	start_bird("node", node_sock);
	ok(lbipamd_bgp_poll(g) && g->state == LBIPAMD_BGP_PENDING,
	   "BIRD back: configure again");
	ok(!reapply(g, fx, good), "and it is");
	ok(established(proto), "the session is back");
	ok(router_has("192.0.2.10/32", true), "the route is on the router");
}

static void test_views(struct lbipamd_bgp *g)
{
	json_t *v = lbipamd_bgp_view(g, "peers"), *p, *r;
	struct lbipamd_bgp off;

	p = json_array_get(json_object_get(v, "items"), 0);
	is_str(json_string_value(json_object_get(p, "sessionState")),
	       "Established", "peers: the session's state from BIRD");
	ok(json_integer_value(lbipamd_jget(p, "families.ipv4.advertised")) == 1,
	   "peers: one route advertised");
	json_decref(v);
	v = lbipamd_bgp_view(g, "routes");
	r = json_array_get(json_object_get(v, "items"), 0);
	is_str(json_string_value(json_object_get(r, "prefix")),
	       "192.0.2.10/32", "routes: the prefix BIRD exports");
	ok(strstr(json_string_value(json_object_get(json_object_get(r,
		"attributes"), "BGP.community")) ?: "", "(65000,100)"),
	   "routes: with the attributes BIRD sends");
	ok(json_array_size(json_object_get(v, "items")) == 1,
	   "routes: only that one");
	json_decref(v);
	v = lbipamd_bgp_view(g, "nonsense");
	ok(json_is_false(json_object_get(v, "ok")), "a bad view fails");
	json_decref(v);
	lbipamd_bgp_init(&off, NULL, NULL);
	v = lbipamd_bgp_view(&off, "peers");
	ok(json_is_false(json_object_get(v, "ok")) &&
	   strstr(lbipamd_js(v, "error"), "--bgp-bird-socket"),
	   "BGP off: the view says how to turn it on");
	json_decref(v);
	ok(!lbipamd_bgp_poll(&off) && !lbipamd_bgp_apply(&off, "x", NULL, 0),
	   "BGP off: nothing polled, nothing applied");
}

int main(void)
{
	struct bgp_fixture fx;
	struct lbipamd_bgp g;
	char *text = NULL, include[300], proto[80];

	setup();
	bgp_fixture_init(&fx, 0);
	loopback_peer(&fx);
	lbipamd_bgp_proto_name(&fx.inst[0], &fx.peers[0], proto, sizeof(proto));
	bgp_fixture_write_conf(dir, "10.255.0.1", "", "# empty\n");
	start_bird("node", node_sock);
	start_bird("router", router_sock);
	snprintf(include, sizeof(include), "%s/lbipam.conf", dir);
	lbipamd_bgp_init(&g, node_sock, include);
	test_protocol();
	test_apply(&g, &fx, &text, proto);
	test_reject(&g, &fx, text);
	test_restart(&g, &fx, text, proto);
	test_views(&g);
	stop_bird("node");
	stop_bird("router");
	sh("rm -rf %s", dir);
	free(text);
	lbipamd_bgp_free(&g);
	bgp_fixture_free(&fx);
	return lb_tap_done();
}
