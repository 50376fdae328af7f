// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's side of BGP through BIRD: the fragment written (tmp +
 * rename) and loaded with "configure check" then "configure"; a refused
 * fragment is undone on disk so BIRD and the file agree.  BIRD is never
 * started here, only watched: a retry timer notices it coming back.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "daemon/lbipamd.h"

/* A configure of 10k routes takes well under a second. */
#define BIRD_TIMEOUT_MS		10000

static const char *const state_names[] = {
	[LBIPAMD_BGP_OFF] = "off",
	[LBIPAMD_BGP_PENDING] = "pending",
	[LBIPAMD_BGP_SYNCED] = "synced",
	[LBIPAMD_BGP_UNREACHABLE] = "unreachable",
	[LBIPAMD_BGP_REJECTED] = "rejected",
};

const char *lbipamd_bgp_state_name(enum lbipamd_bgp_state s)
{
	return state_names[s];
}

void lbipamd_bgp_init(struct lbipamd_bgp *g, const char *socket,
		      const char *include)
{
	memset(g, 0, sizeof(*g));
	g->socket = socket;
	g->include = include;
	g->state = socket && include ? LBIPAMD_BGP_PENDING : LBIPAMD_BGP_OFF;
}

void lbipamd_bgp_peers_free(struct lbipamd_bgp_peer *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].instance);
		free(p[i].peer);
		free(p[i].address);
	}
	free(p);
}

void lbipamd_bgp_free(struct lbipamd_bgp *g)
{
	free(g->applied);
	free(g->rejected);
	free(g->rejected_at);
	free(g->seen_boot);
	lbipamd_bgp_peers_free(g->peers, g->npeers);
	memset(g, 0, sizeof(*g));
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? lb_xstrdup(v) : NULL;
}

/* ------------------------------------------------------------- peers */

void lbipamd_bgp_peers_of(const struct lb_bgp_node *n,
			  struct lbipamd_bgp_peer **out, size_t *n_out)
{
	struct lbipamd_bgp_peer *v = NULL;
	size_t i, j, cnt = 0;

	for (i = 0; i < n->n_instances; i++) {
		const struct lb_bgp_instance *in = &n->instances[i];

		for (j = 0; j < in->n_peers; j++) {
			const struct lb_bgp_peer *p = &in->peers[j];
			struct lbipamd_bgp_peer *x;
			char a[INET6_ADDRSTRLEN];

			v = lb_xreallocarray(v, cnt + 1, sizeof(*v));
			x = &v[cnt++];
			memset(x, 0, sizeof(*x));
			lbipamd_bgp_proto_name(in, p, x->proto,
					       sizeof(x->proto));
			x->instance = lb_xstrdup(in->name);
			x->peer = lb_xstrdup(p->name);
			x->address = lb_xstrdup(lb_ip_str(p->address.family,
							  &p->address.v6, a,
							  sizeof(a)));
			x->local_asn = in->local_asn;
			x->peer_asn = p->peer_asn;
			x->v4 = lbipamd_bgp_has_channel(p, AF_INET);
			x->v6 = lbipamd_bgp_has_channel(p, AF_INET6);
		}
	}
	*out = v;
	*n_out = cnt;
}

/* ------------------------------------------------------------ the file */

/* The file's content (malloc'd), or NULL when it does not exist. */
static int read_file(const char *path, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r"), *m;
	char chunk[8192];
	size_t got;

	*out = NULL;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	m = open_memstream(&buf, &len);
	if (!m)
		lb_oom("BIRD include file");
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, got, m);
	fclose(f);
	if (fclose(m) || !buf)
		lb_oom("BIRD include file");
	*out = buf;
	return 0;
}

/* text (NULL: remove the file) into path, atomically. */
static int write_file(const char *path, const char *text)
{
	char *tmp;
	size_t len, off = 0;
	int fd, rc = 0;

	if (!text)
		return unlink(path) && errno != ENOENT ? -errno : 0;
	tmp = lb_xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	len = strlen(text);
	while (off < len && !rc) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0)
			rc = -errno;
		else
			off += (size_t)w;
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ---------------------------------------------------------------- BIRD */

/* "Last reboot on X" and "Last reconfiguration on Y" of show status. */
static int bird_times(struct lbipamd_bird *b, char **boot, char **reconf,
		      char *err, size_t len)
{
	struct lbipamd_bird_reply r;
	size_t i;
	int rc = lbipamd_bird_cmd(b, "show status", &r, err, len);

	*boot = *reconf = NULL;
	for (i = 0; !rc && i < r.n; i++) {
		const char *t = r.v[i].text;

		if (!strncmp(t, "Last reboot on ", 15))
			set_str(boot, t + 15);
		else if (!strncmp(t, "Last reconfiguration on ", 24))
			set_str(reconf, t + 24);
	}
	lbipamd_bird_reply_free(&r);
	return rc;
}

