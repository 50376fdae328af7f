// SPDX-License-Identifier: GPL-2.0
/*
 * Reconciles the wanted table into lbipam.ko over generic netlink.
 *
 * lbipamd owns the lbipam table of the network namespace it runs in: after
 * a (re)start or any failed request it dumps the kernel table and diffs
 * against it; otherwise it diffs against what it last programmed, so a
 * change costs requests only for what changed. Services that did not
 * change are never touched, so their flows survive restarts. A backend
 * set that changed is replaced with one LBIPAM_CMD_BACKEND_REPLACE, which
 * the module publishes atomically.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/lbipamd.h"

const char *lbipamd_kstate_name(enum lbipamd_kstate s)
{
	switch (s) {
	case LBIPAMD_K_SYNCED:
		return "synced";
	case LBIPAMD_K_MISSING:
		return "missing";
	case LBIPAMD_K_ERROR:
		return "error";
	default:
		return "unknown";
	}
}

const char *lbipamd_be_state_name(uint8_t s)
{
	switch (s) {
	case LBIPAM_BE_ACTIVE:
		return "active";
	case LBIPAM_BE_TERMINATING:
		return "terminating";
	case LBIPAM_BE_MAINTENANCE:
		return "maintenance";
	default:
		return "?";
	}
}

void lbipamd_kernel_init(struct lbipamd_kernel *k)
{
	memset(k, 0, sizeof(*k));
	k->state = LBIPAMD_K_UNKNOWN;
}

void lbipamd_kernel_close(struct lbipamd_kernel *k)
{
	if (k->open)
		lb_nl_close(&k->nl);
	k->open = false;
	lbipamd_kset_free(&k->cur);
}

static void lb_k_fail(struct lbipamd_kernel *k, enum lbipamd_kstate st,
		      const char *what, int err)
{
	char msg[sizeof(k->msg)];

	snprintf(msg, sizeof(msg), "%s: %s", what,
		 k->nl.err[0] ? k->nl.err : lb_nl_strerror(err));
	/* Log a failure once, not on every retry. */
	if (k->state != st || strcmp(k->msg, msg))
		lbipamd_log(st == LBIPAMD_K_MISSING ? LB_LOG_WARN :
			    LB_LOG_ERROR,
			    st == LBIPAMD_K_MISSING ?
			    "Kernel module lbipam is not available, allocating only; will retry" :
			    "Programming the kernel failed; will resync",
			    "error", msg, NULL);
	k->state = st;
	snprintf(k->msg, sizeof(k->msg), "%s", msg);
	/* The next attempt starts from a fresh dump. */
	k->dumped = false;
	if (k->open && st == LBIPAMD_K_MISSING) {
		lb_nl_close(&k->nl);
		k->open = false;
	}
}

static int lb_ksvc_copy(struct lbipamd_ksvc *dst,
			const struct lbipamd_ksvc *src)
{
	*dst = *src;
	dst->be = NULL;
	if (src->nbe) {
		dst->be = malloc(src->nbe * sizeof(*dst->be));
		if (!dst->be)
			return -ENOMEM;
		memcpy(dst->be, src->be, src->nbe * sizeof(*dst->be));
	}
	return 0;
}

/* ------------------------------------------------------------ dump --- */

