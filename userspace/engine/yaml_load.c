// SPDX-License-Identifier: GPL-2.0
/* Documents, kubectl Lists, and the per-object header fields. */
#include "yaml_node.h"
#include "engine_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int64_t parse_timestamp(struct yl *y, const yaml_node_t *md)
{
	const char *v = lbe_y_get_str(y, md, "creationTimestamp",
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
		lbe_y_err(y, "metadata.creationTimestamp",
			 "expected RFC 3339 UTC time like 2024-01-02T03:04:05Z, got '%s'",
		    v);
		return 0;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return (int64_t)t * 1000000000LL;
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
	case LB_KIND_L2POLICY:
		return !strcmp(api, "cilium.io/v2alpha1");
	case LB_KIND_NODE:
		return !strcmp(api, "v1");
	case LB_KIND_BGP_CLUSTER:
	case LB_KIND_BGP_PEER:
	case LB_KIND_BGP_ADVERT:
		return !strcmp(api, "cilium.io/v2") ||
		       !strcmp(api, "cilium.io/v2alpha1");
	}
	return false;
}

static void doc_free(struct lb_doc *o)
{
	free(o->ns);
	free(o->name);
	free(o->key);
	free(o->text);
	lbe_pool_spec_free(&o->pool);
	lbe_svc_spec_free(&o->svc);
	lbe_eps_spec_free(&o->eps);
	lbe_l2pol_spec_free(&o->l2);
	lbe_labels_free(&o->node_labels);
	lbe_node_addrs_free(&o->node_addrs);
	lbe_bgp_spec_free(&o->bgp);
}

void lbe_docs_free(struct lb_doc *docs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		doc_free(&docs[i]);
	free(docs);
}

/*
 * Hash of a node, mapping keys in any order (as the API server compares
 * objects, not text); a plain scalar differs from a quoted one (1 vs "1").
 * budget bounds the work aliases can multiply.
 */
static uint64_t node_hash(yaml_document_t *doc, yaml_node_t *n, int depth,
			  size_t *budget)
{
	uint64_t h = n ? (uint64_t)n->type : 0, sum = 0;
	yaml_node_pair_t *pr;
	yaml_node_item_t *it;

	if (!n || depth > 64 || !*budget)
		return h;
	--*budget;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		h = lbe_hash_bytes(n->data.scalar.value, n->data.scalar.length,
				  h + (n->data.scalar.style ==
				       YAML_PLAIN_SCALAR_STYLE));
		break;
	case YAML_SEQUENCE_NODE:
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			uint64_t v = node_hash(doc, yaml_document_get_node(doc, *it),
					       depth + 1, budget);

			h = lbe_hash_bytes(&v, sizeof(v), h);
		}
		break;
	case YAML_MAPPING_NODE:
		for (pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			uint64_t kv[2] = {
				node_hash(doc, yaml_document_get_node(doc, pr->key),
					  depth + 1, budget),
				node_hash(doc, yaml_document_get_node(doc, pr->value),
					  depth + 1, budget),
			};

			sum += lbe_hash_bytes(kv, sizeof(kv), 0);
		}
		h = lbe_hash_bytes(&sum, sizeof(sum), h);
		break;
	default:
		break;
	}
	return h;
}

/* What generation follows: everything but apiVersion, kind, metadata, status. */
static uint64_t spec_hash(yaml_document_t *doc, const yaml_node_t *root)
{
	static const char *const skip[] = { "apiVersion", "kind", "metadata",
					    "status" };
	size_t budget = 1u << 20, i;
	yaml_node_pair_t *pr;
	uint64_t sum = 0;

	for (pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		uint64_t kv[2];

		for (i = 0; k && k->type == YAML_SCALAR_NODE &&
			    i < LB_ARRAY_SIZE(skip); i++)
			if (!strcmp((const char *)k->data.scalar.value, skip[i]))
				break;
		if (k && k->type == YAML_SCALAR_NODE && i < LB_ARRAY_SIZE(skip))
			continue;
		kv[0] = node_hash(doc, k, 1, &budget);
		kv[1] = node_hash(doc, yaml_document_get_node(doc, pr->value),
				  1, &budget);
		sum += lbe_hash_bytes(kv, sizeof(kv), 0);
	}
	return sum;
}

