// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: feed arbitrary bytes through the YAML loader and the
 * whole apply path.  Besides memory errors it checks that applying the
 * same input twice changes nothing, the engine's fixpoint property, and
 * walks the L2 announcements of whatever policies and Services came in.
 */
#include "lb_engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int l2_cb(const struct lb_l2_service *s, void *arg)
{
	*(size_t *)arg += s->n_pairs + s->n_policies;
	return 0;
}

static int l2p_cb(const struct lb_l2_policy_info *p, void *arg)
{
	*(size_t *)arg += p->n_matched + p->n_services + p->n_conditions;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_engine_config cfg = { 0 };
	struct lb_diags d = { 0 };
	static const struct lb_l2_iface ifs[] = { { "eth0", 2 }, { "bond0", 3 } };
	static const char *const keys[] = { "zone" }, *const vals[] = { "a" };
	struct lb_l2_self self = { .name = "node-1", .n_labels = 1,
				   .label_keys = keys, .label_values = vals,
				   .n_ifaces = 2, .ifaces = ifs };
	struct lb_engine *e;
	size_t seen = 0;
	char *a, *b;

	if (lbe_open(&cfg, &e, NULL))
		return 0;
	lbe_apply_yaml(e, "fuzz", (const char *)data, size, &d);
	lbe_diags_free(&d);
	a = lbe_dump(e);
	lbe_apply_yaml(e, "fuzz", (const char *)data, size, &d);
	lbe_diags_free(&d);
	b = lbe_dump(e);
	if (strcmp(a, b))
		abort();
	lbe_foreach_l2_service(e, &self, l2_cb, &seen);
	lbe_foreach_l2_policy(e, &self, l2p_cb, &seen);
	free(a);
	free(b);
	lbe_close(e);
	return 0;
}
