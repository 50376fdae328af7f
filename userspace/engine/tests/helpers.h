/* SPDX-License-Identifier: GPL-2.0 */
/* TAP helpers and engine fixtures shared by the engine's test programs. */
#ifndef _LB_TEST_HELPERS_H
#define _LB_TEST_HELPERS_H

#include "lb_engine.h"

#include <stdbool.h>

/* TAP */
void ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void is(const char *got, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int done_testing(void);

/* Engine in memory (db NULL) or on a file, with a constant clock. */
struct lb_engine *eng_open(const char *db, const struct lb_engine_config *c);
struct lb_engine *eng_new(void);

/* Apply YAML; prints diagnostics as TAP comments; returns rc. */
int apply(struct lb_engine *e, const char *yaml);
/* Same, but returns the first diagnostic rendered (static buffer). */
const char *apply_err(struct lb_engine *e, const char *yaml);
int del_svc(struct lb_engine *e, const char *ns, const char *name);
int del_pool(struct lb_engine *e, const char *name);

/* Results use rotating static buffers; valid for a few calls. */
const char *ips(struct lb_engine *e, const char *ns, const char *name);
/* "True/satisfied/" or "False/<reason>/<message>" or "none" / "absent" */
const char *cond(struct lb_engine *e, const char *ns, const char *name);
const char *reason(struct lb_engine *e, const char *ns, const char *name);
/* "<status>/<reason>/<message>" of one pool condition type */
const char *pool_cond(struct lb_engine *e, const char *pool, const char *type);
/* which: "total", "used", "available", "reserved"; fam 0, 4, 6 */
const char *pool_count(struct lb_engine *e, const char *pool, int fam,
		       const char *which);
/* "ip=holder1+holder2[key]" joined with ' ' */
const char *pool_ips(struct lb_engine *e, const char *pool);

/* Captured log lines ('\n' separated) since the last reset. */
const char *logs(void);
void logs_reset(void);
bool logs_have(const char *needle);

/* YAML builders (static rotating buffers). */
const char *pool_yaml(const char *name, const char *blocks, const char *extra);
const char *svc_yaml(const char *ns, const char *name, const char *labels,
		     const char *annotations, const char *spec_extra);
/* An EndpointSlice of default/web: one endpoint on node, ready or not. */
const char *web_slice(const char *node, bool ready);

#endif /* _LB_TEST_HELPERS_H */

/* Random operation generator shared by the randomized and crash tests. */
enum gen_type {
	GEN_APPLY,		/* text is valid YAML */
	GEN_BAD,		/* text must be rejected */
	GEN_DEL_SVC,
	GEN_DEL_POOL,
};

struct gen_op {
	enum gen_type type;
	char ns[16];
	char name[16];
	char text[4096];
};

unsigned gen_rand(unsigned *seed);
void gen_op(unsigned *seed, struct gen_op *op);
/* Apply one op; returns the engine's rc. */
int gen_run(struct lb_engine *e, const struct gen_op *op);
