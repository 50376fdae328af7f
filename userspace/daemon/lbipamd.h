/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lbipamd internals: the pieces main.c wires together.
 *
 *   log.c       structured log lines on stderr
 *   kset.c      a set of kernel services, keyed, with compare/copy/free
 *   desired.c   the engine's kernel view of a Service -> kernel services
 *   kernel.c    reconcile that set into lbipam.ko
 *   l2.c        this node's L2 announcements: interfaces, reconcile
 *               into lbipam.ko
 *   l2want.c    the wanted L2 set, per Service and counted
 *   links.c     link events, to re-resolve the interfaces
 *   api.c       the requests of lbipamd_proto.h: dispatch and writes
 *   config.c    options: flags and the YAML file, one table;
 *               config_set.c checks each value, config_file.c reads
 *               the file (config.h)
 *   metrics.c   what /metrics reports, collected from the daemon, the
 *               engine, the module and /proc
 *   promtext.c  Prometheus text exposition: families, labels, escaping
 *   httpd.c     the /metrics HTTP endpoint (libmicrohttpd, polled by
 *               main.c's loop)
 *   views.c     get, describe and status responses
 *   server.c    the Unix socket and its clients
 *   cluster.c   cluster mode: etcd store, setup, following the state;
 *               cluster_leader.c, cluster_watch.c, cluster_forward.c,
 *               cluster_announce.c: its parts (cluster.h)
 *   bgp*.c, bird.c  BGP through BIRD (bgp.h)
 *   main.c      arguments, setup and the poll loop
 */
#ifndef LBIPAMD_H
#define LBIPAMD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "daemon/bgp.h"
#include "engine/lb_engine.h"
#include "lib/lb_mem.h"
#include "lib/lb_nl.h"
#include "lib/lb_nl_l2.h"

#ifndef LBIPAM_VERSION
#define LBIPAM_VERSION "unknown"
#endif

#define LBIPAMD_STATE	"/var/lib/lbipam/state.db"
#define LBIPAMD_CONFIG	"/etc/lbipam/lbipamd.yaml"

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

/* --------------------------------------------------------------- kset */

/* One lbipam service: (address, port, protocol), options and backends. */
struct lbipamd_ksvc {
	struct lb_service_key key;
	struct lb_svc_opts opts;
	size_t nbe;
	struct lb_backend *be;		/* sorted by address, port */
	char owner[320];		/* "ns/name" of the Service */
};

/*
 * A set of kernel services: pointers sorted by key then owner (or, for
 * an owner index, by owner then key), so one entry is found, added or
 * removed in O(log n) plus a pointer move.  Two Services may claim one
 * key; the first by owner name is the one the kernel gets.
 */
struct lbipamd_kset {
	struct lbipamd_ksvc **v;
	size_t n, cap;
	bool by_owner;
};

void lbipamd_ksvc_free(struct lbipamd_ksvc *k);
struct lbipamd_ksvc *lbipamd_ksvc_dup(const struct lbipamd_ksvc *k);
/* Same options and backends (the key is not compared). */
bool lbipamd_ksvc_equal(const struct lbipamd_ksvc *a,
			const struct lbipamd_ksvc *b);
bool lbipamd_ksvc_opts_equal(const struct lbipamd_ksvc *a,
			     const struct lbipamd_ksvc *b);
bool lbipamd_ksvc_backends_equal(const struct lbipamd_ksvc *a,
				 const struct lbipamd_ksvc *b);
int lbipamd_ksvc_cmp_key(const struct lb_service_key *a,
			 const struct lb_service_key *b);
/* Backends sorted and compared by address, then port. */
int lbipamd_backend_cmp(const void *a, const void *b);

/* Frees the entries too; an index (by_owner) set must use _reset. */
void lbipamd_kset_free(struct lbipamd_kset *s);
void lbipamd_kset_reset(struct lbipamd_kset *s);
void lbipamd_kset_append(struct lbipamd_kset *s, struct lbipamd_ksvc *k);
void lbipamd_kset_sort(struct lbipamd_kset *s);
void lbipamd_kset_insert(struct lbipamd_kset *s, struct lbipamd_ksvc *k);
/* Removes that very entry (not freed); false if absent. */
bool lbipamd_kset_remove(struct lbipamd_kset *s, const struct lbipamd_ksvc *k);
/* Index of the first entry with key (by key) or owner (by_owner). */
size_t lbipamd_kset_lower_key(const struct lbipamd_kset *s,
			      const struct lb_service_key *key);
size_t lbipamd_kset_lower_owner(const struct lbipamd_kset *s,
				const char *owner);
/* The entry the kernel gets for key, or NULL. */
struct lbipamd_ksvc *lbipamd_kset_get(const struct lbipamd_kset *s,
				      const struct lb_service_key *key);
/* Entries whose key is not shadowed by an earlier owner's. */
size_t lbipamd_kset_count_keys(const struct lbipamd_kset *s);

/* ------------------------------------------------------------ desired */

struct lbipamd_desired_cfg {
	const char *node_name;		/* NULL: every endpoint is local */
	bool masquerade;		/* ETP Cluster -> LBIPAM_SVC_F_MASQUERADE */
	/* ETP Local -> LBIPAM_SVC_A_CLUSTER_CIDR, those of the LB IP's family */
	const struct lb_cidr *cluster_cidrs;
	size_t ncluster_cidrs;
};

/* What the kernel should hold, and the same entries by Service. */
struct lbipamd_want {
	struct lbipamd_kset by_key;	/* owns the entries */
	struct lbipamd_kset by_owner;
};

void lbipamd_want_free(struct lbipamd_want *w);
/* Builds the whole wanted kernel table from the engine. */
int lbipamd_desired(struct lb_engine *e, const struct lbipamd_desired_cfg *cfg,
		    struct lbipamd_want *out);
/*
 * Replaces the entries of Service ns/name with what the engine says now
 * (none if it is gone); the keys of the old and new entries are appended
 * to *keys (malloc'd, *nkeys long) for the kernel to look at.
 */
int lbipamd_desired_update(struct lb_engine *e,
			   const struct lbipamd_desired_cfg *cfg,
			   struct lbipamd_want *w, const char *ns,
			   const char *name, struct lb_service_key **keys,
			   size_t *nkeys, size_t *capkeys);

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
	unsigned long errors;		/* requests or dumps that failed */
};

