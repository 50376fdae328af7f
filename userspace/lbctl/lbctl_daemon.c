// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl's daemon verbs, kubectl-like: apply, delete, get, describe. They
 * talk to lbipamd over its Unix socket (daemon/lbipamd_proto.h); the
 * daemon owns all state, lbctl only formats.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "lbctl.h"
#include "lib/lbipamd_proto.h"

int lbctl_do_apply(int argc, char **argv);
int lbctl_do_delete(int argc, char **argv);
int lbctl_do_get(int argc, char **argv);
int lbctl_do_describe(int argc, char **argv);

#define LBCTL_MAX_ARGS	8

enum lbctl_out {
	LBCTL_OUT_TABLE,
	LBCTL_OUT_WIDE,
	LBCTL_OUT_YAML,
	LBCTL_OUT_JSON,
};

/* What a verb's own options say; positional words are left in args. */
struct lbctl_dargs {
	const char *socket;
	const char *file;
	const char *ns;
	bool all_ns;
	enum lbctl_out out;
	int nargs;
	char *args[LBCTL_MAX_ARGS];
};

/* ------------------------------------------------------------ socket --- */

static const char *lbctl_socket_path(const struct lbctl_dargs *a)
{
	const char *env = getenv(LBIPAMD_SOCKET_ENV);

	if (a->socket)
		return a->socket;
	return env && *env ? env : LBIPAMD_SOCKET;
}

