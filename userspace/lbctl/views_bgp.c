// SPDX-License-Identifier: GPL-2.0
/*
 * kubectl's views of the BGP Control Plane kinds (CiliumBGPClusterConfig,
 * CiliumBGPPeerConfig, CiliumBGPAdvertisement): one table, one page.
 */

#include <stdio.h>
#include <string.h>
#include "lbctl.h"

/* The True conditions' types, "<none>" if none: what needs looking at. */
static void problems(json_t *conds, char *buf, size_t len)
{
	json_t *c;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(conds, i, c)
		if (!strcmp(lbctl_str(c, "status"), "True"))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
					      "%s%s", n ? "," : "",
					      lbctl_str(c, "type"));
	if (!n)
		snprintf(buf, len, "<none>");
}

/* Cilium's printer columns are NAME and AGE; -o wide adds ours. */
void lbctl_bgp_objects_table(json_t *items, bool wide)
{
	struct lbctl_table t = { .ncols = wide ? 4 : 2 };
	json_t *o;
	size_t i;

	lbctl_table_row(&t, "NAME", "AGE", "SUMMARY", "PROBLEMS");
	json_array_foreach(items, i, o) {
		char age[32], probs[512];

		lbctl_human_age(json_object_get(o, "created"), age, sizeof(age));
		problems(json_object_get(o, "conditions"), probs, sizeof(probs));
		lbctl_table_row(&t, lbctl_str(o, "name"), age,
				lbctl_str(o, "summary"), probs);
	}
	if (t.nrows == 1) {
		lbctl_no_resources(&t);
		return;
	}
	lbctl_table_print(&t, 0);
}

void lbctl_describe_bgp_object(json_t *item)
{
	json_t *obj = json_object_get(item, "object");
	char when[128];

	lbctl_created_time(json_object_get(item, "created"), when, sizeof(when));
	printf("Name:                %s\n", lbctl_str(item, "name"));
	printf("API Version:         %s\n", lbctl_str(obj, "apiVersion"));
	printf("Kind:                %s\n", lbctl_str(item, "kind"));
	printf("Creation Timestamp:  %s\n", when);
	printf("Generation:          %lld\n",
	       (long long)json_integer_value(json_object_get(item, "generation")));
	printf("Summary:             %s\n", lbctl_str(item, "summary"));
	lbctl_describe_conditions(json_object_get(item, "conditions"));
}