static void unreachable(struct lbipamd_bgp *g, const char *why)
{
	if (g->state != LBIPAMD_BGP_UNREACHABLE)
		lbipamd_log(LB_LOG_WARN, "BIRD does not answer; BGP waits for it",
			    "socket", g->socket, "error", why, NULL);
	g->state = LBIPAMD_BGP_UNREACHABLE;
	snprintf(g->msg, sizeof(g->msg), "%s", why);
}

/*
 * One command that must succeed; 1 when BIRD refused it (its words in
 * why), 0 when done, -errno when BIRD could not be asked.
 */
static int must(struct lbipamd_bird *b, const char *cmd, char *why,
		size_t len)
{
	struct lbipamd_bird_reply r;
	int rc = lbipamd_bird_cmd(b, cmd, &r, why, len);

	if (!rc && lbipamd_bird_reply_failed(&r)) {
		lbipamd_bird_reply_error(&r, why, len);
		rc = 1;
	}
	lbipamd_bird_reply_free(&r);
	return rc;
}

static void rejected(struct lbipamd_bgp *g, struct lbipamd_bird *b,
		     const char *text, const char *why)
{
	char *boot, *reconf, err[200];

	g->state = LBIPAMD_BGP_REJECTED;
	g->rejections++;
	snprintf(g->msg, sizeof(g->msg), "BIRD refused the configuration: %s",
		 why);
	set_str(&g->rejected, text);
	bird_times(b, &boot, &reconf, err, sizeof(err));
	free(g->rejected_at);
	g->rejected_at = reconf;
	free(boot);
	lbipamd_log(LB_LOG_ERROR, "BIRD rejected the BGP configuration; the previous one stays",
		    "socket", g->socket, "include", g->include, "error", why,
		    NULL);
}

/* Writes text, checks and loads it; the old file back on a refusal. */
static int load(struct lbipamd_bgp *g, struct lbipamd_bird *b,
		const char *text)
{
	char *old = NULL, why[900];
	int rc = read_file(g->include, &old), r2;

	if (!rc)
		rc = write_file(g->include, text);
	if (rc) {
		g->state = LBIPAMD_BGP_REJECTED;
		snprintf(g->msg, sizeof(g->msg), "cannot write %s: %s",
			 g->include, strerror(-rc));
		lbipamd_log(LB_LOG_ERROR, "Cannot write the BIRD include file",
			    "include", g->include, "error", strerror(-rc), NULL);
		free(old);
		return rc;
	}
	rc = must(b, "configure check", why, sizeof(why));
	if (!rc)
		rc = must(b, "configure", why, sizeof(why));
	if (rc) {
		r2 = write_file(g->include, old);
		if (r2)
			lbipamd_log(LB_LOG_ERROR, "Cannot restore the BIRD include file",
				    "include", g->include, "error",
				    strerror(-r2), NULL);
		if (rc > 0)
			rejected(g, b, text, why);
		else
			unreachable(g, why);
		rc = rc > 0 ? -EINVAL : rc;
	}
	free(old);
	return rc;
}

int lbipamd_bgp_apply(struct lbipamd_bgp *g, const char *text,
		      struct lbipamd_bgp_peer *peers, size_t npeers)
{
	struct lbipamd_bird *b;
	char err[300], *boot = NULL, *reconf = NULL;
	int rc = 0;

	if (g->state == LBIPAMD_BGP_OFF ||
	    (g->applied && !strcmp(g->applied, text)) ||
	    (g->rejected && !strcmp(g->rejected, text))) {
		lbipamd_bgp_peers_free(peers, npeers);
		return g->state == LBIPAMD_BGP_REJECTED ? -EINVAL : 0;
	}
	rc = lbipamd_bird_open(g->socket, BIRD_TIMEOUT_MS, &b, err,
			       sizeof(err));
	if (!rc)
		rc = load(g, b, text);
	else
		unreachable(g, err);
	if (!rc) {
		bird_times(b, &boot, &reconf, err, sizeof(err));
		free(g->seen_boot);
		g->seen_boot = boot;
		free(reconf);
		set_str(&g->applied, text);
		set_str(&g->rejected, NULL);
		lbipamd_bgp_peers_free(g->peers, g->npeers);
		g->peers = peers;
		g->npeers = npeers;
		peers = NULL;
		npeers = 0;
		g->state = LBIPAMD_BGP_SYNCED;
		g->configures++;
		snprintf(g->msg, sizeof(g->msg), "%zu", g->npeers);
		lbipamd_log(LB_LOG_INFO, "BIRD configured", "include",
			    g->include, "peers", g->msg, NULL);
		snprintf(g->msg, sizeof(g->msg), "BIRD runs %zu peer%s",
			 g->npeers, g->npeers == 1 ? "" : "s");
	}
	lbipamd_bird_close(b);
	lbipamd_bgp_peers_free(peers, npeers);
	return rc;
}

