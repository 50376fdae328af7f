// SPDX-License-Identifier: GPL-2.0
/* lb_traffic: the one traffic helper of the lbipam selftests, servers and
 * clients for TCP, UDP and SCTP over IPv4 and IPv6 (see usage()).
 *
 * Why C and one program: the tests must run on a kind node, which has no
 * socat, no compiler and only a bare python3; and in the emulated test VM
 * every process start costs a good part of a second, so one process serves
 * every backend namespace (setns() per listening socket) and one client
 * process makes hundreds of flows.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LB_TOOL "lb_traffic"
#include "lb_tool.h"

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

#define MAX_LINE 4096
#define UDP_BATCH 400

struct opts {
	int count;
	int burst;
	int tries;
	int sport;
	double timeout;
	double wait;
	double interval;
	bool ms;
	bool peer;
	bool summary;
	const char *bind;
	const char *ctl;
	const char *stop;
	const char *report;
};

static struct opts o = {
	.count = 1, .burst = 1, .tries = 3, .timeout = 5.0, .wait = 2.0, .interval = 0.2,
};

static int ms_left(double deadline)
{
	double left = deadline - now();

	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

static bool exists(const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return access(path, F_OK) == 0;
}

static int proto_of(const char *name, int *type)
{
	*type = SOCK_STREAM;
	if (!strcmp(name, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(name, "sctp"))
		return IPPROTO_SCTP;
	if (!strcmp(name, "udp")) {
		*type = SOCK_DGRAM;
		return IPPROTO_UDP;
	}
	die("unknown protocol '%s' (tcp, udp or sctp)", name);
	return 0;
}

/* Parse ADDR (IPv6 with or without brackets) and PORT into @ss. */
static socklen_t sockaddr_of(const char *addr, int port,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len;

	memset(ss, 0, sizeof(*ss));
	snprintf(buf, sizeof(buf), "%s", addr[0] == '[' ? addr + 1 : addr);
	len = strlen(buf);
	if (len && buf[len - 1] == ']')
		buf[len - 1] = '\0';
	if (strchr(buf, ':')) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, buf, &s6->sin6_addr) != 1)
			die("bad IPv6 address '%s'", addr);
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (inet_pton(AF_INET, buf, &s4->sin_addr) != 1)
		die("bad IPv4 address '%s'", addr);
	return sizeof(*s4);
}

static const char *addr_str(const struct sockaddr_storage *ss, char *buf)
{
	const void *a = ss->ss_family == AF_INET6 ?
		(const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
		(const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	return inet_ntop(ss->ss_family, a, buf, INET6_ADDRSTRLEN);
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&ss)->sin6_port :
		     ((struct sockaddr_in *)&ss)->sin_port);
}

/* ------------------------------------------------------------ server --- */

enum srv_mode { GREET, ECHO, SINK };

struct conn {
	int fd;
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
	bool listener;
	const char *tag;
	FILE *sink;
	char buf[MAX_LINE];
	size_t len;
};

static enum srv_mode srv_mode = GREET;
static const char *sink_dir;

