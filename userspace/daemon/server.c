// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: a Unix stream socket, one JSON request and one JSON
 * response per connection (lbipamd_proto.h). Clients are served from the
 * daemon's single poll loop with non-blocking buffers, so a slow or stuck
 * client never holds up the others or the kernel retries; requests are
 * handled one at a time, which is what serialises access to the engine.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "daemon/lbipamd.h"
#include "lib/lbipamd_proto.h"

#define LB_MAX_CLIENTS		64
/* A client that sends nothing for this long is dropped. */
#define LB_CLIENT_IDLE_SECS	30

struct lb_client {
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	bool may_write;
	time_t last;
	char who[64];
};

struct lbipamd_server {
	int fd;
	char *path;
	struct lb_client c[LB_MAX_CLIENTS];
	size_t nc;
	gid_t group;			/* (gid_t)-1 if the group is absent */
};

bool lbipamd_peer_may_write(uid_t uid, gid_t gid, const gid_t *groups,
			    size_t ngroups, uid_t self, gid_t group)
{
	size_t i;

	if (uid == 0 || uid == self)
		return true;
	if (group == (gid_t)-1)
		return false;
	if (gid == group)
		return true;
	for (i = 0; i < ngroups; i++)
		if (groups[i] == group)
			return true;
	return false;
}

static gid_t group_id(void)
{
	struct group *g = getgrnam(LBIPAMD_GROUP);

	return g ? g->gr_gid : (gid_t)-1;
}

int lbipamd_server_open(const char *path, mode_t mode,
			struct lbipamd_server **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct lbipamd_server *s;
	char *dir, *slash;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		lbipamd_log(LB_LOG_ERROR, "Socket path too long", "path", path,
			    NULL);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	/* The default lives under /run/lbipam, which may not exist yet. */
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			err = -errno;
			lbipamd_log(LB_LOG_ERROR, "Cannot create socket directory",
				    "path", dir, "error", strerror(errno), NULL);
			free(dir);
			return err;
		}
	}
	free(dir);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * A socket file left by a killed daemon would make bind fail; only
	 * remove it if nobody answers on it, so a running daemon is kept.
	 */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		lbipamd_log(LB_LOG_ERROR, "Another lbipamd is listening",
			    "socket", path, NULL);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 64)) {
		err = -errno;
		lbipamd_log(LB_LOG_ERROR, "Cannot listen on the socket",
			    "socket", path, "error", strerror(errno), NULL);
		close(fd);
		return err;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->path = strdup(path);
	s->group = group_id();
	/* Readers need connect access; the group decides who may write. */
	if (s->group != (gid_t)-1 && chown(path, (uid_t)-1, s->group))
		lbipamd_log(LB_LOG_WARN, "Cannot give the socket to its group",
			    "socket", path, "group", LBIPAMD_GROUP, "error",
			    strerror(errno), NULL);
	if (chmod(path, mode))
		lbipamd_log(LB_LOG_WARN, "Cannot set the socket's mode",
			    "socket", path, "error", strerror(errno), NULL);
	*out = s;
	return 0;
}

static void client_drop(struct lbipamd_server *s, size_t i)
{
	close(s->c[i].fd);
	free(s->c[i].in);
	free(s->c[i].out);
	s->c[i] = s->c[--s->nc];
}

void lbipamd_server_close(struct lbipamd_server *s)
{
	if (!s)
		return;
	while (s->nc)
		client_drop(s, 0);
	close(s->fd);
	if (s->path)
		unlink(s->path);
	free(s->path);
	free(s);
}

size_t lbipamd_server_pollfds(struct lbipamd_server *s, struct pollfd *pfd,
			      size_t max)
{
	size_t n = 0, i;

	if (max < 1)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = s->fd,
		.events = s->nc < LB_MAX_CLIENTS ? POLLIN : 0 };
	for (i = 0; i < s->nc && n < max; i++)
		pfd[n++] = (struct pollfd){ .fd = s->c[i].fd,
			.events = s->c[i].out ? POLLOUT : POLLIN };
	return n;
}

static void accept_client(struct lbipamd_server *s)
{
	while (s->nc < LB_MAX_CLIENTS) {
		struct lb_client *c;
		struct ucred cred;
		socklen_t len = sizeof(cred);
		gid_t groups[256];
		socklen_t glen = sizeof(groups);
		size_t ng = 0;
		int fd;

		fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
			close(fd);
			continue;
		}
#ifdef SO_PEERGROUPS
		/* Supplementary groups: "usermod -aG lbipam" must count. */
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen))
			ng = glen / sizeof(gid_t);
