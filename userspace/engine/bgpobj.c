// SPDX-License-Identifier: GPL-2.0
/*
 * The three BGP kinds as stored objects: their sets, replacing and
 * removing them, and the conditions Cilium's operator sets on them.
 */
#include "engine_int.h"
#include "bgp.h"
#include "yaml_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

bool lbe_bgp_kind(enum lb_kind k)
{
	return k == LB_KIND_BGP_CLUSTER || k == LB_KIND_BGP_PEER ||
	       k == LB_KIND_BGP_ADVERT;
}

struct lb_named_set *lbe_bgp_set(struct lb_engine *e, enum lb_kind k)
{
	return &e->bgp[k - LB_KIND_BGP_CLUSTER];
}

void lbe_bgp_spec_defaults(struct lb_bgp_spec *s)
{
	s->peer_port = LB_BGP_PEER_PORT;
	s->connect_retry = LB_BGP_CONNECT_RETRY;
	s->hold = LB_BGP_HOLD;
	s->keepalive = LB_BGP_KEEPALIVE;
	s->restart = LB_BGP_RESTART;
	s->multihop = LB_BGP_MULTIHOP;
	lbe_bgp_default_families(s);
}

void lbe_bgp_default_families(struct lb_bgp_spec *s)
{
	free(s->fams);
	s->fams = lb_xcalloc(2, sizeof(*s->fams));
	s->fams[0].family = AF_INET;
	s->fams[1].family = AF_INET6;
	s->nfams = 2;
}

void lbe_bgp_spec_free(struct lb_bgp_spec *s)
{
	size_t i, j;

	lbe_selector_free(s->node_sel);
	for (i = 0; i < s->ninsts; i++) {
		for (j = 0; j < s->insts[i].npeers; j++) {
			free(s->insts[i].peers[j].name);
			free(s->insts[i].peers[j].config_ref);
		}
		free(s->insts[i].peers);
		free(s->insts[i].name);
	}
	free(s->insts);
	for (i = 0; i < s->nfams; i++)
		lbe_selector_free(s->fams[i].adverts);
	free(s->fams);
	lbe_labels_free(&s->labels);
	for (i = 0; i < s->nitems; i++) {
		lbe_selector_free(s->items[i].sel);
		lbe_strv_free(s->items[i].comms, s->items[i].ncomms);
		lbe_strv_free(s->items[i].large, s->items[i].nlarge);
	}
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static void obj_free(struct lb_named *x)
{
	struct lb_bgp_obj *b = (struct lb_bgp_obj *)x;

	free(x->name);
	free(x->doc);
	lbe_objstat_free(&x->st);
	lbe_bgp_spec_free(&b->spec);
	free(b);
}

bool lbe_bgp_upsert(struct lb_engine *e, struct lb_doc *o, int64_t created,
		    uint64_t generation)
{
	bool fresh;
	struct lb_named *x = lbe_upsert_named(e, lbe_bgp_set(e, o->kind),
					      sizeof(struct lb_bgp_obj), o,
					      created, generation, &fresh);
	struct lb_bgp_obj *b = (struct lb_bgp_obj *)x;

	if (!x)
		return false;
	if (!fresh)
		lbe_bgp_spec_free(&b->spec);
	b->spec = o->bgp;
	memset(&o->bgp, 0, sizeof(o->bgp));
	e->bgp_changed = true;
	return true;
}

int lbe_bgp_remove(struct lb_engine *e, enum lb_kind k, const char *key)
{
	struct lb_named_set *set = lbe_bgp_set(e, k);
	struct lb_named *x = lbe_named_find(set, key);

	if (!x)
		return -ENOENT;
	lbe_named_remove(set, x);
	obj_free(x);
	e->bgp_changed = true;
	return 0;
}

void lbe_bgp_free_all(struct lb_engine *e)
{
	size_t k, i;

	for (k = 0; k < LB_ARRAY_SIZE(e->bgp); k++) {
		for (i = 0; i < e->bgp[k].n; i++)
			obj_free(e->bgp[k].v[i]);
		free(e->bgp[k].v);
		memset(&e->bgp[k], 0, sizeof(e->bgp[k]));
	}
	e->bgp_changed = true;
}

/*
 * Cilium's operator keeps cilium.io/MissingPeerConfigs on every cluster
 * config: True naming the peerConfigRefs with no CiliumBGPPeerConfig,
 * else False.  The caller frees *msg.
 */
void lbe_bgp_cluster_conditions(struct lb_engine *e,
				const struct lb_bgp_obj *b,
				struct lb_condition *c, char **msg)
{
	struct lb_named_set *pcs = lbe_bgp_set(e, LB_KIND_BGP_PEER);
	struct lb_strbuf sb = { 0 };
	size_t i, j;

	for (i = 0; i < b->spec.ninsts; i++) {
		const struct lb_bgp_inst_spec *in = &b->spec.insts[i];

		for (j = 0; j < in->npeers; j++) {
			const char *ref = in->peers[j].config_ref;

			if (!ref || lbe_named_find(pcs, ref))
				continue;
			lbe_sb_printf(&sb, "%s%s", sb.len ? " " : "", ref);
		}
	}
	*msg = sb.len ? lb_xasprintf("Referenced CiliumBGPPeerConfig(s) are missing: [%s]",
				     sb.s) : NULL;
	lbe_sb_free(&sb);
	*c = (struct lb_condition){
		.type = LB_BGP_COND_MISSING_PEER_CONFIGS,
		.status = *msg ? "True" : "False",
		.reason = "MissingPeerConfigs",
		.message = *msg ? *msg : "",
		.observed_generation = b->o.generation,
	};
}

void lbe_bgp_status_sync(struct lb_engine *e)
{
	struct lb_named_set *ccs = lbe_bgp_set(e, LB_KIND_BGP_CLUSTER);
	size_t i;

	for (i = 0; i < ccs->n; i++) {
		struct lb_bgp_obj *b = (struct lb_bgp_obj *)ccs->v[i];
		struct lb_condition c;
		char *msg;

		lbe_bgp_cluster_conditions(e, b, &c, &msg);
		lbe_status_set(e, LB_KIND_BGP_CLUSTER, b->o.name, &b->o.st,
			       b->o.generation, &c, 1);
		free(msg);
	}
}
