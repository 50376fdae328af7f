/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbipamd internals: the pieces main.c wires together.
 *
 *   log.c       structured log lines on stderr
 *   yamljson.c  YAML documents -> jansson values
 *   objects.c   the applied objects as JSON (for what the engine does not
 *               expose: EndpointSlice conditions, clusterIPs, targetPort,
 *               session affinity, source ranges, -o yaml)
 *   desired.c   engine + objects -> the kernel services we want
 *   kernel.c    reconcile that set into lbipam.ko
 *   api.c       the requests of lbipamd_proto.h
 *   server.c    the Unix socket and its clients
 */
#ifndef LBIPAMD_H
#define LBIPAMD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "engine/lb_engine.h"
#include "lib/lb_nl.h"

#ifndef LBIPAM_VERSION
#define LBIPAM_VERSION "unknown"
#endif

/* ---------------------------------------------------------------- log */

void lbipamd_log_set_level(enum lb_log_level min);
enum lb_log_level lbipamd_log_level(void);
int lbipamd_log_parse_level(const char *s, enum lb_log_level *l);
/* msg, then key, value pairs (values may be NULL: skipped), then NULL. */
void lbipamd_log(enum lb_log_level l, const char *msg, ...)
	__attribute__((sentinel));
/* A complete logfmt record without time= (the engine's lines). */
void lbipamd_log_raw(enum lb_log_level l, const char *line);
/* The engine's lb_log_fn. */
void lbipamd_log_engine(void *arg, enum lb_log_level l, const char *line);

/* ----------------------------------------------------------- yamljson */

/* Called for every document, with its 0-based index; root is borrowed. */
typedef int (*lb_yj_cb)(int index, json_t *root, void *arg);
/*
 * Parses every document of buf. Returns 0, the first non-zero callback
 * return, or -EINVAL with *bad_doc and err set for a syntax error or a
 * document beyond the size limits.
 */
int lb_yj_parse(const char *buf, size_t len, lb_yj_cb cb, void *arg,
		int *bad_doc, char *err, size_t errlen);

/* ------------------------------------------------------------ objects */

/* A stored object is keyed "<Kind>/<namespace>/<name>" ("" ns for pools). */
char *lbipamd_obj_key(enum lb_kind kind, const char *ns, const char *name);
/* Loads the objects the engine has stored in db (read only). */
int lbipamd_objects_load(json_t *objs, const char *db_path, char **err);
/* Kind, namespace (defaulted), name of a document; -EINVAL if not one. */
int lbipamd_obj_ident(json_t *doc, enum lb_kind *kind, const char **ns,
		      const char **name);
json_t *lbipamd_obj_get(json_t *objs, enum lb_kind kind, const char *ns,
			const char *name);
/* Helpers for reading optional fields. */
const char *lb_js(json_t *o, const char *path);	/* "a.b.c" or NULL */
json_t *lb_jget(json_t *o, const char *path);
/* JSON true/false or YAML "true"/"false"; dflt if absent or other. */
bool lb_jbool(json_t *o, const char *path, bool dflt);
/* ns since the epoch -> "2026-11-26T04:30:00Z" */
void lb_rfc3339(int64_t ns, char *buf, size_t len);

/* ------------------------------------------------------------ desired */

struct lbipamd_ksvc {
	struct lb_service_key key;
	struct lb_svc_opts opts;
	size_t nbe;
	struct lb_backend *be;		/* sorted by address, port */
	char owner[320];		/* "ns/name" of the Service */
};

struct lbipamd_kset {
	struct lbipamd_ksvc *v;		/* sorted by key */
	size_t n, cap;
};

struct lbipamd_desired_cfg {
	const char *node_name;		/* NULL: every endpoint is local */
	bool masquerade;		/* ETP Cluster -> LBIPAM_SVC_F_MASQUERADE */
};

void lbipamd_kset_free(struct lbipamd_kset *s);
int lbipamd_ksvc_cmp_key(const struct lb_service_key *a,
			 const struct lb_service_key *b);
/* Backends sorted and compared by address, then port. */
int lbipamd_backend_cmp(const void *a, const void *b);
/* Builds the whole wanted kernel table. */
int lbipamd_desired(struct lb_engine *e, json_t *objs,
		    const struct lbipamd_desired_cfg *cfg,
		    struct lbipamd_kset *out);
/* One endpoint of a Service, as the data path sees it. */
struct lbipamd_ep {
	const char *slice;
	const char *address;
	int family;
	bool ready, serving, terminating;
	const char *node;
	json_t *ports;			/* the slice's ports */
};
typedef int (*lbipamd_ep_cb)(const struct lbipamd_ep *ep, void *arg);
int lbipamd_foreach_endpoint(json_t *objs, const char *ns, const char *svc,
			     lbipamd_ep_cb cb, void *arg);

/* ------------------------------------------------------------- kernel */

enum lbipamd_kstate {
	LBIPAMD_K_UNKNOWN,
	LBIPAMD_K_SYNCED,
	LBIPAMD_K_MISSING,		/* no "lbipam" family: module absent */
	LBIPAMD_K_ERROR,
};

struct lbipamd_kernel {
	struct lb_nl nl;
	bool open;
	bool dumped;			/* cur mirrors the kernel */
	struct lbipamd_kset cur;
	enum lbipamd_kstate state;
	char msg[600];
	unsigned long ops;		/* requests sent, for tests and logs */
};

void lbipamd_kernel_init(struct lbipamd_kernel *k);
void lbipamd_kernel_close(struct lbipamd_kernel *k);
/*
 * Makes the kernel table equal to want, sending only differences.
 * Returns 0 when in sync; otherwise k->state/msg say why and a later call
 * retries (after a fresh dump).
 */
int lbipamd_kernel_sync(struct lbipamd_kernel *k,
			const struct lbipamd_kset *want);
const char *lbipamd_kstate_name(enum lbipamd_kstate s);
const char *lbipamd_be_state_name(uint8_t s);

/* ---------------------------------------------------------------- api */

struct lbipamd {
	struct lb_engine *eng;
	json_t *objs;			/* key -> object */
	struct lbipamd_desired_cfg dcfg;
	struct lbipamd_kernel kern;
	struct lbipamd_kset want;	/* last computed */
	bool dirty;			/* want must be recomputed and synced */
	const char *netns;
};

/* Handles one request; returns the response (never NULL). */
json_t *lbipamd_handle(struct lbipamd *d, json_t *req, bool may_write);
/* Recomputes the wanted table and syncs the kernel. */
int lbipamd_reconcile(struct lbipamd *d);

/* ------------------------------------------------------------- server */

struct lbipamd_server;

int lbipamd_server_open(const char *path, mode_t mode,
			struct lbipamd_server **out);
void lbipamd_server_close(struct lbipamd_server *s);
/* Adds the server's fds to pfd (at most max); returns how many. */
struct pollfd;
size_t lbipamd_server_pollfds(struct lbipamd_server *s, struct pollfd *pfd,
			      size_t max);
/* Serves whatever is ready among those fds. */
void lbipamd_server_process(struct lbipamd_server *s, struct pollfd *pfd,
			    size_t n, struct lbipamd *d);
/* May this peer change state? Exposed for tests. */
bool lbipamd_peer_may_write(uid_t uid, gid_t gid, const gid_t *groups,
			    size_t ngroups, uid_t self, gid_t group);

#endif
