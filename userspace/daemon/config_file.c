// SPDX-License-Identifier: GPL-2.0
/*
 * lbipamd's configuration file: a YAML mapping of option: value, each
 * value handed to the same setter as its flag, errors naming file:line.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include "daemon/config.h"

static int file_err(const char *file, size_t line, const char *key,
		    const char *msg)
{
	fprintf(stderr, "lbipamd: %s:%zu: %s%s%s\n", file, line,
		key ? key : "", key ? ": " : "", msg);
	return 2;
}

/* A value as flag text: a scalar, or a list/mapping joined by commas. */
static int node_text(yaml_document_t *doc, yaml_node_t *v, char *out,
		     size_t len)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	size_t n = 0;

	out[0] = '\0';
	switch (v->type) {
	case YAML_SCALAR_NODE:
		if (v->data.scalar.length >= len)
			return -E2BIG;
		memcpy(out, v->data.scalar.value, v->data.scalar.length);
		out[v->data.scalar.length] = '\0';
		return 0;
	case YAML_SEQUENCE_NODE:
		for (it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *s = yaml_document_get_node(doc, *it);

			if (!s || s->type != YAML_SCALAR_NODE)
				return -EINVAL;
			n += snprintf(out + n, n < len ? len - n : 0, "%s%s",
				      n ? "," : "", s->data.scalar.value);
		}
		return n < len ? 0 : -E2BIG;
	case YAML_MAPPING_NODE:
		for (p = v->data.mapping.pairs.start;
		     p < v->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			yaml_node_t *s = yaml_document_get_node(doc, p->value);

			if (!k || !s || k->type != YAML_SCALAR_NODE ||
			    s->type != YAML_SCALAR_NODE)
				return -EINVAL;
			n += snprintf(out + n, n < len ? len - n : 0, "%s%s=%s",
				      n ? "," : "", k->data.scalar.value,
				      s->data.scalar.value);
		}
		return n < len ? 0 : -E2BIG;
	default:
		return -EINVAL;
	}
}

/* -1 to go on, else an exit code. */
static int apply_pair(struct lbipamd_config *c, const char *file,
		      yaml_document_t *doc, yaml_node_pair_t *p)
{
	yaml_node_t *k = yaml_document_get_node(doc, p->key);
	yaml_node_t *v = yaml_document_get_node(doc, p->value);
	char text[4096], err[300], msg[400];
	const struct lbipamd_opt *o;
	const char *key;
	size_t line;

	if (!k || !v || k->type != YAML_SCALAR_NODE)
		return file_err(file, k ? k->start_mark.line + 1 : 0, NULL,
				"keys must be plain names");
	key = (const char *)k->data.scalar.value;
	line = k->start_mark.line + 1;
	o = lbipamd_config_opt_find(key);
	if (!o || o->flag_only)
		return file_err(file, line, key, "unknown key");
	if (v->type == YAML_SEQUENCE_NODE && o->set != lbipamd_set_lb_classes &&
	    o->set != lbipamd_set_families &&
	    o->set != lbipamd_set_cluster_cidr)
		return file_err(file, line, key, "expected a single value, not a list");
	if (v->type == YAML_MAPPING_NODE && o->set != lbipamd_set_node_labels)
		return file_err(file, line, key, "expected a value, not a mapping");
	if (node_text(doc, v, text, sizeof(text)))
		return file_err(file, line, key, "value too long or not scalars");
	if (o->set(c, text, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "%s", err);
		return file_err(file, line, key, msg);
	}
	return -1;
}

int lbipamd_config_load_file(struct lbipamd_config *c, const char *file,
			     bool must)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *p;
	FILE *f;
	int rc = -1;

	f = fopen(file, "r");
	if (!f) {
		if (!must && errno == ENOENT)
			return -1;
		fprintf(stderr, "lbipamd: --config: cannot read '%s': %s\n",
			file, strerror(errno));
		return 2;
	}
	lbipamd_config_set_str(&c->file, file);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		fprintf(stderr, "lbipamd: %s:%zu: YAML syntax error: %s\n",
			file, parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		fclose(f);
		return 2;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SCALAR_NODE &&
	    !root->data.scalar.length)
		root = NULL;		/* "" or "~": nothing set */
	if (root && root->type != YAML_MAPPING_NODE) {
		rc = file_err(file, root->start_mark.line + 1, NULL,
			      "expected a mapping of option: value");
	} else if (root) {
		for (p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top && rc < 0; p++)
			rc = apply_pair(c, file, &doc, p);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
