// SPDX-License-Identifier: GPL-2.0
/*
 * One print path for text and JSON: the printers call these once per
 * field, and the field lands in the text line or in the JSON document.
 */

#include <stdarg.h>
#include <stdlib.h>
#include "lbctl.h"

void lbctl_out_init(struct lbctl_out *p, bool json)
{
	p->json = json;
	p->depth = 0;
	p->root = NULL;
}

/*
 * Adds @v (consumed) to the innermost open object under @key, or to the
 * innermost open array.
 */
static void add(struct lbctl_out *p, const char *key, json_t *v)
{
	json_t *top = p->depth ? p->stack[p->depth - 1] : NULL;

	if (json_is_array(top))
		json_array_append_new(top, v);
	else if (json_is_object(top) && key)
		json_object_set_new(top, key, v);
	else
		json_decref(v);
}

void lbctl_out_open(struct lbctl_out *p, const char *key, bool array)
{
	json_t *v;

	if (!p->json)
		return;
	v = array ? json_array() : json_object();
	if (!p->depth && !p->root)
		p->root = json_incref(v);
	add(p, key, json_incref(v));
	if (p->depth < LBCTL_OUT_DEPTH)
		p->stack[p->depth++] = v;
	json_decref(v);
}

void lbctl_out_close(struct lbctl_out *p)
{
	if (p->json && p->depth)
		p->depth--;
}

int lbctl_out_finish(struct lbctl_out *p)
{
	json_t *root = p->root;

	p->root = NULL;
	if (!p->json) {
		fflush(stdout);
		return 0;
	}
	return lbctl_print_json(root);
}

void lbctl_out_text(struct lbctl_out *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/*
 * The formats below are the callers' string literals, one conversion each
 * for the value given with them; the compiler cannot see that far.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void lbctl_out_str(struct lbctl_out *p, const char *key, const char *fmt,
		   const char *v)
{
	if (p->json && key)
		add(p, key, json_string(v));
	else if (!p->json && fmt)
		printf(fmt, v);
}

void lbctl_out_uint(struct lbctl_out *p, const char *key, const char *fmt,
		    unsigned long long v)
{
	if (p->json && key)
		add(p, key, json_integer((json_int_t)v));
	else if (!p->json && fmt)
		printf(fmt, v);
}

#pragma GCC diagnostic pop

void lbctl_out_bool(struct lbctl_out *p, const char *key, const char *fmt,
		    bool v)
{
	if (p->json && key)
		add(p, key, json_boolean(v));
	else if (!p->json && fmt && v)
		fputs(fmt, stdout);
}

int lbctl_print_json(json_t *j)
{
	char *out = j ? json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT |
				   JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	if (!out) {
		lbctl_err("out of memory");
		return LBCTL_EXIT_FAIL;
	}
	printf("%s\n", out);
	free(out);
	return 0;
}
