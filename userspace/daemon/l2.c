// SPDX-License-Identifier: GPL-2.0
/*
 * This node's L2 announcements: which interfaces can announce, which
 * (address, interface) pairs the engine says this node owns, and the
 * reconcile that makes lbipam.ko announce exactly those.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"

/* More changed Services than this: rebuild the wanted set whole. */
#define LBIPAMD_L2_INCREMENTAL_MAX	1024

/* --------------------------------------------------------- interfaces */

void lbipamd_ifaces_add(struct lbipamd_ifaces *f, const char *name,
			uint32_t ifindex)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		f->v = lb_xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	f->v[f->n].name = lb_xstrdup(name);
	f->v[f->n].ifindex = ifindex;
	f->n++;
}

void lbipamd_ifaces_free(struct lbipamd_ifaces *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free((char *)f->v[i].name);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int iface_cmp(const void *a, const void *b)
{
	const struct lb_l2_iface *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

/*
 * getifaddrs() lists every link (up or down) once as AF_PACKET, with its
 * hardware type: the module announces only on ARPHRD_ETHER links that do
 * ARP, so the others would only fail there.
 */
int lbipamd_l2_ifaces(struct lbipamd_ifaces *out)
{
	struct ifaddrs *ifa, *i;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_ll *ll = (const void *)i->ifa_addr;

		if (!ll || ll->sll_family != AF_PACKET ||
		    ll->sll_hatype != ARPHRD_ETHER ||
		    (i->ifa_flags & (IFF_LOOPBACK | IFF_NOARP)))
			continue;
		lbipamd_ifaces_add(out, i->ifa_name, (uint32_t)ll->sll_ifindex);
	}
	freeifaddrs(ifa);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), iface_cmp);
	return 0;
}

/* --------------------------------------------------------------- node */

int lbipamd_node_labels(struct lbipamd_node *n, const char *arg, char *err,
			size_t errlen)
{
	char *copy = lb_xstrdup(arg), *save = NULL, *tok;
	int rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok) {
			snprintf(err, errlen,
				 "bad label '%s': expected KEY=VALUE", tok);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		n->keys = lb_xrealloc(n->keys, (n->nlabels + 1) *
				      sizeof(*n->keys));
		n->values = lb_xrealloc(n->values, (n->nlabels + 1) *
					sizeof(*n->values));
		n->keys[n->nlabels] = lb_xstrdup(tok);
		n->values[n->nlabels++] = lb_xstrdup(eq + 1);
	}
	free(copy);
	return rc;
}

void lbipamd_node_free(struct lbipamd_node *n)
{
	size_t i;

	for (i = 0; i < n->nlabels; i++) {
		free(n->keys[i]);
		free(n->values[i]);
	}
	free(n->keys);
	free(n->values);
	free(n->name);
	memset(n, 0, sizeof(*n));
}

void lbipamd_l2_self(const struct lbipamd_node *n,
		     const struct lbipamd_ifaces *f, struct lb_l2_self *self)
{
	memset(self, 0, sizeof(*self));
	self->name = n->name ? n->name : "";
	self->n_labels = n->nlabels;
	self->label_keys = (const char *const *)n->keys;
	self->label_values = (const char *const *)n->values;
	self->n_ifaces = f->n;
	self->ifaces = f->v;
}

/* ------------------------------------------------------------ desired */

static int l2_collect(const struct lb_l2_service *s, void *arg)
{
	struct lb_l2_list *l = arg;
	size_t i;

	for (i = 0; i < s->n_pairs; i++) {
		struct lb_l2_entry *x;

		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 16;
			l->v = lb_xrealloc(l->v, l->cap * sizeof(*l->v));
		}
		x = &l->v[l->n++];
		memset(x, 0, sizeof(*x));
		x->family = s->pairs[i].ip.family;
		memcpy(&x->addr, &s->pairs[i].ip.v6,
		       x->family == AF_INET ? 4 : 16);
		x->ifindex = s->pairs[i].ifindex;
	}
	return 0;
}

static int l2_qcmp(const void *a, const void *b)
{
	return lb_l2_cmp(a, b);
}

int lbipamd_l2_desired(struct lb_engine *e, const struct lb_l2_self *self,
		       struct lb_l2_list *out)
{
	size_t i, n = 0;
	int err;

