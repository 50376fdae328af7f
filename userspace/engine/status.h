/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What Kubernetes keeps about every object besides its spec: the
 * resourceVersion, and when each condition last changed status.
 */
#ifndef _LB_STATUS_H
#define _LB_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One condition as last synced: enough to keep its transition time. */
struct lb_cond_rec {
	char *type;
	char *status;
	int64_t ltt;		/* lastTransitionTime, seconds since the epoch */
	uint64_t gen;		/* observedGeneration */
};

struct lb_objstat {
	uint64_t rv;		/* metadata.resourceVersion */
	/*
	 * Fingerprint of everything but metadata and status: generation
	 * moves only when it does, as the API server bumps it.
	 */
	uint64_t spec_hash;
	/* Fingerprint of the status last synced: a change bumps rv. */
	uint64_t status_hash;
	bool noted;		/* on the engine's list of objects to write */
	struct lb_cond_rec *conds;
	size_t nconds;
};

void lbe_objstat_free(struct lb_objstat *st);

#endif /* _LB_STATUS_H */