static int lbctl_write_all(int fd, const char *p, size_t n)
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
static json_t *lbctl_call(const struct lbctl_dargs *a, json_t *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = lbctl_socket_path(a);
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
	if (lbctl_write_all(fd, txt, strlen(txt)) ||
	    lbctl_write_all(fd, "\n", 1)) {
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

static const char *lbctl_s(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* Prints the daemon's error and diagnostics; returns the exit code. */
static int lbctl_daemon_failed(json_t *resp)
{
	json_t *diags = json_object_get(resp, "diags"), *d;
	size_t i;

	if (json_array_size(diags) > 0) {
		lbctl_err("error: %s", *lbctl_s(resp, "summary") ?
			  lbctl_s(resp, "summary") : lbctl_s(resp, "error"));
		json_array_foreach(diags, i, d) {
			const char *path = lbctl_s(d, "path");

			fprintf(stderr, "  %s: document %lld: %s%s%s\n",
				lbctl_s(d, "file"),
				(long long)json_integer_value(json_object_get(d, "doc")),
				path, *path ? ": " : "", lbctl_s(d, "reason"));
		}
	} else {
		lbctl_err("error: %s", lbctl_s(resp, "error"));
	}
	json_decref(resp);
	return LBCTL_EXIT_FAIL;
}

/* Response or NULL; NULL means the error was printed and *rc is set. */
static json_t *lbctl_request(const struct lbctl_dargs *a, json_t *req,
			     int *rc)
{
	json_t *resp = lbctl_call(a, req);

	if (!resp) {
		*rc = LBCTL_EXIT_FAIL;
		return NULL;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		*rc = lbctl_daemon_failed(resp);
		return NULL;
	}
	*rc = 0;
	return resp;
}

/* --------------------------------------------------------- arguments --- */

static int lbctl_parse_dargs(int argc, char **argv, struct lbctl_dargs *a,
			     const char *verb)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		const char *o = argv[i];
		const char *val = NULL;

		if (!strcmp(o, "--socket") || !strcmp(o, "-f") ||
		    !strcmp(o, "--filename") || !strcmp(o, "-n") ||
		    !strcmp(o, "--namespace") || !strcmp(o, "-o") ||
		    !strcmp(o, "--output")) {
			if (i + 1 >= argc) {
				lbctl_err("%s: option %s needs a value", verb, o);
				return LBCTL_EXIT_USAGE;
			}
			val = argv[++i];
		} else if (!strncmp(o, "-o", 2) && o[2]) {
			val = o + 2 + (o[2] == '=');
			o = "-o";
		} else if (!strncmp(o, "--output=", 9)) {
			val = o + 9;
			o = "-o";
		} else if (!strncmp(o, "--socket=", 9)) {
			val = o + 9;
			o = "--socket";
		} else if (!strncmp(o, "--namespace=", 12)) {
			val = o + 12;
			o = "-n";
		}
		if (!strcmp(o, "--socket")) {
			a->socket = val;
		} else if (!strcmp(o, "-f") || !strcmp(o, "--filename")) {
			if (a->file) {
				lbctl_err("%s: only one -f per call (one call is all-or-nothing)",
					  verb);
				return LBCTL_EXIT_USAGE;
			}
			a->file = val;
		} else if (!strcmp(o, "-n") || !strcmp(o, "--namespace")) {
			a->ns = val;
		} else if (!strcmp(o, "-o")) {
			if (!strcmp(val, "wide")) {
				a->out = LBCTL_OUT_WIDE;
			} else if (!strcmp(val, "yaml")) {
				a->out = LBCTL_OUT_YAML;
			} else if (!strcmp(val, "json")) {
				a->out = LBCTL_OUT_JSON;
			} else {
				lbctl_err("%s: unknown output format '%s' (wide, yaml, json)",
					  verb, val);
				return LBCTL_EXIT_USAGE;
			}
		} else if (!strcmp(o, "-A") || !strcmp(o, "--all-namespaces")) {
			a->all_ns = true;
		} else if (o[0] == '-' && o[1]) {
			lbctl_err("%s: unknown option '%s'", verb, o);
			return LBCTL_EXIT_USAGE;
		} else {
			if (a->nargs == LBCTL_MAX_ARGS) {
				lbctl_err("%s: too many arguments", verb);
				return LBCTL_EXIT_USAGE;
			}
			a->args[a->nargs++] = argv[i];
		}
	}
	if (lbctl_json && a->out == LBCTL_OUT_TABLE)
		a->out = LBCTL_OUT_JSON;
	return 0;
}

static char *lbctl_read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		lbctl_err("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (cap - n < 65536) {
			char *nb = realloc(buf, cap ? 2 * cap : 65536);

			if (!nb) {
				free(buf);
				buf = NULL;
				lbctl_err("out of memory");
				break;
			}
			buf = nb;
			cap = cap ? 2 * cap : 65536;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (buf && ferror(f)) {
		lbctl_err("reading '%s': %s", path, strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Splits "ns/name"; a bare name takes ns (or "default"). */
static void lbctl_split_name(char *arg, const char *ns, const char **out_ns,
			     const char **out_name)
{
	char *slash = strchr(arg, '/');

	if (slash) {
		*slash = '\0';
		*out_ns = arg;
		*out_name = slash + 1;
	} else {
		*out_ns = ns ? ns : "default";
		*out_name = arg;
	}
}

/* "ippool" -> "ippool", "services" -> "service"... NULL if unknown. */
static const char *lbctl_resource(const char *s)
{
	static const char *const pools[] = { "ippool", "ippools", "lbippool",
		"lbippools", "pool", "pools", "ciliumloadbalancerippool",
		"ciliumloadbalancerippools", NULL };
	static const char *const svcs[] = { "service", "services", "svc",
		NULL };
	static const char *const eps[] = { "endpointslice", "endpointslices",
		NULL };
	size_t i;

	for (i = 0; pools[i]; i++)
		if (!strcmp(s, pools[i]))
			return "ippool";
	for (i = 0; svcs[i]; i++)
		if (!strcmp(s, svcs[i]))
			return "service";
	for (i = 0; eps[i]; i++)
		if (!strcmp(s, eps[i]))
			return "endpointslice";
	if (!strcmp(s, "status"))
		return "status";
	return NULL;
}

/* ------------------------------------------------------- apply/delete --- */

static void lbctl_print_results(json_t *resp)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(resp, "results"), i, r) {
		if (!strcmp(lbctl_s(r, "action"), "deleted"))
			printf("%s \"%s\" deleted\n", lbctl_s(r, "resource"),
			       lbctl_s(r, "name"));
		else
			printf("%s/%s %s\n", lbctl_s(r, "resource"),
			       lbctl_s(r, "name"), lbctl_s(r, "action"));
	}
}

static int lbctl_send_file(const struct lbctl_dargs *a, const char *op)
{
	json_t *req, *resp;
	size_t len;
	char *buf;
	int rc;

	buf = lbctl_read_file(a->file, &len);
	if (!buf)
		return LBCTL_EXIT_FAIL;
	req = json_pack("{s:s, s:s, s:s%}", "op", op, "file",
			strcmp(a->file, "-") ? a->file : "<stdin>", "yaml",
			buf, len);
	free(buf);
	if (!req) {
		lbctl_err("%s: not valid UTF-8 text", a->file);
		return LBCTL_EXIT_FAIL;
	}
	resp = lbctl_request(a, req, &rc);
	if (!resp)
		return rc;
	if (a->out == LBCTL_OUT_JSON)
		lbctl_print_json(json_incref(json_object_get(resp, "results")));
	else
		lbctl_print_results(resp);
	json_decref(resp);
	return 0;
}

int lbctl_do_apply(int argc, char **argv)
{
	struct lbctl_dargs a;
	int rc = lbctl_parse_dargs(argc, argv, &a, "apply");

	if (rc)
		return rc;
	if (argc && !strcmp(argv[0], "help")) {
		printf("Usage: lbctl apply -f FILE|- [--socket PATH]\n");
		return 0;
	}
	if (!a.file || a.nargs) {
		lbctl_err("Usage: lbctl apply -f FILE|-");
		return LBCTL_EXIT_USAGE;
	}
	return lbctl_send_file(&a, "apply");
}

int lbctl_do_delete(int argc, char **argv)
{
	struct lbctl_dargs a;
	const char *res, *ns, *name;
	json_t *req, *resp;
	int rc = lbctl_parse_dargs(argc, argv, &a, "delete");

	if (rc)
		return rc;
	if (argc && !strcmp(argv[0], "help")) {
		printf("Usage: lbctl delete -f FILE|-\n"
		       "       lbctl delete ippool NAME\n"
		       "       lbctl delete service [NS/]NAME [-n NS]\n"
		       "       lbctl delete endpointslice [NS/]NAME [-n NS]\n");
		return 0;
	}
	if (a.file) {
		if (a.nargs) {
			lbctl_err("delete: -f takes no resource names");
			return LBCTL_EXIT_USAGE;
		}
		return lbctl_send_file(&a, "delete");
	}
	res = a.nargs == 2 ? lbctl_resource(a.args[0]) : NULL;
	if (!res || !strcmp(res, "status")) {
		lbctl_err("Usage: lbctl delete -f FILE | ippool NAME | service [NS/]NAME");
		return LBCTL_EXIT_USAGE;
	}
	lbctl_split_name(a.args[1], a.ns, &ns, &name);
	req = json_pack("{s:s, s:s, s:s, s:s}", "op", "delete", "kind", res,
			"namespace", ns, "name", name);
	resp = lbctl_request(&a, req, &rc);
	if (!resp)
		return rc;
	lbctl_print_results(resp);
	json_decref(resp);
	return 0;
}

/* --------------------------------------------------------------- YAML --- */

static bool lbctl_yaml_plain_ok(const char *s)
{
	static const char *const special[] = { "true", "false", "True",
		"False", "TRUE", "FALSE", "null", "Null", "NULL", "~", "yes",
		"no", "Yes", "No", "YES", "NO", "on", "off", "On", "Off", "y",
		"n", NULL };
	const char *p;
	char *end;
	size_t i, n = strlen(s);

	if (!n || strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) ||
	    s[n - 1] == ' ' || s[n - 1] == ':')
		return false;
	for (i = 0; special[i]; i++)
		if (!strcmp(s, special[i]))
			return false;
	strtod(s, &end);
	if (!*end)
		return false;		/* would read back as a number */
	for (p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
		if ((p[0] == ':' && p[1] == ' ') ||
		    (p[0] == ' ' && p[1] == '#'))
			return false;
	}
	return true;
}

static void lbctl_yaml_scalar(json_t *v, FILE *f)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (lbctl_yaml_plain_ok(json_string_value(v))) {
			fputs(json_string_value(v), f);
			return;
		}
		/* A JSON string is a valid YAML double-quoted scalar. */
		s = json_dumps(v, JSON_ENCODE_ANY);
		fputs(s ? s : "\"\"", f);
		free(s);
		return;
	case JSON_INTEGER:
		fprintf(f, "%lld", (long long)json_integer_value(v));
		return;
	case JSON_REAL:
		fprintf(f, "%.17g", json_real_value(v));
		return;
	case JSON_TRUE:
		fputs("true", f);
		return;
	case JSON_FALSE:
		fputs("false", f);
		return;
	default:
		fputs("null", f);
		return;
	}
}

