// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl's client of lbipamd: one JSON request over the daemon's Unix socket
 * (lib/lbipamd_proto.h), one JSON response, and the daemon's errors.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "lbctl.h"
#include "lib/lbipamd_proto.h"

static const char *socket_path(const struct lbctl_opts *o)
{
	const char *env = getenv(LBIPAMD_SOCKET_ENV);

	if (o->socket)
		return o->socket;
	return env && *env ? env : LBIPAMD_SOCKET;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends req (consumed); returns the response or NULL (error printed). */
static json_t *call(const struct lbctl_opts *o, json_t *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = socket_path(o);
	char *txt = json_dumps(req, JSON_COMPACT), *buf = NULL;
	size_t len = 0, cap = 0;
	json_error_t je;
	json_t *resp;
	int fd;

	json_decref(req);
	if (!txt) {
		lbctl_err("out of memory");
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		lbctl_err("socket path too long: %s", path);
		free(txt);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		lbctl_err("cannot reach lbipamd at %s: %s (is lbipamd running? --socket or $%s select another socket)",
			  path, strerror(errno), LBIPAMD_SOCKET_ENV);
		if (fd >= 0)
			close(fd);
		free(txt);
		return NULL;
	}
	if (write_all(fd, txt, strlen(txt)) ||
	    write_all(fd, "\n", 1)) {
		lbctl_err("sending to lbipamd: %s", strerror(errno));
		close(fd);
		free(txt);
		return NULL;
	}
	free(txt);
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t r;

		if (cap - len < 65536) {
			char *nb = realloc(buf, cap ? 2 * cap : 65536);

			if (!nb) {
				lbctl_err("out of memory");
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap = cap ? 2 * cap : 65536;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	resp = len ? json_loadb(buf, len, 0, &je) : NULL;
	free(buf);
	if (!json_is_object(resp)) {
		lbctl_err("lbipamd sent no valid response");
		json_decref(resp);
		return NULL;
	}
	return resp;
}

const char *lbctl_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* Prints the daemon's error and diagnostics; returns the exit code. */
static int daemon_failed(json_t *resp)
{
	json_t *diags = json_object_get(resp, "diags"), *d;
	size_t i;

	if (json_array_size(diags) > 0) {
		lbctl_err("error: %s", *lbctl_str(resp, "summary") ?
			  lbctl_str(resp, "summary") : lbctl_str(resp, "error"));
		json_array_foreach(diags, i, d) {
			const char *path = lbctl_str(d, "path");

			fprintf(stderr, "  %s: document %lld: %s%s%s\n",
				lbctl_str(d, "file"),
				(long long)json_integer_value(json_object_get(d, "doc")),
				path, *path ? ": " : "", lbctl_str(d, "reason"));
		}
	} else {
		lbctl_err("error: %s", lbctl_str(resp, "error"));
	}
	json_decref(resp);
	return LBCTL_EXIT_FAIL;
}

/* Response or NULL; NULL means the error was printed and *rc is set. */
json_t *lbctl_request(const struct lbctl_opts *o, json_t *req,
		      int *rc)
{
	json_t *resp = call(o, req);

	if (!resp) {
		*rc = LBCTL_EXIT_FAIL;
		return NULL;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		*rc = daemon_failed(resp);
		return NULL;
	}
	*rc = 0;
	return resp;
}
