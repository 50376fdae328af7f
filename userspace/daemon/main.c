// SPDX-License-Identifier: GPL-2.0
/*
 * lbipamd: the LB-IPAM allocator daemon. Owns the allocation engine and
 * its SQLite state, serves lbctl over a Unix socket and programs lbipam.ko
 * in the network namespace it runs in.
 *
 * One thread, one poll loop: the control socket, a signalfd, a timer
 * that retries the kernel while it is missing or out of sync, link
 * events and the metrics endpoint.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "daemon/lbipamd.h"
#include "lib/lbipamd_proto.h"

/* How often a missing or failed kernel is retried. */
#define LBIPAMD_RETRY_MS	1000
/* How often BIRD is looked at (back, restarted, reconfigured). */
#define LBIPAMD_BGP_POLL_S	2

static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		fprintf(stderr, "lbipamd: invalid network namespace name '%s'\n",
			name);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		int err = -errno;

		fprintf(stderr, "lbipamd: cannot enter network namespace '%s': %s\n",
			name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	return 0;
}

static int mkdir_for(const char *path)
{
	char *dir = strdup(path), *slash;
	int rc = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) && errno != EEXIST)
			rc = -errno;
	}
	free(dir);
	return rc;
}

/* Arms or disarms the retry timer; re-arming a running one is a no-op. */
static void arm(int tfd, bool on)
{
	static bool armed;
	struct itimerspec its = { 0 };

	if (on == armed)
		return;
	armed = on;
	if (on) {
		its.it_value.tv_sec = LBIPAMD_RETRY_MS / 1000;
		its.it_value.tv_nsec = (LBIPAMD_RETRY_MS % 1000) * 1000000L;
		its.it_interval = its.it_value;
	}
	timerfd_settime(tfd, 0, &its, NULL);
}

static void notify_status(struct lbipamd *d)
{
	sd_notifyf(0, "STATUS=kernel %s: %s",
		   lbipamd_kstate_name(d->kern.state), d->kern.msg);
}

/* The configuration's node and data path settings; exit code or -1. */
static int use_config(const struct lbipamd_config *c, struct lbipamd *d)
{
	char err[300];

	d->cfg = c;
	d->netns = c->netns;
	d->dcfg.masquerade = c->masquerade;
	d->dcfg.cluster_cidrs = c->cluster_cidrs;
	d->dcfg.ncluster_cidrs = c->ncluster_cidrs;
	d->dcfg.node_name = c->node_name;
	d->l2_disabled = !c->l2_announcements;
	lbipamd_bgp_init(&d->bgp, c->bgp_bird_socket, c->bgp_bird_include);
	if (d->l2_disabled)
		d->ifaces = lbipamd_l2_no_ifaces;
	/* Single node: the only daemon is the leader. */
	d->leader = !c->etcd_endpoints;
	d->ccfg.endpoints = c->etcd_endpoints;
	d->ccfg.cert = c->etcd_cert;
	d->ccfg.key = c->etcd_key;
	d->ccfg.ca = c->etcd_ca;
	d->ccfg.prefix = c->etcd_prefix;
	d->ccfg.ttl_s = c->etcd_lease_ttl;
	if (c->node_labels &&
	    lbipamd_node_labels(&d->node, c->node_labels, err, sizeof(err))) {
		fprintf(stderr, "lbipamd: --node-labels: %s\n", err);
		return 2;
	}
	/* L2 announcements need a node; the data path keeps "all local". */
	if (c->node_name) {
		d->node.name = lb_xstrdup(c->node_name);
	} else {
		char host[HOST_NAME_MAX + 1] = "";

		gethostname(host, sizeof(host) - 1);
		d->node.name = lb_xstrdup(host);
	}
	return -1;
}

/* Signals arrive through the poll loop, never mid-transaction. */
static int signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* The engine, the first kernel sync and the socket. */
static int setup(const struct lbipamd_config *a, struct lbipamd *d,
			 int tfd, struct lbipamd_server **srv,
			 struct lbipamd_httpd **httpd)
{
	struct lb_engine_config cfg = { .log = lbipamd_log_engine,
					.strict = true };
	char *err = NULL, bound[INET6_ADDRSTRLEN + 16];
	int rc;