#endif
		c = &s->c[s->nc++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->last = time(NULL);
		c->may_write = lbipamd_peer_may_write(cred.uid, cred.gid,
						      groups, ng, geteuid(),
						      s->group);
		snprintf(c->who, sizeof(c->who), "uid=%u pid=%d",
			 (unsigned int)cred.uid, (int)cred.pid);
	}
}

static void respond(struct lb_client *c, json_t *resp)
{
	char *txt = json_dumps(resp, JSON_COMPACT);
	size_t n;

	if (!txt)
		txt = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	if (!txt)
		return;
	n = strlen(txt);
	c->out = realloc(txt, n + 2);
	if (!c->out) {
		free(txt);
		return;
	}
	c->out[n] = '\n';
	c->out[n + 1] = '\0';
	c->out_len = n + 1;
	c->out_off = 0;
}

/* Returns false when the client is done and must be dropped. */
static bool client_read(struct lb_client *c, struct lbipamd *d)
{
	ssize_t r = -1;
	char *nl;

	for (;;) {
		if (c->in_cap - c->in_len < 65536) {
			size_t nc = c->in_cap ? 2 * c->in_cap : 65536;
			char *ni;

			if (nc > LBIPAMD_MAX_REQUEST + 65536) {
				json_t *e = json_pack("{s:b, s:s}", "ok", 0,
					"error", "request too large");

				respond(c, e);
				json_decref(e);
				return true;
			}
			ni = realloc(c->in, nc);
			if (!ni)
				return false;
			c->in = ni;
			c->in_cap = nc;
		}
		r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR;
		if (r == 0)
			break;		/* EOF: take what came as the request */
		c->in_len += (size_t)r;
		c->in[c->in_len] = '\0';
		if (memchr(c->in + c->in_len - r, '\n', (size_t)r))
			break;
	}
	if (!c->in_len)
		return false;
	c->in[c->in_len] = '\0';
	nl = memchr(c->in, '\n', c->in_len);
	if (nl || r == 0) {
		json_error_t je;
		json_t *req, *resp;

		req = json_loadb(c->in, nl ? (size_t)(nl - c->in) : c->in_len,
				 0, &je);
		if (!req || !json_is_object(req)) {
			resp = json_pack("{s:b, s:s}", "ok", 0, "error",
					 "malformed request (not a JSON object)");
		} else {
			const char *op = lbipamd_js(req, "op");

			lbipamd_log(LB_LOG_DEBUG, "Request", "op", op,
				    "peer", c->who, NULL);
			resp = lbipamd_handle(d, req, c->may_write);
		}
		json_decref(req);
		respond(c, resp);
		json_decref(resp);
	}
	return true;
}

static bool client_write(struct lb_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t r = write(c->fd, c->out + c->out_off,
				  c->out_len - c->out_off);

		if (r < 0)
			return errno == EAGAIN || errno == EINTR;
		c->out_off += (size_t)r;
	}
	return false;			/* all sent: close */
}

void lbipamd_server_process(struct lbipamd_server *s, struct pollfd *pfd,
			    size_t n, struct lbipamd *d)
{
	time_t now = time(NULL);
	size_t i, k;

	/* Clients first, by fd, since accepting reorders nothing before. */
	for (k = 1; k < n; k++) {
		for (i = 0; i < s->nc; i++)
			if (s->c[i].fd == pfd[k].fd)
				break;
		if (i == s->nc)
			continue;
		if (pfd[k].revents & (POLLERR | POLLNVAL)) {
			client_drop(s, i);
			continue;
		}
		if (pfd[k].revents & (POLLIN | POLLHUP | POLLOUT))
			s->c[i].last = now;
		if (!s->c[i].out && (pfd[k].revents & (POLLIN | POLLHUP))) {
			if (!client_read(&s->c[i], d)) {
				client_drop(s, i);
				continue;
			}
		}
		if (s->c[i].out && !client_write(&s->c[i]))
			client_drop(s, i);
	}
	for (i = 0; i < s->nc;) {
		if (now - s->c[i].last > LB_CLIENT_IDLE_SECS)
			client_drop(s, i);
		else
			i++;
	}
	if (n && (pfd[0].revents & POLLIN))
		accept_client(s);
}
