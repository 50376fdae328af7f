// SPDX-License-Identifier: GPL-2.0
/*
 * EndpointSlice objects as the engine keeps them: the parsed spec and
 * its release.
 */
#include "endpoints.h"

#include <stdlib.h>
#include <string.h>

void lbe_eps_spec_free(struct lb_eps_spec *s)
{
	size_t i;

	free(s->service);
	for (i = 0; i < s->neps; i++)
		free(s->eps[i].node);
	free(s->eps);
	for (i = 0; i < s->nports; i++)
		free(s->ports[i].name);
	free(s->ports);
	memset(s, 0, sizeof(*s));
}