void lbipamd_kernel_init(struct lbipamd_kernel *k);
void lbipamd_kernel_close(struct lbipamd_kernel *k);
/*
 * Makes the kernel table equal to want, sending only differences, after
 * a fresh dump if the mirror k->cur is not known to be right.  Returns 0
 * when in sync; otherwise k->state/msg say why and a later call retries.
 */
int lbipamd_kernel_sync(struct lbipamd_kernel *k,
			const struct lbipamd_kset *want);
/*
 * The same for the given keys only, against the mirror; falls back to
 * lbipamd_kernel_sync() when the mirror is not known to be right.
 */
int lbipamd_kernel_sync_keys(struct lbipamd_kernel *k,
			     const struct lbipamd_kset *want,
			     const struct lb_service_key *keys, size_t nkeys);
const char *lbipamd_kstate_name(enum lbipamd_kstate s);

/* ----------------------------------------------------------------- l2 */

/* Interfaces that can announce; names owned. */
struct lbipamd_ifaces {
	struct lb_l2_iface *v;
	size_t n, cap;
};

/*
 * This node's Ethernet-like interfaces that do ARP, up or not, not
 * loopback (what LBIPAM_CMD_L2_NEW accepts), in ifindex order.
 */
int lbipamd_l2_ifaces(struct lbipamd_ifaces *out);
void lbipamd_ifaces_add(struct lbipamd_ifaces *f, const char *name,
			uint32_t ifindex);
void lbipamd_ifaces_free(struct lbipamd_ifaces *f);
/*
 * No interface at all: the lister when L2 announcements are disabled, so
 * the wanted set is empty and the module announces nothing.
 */
int lbipamd_l2_no_ifaces(struct lbipamd_ifaces *out);

/* Who this daemon announces for: --node-name and --node-labels. */
struct lbipamd_node {
	char *name;
	char **keys, **values;
	size_t nlabels;
};

/* "k=v,k2=v2" added to n; 0 or -EINVAL with err filled. */
int lbipamd_node_labels(struct lbipamd_node *n, const char *arg, char *err,
			size_t errlen);
void lbipamd_node_free(struct lbipamd_node *n);
void lbipamd_l2_self(const struct lbipamd_node *n,
		     const struct lbipamd_ifaces *f, struct lb_l2_self *self);

/* The (address, ifindex) pairs this node announces, in lb_l2_cmp order. */
int lbipamd_l2_desired(struct lb_engine *e, const struct lb_l2_self *self,
		       struct lb_l2_list *out);

/*
 * The wanted announcements per Service and as a counted set, kept up to
 * date incrementally (l2want.c).
 */
struct lbipamd_l2want {
	void *svcs;			/* tsearch tree by "ns/name" */
	struct lbipamd_l2ref *refs;	/* sorted by entry, counted */
	size_t nrefs, caprefs;
	bool built;
};

