// SPDX-License-Identifier: GPL-2.0
/* L2 announcements over the lbipam family (LBIPAM_CMD_L2_*): the requests
 * and replies shared by lbctl and lbipamd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include "lb_nl_l2.h"

int lb_l2_cmp(const struct lb_l2_entry *a, const struct lb_l2_entry *b)
{
	int r = lb_ip_cmp(a->family, &a->addr, b->family, &b->addr);

	if (r)
		return r;
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	return 0;
}

int lb_nl_put_l2(struct nl_msg *msg, const struct lb_l2_entry *e)
{
	struct nlattr *nest = nla_nest_start(msg, LBIPAM_A_L2 | NLA_F_NESTED);

	if (!nest ||
	    lb_nl_put_addr(msg, LBIPAM_L2_A_ADDR4, LBIPAM_L2_A_ADDR6,
			   e->family, &e->addr) ||
	    nla_put_u32(msg, LBIPAM_L2_A_IFINDEX, e->ifindex))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int lb_nl_parse_l2(struct nlmsghdr *nlh, struct lb_l2_entry *e)
{
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[LBIPAM_L2_A_MAX + 1];
	struct nlattr *a;

	memset(e, 0, sizeof(*e));
	a = nla_find(genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
		     LBIPAM_A_L2);
	if (!a || nla_parse_nested(tb, LBIPAM_L2_A_MAX, a, NULL) ||
	    lb_nl_get_addr(tb[LBIPAM_L2_A_ADDR4], tb[LBIPAM_L2_A_ADDR6],
			   &e->family, &e->addr) ||
	    !tb[LBIPAM_L2_A_IFINDEX])
		return -EBADMSG;
	e->ifindex = nla_get_u32(tb[LBIPAM_L2_A_IFINDEX]);
	if (tb[LBIPAM_L2_A_STATS])
		lb_nl_get_stats(tb[LBIPAM_L2_A_STATS], &e->stats);
	return 0;
}

int lb_nl_l2_change(struct lb_nl *nl, uint8_t cmd,
		    const struct lb_l2_entry *e)
{
	struct nl_msg *msg = lb_nl_msg(nl, cmd, 0);

	if (!msg)
		return -ENOMEM;
	if (lb_nl_put_l2(msg, e)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return lb_nl_request(nl, msg, NULL, NULL);
}

void lb_l2_list_free(struct lb_l2_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int l2_list_add(struct nlmsghdr *nlh, void *arg)
{
	struct lb_l2_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct lb_l2_entry *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	if (lb_nl_parse_l2(nlh, &l->v[l->n]))
		return -EBADMSG;
	l->n++;
	return 0;
}

int lb_nl_get_l2(struct lb_nl *nl, struct lb_l2_list *l)
{
	int tries, err = -EAGAIN;

	for (tries = 0; tries < LB_NL_DUMP_TRIES && err == -EAGAIN; tries++) {
		struct nl_msg *msg = lb_nl_msg(nl, LBIPAM_CMD_L2_GET,
					       NLM_F_DUMP);

		lb_l2_list_free(l);
		if (!msg)
			return -ENOMEM;
		err = lb_nl_request(nl, msg, l2_list_add, l);
	}
	return err;
}