	lbipamd_config_engine(a, &cfg);
	if (strcmp(a->state, ":memory:") && mkdir_for(a->state))
		lbipamd_log(LB_LOG_WARN, "Cannot create the state directory",
			    "state", a->state, NULL);
	if (d->ccfg.endpoints) {
		/* --state: this node's own cache of the shared state. */
		rc = lbipamd_cluster_open(d, d->node.name,
					  strcmp(a->state, ":memory:") ?
					  a->state : NULL, &cfg.store);
		if (rc)
			return rc;
	} else if (strcmp(a->state, ":memory:")) {
		cfg.db_path = a->state;
	}
	rc = lbe_open(&cfg, &d->eng, &err);
	if (rc) {
		lbipamd_log(LB_LOG_ERROR, "Cannot open the state database",
			    "state", a->state, "error", err ? err : strerror(-rc),
			    NULL);
		free(err);
		return rc;
	}
	lbipamd_log(LB_LOG_INFO, "Starting lbipamd", "version", LBIPAM_VERSION,
		    "state", a->state, "socket", a->socket, "netns", d->netns,
		    "node", d->node.name, "config", a->file, NULL);

	/* First reconcile before we listen: READY means the table is right. */
	if (lbipamd_reconcile(d, true))
		arm(tfd, true);
	lbipamd_cluster_start(d);
	rc = lbipamd_server_open(a->socket, a->socket_mode, srv);
	if (rc)
		return rc;
	if (*a->metrics_address) {
		rc = lbipamd_httpd_open(a->metrics_address, d, httpd, bound,
					sizeof(bound));
		if (rc)
			return rc;
		lbipamd_log(LB_LOG_INFO, "Serving metrics", "address", bound,
			    "path", "/metrics", NULL);
	}
	lbipamd_log(LB_LOG_INFO, "Ready", "socket", a->socket, "kernel",
		    lbipamd_kstate_name(d->kern.state), "kernel_services",
		    d->kern.state == LBIPAMD_K_SYNCED ? d->kern.msg : NULL, NULL);
	sd_notify(0, "READY=1");
	notify_status(d);
	return 0;
}

/* Returns false when a signal asks us to stop. */
static bool on_signal(int sfd, struct lbipamd *d)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			/* Resync the kernel from a fresh dump. */
			d->kern.dumped = false;
			d->l2.dumped = false;
			d->dirty = true;
			lbipamd_bgp_again(&d->bgp);
			continue;
		}
		lbipamd_log(LB_LOG_INFO, "Stopping", "signal",
			    strsignal((int)si.ssi_signo), NULL);
		sd_notify(0, "STOPPING=1");
		return false;
	}
	return true;
}

/* A BIRD that came back, restarted or was reloaded gets our fragment. */
static void bgp_tick(struct lbipamd *d, int bfd)
{
	uint64_t ticks;

	if (read(bfd, &ticks, sizeof(ticks)) < 0)
		return;
	if (lbipamd_bgp_poll(&d->bgp))
		lbipamd_bgp_reconcile(d);
}

/* The BGP poll timer, -1 when BGP is off. */
static int bgp_timer(const struct lbipamd *d)
{
	struct itimerspec its = { .it_value.tv_sec = LBIPAMD_BGP_POLL_S,
				  .it_interval.tv_sec = LBIPAMD_BGP_POLL_S };
	int fd;

	if (d->bgp.state == LBIPAMD_BGP_OFF)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd >= 0)
		timerfd_settime(fd, 0, &its, NULL);
	return fd;
}

static int loop(struct lbipamd *d, struct lbipamd_server *srv,
			int sfd, int tfd, struct lbipamd_links *links,
			struct lbipamd_httpd *httpd)
{
	struct pollfd pfd[5 + 2 + 65];
	int bfd = bgp_timer(d), rc = -1;