static void setns_named(const char *ns, int home)
{
	char path[256];
	int fd;

	if (!strcmp(ns, ".")) {
		if (setns(home, CLONE_NEWNET))
			die("setns back home: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die("netns %s: %s", ns, strerror(errno));
	close(fd);
}

static void conn_add(int ep, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

/* One socket of SPEC "NS,TAG,PROTO,FAMILY,PORT[,ADDR]". */
static void listen_spec(int ep, int home, char *spec)
{
	char *f[6] = { NULL };
	struct sockaddr_storage ss;
	struct conn *c;
	int i, proto, type, one = 1;
	socklen_t len;

	for (i = 0; i < 6; i++) {
		f[i] = strsep(&spec, ",");
		if (!f[i])
			break;
	}
	if (i < 5 || spec)
		die("bad server spec (NS,TAG,PROTO,FAMILY,PORT[,ADDR])");
	proto = proto_of(f[2], &type);
	if (f[5])
		len = sockaddr_of(f[5], atoi(f[4]), &ss);
	else
		len = sockaddr_of(strcmp(f[3], "6") ? "0.0.0.0" : "::",
				  atoi(f[4]), &ss);
	setns_named(f[0], home);
	c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory");
	c->type = type;
	c->tag = f[1];
	c->listener = type == SOCK_STREAM;
	c->fd = socket(ss.ss_family, type | SOCK_CLOEXEC, proto);
	if (c->fd < 0)
		die("%s socket: %s", f[2], strerror(errno));
	setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(c->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(c->fd, (struct sockaddr *)&ss, len))
		die("bind %s %s port %s in %s: %s", f[2], f[5] ? f[5] : "*",
		    f[4], f[0], strerror(errno));
	if (c->listener && listen(c->fd, 128))
		die("listen: %s", strerror(errno));
	if (srv_mode == SINK) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s-%s.%s", sink_dir, f[0],
			 f[4], f[2]);
		c->sink = fopen(path, "a");
		if (!c->sink)
			die("%s: %s", path, strerror(errno));
		setvbuf(c->sink, NULL, _IONBF, 0);
	}
	conn_add(ep, c);
}

static void srv_accept(int ep, struct conn *l)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char a[INET6_ADDRSTRLEN], line[MAX_LINE];
	struct conn *c;
	int fd;

	fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory");
	*c = (struct conn){ .fd = fd, .type = SOCK_STREAM, .tag = l->tag,
			    .sink = l->sink };
	if (srv_mode == GREET) {
		int n = snprintf(line, sizeof(line), "%s %s\n", l->tag,
				 addr_str(&peer, a));

		/* A failed greeting is the client's problem (reset). */
		if (send(fd, line, n, MSG_NOSIGNAL) != n)
			fprintf(stderr, "lb_traffic: %s: greeting: %s\n",
				l->tag, strerror(errno));
	}
	conn_add(ep, c);
}

/* Stream data: echo it, sink it, or answer each line "TAG LINE". */
static void srv_stream(struct conn *c)
{
	ssize_t n;
	char *nl;

	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1, 0);
	if (n <= 0) {
		conn_close(c);	/* also leaves the epoll set */
		return;
	}
	if (srv_mode == ECHO) {
		send(c->fd, c->buf, n, MSG_NOSIGNAL);
		return;
	}
	if (srv_mode == SINK) {
		fwrite(c->buf, 1, n, c->sink);
		return;
	}
	c->len += n;
	c->buf[c->len] = '\0';
	while ((nl = strchr(c->buf, '\n'))) {
		char out[MAX_LINE + 64];
		int m;

		*nl = '\0';
		m = snprintf(out, sizeof(out), "%s %s\n", c->tag, c->buf);
		send(c->fd, out, m, MSG_NOSIGNAL);
		c->len -= nl + 1 - c->buf;
		memmove(c->buf, nl + 1, c->len + 1);
	}
	if (c->len == sizeof(c->buf) - 1)
		c->len = 0;	/* an overlong line: drop it */
}

static void srv_dgram(struct conn *c)
{
	struct sockaddr_storage peer;
	char a[INET6_ADDRSTRLEN], buf[65536];
	socklen_t plen;
	ssize_t n;
	int i, m;

	/* Drain a burst, but let the other sockets have their turn. */
	for (i = 0; i < 64; i++) {
		plen = sizeof(peer);
		n = recvfrom(c->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return;
		if (srv_mode == ECHO) {
			sendto(c->fd, buf, n, 0, (struct sockaddr *)&peer, plen);
		} else if (srv_mode == SINK) {
			fwrite(buf, 1, n, c->sink);
		} else {
			m = snprintf(buf, sizeof(buf), "%s %s\n", c->tag,
				     addr_str(&peer, a));
			sendto(c->fd, buf, m, 0, (struct sockaddr *)&peer, plen);
			/* An empty datagram ends the answer (see ask). */
			sendto(c->fd, buf, 0, 0, (struct sockaddr *)&peer, plen);
		}
	}
}

static int cmd_serve(int argc, char **argv, const char *ready)
{
	struct epoll_event ev[64];
	int ep, home, i, n;

	if (argc < 1)
		die("serve: no SPEC");
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (home < 0 || ep < 0)
		die("serve: %s", strerror(errno));
	for (i = 0; i < argc; i++)
		listen_spec(ep, home, argv[i]);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fputs("ready\n", f) < 0 || fclose(f))
			die("%s: %s", ready, strerror(errno));
	}
	for (;;) {
		n = epoll_wait(ep, ev, 64, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;

			if (c->listener)
				srv_accept(ep, c);
			else if (c->type == SOCK_STREAM)
				srv_stream(c);
			else
				srv_dgram(c);
		}
	}
}