static bool lbctl_yaml_is_empty_coll(json_t *v)
{
	return (json_is_object(v) && !json_object_size(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

static void lbctl_yaml_value(json_t *v, int indent, FILE *f);

/* Writes the entries of an object; the first key's indent is done. */
static void lbctl_yaml_object(json_t *o, int indent, bool first_done, FILE *f)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach(o, k, v) {
		json_t *ks = json_string(k);

		if (!(first && first_done))
			fprintf(f, "%*s", indent, "");
		first = false;
		lbctl_yaml_scalar(ks, f);
		json_decref(ks);
		fputc(':', f);
		if (json_is_object(v) && json_object_size(v)) {
			fputc('\n', f);
			lbctl_yaml_object(v, indent + 2, false, f);
		} else if (json_is_array(v) && json_array_size(v)) {
			/* Sequences sit at their key's indent, as kubectl. */
			fputc('\n', f);
			lbctl_yaml_value(v, indent, f);
		} else {
			fputc(' ', f);
			if (lbctl_yaml_is_empty_coll(v))
				fputs(json_is_object(v) ? "{}" : "[]", f);
			else
				lbctl_yaml_scalar(v, f);
			fputc('\n', f);
		}
	}
}

static void lbctl_yaml_value(json_t *v, int indent, FILE *f)
{
	json_t *it;
	size_t i;

	if (json_is_object(v) && json_object_size(v)) {
		lbctl_yaml_object(v, indent, false, f);
		return;
	}
	if (json_is_array(v) && json_array_size(v)) {
		json_array_foreach(v, i, it) {
			fprintf(f, "%*s- ", indent, "");
			if (json_is_object(it) && json_object_size(it)) {
				lbctl_yaml_object(it, indent + 2, true, f);
			} else if (json_is_array(it) && json_array_size(it)) {
				fputc('\n', f);
				lbctl_yaml_value(it, indent + 2, f);
			} else {
				if (lbctl_yaml_is_empty_coll(it))
					fputs(json_is_object(it) ? "{}" : "[]",
					      f);
				else
					lbctl_yaml_scalar(it, f);
				fputc('\n', f);
			}
		}
		return;
	}
	fprintf(f, "%*s", indent, "");
	if (lbctl_yaml_is_empty_coll(v))
		fputs(json_is_object(v) ? "{}" : "[]", f);
	else
		lbctl_yaml_scalar(v, f);
	fputc('\n', f);
}

/* ------------------------------------------------------------- tables --- */

#define LBCTL_MAX_COLS	12

struct lbctl_table {
	size_t ncols, nrows;
	char **cells;			/* nrows x ncols, row 0 = header */
};

static void lbctl_table_row(struct lbctl_table *t, ...)
{
	char **nc;
	va_list ap;
	size_t i;

	nc = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*nc));
	if (!nc)
		return;
	t->cells = nc;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);

		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