/* metadata.name and .namespace, and the object's key from them. */
static bool read_names(struct yl *y, const yaml_node_t *md, struct lb_doc *o)
{
	const char *name, *ns;

	name = lbe_y_get_str(y, md, "name", "metadata.name");
	if (!name || !valid_dns(name, o->kind != LB_KIND_SERVICE,
				o->kind == LB_KIND_SERVICE)) {
		lbe_y_err(y, "metadata.name", "invalid or missing name '%s'",
			 name ? name : "");
		return false;
	}
	o->name = lb_xstrdup(name);
	if (lb_kind_namespaced(o->kind)) {
		ns = lbe_y_get_str(y, md, "namespace", "metadata.namespace");
		if (!ns)
			ns = "default";
		if (!valid_dns(ns, false, false)) {
			lbe_y_err(y, "metadata.namespace", "invalid namespace '%s'",
				 ns);
			return false;
		}
		o->ns = lb_xstrdup(ns);
	}
	o->key = lbe_key(o->kind, o->ns, name);
	return true;
}

/* Returns true when root yields an object in *o (text not yet set). */
static bool load_object(struct yl *y, const yaml_node_t *root,
			struct lb_doc *o)
{
	const char *kind, *api;
	size_t before = y->errors;
	yaml_node_t *md;

	memset(o, 0, sizeof(*o));
	o->index = y->index;
	if (lbe_y_is_null(root))
		return false;
	if (root->type != YAML_MAPPING_NODE) {
		lbe_y_err(y, "", "document is not a mapping");
		return false;
	}
	kind = lbe_y_get_str(y, root, "kind", "kind");
	api = lbe_y_get_str(y, root, "apiVersion", "apiVersion");
	if (!kind || !*kind) {
		lbe_y_err(y, "kind", "kind is required");
		return false;
	}
	if (lb_kind_parse(kind, &o->kind)) {
		if (y->e && y->e->cfg.strict)
			lbe_y_err(y, "kind",
				 "unknown kind '%s': expected CiliumLoadBalancerIPPool, Service, EndpointSlice, CiliumL2AnnouncementPolicy, Node, CiliumBGPClusterConfig, CiliumBGPPeerConfig or CiliumBGPAdvertisement",
				 kind);
		else
			lbe_y_warn(y, "kind", "Skipping document of a kind we do not handle");
		return false;
	}
	if (!api || !api_ok(o->kind, api)) {
		lbe_y_err(y, "apiVersion", "unsupported apiVersion '%s' for %s",
			 api ? api : "", kind);
		return false;
	}
	md = lbe_y_get(y, root, "metadata");
	if (!lbe_y_want_map(y, md, "metadata")) {
		if (!md)
			lbe_y_err(y, "metadata", "metadata is required");
		return false;
	}
	if (!read_names(y, md, o))
		return false;
	o->created = parse_timestamp(y, md);
	o->spec_hash = spec_hash(y->doc, root);
	switch (o->kind) {
	case LB_KIND_POOL:
		o->pool.api_version = lb_xstrdup(api);
		lbe_y_load_pool(y, root, o);
		break;
	case LB_KIND_SERVICE:
		lbe_y_load_service(y, root, md, o);
		break;
	case LB_KIND_ENDPOINTSLICE:
		lbe_y_load_eps(y, root, md, o);
		break;
	case LB_KIND_L2POLICY:
		lbe_y_load_l2policy(y, root, o);
		break;
	case LB_KIND_NODE:
		lbe_y_load_node(y, root, md, o);
		break;
	case LB_KIND_BGP_CLUSTER:
	case LB_KIND_BGP_PEER:
	case LB_KIND_BGP_ADVERT:
		lbe_y_load_bgp(y, root, md, o);
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
	lbe_sb_addn(data, (const char *)buf, size);
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
		lb_oom("yaml_emitter_initialize");
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
		lbe_sb_free(&c.out);
		return NULL;
	}
	return lbe_sb_steal(&c.out);
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
	yaml_node_t *k = lbe_y_get(y, root, "kind"), *a = lbe_y_get(y, root, "apiVersion");

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