/* ------------------------------------------------------------ client --- */

struct target {
	const char *name;	/* as given, for messages */
	int proto, type;
	struct sockaddr_storage ss;
	socklen_t len;
};

static struct target tgt;

/* A socket to the target, bound to o.bind / SPORT if given. */
static int client_socket(int sport)
{
	struct sockaddr_storage src;
	socklen_t slen;
	int fd, one = 1;

	fd = socket(tgt.ss.ss_family, tgt.type | SOCK_CLOEXEC, tgt.proto);
	if (fd < 0)
		die("%s socket: %s", tgt.name, strerror(errno));
	if (tgt.proto == IPPROTO_SCTP) {
		/* SCTP ignores an ICMP port unreachable during its
		 * handshake unless asked to report it; TCP gets a reset.
		 */
		if (tgt.ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
				   sizeof(one));
		else
			setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one,
				   sizeof(one));
	}
	if (o.bind || sport) {
		const char *a = o.bind;

		if (!a)
			a = tgt.ss.ss_family == AF_INET6 ? "::" : "0.0.0.0";
		slen = sockaddr_of(a, sport, &src);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, slen))
			die("bind %s port %d: %s", a, sport, strerror(errno));
	}
	return fd;
}

/* Connect within o.timeout; 0 or a positive errno (ETIMEDOUT). */
static int connect_timed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int fl = fcntl(fd, F_GETFL), err = 0;
	socklen_t elen = sizeof(err);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&tgt.ss, tgt.len) == 0)
		goto out;
	if (errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	if (poll(&p, 1, (int)(o.timeout * 1000)) != 1)
		return ETIMEDOUT;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
out:
	fcntl(fd, F_SETFL, fl);
	return err;
}

/* Read one line within @secs; its length, or -errno (-ETIMEDOUT). */
static int read_line(int fd, char *buf, size_t size, double secs)
{
	double deadline = now() + secs;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len < size - 1) {
		int r = poll(&p, 1, ms_left(deadline));

		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0)
			return -errno;
		n = recv(fd, buf + len, 1, 0);
		if (n < 0)
			return -errno;
		if (n == 0 || buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return len;
}

static void set_target(char **argv)
{
	tgt.name = argv[1];
	tgt.proto = proto_of(argv[0], &tgt.type);
	tgt.len = sockaddr_of(argv[1], atoi(argv[2]), &tgt.ss);
}

/* ask: one request, the answer printed as the server sent it. */
static int cmd_ask(void)
{
	char buf[MAX_LINE];
	int fd, err, n;

	fd = client_socket(o.sport);
	err = connect_timed(fd);
	if (err) {
		fprintf(stderr, "lb_traffic: connect %s: %s\n", tgt.name,
			strerror(err));
		return 1;
	}
	if (tgt.type == SOCK_STREAM) {
		n = read_line(fd, buf, sizeof(buf), o.timeout);
		if (n > 0)
			printf("%s\n", buf);
		else if (n < 0)
			fprintf(stderr, "lb_traffic: read %s: %s\n", tgt.name,
				strerror(-n));
		return 0;	/* established, as a shell user would see */
	}
	if (send(fd, "ping\n", 5, 0) < 0) {
		fprintf(stderr, "lb_traffic: send %s: %s\n", tgt.name,
			strerror(errno));
		return 1;
	}
	/* Every answer within o.wait, up to the empty datagram. */
	for (double deadline = now() + o.wait;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, ms_left(deadline)) != 1)
			return 0;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			fprintf(stderr, "lb_traffic: recv %s: %s\n", tgt.name,
				strerror(errno));
			return 1;
		}
		if (n == 0)
			return 0;
		fwrite(buf, 1, n, stdout);
	}
}

/* With -q, the results are counted instead of printed, per TAG. */
#define MAX_TAGS 64
static struct { char tag[64]; int n; } tally[MAX_TAGS];
static int ntags;

