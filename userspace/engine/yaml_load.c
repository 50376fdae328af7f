// SPDX-License-Identifier: GPL-2.0
#include "yaml_load.h"
#include "engine_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#define PATH_MAX_LEN 256

struct yl {
	struct lb_engine *e;
	yaml_document_t *doc;
	const char *file;
	int index;
	const char *prefix;	/* "items[3]" inside a List, else "" */
	struct lb_diags *d;
	size_t errors;
};

void lb_diag_add(struct lb_diags *d, const char *file, int doc,
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
	lb_sb_vprintf(&b, fmt, ap);
	va_end(ap);
	g->reason = lb_sb_steal(&b);
}

void lb_diags_free(struct lb_diags *d)
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

char *lb_diag_str(const struct lb_diag *g)
{
	if (*g->path)
		return lb_xasprintf("%s: document %d: %s: %s", g->file, g->doc,
				    g->path, g->reason);
	return lb_xasprintf("%s: document %d: %s", g->file, g->doc,
			    g->reason);
}

static void err(struct yl *y, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err(struct yl *y, const char *path, const char *fmt, ...)
{
	struct lb_strbuf b = { 0 };
	va_list ap;

	char full[PATH_MAX_LEN + 32];

	va_start(ap, fmt);
	lb_sb_vprintf(&b, fmt, ap);
	va_end(ap);
	if (*y->prefix)
		snprintf(full, sizeof(full), "%s%s%s", y->prefix,
			 *path ? "." : "", path);
	else
		snprintf(full, sizeof(full), "%s", path);
	lb_diag_add(y->d, y->file, y->index, full, "%s", b.s);
	lb_sb_free(&b);
	y->errors++;
}

static void warn(struct yl *y, const char *path, const char *what)
{
	char idx[16], full[PATH_MAX_LEN + 32];

	if (!y->e)
		return;
	snprintf(idx, sizeof(idx), "%d", y->index);
	snprintf(full, sizeof(full), "%s%s%s", y->prefix,
		 *y->prefix && *path ? "." : "", path);
	lb_log(y->e, LB_LOG_WARN, what, "file", y->file, "document", idx,
	       "path", full, NULL);
}

static yaml_node_t *node(struct yl *y, int id)
{
	return yaml_document_get_node(y->doc, id);
}

static bool is_null(const yaml_node_t *n)
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
static yaml_node_t *get(struct yl *y, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *found = NULL;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(y, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			found = node(y, p->value);
	}
	return is_null(found) ? NULL : found;
}

static const char *scalar(struct yl *y, const yaml_node_t *n,
			  const char *path)
{
	const char *v;

	if (!n)
		return NULL;
	if (n->type != YAML_SCALAR_NODE) {
		err(y, path, "expected a string");
		return NULL;
	}
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		err(y, path, "string contains a NUL character");
		return NULL;
	}
	return v;
}

static bool want_map(struct yl *y, const yaml_node_t *n, const char *path)
{
	if (!n)
		return false;
	if (n->type != YAML_MAPPING_NODE) {
		err(y, path, "expected a mapping");
		return false;
	}
	return true;
}

static bool want_seq(struct yl *y, const yaml_node_t *n, const char *path)
{
	if (!n)
		return false;
	if (n->type != YAML_SEQUENCE_NODE) {
		err(y, path, "expected a list");
		return false;
	}
	return true;
}

static bool plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static void get_bool(struct yl *y, const yaml_node_t *map, const char *key,
		     const char *path, bool *out)
{
	yaml_node_t *n = get(y, map, key);
	const char *v;

	if (!n)
		return;
	v = scalar(y, n, path);
	if (!v)
		return;
	if (plain(n) && (!strcmp(v, "true") || !strcmp(v, "True") ||
			 !strcmp(v, "TRUE")))
		*out = true;
	else if (plain(n) && (!strcmp(v, "false") || !strcmp(v, "False") ||
			      !strcmp(v, "FALSE")))
		*out = false;
	else
		err(y, path, "expected a boolean, got '%s'", v);
}

static bool parse_int(struct yl *y, const yaml_node_t *n, const char *path,
		      long long min, long long max, long long *out)
{
	const char *v = scalar(y, n, path);
	long long x;
	char *end;

	if (!v)
		return false;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (!plain(n) || !*v || *end || errno || isspace((unsigned char)*v)) {
		err(y, path, "expected an integer, got '%s'", v);
		return false;
	}
	if (x < min || x > max) {
		err(y, path, "%lld is out of range [%lld, %lld]", x, min, max);
		return false;
	}
	*out = x;
	return true;
}

static const char *get_str(struct yl *y, const yaml_node_t *map,
			   const char *key, const char *path)
{
	return scalar(y, get(y, map, key), path);
}