	memset(out, 0, sizeof(*out));
	/* Without a policy nothing is announced: no walk over every Service. */
	if (!lbe_l2_policy_count(e))
		return 0;
	err = lbe_foreach_l2_service(e, self, l2_collect, out);
	if (err || !out->n)
		return err;
	/* Services sharing an IP announce it once. */
	qsort(out->v, out->n, sizeof(*out->v), l2_qcmp);
	for (i = 0; i < out->n; i++)
		if (!n || lb_l2_cmp(&out->v[n - 1], &out->v[i]))
			out->v[n++] = out->v[i];
	out->n = n;
	return 0;
}

/* --------------------------------------------------------------- sync */

const char *lbipamd_l2state_name(enum lbipamd_l2state s)
{
	switch (s) {
	case LBIPAMD_L2_SYNCED:
		return "synced";
	case LBIPAMD_L2_UNSUPPORTED:
		return "unsupported";
	case LBIPAMD_L2_ERROR:
		return "error";
	default:
		return "unknown";
	}
}

static void l2_entry_str(const struct lb_l2_entry *x, char *buf,
			    size_t len)
{
	char a[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE];

	lb_ip_str(x->family, &x->addr, a, sizeof(a));
	if (!if_indextoname(x->ifindex, ifn))
		snprintf(ifn, sizeof(ifn), "#%u", x->ifindex);
	snprintf(buf, len, "%s dev %s", a, ifn);
}

static void l2_set(struct lbipamd_l2 *l2, enum lbipamd_l2state st,
		      const char *what, struct lb_nl *nl, int err)
{
	char msg[sizeof(l2->msg)];

	snprintf(msg, sizeof(msg), "%s: %s", what,
		 nl->err[0] ? nl->err : lb_nl_strerror(err));
	if (st == LBIPAMD_L2_ERROR)
		l2->errors++;
	/* Once per state and reason, not on every reconcile. */
	if (l2->state != st || strcmp(l2->msg, msg))
		lbipamd_log(st == LBIPAMD_L2_UNSUPPORTED ? LB_LOG_WARN :
			    LB_LOG_ERROR,
			    st == LBIPAMD_L2_UNSUPPORTED ?
			    "Kernel module has no L2 announcements, not announcing" :
			    "Programming L2 announcements failed; will retry",
			    "error", msg, NULL);
	l2->state = st;
	snprintf(l2->msg, sizeof(l2->msg), "%s", msg);
}

static int l2_change(struct lbipamd_l2 *l2, struct lb_nl *nl, uint8_t cmd,
			const struct lb_l2_entry *x)
{
	char s[INET6_ADDRSTRLEN + IF_NAMESIZE + 8];
	int err;

	l2->ops++;
	err = lb_nl_l2_change(nl, cmd, x);
	l2_entry_str(x, s, sizeof(s));
	/* Already there, or gone with its interface: the goal is met. */
	if ((cmd == LBIPAM_CMD_L2_NEW && err == -EEXIST) ||
	    (cmd == LBIPAM_CMD_L2_DEL && err == -ENOENT))
		err = 0;
	if (err == -ENODEV && cmd == LBIPAM_CMD_L2_NEW) {
		/* The interface left since we listed it; next time. */
		lbipamd_log(LB_LOG_WARN, "Interface gone, not announcing",
			    "entry", s, NULL);
		return 0;
	}
	if (!err)
		lbipamd_log(LB_LOG_INFO, cmd == LBIPAM_CMD_L2_NEW ?
			    "Announcing" : "No longer announcing", "entry", s,
			    NULL);
	return err;
}

void lbipamd_l2_free(struct lbipamd_l2 *l2)
{
	lb_l2_list_free(&l2->cur);
	l2->dumped = false;
}

static int l2_dump(struct lbipamd_l2 *l2, struct lb_nl *nl)
{
	int err;

	l2->ops++;
	err = lb_nl_get_l2(nl, &l2->cur);
	if (err == -EOPNOTSUPP || err == -EINVAL) {
		l2_set(l2, LBIPAMD_L2_UNSUPPORTED, "listing announcements",
			  nl, err);
		return err;
	}
	if (err) {
		l2_set(l2, LBIPAMD_L2_ERROR, "listing announcements", nl,
			  err);
		return err;
	}
	l2->dumped = true;
	return 0;
}