static int tally_cmp(const void *a, const void *b)
{
	return strcmp(((const typeof(tally[0]) *)a)->tag,
		      ((const typeof(tally[0]) *)b)->tag);
}

/* "TAG COUNT" per distinct result, sorted by TAG, on one line. */
static void print_tally(void)
{
	int i;

	qsort(tally, ntags, sizeof(tally[0]), tally_cmp);
	for (i = 0; i < ntags; i++)
		printf("%s%s %d", i ? " " : "", tally[i].tag, tally[i].n);
	printf("\n");
}

static void print_result(int sport, const char *res, double ms)
{
	int i;

	if (o.summary) {
		for (i = 0; i < ntags && strcmp(tally[i].tag, res); i++)
			;
		if (i == ntags) {
			if (ntags == MAX_TAGS)
				die("more than %d distinct results", MAX_TAGS);
			snprintf(tally[ntags++].tag, sizeof(tally[0].tag), "%s",
				 res);
		}
		tally[i].n++;
		return;
	}
	if (o.ms)
		printf("%d %s %d\n", sport, res, (int)ms);
	else
		printf("%d %s\n", sport, res);
}

/* conns, stream: N connections one after the other, "SPORT TAG". */
static int conns_stream(void)
{
	char line[MAX_LINE], res[MAX_LINE + 16];
	int i, fd, err, n, sport;
	double t0;

	for (i = 0; i < o.count; i++) {
		fd = client_socket(o.sport ? o.sport + i : 0);
		t0 = now();
		err = connect_timed(fd);
		sport = local_port(fd);
		if (!err) {
			n = read_line(fd, line, sizeof(line), o.timeout);
			err = n < 0 ? -n : 0;
		}
		if (err == ECONNREFUSED)
			snprintf(res, sizeof(res), "refused");
		else if (err == ETIMEDOUT)
			snprintf(res, sizeof(res), "timeout");
		else if (err)
			snprintf(res, sizeof(res), "error:%s", strerror(err));
		else if (!line[0])
			snprintf(res, sizeof(res), "empty");
		else if (o.peer)
			snprintf(res, sizeof(res), "%s", line);
		else
			snprintf(res, sizeof(res), "%.*s",
				 (int)strcspn(line, " "), line);
		close(fd);
		print_result(sport, res, (now() - t0) * 1000);
	}
	return 0;
}

struct flow {
	int fd, sport;
	bool done;
	char res[64];
	double took;
};

/* conns, UDP: N flows, each its own connected socket, in batches;
 * "SPORT TAG", "refused" after an ICMP error, "-" without an answer.
 */
static int conns_udp(void)
{
	static struct flow fl[UDP_BATCH];
	static struct pollfd pf[UDP_BATCH];
	int start, i, k, n, pending;
	double t0, deadline;
	char buf[2048];

	for (start = 0; start < o.count; start += UDP_BATCH) {
		n = o.count - start < UDP_BATCH ? o.count - start : UDP_BATCH;
		for (i = 0; i < n; i++) {
			fl[i] = (struct flow){ .res = "-" };
			fl[i].fd = client_socket(o.sport ? o.sport + start + i : 0);
			if (connect(fl[i].fd, (struct sockaddr *)&tgt.ss, tgt.len))
				die("connect %s: %s", tgt.name, strerror(errno));
			fcntl(fl[i].fd, F_SETFL, O_NONBLOCK);
			fl[i].sport = local_port(fl[i].fd);
		}
		pending = n;
		t0 = now();
		for (k = 0; k < o.tries && pending; k++) {
			for (i = 0; i < n; i++) {
				int len;

				if (fl[i].done)
					continue;
				len = snprintf(buf, sizeof(buf), "%d\n", fl[i].sport);
				if (send(fl[i].fd, buf, len, 0) < 0 &&
				    errno == ECONNREFUSED) {
					strcpy(fl[i].res, "refused");
					fl[i].took = now() - t0;
					fl[i].done = true;
					pending--;
				}
			}
			deadline = now() + o.wait;
			while (pending) {
				int r;

				for (i = 0; i < n; i++) {
					pf[i].fd = fl[i].done ? -1 : fl[i].fd;
					pf[i].events = POLLIN;
				}
				r = poll(pf, n, ms_left(deadline));
				if (r <= 0)
					break;
				for (i = 0; i < n; i++) {
					ssize_t m;

					if (fl[i].done || !pf[i].revents)
						continue;
					m = recv(fl[i].fd, buf, sizeof(buf) - 1, 0);
					if (m == 0)
						continue;	/* end marker */
					if (m < 0 && errno != ECONNREFUSED)
						continue;
					if (m < 0) {
						strcpy(fl[i].res, "refused");
					} else {
						buf[m] = '\0';
						buf[strcspn(buf, "\n ")] = '\0';
						snprintf(fl[i].res, sizeof(fl[i].res),
							 "%.63s", buf);
					}
					fl[i].took = now() - t0;
					fl[i].done = true;
					pending--;
				}
			}
		}
		for (i = 0; i < n; i++) {
			print_result(fl[i].sport, fl[i].res,
				     (fl[i].done ? fl[i].took : now() - t0) * 1000);
			close(fl[i].fd);
		}
	}
	return 0;
}

