/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BGP through BIRD: the engine's per-node answer rendered into a BIRD 2
 * configuration fragment, BIRD's control socket, and the daemon's side.
 *
 *   bgp_render.c  struct lb_bgp_node -> the fragment's text
 *   bird.c        the control socket (birdc's protocol): commands, replies
 *   bgp.c         write the fragment, configure BIRD, retry, keep state
 *   bgp_view.c    lbctl get bgp peers|routes from BIRD's answers
 */
#ifndef LBIPAMD_BGP_H
#define LBIPAMD_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "engine/lb_bgp.h"

/* ------------------------------------------------------------- render */

/* BIRD symbols are at most 64 characters. */
#define LBIPAMD_BIRD_NAME_MAX	64

/*
 * The protocol name of a peer: "lbipam_" and the instance and peer
 * names (letters, digits and underscores kept, the rest "_"), cut to fit,
 * then "_" and 8 hex digits of a hash of (cluster config, instance,
 * peer), so two peers never share a name and a peer keeps its name.
 */
void lbipamd_bgp_proto_name(const struct lb_bgp_instance *in,
			    const struct lb_bgp_peer *p, char *buf,
			    size_t len);
/*
 * Does the peer's protocol get a channel of family fam: a family of its
 * peer config (none while that is missing: its address's family, which
 * exports nothing), but no IPv6 over an IPv4 session, for which BIRD has
 * no next hop; IPv4 over IPv6 uses extended next hop.
 */
bool lbipamd_bgp_has_channel(const struct lb_bgp_peer *p, int fam);
/*
 * The whole fragment for n: its own tables lbipam4 and lbipam6, one
 * static protocol per family with every advertised prefix as a
 * blackhole route, one export filter per peer and family, one bgp
 * protocol per peer.  Malloc'd; never fails.
 */
char *lbipamd_bgp_render(const struct lb_bgp_node *n);

/* --------------------------------------------------------------- bird */

/* One line of a reply: its code (the last one for continuations). */
struct lbipamd_bird_line {
	int code;
	char *text;
};

struct lbipamd_bird_reply {
	struct lbipamd_bird_line *v;
	size_t n, cap;
	int code;			/* the last line's: 0xxx ok, 8/9xxx error */
};

struct lbipamd_bird;

/*
 * Connects to BIRD's control socket and reads its welcome (0001).  0, or
 * -errno with the reason in err.  Every read waits at most timeout_ms.
 */
int lbipamd_bird_open(const char *path, int timeout_ms,
		      struct lbipamd_bird **out, char *err, size_t len);
/*
 * Sends one command and reads its whole reply.  0 when BIRD answered (the
 * answer may be an error: r->code >= 8000), else -errno (the connection
 * is then unusable) with the reason in err.
 */
int lbipamd_bird_cmd(struct lbipamd_bird *b, const char *cmd,
		     struct lbipamd_bird_reply *r, char *err, size_t len);
void lbipamd_bird_close(struct lbipamd_bird *b);
void lbipamd_bird_reply_free(struct lbipamd_bird_reply *r);
bool lbipamd_bird_reply_failed(const struct lbipamd_bird_reply *r);
/* The error lines of a failed reply as one line, into buf. */
const char *lbipamd_bird_reply_error(const struct lbipamd_bird_reply *r,
				     char *buf, size_t len);

/* ---------------------------------------------------------------- bgp */

struct lbipamd;

/* One peer of the last fragment BIRD took: what lbctl shows with it. */
struct lbipamd_bgp_peer {
	char proto[LBIPAMD_BIRD_NAME_MAX + 1];
	char *instance, *peer, *address;
	uint32_t local_asn, peer_asn;
	bool v4, v6;			/* channels */
};

enum lbipamd_bgp_state {
	LBIPAMD_BGP_OFF,		/* no --bgp-bird-socket/-include */
	LBIPAMD_BGP_PENDING,		/* not configured yet */
	LBIPAMD_BGP_SYNCED,		/* BIRD runs the fragment we wrote */
	LBIPAMD_BGP_UNREACHABLE,	/* BIRD's socket does not answer */
	LBIPAMD_BGP_REJECTED,		/* BIRD refused the fragment */
};

struct lbipamd_bgp {
	enum lbipamd_bgp_state state;
	const char *socket, *include;
	char msg[1024];			/* why, for status and logs */
	char *applied;			/* the text BIRD runs, NULL: unknown */
	char *rejected;			/* the last text BIRD refused */
	char *rejected_at;		/* BIRD's "Last reconfiguration" then */
	char *seen_boot;		/* BIRD's "Last reboot" when we applied */
	struct lbipamd_bgp_peer *peers;	/* of applied */
	size_t npeers;
	unsigned long configures, rejections;
};

const char *lbipamd_bgp_state_name(enum lbipamd_bgp_state s);
void lbipamd_bgp_init(struct lbipamd_bgp *g, const char *socket,
		      const char *include);
void lbipamd_bgp_free(struct lbipamd_bgp *g);
/*
 * Renders text for BIRD and, when it differs from what BIRD runs, writes
 * the include file (tmp + rename) and has BIRD check and load it; on a
 * refusal the previous file is put back and the same text is not tried
 * again until BIRD restarts or is reconfigured by someone else.
 * peers/npeers describe text's peers (taken over on success).
 * 0 when BIRD runs text; else g->state and g->msg say why.
 */
int lbipamd_bgp_apply(struct lbipamd_bgp *g, const char *text,
		      struct lbipamd_bgp_peer *peers, size_t npeers);
/*
 * The retry timer's tick: notices BIRD coming back, restarting or being
 * reconfigured; true when the fragment should be applied again.
 */
bool lbipamd_bgp_poll(struct lbipamd_bgp *g);
/* Forget what BIRD runs or refused: the next pass configures it (SIGHUP). */
void lbipamd_bgp_again(struct lbipamd_bgp *g);
/* The peers of a node answer (copies), for lbipamd_bgp_apply(). */
void lbipamd_bgp_peers_of(const struct lb_bgp_node *n,
			  struct lbipamd_bgp_peer **out, size_t *n_out);
void lbipamd_bgp_peers_free(struct lbipamd_bgp_peer *p, size_t n);
/* The daemon's pass: asks the engine and applies its answer. */
int lbipamd_bgp_reconcile(struct lbipamd *d);

/* lbctl get bgp peers|routes: from BIRD's answers. */
json_t *lbipamd_bgp_view(struct lbipamd_bgp *g, const char *what);
/* "bgp" of lbctl get status. */
json_t *lbipamd_bgp_status(const struct lbipamd_bgp *g);

#endif
