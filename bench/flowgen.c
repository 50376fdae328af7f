// SPDX-License-Identifier: GPL-2.0
/*
 * flowgen: a load generator of short flows, each a new conntrack entry.
 *
 *   flowgen -s [-p PORT]
 *	Responder: answers every UDP datagram with its payload and every TCP
 *	connection's request with the same bytes, on 0.0.0.0:PORT (so one
 *	process serves every address of its namespace). A TCP connection is
 *	closed once the client has closed or reset it, so the responder
 *	never holds a TIME_WAIT socket.
 *
 *   flowgen -c ADDR:PORT {-u|-t} [-S SRC] [-n MAX] [-d SECS] [-m MIN]
 *	   [-P FIRST] [-L LAST] [-w MS]
 *	Client: up to MAX sequential flows (default 1000), or as many as fit
 *	in SECS seconds (default 0: no limit), but at least MIN (default
 *	100, so that a p99 means something). Flow i uses the source port
 *	FIRST + i (wrapping at LAST), so that no two flows of one run share a
 *	5-tuple and every flow is a new conntrack entry; FIRST..LAST must
 *	lie outside the ephemeral port range. SRC: the source address (a
 *	fresh one per run keeps runs apart in tables that conntrack -F does
 *	not flush, such as IPVS's connection table).
 *	UDP flow: socket, bind, connect, send, wait for the answer (at most
 *	MS ms, default 2000), close. TCP flow: socket, bind, connect, send,
 *	wait for the answer, close with SO_LINGER 0 (a reset: no TIME_WAIT
 *	on either side).
 *	Prints one line of KEY=VALUE: flows, fails, secs, rate (flows/s),
 *	first-packet round trip (rtt_*: UDP request to answer, TCP SYN to
 *	SYN-ACK, i.e. connect()) and whole-flow time (flow_*) percentiles in
 *	microseconds.
 *
 * Exit status: 0, 1 on a usage or set-up error, 2 if more than 1% of the
 * flows failed.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FG_PAYLOAD	"flowgen\n"
#define FG_PAYLOAD_LEN	(sizeof(FG_PAYLOAD) - 1)
#define FG_MAX_EVENTS	64

struct fg_opts {
	struct sockaddr_in dst;
	struct in_addr src;
	int proto;			/* IPPROTO_UDP or IPPROTO_TCP */
	unsigned long max;
	unsigned long min;
	double secs;
	unsigned int first_port;
	unsigned int last_port;
	int wait_ms;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: flowgen -s [-p PORT]\n"
		"       flowgen -c ADDR:PORT {-u|-t} [-S SRC] [-n MAX] [-d SECS]\n"
		"               [-m MIN] [-P FIRST] [-L LAST] [-w MS]\n");
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned long parse_ul(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "flowgen: bad number '%s'\n", s);
		exit(1);
	}
	return v;
}

static void parse_dst(const char *s, struct sockaddr_in *sin)
{
	char buf[64];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		usage();
	strcpy(buf, s);
	colon = strrchr(buf, ':');
	if (!colon)
		usage();
	*colon = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)parse_ul(colon + 1, 65535));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1) {
		fprintf(stderr, "flowgen: bad IPv4 address '%s'\n", buf);
		exit(1);
	}
}

/* ------------------------------------------------------------ server --- */

static int listen_on(int type, unsigned int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1;
	int fd;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (type == SOCK_DGRAM &&
	     setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (type == SOCK_STREAM && listen(fd, 4096))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Answer from the address the datagram was sent to (IP_PKTINFO): with
 * several addresses on the interface, the route's preferred source would
 * be another backend's, which conntrack would not match to the flow.
 */
static void serve_udp(int fd)
{
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct sockaddr_in peer;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	char buf[512];
	ssize_t n;

	for (;;) {
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &peer;
		msg.msg_namelen = sizeof(peer);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &msg, 0);
		if (n < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			struct in_pktinfo *pi;

			if (cm->cmsg_level != IPPROTO_IP ||
			    cm->cmsg_type != IP_PKTINFO)
				continue;
			pi = (struct in_pktinfo *)CMSG_DATA(cm);
			pi->ipi_spec_dst = pi->ipi_addr;
			pi->ipi_ifindex = 0;
		}
		iov.iov_len = (size_t)n;
		sendmsg(fd, &msg, 0);
	}
}

static void serve_accept(int ep, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			close(fd);
	}
}