	for (;;) {
		size_t n = 0, ns, nc;
		enum lbipamd_kstate before = d->kern.state;
		int wait;
		bool links_changed;

		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = tfd, .events = POLLIN };
		/* -1 when closed: poll() skips it. */
		pfd[n++] = (struct pollfd){ .fd = lbipamd_links_fd(links),
					    .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = lbipamd_httpd_fd(httpd),
					    .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = bfd, .events = POLLIN };
		nc = lbipamd_cluster_pollfds(d, pfd + n);
		n += nc;
		ns = lbipamd_server_pollfds(srv, pfd + n,
					    sizeof(pfd) / sizeof(pfd[0]) - n);
		wait = lbipamd_httpd_timeout(httpd);
		if (poll(pfd, n + ns, wait < 0 || wait > 5000 ? 5000 : wait) < 0 &&
		    errno != EINTR) {
			lbipamd_log(LB_LOG_ERROR, "poll failed", "error",
				    strerror(errno), NULL);
			rc = 1;
			break;
		}
		if ((pfd[0].revents & POLLIN) && !on_signal(sfd, d)) {
			rc = 0;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
			d->dirty = true;
		}
		lbipamd_server_process(srv, pfd + n, ns, d);
		/* After the clients: a resumed ex-leader's writes are fenced. */
		if (nc) {
			lbipamd_cluster_process(d, pfd + 5);
			d->leader = lbipamd_cluster_is_leader(d);
		}
		/* Also on a timeout: it expires idle connections. */
		lbipamd_httpd_run(httpd);
		links_changed = (pfd[2].revents & POLLIN) &&
				lbipamd_links_changed(links);
		/* The module drops a vanished link's entries: dump again. */
		if (links_changed)
			d->l2.dumped = false;
		if (d->dirty) {
			lbipamd_reconcile(d, true);
		} else if (links_changed) {
			lbipamd_log(LB_LOG_DEBUG, "Links changed, announcing anew",
				    NULL);
			/*
			 * Rebuilt only if the interfaces that can announce
			 * changed (not for a link going up or down); the
			 * kernel side is dumped and diffed either way.
			 */
			lbipamd_l2_reconcile(d, NULL, NULL, 0, false);
		}
		if (pfd[4].revents & POLLIN)
			bgp_tick(d, bfd);
		arm(tfd, d->kern.state != LBIPAMD_K_SYNCED ||
			    d->l2.state == LBIPAMD_L2_ERROR);
		if (before != d->kern.state)
			notify_status(d);
	}
	if (bfd >= 0)
		close(bfd);
	return rc;
}

int main(int argc, char **argv)
{
	struct lbipamd_config a;
	struct lbipamd d = { 0 };
	struct lbipamd_links links = { 0 };
	struct lbipamd_server *srv = NULL;
	struct lbipamd_httpd *httpd = NULL;
	int rc, sfd, tfd, exit_code = 1;

	lbipamd_config_init(&a);
	rc = lbipamd_config_parse(argc, argv, &a);
	if (rc < 0)
		rc = use_config(&a, &d);
	if (rc >= 0) {
		lbipamd_node_free(&d.node);
		lbipamd_config_free(&a);
		return rc;
	}
	lbipamd_log_set_level(a.log_level);
	if (d.netns && enter_netns(d.netns))
		return 1;
	sfd = signals();
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0) {
		perror("lbipamd: signalfd/timerfd");
		return 1;
	}
	d.want.by_owner.by_owner = true;
	lbipamd_kernel_init(&d.kern);
	/* Before the first reconcile, so no link change is missed. */
	if (lbipamd_links_open(&links))
		lbipamd_log(LB_LOG_WARN, "Cannot watch links; interfaces are re-read on changes only",
			    NULL);
	if (!setup(&a, &d, tfd, &srv, &httpd))
		exit_code = loop(&d, srv, sfd, tfd, &links, httpd);
	lbipamd_httpd_close(httpd);
	lbipamd_links_close(&links);
	lbipamd_server_close(srv);
	lbipamd_kernel_close(&d.kern);
	lbipamd_l2_state_free(&d);
	lbipamd_want_free(&d.want);
	lbipamd_bgp_free(&d.bgp);
	lbe_close(d.eng);
	lbipamd_cluster_close(&d);
	lbipamd_node_free(&d.node);
	lbipamd_config_free(&a);
	close(sfd);
	close(tfd);
	return exit_code;
}
