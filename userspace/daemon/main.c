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
		"               [--netns NAME] [--node-name NAME] [--no-masquerade]\n"
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "netns", required_argument, NULL, 'n' },
		{ "node-name", required_argument, NULL, 'N' },
		{ "no-masquerade", no_argument, NULL, 'M' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = LBIPAMD_STATE, *sock = LBIPAMD_SOCKET;
	struct lb_engine_config cfg = { .log = lbipamd_log_engine };
	struct lbipamd d = { .dcfg.masquerade = true };
	struct lbipamd_server *srv = NULL;
	enum lb_log_level lvl = LB_LOG_INFO;
	mode_t mode = 0660;
	struct pollfd pfd[2 + 65];
	sigset_t mask;
	char *err = NULL;
	int c, rc, sfd, tfd, exit_code = 1;
	bool running = true;

	while ((c = getopt_long(argc, argv, "s:S:m:n:N:Ml:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			state = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'm': {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);

			if (*end || m > 0777) {
				fprintf(stderr, "lbipamd: bad --socket-mode '%s'\n",
					optarg);
				return 2;
			}
			mode = (mode_t)m;
			break;
		}
		case 'n':
			d.netns = optarg;
			break;
		case 'N':
			d.dcfg.node_name = optarg;
			break;
		case 'M':
			d.dcfg.masquerade = false;
			break;
		case 'l':
			if (lbipamd_log_parse_level(optarg, &lvl)) {
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
	lbipamd_log_set_level(lvl);
	cfg.log_level = lvl;
	if (d.netns && lbipamd_setns(d.netns))
		return 1;

	/* Signals arrive through the poll loop, never mid-transaction. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0) {
		perror("lbipamd: signalfd/timerfd");
		return 1;
	}

	if (strcmp(state, ":memory:")) {
		if (lbipamd_mkdir_for(state))
			lbipamd_log(LB_LOG_WARN, "Cannot create the state directory",
				    "state", state, NULL);
		cfg.db_path = state;
	}
	rc = lb_engine_open(&cfg, &d.eng, &err);
	if (rc) {
		lbipamd_log(LB_LOG_ERROR, "Cannot open the state database",
			    "state", state, "error", err ? err : strerror(-rc),
			    NULL);
		free(err);
		return 1;
	}
	/* After the engine: it has recovered the WAL by now. */
	d.objs = json_object();
	if (lbipamd_objects_load(d.objs, cfg.db_path, &err)) {
		lbipamd_log(LB_LOG_ERROR, "Cannot read stored objects",
			    "error", err, NULL);
		free(err);
		goto out;
	}
	lbipamd_kernel_init(&d.kern);
	lbipamd_log(LB_LOG_INFO, "Starting lbipamd", "version", LBIPAM_VERSION,
		    "state", state, "socket", sock, "netns", d.netns,
		    "node", d.dcfg.node_name, NULL);

	/* First reconcile before we listen: READY means the table is right. */
	if (lbipamd_reconcile(&d))
		lbipamd_arm(tfd, true);
	if (lbipamd_server_open(sock, mode, &srv))
		goto out;
	lbipamd_log(LB_LOG_INFO, "Ready", "socket", sock, "kernel",
		    lbipamd_kstate_name(d.kern.state), "kernel_services",
		    d.kern.state == LBIPAMD_K_SYNCED ? d.kern.msg : NULL, NULL);
	sd_notify(0, "READY=1");
	lbipamd_notify_status(&d);

	while (running) {
		size_t n = 0, ns;
		enum lbipamd_kstate before = d.kern.state;

		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = tfd, .events = POLLIN };
		ns = lbipamd_server_pollfds(srv, pfd + n,
					    sizeof(pfd) / sizeof(pfd[0]) - n);
		if (poll(pfd, n + ns, 5000) < 0 && errno != EINTR) {
			lbipamd_log(LB_LOG_ERROR, "poll failed", "error",
				    strerror(errno), NULL);
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					/* Resync the kernel from a fresh dump. */
					d.kern.dumped = false;
					d.dirty = true;
					continue;
				}
				lbipamd_log(LB_LOG_INFO, "Stopping", "signal",
					    strsignal((int)si.ssi_signo), NULL);
				sd_notify(0, "STOPPING=1");
				running = false;
			}
			if (!running)
				break;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
			d.dirty = true;
		}
		lbipamd_server_process(srv, pfd + 2, ns, &d);
		if (d.dirty)
			lbipamd_reconcile(&d);
		lbipamd_arm(tfd, d.kern.state != LBIPAMD_K_SYNCED);
		if (before != d.kern.state)
			lbipamd_notify_status(&d);
	}
	exit_code = 0;
out:
	lbipamd_server_close(srv);
	lbipamd_kernel_close(&d.kern);
	lbipamd_kset_free(&d.want);
	json_decref(d.objs);
	lb_engine_close(d.eng);
	close(sfd);
	close(tfd);
	return exit_code;
}