int lbipamd_l2_sync(struct lbipamd_l2 *l2, struct lb_nl *nl,
		    const struct lb_l2_list *want)
{
	const struct lb_l2_list *cur = &l2->cur;
	size_t i = 0, j = 0;
	int err = 0, e;

	if (!l2->dumped) {
		err = l2_dump(l2, nl);
		if (err)
			return err;
	}
	/*
	 * Both lists are in lb_l2_cmp order: one merge pass each way.  A
	 * failed entry does not stop the others; the first error is kept.
	 */
	for (i = 0; i < cur->n; i++) {
		while (j < want->n && lb_l2_cmp(&want->v[j], &cur->v[i]) < 0)
			j++;
		if (j < want->n && !lb_l2_cmp(&want->v[j], &cur->v[i]))
			continue;
		e = l2_change(l2, nl, LBIPAM_CMD_L2_DEL, &cur->v[i]);
		if (e && !err)
			err = e;
	}
	for (i = 0, j = 0; i < want->n; i++) {
		while (j < cur->n && lb_l2_cmp(&cur->v[j], &want->v[i]) < 0)
			j++;
		if (j < cur->n && !lb_l2_cmp(&cur->v[j], &want->v[i]))
			continue;
		e = l2_change(l2, nl, LBIPAM_CMD_L2_NEW, &want->v[i]);
		if (e && !err)
			err = e;
	}
	/* The mirror becomes want; an error makes the next sync dump. */
	l2->cur.n = 0;
	for (i = 0; i < want->n; i++) {
		if (l2->cur.n == l2->cur.cap) {
			l2->cur.cap = l2->cur.cap ? 2 * l2->cur.cap : 16;
			l2->cur.v = lb_xrealloc(l2->cur.v, l2->cur.cap *
						sizeof(*l2->cur.v));
		}
		l2->cur.v[l2->cur.n++] = want->v[i];
	}
	if (err) {
		l2->dumped = false;
		l2_set(l2, LBIPAMD_L2_ERROR, "changing announcements", nl,
			  err);
		return err;
	}
	if (l2->state != LBIPAMD_L2_SYNCED) {
		char n[24];

		snprintf(n, sizeof(n), "%zu", want->n);
		lbipamd_log(LB_LOG_INFO, "L2 announcements in sync",
			    "announcements", n, NULL);
	}
	l2->state = LBIPAMD_L2_SYNCED;
	l2->announced = want->n;
	snprintf(l2->msg, sizeof(l2->msg), "%zu announcements", want->n);
	return 0;
}

void lbipamd_l2_state_free(struct lbipamd *d)
{
	lbipamd_l2_free(&d->l2);
	lbipamd_l2want_free(&d->l2want);
	lbipamd_ifaces_free(&d->l2ifaces);
}

static int l2_qsort(const void *a, const void *b)
{
	return lb_l2_cmp(a, b);
}