/* DNS-1123 label (max 63) or subdomain (max 253), optionally DNS-1035. */
static bool valid_dns(const char *s, bool subdomain, bool alpha_first)
{
	size_t n = strlen(s), i;

	if (!n || n > (subdomain ? 253 : 63))
		return false;
	if (alpha_first && !islower((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool alnum = islower(c) || isdigit(c);

		if ((i == 0 || i == n - 1) && !alnum)
			return false;
		if (!alnum && c != '-' && !(subdomain && c == '.'))
			return false;
	}
	return true;
}

static void read_strmap(struct yl *y, const yaml_node_t *n, const char *path,
			struct lb_labels *out)
{
	char p[PATH_MAX_LEN];
	yaml_node_pair_t *pr;

	if (!want_map(y, n, path))
		return;
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(y, pr->key), *v = node(y, pr->value);
		const char *ks = scalar(y, k, path), *vs;

		if (!ks)
			continue;
		snprintf(p, sizeof(p), "%s.%s", path, ks);
		if (!*ks) {
			err(y, p, "empty key");
			continue;
		}
		vs = is_null(v) ? "" : scalar(y, v, p);
		if (vs)
			lb_labels_set(out, ks, vs);
	}
}

static int64_t parse_timestamp(struct yl *y, const yaml_node_t *md)
{
	const char *v = get_str(y, md, "creationTimestamp",
				"metadata.creationTimestamp");
	struct tm tm = { 0 };
	int used = 0;
	time_t t;

	if (!v)
		return 0;
	if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
		   &used) != 6 || used != (int)strlen(v) ||
	    tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60) {
		err(y, "metadata.creationTimestamp",
		    "expected RFC 3339 UTC time like 2024-01-02T03:04:05Z, got '%s'",
		    v);
		return 0;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return (int64_t)t * 1000000000LL;
}

static struct lb_selector *read_selector(struct yl *y, const yaml_node_t *n,
					 const char *path)
{
	struct lb_selector *s;
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];
	yaml_node_t *ml, *me;

	if (!want_map(y, n, path))
		return NULL;
	s = lb_xcalloc(1, sizeof(*s));
	snprintf(p, sizeof(p), "%s.matchLabels", path);
	ml = get(y, n, "matchLabels");
	if (ml)
		read_strmap(y, ml, p, &s->match);
	snprintf(p, sizeof(p), "%s.matchExpressions", path);
	me = get(y, n, "matchExpressions");
	if (!want_seq(y, me, p))
		return s;
	s->exprs = lb_xcalloc(me->data.sequence.items.top -
			      me->data.sequence.items.start,
			      sizeof(*s->exprs));
	for (it = me->data.sequence.items.start;
	     it < me->data.sequence.items.top; it++) {
		size_t idx = it - me->data.sequence.items.start;
		struct lb_sel_expr *x = &s->exprs[s->nexprs];
		yaml_node_t *en = node(y, *it), *vals;
		char q[PATH_MAX_LEN + 32];
		const char *key, *op;
		yaml_node_item_t *vi;

		snprintf(p, sizeof(p), "%s.matchExpressions[%zu]", path, idx);
		if (!want_map(y, en, p)) {
			if (!en || is_null(en))
				err(y, p, "expected a mapping");
			continue;
		}
		snprintf(q, sizeof(q), "%s.key", p);
		key = get_str(y, en, "key", q);
		if (!key || !*key) {
			err(y, q, "key is required");
			continue;
		}
		snprintf(q, sizeof(q), "%s.operator", p);
		op = get_str(y, en, "operator", q);
		if (!op || lb_sel_op_parse(op, &x->op)) {
			err(y, q,
			    "operator must be one of In, NotIn, Exists, DoesNotExist");
			continue;
		}
		snprintf(q, sizeof(q), "%s.values", p);
		vals = get(y, en, "values");
		if (vals && !want_seq(y, vals, q))
			continue;
		x->key = lb_xstrdup(key);
		s->nexprs++;
		if (vals) {
			x->vals = lb_xcalloc(vals->data.sequence.items.top -
					     vals->data.sequence.items.start,
					     sizeof(char *));
			for (vi = vals->data.sequence.items.start;
			     vi < vals->data.sequence.items.top; vi++) {
				const char *v = scalar(y, node(y, *vi), q);

				if (v)
					x->vals[x->nvals++] = lb_xstrdup(v);
			}
		}
		if ((x->op == LB_SEL_IN || x->op == LB_SEL_NOT_IN) &&
		    !x->nvals)
			err(y, q, "values must be non-empty for %s", op);
		if ((x->op == LB_SEL_EXISTS ||
		     x->op == LB_SEL_DOES_NOT_EXIST) && x->nvals)
			err(y, q, "values must be empty for %s", op);
	}
	return s;
}

