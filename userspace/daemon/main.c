// SPDX-License-Identifier: GPL-2.0
/*
 * lbipamd: the LB-IPAM allocator daemon. Owns the allocation engine and
 * its SQLite state, serves lbctl over a Unix socket and programs lbipam.ko
 * in the network namespace it runs in.
 *
 * One thread, one poll loop: the control socket, a signalfd and a timer
 * that retries the kernel while it is missing or out of sync.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

#define LBIPAMD_STATE	"/var/lib/lbipam/state.db"
/* How often a missing or failed kernel is retried. */
#define LBIPAMD_RETRY_MS	1000

static void lbipamd_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbipamd [--state DB] [--socket PATH] [--socket-mode MODE]\n"
		"               [--netns NAME] [--node-name NAME] [--node-labels K=V,...]\n"
		"               [--no-masquerade]\n"
		"               [--log-level debug|info|warn|error] [--version]\n"
		"Defaults: --state %s --socket %s --socket-mode 0660\n",
		LBIPAMD_STATE, LBIPAMD_SOCKET);
}

static int lbipamd_setns(const char *name)
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

static int lbipamd_mkdir_for(const char *path)
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
static void lbipamd_arm(int tfd, bool on)
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

static void lbipamd_notify_status(struct lbipamd *d)
{
	sd_notifyf(0, "STATUS=kernel %s: %s",
		   lbipamd_kstate_name(d->kern.state), d->kern.msg);
}

struct lbipamd_args {
	const char *state, *sock;
	mode_t mode;
	enum lb_log_level level;
};

/*
 * Returns -1 to go on, else the exit code.  Long because it is one case
 * per option, each with its own check and message; the table and the
 * switch read best side by side.
 */
static int lbipamd_parse_args(int argc, char **argv, struct lbipamd_args *a,
			      struct lbipamd *d)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "netns", required_argument, NULL, 'n' },
		{ "node-name", required_argument, NULL, 'N' },
		{ "node-labels", required_argument, NULL, 'L' },
		{ "no-masquerade", no_argument, NULL, 'M' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end, err[300];
	unsigned long m;
	int c;

	while ((c = getopt_long(argc, argv, "s:S:m:n:N:L:Ml:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			a->state = optarg;
			break;
		case 'S':
			a->sock = optarg;
			break;
		case 'm':
			m = strtoul(optarg, &end, 8);
			if (*end || m > 0777) {
				fprintf(stderr, "lbipamd: bad --socket-mode '%s'\n",
					optarg);
				return 2;
			}
			a->mode = (mode_t)m;
			break;
		case 'n':
			d->netns = optarg;
			break;
		case 'N':
			if (!*optarg) {
				fprintf(stderr, "lbipamd: --node-name must not be empty\n");
				return 2;
			}
			d->dcfg.node_name = optarg;
			free(d->node.name);
			d->node.name = lb_xstrdup(optarg);
			break;
		case 'L':
			if (lbipamd_node_labels(&d->node, optarg, err,
						sizeof(err))) {
				fprintf(stderr, "lbipamd: --node-labels: %s\n", err);
				return 2;
			}
			break;
		case 'M':
			d->dcfg.masquerade = false;
			break;
		case 'l':
			if (lbipamd_log_parse_level(optarg, &a->level)) {
				fprintf(stderr, "lbipamd: bad --log-level '%s' (debug, info, warn, error)\n",
					optarg);
				return 2;
			}
			break;
		case 'V':
			printf("lbipamd %s\n", LBIPAM_VERSION);
			return 0;
		case 'h':
			lbipamd_usage(stdout);
			return 0;
		default:
			lbipamd_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lbipamd: unexpected argument '%s'\n", argv[optind]);
		lbipamd_usage(stderr);
		return 2;
	}
	/* L2 announcements need a node; the data path keeps "all local". */
	if (!d->node.name) {
		char host[HOST_NAME_MAX + 1] = "";

		gethostname(host, sizeof(host) - 1);
		d->node.name = lb_xstrdup(host);
	}
	return -1;
}

/* Signals arrive through the poll loop, never mid-transaction. */
static int lbipamd_signals(void)
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
static int lbipamd_setup(const struct lbipamd_args *a, struct lbipamd *d,
			 int tfd, struct lbipamd_server **srv)
{
	struct lb_engine_config cfg = { .log = lbipamd_log_engine,
					.log_level = a->level,
					.strict = true };
	char *err = NULL;
	int rc;

	if (strcmp(a->state, ":memory:")) {
		if (lbipamd_mkdir_for(a->state))
			lbipamd_log(LB_LOG_WARN, "Cannot create the state directory",
				    "state", a->state, NULL);
		cfg.db_path = a->state;
	}
	rc = lb_engine_open(&cfg, &d->eng, &err);
	if (rc) {
		lbipamd_log(LB_LOG_ERROR, "Cannot open the state database",
			    "state", a->state, "error", err ? err : strerror(-rc),
			    NULL);
		free(err);
		return rc;
	}
	lbipamd_log(LB_LOG_INFO, "Starting lbipamd", "version", LBIPAM_VERSION,
		    "state", a->state, "socket", a->sock, "netns", d->netns,
		    "node", d->node.name, NULL);

	/* First reconcile before we listen: READY means the table is right. */
	if (lbipamd_reconcile(d, true))
		lbipamd_arm(tfd, true);
	rc = lbipamd_server_open(a->sock, a->mode, srv);
	if (rc)
		return rc;
	lbipamd_log(LB_LOG_INFO, "Ready", "socket", a->sock, "kernel",
		    lbipamd_kstate_name(d->kern.state), "kernel_services",
		    d->kern.state == LBIPAMD_K_SYNCED ? d->kern.msg : NULL, NULL);
	sd_notify(0, "READY=1");
	lbipamd_notify_status(d);
	return 0;
}

/* Returns false when a signal asks us to stop. */
static bool lbipamd_signal(int sfd, struct lbipamd *d)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			/* Resync the kernel from a fresh dump. */
			d->kern.dumped = false;
			d->l2.dumped = false;
			d->dirty = true;
			continue;
		}
		lbipamd_log(LB_LOG_INFO, "Stopping", "signal",
			    strsignal((int)si.ssi_signo), NULL);
		sd_notify(0, "STOPPING=1");
		return false;
	}
	return true;
}

