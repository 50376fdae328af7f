// SPDX-License-Identifier: GPL-2.0
/* CiliumLoadBalancerIPPool documents. */
#include "yaml_node.h"
#include "engine_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reserved entries: "ip", "cidr", "first-last" or {cidr}/{start,stop}. */
static void read_reserved(struct yl *y, struct lb_pool_spec *ps,
			  const yaml_node_t *n)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN];
	size_t i;

	if (!lbe_y_want_seq(y, n, "spec.reserved"))
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		yaml_node_t *en = lbe_y_node(y, *it);
		struct lb_block b = { 0 };
		char *first, *last;
		const char *v;

		snprintf(p, sizeof(p), "spec.reserved[%zu]", idx);
		if (en && en->type == YAML_MAPPING_NODE) {
			const char *cidr = lbe_y_get_str(y, en, "cidr", p);
			const char *st = lbe_y_get_str(y, en, "start", p);
			const char *sp = lbe_y_get_str(y, en, "stop", p);

			if (cidr && *cidr)
				lbe_block_set_cidr(&b, cidr);
			else if (st && *st)
				lbe_block_set_range(&b, st, sp && *sp ? sp : NULL);
			else
				b.error = lb_xstrdup("needs cidr or start");
		} else {
			v = lbe_y_scalar(y, en, p);
			if (!v) {
				if (!en || lbe_y_is_null(en))
					lbe_y_err(y, p, "expected a string or mapping");
				continue;
			}
			switch (lb_ip_text_split(v, &first, &last)) {
			case LB_IP_TEXT_CIDR:
				lbe_block_set_cidr(&b, v);
				break;
			case LB_IP_TEXT_RANGE:
				lbe_block_set_range(&b, first, last);
				break;
			case LB_IP_TEXT_ADDR:
				lbe_block_set_range(&b, v, NULL);
				break;
			}
			free(first);
			free(last);
		}
		for (i = 0; b.valid && i < ps->nreserved; i++) {
			if (lbe_range_overlaps(&ps->reserved[i], &b.r)) {
				b.valid = false;
				b.error = lb_xasprintf("overlaps reserved[%zu]",
						       i);
			}
		}
		if (b.valid) {
			ps->reserved = lb_xrealloc(ps->reserved,
						   (ps->nreserved + 1) *
						   sizeof(*ps->reserved));
			ps->reserved[ps->nreserved++] = b.r;
		} else {
			ps->problems = lb_xrealloc(ps->problems,
						   (ps->nproblems + 1) *
						   sizeof(char *));
			ps->problems[ps->nproblems++] =
				lb_xasprintf("%s: %s", p, b.error);
		}
		lbe_block_free(&b);
	}
}

/*
 * Strict admission (lbctl apply): a block that cannot parse is an error
 * with its field path, not only a condition on the pool.
 */
static void check_block(struct yl *y, const char *p, const char *cidr,
			const char *start, const char *stop)
{
	char q[PATH_MAX_LEN + 32];
	struct lb_range r;
	struct lb_addr a;
	bool masked;

	if (cidr) {
		snprintf(q, sizeof(q), "%s.cidr", p);
		if (lbe_range_parse_cidr(cidr, &r, &masked))
			lbe_y_err(y, q, "invalid CIDR '%s'", cidr);
		return;
	}
	snprintf(q, sizeof(q), "%s.start", p);
	if (start && lbe_addr_parse(start, &a))
		lbe_y_err(y, q, "invalid IP address");
	snprintf(q, sizeof(q), "%s.stop", p);
	if (stop && *stop && lbe_addr_parse(stop, &a))
		lbe_y_err(y, q, "invalid IP address");
}

static void read_blocks(struct yl *y, struct lb_pool_spec *ps,
			const yaml_node_t *n, const char *field)
{
	yaml_node_item_t *it;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN + 32];

	if (!lbe_y_want_seq(y, n, field))
		return;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		size_t idx = it - n->data.sequence.items.start;
		yaml_node_t *en = lbe_y_node(y, *it);
		const char *cidr, *start, *stop;
		struct lb_block *b;

		snprintf(p, sizeof(p), "%s[%zu]", field, idx);
		if (!en || en->type != YAML_MAPPING_NODE) {
			lbe_y_err(y, p, "expected a mapping with cidr or start/stop");
			continue;
		}
		snprintf(q, sizeof(q), "%s.cidr", p);
		cidr = lbe_y_get_str(y, en, "cidr", q);
		snprintf(q, sizeof(q), "%s.start", p);
		start = lbe_y_get_str(y, en, "start", q);
		snprintf(q, sizeof(q), "%s.stop", p);
		stop = lbe_y_get_str(y, en, "stop", q);
		ps->blocks = lb_xrealloc(ps->blocks, (ps->nblocks + 1) *
					 sizeof(*ps->blocks));
		b = &ps->blocks[ps->nblocks++];
		memset(b, 0, sizeof(*b));
		if (y->e && y->e->cfg.strict)
			check_block(y, p, cidr, start, stop);
		/* A block's own problems become a condition, not an error. */
		if (cidr && *cidr) {
			bool masked = false;
			struct lb_range r;

			lbe_block_set_cidr(b, cidr);
			if (!lbe_range_parse_cidr(cidr, &r, &masked) && masked)
				lbe_y_warn(y, p, "CIDR has host bits set; they are ignored");
		} else if (start && *start) {
			lbe_block_set_range(b, start, stop && *stop ? stop : NULL);
		} else {
			b->spec = lb_xstrdup("");
			b->error = lb_xstrdup("block has neither cidr nor start");
		}
	}
}

void lbe_y_load_pool(struct yl *y, const yaml_node_t *root,
		    struct lb_doc *o)
{
	struct lb_pool_spec *ps = &o->pool;
	yaml_node_t *spec, *n;
	const char *v;
	long long pr;

	ps->allow_first_last = true;
	spec = lbe_y_get(y, root, "spec");
	if (spec && !lbe_y_want_map(y, spec, "spec"))
		return;
	n = lbe_y_get(y, spec, "blocks");
	if (n)
		read_blocks(y, ps, n, "spec.blocks");
	/* v2alpha1 before 1.16 spelled blocks as cidrs. */
	n = lbe_y_get(y, spec, "cidrs");
	if (n)
		read_blocks(y, ps, n, "spec.cidrs");
	n = lbe_y_get(y, spec, "serviceSelector");
	if (n)
		ps->sel = lbe_y_read_selector(y, n, "spec.serviceSelector", NULL);
	lbe_y_get_bool(y, spec, "disabled", "spec.disabled", &ps->disabled);
	v = lbe_y_get_str(y, spec, "allowFirstLastIPs", "spec.allowFirstLastIPs");
	if (v) {
		if (!strcmp(v, "Yes"))
			ps->allow_first_last = true;
		else if (!strcmp(v, "No"))
			ps->allow_first_last = false;
		else
			lbe_y_err(y, "spec.allowFirstLastIPs",
				 "must be Yes or No, got '%s'", v);
	}
	n = lbe_y_get(y, spec, "priority");
	if (n && lbe_y_parse_int(y, n, "spec.priority", INT32_MIN, INT32_MAX, &pr))
		ps->priority = pr;
	n = lbe_y_get(y, spec, "reserved");
	if (n)
		read_reserved(y, ps, n);
}