/* Reserved entries: "ip", "cidr", "first-last" or {cidr}/{start,stop}. */
static void read_reserved(struct yl *y, struct lb_pool_spec *ps,
			  const yaml_node_t *n)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];
	size_t i;

	if (!want_seq(y, n, "spec.reserved"))
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		yaml_node_t *en = node(y, *it);
		struct lb_block b = { 0 };
		const char *v, *dash;
		char *start = NULL;

		snprintf(p, sizeof(p), "spec.reserved[%zu]", idx);
		if (en && en->type == YAML_MAPPING_NODE) {
			const char *cidr = get_str(y, en, "cidr", p);
			const char *st = get_str(y, en, "start", p);
			const char *sp = get_str(y, en, "stop", p);

			if (cidr && *cidr)
				lb_block_set_cidr(&b, cidr);
			else if (st && *st)
				lb_block_set_range(&b, st, sp && *sp ? sp : NULL);
			else
				b.error = lb_xstrdup("needs cidr or start");
		} else {
			v = scalar(y, en, p);
			if (!v) {
				if (!en || is_null(en))
					err(y, p, "expected a string or mapping");
				continue;
			}
			dash = strchr(v, '-');
			if (strchr(v, '/')) {
				lb_block_set_cidr(&b, v);
			} else if (dash) {
				start = lb_xstrndup(v, dash - v);
				lb_block_set_range(&b, start, dash + 1);
				free(start);
			} else {
				lb_block_set_range(&b, v, NULL);
			}
		}
		for (i = 0; b.valid && i < ps->nreserved; i++) {
			if (lb_range_overlaps(&ps->reserved[i], &b.r)) {
				b.valid = false;
				b.error = lb_xasprintf("overlaps reserved[%zu]",
						       i);
			}
		}
		if (b.valid) {
			ps->reserved = lb_xrealloc(ps->reserved,
						   (ps->nreserved + 1) *
						   sizeof(*ps->reserved));
			ps->reserved[ps->nreserved++] = b.r;
		} else {
			ps->problems = lb_xrealloc(ps->problems,
						   (ps->nproblems + 1) *
						   sizeof(char *));
			ps->problems[ps->nproblems++] =
				lb_xasprintf("%s: %s", p, b.error);
		}
		lb_block_free(&b);
	}
}

static void read_blocks(struct yl *y, struct lb_pool_spec *ps,
			const yaml_node_t *n, const char *field)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN + 32];

	if (!want_seq(y, n, field))
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		yaml_node_t *en = node(y, *it);
		const char *cidr, *start, *stop;
		struct lb_block *b;

		snprintf(p, sizeof(p), "%s[%zu]", field, idx);
		if (!en || en->type != YAML_MAPPING_NODE) {
			err(y, p, "expected a mapping with cidr or start/stop");
			continue;
		}
		snprintf(q, sizeof(q), "%s.cidr", p);
		cidr = get_str(y, en, "cidr", q);
		snprintf(q, sizeof(q), "%s.start", p);
		start = get_str(y, en, "start", q);
		snprintf(q, sizeof(q), "%s.stop", p);
		stop = get_str(y, en, "stop", q);
		ps->blocks = lb_xrealloc(ps->blocks, (ps->nblocks + 1) *
					 sizeof(*ps->blocks));
		b = &ps->blocks[ps->nblocks++];
		memset(b, 0, sizeof(*b));
		/* A block's own problems become a condition, not an error. */
		if (cidr && *cidr) {
			bool masked = false;
			struct lb_range r;

			lb_block_set_cidr(b, cidr);
			if (!lb_cidr_parse(cidr, &r, &masked) && masked)
				warn(y, p, "CIDR has host bits set; they are ignored");
		} else if (start && *start) {
			lb_block_set_range(b, start, stop && *stop ? stop : NULL);
		} else {
			b->spec = lb_xstrdup("");
			b->error = lb_xstrdup("block has neither cidr nor start");
		}
	}
}

static void load_pool(struct yl *y, const yaml_node_t *root,
		      struct lb_doc *o)
{
	struct lb_pool_spec *ps = &o->pool;
	yaml_node_t *spec, *n;
	const char *v;
	long long pr;

	ps->allow_first_last = true;
	spec = get(y, root, "spec");
	if (spec && !want_map(y, spec, "spec"))
		return;
	n = get(y, spec, "blocks");
	if (n)
		read_blocks(y, ps, n, "spec.blocks");
	/* v2alpha1 before 1.16 spelled blocks as cidrs. */
	n = get(y, spec, "cidrs");
	if (n)
		read_blocks(y, ps, n, "spec.cidrs");
	n = get(y, spec, "serviceSelector");
	if (n)
		ps->sel = read_selector(y, n, "spec.serviceSelector");
	get_bool(y, spec, "disabled", "spec.disabled", &ps->disabled);
	v = get_str(y, spec, "allowFirstLastIPs", "spec.allowFirstLastIPs");
	if (v) {
		if (!strcmp(v, "Yes"))
			ps->allow_first_last = true;
		else if (!strcmp(v, "No"))
			ps->allow_first_last = false;
		else
			err(y, "spec.allowFirstLastIPs",
			    "must be Yes or No, got '%s'", v);
	}
	n = get(y, spec, "priority");
	if (n && parse_int(y, n, "spec.priority", INT32_MIN, INT32_MAX, &pr))
		ps->priority = pr;
	n = get(y, spec, "reserved");
	if (n)
		read_reserved(y, ps, n);
}