/* hold, stream: one long-lived connection driven by files PREFIX.N. */
static int hold_stream(void)
{
	char line[MAX_LINE], msg[32];
	int fd, err, n, len;

	fd = client_socket(o.sport);
	err = connect_timed(fd);
	if (err)
		die("connect %s: %s", tgt.name, strerror(err));
	n = read_line(fd, line, sizeof(line), o.timeout);
	printf("greet %s\n", n < 0 ? strerror(-n) : line);
	for (n = 1; !exists("%s.end", o.ctl);) {
		if (!exists("%s.%d", o.ctl, n)) {
			usleep(100000);
			continue;
		}
		len = snprintf(msg, sizeof(msg), "msg%d\n", n);
		err = send(fd, msg, len, MSG_NOSIGNAL) < 0 ? errno : 0;
		if (!err) {
			int r = read_line(fd, line, sizeof(line), o.timeout);

			err = r < 0 ? -r : 0;
		}
		if (err)
			printf("reply %d error %s\n", n, strerror(err));
		else
			printf("reply %d %s\n", n, line);
		n++;
	}
	return 0;
}

/* hold, UDP: a datagram every o.interval from one source port until
 * PREFIX.end; "answer SEQ LINE" per answer, "refused SEQ" per ICMP error.
 */
static int hold_udp(void)
{
	char buf[2048];
	int fd, seq = 0, len;

	fd = client_socket(o.sport);
	if (connect(fd, (struct sockaddr *)&tgt.ss, tgt.len))
		die("connect %s: %s", tgt.name, strerror(errno));
	while (!(o.ctl && exists("%s.end", o.ctl))) {
		double deadline = now() + o.interval;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		seq++;
		len = snprintf(buf, sizeof(buf), "%d\n", seq);
		if (send(fd, buf, len, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED)
			printf("refused %d\n", seq);
		while (poll(&p, 1, ms_left(deadline)) == 1) {
			ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

			if (n < 0 && errno == ECONNREFUSED) {
				printf("refused %d\n", seq);
			} else if (n > 0) {
				buf[n] = '\0';
				buf[strcspn(buf, "\n")] = '\0';
				printf("answer %d %s\n", seq, buf);
			}
		}
	}
	return 0;
}

/* dgrams, UDP: N datagrams from one connected socket (one source port),
 * in bursts of o.burst, each burst's answers awaited for o.wait: "SPORT
 * TAG" per answer, "SPORT refused" per ICMP error, "SPORT lost" per
 * datagram left unanswered. A connected socket takes only datagrams from
 * ADDR:PORT: an answer is a reply translated back.
 */
static int cmd_dgrams(void)
{
	char buf[2048];
	int fd, sport, sent, i, k, got, len;
	double t0;

	fd = client_socket(o.sport);
	if (connect(fd, (struct sockaddr *)&tgt.ss, tgt.len))
		die("connect %s: %s", tgt.name, strerror(errno));
	sport = local_port(fd);
	for (sent = 0; sent < o.count; sent += k) {
		k = o.count - sent < o.burst ? o.count - sent : o.burst;
		got = 0;
		t0 = now();
		for (i = 0; i < k; i++) {
			len = snprintf(buf, sizeof(buf), "%d\n", sent + i + 1);
			if (send(fd, buf, len, 0) == len)
				continue;
			if (errno != ECONNREFUSED)
				die("send %s: %s", tgt.name, strerror(errno));
			print_result(sport, "refused", (now() - t0) * 1000);
			got++;
		}
		while (got < k) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			double deadline = t0 + o.wait;
			ssize_t n;

			if (poll(&p, 1, ms_left(deadline)) != 1)
				break;
			n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
			if (n < 0 && errno == ECONNREFUSED) {
				print_result(sport, "refused", (now() - t0) * 1000);
				got++;
			} else if (n > 0) {
				buf[n] = '\0';
				buf[strcspn(buf, "\n ")] = '\0';
				print_result(sport, buf, (now() - t0) * 1000);
				got++;
			}
		}
		for (; got < k; got++)
			print_result(sport, "lost", o.wait * 1000);
	}
	close(fd);
	return 0;
}

