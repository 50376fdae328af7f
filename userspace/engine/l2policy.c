// SPDX-License-Identifier: GPL-2.0
/*
 * The L2 announcement policy and Node models: interface patterns compiled
 * once, problems named as Cilium names them, node address types, and
 * name-ordered sets.
 */
#include "l2policy.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const problem_types[LB_L2P_COUNT] = {
	[LB_L2P_NODE_SELECTOR] = "io.cilium/bad-node-selector",
	[LB_L2P_INTERFACE_REGEX] = "io.cilium/bad-interface-regex",
	[LB_L2P_SERVICE_SELECTOR] = "io.cilium/bad-service-selector",
};

const char *lbe_l2_problem_type(enum lb_l2_problem p)
{
	return (size_t)p < LB_L2P_COUNT ? problem_types[p] : "?";
}

bool lbe_l2pol_broken(const struct lb_l2pol_spec *s)
{
	size_t i;

	for (i = 0; i < LB_L2P_COUNT; i++)
		if (s->problem[i])
			return true;
	return false;
}

/*
 * Cilium matches with Go's regexp.MatchString: a search anywhere in the
 * name, so "eth" takes "veth0" unless the pattern is anchored.  POSIX
 * regexec() searches the same way.
 */
bool lbe_l2pol_iface_match(const struct lb_l2pol_spec *s, const char *ifname)
{
	size_t i;

	if (!s->nifaces)
		return true;
	if (!s->re)
		return false;
	for (i = 0; i < s->nifaces; i++)
		if (!regexec(&s->re[i], ifname, 0, NULL, 0))
			return true;
	return false;
}

void lbe_l2pol_compile(struct lb_l2pol_spec *s)
{
	char err[256];
	size_t i;
	int rc;

	if (!s->nifaces)
		return;
	s->re = lb_xcalloc(s->nifaces, sizeof(*s->re));
	for (i = 0; i < s->nifaces; i++) {
		rc = regcomp(&s->re[i], s->ifaces[i], REG_EXTENDED | REG_NOSUB);
		if (!rc)
			continue;
		regerror(rc, &s->re[i], err, sizeof(err));
		s->problem[LB_L2P_INTERFACE_REGEX] =
			lb_xasprintf("spec.interfaces[%zu]: invalid regular expression '%s': %s",
				     i, s->ifaces[i], err);
		while (i--)
			regfree(&s->re[i]);
		free(s->re);
		s->re = NULL;
		return;
	}
}

void lbe_l2pol_spec_free(struct lb_l2pol_spec *s)
{
	size_t i;

	lbe_selector_free(s->svc_sel);
	lbe_selector_free(s->node_sel);
	for (i = 0; i < s->nifaces; i++) {
		if (s->re)
			regfree(&s->re[i]);
		free(s->ifaces[i]);
	}
	free(s->re);
	free(s->ifaces);
	for (i = 0; i < LB_L2P_COUNT; i++)
		free(s->problem[i]);
	memset(s, 0, sizeof(*s));
}

static void named_free(struct lb_named *o)
{
	free(o->name);
	free(o->doc);
	lbe_objstat_free(&o->st);
}

void lbe_l2pol_free(struct lb_l2pol *p)
{
	if (!p)
		return;
	named_free(&p->o);
	lbe_l2pol_spec_free(&p->spec);
	free(p);
}

static const char *const addr_types[LB_NA_COUNT] = {
	[LB_NA_HOSTNAME] = "Hostname",
	[LB_NA_EXTERNAL_IP] = "ExternalIP",
	[LB_NA_INTERNAL_IP] = "InternalIP",
	[LB_NA_EXTERNAL_DNS] = "ExternalDNS",
	[LB_NA_INTERNAL_DNS] = "InternalDNS",
};

const char *lbe_node_addr_type_name(enum lb_node_addr_type t)
{
	return (size_t)t < LB_NA_COUNT ? addr_types[t] : "?";
}

int lbe_node_addr_type_parse(const char *s, enum lb_node_addr_type *t)
{
	size_t i;

	for (i = 0; i < LB_NA_COUNT; i++) {
		if (!strcmp(s, addr_types[i])) {
			*t = (enum lb_node_addr_type)i;
			return 0;
		}
	}
	return -1;
}

void lbe_node_addrs_free(struct lb_node_addrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].text);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

void lbe_node_free(struct lb_node *n)
{
	if (!n)
		return;
	named_free(&n->o);
	lbe_labels_free(&n->labels);
	lbe_node_addrs_free(&n->addrs);
	free(n);
}

static size_t lower(const struct lb_named_set *s, const char *name)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(s->v[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct lb_named *lbe_named_find(const struct lb_named_set *s, const char *name)
{
	size_t i = lower(s, name);

	return i < s->n && !strcmp(s->v[i]->name, name) ? s->v[i] : NULL;
}

void lbe_named_insert(struct lb_named_set *s, struct lb_named *o)
{
	size_t i = lower(s, o->name);

	LB_GROW(s->v, s->n, s->cap);
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(s->v[0]));
	s->v[i] = o;
	s->n++;
}

bool lbe_named_remove(struct lb_named_set *s, const struct lb_named *o)
{
	size_t i = lower(s, o->name);

	if (i >= s->n || s->v[i] != o)
		return false;
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(s->v[0]));
	s->n--;
	return true;
}
