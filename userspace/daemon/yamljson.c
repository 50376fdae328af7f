// SPDX-License-Identifier: GPL-2.0
/*
 * YAML documents to jansson values. The engine validates documents; the
 * daemon still needs their fields the engine does not expose (and the
 * whole object for "-o yaml"), and the kind of every document before the
 * engine sees it, since unknown kinds must be an error.
 *
 * Scalars follow the YAML 1.2 core schema (what Kubernetes' decoder
 * effectively accepts): plain null/~/empty, true/false, integers and
 * floats are typed; quoted scalars are strings. Aliases are expanded,
 * so the node budget bounds "billion laughs" documents.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "daemon/lbipamd.h"

#define LB_YJ_MAX_DEPTH	64
#define LB_YJ_MAX_NODES	(4u << 20)

struct lb_yj {
	yaml_document_t *doc;
	size_t nodes;
	char *err;
	size_t errlen;
};

static bool lb_yj_is_int(const char *s)
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

static bool lb_yj_is_float(const char *s)
{
	char *end;

	if (!strpbrk(s, "0123456789") || strpbrk(s, "xX"))
		return false;
	strtod(s, &end);
	return *end == '\0' && !strpbrk(s, " \t");
}

static json_t *lb_yj_scalar(yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;

	/*
	 * libyaml's loader tags every untagged scalar !!str, so the tag
	 * cannot tell "80" from 80; the style can.
	 */
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    strlen(s) != len)
		return json_stringn(s, len);
	if (!len || !strcmp(s, "~") || !strcmp(s, "null") ||
	    !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") ||
	    !strcmp(s, "FALSE"))
		return json_false();
	if (lb_yj_is_int(s) && len < 19)
		return json_integer(strtoll(s, NULL, 10));
	if (lb_yj_is_float(s))
		return json_real(strtod(s, NULL));
	return json_stringn(s, len);
}

static json_t *lb_yj_node(struct lb_yj *y, yaml_node_t *n, int depth)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	json_t *out;

	if (!n)
		return json_null();
	if (depth > LB_YJ_MAX_DEPTH || ++y->nodes > LB_YJ_MAX_NODES) {
		snprintf(y->err, y->errlen,
			 "document too large or nested too deeply");
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return lb_yj_scalar(n);
	case YAML_SEQUENCE_NODE:
		out = json_array();
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			json_t *v = lb_yj_node(y,
				yaml_document_get_node(y->doc, *it), depth + 1);

			if (!v) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, v);
		}
		return out;
	case YAML_MAPPING_NODE:
		out = json_object();
		for (p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
			json_t *v;

			if (!k || k->type != YAML_SCALAR_NODE) {
				snprintf(y->err, y->errlen,
					 "mapping key at line %zu is not a scalar",
					 k ? k->start_mark.line + 1 : 0);
				json_decref(out);
				return NULL;
			}
			v = lb_yj_node(y, yaml_document_get_node(y->doc,
								 p->value),
				       depth + 1);
			if (!v) {
				json_decref(out);
				return NULL;
			}
			json_object_setn_new(out,
					     (const char *)k->data.scalar.value,
					     k->data.scalar.length, v);
		}
		return out;
	default:
		return json_null();
	}
}

int lb_yj_parse(const char *buf, size_t len, lb_yj_cb cb, void *arg,
		int *bad_doc, char *err, size_t errlen)
{
	yaml_parser_t parser;
	int index, rc = 0;

	*bad_doc = 0;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (index = 0; !rc; index++) {
		struct lb_yj y = { .err = err, .errlen = errlen };
		yaml_document_t doc;
		yaml_node_t *root;
		json_t *j;

		if (!yaml_parser_load(&parser, &doc)) {
			snprintf(err, errlen,
				 "YAML syntax error: %s at line %zu column %zu",
				 parser.problem ? parser.problem : "unknown",
				 parser.problem_mark.line + 1,
				 parser.problem_mark.column + 1);
			*bad_doc = index;
			rc = -EINVAL;
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {		/* end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		y.doc = &doc;
		j = lb_yj_node(&y, root, 0);
		yaml_document_delete(&doc);
		if (!j) {
			*bad_doc = index;
			rc = -EINVAL;
			break;
		}
		rc = cb(index, j, arg);
		json_decref(j);
	}
	yaml_parser_delete(&parser);
	return rc;
}
