// SPDX-License-Identifier: GPL-2.0
/*
 * Link events (RTM_NEWLINK/RTM_DELLINK) on a route netlink socket, so an
 * interface that appears, is renamed or goes away after start-up is
 * taken into the L2 announcements without waiting for another write.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include "daemon/lbipamd.h"

static int link_seen(struct nl_msg *msg, void *arg)
{
	int type = nlmsg_hdr(msg)->nlmsg_type;

	if (type == RTM_NEWLINK || type == RTM_DELLINK)
		*(bool *)arg = true;
	return NL_OK;
}

int lbipamd_links_open(struct lbipamd_links *l)
{
	int err;

	l->seen = false;
	l->sk = nl_socket_alloc();
	if (!l->sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(l->sk);
	nl_socket_modify_cb(l->sk, NL_CB_VALID, NL_CB_CUSTOM, link_seen,
			    &l->seen);
	err = nl_connect(l->sk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_membership(l->sk, RTNLGRP_LINK);
	if (!err)
		err = nl_socket_set_nonblocking(l->sk);
	if (err) {
		nl_socket_free(l->sk);
		l->sk = NULL;
		return -EIO;
	}
	return 0;
}

int lbipamd_links_fd(const struct lbipamd_links *l)
{
	return l->sk ? nl_socket_get_fd(l->sk) : -1;
}

bool lbipamd_links_changed(struct lbipamd_links *l)
{
	int err;

	if (!l->sk)
		return false;
	l->seen = false;
	do {
		err = nl_recvmsgs_default(l->sk);
		/* Events were lost: something changed, look again. */
		if (err == -NLE_NOMEM || err == -NLE_MSG_OVERFLOW)
			l->seen = true;
	} while (err >= 0);
	return l->seen;
}

void lbipamd_links_close(struct lbipamd_links *l)
{
	if (l->sk)
		nl_socket_free(l->sk);
	l->sk = NULL;
}
