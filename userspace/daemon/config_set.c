// SPDX-License-Identifier: GPL-2.0
/*
 * lbipamd's option values checked and set: one setter per option, shared
 * by flags and the file, so both refuse the same values the same way.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "daemon/config.h"
#include "lib/lbipamd_proto.h"

void lbipamd_config_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = lb_xstrdup(v);
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

#define BAD(...) (snprintf(err, len, __VA_ARGS__), -EINVAL)

int lbipamd_set_state(struct lbipamd_config *c, const char *v,
		      char *err, size_t len)
{
	if (!*v)
		return BAD("must not be empty");
	lbipamd_config_set_str(&c->state, v);
	return 0;
}

int lbipamd_set_socket(struct lbipamd_config *c, const char *v,
		       char *err, size_t len)
{
	if (!*v)
		return BAD("must not be empty");
	lbipamd_config_set_str(&c->socket, v);
	return 0;
}

int lbipamd_set_socket_mode(struct lbipamd_config *c, const char *v,
			    char *err, size_t len)
{
	unsigned long m;
	char *end;

	m = strtoul(v, &end, 8);
	if (!*v || *end || m > 0777)
		return BAD("invalid value '%s' (an octal mode such as 0660)", v);
	c->socket_mode = (mode_t)m;
	return 0;
}

int lbipamd_set_netns(struct lbipamd_config *c, const char *v,
		      char *err, size_t len)
{
	if (!*v || strchr(v, '/') || !strcmp(v, ".") || !strcmp(v, ".."))
		return BAD("invalid value '%s' (a name under /run/netns)", v);
	lbipamd_config_set_str(&c->netns, v);
	return 0;
}

int lbipamd_set_node_name(struct lbipamd_config *c, const char *v,
			  char *err, size_t len)
{
	if (!*v)
		return BAD("must not be empty");
	lbipamd_config_set_str(&c->node_name, v);
	return 0;
}

int lbipamd_set_node_labels(struct lbipamd_config *c, const char *v,
			    char *err, size_t len)
{
	struct lbipamd_node n = { 0 };
	int rc = lbipamd_node_labels(&n, v, err, len);

	lbipamd_node_free(&n);
	if (rc)
		return rc;
	lbipamd_config_set_str(&c->node_labels, v);
	return 0;
}

int lbipamd_set_log_level(struct lbipamd_config *c, const char *v,
			  char *err, size_t len)
{
	if (lbipamd_log_parse_level(v, &c->log_level))
		return BAD("invalid value '%s' (debug, info, warn or error)", v);
	return 0;
}

int lbipamd_set_masquerade(struct lbipamd_config *c, const char *v,
			   char *err, size_t len)
{
	if (parse_bool(v, &c->masquerade))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

int lbipamd_set_no_masquerade(struct lbipamd_config *c, const char *v,
			      char *err, size_t len)
{
	(void)v;
	(void)err;
	(void)len;
	c->masquerade = false;
	return 0;
}

/*
 * kube-proxy's --cluster-cidr: prefixes of either family, comma-separated;
 * "" clears them. Host bits are refused, as a typo more likely than not.
 */
int lbipamd_set_cluster_cidr(struct lbipamd_config *c, const char *v,
			     char *err, size_t len)
{
	char *copy = lb_xstrdup(v), *save = NULL, *tok, perr[200];
	struct lb_cidr *set = NULL;
	size_t n = 0, per[2] = { 0, 0 };
	int rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " ");
		tok[strcspn(tok, " ")] = '\0';
		set = lb_xrealloc(set, (n + 1) * sizeof(*set));
		if (lb_cidr_parse(tok, 0, &set[n], NULL, perr, sizeof(perr))) {
			rc = BAD("invalid prefix %s", perr);
			break;
		}
		if (++per[set[n].family == AF_INET6] > LBIPAM_MAX_CLUSTER_CIDRS) {
			rc = BAD("too many prefixes of one family (at most %d)",
				 LBIPAM_MAX_CLUSTER_CIDRS);
			break;
		}
		n++;
	}
	free(copy);
	if (rc) {
		free(set);
		return rc;
	}
	free(c->cluster_cidrs);
	c->cluster_cidrs = set;
	c->ncluster_cidrs = n;
	return 0;
}

void lbipamd_config_free_classes(struct lbipamd_config *c)
{
	size_t i;

	for (i = 0; i < c->nclasses; i++)
		free(c->lb_classes[i]);
	free(c->lb_classes);
	c->lb_classes = NULL;
	c->nclasses = 0;
}

/* A Kubernetes loadBalancerClass: a label-style key, prefix/name. */
static bool class_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t n = strlen(s);

	if (!n || n > 253 || !slash || slash == s || !slash[1] ||
	    strchr(slash + 1, '/'))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/") == n;
}

int lbipamd_set_lb_classes(struct lbipamd_config *c, const char *v,
			   char *err, size_t len)
{
	char *copy = lb_xstrdup(v), *save = NULL, *tok;
	int rc = 0;

	lbipamd_config_free_classes(c);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " ");
		tok[strcspn(tok, " ")] = '\0';
		if (!class_ok(tok)) {
			rc = BAD("invalid class '%s' (PREFIX/NAME, e.g. %s)",
				 tok, CLASS_L2);
			break;
		}
		if (!strcmp(tok, CLASS_NODE)) {
			rc = BAD("class '%s' is Node IPAM's, never allocated from pools (use --enable-node-ipam)",
				 tok);
			break;
		}
		c->lb_classes = lb_xrealloc(c->lb_classes, (c->nclasses + 1) *
					    sizeof(*c->lb_classes));
		c->lb_classes[c->nclasses++] = lb_xstrdup(tok);
	}
	free(copy);
	return rc;
}

