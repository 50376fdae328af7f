/* SPDX-License-Identifier: GPL-2.0 */
/* L2 announcements over the lbipam family: which addresses the module
 * answers ARP and neighbour solicitations for, on which interface. */
#ifndef LB_NL_L2_H
#define LB_NL_L2_H

#include <stdint.h>
#include "lb_nl.h"

/* One announcement, as in LBIPAM_A_L2: (family, address, ifindex) is its
 * key. */
struct lb_l2_entry {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint32_t ifindex;
	struct lb_counters stats;	/* replies only: answers, announces */
};

struct lb_l2_list {
	struct lb_l2_entry *v;
	size_t n, cap;
};

/* Orders entries as the kernel's dump does: family, address, ifindex. */
int lb_l2_cmp(const struct lb_l2_entry *a, const struct lb_l2_entry *b);

int lb_nl_put_l2(struct nl_msg *msg, const struct lb_l2_entry *e);
/* A LBIPAM_A_L2 reply or event; 0 or -EBADMSG. */
int lb_nl_parse_l2(struct nlmsghdr *nlh, struct lb_l2_entry *e);

/* LBIPAM_CMD_L2_NEW or LBIPAM_CMD_L2_DEL of @e. 0 or a negative errno
 * (nl->err then says why). */
int lb_nl_l2_change(struct lb_nl *nl, uint8_t cmd,
		    const struct lb_l2_entry *e);

/* Every announcement of the namespace, in key order, into @l (emptied
 * first); a dump that raced with a change is retried as for services.
 * 0, -EAGAIN (every try raced; @l holds the last listing) or a negative
 * errno. */
int lb_nl_get_l2(struct lb_nl *nl, struct lb_l2_list *l);
void lb_l2_list_free(struct lb_l2_list *l);

#endif
