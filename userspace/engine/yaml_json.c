// SPDX-License-Identifier: GPL-2.0
/*
 * A stored object as JSON text, for "get -o json|yaml": the engine's one
 * YAML reader, scalars typed as Kubernetes' YAML 1.1 reading types them.
 */
#include "engine_int.h"
#include "yaml_node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YJ_MAX_DEPTH	64
#define YJ_MAX_NODES	(4u << 20)

struct yj {
	yaml_document_t *doc;
	struct lb_strbuf out;
	size_t nodes;
	const char *err;
};

static bool is_int(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool is_float(const char *s)
{
	char *end;

	if (!strpbrk(s, "0123456789") || strpbrk(s, "xX"))
		return false;
	strtod(s, &end);
	return *end == '\0' && !strpbrk(s, " \t");
}

static void put_string(struct lb_strbuf *b, const char *s, size_t len)
{
	size_t i;

	lbe_sb_addc(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			lbe_sb_addc(b, '\\');
			lbe_sb_addc(b, (char)c);
		} else if (c < 0x20) {
			lbe_sb_printf(b, "\\u%04x", c);
		} else {
			lbe_sb_addc(b, (char)c);
		}
	}
	lbe_sb_addc(b, '"');
}

static const char *const nulls[] = { "~", "null", "Null", "NULL" };
static const char *const trues[] = { "true", "True", "TRUE" };
static const char *const falses[] = { "false", "False", "FALSE" };

static bool one_of(const char *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

/*
 * libyaml's loader tags every untagged scalar !!str, so the tag cannot
 * tell "80" from 80; the style can.
 */
static void put_scalar(struct lb_strbuf *b, const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	char num[64];
	double d;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    strlen(s) != len) {
		put_string(b, s, len);
	} else if (!len || one_of(s, nulls, LB_ARRAY_SIZE(nulls))) {
		lbe_sb_add(b, "null");
	} else if (one_of(s, trues, LB_ARRAY_SIZE(trues))) {
		lbe_sb_add(b, "true");
	} else if (one_of(s, falses, LB_ARRAY_SIZE(falses))) {
		lbe_sb_add(b, "false");
	} else if (is_int(s) && len < 19) {
		lbe_sb_printf(b, "%lld", strtoll(s, NULL, 10));
	} else if (is_float(s) && isfinite(strtod(s, NULL))) {
		d = strtod(s, NULL);
		snprintf(num, sizeof(num), "%.17g", d);
		lbe_sb_add(b, num);
		/* Stay a float when read back. */
		if (!strpbrk(num, ".eE"))
			lbe_sb_add(b, ".0");
	} else {
		put_string(b, s, len);
	}
}

static bool put_node(struct yj *y, yaml_node_t *n, int depth)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p;

	if (!n) {
		lbe_sb_add(&y->out, "null");
		return true;
	}
	if (depth > YJ_MAX_DEPTH || ++y->nodes > YJ_MAX_NODES) {
		y->err = "document too large or nested too deeply";
		return false;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		put_scalar(&y->out, n);
		return true;
	case YAML_SEQUENCE_NODE:
		lbe_sb_addc(&y->out, '[');
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			if (it != n->data.sequence.items.start)
				lbe_sb_addc(&y->out, ',');
			if (!put_node(y, yaml_document_get_node(y->doc, *it),
				      depth + 1))
				return false;
		}
		lbe_sb_addc(&y->out, ']');
		return true;
	case YAML_MAPPING_NODE:
		lbe_sb_addc(&y->out, '{');
		for (p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(y->doc, p->key);

			if (!k || k->type != YAML_SCALAR_NODE) {
				y->err = "a mapping key is not a scalar";
				return false;
			}
			if (p != n->data.mapping.pairs.start)
				lbe_sb_addc(&y->out, ',');
			put_string(&y->out, (const char *)k->data.scalar.value,
				   k->data.scalar.length);
			lbe_sb_addc(&y->out, ':');
			if (!put_node(y, yaml_document_get_node(y->doc,
								p->value),
				      depth + 1))
				return false;
		}
		lbe_sb_addc(&y->out, '}');
		return true;
	default:
		lbe_sb_add(&y->out, "null");
		return true;
	}
}

char *lbe_yaml_to_json(const char *buf, size_t len, char **err)
{
	struct yj y = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	bool ok;

	if (err)
		*err = NULL;
	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (err)
			*err = lb_xasprintf("YAML syntax error: %s at line %zu column %zu",
					    parser.problem ? parser.problem :
					    "unknown",
					    parser.problem_mark.line + 1,
					    parser.problem_mark.column + 1);
		yaml_parser_delete(&parser);
		return NULL;
	}
	y.doc = &doc;
	ok = put_node(&y, yaml_document_get_root_node(&doc), 0);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!ok) {
		if (err)
			*err = lb_xstrdup(y.err);
		lbe_sb_free(&y.out);
		return NULL;
	}
	return lbe_sb_steal(&y.out);
}

char *lbe_object_json(struct lb_engine *e, enum lb_kind kind,
			    const char *ns, const char *name)
{
	const char *doc = lbe_object_text(e, kind, ns, name);

	return doc ? lbe_yaml_to_json(doc, strlen(doc), NULL) : NULL;
}
