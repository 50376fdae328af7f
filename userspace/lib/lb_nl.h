/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LB_NL_H
#define LB_NL_H

#include <stdint.h>
#include <netlink/msg.h>
#include <linux/lbipam.h>
#include "lb_addr.h"

/* One long-lived generic netlink socket to the lbipam family. */
struct lb_nl {
	struct nl_sock *sk;
	int family;
	struct nl_msg *last;		/* last request, to name a bad attribute */
	char err[512];			/* the kernel's extack message, if any */
};

/* Called for every reply message of a request or dump. */
typedef int (*lb_nl_reply_fn)(struct nlmsghdr *nlh, void *arg);

/*
 * Prefixes of one option, malloc'd to their number: a service has none or
 * a few, and the daemon keeps two copies of every service (desired and
 * the kernel's), so room for the maximum would cost 3 KB each.
 */
struct lb_cidr_set {
	size_t n;
	struct lb_cidr *v;
};

/*
 * A service's options, as in LBIPAM_A_SERVICE. Owns its sets:
 * lb_svc_opts_free() them, lb_svc_opts_copy() to copy.
 */
struct lb_svc_opts {
	uint8_t sched;			/* enum lbipam_sched */
	uint32_t affinity;		/* seconds, 0: none */
	uint32_t flags;			/* enum lbipam_svc_flags */
	struct lb_cidr_set ranges;	/* LBIPAM_SVC_A_SOURCE_RANGE */
	/* In-cluster sources, exempt from local-only (LBIPAM_SVC_A_CLUSTER_CIDR). */
	struct lb_cidr_set cluster;
};

/*
 * LBIPAM_STATS_A_*: rejects, drops and aff_lost are the service's only,
 * answers and announces an L2 announcement's only.
 */
struct lb_counters {
	uint64_t conns, rejects, drops, aff_lost;
	uint64_t answers, announces;
	/* Asked for with LBIPAM_A_CT_STATS; traffic needs ct accounting. */
	int has_tracked, has_traffic;
	int has_aff_lost;		/* not from modules before it */
	uint64_t tracked, packets_in, bytes_in, packets_out, bytes_out;
	/* Live affinity bindings, a service's: asked for with LB_GET_AFF_STATS. */
	int has_affinity;
	uint64_t affinity;
};

/* A backend and its options, as in LBIPAM_A_BACKEND. */
struct lb_backend {
	struct lb_endpoint ep;
	uint16_t weight;
	uint8_t state;			/* enum lbipam_be_state */
	uint32_t flags;			/* enum lbipam_be_flags */
	struct lb_counters stats;	/* replies only */
};

/* A service reply or event, decoded. */
struct lb_svc_reply {
	uint8_t cmd;			/* genetlink command of the message */
	int has_service, has_opts, has_count;
	struct lb_service_key key;
	struct lb_svc_opts opts;
	uint32_t backend_count;
	struct lb_counters stats;
	size_t nbackends;
	struct lb_backend *backends;	/* malloc'd, caller frees */
};

int lb_nl_open(struct lb_nl *nl);
void lb_nl_close(struct lb_nl *nl);
struct nl_msg *lb_nl_msg(struct lb_nl *nl, uint8_t cmd, int flags);
/* For requests that may not fit the default page-sized message. */
struct nl_msg *lb_nl_msg_size(struct lb_nl *nl, uint8_t cmd, int flags,
			      size_t size);
/* Sends @msg (consumed) and waits for the ACK or the end of the dump.
 * Returns 0 or a negative errno; nl->err then says why. */
int lb_nl_request(struct lb_nl *nl, struct nl_msg *msg, lb_nl_reply_fn fn,
		  void *arg);
/* Joins the "events" group and calls @fn for every event, until it fails. */
int lb_nl_monitor(struct lb_nl *nl, lb_nl_reply_fn fn, void *arg);

/* Appends @c to @s: 0, -ENOSPC when @s holds @max already, or -ENOMEM. */
int lb_cidr_set_add(struct lb_cidr_set *s, const struct lb_cidr *c,
		    size_t max);
/* No prefixes, Maglev, no affinity, no flags: nothing to free. */
void lb_svc_opts_default(struct lb_svc_opts *o);
/* @dst gets its own sets (its old ones are not freed). 0 or -ENOMEM. */
int lb_svc_opts_copy(struct lb_svc_opts *dst, const struct lb_svc_opts *src);
/* Frees the sets; @o is then empty of prefixes. */
void lb_svc_opts_free(struct lb_svc_opts *o);
/* Frees what a parsed reply owns: its backends and its options' sets. */
void lb_svc_reply_free(struct lb_svc_reply *r);
void lb_backend_default(struct lb_backend *b);
/* @opts may be NULL: the key only. */
int lb_nl_put_service(struct nl_msg *msg, const struct lb_service_key *key,
		      const struct lb_svc_opts *opts);
/* @full: with the options, else the address and port only. */
int lb_nl_put_backend(struct nl_msg *msg, const struct lb_backend *be,
		      int full);

int lb_nl_parse_service(struct nlmsghdr *nlh, struct lb_svc_reply *r);
/* The address attribute of a nest: @a4 or @a6 by @family. */
int lb_nl_put_addr(struct nl_msg *msg, int a4, int a6, int family,
		   const void *addr);
/* Whichever of @a4 / @a6 is present and of the right length decides
 * @family; @addr must hold 16 bytes. 0 or -EINVAL. */
int lb_nl_get_addr(struct nlattr *a4, struct nlattr *a6, int *family,
		   void *addr);
/* Decodes a LBIPAM_*_A_STATS nest into @c (attributes absent stay as are). */
void lb_nl_get_stats(struct nlattr *nest, struct lb_counters *c);

/* Services read back, each with all its backends. */
struct lb_svc_list {
	struct lb_svc_reply *v;
	size_t n, cap;
};

void lb_svc_list_free(struct lb_svc_list *l);

/* For lb_nl_get_services(): also what conntrack holds (LBIPAM_A_CT_STATS). */
#define LB_GET_CT_STATS	1u
/*
 * ... one service as a dump, in as many messages as its backends need
 * (without it, a dump only after the single reply failed with -EMSGSIZE).
 */
#define LB_GET_DUMP	2u
/* ... its live ClientIP affinity bindings (LBIPAM_A_AFF_STATS). */
#define LB_GET_AFF_STATS	4u

/*
 * How many times lb_nl_get_services() dumps when every dump raced with a
 * change. On a large table that changes all the time none may be
 * consistent; the key-ordered cursor still lists every service that existed
 * throughout exactly once, so the last listing is kept.
 */
#define LB_NL_DUMP_TRIES	5

/*
 * LBIPAM_CMD_SERVICE_GET of one service (@key) or of all (NULL: a dump), into
 * @l (emptied first), a service continued over several messages merged into
 * one. A dump that raced with a change (NLM_F_DUMP_INTR) is started again,
 * up to LB_NL_DUMP_TRIES times in all. Returns 0; -EAGAIN when every try
 * raced (@l holds the last listing, which may miss or show services added
 * or deleted meanwhile); or a negative errno (nl->err then says why).
 */
int lb_nl_get_services(struct lb_nl *nl, const struct lb_service_key *key,
		       unsigned int flags, struct lb_svc_list *l);

/* For errors the kernel did not explain: errno in words, lbipam's terms. */
const char *lb_nl_strerror(int err);

#endif