static void lbctl_table_print(struct lbctl_table *t, int indent)
{
	size_t w[LBCTL_MAX_COLS] = { 0 }, r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s ? strlen(s) : 0;

			if (n > w[c])
				w[c] = n;
		}
	for (r = 0; r < t->nrows; r++) {
		printf("%*s", indent, "");
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			/* kubectl: three spaces between columns. */
			if (c + 1 < t->ncols)
				printf("%-*s   ", (int)w[c], s ? s : "");
			else
				printf("%s\n", s ? s : "");
		}
	}
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/* kubectl's HumanDuration. */
static void lbctl_age(json_t *created, char *buf, size_t len)
{
	long long s = (long long)time(NULL) -
		      (long long)json_integer_value(created);
	long long m = s / 60, h = s / 3600, d = s / 86400;

	if (!json_is_integer(created)) {
		snprintf(buf, len, "<unknown>");
		return;
	}
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (m < 10 && s % 60)
		snprintf(buf, len, "%lldm%llds", m, s % 60);
	else if (m < 180)
		snprintf(buf, len, "%lldm", m);
	else if (h < 8 && m % 60)
		snprintf(buf, len, "%lldh%lldm", h, m % 60);
	else if (h < 48)
		snprintf(buf, len, "%lldh", h);
	else if (d < 8 && h % 24)
		snprintf(buf, len, "%lldd%lldh", d, h % 24);
	else if (d < 730)
		snprintf(buf, len, "%lldd", d);
	else
		snprintf(buf, len, "%lldy%lldd", d / 365, d % 365);
}

static json_t *lbctl_cond(json_t *conds, const char *type)
{
	json_t *c;
	size_t i;

	json_array_foreach(conds, i, c)
		if (!strcmp(lbctl_s(c, "type"), type))
			return c;
	return NULL;
}

static void lbctl_join(json_t *arr, const char *field, char *buf, size_t len)
{
	json_t *v;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(arr, i, v) {
		const char *s = field ? lbctl_s(v, field) :
				json_string_value(v);

		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      i ? "," : "", s ? s : "");
	}
}

static void lbctl_ports(json_t *ports, char *buf, size_t len)
{
	json_t *p;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(ports, i, p) {
		json_t *np = json_object_get(p, "nodePort");
		char node[16] = "";

		if (json_is_integer(np))
			snprintf(node, sizeof(node), ":%lld",
				 (long long)json_integer_value(np));
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
				      "%s%lld%s/%s", i ? "," : "",
				      (long long)json_integer_value(
					      json_object_get(p, "port")),
				      node, lbctl_s(p, "protocol"));
	}
	if (!n)
		snprintf(buf, len, "<none>");
}