static void write_progress(long answered)
{
	char tmp[512], path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s.progress", o.report);
	snprintf(tmp, sizeof(tmp), "%s.progress.tmp", o.report);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%ld\n", answered);
	fclose(f);
	rename(tmp, path);
}

/* flow: every o.interval send a numbered line and wait up to o.wait for
 * its echo (interval 0: a flood), until the file o.stop exists; then a
 * one-line JSON report. TCP/SCTP: one connection, any error or missing
 * echo breaks it. UDP: one connected socket, a lost answer is counted,
 * an error (an ICMP one) breaks it.
 */
static int cmd_flow(void)
{
	long sent = 0, answered = 0;
	double t_start = now(), last_ok = t_start, last_prog = 0, gap = 0;
	char broken[256] = "", line[32], buf[4096];
	int fd, err, len;
	FILE *f;

	fd = client_socket(o.sport);
	err = connect_timed(fd);
	if (err)
		snprintf(broken, sizeof(broken), "connect: %s", strerror(err));
	while (!err && access(o.stop, F_OK)) {
		bool ok = false;
		double t;

		len = snprintf(line, sizeof(line), "%ld\n", sent + 1);
		if (send(fd, line, len, MSG_NOSIGNAL) < 0) {
			err = errno;
			snprintf(broken, sizeof(broken), "send: %s", strerror(err));
			break;
		}
		sent++;
		if (tgt.type == SOCK_STREAM) {
			int got = 0;

			t = now() + o.wait;
			while (got < len) {
				struct pollfd p = { .fd = fd, .events = POLLIN };
				ssize_t n;

				if (poll(&p, 1, ms_left(t)) != 1) {
					err = ETIMEDOUT;
					break;
				}
				n = recv(fd, buf + got, len - got, 0);
				if (n <= 0) {
					err = n ? errno : EPIPE;
					break;
				}
				got += n;
			}
			if (!err && memcmp(buf, line, len))
				err = EBADMSG;
			if (err) {
				snprintf(broken, sizeof(broken), "%s",
					 err == EPIPE ? "connection closed by peer" :
					 err == EBADMSG ? "wrong answer" :
					 strerror(err));
				break;
			}
			ok = true;
		} else {
			t = now() + (o.wait < 1.0 ? o.wait : 1.0);
			for (;;) {
				struct pollfd p = { .fd = fd, .events = POLLIN };
				ssize_t n;

				if (poll(&p, 1, ms_left(t)) != 1)
					break;
				n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (n < 0 && errno != EAGAIN) {
					err = errno;	/* e.g. an ICMP error */
					break;
				}
				if (n == len && !memcmp(buf, line, len)) {
					ok = true;
					break;
				}
			}
			if (err) {
				snprintf(broken, sizeof(broken), "%s", strerror(err));
				break;
			}
		}
		t = now();
		if (ok) {
			answered++;
			if (t - last_ok > gap)
				gap = t - last_ok;
			last_ok = t;
		}
		if (t - last_prog >= 0.5) {
			last_prog = t;
			write_progress(answered);
		}
		if (o.interval > 0)
			usleep((useconds_t)(o.interval * 1e6));
	}
	if (broken[0]) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s after %ld lines, %.1f s", broken,
			 sent, now() - t_start);
		strcpy(broken, tmp);
	}
	if (now() - last_ok > gap)
		gap = now() - last_ok;
	write_progress(answered);
	f = fopen(o.report, "w");
	if (!f)
		die("%s: %s", o.report, strerror(errno));
	fprintf(f, "{\"proto\": \"%s\", \"sent\": %ld, \"answered\": %ld, ",
		tgt.type == SOCK_DGRAM ? "udp" :
		tgt.proto == IPPROTO_SCTP ? "sctp" : "tcp", sent, answered);
	if (broken[0])
		fprintf(f, "\"broken\": \"%s\", ", broken);
	else
		fprintf(f, "\"broken\": null, ");
	fprintf(f, "\"max_gap\": %.2f, \"seconds\": %.1f}\n", gap,
		now() - t_start);
	fclose(f);
	return broken[0] ? 1 : 0;
}