/* Echo what arrives; close once the peer has closed or reset. */
static void serve_conn(int fd)
{
	char buf[512];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			if (write(fd, buf, (size_t)n) != n) {
				close(fd);
				return;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(fd);	/* EOF or error; also leaves the epoll set */
		return;
	}
}

static int run_server(unsigned int port)
{
	struct epoll_event ev, evs[FG_MAX_EVENTS];
	int ep, ufd, tfd, i, n;

	ufd = listen_on(SOCK_DGRAM, port);
	tfd = listen_on(SOCK_STREAM, port);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ufd < 0 || tfd < 0 || ep < 0) {
		perror("flowgen: server set-up");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = ufd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

	for (;;) {
		n = epoll_wait(ep, evs, FG_MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("flowgen: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == ufd)
				serve_udp(fd);
			else if (fd == tfd)
				serve_accept(ep, fd);
			else
				serve_conn(fd);
		}
	}
}

/* ------------------------------------------------------------ client --- */

/* Waits for @events on @fd until the absolute deadline; 0 when ready. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t t;
	int r;

	for (;;) {
		t = now_ns();
		if (t >= deadline)
			return -1;
		r = poll(&p, 1, (int)((deadline - t + 999999) / 1000000));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int recv_answer(int fd, uint64_t deadline)
{
	char buf[512];
	size_t got = 0;
	ssize_t n;

	while (got < FG_PAYLOAD_LEN) {
		if (wait_fd(fd, POLLIN, deadline))
			return -1;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/*
 * One flow from source port @sport. Fills the first-packet round trip and
 * the whole flow's duration; returns 0 on success.
 */
static int one_flow(const struct fg_opts *o, unsigned int sport,
		    uint64_t *rtt, uint64_t *total)
{
	struct sockaddr_in src = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)sport),
		.sin_addr = o->src,
	};
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int type = o->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	uint64_t t0, t1, deadline;
	int one = 1, err = -1;
	socklen_t elen;
	int fd, soerr;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)))
		goto out;

	t0 = now_ns();
	deadline = t0 + (uint64_t)o->wait_ms * 1000000ull;
	if (o->proto == IPPROTO_UDP) {
		if (connect(fd, (struct sockaddr *)&o->dst, sizeof(o->dst)))
			goto out;
		t0 = now_ns();
		if (send(fd, FG_PAYLOAD, FG_PAYLOAD_LEN, 0) !=
		    (ssize_t)FG_PAYLOAD_LEN)
			goto out;
		if (recv_answer(fd, deadline))
			goto out;
		t1 = now_ns();
		*rtt = t1 - t0;
		*total = t1 - t0;
		err = 0;
		goto out;
	}

	if (connect(fd, (struct sockaddr *)&o->dst, sizeof(o->dst)) &&
	    errno != EINPROGRESS)
		goto out;
	if (wait_fd(fd, POLLOUT, deadline))
		goto out;
	elen = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) || soerr)
		goto out;
	t1 = now_ns();
	*rtt = t1 - t0;
	if (send(fd, FG_PAYLOAD, FG_PAYLOAD_LEN, 0) != (ssize_t)FG_PAYLOAD_LEN)
		goto out;
	if (recv_answer(fd, deadline))
		goto out;
	*total = now_ns() - t0;
	err = 0;