static const char *annotation(const struct lb_labels *ann, const char *key,
			      const char *alias)
{
	const char *v = lb_labels_get(ann, key);

	return v ? v : lb_labels_get(ann, alias);
}

static void add_req(struct lb_svc_spec *ss, const struct lb_addr *a)
{
	size_t i;

	for (i = 0; i < ss->nreq; i++)
		if (lb_addr_eq(&ss->req[i], a))
			return;
	ss->req = lb_xrealloc(ss->req, (ss->nreq + 1) * sizeof(*ss->req));
	ss->req[ss->nreq++] = *a;
}

/* Split on commas; trim when asked (Cilium does not for namespaces). */
static char **split(const char *v, bool trim, size_t *n)
{
	char **out = NULL;
	const char *p = v;

	*n = 0;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		const char *s = p;

		if (trim) {
			while (len && isspace((unsigned char)*s)) {
				s++;
				len--;
			}
			while (len && isspace((unsigned char)s[len - 1]))
				len--;
		}
		if (len || !trim) {
			out = lb_xrealloc(out, (*n + 1) * sizeof(char *));
			out[(*n)++] = lb_xstrndup(s, len);
		}
		if (!c)
			break;
		p = c + 1;
	}
	return out;
}

static void read_annotations(struct yl *y, struct lb_svc_spec *ss,
			     const struct lb_labels *ann)
{
	const char *v;
	char **parts;
	size_t n, i;

	v = annotation(ann, "lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips");
	if (v && *v) {
		parts = split(v, true, &n);
		for (i = 0; i < n; i++) {
			struct lb_addr a;

			if (lb_addr_parse(parts[i], &a))
				warn(y, "metadata.annotations",
				     "Unable to parse requested IP, skipping it");
			else
				add_req(ss, &a);
			free(parts[i]);
		}
		free(parts);
	}
	v = annotation(ann, "lbipam.cilium.io/sharing-key",
		       "io.cilium/lb-ipam-sharing-key");
	if (v && *v)
		ss->sharing_key = lb_xstrdup(v);
	v = annotation(ann, "lbipam.cilium.io/sharing-cross-namespace",
		       "io.cilium/lb-ipam-sharing-cross-namespace");
	if (v && *v)
		ss->xns = split(v, false, &ss->nxns);
	v = lb_labels_get(ann, "lbipam.io/pool");
	if (v && *v)
		ss->pools = split(v, true, &ss->npools);
}

static void read_ports(struct yl *y, struct lb_svc_spec *ss,
		       const yaml_node_t *n)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN + 32];

	if (!want_seq(y, n, "spec.ports"))
		return;
	ss->ports = lb_xcalloc(n->data.sequence.items.top -
			       n->data.sequence.items.start,
			       sizeof(*ss->ports));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		yaml_node_t *en = node(y, *it), *pn;
		struct lb_port *pt = &ss->ports[ss->nports];
		const char *proto, *name;
		long long port;

		snprintf(p, sizeof(p), "spec.ports[%zu]", idx);
		if (!en || en->type != YAML_MAPPING_NODE) {
			err(y, p, "expected a mapping");
			continue;
		}
		snprintf(q, sizeof(q), "%s.port", p);
		pn = get(y, en, "port");
		if (!pn) {
			err(y, q, "port is required");
			continue;
		}
		if (!parse_int(y, pn, q, 1, 65535, &port))
			continue;
		pt->port = (uint16_t)port;
		snprintf(q, sizeof(q), "%s.protocol", p);
		proto = get_str(y, en, "protocol", q);
		if (proto && lb_proto_parse(proto, &pt->proto)) {
			err(y, q, "protocol must be TCP, UDP or SCTP, got '%s'",
			    proto);
			continue;
		}
		snprintf(q, sizeof(q), "%s.name", p);
		name = get_str(y, en, "name", q);
		pt->name = lb_xstrdup(name ? name : "");
		ss->nports++;
	}
}

