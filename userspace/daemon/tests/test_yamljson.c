// SPDX-License-Identifier: GPL-2.0
/* YAML -> JSON conversion: typing, documents, errors, size limits. */

#include <errno.h>
#include <stdlib.h>
#include "daemon/lbipamd.h"
#include "tap.h"

static int collect(int index, json_t *root, void *arg)
{
	json_t *arr = arg;

	json_array_append_new(arr, json_pack("{s:i, s:O}", "i", index, "d",
					     root));
	return 0;
}

static json_t *parse(const char *y, int *rc, int *bad, char *err)
{
	json_t *arr = json_array();

	*rc = lb_yj_parse(y, strlen(y), collect, arr, bad, err, 256);
	return arr;
}

int main(void)
{
	char err[256];
	int rc, bad;
	json_t *a, *d;
	char *bomb;
	size_t i, n;

	a = parse("a: 80\nb: \"80\"\nc: true\nd: ~\ne: 1.5\nf: x\ng: ''\n"
		  "h: [1, two]\n", &rc, &bad, err);
	d = json_object_get(json_array_get(a, 0), "d");
	ok(rc == 0 && json_array_size(a) == 1, "one document parses");
	ok(json_is_integer(json_object_get(d, "a")) &&
	   json_integer_value(json_object_get(d, "a")) == 80,
	   "plain 80 is an integer");
	is_str(json_string_value(json_object_get(d, "b")), "80",
	       "quoted \"80\" stays a string");
	ok(json_is_true(json_object_get(d, "c")), "true is a boolean");
	ok(json_is_null(json_object_get(d, "d")), "~ is null");
	ok(json_is_real(json_object_get(d, "e")), "1.5 is a float");
	is_str(json_string_value(json_object_get(d, "f")), "x", "x is a string");
	is_str(json_string_value(json_object_get(d, "g")), "",
	       "'' is an empty string");
	ok(json_array_size(json_object_get(d, "h")) == 2, "flow sequence");
	json_decref(a);

	a = parse("---\na: 1\n---\n---\nb: 2\n", &rc, &bad, err);
	ok(rc == 0 && json_array_size(a) == 3, "three documents, one empty");
	ok(json_integer_value(json_object_get(json_array_get(a, 2), "i")) == 2,
	   "document indexes count empty documents");
	json_decref(a);

	a = parse("a: 1\n---\nb: [\n", &rc, &bad, err);
	ok(rc == -EINVAL && bad == 1, "syntax error names document 1");
	ok(strstr(err, "line 4") != NULL, "syntax error has the line (%s)", err);
	json_decref(a);

	/* Aliases multiply: the node budget must stop this quickly. */
	n = 0;
	bomb = malloc(8192);
	n += (size_t)sprintf(bomb + n, "a: &a [x,x,x,x,x,x,x,x,x,x]\n");
	for (i = 1; i < 10; i++)
		n += (size_t)sprintf(bomb + n,
				     "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
				     'a' + (int)i, 'a' + (int)i, 'a' + (int)i - 1,
				     'a' + (int)i - 1, 'a' + (int)i - 1,
				     'a' + (int)i - 1, 'a' + (int)i - 1,
				     'a' + (int)i - 1, 'a' + (int)i - 1,
				     'a' + (int)i - 1, 'a' + (int)i - 1,
				     'a' + (int)i - 1);
	a = parse(bomb, &rc, &bad, err);
	ok(rc == -EINVAL, "alias bomb is refused (%s)", err);
	json_decref(a);
	free(bomb);

	a = parse("? [a]\n: b\n", &rc, &bad, err);
	ok(rc == -EINVAL, "non-scalar key is refused (%s)", err);
	json_decref(a);
	return lb_tap_done();
}