static void lbctl_selector(json_t *sel, char *buf, size_t len)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	buf[0] = '\0';
	json_object_foreach(sel, k, v) {
		const char *s = json_string_value(v);

		n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
				      "%s%s=%s", n ? "," : "", k, s ? s : "");
	}
	if (!n)
		snprintf(buf, len, "<none>");
}

static void lbctl_external(json_t *svc, char *buf, size_t len)
{
	json_t *ips = json_object_get(svc, "ips");

	if (json_array_size(ips))
		lbctl_join(ips, NULL, buf, len);
	else if (!strcmp(lbctl_s(svc, "type"), "LoadBalancer"))
		snprintf(buf, len, "<pending>");
	else
		snprintf(buf, len, "<none>");
}

static void lbctl_pools_table(json_t *items, enum lbctl_out out)
{
	struct lbctl_table t = { .ncols = out == LBCTL_OUT_WIDE ? 9 : 5 };
	json_t *p;
	size_t i;

	if (out == LBCTL_OUT_WIDE)
		lbctl_table_row(&t, "NAME", "DISABLED", "CONFLICTING",
				"IPS AVAILABLE", "AGE", "IPS USED", "IPS TOTAL",
				"PRIORITY", "BLOCKS");
	else
		lbctl_table_row(&t, "NAME", "DISABLED", "CONFLICTING",
				"IPS AVAILABLE", "AGE");
	json_array_foreach(items, i, p) {
		json_t *counts = json_object_get(p, "counts");
		json_t *conds = json_object_get(p, "conditions");
		json_t *conflict = lbctl_cond(conds, "cilium.io/PoolConflict");
		json_t *avail = lbctl_cond(conds, "cilium.io/IPsAvailable");
		char age[32], prio[32], blocks[1024];

		lbctl_age(json_object_get(p, "created"), age, sizeof(age));
		snprintf(prio, sizeof(prio), "%lld", (long long)
			 json_integer_value(json_object_get(p, "priority")));
		lbctl_join(json_object_get(p, "blocks"), "spec", blocks,
			   sizeof(blocks));
		/* As Cilium's printer columns: straight from the conditions. */
		lbctl_table_row(&t, lbctl_s(p, "name"),
				json_is_true(json_object_get(p, "disabled")) ?
				"true" : "false",
				conflict ? lbctl_s(conflict, "status") :
				json_is_true(json_object_get(p, "conflicting")) ?
				"True" : "False",
				avail ? lbctl_s(avail, "message") :
				lbctl_s(counts, "available"), age,
				lbctl_s(counts, "used"),
				lbctl_s(counts, "total"), prio, blocks);
	}
	lbctl_table_print(&t, 0);
}

static void lbctl_services_table(json_t *items, enum lbctl_out out)
{
	struct lbctl_table t = { .ncols = out == LBCTL_OUT_WIDE ? 8 : 7 };
	json_t *s;
	size_t i;

	if (out == LBCTL_OUT_WIDE)
		lbctl_table_row(&t, "NAMESPACE", "NAME", "TYPE", "CLUSTER-IP",
				"EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR");
	else
		lbctl_table_row(&t, "NAMESPACE", "NAME", "TYPE", "CLUSTER-IP",
				"EXTERNAL-IP", "PORT(S)", "AGE");
	json_array_foreach(items, i, s) {
		char ext[1024], ports[1024], age[32], sel[1024];
		const char *cip = json_string_value(json_array_get(
					json_object_get(s, "clusterIPs"), 0));

		lbctl_external(s, ext, sizeof(ext));
		lbctl_ports(json_object_get(s, "ports"), ports, sizeof(ports));
		lbctl_age(json_object_get(s, "created"), age, sizeof(age));
		lbctl_selector(json_object_get(s, "selector"), sel, sizeof(sel));
		lbctl_table_row(&t, lbctl_s(s, "namespace"), lbctl_s(s, "name"),
				lbctl_s(s, "type"), cip ? cip : "<none>", ext,
				ports, age, sel);
	}
	if (t.nrows == 1) {
		for (i = 0; i < t.ncols; i++)
			free(t.cells[i]);
		free(t.cells);
		fprintf(stderr, "No resources found.\n");
		return;
	}
	lbctl_table_print(&t, 0);
}