static void read_families(struct yl *y, struct lb_svc_spec *ss,
			  const yaml_node_t *spec)
{
	yaml_node_t *n = get(y, spec, "ipFamilies");
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];
	const char *v;

	if (n && want_seq(y, n, "spec.ipFamilies")) {
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			size_t idx = it - n->data.sequence.items.start;
			uint8_t fam;

			snprintf(p, sizeof(p), "spec.ipFamilies[%zu]", idx);
			v = scalar(y, node(y, *it), p);
			if (!v)
				continue;
			if (!strcmp(v, "IPv4")) {
				fam = 4;
			} else if (!strcmp(v, "IPv6")) {
				fam = 6;
			} else {
				err(y, p, "must be IPv4 or IPv6, got '%s'", v);
				continue;
			}
			if (ss->nfams == 2 ||
			    (ss->nfams == 1 && ss->fams[0] == fam)) {
				err(y, p, "duplicate or extra family");
				continue;
			}
			ss->fams[ss->nfams++] = fam;
		}
	}
	v = get_str(y, spec, "ipFamilyPolicy", "spec.ipFamilyPolicy");
	if (!v)
		return;
	if (!strcmp(v, "SingleStack"))
		ss->fam_policy = LB_FP_SINGLE;
	else if (!strcmp(v, "PreferDualStack"))
		ss->fam_policy = LB_FP_PREFER_DUAL;
	else if (!strcmp(v, "RequireDualStack"))
		ss->fam_policy = LB_FP_REQUIRE_DUAL;
	else
		err(y, "spec.ipFamilyPolicy",
		    "must be SingleStack, PreferDualStack or RequireDualStack, got '%s'",
		    v);
	if (ss->fam_policy == LB_FP_SINGLE && ss->nfams > 1)
		err(y, "spec.ipFamilies", "SingleStack allows one family");
}

static void read_status(struct yl *y, struct lb_svc_spec *ss,
			const yaml_node_t *root)
{
	yaml_node_t *st = get(y, root, "status"), *lb, *ing;
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];

	if (!want_map(y, st, "status"))
		return;
	lb = get(y, st, "loadBalancer");
	if (!want_map(y, lb, "status.loadBalancer"))
		return;
	ing = get(y, lb, "ingress");
	if (!want_seq(y, ing, "status.loadBalancer.ingress"))
		return;
	for (it = ing->data.sequence.items.start;
	     it < ing->data.sequence.items.top; it++) {
		size_t idx = it - ing->data.sequence.items.start;
		yaml_node_t *en = node(y, *it);
		struct lb_addr a;
		const char *ip;
		size_t i;

		snprintf(p, sizeof(p), "status.loadBalancer.ingress[%zu].ip",
			 idx);
		if (!en || en->type != YAML_MAPPING_NODE)
			continue;
		ip = get_str(y, en, "ip", p);
		/* Hostname-only entries are dropped, as Cilium does. */
		if (!ip || lb_addr_parse(ip, &a))
			continue;
		for (i = 0; i < ss->nhints; i++)
			if (lb_addr_eq(&ss->hints[i], &a))
				break;
		if (i < ss->nhints)
			continue;
		ss->hints = lb_xrealloc(ss->hints,
					(ss->nhints + 1) * sizeof(*ss->hints));
		ss->hints[ss->nhints++] = a;
	}
}

static void load_service(struct yl *y, const yaml_node_t *root,
			 const yaml_node_t *md, struct lb_doc *o)
{
	struct lb_svc_spec *ss = &o->svc;
	struct lb_labels ann = { 0 };
	yaml_node_t *spec, *n;
	const char *v;

	n = get(y, md, "labels");
	if (n)
		read_strmap(y, n, "metadata.labels", &ss->labels);
	lb_labels_set(&ss->labels, "io.kubernetes.service.namespace", o->ns);
	lb_labels_set(&ss->labels, "io.kubernetes.service.name", o->name);
	n = get(y, md, "annotations");
	if (n)
		read_strmap(y, n, "metadata.annotations", &ann);

	spec = get(y, root, "spec");
	if (spec && !want_map(y, spec, "spec"))
		spec = NULL;
	v = get_str(y, spec, "type", "spec.type");
	if (v && strcmp(v, "ClusterIP") && strcmp(v, "NodePort") &&
	    strcmp(v, "LoadBalancer") && strcmp(v, "ExternalName"))
		err(y, "spec.type",
		    "must be ClusterIP, NodePort, LoadBalancer or ExternalName, got '%s'",
		    v);
	ss->is_lb = v && !strcmp(v, "LoadBalancer");
	v = get_str(y, spec, "loadBalancerClass", "spec.loadBalancerClass");
	if (v && *v)
		ss->lb_class = lb_xstrdup(v);
	v = get_str(y, spec, "loadBalancerIP", "spec.loadBalancerIP");
	if (v && *v) {
		struct lb_addr a;

		if (lb_addr_parse(v, &a))
			warn(y, "spec.loadBalancerIP",
			     "Unable to parse requested IP, skipping it");
		else
			add_req(ss, &a);
	}
	/* Requested IPs: loadBalancerIP first, then the annotation. */
	read_annotations(y, ss, &ann);
	lb_labels_free(&ann);
	read_families(y, ss, spec);
	n = get(y, spec, "ports");
	if (n)
		read_ports(y, ss, n);
	v = get_str(y, spec, "externalTrafficPolicy",
		    "spec.externalTrafficPolicy");
	if (v && strcmp(v, "Cluster") && strcmp(v, "Local"))
		err(y, "spec.externalTrafficPolicy",
		    "must be Cluster or Local, got '%s'", v);
	ss->etp_local = v && !strcmp(v, "Local");
	n = get(y, spec, "selector");
	if (n) {
		read_strmap(y, n, "spec.selector", &ss->selector);
		ss->has_selector = ss->selector.n > 0;
	}
	read_status(y, ss, root);
}