void lbipamd_l2list_add(struct lb_l2_list *l, const struct lb_l2_entry *e);
void lbipamd_l2want_free(struct lbipamd_l2want *w);
/* Everything again, for self. */
int lbipamd_l2want_build(struct lbipamd_l2want *w, struct lb_engine *e,
			 const struct lb_l2_self *self);
/*
 * Service ns/name again (gone: no entries); its old and new entries are
 * appended to touched.
 */
int lbipamd_l2want_update(struct lbipamd_l2want *w, struct lb_engine *e,
			  const struct lb_l2_self *self, const char *ns,
			  const char *name, struct lb_l2_list *touched);
bool lbipamd_l2want_has(const struct lbipamd_l2want *w,
			const struct lb_l2_entry *e);
/* The wanted set in lb_l2_cmp order. */
void lbipamd_l2want_list(const struct lbipamd_l2want *w,
			 struct lb_l2_list *out);

enum lbipamd_l2state {
	LBIPAMD_L2_UNKNOWN,
	LBIPAMD_L2_SYNCED,
	LBIPAMD_L2_UNSUPPORTED,		/* the module has no L2 commands */
	LBIPAMD_L2_ERROR,
};

struct lbipamd_l2 {
	enum lbipamd_l2state state;
	char msg[600];
	size_t announced;		/* entries in the kernel after a sync */
	unsigned long ops;		/* requests sent */
	unsigned long errors;		/* requests or dumps that failed */
	/*
	 * What the kernel announces, as of the last dump plus the changes
	 * sent since; dumped is cleared at start, on SIGHUP, on link
	 * events (the module drops a vanished interface's entries) and
	 * after any error, and the next sync dumps again.
	 */
	struct lb_l2_list cur;
	bool dumped;
};

const char *lbipamd_l2state_name(enum lbipamd_l2state s);
/*
 * Makes the kernel's announcements equal to want, sending only the
 * differences from the mirror (deletions first), after a dump if the
 * mirror is not known to be right.  0 when in sync.
 */
int lbipamd_l2_sync(struct lbipamd_l2 *l2, struct lb_nl *nl,
		    const struct lb_l2_list *want);
/*
 * The same for the touched entries only, against the mirror; a full sync
 * when the mirror is not known to be right.
 */
int lbipamd_l2_sync_keys(struct lbipamd_l2 *l2, struct lb_nl *nl,
			 const struct lbipamd_l2want *w,
			 struct lb_l2_list *touched);
void lbipamd_l2_free(struct lbipamd_l2 *l2);

/* Route netlink link events. */
struct lbipamd_links {
	struct nl_sock *sk;
	bool seen;
};

/* 0 or -errno; without it interfaces are re-read on writes only. */
int lbipamd_links_open(struct lbipamd_links *l);
int lbipamd_links_fd(const struct lbipamd_links *l);
/* Reads what is pending; true if a link appeared, changed or left. */
bool lbipamd_links_changed(struct lbipamd_links *l);
void lbipamd_links_close(struct lbipamd_links *l);

/* ------------------------------------------------------------ cluster */

struct lbipamd_cluster_cfg {
	const char *endpoints;		/* NULL: single node, SQLite */
	const char *cert, *key, *ca;
	const char *prefix;		/* default "/lbipam/" */
	long ttl_s;			/* lease TTL, default 2 */
};

struct lbipamd;
struct lbipamd_cluster;
struct lb_store;
struct pollfd;

/*
 * Connects (d->ccfg), reads the shared state (or, etcd unreachable, the
 * local cache at @cache_path, a SQLite file, NULL for none) and starts
 * the watch; *store is for the engine (lb_engine_config.store).  Sets
 * d->cluster, which lbipamd_cluster_close() frees after the engine.
 */
int lbipamd_cluster_open(struct lbipamd *d, const char *node,
			 const char *cache_path, struct lb_store **store);
void lbipamd_cluster_start(struct lbipamd *d);
/* The election timer and the watch; 0 or 2 entries. */
size_t lbipamd_cluster_pollfds(struct lbipamd *d, struct pollfd *pfd);
void lbipamd_cluster_process(struct lbipamd *d, const struct pollfd *pfd);
void lbipamd_cluster_close(struct lbipamd *d);
bool lbipamd_cluster_is_leader(const struct lbipamd *d);
/* A follower's write, handed to the leader; the leader's reply. */
json_t *lbipamd_cluster_forward(struct lbipamd *d, json_t *req);
/* The store's last failure (cluster mode), or NULL. */
const char *lbipamd_cluster_store_error(const struct lbipamd *d);
/*
 * The per-Service announcer election (NULL when not in cluster mode):
 * take for the L2 reconcile (takes free Services), peek for views (only
 * says who holds one).  An L2 pass is wrapped in begin and end, which
 * gives back the Services this node no longer announces.
 */
