// SPDX-License-Identifier: GPL-2.0
/*
 * The /metrics endpoint: libmicrohttpd without threads of its own, its
 * epoll fd polled and MHD_run() called by main.c's single loop.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "daemon/lbipamd.h"

/* A scraper that stalls must not hold a connection for long. */
#define HTTPD_TIMEOUT_S		10
#define HTTPD_MAX_CONNS		32

struct lbipamd_httpd {
	struct MHD_Daemon *mhd;
	struct lbipamd *d;
	int epfd;
};

int lbipamd_parse_hostport(const char *s, char *host, size_t hostlen,
			   uint16_t *port)
{
	const char *colon, *h = s;
	size_t hl;
	unsigned long p;
	unsigned char buf[16];

	if (*s == '[') {
		colon = strstr(s, "]:");
		h = s + 1;
		hl = colon ? (size_t)(colon - h) : 0;
		colon = colon ? colon + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		hl = colon ? (size_t)(colon - s) : 0;
	}
	if (!colon || !hl || hl >= hostlen ||
	    lb_parse_uint(colon + 1, 0, 65535, &p))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (inet_pton(*s == '[' ? AF_INET6 : AF_INET, host, buf) != 1)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* A listening socket of our own: any family, port 0, and its address. */
static int listen_on(const char *addr, char *bound, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	char host[INET6_ADDRSTRLEN + 2], ip[INET6_ADDRSTRLEN];
	uint16_t port;
	int fd, one = 1, err;

	if (lbipamd_parse_hostport(addr, host, sizeof(host), &port))
		return -EINVAL;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	} else {
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (ss.ss_family == AF_INET)
		snprintf(bound, len, "%s:%u",
			 inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip)),
			 ntohs(s4->sin_port));
	else
		snprintf(bound, len, "[%s]:%u",
			 inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip)),
			 ntohs(s6->sin6_port));
	return fd;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer_with_free_callback(len, body,
							       free);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct lbipamd_httpd *h = cls;
	struct lb_prom p;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     lb_xstrdup("only GET /metrics\n"), 18);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
			     lb_xstrdup("lbipamd serves /metrics only\n"), 29);
	lbipamd_prom_init(&p);
	lbipamd_metrics_collect(h->d, &p);
	/* The buffer passes to MHD, which frees it after sending. */
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     p.buf, p.n);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	lbipamd_log(LB_LOG_WARN, "Metrics server", "error", msg, NULL);
}

int lbipamd_httpd_open(const char *addr, struct lbipamd *d,
		       struct lbipamd_httpd **out, char *bound, size_t len)
{
	struct lbipamd_httpd *h = lb_xcalloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;
	int fd;

	fd = listen_on(addr, bound, len);
	if (fd < 0) {
		lbipamd_log(LB_LOG_ERROR, "Cannot listen for metrics",
			    "address", addr, "error", strerror(-fd), NULL);
		free(h);
		return fd;
	}
	h->d = d;
	/* No thread: MHD_run() from our loop, when its epoll fd is ready. */
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL,
				  NULL, on_request, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)HTTPD_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)HTTPD_MAX_CONNS,
				  MHD_OPTION_END);
	info = h->mhd ? MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD) :
		NULL;
	if (!info) {
		lbipamd_log(LB_LOG_ERROR, "Cannot start the metrics server",
			    "address", addr, NULL);
		if (h->mhd)
			MHD_stop_daemon(h->mhd);	/* closes fd */
		else
			close(fd);
		free(h);
		return -EIO;
	}
	h->epfd = info->epoll_fd;
	*out = h;
	return 0;
}

void lbipamd_httpd_close(struct lbipamd_httpd *h)
{
	if (!h)
		return;
	/* Closes the listening socket too, ours or not. */
	MHD_stop_daemon(h->mhd);
	free(h);
}

int lbipamd_httpd_fd(const struct lbipamd_httpd *h)
{
	return h ? h->epfd : -1;
}

int lbipamd_httpd_timeout(const struct lbipamd_httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (!h || MHD_get_timeout(h->mhd, &ms) != MHD_YES)
		return -1;
	return ms > 60000 ? 60000 : (int)ms;
}

void lbipamd_httpd_run(struct lbipamd_httpd *h)
{
	if (h)
		MHD_run(h->mhd);
}
