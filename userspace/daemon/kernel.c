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

static void k_fail(struct lbipamd_kernel *k, enum lbipamd_kstate st,
		      const char *what, int err)
{
	char msg[sizeof(k->msg)];

	snprintf(msg, sizeof(msg), "%s: %s", what,
		 k->nl.err[0] ? k->nl.err : lb_nl_strerror(err));
	if (st == LBIPAMD_K_ERROR)
		k->errors++;
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

/* ------------------------------------------------------------ dump --- */

/* The services of @l, their backends moved over, as the kernel's set. */
static int k_take(struct lbipamd_kset *s, struct lb_svc_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct lbipamd_ksvc *v = lb_xcalloc(1, sizeof(*v));

		lbipamd_kset_append(s, v);
		v->key = l->v[i].key;
		v->opts = l->v[i].opts;
		v->be = l->v[i].backends;
		v->nbe = l->v[i].nbackends;
		/* Both moved: the list's free must not see them. */
		lb_svc_opts_default(&l->v[i].opts);
		l->v[i].backends = NULL;
	}
	lbipamd_kset_sort(s);
	return 0;
}

static int k_dump(struct lbipamd_kernel *k)
{
	struct lb_svc_list l = { 0 };
	size_t i;
	int err;

	lbipamd_kset_free(&k->cur);
	k->ops++;
	/* lb_nl_get_services() itself dumps again when a change raced it. */
	err = lb_nl_get_services(&k->nl, NULL, 0, &l);
	if (!err)
		err = k_take(&k->cur, &l);
	lb_svc_list_free(&l);
	if (err)
		return err;
	for (i = 0; i < k->cur.n; i++) {
		struct lbipamd_ksvc *v = k->cur.v[i];
		size_t j;

		/* Stats are not configuration: they must not look changed. */
		for (j = 0; j < v->nbe; j++)
			memset(&v->be[j].stats, 0, sizeof(v->be[j].stats));
		qsort(v->be, v->nbe, sizeof(*v->be), lbipamd_backend_cmp);
	}
	k->dumped = true;
	return 0;
}

/* ------------------------------------------------------------ diff --- */

static int k_send(struct lbipamd_kernel *k, struct nl_msg *m,
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
		k_fail(k, LBIPAMD_K_ERROR, e, err);
		return err;
	}
	lbipamd_log(LB_LOG_DEBUG, "Kernel service programmed", "op", what,
		    "key", ks, "service", v->owner[0] ? v->owner : NULL,
		    NULL);
	return 0;
}

static int k_del(struct lbipamd_kernel *k, const struct lbipamd_ksvc *v)
{
	struct nl_msg *m = lb_nl_msg(&k->nl, LBIPAM_CMD_SERVICE_DEL, NLM_F_ACK);

	if (m && lb_nl_put_service(m, &v->key, NULL)) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	return k_send(k, m, "delete", v);
}

static int k_svc(struct lbipamd_kernel *k, const struct lbipamd_ksvc *v,
		    bool create)
{
	struct nl_msg *m = lb_nl_msg(&k->nl, create ? LBIPAM_CMD_SERVICE_NEW :
				     LBIPAM_CMD_SERVICE_SET, NLM_F_ACK);

	if (m && lb_nl_put_service(m, &v->key, &v->opts)) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	return k_send(k, m, create ? "add" : "set", v);
}

static int k_replace(struct lbipamd_kernel *k,
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
	return k_send(k, m, "backend replace", v);
toobig:
	nlmsg_free(m);
	return -EMSGSIZE;
}

/*
 * Makes the kernel's entry for one key what w says (w NULL: none); c is
 * the mirror's entry.  The mirror follows what succeeded.
 */
