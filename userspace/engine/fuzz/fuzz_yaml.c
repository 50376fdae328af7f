// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: feed arbitrary bytes through the YAML loader and the
 * whole apply path.  Besides memory errors it checks that applying the
 * same input twice changes nothing, the engine's fixpoint property.
 */
#include "lb_engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_engine_config cfg = { 0 };
	struct lb_diags d = { 0 };
	struct lb_engine *e;
	char *a, *b;

	if (lb_engine_open(&cfg, &e, NULL))
		return 0;
	lb_engine_apply_yaml(e, "fuzz", (const char *)data, size, &d);
	lb_diags_free(&d);
	a = lb_engine_dump(e);
	lb_engine_apply_yaml(e, "fuzz", (const char *)data, size, &d);
	lb_diags_free(&d);
	b = lb_engine_dump(e);
	if (strcmp(a, b))
		abort();
	free(a);
	free(b);
	lb_engine_close(e);
	return 0;
}