void lbipamd_bgp_again(struct lbipamd_bgp *g)
{
	if (g->state == LBIPAMD_BGP_OFF)
		return;
	set_str(&g->applied, NULL);
	set_str(&g->rejected, NULL);
	g->state = LBIPAMD_BGP_PENDING;
}

bool lbipamd_bgp_poll(struct lbipamd_bgp *g)
{
	struct lbipamd_bird *b;
	char err[300], *boot = NULL, *reconf = NULL;
	bool again = false;

	if (g->state == LBIPAMD_BGP_OFF)
		return false;
	if (lbipamd_bird_open(g->socket, BIRD_TIMEOUT_MS, &b, err,
			      sizeof(err)) ||
	    bird_times(b, &boot, &reconf, err, sizeof(err))) {
		lbipamd_bird_close(b);
		unreachable(g, err);
		return false;
	}
	lbipamd_bird_close(b);
	if (g->state == LBIPAMD_BGP_UNREACHABLE ||
	    g->state == LBIPAMD_BGP_PENDING) {
		again = true;
	} else if (g->state == LBIPAMD_BGP_SYNCED &&
		   (!boot || !g->seen_boot || strcmp(boot, g->seen_boot))) {
		lbipamd_log(LB_LOG_INFO, "BIRD restarted; configuring it again",
			    "socket", g->socket, NULL);
		again = true;
	} else if (g->state == LBIPAMD_BGP_REJECTED &&
		   (!reconf || !g->rejected_at ||
		    strcmp(reconf, g->rejected_at))) {
		/* Someone fixed bird.conf and reloaded: worth one more try. */
		again = true;
	}
	if (again)
		lbipamd_bgp_again(g);
	free(boot);
	free(reconf);
	return again;
}

json_t *lbipamd_bgp_status(const struct lbipamd_bgp *g)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "state",
			 lbipamd_bgp_state_name(g->state), "message", g->msg,
			 "socket", g->socket ? g->socket : "", "include",
			 g->include ? g->include : "", "peers",
			 (json_int_t)g->npeers, "configures",
			 (json_int_t)g->configures, "rejections",
			 (json_int_t)g->rejections);
}

/* ------------------------------------------------------------- daemon */

struct render_ctx {
	const struct lbipamd_bgp *g;
	char *text;
	struct lbipamd_bgp_peer *peers;
	size_t npeers;
};

/*
 * Cilium accepts an ipv6 family for a peer with an IPv4 address (one
 * session, both families); BIRD cannot send it (no IPv6 next hop), so the
 * user hears of it once per new configuration rather than finding the
 * routes missing.
 */
static void warn_families(const struct lb_bgp_node *n)
{
	size_t i, j;

	for (i = 0; i < n->n_instances; i++) {
		const struct lb_bgp_instance *in = &n->instances[i];

		for (j = 0; j < in->n_peers; j++) {
			const struct lb_bgp_peer *p = &in->peers[j];
			size_t k;

			if (p->address.family != AF_INET)
				continue;
			for (k = 0; k < p->n_families; k++)
				if (p->families[k].family == AF_INET6)
					break;
			if (k == p->n_families)
				continue;
			lbipamd_log(LB_LOG_WARN, "BGP ipv6 family not advertised over an IPv4 session (no IPv6 next hop); give the peer an IPv6 peerAddress",
				    "cluster_config", in->cluster_config,
				    "instance", in->name, "peer", p->name,
				    NULL);
		}
	}
}

static int on_node(const struct lb_bgp_node *n, void *arg)
{
	struct render_ctx *c = arg;

	c->text = lbipamd_bgp_render(n);
	lbipamd_bgp_peers_of(n, &c->peers, &c->npeers);
	if (c->text && (!c->g->applied || strcmp(c->g->applied, c->text)) &&
	    (!c->g->rejected || strcmp(c->g->rejected, c->text)))
		warn_families(n);
	return 0;
}

int lbipamd_bgp_reconcile(struct lbipamd *d)
{
	struct render_ctx c = { .g = &d->bgp };
	struct lb_l2_self self;
	int rc;

	if (d->bgp.state == LBIPAMD_BGP_OFF)
		return 0;
	lbipamd_l2_self(&d->node, &d->l2ifaces, &self);
	rc = lbe_bgp_node(d->eng, &self, on_node, &c);
	if (rc || !c.text) {
		lbipamd_log(LB_LOG_ERROR, "Cannot compute this node's BGP configuration",
			    "error", strerror(rc ? -rc : EINVAL), NULL);
		free(c.text);
		lbipamd_bgp_peers_free(c.peers, c.npeers);
		return rc ? rc : -EINVAL;
	}
	rc = lbipamd_bgp_apply(&d->bgp, c.text, c.peers, c.npeers);
	free(c.text);
	return rc;
}