static int k_one(struct lbipamd_kernel *k, struct lbipamd_ksvc *c,
		    const struct lbipamd_ksvc *w)
{
	struct lbipamd_ksvc *copy;
	int err = 0;

	if (!w) {
		err = k_del(k, c);
		if (!err) {
			lbipamd_kset_remove(&k->cur, c);
			lbipamd_ksvc_free(c);
		}
		return err;
	}
	if (!c) {
		err = k_svc(k, w, true);
		if (!err && w->nbe)
			err = k_replace(k, w);
	} else {
		if (!lbipamd_ksvc_opts_equal(c, w))
			err = k_svc(k, w, false);
		if (!err && !lbipamd_ksvc_backends_equal(c, w))
			err = k_replace(k, w);
		if (err)
			return err;
		if (c->nbe == w->nbe && lbipamd_ksvc_equal(c, w))
			return 0;
	}
	if (err)
		return err;
	copy = lbipamd_ksvc_dup(w);
	copy->owner[0] = '\0';		/* the kernel knows no owners */
	if (c) {
		lbipamd_kset_remove(&k->cur, c);
		lbipamd_ksvc_free(c);
	}
	lbipamd_kset_insert(&k->cur, copy);
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return lbipamd_ksvc_cmp_key(a, b);
}

/* Programs each distinct key of keys (sorted here) from want. */
static int k_keys(struct lbipamd_kernel *k, const struct lbipamd_kset *want,
		     struct lb_service_key *keys, size_t n)
{
	size_t i;
	int err;

	if (n > 1)
		qsort(keys, n, sizeof(*keys), cmp_keys);
	for (i = 0; i < n; i++) {
		struct lbipamd_ksvc *c, *w;

		if (i && !lbipamd_ksvc_cmp_key(&keys[i - 1], &keys[i]))
			continue;
		c = lbipamd_kset_get(&k->cur, &keys[i]);
		w = lbipamd_kset_get(want, &keys[i]);
		if (!c && !w)
			continue;
		err = k_one(k, c, w);
		if (err)
			return err;
	}
	return 0;
}

/* Applies want over k->cur, every key of both. */
static int k_apply(struct lbipamd_kernel *k,
		      const struct lbipamd_kset *want)
{
	struct lb_service_key *keys;
	size_t i, n = 0;
	int err;

	keys = lb_xreallocarray(NULL, k->cur.n + want->n + 1, sizeof(*keys));
	for (i = 0; i < k->cur.n; i++)
		keys[n++] = k->cur.v[i]->key;
	for (i = 0; i < want->n; i++)
		if (!i || lbipamd_ksvc_cmp_key(&want->v[i - 1]->key,
					       &want->v[i]->key))
			keys[n++] = want->v[i]->key;
	err = k_keys(k, want, keys, n);
	free(keys);
	return err;
}

static int k_ready(struct lbipamd_kernel *k)
{
	int err;

	if (!k->open) {
		err = lb_nl_open(&k->nl);
		if (err) {
			k_fail(k, err == -ENOENT ? LBIPAMD_K_MISSING :
				  LBIPAMD_K_ERROR, "opening the lbipam family",
				  err);
			return err;
		}
		k->open = true;
		k->dumped = false;
	}
	if (!k->dumped) {
		err = k_dump(k);
		if (err) {
			k_fail(k, err == -ENOENT ? LBIPAMD_K_MISSING :
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
	return 0;
}

static void k_synced(struct lbipamd_kernel *k)
{
	if (k->state != LBIPAMD_K_SYNCED)
		lbipamd_log(LB_LOG_INFO, "Kernel table in sync", NULL);
	k->state = LBIPAMD_K_SYNCED;
	/* In sync, the mirror holds exactly the wanted keys: O(1). */
	snprintf(k->msg, sizeof(k->msg), "%zu kernel services", k->cur.n);
}

int lbipamd_kernel_sync(struct lbipamd_kernel *k,
			const struct lbipamd_kset *want)
{
	int err = k_ready(k);

	if (!err)
		err = k_apply(k, want);
	if (err) {
		k->dumped = false;
		return err;
	}
	k_synced(k);
	return 0;
}

int lbipamd_kernel_sync_keys(struct lbipamd_kernel *k,
			     const struct lbipamd_kset *want,
			     const struct lb_service_key *keys, size_t nkeys)
{
	struct lb_service_key *v;
	int err;

	if (!k->open || !k->dumped || k->state != LBIPAMD_K_SYNCED)
		return lbipamd_kernel_sync(k, want);
	v = lb_xreallocarray(NULL, nkeys + 1, sizeof(*v));
	memcpy(v, keys, nkeys * sizeof(*v));
	err = k_keys(k, want, v, nkeys);
	free(v);
	if (err) {
		k->dumped = false;
		return err;
	}
	k_synced(k);
	return 0;
}