		items = lbe_y_get(y, root, "items");
		if (!items)
			return;
		if (!lbe_y_want_seq(y, items, "items"))
			return;
		for (it = items->data.sequence.items.start;
		     it < items->data.sequence.items.top; it++) {
			yaml_node_t *item = lbe_y_node(y, *it);

			snprintf(prefix, sizeof(prefix), "items[%zu]",
				 (size_t)(it - items->data.sequence.items.start));
			y->prefix = prefix;
			if (load_object(y, item, &o)) {
				o.text = emit_item(y->doc, item);
				if (o.text) {
					add_doc(out, n, cap, &o);
					continue;
				}
				lbe_y_err(y, "", "object too large or too deeply nested");
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

void lbe_yaml_load(struct lb_engine *e, const char *file, const char *buf,
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
	if (!yaml_parser_initialize(&parser))
		lb_oom("yaml_parser_initialize");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;; index++) {
		yaml_document_t doc;
		bool done;

		if (!yaml_parser_load(&parser, &doc)) {
			lbe_diag_add(diags, y.file, index, "",
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

/* Scalar value of key in a mapping, or NULL. */
static const char *ident_str(yaml_document_t *doc, yaml_node_t *map,
			     const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return v && v->type == YAML_SCALAR_NODE ?
			       (const char *)v->data.scalar.value : NULL;
	}
	return NULL;
}

static yaml_node_t *ident_map(yaml_document_t *doc, yaml_node_t *map,
			      const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static void ident_doc(const char *file, int index, yaml_document_t *doc,
		      void (*cb)(const struct lb_ident *id, void *arg),
		      void *arg, struct lb_diags *d)
{
	yaml_node_t *root = yaml_document_get_root_node(doc), *md;
	struct lb_ident id = { .doc = index };
	const char *kind;

	if (lbe_y_is_null(root))
		return;			/* an empty document */
	if (root->type != YAML_MAPPING_NODE) {
		lbe_diag_add(d, file, index, "", "document is not a mapping");
		return;
	}
	kind = ident_str(doc, root, "kind");
	if (!kind) {
		lbe_diag_add(d, file, index, "kind", "kind is required");
		return;
	}
	if (lb_kind_parse(kind, &id.kind)) {
		lbe_diag_add(d, file, index, "kind",
			    "unknown kind '%s': expected CiliumLoadBalancerIPPool, Service, EndpointSlice, CiliumL2AnnouncementPolicy or Node",
			    kind);
		return;
	}
	md = ident_map(doc, root, "metadata");
	id.name = ident_str(doc, md, "name");
	if (!id.name) {
		lbe_diag_add(d, file, index, "metadata.name",
			    "metadata.name is required");
		return;
	}
	id.ns = ident_str(doc, md, "namespace");
	if (!lb_kind_namespaced(id.kind))
		id.ns = "";
	else if (!id.ns || !*id.ns)
		id.ns = "default";
	cb(&id, arg);
}

void lbe_yaml_idents(const char *file, const char *buf, size_t len,
		    void (*cb)(const struct lb_ident *id, void *arg),
		    void *arg, struct lb_diags *diags)
{
	yaml_parser_t parser;
	int index;

	if (!yaml_parser_initialize(&parser)) {
		lbe_diag_add(diags, file, 0, "", "out of memory");
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (index = 0;; index++) {
		yaml_document_t doc;

		if (!yaml_parser_load(&parser, &doc)) {
			lbe_diag_add(diags, file, index, "",
				    "YAML syntax error: %s at line %zu column %zu",
				    parser.problem ? parser.problem : "unknown",
				    parser.problem_mark.line + 1,
				    parser.problem_mark.column + 1);
			break;
		}
		if (!yaml_document_get_root_node(&doc)) {
			yaml_document_delete(&doc);
			break;
		}
		ident_doc(file, index, &doc, cb, arg, diags);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
}
