// SPDX-License-Identifier: GPL-2.0
/*
 * Service objects as the engine keeps them: spec release, first-come
 * ordering and which IP families a Service asks for.
 */
#include "service.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void lbe_svc_spec_free(struct lb_svc_spec *s)
{
	size_t i;

	free(s->lb_class);
	lbe_selector_free(s->node_sel);
	lbe_labels_free(&s->labels);
	lbe_labels_free(&s->selector);
	free(s->req);
	free(s->ext_ips);
	free(s->sharing_key);
	lbe_strv_free(s->xns, s->nxns);
	lbe_strv_free(s->pools, s->npools);
	for (i = 0; i < s->nports; i++) {
		free(s->ports[i].name);
		free(s->ports[i].target_name);
	}
	free(s->ports);
	free(s->hints);
	free(s->type);
	free(s->cips);
	lbe_strv_free(s->cip_text, s->ncip_text);
	free(s->ranges);
	memset(s, 0, sizeof(*s));
}

void lbe_service_free(struct lb_service *s)
{
	if (!s)
		return;
	lbe_svc_spec_free(&s->spec);
	free(s->ns);
	free(s->name);
	free(s->key);
	free(s->doc);
	free(s->held);
	free(s->cond_reason);
	free(s->cond_msg);
	lbe_objstat_free(&s->st);
	free(s);
}

int lbe_service_cmp_age(const struct lb_service *a, const struct lb_service *b)
{
	int c;

	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	c = strcmp(a->ns, b->ns);
	return c ? c : strcmp(a->name, b->name);
}

size_t lbe_service_families(const struct lb_service *s, bool v4on, bool v6on,
			   uint8_t fams[2])
{
	const struct lb_svc_spec *sp = &s->spec;
	size_t n = 0, i;

	switch (sp->fam_policy) {
	case LB_FP_UNSET:
	case LB_FP_SINGLE:
		/* The primary family wins even if disabled (cilium#34899). */
		if (sp->nfams)
			fams[n++] = sp->fams[0];
		else if (v4on)
			fams[n++] = 4;
		else if (v6on)
			fams[n++] = 6;
		break;
	case LB_FP_PREFER_DUAL:
		if (sp->nfams) {
			for (i = 0; i < sp->nfams; i++)
				if ((sp->fams[i] == 4 && v4on) ||
				    (sp->fams[i] == 6 && v6on))
					fams[n++] = sp->fams[i];
			break;
		}
		/* fall through */
	case LB_FP_REQUIRE_DUAL:
		if (v4on)
			fams[n++] = 4;
		if (v6on)
			fams[n++] = 6;
		break;
	}
	return n;
}