struct lb_l2_elector *lbipamd_cluster_elector(struct lbipamd *d, bool take);
void lbipamd_cluster_l2_begin(struct lbipamd *d);
void lbipamd_cluster_l2_end(struct lbipamd *d, char *const *ns,
			    char *const *names, size_t n, bool full);
/* Leader, this node, etcd endpoints' health: "cluster" of status. */
json_t *lbipamd_cluster_status(struct lbipamd *d);
/* ------------------------------------------------------------- config */

/* The effective configuration: defaults, then the file, then flags. */
struct lbipamd_config {
	char *state, *socket;
	mode_t socket_mode;
	char *netns;			/* NULL: the namespace we start in */
	char *node_name;		/* NULL: the host name */
	char *node_labels;		/* "k=v,..." or NULL */
	enum lb_log_level log_level;
	bool masquerade;
	/* cluster-cidr: in-cluster sources, exempt from ETP Local. */
	struct lb_cidr *cluster_cidrs;
	size_t ncluster_cidrs;
	char **lb_classes;		/* lb-classes as given */
	size_t nclasses;
	bool require_lb_class;
	bool node_ipam;			/* enable-node-ipam */
	bool l2_announcements;
	bool bgp_control_plane;
	/* BGP through BIRD: on when both are given. */
	char *bgp_bird_socket, *bgp_bird_include;
	bool ipv4, ipv6;
	bool sharing_port_only;
	enum lb_revoke_policy out_of_pool;
	char *metrics_address;		/* "" when off */
	/* Cluster mode: NULL endpoints is single node (SQLite). */
	char *etcd_endpoints, *etcd_cert, *etcd_key, *etcd_ca;
	char *etcd_prefix;		/* "/lbipam/" */
	long etcd_lease_ttl;		/* seconds, 2 */
	char *file;			/* the file read, or NULL */
	/* lb-classes plus the L2 and BGP classes when on; NULL-ended. */
	const char **served;
};

void lbipamd_config_init(struct lbipamd_config *c);
void lbipamd_config_free(struct lbipamd_config *c);
/*
 * Reads --config FILE (else LBIPAMD_CONFIG if present), then the flags.
 * Returns -1 to go on, else the exit code (0 after --help or --version,
 * 2 with the bad flag or key and its value on stderr).
 */
int lbipamd_config_parse(int argc, char **argv, struct lbipamd_config *c);
void lbipamd_config_usage(FILE *f);
/* Is Service class cls one this daemon serves? */
bool lbipamd_config_serves(const struct lbipamd_config *c, const char *cls);
/* The engine's options (the rest of *e is left alone). */
void lbipamd_config_engine(const struct lbipamd_config *c,
			   struct lb_engine_config *e);
/* For lbctl get status: every key and its effective value. */
json_t *lbipamd_config_json(const struct lbipamd_config *c);

/* "1.2.3.4:80", "[::1]:80": 0 or -EINVAL (port 0 allowed). */
int lbipamd_parse_hostport(const char *s, char *host, size_t hostlen,
			   uint16_t *port);

/* ------------------------------------------------------------ metrics */

/* Upper bounds of the reconcile duration histogram, in seconds. */
#define LBIPAMD_RECONCILE_BUCKETS	12

struct lbipamd_stats {
	uint64_t reconcile_buckets[LBIPAMD_RECONCILE_BUCKETS];
	uint64_t reconcile_count;	/* also the +Inf bucket */
	double reconcile_sum;
};

extern const double lbipamd_reconcile_bounds[LBIPAMD_RECONCILE_BUCKETS];
void lbipamd_stats_reconcile(struct lbipamd_stats *s, double seconds);

/* ---------------------------------------------------------------- api */

struct lbipamd {
	struct lb_engine *eng;
	struct lbipamd_desired_cfg dcfg;
	struct lbipamd_kernel kern;
	struct lbipamd_want want;	/* kept up to date with the engine */
	bool want_built;
	bool dirty;			/* the kernel must be resynced whole */
	const char *netns;
	struct lbipamd_node node;
	struct lbipamd_l2 l2;
	struct lbipamd_l2want l2want;
	struct lbipamd_ifaces l2ifaces;	/* what l2want was built with */
	/* Interface listing; lbipamd_l2_ifaces unless a test sets one. */
	int (*ifaces)(struct lbipamd_ifaces *out);
	struct lbipamd_cluster_cfg ccfg;
	struct lbipamd_cluster *cluster;	/* NULL: single node */
	const struct lbipamd_config *cfg;	/* NULL in unit tests */
	bool l2_disabled;		/* enable-l2-announcements: false */
	struct lbipamd_bgp bgp;
	struct lbipamd_stats stats;
	/* 1 while this daemon leads (always in single-node mode). */
	bool leader;
};