static void read_ep_ports(struct yl *y, struct lb_eps_spec *es,
			  const yaml_node_t *n)
{
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN + 32];
	yaml_node_item_t *it;

	if (!want_seq(y, n, "ports"))
		return;
	es->ports = lb_xcalloc(n->data.sequence.items.top -
			       n->data.sequence.items.start,
			       sizeof(*es->ports));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		struct lb_ep_port *pt = &es->ports[es->nports];
		yaml_node_t *en = node(y, *it), *pn;
		const char *name, *proto;
		long long port = 0;

		snprintf(p, sizeof(p), "ports[%zu]", idx);
		if (!en || en->type != YAML_MAPPING_NODE) {
			err(y, p, "expected a mapping");
			continue;
		}
		snprintf(q, sizeof(q), "%s.port", p);
		pn = get(y, en, "port");
		if (pn && !parse_int(y, pn, q, 1, 65535, &port))
			continue;
		snprintf(q, sizeof(q), "%s.protocol", p);
		proto = get_str(y, en, "protocol", q);
		if (proto && lb_proto_parse(proto, &pt->proto)) {
			err(y, q, "protocol must be TCP, UDP or SCTP, got '%s'",
			    proto);
			continue;
		}
		snprintf(q, sizeof(q), "%s.name", p);
		name = get_str(y, en, "name", q);
		pt->name = lb_xstrdup(name ? name : "");
		pt->port = (uint16_t)port;
		es->nports++;
	}
}

static void read_endpoints(struct yl *y, struct lb_eps_spec *es,
			   const yaml_node_t *n, bool fqdn)
{
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN + 32];
	yaml_node_item_t *it, *ai;

	if (!want_seq(y, n, "endpoints"))
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		yaml_node_t *en = node(y, *it), *addrs, *cond;
		bool ready = true;

		snprintf(p, sizeof(p), "endpoints[%zu]", idx);
		if (!en || en->type != YAML_MAPPING_NODE) {
			err(y, p, "expected a mapping");
			continue;
		}
		cond = get(y, en, "conditions");
		snprintf(q, sizeof(q), "%s.conditions", p);
		if (cond && want_map(y, cond, q)) {
			snprintf(q, sizeof(q), "%s.conditions.ready", p);
			/* An unknown readiness counts as ready, as kube-proxy does. */
			get_bool(y, cond, "ready", q, &ready);
		}
		snprintf(q, sizeof(q), "%s.addresses", p);
		addrs = get(y, en, "addresses");
		if (!want_seq(y, addrs, q) || fqdn)
			continue;
		for (ai = addrs->data.sequence.items.start;
		     ai < addrs->data.sequence.items.top; ai++) {
			const char *v = scalar(y, node(y, *ai), q);
			struct lb_ep ep = { .ready = ready };

			if (!v)
				continue;
			if (lb_addr_parse(v, &ep.addr)) {
				err(y, q, "invalid address '%s'", v);
				continue;
			}
			es->eps = lb_xrealloc(es->eps, (es->neps + 1) *
					      sizeof(*es->eps));
			es->eps[es->neps++] = ep;
		}
	}
}

static void load_eps(struct yl *y, const yaml_node_t *root,
		     const yaml_node_t *md, struct lb_doc *o)
{
	struct lb_labels l = { 0 };
	yaml_node_t *n = get(y, md, "labels");
	const char *v;

	if (n)
		read_strmap(y, n, "metadata.labels", &l);
	v = lb_labels_get(&l, "kubernetes.io/service-name");
	if (v)
		o->eps.service = lb_xstrdup(v);
	lb_labels_free(&l);
	v = get_str(y, root, "addressType", "addressType");
	if (v && strcmp(v, "IPv4") && strcmp(v, "IPv6") && strcmp(v, "FQDN"))
		err(y, "addressType", "must be IPv4, IPv6 or FQDN, got '%s'", v);
	n = get(y, root, "endpoints");
	if (n)
		read_endpoints(y, &o->eps, n, v && !strcmp(v, "FQDN"));
	n = get(y, root, "ports");
	if (n)
		read_ep_ports(y, &o->eps, n);
}

static const char *const kind_names[] = {
	[LB_KIND_POOL] = "CiliumLoadBalancerIPPool",
	[LB_KIND_SERVICE] = "Service",
	[LB_KIND_ENDPOINTSLICE] = "EndpointSlice",
};

