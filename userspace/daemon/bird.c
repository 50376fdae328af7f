// SPDX-License-Identifier: GPL-2.0
/*
 * BIRD's control socket, as birdc speaks it: a welcome line, then one
 * command per line, each answered by lines "CODE-text" (more follow),
 * " text" (continues the previous code) and a last "CODE text".
 */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "daemon/bgp.h"
#include "lib/lb_mem.h"

/* A reply bigger than this is refused (10k routes "all" is ~2 MB). */
#define REPLY_MAX	(64u << 20)

struct lbipamd_bird {
	int fd;
	int timeout_ms;
	char *buf;			/* read, not yet split into lines */
	size_t n, cap;
	size_t total;			/* bytes of the reply so far */
};

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* More bytes into b->buf; waits at most the timeout. */
static int fill(struct lbipamd_bird *b, char *err, size_t len)
{
	struct pollfd p = { .fd = b->fd, .events = POLLIN };
	ssize_t got;
	int rc;

	rc = poll(&p, 1, b->timeout_ms);
	if (rc < 0)
		return fail(err, len, -errno, "poll: %s", strerror(errno));
	if (!rc)
		return fail(err, len, -ETIMEDOUT,
			    "BIRD did not answer within %d ms", b->timeout_ms);
	if (b->cap - b->n < 4096) {
		b->cap = b->cap ? 2 * b->cap : 16384;
		b->buf = lb_xrealloc(b->buf, b->cap);
	}
	got = read(b->fd, b->buf + b->n, b->cap - b->n);
	if (got < 0)
		return fail(err, len, -errno, "read: %s", strerror(errno));
	if (!got)
		return fail(err, len, -ECONNRESET,
			    "BIRD closed the control socket");
	b->n += (size_t)got;
	b->total += (size_t)got;
	if (b->total > REPLY_MAX)
		return fail(err, len, -EMSGSIZE, "BIRD's reply is too large");
	return 0;
}

/* The next whole line, without its newline (malloc'd), or NULL. */
static char *next_line(struct lbipamd_bird *b)
{
	char *nl = b->n ? memchr(b->buf, '\n', b->n) : NULL;
	char *line;
	size_t l;

	if (!nl)
		return NULL;
	l = (size_t)(nl - b->buf);
	line = lb_xstrndup(b->buf, l);
	memmove(b->buf, nl + 1, b->n - l - 1);
	b->n -= l + 1;
	return line;
}

static bool is_code(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[4] == '-' || s[4] == ' ' || s[4] == '\0';
}

static void add_line(struct lbipamd_bird_reply *r, int code, const char *t)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 32;
		r->v = lb_xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n].code = code;
	r->v[r->n++].text = lb_xstrdup(t);
}

/*
 * Adds one line to r; true when it ends the reply.  "+" lines are
 * spontaneous printouts (not ours) and are dropped.
 */
static bool take_line(struct lbipamd_bird_reply *r, const char *line)
{
	int prev = r->n ? r->v[r->n - 1].code : 0;

	if (is_code(line)) {
		int code = atoi(line);

		add_line(r, code, line[4] ? line + 5 : "");
		r->code = code;
		return line[4] != '-';
	}
	if (line[0] == ' ')
		add_line(r, prev, line + 1);
	return false;
}

static int read_reply(struct lbipamd_bird *b, struct lbipamd_bird_reply *r,
		      char *err, size_t len)
{
	b->total = b->n;
	for (;;) {
		char *line;
		int rc;

		while ((line = next_line(b))) {
			bool end = take_line(r, line);

			free(line);
			if (end)
				return 0;
		}
		rc = fill(b, err, len);
		if (rc)
			return rc;
	}
}

int lbipamd_bird_open(const char *path, int timeout_ms,
		      struct lbipamd_bird **out, char *err, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct lbipamd_bird_reply r = { 0 };
	struct lbipamd_bird *b;
	int rc;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(err, len, -ENAMETOOLONG, "socket path too long");
	strcpy(sa.sun_path, path);
	b = lb_xcalloc(1, sizeof(*b));
	b->timeout_ms = timeout_ms;
	b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b->fd < 0 || connect(b->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = fail(err, len, -errno, "cannot connect to %s: %s", path,
			  strerror(errno));
		lbipamd_bird_close(b);
		return rc;
	}
	rc = read_reply(b, &r, err, len);
	if (!rc && r.code != 1)
		rc = fail(err, len, -EPROTO, "%s is not BIRD's control socket (welcome code %04d)",
			  path, r.code);
	lbipamd_bird_reply_free(&r);
	if (rc) {
		lbipamd_bird_close(b);
		return rc;
	}
	*out = b;
	return 0;
}

int lbipamd_bird_cmd(struct lbipamd_bird *b, const char *cmd,
		     struct lbipamd_bird_reply *r, char *err, size_t len)
{
	char *line;
	size_t l, off = 0;

	memset(r, 0, sizeof(*r));
	if (strchr(cmd, '\n'))
		return fail(err, len, -EINVAL, "a command is one line");
	line = lb_xasprintf("%s\n", cmd);
	l = strlen(line);
	while (off < l) {
		ssize_t put = send(b->fd, line + off, l - off, MSG_NOSIGNAL);

		if (put < 0) {
			free(line);
			return fail(err, len, -errno, "write: %s",
				    strerror(errno));
		}
		off += (size_t)put;
	}
	free(line);
	return read_reply(b, r, err, len);
}

void lbipamd_bird_close(struct lbipamd_bird *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	free(b->buf);
	free(b);
}

void lbipamd_bird_reply_free(struct lbipamd_bird_reply *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].text);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

bool lbipamd_bird_reply_failed(const struct lbipamd_bird_reply *r)
{
	return r->code >= 8000;
}

const char *lbipamd_bird_reply_error(const struct lbipamd_bird_reply *r,
				     char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n && n + 1 < len; i++) {
		if (r->v[i].code < 8000)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "; " : "",
				      r->v[i].text);
	}
	return buf;
}