/* tick: a line every o.interval until killed or the peer fails. */
static int cmd_tick(void)
{
	int fd, err;

	fd = client_socket(o.sport);
	err = connect_timed(fd);
	if (err)
		die("connect %s: %s", tgt.name, strerror(err));
	for (;;) {
		if (send(fd, "tick\n", 5, MSG_NOSIGNAL) < 0)
			die("send %s: %s", tgt.name, strerror(errno));
		usleep((useconds_t)(o.interval * 1e6));
	}
}

/* probe: o.count new connections (or sockets), each echoed "probe". */
static int cmd_probe(void)
{
	char buf[100];
	int i, fd, err;
	ssize_t n = 0;

	for (i = 0; i < o.count; i++) {
		fd = client_socket(0);
		err = connect_timed(fd);
		if (!err && send(fd, "probe\n", 6, MSG_NOSIGNAL) < 0)
			err = errno;
		if (!err) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, (int)(o.timeout * 1000)) != 1) {
				err = ETIMEDOUT;
			} else {
				n = recv(fd, buf, sizeof(buf), 0);
				if (n < 0)
					err = errno;
			}
		}
		close(fd);
		if (err) {
			printf("probe %d %s: %s\n", i, tgt.name, strerror(err));
			return 1;
		}
		if (n != 6 || memcmp(buf, "probe\n", 6)) {
			printf("probe %d %s: answer '%.*s'\n", i, tgt.name,
			       (int)n, buf);
			return 1;
		}
	}
	return 0;
}

/* pipe: stdin to the connection, the connection to stdout. */
static int cmd_pipe(void)
{
	struct pollfd p[2] = {
		{ .fd = 0, .events = POLLIN }, { .events = POLLIN },
	};
	char buf[4096];
	ssize_t n;
	int err;

	p[1].fd = client_socket(o.sport);
	err = connect_timed(p[1].fd);
	if (err)
		die("connect %s: %s", tgt.name, strerror(err));
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				shutdown(p[1].fd, SHUT_WR);
				p[0].fd = -1;
			} else if (send(p[1].fd, buf, n, MSG_NOSIGNAL) != n) {
				die("send %s: %s", tgt.name, strerror(errno));
			}
		}
		if (p[1].revents) {
			n = recv(p[1].fd, buf, sizeof(buf), 0);
			if (n <= 0)
				return n < 0;
			if (write(1, buf, n) != n)
				return 1;
		}
	}
}