const char *lb_kind_name(enum lb_kind k)
{
	return (size_t)k < LB_ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

int lb_kind_parse(const char *s, enum lb_kind *k)
{
	size_t i;

	for (i = 0; i < LB_ARRAY_SIZE(kind_names); i++) {
		if (!strcmp(s, kind_names[i])) {
			*k = (enum lb_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool api_ok(enum lb_kind k, const char *api)
{
	switch (k) {
	case LB_KIND_POOL:
		return !strcmp(api, "cilium.io/v2alpha1") ||
		       !strcmp(api, "cilium.io/v2");
	case LB_KIND_SERVICE:
		return !strcmp(api, "v1");
	case LB_KIND_ENDPOINTSLICE:
		return !strcmp(api, "discovery.k8s.io/v1");
	}
	return false;
}

static void doc_free(struct lb_doc *o)
{
	free(o->ns);
	free(o->name);
	free(o->key);
	free(o->text);
	lb_pool_spec_free(&o->pool);
	lb_svc_spec_free(&o->svc);
	lb_eps_spec_free(&o->eps);
}

void lb_docs_free(struct lb_doc *docs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		doc_free(&docs[i]);
	free(docs);
}

/* Returns true when root yields an object in *o (text not yet set). */
static bool load_object(struct yl *y, const yaml_node_t *root,
			struct lb_doc *o)
{
	const char *kind, *api, *name, *ns;
	size_t before = y->errors;
	yaml_node_t *md;

	memset(o, 0, sizeof(*o));
	o->index = y->index;
	if (is_null(root))
		return false;
	if (root->type != YAML_MAPPING_NODE) {
		err(y, "", "document is not a mapping");
		return false;
	}
	kind = get_str(y, root, "kind", "kind");
	api = get_str(y, root, "apiVersion", "apiVersion");
	if (!kind || !*kind) {
		err(y, "kind", "kind is required");
		return false;
	}
	if (lb_kind_parse(kind, &o->kind)) {
		warn(y, "kind", "Skipping document of a kind we do not handle");
		return false;
	}
	if (!api || !api_ok(o->kind, api)) {
		err(y, "apiVersion", "unsupported apiVersion '%s' for %s",
		    api ? api : "", kind);
		return false;
	}
	md = get(y, root, "metadata");
	if (!want_map(y, md, "metadata")) {
		if (!md)
			err(y, "metadata", "metadata is required");
		return false;
	}
	name = get_str(y, md, "name", "metadata.name");
	if (!name || !valid_dns(name, o->kind != LB_KIND_SERVICE,
				o->kind == LB_KIND_SERVICE)) {
		err(y, "metadata.name", "invalid or missing name '%s'",
		    name ? name : "");
		return false;
	}
	o->name = lb_xstrdup(name);
	if (o->kind != LB_KIND_POOL) {
		ns = get_str(y, md, "namespace", "metadata.namespace");
		if (!ns)
			ns = "default";
		if (!valid_dns(ns, false, false)) {
			err(y, "metadata.namespace", "invalid namespace '%s'",
			    ns);
			return false;
		}
		o->ns = lb_xstrdup(ns);
		o->key = lb_xasprintf("%s/%s", ns, name);
	} else {
		o->key = lb_xstrdup(name);
	}
	o->created = parse_timestamp(y, md);
	switch (o->kind) {
	case LB_KIND_POOL:
		o->pool.api_version = lb_xstrdup(api);
		load_pool(y, root, o);
		break;
	case LB_KIND_SERVICE:
		load_service(y, root, md, o);
		break;
	case LB_KIND_ENDPOINTSLICE:
		load_eps(y, root, md, o);
		break;
	}
	return y->errors == before;
}

struct emit_ctx {
	yaml_emitter_t em;
	yaml_document_t *doc;
	struct lb_strbuf out;
	size_t budget;		/* nodes left; aliases can multiply them */
};

static int emit_write(void *data, unsigned char *buf, size_t size)
{
	lb_sb_addn(data, (const char *)buf, size);
	return 1;
}

static bool emit_node(struct emit_ctx *c, yaml_node_t *n, int depth)
{
	yaml_event_t ev;
	yaml_node_item_t *it;
	yaml_node_pair_t *pr;

	if (!n || depth > 64 || !c->budget)
		return false;
	c->budget--;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		yaml_scalar_event_initialize(&ev, NULL, NULL,
					     n->data.scalar.value,
					     (int)n->data.scalar.length, 1, 1,
					     n->data.scalar.style);
		return yaml_emitter_emit(&c->em, &ev);
	case YAML_SEQUENCE_NODE:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_ANY_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(&c->em, &ev))
			return false;
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			if (!emit_node(c, yaml_document_get_node(c->doc, *it),
				       depth + 1))
				return false;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(&c->em, &ev);
	case YAML_MAPPING_NODE:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    YAML_ANY_MAPPING_STYLE);
		if (!yaml_emitter_emit(&c->em, &ev))
			return false;
		for (pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++)
			if (!emit_node(c, yaml_document_get_node(c->doc, pr->key),
				       depth + 1) ||
			    !emit_node(c, yaml_document_get_node(c->doc,
								 pr->value),
				       depth + 1))
				return false;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(&c->em, &ev);
	default:
		return false;
	}
}

/*
 * A List item has no source text of its own that parses alone (it is
 * indented inside the list), so the stored copy is re-emitted YAML.
 */
static char *emit_item(yaml_document_t *doc, yaml_node_t *n)
{
	struct emit_ctx c = { .doc = doc, .budget = 200000 };
	yaml_event_t ev;
	bool ok;

	if (!yaml_emitter_initialize(&c.em))
		return NULL;
	yaml_emitter_set_output(&c.em, emit_write, &c.out);
	yaml_emitter_set_unicode(&c.em, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&c.em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&c.em, &ev);
	ok = ok && emit_node(&c, n, 0);
	if (ok) {
		yaml_document_end_event_initialize(&ev, 1);
		ok = yaml_emitter_emit(&c.em, &ev);
	}
	if (ok) {
		yaml_stream_end_event_initialize(&ev);
		ok = yaml_emitter_emit(&c.em, &ev) && yaml_emitter_flush(&c.em);
	}
	yaml_emitter_delete(&c.em);
	if (!ok) {
		lb_sb_free(&c.out);
		return NULL;
	}
	return lb_sb_steal(&c.out);
}

static void add_doc(struct lb_doc **out, size_t *n, size_t *cap,
		    struct lb_doc *o)
{
	LB_GROW(*out, *n, *cap);
	(*out)[(*n)++] = *o;
}

/* kubectl get -o yaml wraps objects in "kind: List"; take its items. */
static bool is_list(struct yl *y, const yaml_node_t *root)
{
	yaml_node_t *k = get(y, root, "kind"), *a = get(y, root, "apiVersion");

	return k && a && k->type == YAML_SCALAR_NODE &&
	       a->type == YAML_SCALAR_NODE &&
	       !strcmp((const char *)k->data.scalar.value, "List") &&
	       !strcmp((const char *)a->data.scalar.value, "v1");
}

static void load_doc(struct yl *y, const char *buf, struct lb_doc **out,
		     size_t *n, size_t *cap)
{
	yaml_node_t *root = yaml_document_get_root_node(y->doc), *items;
	char prefix[32];
	size_t start, end;
	struct lb_doc o;

	y->prefix = "";
	if (root && root->type == YAML_MAPPING_NODE && is_list(y, root)) {
		yaml_node_item_t *it;

		items = get(y, root, "items");
		if (!items)
			return;
		if (!want_seq(y, items, "items"))
			return;
		for (it = items->data.sequence.items.start;
		     it < items->data.sequence.items.top; it++) {
			yaml_node_t *item = node(y, *it);

			snprintf(prefix, sizeof(prefix), "items[%zu]",
				 (size_t)(it - items->data.sequence.items.start));
			y->prefix = prefix;
			if (load_object(y, item, &o)) {
				o.text = emit_item(y->doc, item);
				if (o.text) {
					add_doc(out, n, cap, &o);
					continue;
				}
				err(y, "", "object too large or too deeply nested");
			}
			doc_free(&o);
		}
		y->prefix = "";
		return;
	}
	if (!load_object(y, root, &o)) {
		doc_free(&o);
		return;
	}
	start = y->doc->start_mark.index;
	end = y->doc->end_mark.index;
	if (end < start)
		end = start;
	o.text = lb_xstrndup(buf + start, end - start);
	add_doc(out, n, cap, &o);
}

void lb_yaml_load(struct lb_engine *e, const char *file, const char *buf,
		  size_t len, struct lb_doc **docs, size_t *ndocs,
		  struct lb_diags *diags)
{
	yaml_parser_t parser;
	struct yl y = { .e = e, .file = file ? file : "-", .d = diags,
			.prefix = "" };
	struct lb_doc *out = NULL;
	size_t n = 0, cap = 0;
	int index = 0;

	*docs = NULL;
	*ndocs = 0;
	if (!yaml_parser_initialize(&parser)) {
		lb_diag_add(diags, y.file, 0, "", "out of memory");
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;; index++) {
		yaml_document_t doc;
		bool done;

		if (!yaml_parser_load(&parser, &doc)) {
			lb_diag_add(diags, y.file, index, "",
				    "YAML syntax error: %s at line %zu column %zu",
				    parser.problem ? parser.problem : "unknown",
				    parser.problem_mark.line + 1,
				    parser.problem_mark.column + 1);
			break;
		}
		/* A document without a root node marks the end of input. */
		done = !yaml_document_get_root_node(&doc);
		if (done) {
			yaml_document_delete(&doc);
			break;
		}
		y.doc = &doc;
		y.index = index;
		load_doc(&y, buf, &out, &n, &cap);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	*docs = out;
	*ndocs = n;
}
