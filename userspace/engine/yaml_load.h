/* SPDX-License-Identifier: GPL-2.0 */
/* Reading multi-document YAML into parsed documents with diagnostics. */
#ifndef _LB_YAML_LOAD_H
#define _LB_YAML_LOAD_H

#include "bgp.h"
#include "endpoints.h"
#include "l2policy.h"
#include "lb_engine.h"
#include "pool.h"
#include "service.h"

/* One object read from a YAML document, before it touches the engine. */
struct lb_doc {
	enum lb_kind kind;
	int index;
	char *ns;		/* NULL for pools */
	char *name;
	char *key;		/* pool name or "ns/name" */
	int64_t created;	/* metadata.creationTimestamp in ns, or 0 */
	char *text;		/* the document's own source text */
	/* Fingerprint of all but apiVersion, kind, metadata and status. */
	uint64_t spec_hash;
	struct lb_pool_spec pool;
	struct lb_svc_spec svc;
	struct lb_eps_spec eps;
	struct lb_l2pol_spec l2;
	struct lb_labels node_labels;
	struct lb_node_addrs node_addrs;
	bool node_leaving;
	struct lb_bgp_spec bgp;
};

struct lb_engine;

/*
 * Parse and validate every document of buf.  On return *docs holds the
 * objects that passed; the caller must treat any diag as fatal for the
 * whole set.  Non-fatal oddities go to e's log when e is non-NULL.
 */
void lbe_yaml_load(struct lb_engine *e, const char *file, const char *buf,
		  size_t len, struct lb_doc **docs, size_t *ndocs,
		  struct lb_diags *diags);
void lbe_docs_free(struct lb_doc *docs, size_t n);

/* Which object a document names, and nothing else. */
struct lb_ident {
	enum lb_kind kind;
	int doc;
	const char *ns;		/* "" if cluster scoped, "default" when unset */
	const char *name;
};

/*
 * Calls cb for every document of buf that names an object; the others,
 * and YAML syntax errors, become diags.
 */
void lbe_yaml_idents(const char *file, const char *buf, size_t len,
		    void (*cb)(const struct lb_ident *id, void *arg),
		    void *arg, struct lb_diags *diags);

#endif /* _LB_YAML_LOAD_H */