static void usage(void)
{
	fputs("usage: lb_traffic MODE [OPTION...] ARGS\n"
	      "  serve [-r READY] [-e | -k DIR] SPEC...\n"
	      "      SPEC is NS,TAG,PROTO,FAMILY,PORT[,ADDR]: a socket in netns NS\n"
	      "      ('.': this one). Answers TCP/SCTP connections with \"TAG PEER\"\n"
	      "      and then each line with \"TAG LINE\"; UDP datagrams with\n"
	      "      \"TAG PEER\" and an empty datagram. -e: echo instead; -k DIR:\n"
	      "      append what arrives to DIR/NS-PORT.PROTO. -r: create READY once\n"
	      "      every socket listens.\n"
	      "  ask   [-t S] [-w S] [-b ADDR] [-s SPORT] PROTO ADDR PORT\n"
	      "      one connection (or datagram \"ping\"); prints the answer.\n"
	      "  conns [-c N] [-s SPORT0] [-b ADDR] [-t S] [-w S] [-n TRIES] [-m] [-p] [-q]\n"
	      "        PROTO ADDR PORT\n"
	      "      N connections (UDP: N flows at once): \"SPORT TAG [MS]\" each,\n"
	      "      TAG \"refused\", \"timeout\", \"-\" (UDP: no answer), \"error:..\";\n"
	      "      -p: the whole greeting \"TAG PEER\"; -q: only a summary,\n"
	      "      \"TAG COUNT\" per distinct TAG on one line.\n"
	      "  hold  -C PREFIX [-s SPORT] [-i S] PROTO ADDR PORT\n"
	      "      one long-lived flow; stream: \"greet LINE\", then on file\n"
	      "      PREFIX.N send msgN, print \"reply N LINE\"; UDP: a datagram per\n"
	      "      interval, \"answer SEQ LINE\" / \"refused SEQ\". Ends on PREFIX.end.\n"
	      "  dgrams [-c N] [-B BURST] [-s SPORT] [-w S] [-m] [-q] udp ADDR PORT\n"
	      "      N datagrams from one connected socket, BURST at a time:\n"
	      "      \"SPORT TAG\" per answer, \"SPORT lost\" per datagram without\n"
	      "      one within S, \"SPORT refused\"; -q: the summary as for conns.\n"
	      "  flow  -S STOP -R REPORT [-i S] [-w S] PROTO ADDR PORT\n"
	      "      numbered lines to an echo server until STOP exists; JSON report.\n"
	      "  tick  [-i S] PROTO ADDR PORT   a line per interval until killed\n"
	      "  probe [-c N] [-t S] PROTO ADDR PORT   N new flows echoed \"probe\"\n"
	      "  pipe  [-t S] PROTO ADDR PORT   stdin to the connection, answers out\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *ready = NULL;
	int c;

	if (argc < 2)
		usage();
	mode = argv[1];
	argv++;
	argc--;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "+b:B:c:C:ei:k:mn:pqr:R:s:S:t:w:")) != -1) {
		switch (c) {
		case 'b':
			o.bind = optarg;
			break;
		case 'B':
			o.burst = atoi(optarg);
			if (o.burst < 1)
				usage();
			break;
		case 'c':
			o.count = atoi(optarg);
			break;
		case 'C':
			o.ctl = optarg;
			break;
		case 'e':
			srv_mode = ECHO;
			break;
		case 'i':
			o.interval = atof(optarg);
			break;
		case 'k':
			srv_mode = SINK;
			sink_dir = optarg;
			break;
		case 'm':
			o.ms = true;
			break;
		case 'n':
			o.tries = atoi(optarg);
			break;
		case 'p':
			o.peer = true;
			break;
		case 'q':
			o.summary = true;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'R':
			o.report = optarg;
			break;
		case 's':
			o.sport = atoi(optarg);
			break;
		case 'S':
			o.stop = optarg;
			break;
		case 't':
			o.timeout = atof(optarg);
			break;
		case 'w':
			o.wait = atof(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(mode, "serve"))
		return cmd_serve(argc, argv, ready);
	if (argc != 3)
		usage();
	set_target(argv);
	if (!strcmp(mode, "ask"))
		return cmd_ask();
	if (!strcmp(mode, "conns")) {
		c = tgt.type == SOCK_STREAM ? conns_stream() : conns_udp();
		if (o.summary)
			print_tally();
		return c;
	}
	if (!strcmp(mode, "dgrams")) {
		if (tgt.type != SOCK_DGRAM || tgt.proto != IPPROTO_UDP)
			usage();
		c = cmd_dgrams();
		if (o.summary)
			print_tally();
		return c;
	}
	if (!strcmp(mode, "hold")) {
		if (!o.ctl)
			usage();
		return tgt.type == SOCK_STREAM ? hold_stream() : hold_udp();
	}
	if (!strcmp(mode, "flow")) {
		if (!o.stop || !o.report)
			usage();
		return cmd_flow();
	}
	if (!strcmp(mode, "tick"))
		return cmd_tick();
	if (!strcmp(mode, "probe"))
		return cmd_probe();
	if (!strcmp(mode, "pipe"))
		return cmd_pipe();
	usage();
	return 2;
}