/* -o yaml/json: one object, or a List like kubectl. */
static void lbctl_print_objects(json_t *items, bool single, enum lbctl_out out)
{
	json_t *objs = json_array(), *it, *doc;
	size_t i;

	json_array_foreach(items, i, it)
		json_array_append(objs, json_object_get(it, "object"));
	if (single && json_array_size(objs) == 1)
		doc = json_incref(json_array_get(objs, 0));
	else
		doc = json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1",
				"items", objs, "kind", "List", "metadata",
				"resourceVersion", "");
	json_decref(objs);
	if (out == LBCTL_OUT_JSON) {
		lbctl_print_json(doc);
		return;
	}
	lbctl_yaml_value(doc, 0, stdout);
	json_decref(doc);
}

static json_t *lbctl_filter_name(json_t *items, const char *name)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(items, i, it)
		if (!name || !strcmp(lbctl_s(it, "name"), name))
			json_array_append(out, it);
	return out;
}

static int lbctl_get_status(const struct lbctl_dargs *a)
{
	json_t *resp, *k;
	int rc;

	resp = lbctl_request(a, json_pack("{s:s}", "op", "status"), &rc);
	if (!resp)
		return rc;
	if (a->out == LBCTL_OUT_JSON || a->out == LBCTL_OUT_YAML) {
		json_object_del(resp, "ok");
		if (a->out == LBCTL_OUT_JSON) {
			lbctl_print_json(resp);
		} else {
			lbctl_yaml_value(resp, 0, stdout);
			json_decref(resp);
		}
		return 0;
	}
	k = json_object_get(resp, "kernel");
	printf("lbipamd %s\n", lbctl_s(resp, "version"));
	printf("pools:     %lld\n",
	       (long long)json_integer_value(json_object_get(resp, "pools")));
	printf("services:  %lld\n",
	       (long long)json_integer_value(json_object_get(resp, "services")));
	printf("kernel:    %s (%s)\n", lbctl_s(k, "state"), lbctl_s(k, "message"));
	json_decref(resp);
	return 0;
}

int lbctl_do_get(int argc, char **argv)
{
	struct lbctl_dargs a;
	const char *res, *name;
	json_t *req, *resp, *items;
	int rc = lbctl_parse_dargs(argc, argv, &a, "get");

	if (rc)
		return rc;
	res = a.nargs >= 1 && a.nargs <= 2 ? lbctl_resource(a.args[0]) : NULL;
	if (!res || !strcmp(res, "endpointslice")) {
		if (a.nargs >= 1 && !strcmp(a.args[0], "help")) {
			printf("Usage: lbctl get ippools [NAME] [-o wide|yaml|json]\n"
			       "       lbctl get services [NAME] [-A] [-n NS] [-o wide|yaml|json]\n"
			       "       lbctl get status [-o yaml|json]\n");
			return 0;
		}
		lbctl_err("Usage: lbctl get ippools|services|status [NAME] [-A] [-n NS] [-o wide|yaml|json]");
		return LBCTL_EXIT_USAGE;
	}
	if (!strcmp(res, "status"))
		return lbctl_get_status(&a);
	name = a.nargs == 2 ? a.args[1] : NULL;
	req = json_pack("{s:s, s:s}", "op", "get", "kind",
			!strcmp(res, "ippool") ? "ippools" : "services");
	if (!strcmp(res, "service") && !a.all_ns)
		json_object_set_new(req, "namespace",
				    json_string(a.ns ? a.ns : "default"));
	resp = lbctl_request(&a, req, &rc);
	if (!resp)
		return rc;
	items = lbctl_filter_name(json_object_get(resp, "items"), name);
	json_decref(resp);
	if (name && !json_array_size(items)) {
		lbctl_err("error: %s \"%s\" not found",
			  !strcmp(res, "ippool") ?
			  "ciliumloadbalancerippools.cilium.io" : "services",
			  name);
		json_decref(items);
		return LBCTL_EXIT_FAIL;
	}
	if (a.out == LBCTL_OUT_YAML || a.out == LBCTL_OUT_JSON)
		lbctl_print_objects(items, name != NULL, a.out);
	else if (!strcmp(res, "ippool"))
		lbctl_pools_table(items, a.out);
	else
		lbctl_services_table(items, a.out);
	json_decref(items);
	return 0;
}

/* ----------------------------------------------------------- describe --- */

static void lbctl_describe_conditions(json_t *conds)
{
	struct lbctl_table t = { .ncols = 4 };
	json_t *c;
	size_t i;

	printf("Conditions:\n");
	if (!json_array_size(conds)) {
		printf("  <none>\n");
		return;
	}
	lbctl_table_row(&t, "Type", "Status", "Reason", "Message");
	lbctl_table_row(&t, "----", "------", "------", "-------");
	json_array_foreach(conds, i, c)
		lbctl_table_row(&t, lbctl_s(c, "type"), lbctl_s(c, "status"),
				lbctl_s(c, "reason"), lbctl_s(c, "message"));
	lbctl_table_print(&t, 2);
}