static size_t l2_lower(const struct lb_l2_list *l,
			  const struct lb_l2_entry *e)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (lb_l2_cmp(&l->v[mid], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int lbipamd_l2_sync_keys(struct lbipamd_l2 *l2, struct lb_nl *nl,
			 const struct lbipamd_l2want *w,
			 struct lb_l2_list *touched)
{
	struct lb_l2_list *cur = &l2->cur, all;
	size_t i, at;
	int err = 0, e;

	if (!l2->dumped) {
		lbipamd_l2want_list(w, &all);
		err = lbipamd_l2_sync(l2, nl, &all);
		lb_l2_list_free(&all);
		return err;
	}
	if (touched->n)
		qsort(touched->v, touched->n, sizeof(*touched->v),
		      l2_qsort);
	for (i = 0; i < touched->n; i++) {
		const struct lb_l2_entry *x = &touched->v[i];
		bool want, have;

		if (i && !lb_l2_cmp(&touched->v[i - 1], x))
			continue;
		want = lbipamd_l2want_has(w, x);
		at = l2_lower(cur, x);
		have = at < cur->n && !lb_l2_cmp(&cur->v[at], x);
		if (want == have)
			continue;
		e = l2_change(l2, nl, want ? LBIPAM_CMD_L2_NEW :
				 LBIPAM_CMD_L2_DEL, x);
		if (e && !err)
			err = e;
		if (want) {
			lbipamd_l2list_add(cur, x);
			memmove(&cur->v[at + 1], &cur->v[at],
				(cur->n - 1 - at) * sizeof(*cur->v));
			cur->v[at] = *x;
		} else {
			memmove(&cur->v[at], &cur->v[at + 1],
				(cur->n - at - 1) * sizeof(*cur->v));
			cur->n--;
		}
	}
	if (err) {
		l2->dumped = false;
		l2_set(l2, LBIPAMD_L2_ERROR, "changing announcements", nl,
			  err);
		return err;
	}
	l2->state = LBIPAMD_L2_SYNCED;
	l2->announced = cur->n;
	snprintf(l2->msg, sizeof(l2->msg), "%zu announcements", cur->n);
	return 0;
}

static bool ifaces_equal(const struct lbipamd_ifaces *a,
			    const struct lbipamd_ifaces *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->v[i].ifindex != b->v[i].ifindex ||
		    strcmp(a->v[i].name, b->v[i].name))
			return false;
	return true;
}

int lbipamd_l2_no_ifaces(struct lbipamd_ifaces *out)
{
	memset(out, 0, sizeof(*out));
	return 0;
}

int lbipamd_l2_reconcile(struct lbipamd *d, char *const *ns,
			 char *const *names, size_t n, bool full)
{
	struct lb_l2_list touched = { 0 }, all;
	struct lbipamd_ifaces f;
	struct lb_l2_self self;
	size_t i;
	int err;

	err = (d->ifaces ? d->ifaces : lbipamd_l2_ifaces)(&f);
	if (err) {
		lbipamd_log(LB_LOG_ERROR, "Cannot list interfaces", "error",
			    strerror(-err), NULL);
		return err;
	}
	/*
	 * New, renamed or vanished interfaces change every Service's set;
	 * and past a thousand Services one sorted rebuild is cheaper than
	 * as many in-place insertions.
	 */
	full = full || !d->l2want.built || n > LBIPAMD_L2_INCREMENTAL_MAX ||
	       !ifaces_equal(&f, &d->l2ifaces);
	if (full) {
		lbipamd_ifaces_free(&d->l2ifaces);
		d->l2ifaces = f;
	} else {
		lbipamd_ifaces_free(&f);
	}
	lbipamd_l2_self(&d->node, &d->l2ifaces, &self);
	self.elector = lbipamd_cluster_elector(d, true);
	lbipamd_cluster_l2_begin(d);
	if (full)
		err = lbipamd_l2want_build(&d->l2want, d->eng, &self);
	for (i = 0; !full && i < n && !err; i++)
		err = lbipamd_l2want_update(&d->l2want, d->eng, &self, ns[i],
					    names[i], &touched);
	if (!err)
		lbipamd_cluster_l2_end(d, ns, names, n, full);
	if (err) {
		/* Half updated: start over next time. */
		d->l2want.built = false;
		lb_l2_list_free(&touched);
		lbipamd_log(LB_LOG_ERROR, "Cannot compute the L2 announcements",
			    "error", strerror(-err), NULL);
		return err;
	}
	/*
	 * The kernel part opened the family; without it there is no one
	 * to program (its own state says why), and a module that comes
	 * back starts empty: dump it then.
	 */
	if (!d->kern.open) {
		lb_l2_list_free(&touched);
		d->l2.dumped = false;
		d->l2.state = LBIPAMD_L2_UNKNOWN;
		snprintf(d->l2.msg, sizeof(d->l2.msg),
			 "waiting for the kernel module");
		return 0;
	}
	if (full) {
		lbipamd_l2want_list(&d->l2want, &all);
		err = lbipamd_l2_sync(&d->l2, &d->kern.nl, &all);
		lb_l2_list_free(&all);
	} else {
		err = lbipamd_l2_sync_keys(&d->l2, &d->kern.nl, &d->l2want,
					   &touched);
	}
	lb_l2_list_free(&touched);
	return err;
}