/* The services of @l, their backends moved over, as the kernel's set. */
static int lb_k_take(struct lbipamd_kset *s, struct lb_svc_list *l)
{
	size_t i;

	s->v = calloc(l->n ? l->n : 1, sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	s->cap = l->n;
	for (i = 0; i < l->n; i++) {
		struct lbipamd_ksvc *v = &s->v[s->n++];

		v->key = l->v[i].key;
		v->opts = l->v[i].opts;
		v->be = l->v[i].backends;
		v->nbe = l->v[i].nbackends;
		l->v[i].backends = NULL;
	}
	return 0;
}

static int lb_k_dump(struct lbipamd_kernel *k)
{
	struct lb_svc_list l = { 0 };
	int tries, err = 0;
	size_t i;

	lbipamd_kset_free(&k->cur);
	for (tries = 0; tries < 5; tries++) {
		k->ops++;
		err = lb_nl_get_services(&k->nl, NULL, 0, &l);
		if (err != -EAGAIN)	/* a dump raced with a change */
			break;
	}
	if (!err)
		err = lb_k_take(&k->cur, &l);
	lb_svc_list_free(&l);
	if (err)
		return err;
	for (i = 0; i < k->cur.n; i++) {
		struct lbipamd_ksvc *v = &k->cur.v[i];

		/* Stats are not configuration: they must not look changed. */
		{
			size_t j;

			for (j = 0; j < v->nbe; j++)
				memset(&v->be[j].stats, 0,
				       sizeof(v->be[j].stats));
		}
		qsort(v->be, v->nbe, sizeof(*v->be), lbipamd_backend_cmp);
	}
	k->dumped = true;
	return 0;
}

/* ------------------------------------------------------------ diff --- */

static bool lb_opts_equal(const struct lb_svc_opts *a,
			  const struct lb_svc_opts *b)
{
	size_t i;

	if (a->sched != b->sched || a->affinity != b->affinity ||
	    a->flags != b->flags || a->nranges != b->nranges)
		return false;
	for (i = 0; i < a->nranges; i++) {
		const struct lb_cidr *x = &a->ranges[i], *y = &b->ranges[i];

		if (x->family != y->family || x->plen != y->plen ||
		    memcmp(&x->addr, &y->addr,
			   x->family == AF_INET ? 4 : 16))
			return false;
	}
	return true;
}

static bool lb_backends_equal(const struct lbipamd_ksvc *a,
			      const struct lbipamd_ksvc *b)
{
	size_t i;

	if (a->nbe != b->nbe)
		return false;
	for (i = 0; i < a->nbe; i++) {
		const struct lb_backend *x = &a->be[i], *y = &b->be[i];

		if (lbipamd_backend_cmp(x, y) || x->weight != y->weight ||
		    x->flags != y->flags)
			return false;
	}
	return true;
}

static int lb_k_send(struct lbipamd_kernel *k, struct nl_msg *m,
		     const char *what, const struct lbipamd_ksvc *v)
{
	char ks[LB_SERVICE_STRLEN];
	int err;

	if (!m)
		return -ENOMEM;
	k->ops++;
	err = lb_nl_request(&k->nl, m, NULL, NULL);
	lb_service_str(&v->key, ks, sizeof(ks));
	if (err) {
		char e[700];

		snprintf(e, sizeof(e), "%s %s", what, ks);
		lb_k_fail(k, LBIPAMD_K_ERROR, e, err);
		return err;
	}
	lbipamd_log(LB_LOG_DEBUG, "Kernel service programmed", "op", what,
		    "key", ks, "service", v->owner[0] ? v->owner : NULL,
		    NULL);
	return 0;
}

static int lb_k_del(struct lbipamd_kernel *k, const struct lbipamd_ksvc *v)
{
	struct nl_msg *m = lb_nl_msg(&k->nl, LBIPAM_CMD_SERVICE_DEL, NLM_F_ACK);

	if (m && lb_nl_put_service(m, &v->key, NULL)) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	return lb_k_send(k, m, "delete", v);
}

static int lb_k_svc(struct lbipamd_kernel *k, const struct lbipamd_ksvc *v,
		    bool create)
{
	struct nl_msg *m = lb_nl_msg(&k->nl, create ? LBIPAM_CMD_SERVICE_NEW :
				     LBIPAM_CMD_SERVICE_SET, NLM_F_ACK);

	if (m && lb_nl_put_service(m, &v->key, &v->opts)) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	return lb_k_send(k, m, create ? "add" : "set", v);
}

static int lb_k_replace(struct lbipamd_kernel *k,
			const struct lbipamd_ksvc *v)
{
	struct nl_msg *m = lb_nl_msg_size(&k->nl, LBIPAM_CMD_BACKEND_REPLACE,
					  NLM_F_ACK, 512 + 64 * v->nbe);
	size_t i;

	if (!m)
		return -ENOMEM;
	if (lb_nl_put_service(m, &v->key, NULL))
		goto toobig;
	for (i = 0; i < v->nbe; i++)
		if (lb_nl_put_backend(m, &v->be[i], 1))
			goto toobig;
	return lb_k_send(k, m, "backend replace", v);
toobig:
	nlmsg_free(m);
	return -EMSGSIZE;
}

/* Applies want over k->cur; k->cur tracks what succeeded. */
static int lb_k_apply(struct lbipamd_kernel *k,
		      const struct lbipamd_kset *want)
{
	struct lbipamd_kset next = { 0 };
	size_t i = 0, j = 0;
	int err = 0;

	next.cap = want->n + k->cur.n + 1;
	next.v = calloc(next.cap, sizeof(*next.v));
	if (!next.v)
		return -ENOMEM;
	while (i < k->cur.n || j < want->n) {
		struct lbipamd_ksvc *c = i < k->cur.n ? &k->cur.v[i] : NULL;
		const struct lbipamd_ksvc *w = j < want->n ? &want->v[j] : NULL;
		int cmp = !c ? 1 : !w ? -1 : lbipamd_ksvc_cmp_key(&c->key,
								  &w->key);

		if (err) {
			/* Keep the rest of cur as it is; a dump follows. */
			if (c && cmp <= 0) {
				next.v[next.n++] = *c;
				c->be = NULL;
				i++;
			}
			if (cmp >= 0)
				j++;
			continue;
		}
		if (cmp < 0) {
			err = lb_k_del(k, c);
			if (err) {
				next.v[next.n++] = *c;
				c->be = NULL;
			}
			i++;
			continue;
		}
		if (cmp > 0) {
			err = lb_k_svc(k, w, true);
			if (!err && w->nbe)
				err = lb_k_replace(k, w);
			if (!err)
				err = lb_ksvc_copy(&next.v[next.n++], w);
			j++;
			continue;
		}
		if (!lb_opts_equal(&c->opts, &w->opts))
			err = lb_k_svc(k, w, false);
		if (!err && !lb_backends_equal(c, w))
			err = lb_k_replace(k, w);
		if (!err) {
			err = lb_ksvc_copy(&next.v[next.n++], w);
		} else {
			next.v[next.n++] = *c;
			c->be = NULL;
		}
		i++;
		j++;
	}
	lbipamd_kset_free(&k->cur);
	k->cur = next;
	return err;
}

int lbipamd_kernel_sync(struct lbipamd_kernel *k,
			const struct lbipamd_kset *want)
{
	int err;

	if (!k->open) {
		err = lb_nl_open(&k->nl);
		if (err) {
			lb_k_fail(k, err == -ENOENT ? LBIPAMD_K_MISSING :
				  LBIPAMD_K_ERROR, "opening the lbipam family",
				  err);
			return err;
		}
		k->open = true;
		k->dumped = false;
	}
	if (!k->dumped) {
		err = lb_k_dump(k);
		if (err) {
			lb_k_fail(k, err == -ENOENT ? LBIPAMD_K_MISSING :
				  LBIPAMD_K_ERROR, "dumping the kernel table",
				  err);
			/*
			 * The module may have gone away under an open
			 * socket: reopen next time.
			 */
			lb_nl_close(&k->nl);
			k->open = false;
			return err;
		}
	}
	err = lb_k_apply(k, want);
	if (err)
		return err;
	if (k->state != LBIPAMD_K_SYNCED)
		lbipamd_log(LB_LOG_INFO, "Kernel table in sync", NULL);
	k->state = LBIPAMD_K_SYNCED;
	snprintf(k->msg, sizeof(k->msg), "%zu kernel services", want->n);
	return 0;
}
