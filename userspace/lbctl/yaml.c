// SPDX-License-Identifier: GPL-2.0
/*
 * "-o yaml": the daemon's JSON written as YAML through libyaml's emitter,
 * block style with sequences at their key's indent, as kubectl writes it.
 */

#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "lbctl.h"

/*
 * libyaml quotes what YAML's syntax needs, but does not know which plain
 * words a reader would take for something else than a string.
 */
static bool reads_as_non_string(const char *s)
{
	static const char *const words[] = { "true", "false", "True",
		"False", "TRUE", "FALSE", "null", "Null", "NULL", "~", "yes",
		"no", "Yes", "No", "YES", "NO", "on", "off", "On", "Off", "y",
		"n", "Y", "N", NULL };
	char *end;
	size_t i;

	if (!*s)
		return true;
	for (i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return true;
	strtod(s, &end);
	return !*end;
}

static int scalar(yaml_emitter_t *e, const char *s, bool plain)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
				     (int)strlen(s), 1, 1,
				     plain ? YAML_ANY_SCALAR_STYLE :
				     YAML_SINGLE_QUOTED_SCALAR_STYLE);
	return yaml_emitter_emit(e, &ev);
}

static int string(yaml_emitter_t *e, const char *s)
{
	return scalar(e, s, !reads_as_non_string(s));
}

static int value(yaml_emitter_t *e, json_t *v);

static int mapping(yaml_emitter_t *e, json_t *o)
{
	yaml_event_t ev;
	const char *k;
	json_t *v;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
					    YAML_BLOCK_MAPPING_STYLE);
	if (!yaml_emitter_emit(e, &ev))
		return 0;
	json_object_foreach(o, k, v)
		if (!string(e, k) || !value(e, v))
			return 0;
	yaml_mapping_end_event_initialize(&ev);
	return yaml_emitter_emit(e, &ev);
}

static int sequence(yaml_emitter_t *e, json_t *a)
{
	yaml_event_t ev;
	json_t *v;
	size_t i;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
					     YAML_BLOCK_SEQUENCE_STYLE);
	if (!yaml_emitter_emit(e, &ev))
		return 0;
	json_array_foreach(a, i, v)
		if (!value(e, v))
			return 0;
	yaml_sequence_end_event_initialize(&ev);
	return yaml_emitter_emit(e, &ev);
}

/* libyaml's functions return 1 on success. */
static int value(yaml_emitter_t *e, json_t *v)
{
	char num[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return mapping(e, v);
	case JSON_ARRAY:
		return sequence(e, v);
	case JSON_STRING:
		return string(e, json_string_value(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(v));
		return scalar(e, num, true);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		return scalar(e, num, true);
	case JSON_TRUE:
		return scalar(e, "true", true);
	case JSON_FALSE:
		return scalar(e, "false", true);
	default:
		return scalar(e, "null", true);
	}
}

static int write_stdout(void *data, unsigned char *buf, size_t size)
{
	(void)data;
	return fwrite(buf, 1, size, stdout) == size;
}

int lbctl_print_yaml(json_t *v)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&e)) {
		lbctl_err("out of memory");
		return LBCTL_EXIT_FAIL;
	}
	yaml_emitter_set_output(&e, write_stdout, NULL);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);		/* no folding of long lines */
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&e, &ev) && value(&e, v);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e);
	if (!ok)
		lbctl_err("writing YAML: %s",
			  e.problem ? e.problem : "cannot write the output");
	yaml_emitter_delete(&e);
	return ok ? 0 : LBCTL_EXIT_FAIL;
}