out:
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v, in microseconds. */
static double pct_us(const uint64_t *v, unsigned long n, double p)
{
	unsigned long r;

	if (!n)
		return 0;
	r = (unsigned long)(p / 100.0 * (double)n + 0.999999);
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return (double)v[r - 1] / 1000.0;
}

static void print_pcts(const char *name, uint64_t *v, unsigned long n)
{
	double sum = 0;
	unsigned long i;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)v[i];
	printf(" %s_p50_us=%.1f %s_p90_us=%.1f %s_p99_us=%.1f %s_mean_us=%.1f",
	       name, pct_us(v, n, 50), name, pct_us(v, n, 90),
	       name, pct_us(v, n, 99), name, n ? sum / (double)n / 1000.0 : 0);
}

static int run_client(const struct fg_opts *o)
{
	unsigned long i, ok = 0, fails = 0;
	unsigned int span = o->last_port - o->first_port + 1;
	uint64_t *rtt, *total, t0, end, elapsed;
	double secs;

	rtt = calloc(o->max, sizeof(*rtt));
	total = calloc(o->max, sizeof(*total));
	if (!rtt || !total) {
		perror("flowgen: calloc");
		return 1;
	}
	t0 = now_ns();
	end = o->secs > 0 ? t0 + (uint64_t)(o->secs * 1e9) : UINT64_MAX;
	for (i = 0; i < o->max; i++) {
		unsigned int sport = o->first_port + (unsigned int)(i % span);

		if (i >= o->min && now_ns() >= end)
			break;
		/* Something is broken: do not wait out every timeout. */
		if (fails >= 10 && fails > ok)
			break;
		if (one_flow(o, sport, &rtt[ok], &total[ok]))
			fails++;
		else
			ok++;
	}
	elapsed = now_ns() - t0;
	secs = (double)elapsed / 1e9;
	printf("proto=%s flows=%lu fails=%lu secs=%.3f rate=%.1f",
	       o->proto == IPPROTO_UDP ? "udp" : "tcp", ok, fails, secs,
	       secs > 0 ? (double)ok / secs : 0);
	print_pcts("rtt", rtt, ok);
	print_pcts("flow", total, ok);
	printf("\n");
	free(rtt);
	free(total);
	if (fails * 100 > ok + fails)
		return 2;
	return 0;
}

int main(int argc, char **argv)
{
	struct fg_opts o = {
		.max = 1000,
		.min = 100,
		.first_port = 10000,
		.last_port = 32767,
		.wait_ms = 2000,
	};
	bool server = false, client = false;
	unsigned int port = 8080;
	int c;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "sp:c:S:utn:m:d:P:L:w:")) != -1) {
		switch (c) {
		case 's':
			server = true;
			break;
		case 'p':
			port = (unsigned int)parse_ul(optarg, 65535);
			break;
		case 'c':
			client = true;
			parse_dst(optarg, &o.dst);
			break;
		case 'S':
			if (inet_pton(AF_INET, optarg, &o.src) != 1) {
				fprintf(stderr, "flowgen: bad source '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'u':
			o.proto = IPPROTO_UDP;
			break;
		case 't':
			o.proto = IPPROTO_TCP;
			break;
		case 'n':
			o.max = parse_ul(optarg, 100000000);
			break;
		case 'm':
			o.min = parse_ul(optarg, 100000000);
			break;
		case 'd':
			o.secs = strtod(optarg, NULL);
			break;
		case 'P':
			o.first_port = (unsigned int)parse_ul(optarg, 65535);
			break;
		case 'L':
			o.last_port = (unsigned int)parse_ul(optarg, 65535);
			break;
		case 'w':
			o.wait_ms = (int)parse_ul(optarg, 600000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || server == client)
		usage();
	if (server)
		return run_server(port);
	if (!o.proto || !o.max || !o.first_port ||
	    o.last_port < o.first_port)
		usage();
	if (o.min > o.max)
		o.min = o.max;
	return run_client(&o);
}
