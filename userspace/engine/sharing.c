// SPDX-License-Identifier: GPL-2.0
/*
 * IP sharing (lbipam.cilium.io/sharing-key): whether two Services may
 * hold the same IP, by key, ports and cross-namespace rules.
 */
#include "engine_int.h"

#include <string.h>

static bool ns_permitted(const struct lb_service *a, const char *ns)
{
	size_t i;

	for (i = 0; i < a->spec.nxns; i++)
		if (!strcmp(a->spec.xns[i], "*") ||
		    !strcmp(a->spec.xns[i], ns))
			return true;
	return false;
}

static bool ports_clash(const struct lb_engine *e, const struct lb_service *a,
			const struct lb_service *b)
{
	size_t i, j;

	for (i = 0; i < a->spec.nports; i++) {
		for (j = 0; j < b->spec.nports; j++) {
			const struct lb_port *p = &a->spec.ports[i];
			const struct lb_port *q = &b->spec.ports[j];

			if (p->port != q->port)
				continue;
			if (e->cfg.sharing_port_only || p->proto == q->proto)
				return true;
		}
	}
	return false;
}

/* The checks and their order follow Cilium's ServiceView.isCompatible. */
const char *lbe_sharing_incompatible(const struct lb_engine *e,
				    const struct lb_service *a,
				    const struct lb_service *b)
{
	const char *ka = a->spec.sharing_key, *kb = b->spec.sharing_key;

	if (!ka || !kb || strcmp(ka, kb))
		return "different sharing key";
	/* Permission is needed on both sides, not just the newcomer. */
	if (strcmp(a->ns, b->ns) &&
	    !(ns_permitted(a, b->ns) && ns_permitted(b, a->ns)))
		return "different and not permitted namespace";
	if (ports_clash(e, a, b))
		return "same port";
	if (a->spec.etp_local != b->spec.etp_local)
		return "different ExternalTrafficPolicy";
	if (a->spec.etp_local &&
	    (!a->spec.has_selector || !b->spec.has_selector ||
	     !lbe_labels_equal(&a->spec.selector, &b->spec.selector)))
		return "compatible ExternalTrafficPolicy local but selecting different set of pods";
	return NULL;
}