/* Handles one request; returns the response (never NULL). */
json_t *lbipamd_handle(struct lbipamd *d, json_t *req, bool may_write);
/*
 * Brings want up to date with what the engine reports changed and
 * programs those keys; the whole table when full, at start-up, or while
 * the kernel is not known to be in sync.
 */
int lbipamd_reconcile(struct lbipamd *d, bool full);

/*
 * Brings this node's wanted announcements up to date (the Services
 * ns[i]/names[i], or everything when full, or when the interfaces
 * changed) and programs what changed, when the module is reachable.
 */
int lbipamd_l2_reconcile(struct lbipamd *d, char *const *ns,
			 char *const *names, size_t n, bool full);
/* Frees d's L2 state: mirror, wanted set, interfaces. */
void lbipamd_l2_state_free(struct lbipamd *d);

/* -------------------------------------------------------------- views */

/* A failure response; printf-style. */
json_t *lbipamd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
json_t *lbipamd_ok(void);
/* get / describe ippools and services, and status. */
json_t *lbipamd_view_get(struct lbipamd *d, json_t *req, bool describe);
json_t *lbipamd_view_status(struct lbipamd *d);
/* events.c: EVENT items of lbipamd_proto.h, all (ns NULL) or one namespace's. */
json_t *lbipamd_events(struct lb_engine *e, const char *ns);
/* Those about one object, for describe. */
json_t *lbipamd_events_of(struct lb_engine *e, enum lb_kind kind,
			  const char *ns, const char *name);
/* The stored object as JSON (from the engine), or NULL. */
json_t *lbipamd_object_json(struct lb_engine *e, enum lb_kind kind,
			    const char *ns, const char *name);
/* ns since the epoch -> "2026-11-26T04:30:00Z" */
void lbipamd_rfc3339(int64_t ns, char *buf, size_t len);
/* Optional fields of a JSON object: "a.b.c" or NULL. */
json_t *lbipamd_jget(json_t *o, const char *path);
const char *lbipamd_js(json_t *o, const char *path);

/* ------------------------------------------------------------ metrics */

/* A Prometheus text exposition (format 0.0.4) being written. */
struct lb_prom {
	char *buf;
	size_t n, cap;
	char family[128];		/* the family being written */
};

void lbipamd_prom_init(struct lb_prom *p);
void lbipamd_prom_free(struct lb_prom *p);
/* "# HELP" and "# TYPE" of a family; its samples follow. */
void lbipamd_prom_family(struct lb_prom *p, const char *name, const char *type,
		    const char *help);
/*
 * One sample of the current family: its name plus suffix ("" or e.g.
 * "_bucket"), then label name, value pairs, then NULL.  Values that are
 * whole numbers print as integers.
 */
void lbipamd_prom_sample(struct lb_prom *p, const char *suffix, double v, ...)
	__attribute__((sentinel));
/* The same with the value as text (exact large integers). */
void lbipamd_prom_sample_text(struct lb_prom *p, const char *suffix,
			 const char *v, ...) __attribute__((sentinel));
/*
 * A whole histogram family: per-bucket counts (not cumulative) for the
 * bounds, the total count (the +Inf bucket) and the sum.
 */
void lbipamd_prom_histogram(struct lb_prom *p, const char *name, const char *help,
		       const double *bounds, const uint64_t *buckets,
		       size_t n, uint64_t count, double sum);

/* Every family /metrics shows, into p (metrics.c). */
void lbipamd_metrics_collect(struct lbipamd *d, struct lb_prom *p);

struct lbipamd_httpd;

/*
 * Listens on addr ("ADDR:PORT") for GET /metrics; *bound gets the
 * address as bound (port 0 picks one).  0 or -errno, logged.
 */
int lbipamd_httpd_open(const char *addr, struct lbipamd *d,
		       struct lbipamd_httpd **out, char *bound, size_t len);
void lbipamd_httpd_close(struct lbipamd_httpd *h);
/* The fd to poll for input (-1 when closed). */
int lbipamd_httpd_fd(const struct lbipamd_httpd *h);
/* Longest poll() wait, in ms, that keeps the server's timeouts (-1: any). */
int lbipamd_httpd_timeout(const struct lbipamd_httpd *h);
/* Serves whatever is ready; never blocks. */
void lbipamd_httpd_run(struct lbipamd_httpd *h);

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