static void lbctl_time(json_t *created, char *buf, size_t len)
{
	time_t t = (time_t)json_integer_value(created);
	struct tm tm;
	char age[32];

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	lbctl_age(created, age, sizeof(age));
	snprintf(buf + strlen(buf), len - strlen(buf), " (%s ago)", age);
}

static void lbctl_describe_pool(json_t *p)
{
	json_t *c = json_object_get(p, "counts"), *b, *ip;
	struct lbctl_table t = { .ncols = 3 };
	char when[128];
	size_t i;

	lbctl_time(json_object_get(p, "created"), when, sizeof(when));
	printf("Name:                  %s\n", lbctl_s(p, "name"));
	printf("API Version:           %s\n",
	       lbctl_s(json_object_get(p, "object"), "apiVersion"));
	printf("Kind:                  CiliumLoadBalancerIPPool\n");
	printf("Creation Timestamp:    %s\n", when);
	printf("Disabled:              %s\n",
	       json_is_true(json_object_get(p, "disabled")) ? "true" : "false");
	printf("Conflicting:           %s\n",
	       json_is_true(json_object_get(p, "conflicting")) ? "True" : "False");
	printf("Allow First Last IPs:  %s\n",
	       json_is_true(json_object_get(p, "allowFirstLastIPs")) ?
	       "Yes" : "No");
	printf("Priority:              %lld\n",
	       (long long)json_integer_value(json_object_get(p, "priority")));
	printf("IPs:                   total %s, used %s, available %s, reserved %s\n",
	       lbctl_s(c, "total"), lbctl_s(c, "used"), lbctl_s(c, "available"),
	       lbctl_s(c, "reserved"));
	printf("Blocks:\n");
	json_array_foreach(json_object_get(p, "blocks"), i, b)
		printf("  %-32s %s%s%s\n", lbctl_s(b, "spec"),
		       *lbctl_s(b, "range") ? lbctl_s(b, "range") : "-",
		       json_is_true(json_object_get(b, "valid")) ? "" :
		       "  INVALID: ", lbctl_s(b, "error"));
	lbctl_describe_conditions(json_object_get(p, "conditions"));
	printf("Allocations:\n");
	if (!json_array_size(json_object_get(p, "ips"))) {
		printf("  <none>\n");
		return;
	}
	lbctl_table_row(&t, "IP", "HELD BY", "SHARING KEY");
	json_array_foreach(json_object_get(p, "ips"), i, ip) {
		char holders[2048];
		const char *owner = lbctl_s(ip, "owner");

		if (!strcmp(owner, "service"))
			lbctl_join(json_object_get(ip, "holders"), NULL,
				   holders, sizeof(holders));
		else
			snprintf(holders, sizeof(holders), "<%s>", owner);
		lbctl_table_row(&t, lbctl_s(ip, "ip"), holders,
				*lbctl_s(ip, "sharingKey") ?
				lbctl_s(ip, "sharingKey") : "-");
	}
	lbctl_table_print(&t, 2);
}

