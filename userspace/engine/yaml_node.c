// SPDX-License-Identifier: GPL-2.0
/* YAML node access and diagnostics shared by the per-kind readers. */
#include "yaml_node.h"
#include "engine_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lbe_diag_add(struct lb_diags *d, const char *file, int doc,
		 const char *path, const char *fmt, ...)
{
	struct lb_diag *g;
	struct lb_strbuf b = { 0 };
	va_list ap;

	if (!d)
		return;
	LB_GROW(d->items, d->n, d->cap);
	g = &d->items[d->n++];
	g->file = lb_xstrdup(file ? file : "-");
	g->doc = doc;
	g->path = lb_xstrdup(path ? path : "");
	va_start(ap, fmt);
	lbe_sb_vprintf(&b, fmt, ap);
	va_end(ap);
	g->reason = lbe_sb_steal(&b);
}

void lbe_diags_free(struct lb_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].path);
		free(d->items[i].reason);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

char *lbe_diag_str(const struct lb_diag *g)
{
	if (*g->path)
		return lb_xasprintf("%s: document %d: %s: %s", g->file, g->doc,
				    g->path, g->reason);
	return lb_xasprintf("%s: document %d: %s", g->file, g->doc,
			    g->reason);
}

void lbe_y_err(struct yl *y, const char *path, const char *fmt, ...)
{
	char full[PATH_MAX_LEN + 32];
	struct lb_strbuf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	lbe_sb_vprintf(&b, fmt, ap);
	va_end(ap);
	if (*y->prefix)
		snprintf(full, sizeof(full), "%s%s%s", y->prefix,
			 *path ? "." : "", path);
	else
		snprintf(full, sizeof(full), "%s", path);
	lbe_diag_add(y->d, y->file, y->index, full, "%s", b.s);
	lbe_sb_free(&b);
	y->errors++;
}

void lbe_y_warn(struct yl *y, const char *path, const char *what)
{
	char idx[16], full[PATH_MAX_LEN + 32];

	if (!y->e)
		return;
	snprintf(idx, sizeof(idx), "%d", y->index);
	snprintf(full, sizeof(full), "%s%s%s", y->prefix,
		 *y->prefix && *path ? "." : "", path);
	lbe_log(y->e, LB_LOG_WARN, what, "file", y->file, "document", idx,
	       "path", full, NULL);
}

yaml_node_t *lbe_y_node(struct yl *y, int id)
{
	return yaml_document_get_node(y->doc, id);
}

bool lbe_y_is_null(const yaml_node_t *n)
{
	const char *v;

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* Last pair wins on duplicate keys, as with JSON decoding. */
yaml_node_t *lbe_y_get(struct yl *y, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *found = NULL;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = lbe_y_node(y, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			found = lbe_y_node(y, p->value);
	}
	return lbe_y_is_null(found) ? NULL : found;
}

const char *lbe_y_scalar(struct yl *y, const yaml_node_t *n, const char *path)
{
	const char *v;

	if (!n)
		return NULL;
	if (n->type != YAML_SCALAR_NODE) {
		lbe_y_err(y, path, "expected a string");
		return NULL;
	}
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		lbe_y_err(y, path, "string contains a NUL character");
		return NULL;
	}
	return v;
}

bool lbe_y_want_map(struct yl *y, const yaml_node_t *n, const char *path)
{
	if (!n)
		return false;
	if (n->type != YAML_MAPPING_NODE) {
		lbe_y_err(y, path, "expected a mapping");
		return false;
	}
	return true;
}

bool lbe_y_want_seq(struct yl *y, const yaml_node_t *n, const char *path)
{
	if (!n)
		return false;
	if (n->type != YAML_SEQUENCE_NODE) {
		lbe_y_err(y, path, "expected a list");
		return false;
	}
	return true;
}

bool lbe_y_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

void lbe_y_get_bool(struct yl *y, const yaml_node_t *map, const char *key,
		   const char *path, bool *out)
{
	yaml_node_t *n = lbe_y_get(y, map, key);
	const char *v;

	if (!n)
		return;
	v = lbe_y_scalar(y, n, path);
	if (!v)
		return;
	if (lbe_y_plain(n) && (!strcmp(v, "true") || !strcmp(v, "True") ||
			      !strcmp(v, "TRUE")))
		*out = true;
	else if (lbe_y_plain(n) && (!strcmp(v, "false") || !strcmp(v, "False") ||
				   !strcmp(v, "FALSE")))
		*out = false;
	else
		lbe_y_err(y, path, "expected a boolean, got '%s'", v);
}

bool lbe_y_parse_int(struct yl *y, const yaml_node_t *n, const char *path,
		    long long min, long long max, long long *out)
{
	const char *v = lbe_y_scalar(y, n, path);
	long long x;
	char *end;

	if (!v)
		return false;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (!lbe_y_plain(n) || !*v || *end || errno || isspace((unsigned char)*v)) {
		lbe_y_err(y, path, "expected an integer, got '%s'", v);
		return false;
	}
	if (x < min || x > max) {
		lbe_y_err(y, path, "%lld is out of range [%lld, %lld]", x, min, max);
		return false;
	}
	*out = x;
	return true;
}

/*
 * The port, protocol and name of a ServicePort or an EndpointPort: one
 * reader so that both kinds accept and refuse the same text.
 */
bool lbe_y_read_port(struct yl *y, const yaml_node_t *en, const char *p,
		    bool required, uint16_t *port, uint8_t *proto, char **name)
{
	char q[PATH_MAX_LEN + 32];
	yaml_node_t *pn;
	const char *v;
	long long n = 0;

	snprintf(q, sizeof(q), "%s.port", p);
	pn = lbe_y_get(y, en, "port");
	if (!pn && required) {
		lbe_y_err(y, q, "port is required");
		return false;
	}
	if (pn && !lbe_y_parse_int(y, pn, q, 1, 65535, &n))
		return false;
	snprintf(q, sizeof(q), "%s.protocol", p);
	v = lbe_y_get_str(y, en, "protocol", q);
	if (lb_proto_parse_k8s(v ? v : "TCP", proto)) {
		lbe_y_err(y, q, "protocol must be TCP, UDP or SCTP, got '%s'", v);
		return false;
	}
	snprintf(q, sizeof(q), "%s.name", p);
	v = lbe_y_get_str(y, en, "name", q);
	*name = lb_xstrdup(v ? v : "");
	*port = (uint16_t)n;
	return true;
}

const char *lbe_y_get_str(struct yl *y, const yaml_node_t *map,
			 const char *key, const char *path)
{
	return lbe_y_scalar(y, lbe_y_get(y, map, key), path);
}

void lbe_y_read_strmap(struct yl *y, const yaml_node_t *n, const char *path,
		      struct lb_labels *out)
{
	char p[PATH_MAX_LEN];
	yaml_node_pair_t *pr;

	if (!lbe_y_want_map(y, n, path))
		return;
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = lbe_y_node(y, pr->key), *v = lbe_y_node(y, pr->value);
		const char *ks = lbe_y_scalar(y, k, path), *vs;

		if (!ks)
			continue;
		snprintf(p, sizeof(p), "%s.%s", path, ks);
		if (!*ks) {
			lbe_y_err(y, p, "empty key");
			continue;
		}
		vs = lbe_y_is_null(v) ? "" : lbe_y_scalar(y, v, p);
		if (vs)
			lbe_labels_set(out, ks, vs);
	}
}