int lbipamd_set_require_class(struct lbipamd_config *c, const char *v,
			      char *err, size_t len)
{
	if (parse_bool(v, &c->require_lb_class))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

int lbipamd_set_l2(struct lbipamd_config *c, const char *v,
		   char *err, size_t len)
{
	if (parse_bool(v, &c->l2_announcements))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

int lbipamd_set_node_ipam(struct lbipamd_config *c, const char *v,
			  char *err, size_t len)
{
	if (parse_bool(v, &c->node_ipam))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

int lbipamd_set_bgp(struct lbipamd_config *c, const char *v,
		    char *err, size_t len)
{
	if (parse_bool(v, &c->bgp_control_plane))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

int lbipamd_set_families(struct lbipamd_config *c, const char *v,
			 char *err, size_t len)
{
	char *copy = lb_xstrdup(v), *save = NULL, *tok;
	bool v4 = false, v6 = false;
	int rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " ");
		tok[strcspn(tok, " ")] = '\0';
		if (!strcasecmp(tok, "ipv4"))
			v4 = true;
		else if (!strcasecmp(tok, "ipv6"))
			v6 = true;
		else
			rc = -EINVAL;
	}
	free(copy);
	if (rc || (!v4 && !v6))
		return BAD("invalid value '%s' (ipv4, ipv6 or ipv4,ipv6)", v);
	c->ipv4 = v4;
	c->ipv6 = v6;
	return 0;
}

int lbipamd_set_port_only(struct lbipamd_config *c, const char *v,
			  char *err, size_t len)
{
	if (parse_bool(v, &c->sharing_port_only))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

const char *const lbipamd_config_policy_names[LB_REVOKE_KEEP + 1] = {
	[LB_REVOKE_REALLOCATE] = "reallocate",
	[LB_REVOKE_PENDING] = "pending",
	[LB_REVOKE_KEEP] = "keep",
};

int lbipamd_set_policy(struct lbipamd_config *c, const char *v,
		       char *err, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(lbipamd_config_policy_names) /
		    sizeof(lbipamd_config_policy_names[0]); i++) {
		if (!strcmp(v, lbipamd_config_policy_names[i])) {
			c->out_of_pool = (enum lb_revoke_policy)i;
			return 0;
		}
	}
	return BAD("invalid value '%s' (reallocate, pending or keep)", v);
}

/* Cluster mode (cluster.c): etcd's endpoints, TLS files, prefix, lease. */
static int set_etcd_str(char **dst, const char *v, char *err, size_t len)
{
	if (!*v)
		return BAD("must not be empty");
	lbipamd_config_set_str(dst, v);
	return 0;
}

int lbipamd_set_etcd_endpoints(struct lbipamd_config *c, const char *v,
			       char *err, size_t len)
{
	return set_etcd_str(&c->etcd_endpoints, v, err, len);
}

int lbipamd_set_etcd_cert(struct lbipamd_config *c, const char *v,
			  char *err, size_t len)
{
	return set_etcd_str(&c->etcd_cert, v, err, len);
}

int lbipamd_set_etcd_key(struct lbipamd_config *c, const char *v,
			 char *err, size_t len)
{
	return set_etcd_str(&c->etcd_key, v, err, len);
}

int lbipamd_set_etcd_ca(struct lbipamd_config *c, const char *v,
			char *err, size_t len)
{
	return set_etcd_str(&c->etcd_ca, v, err, len);
}

int lbipamd_set_etcd_prefix(struct lbipamd_config *c, const char *v,
			    char *err, size_t len)
{
	if (v[0] != '/' || v[strlen(v) - 1] != '/')
		return BAD("invalid value '%s' (starts and ends with '/')", v);
	lbipamd_config_set_str(&c->etcd_prefix, v);
	return 0;
}

int lbipamd_set_etcd_lease_ttl(struct lbipamd_config *c, const char *v,
			       char *err, size_t len)
{
	char *end;
	long t = strtol(v, &end, 10);

	/* etcd refuses leases shorter than about 1.5 s. */
	if (!*v || *end || t < 2 || t > 3600)
		return BAD("invalid value '%s' (whole seconds, 2 to 3600)", v);
	c->etcd_lease_ttl = t;
	return 0;
}

int lbipamd_set_metrics(struct lbipamd_config *c, const char *v,
			char *err, size_t len)
{
	char host[INET6_ADDRSTRLEN + 2];
	uint16_t port;

	if (!*v) {
		lbipamd_config_set_str(&c->metrics_address, "");
		return 0;
	}
	if (lbipamd_parse_hostport(v, host, sizeof(host), &port))
		return BAD("invalid value '%s' (ADDRESS:PORT, e.g. 127.0.0.1:9963 or [::]:9963)",
			   v);
	lbipamd_config_set_str(&c->metrics_address, v);
	return 0;
}

/* An absolute path: BIRD resolves include paths from its own directory. */
static int set_abs_path(char **dst, const char *v, size_t max, char *err,
			size_t len)
{
	if (*v != '/')
		return BAD("invalid value '%s' (an absolute path)", v);
	if (strlen(v) >= max)
		return BAD("path too long (at most %zu characters)", max - 1);
	lbipamd_config_set_str(dst, v);
	return 0;
}

int lbipamd_set_bgp_bird_socket(struct lbipamd_config *c, const char *v,
				char *err, size_t len)
{
	/* struct sockaddr_un's sun_path. */
	return set_abs_path(&c->bgp_bird_socket, v, 108, err, len);
}

int lbipamd_set_bgp_bird_include(struct lbipamd_config *c, const char *v,
				 char *err, size_t len)
{
	return set_abs_path(&c->bgp_bird_include, v, 4000, err, len);
}