static int lbipamd_loop(struct lbipamd *d, struct lbipamd_server *srv,
			int sfd, int tfd, struct lbipamd_links *links)
{
	struct pollfd pfd[3 + 65];

	for (;;) {
		size_t n = 0, ns;
		enum lbipamd_kstate before = d->kern.state;
		bool links_changed;

		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = tfd, .events = POLLIN };
		/* -1 when closed: poll() skips it. */
		pfd[n++] = (struct pollfd){ .fd = lbipamd_links_fd(links),
					    .events = POLLIN };
		ns = lbipamd_server_pollfds(srv, pfd + n,
					    sizeof(pfd) / sizeof(pfd[0]) - n);
		if (poll(pfd, n + ns, 5000) < 0 && errno != EINTR) {
			lbipamd_log(LB_LOG_ERROR, "poll failed", "error",
				    strerror(errno), NULL);
			return 1;
		}
		if ((pfd[0].revents & POLLIN) && !lbipamd_signal(sfd, d))
			return 0;
		if (pfd[1].revents & POLLIN) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
			d->dirty = true;
		}
		lbipamd_server_process(srv, pfd + 3, ns, d);
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
		lbipamd_arm(tfd, d->kern.state != LBIPAMD_K_SYNCED ||
			    d->l2.state == LBIPAMD_L2_ERROR);
		if (before != d->kern.state)
			lbipamd_notify_status(d);
	}
}

int main(int argc, char **argv)
{
	struct lbipamd_args a = { .state = LBIPAMD_STATE,
				  .sock = LBIPAMD_SOCKET, .mode = 0660,
				  .level = LB_LOG_INFO };
	struct lbipamd d = { .dcfg.masquerade = true };
	struct lbipamd_links links = { 0 };
	struct lbipamd_server *srv = NULL;
	int rc, sfd, tfd, exit_code = 1;

	rc = lbipamd_parse_args(argc, argv, &a, &d);
	if (rc >= 0) {
		lbipamd_node_free(&d.node);
		return rc;
	}
	lbipamd_log_set_level(a.level);
	if (d.netns && lbipamd_setns(d.netns))
		return 1;
	sfd = lbipamd_signals();
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
	if (!lbipamd_setup(&a, &d, tfd, &srv))
		exit_code = lbipamd_loop(&d, srv, sfd, tfd, &links);
	lbipamd_links_close(&links);
	lbipamd_server_close(srv);
	lbipamd_kernel_close(&d.kern);
	lbipamd_l2_state_free(&d);
	lbipamd_want_free(&d.want);
	lb_engine_close(d.eng);
	lbipamd_node_free(&d.node);
	close(sfd);
	close(tfd);
	return exit_code;
}