static void lbctl_describe_service(json_t *s)
{
	json_t *p, *e, *k, *b, *cond = json_object_get(s, "condition");
	struct lbctl_table t = { .ncols = 6 };
	char buf[2048], when[128];
	size_t i, j;

	lbctl_time(json_object_get(s, "created"), when, sizeof(when));
	printf("Name:                     %s\n", lbctl_s(s, "name"));
	printf("Namespace:                %s\n", lbctl_s(s, "namespace"));
	printf("Creation Timestamp:       %s\n", when);
	lbctl_selector(json_object_get(s, "selector"), buf, sizeof(buf));
	printf("Selector:                 %s\n", buf);
	printf("Type:                     %s\n", lbctl_s(s, "type"));
	lbctl_join(json_object_get(s, "clusterIPs"), NULL, buf, sizeof(buf));
	printf("IPs:                      %s\n", *buf ? buf : "<none>");
	lbctl_external(s, buf, sizeof(buf));
	printf("LoadBalancer Ingress:     %s\n", buf);
	if (*lbctl_s(s, "sharingKey"))
		printf("Sharing Key:              %s\n",
		       lbctl_s(s, "sharingKey"));
	json_array_foreach(json_object_get(s, "ports"), i, p) {
		json_t *tp = json_object_get(p, "targetPort");

		printf("Port:                     %s  %lld/%s\n",
		       *lbctl_s(p, "name") ? lbctl_s(p, "name") : "<unset>",
		       (long long)json_integer_value(json_object_get(p, "port")),
		       lbctl_s(p, "protocol"));
		if (json_is_string(tp))
			printf("TargetPort:               %s/%s\n",
			       json_string_value(tp), lbctl_s(p, "protocol"));
		else
			printf("TargetPort:               %lld/%s\n",
			       (long long)json_integer_value(tp),
			       lbctl_s(p, "protocol"));
	}
	printf("External Traffic Policy:  %s\n",
	       lbctl_s(s, "externalTrafficPolicy"));
	printf("Managed by LB-IPAM:       %s\n",
	       json_is_true(json_object_get(s, "managed")) ? "yes" : "no");
	{
		json_t *conds = cond ? json_pack("[O]", cond) : json_array();

		lbctl_describe_conditions(conds);
		json_decref(conds);
	}
	printf("Endpoints:\n");
	if (!json_array_size(json_object_get(s, "endpoints"))) {
		printf("  <none>\n");
	} else {
		lbctl_table_row(&t, "SLICE", "ADDRESS", "READY", "SERVING",
				"TERMINATING", "NODE");
		json_array_foreach(json_object_get(s, "endpoints"), i, e)
			lbctl_table_row(&t, lbctl_s(e, "slice"),
				lbctl_s(e, "address"),
				json_is_true(json_object_get(e, "ready")) ? "true" : "false",
				json_is_true(json_object_get(e, "serving")) ? "true" : "false",
				json_is_true(json_object_get(e, "terminating")) ? "true" : "false",
				*lbctl_s(e, "nodeName") ? lbctl_s(e, "nodeName") : "-");
		lbctl_table_print(&t, 2);
	}
	printf("Kernel services:\n");
	if (!json_array_size(json_object_get(s, "kernel")))
		printf("  <none>\n");
	json_array_foreach(json_object_get(s, "kernel"), i, k) {
		printf("  %s", lbctl_s(k, "service"));
		if (json_integer_value(json_object_get(k, "affinity")))
			printf(" affinity %llds", (long long)json_integer_value(
				       json_object_get(k, "affinity")));
		if (json_integer_value(json_object_get(k, "flags")) &
		    LBIPAM_SVC_F_LOCAL_ONLY)
			printf(" local-only");
		if (json_integer_value(json_object_get(k, "flags")) &
		    LBIPAM_SVC_F_MASQUERADE)
			printf(" masquerade");
		printf("\n");
		if (!json_array_size(json_object_get(k, "backends")))
			printf("    (no backends: new connections are refused)\n");
		json_array_foreach(json_object_get(k, "backends"), j, b)
			printf("    -> %s %s%s\n", lbctl_s(b, "address"),
			       lbctl_s(b, "state"),
			       json_is_true(json_object_get(b, "local")) ?
			       " local" : "");
	}
}

int lbctl_do_describe(int argc, char **argv)
{
	struct lbctl_dargs a;
	const char *res, *ns, *name;
	json_t *req, *resp, *item;
	int rc = lbctl_parse_dargs(argc, argv, &a, "describe");

	if (rc)
		return rc;
	res = a.nargs == 2 ? lbctl_resource(a.args[0]) : NULL;
	if (!res || !strcmp(res, "status") || !strcmp(res, "endpointslice")) {
		if (a.nargs >= 1 && !strcmp(a.args[0], "help")) {
			printf("Usage: lbctl describe ippool NAME\n"
			       "       lbctl describe service [NS/]NAME [-n NS]\n");
			return 0;
		}
		lbctl_err("Usage: lbctl describe ippool NAME | service [NS/]NAME");
		return LBCTL_EXIT_USAGE;
	}
	lbctl_split_name(a.args[1], a.ns, &ns, &name);
	req = json_pack("{s:s, s:s, s:s, s:s}", "op", "describe", "kind", res,
			"namespace", ns, "name", name);
	resp = lbctl_request(&a, req, &rc);
	if (!resp)
		return rc;
	item = json_object_get(resp, "item");
	if (a.out == LBCTL_OUT_JSON)
		lbctl_print_json(json_incref(item));
	else if (a.out == LBCTL_OUT_YAML)
		lbctl_yaml_value(item, 0, stdout);
	else if (!strcmp(res, "ippool"))
		lbctl_describe_pool(item);
	else
		lbctl_describe_service(item);
	json_decref(resp);
	return 0;
}
