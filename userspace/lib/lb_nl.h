/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LB_NL_H
#define LB_NL_H

#include <stdint.h>
#include <netlink/msg.h>
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

int lb_nl_open(struct lb_nl *nl);
void lb_nl_close(struct lb_nl *nl);
struct nl_msg *lb_nl_msg(struct lb_nl *nl, uint8_t cmd, int flags);
/* Sends @msg (consumed) and waits for the ACK or the end of the dump.
 * Returns 0 or a negative errno; nl->err then says why. */
int lb_nl_request(struct lb_nl *nl, struct nl_msg *msg, lb_nl_reply_fn fn,
		  void *arg);

int lb_nl_put_service(struct nl_msg *msg, const struct lb_service_key *key);
int lb_nl_put_backend(struct nl_msg *msg, const struct lb_endpoint *ep);

/* A service reply, decoded; backends point into the message. */
struct lb_svc_reply {
	struct lb_service_key key;
	uint32_t backend_count;
	size_t nbackends;
	struct lb_endpoint *backends;	/* malloc'd, caller frees */
};

int lb_nl_parse_service(struct nlmsghdr *nlh, struct lb_svc_reply *r);

/* For errors the kernel did not explain: errno in words, lbipam's terms. */
const char *lb_nl_strerror(int err);

#endif
