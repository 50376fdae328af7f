// SPDX-License-Identifier: GPL-2.0
/*
 * lbipamd's configuration: one table of options, each both a flag and a
 * key of the optional YAML file; the file is read first, flags override.
 *
 * Each option's value is checked by its setter (config_set.c); the file
 * is read in config_file.c.
 */

#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/config.h"
#include "lib/lbipamd_proto.h"

/* What the effective configuration (lbctl config) shows of each. */

static json_t *show_state(const struct lbipamd_config *c)
{
	return json_string(c->state);
}

static json_t *show_socket(const struct lbipamd_config *c)
{
	return json_string(c->socket);
}

static json_t *show_socket_mode(const struct lbipamd_config *c)
{
	return json_sprintf("%04o", (unsigned int)c->socket_mode);
}

static json_t *show_netns(const struct lbipamd_config *c)
{
	return json_string(c->netns ? c->netns : "");
}

static json_t *show_node_name(const struct lbipamd_config *c)
{
	return json_string(c->node_name ? c->node_name : "");
}

static json_t *show_node_labels(const struct lbipamd_config *c)
{
	return json_string(c->node_labels ? c->node_labels : "");
}

static json_t *show_log_level(const struct lbipamd_config *c)
{
	static const char *const n[] = { "debug", "info", "warn", "error" };

	return json_string(n[c->log_level]);
}

static json_t *show_masquerade(const struct lbipamd_config *c)
{
	return json_boolean(c->masquerade);
}

static json_t *show_cluster_cidr(const struct lbipamd_config *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < c->ncluster_cidrs; i++)
		json_array_append_new(a, json_string(lb_cidr_str(&c->cluster_cidrs[i],
								 buf, sizeof(buf))));
	return a;
}

static json_t *show_lb_classes(const struct lbipamd_config *c)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < c->nclasses; i++)
		json_array_append_new(a, json_string(c->lb_classes[i]));
	return a;
}

static json_t *show_require_class(const struct lbipamd_config *c)
{
	return json_boolean(c->require_lb_class);
}

static json_t *show_node_ipam(const struct lbipamd_config *c)
{
	return json_boolean(c->node_ipam);
}

static json_t *show_l2(const struct lbipamd_config *c)
{
	return json_boolean(c->l2_announcements);
}

static json_t *show_bgp(const struct lbipamd_config *c)
{
	return json_boolean(c->bgp_control_plane);
}

static json_t *show_families(const struct lbipamd_config *c)
{
	json_t *a = json_array();

	if (c->ipv4)
		json_array_append_new(a, json_string("ipv4"));
	if (c->ipv6)
		json_array_append_new(a, json_string("ipv6"));
	return a;
}

static json_t *show_port_only(const struct lbipamd_config *c)
{
	return json_boolean(c->sharing_port_only);
}

static json_t *show_policy(const struct lbipamd_config *c)
{
	return json_string(lbipamd_config_policy_names[c->out_of_pool]);
}

static json_t *show_etcd_endpoints(const struct lbipamd_config *c)
{
	return json_string(c->etcd_endpoints ? c->etcd_endpoints : "");
}

static json_t *show_etcd_cert(const struct lbipamd_config *c)
{
	return json_string(c->etcd_cert ? c->etcd_cert : "");
}

static json_t *show_etcd_key(const struct lbipamd_config *c)
{
	return json_string(c->etcd_key ? c->etcd_key : "");
}

static json_t *show_etcd_ca(const struct lbipamd_config *c)
{
	return json_string(c->etcd_ca ? c->etcd_ca : "");
}

static json_t *show_etcd_prefix(const struct lbipamd_config *c)
{
	return json_string(c->etcd_prefix);
}

static json_t *show_etcd_lease_ttl(const struct lbipamd_config *c)
{
	return json_sprintf("%ld", c->etcd_lease_ttl);
}

static json_t *show_metrics(const struct lbipamd_config *c)
{
	return json_string(c->metrics_address ? c->metrics_address : "");
}

static json_t *show_bird_socket(const struct lbipamd_config *c)
{
	return json_string(c->bgp_bird_socket ? c->bgp_bird_socket : "");
}

static json_t *show_bird_include(const struct lbipamd_config *c)
{
	return json_string(c->bgp_bird_include ? c->bgp_bird_include : "");
}

static const struct lbipamd_opt opts[] = {
	{ "state", OPT_STR, "DB", lbipamd_set_state, show_state, false },
	{ "socket", OPT_STR, "PATH", lbipamd_set_socket, show_socket, false },
	{ "socket-mode", OPT_STR, "MODE", lbipamd_set_socket_mode,
	  show_socket_mode, false },
	{ "netns", OPT_STR, "NAME", lbipamd_set_netns, show_netns, false },
	{ "node-name", OPT_STR, "NAME", lbipamd_set_node_name, show_node_name,
	  false },
	{ "node-labels", OPT_STR, "K=V,...", lbipamd_set_node_labels,
	  show_node_labels, false },
	{ "log-level", OPT_STR, "debug|info|warn|error", lbipamd_set_log_level,
	  show_log_level, false },
	{ "masquerade", OPT_BOOL, "BOOL", lbipamd_set_masquerade,
	  show_masquerade, false },
	{ "no-masquerade", OPT_ACTION, NULL, lbipamd_set_no_masquerade, NULL,
	  true },
	{ "cluster-cidr", OPT_STR, "CIDR,...", lbipamd_set_cluster_cidr,
	  show_cluster_cidr, false },
	{ "lb-classes", OPT_STR, "CLASS,...", lbipamd_set_lb_classes,
	  show_lb_classes, false },
	{ "require-lb-class", OPT_BOOL, "BOOL", lbipamd_set_require_class,
	  show_require_class, false },
	{ "enable-node-ipam", OPT_BOOL, "BOOL", lbipamd_set_node_ipam,
	  show_node_ipam, false },
	{ "enable-l2-announcements", OPT_BOOL, "BOOL", lbipamd_set_l2, show_l2,
	  false },
	{ "enable-bgp-control-plane", OPT_BOOL, "BOOL", lbipamd_set_bgp,
	  show_bgp, false },
	{ "bgp-bird-socket", OPT_STR, "PATH", lbipamd_set_bgp_bird_socket,
	  show_bird_socket, false },
	{ "bgp-bird-include", OPT_STR, "FILE", lbipamd_set_bgp_bird_include,
	  show_bird_include, false },
	{ "ip-families", OPT_STR, "ipv4,ipv6", lbipamd_set_families,
	  show_families, false },
	{ "sharing-port-only", OPT_BOOL, "BOOL", lbipamd_set_port_only,
	  show_port_only, false },
	{ "out-of-pool-policy", OPT_STR, "reallocate|pending|keep",
	  lbipamd_set_policy, show_policy, false },
	{ "metrics-address", OPT_STR, "ADDR:PORT", lbipamd_set_metrics,
	  show_metrics, false },
	{ "etcd-endpoints", OPT_STR, "URL,...", lbipamd_set_etcd_endpoints,
	  show_etcd_endpoints, false },
	{ "etcd-cert", OPT_STR, "FILE", lbipamd_set_etcd_cert, show_etcd_cert,
	  false },
	{ "etcd-key", OPT_STR, "FILE", lbipamd_set_etcd_key, show_etcd_key,
	  false },
	{ "etcd-ca", OPT_STR, "FILE", lbipamd_set_etcd_ca, show_etcd_ca,
	  false },
	{ "etcd-prefix", OPT_STR, "/PREFIX/", lbipamd_set_etcd_prefix,
	  show_etcd_prefix, false },
	{ "etcd-lease-ttl", OPT_STR, "SECONDS", lbipamd_set_etcd_lease_ttl,
	  show_etcd_lease_ttl, false },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))
/* getopt_long values of the flags outside the table. */
enum { FLAG_CONFIG = 1000, FLAG_VERSION, FLAG_HELP };

const struct lbipamd_opt *lbipamd_config_opt_find(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

void lbipamd_config_init(struct lbipamd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->state = lb_xstrdup(LBIPAMD_STATE);
	c->socket = lb_xstrdup(LBIPAMD_SOCKET);
	c->socket_mode = 0660;
	c->log_level = LB_LOG_INFO;
	c->masquerade = true;
	c->l2_announcements = true;
	c->ipv4 = true;
	c->ipv6 = true;
	c->out_of_pool = LB_REVOKE_REALLOCATE;
	c->metrics_address = lb_xstrdup("");
	c->etcd_prefix = lb_xstrdup("/lbipam/");
	c->etcd_lease_ttl = 2;
}

void lbipamd_config_free(struct lbipamd_config *c)
{
	free(c->state);
	free(c->socket);
	free(c->netns);
	free(c->node_name);
	free(c->node_labels);
	free(c->cluster_cidrs);
	free(c->metrics_address);
	free(c->etcd_endpoints);
	free(c->etcd_cert);
	free(c->etcd_key);
	free(c->etcd_ca);
	free(c->etcd_prefix);
	free(c->bgp_bird_socket);
	free(c->bgp_bird_include);
	free(c->file);
	lbipamd_config_free_classes(c);
	free(c->served);
	memset(c, 0, sizeof(*c));
}

void lbipamd_config_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: lbipamd [--config FILE]");
	for (i = 0; i < NOPTS; i++) {
		fprintf(f, "%s[--%s%s%s%s]", i % 3 ? " " : "\n               ",
			opts[i].name, opts[i].type == OPT_ACTION ? "" :
			opts[i].type == OPT_BOOL ? "[=" : " ",
			opts[i].arg ? opts[i].arg : "",
			opts[i].type == OPT_BOOL ? "]" : "");
	}
	fprintf(f, "\n               [--version] [--help]\n"
		"Every option but --config and --no-masquerade is also a key of the\n"
		"YAML file (default %s, read if present); flags override it.\n"
		"Defaults: --state %s --socket %s --socket-mode 0660\n",
		LBIPAMD_CONFIG, LBIPAMD_STATE, LBIPAMD_SOCKET);
}

/* --config FILE from argv, before getopt sees the rest. */
static const char *config_arg(int argc, char **argv)
{
	const char *file = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			file = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			file = argv[i] + 9;
	}
	return file;
}

/* The classes the engine serves besides class-less Services. */
static void served_classes(struct lbipamd_config *c)
{
	size_t i, n = 0;

	free(c->served);
	c->served = lb_xcalloc(c->nclasses + 3, sizeof(*c->served));
	for (i = 0; i < c->nclasses; i++)
		c->served[n++] = c->lb_classes[i];
	if (c->l2_announcements && !lbipamd_config_serves(c, CLASS_L2))
		c->served[n++] = CLASS_L2;
	if (c->bgp_control_plane && !lbipamd_config_serves(c, CLASS_BGP))
		c->served[n++] = CLASS_BGP;
	c->served[n] = NULL;
}

bool lbipamd_config_serves(const struct lbipamd_config *c, const char *cls)
{
	size_t i;

	for (i = 0; c->served && c->served[i]; i++)
		if (!strcmp(c->served[i], cls))
			return true;
	return false;
}

int lbipamd_config_parse(int argc, char **argv, struct lbipamd_config *c)
{
	struct option lopts[NOPTS + 4];
	const char *file = config_arg(argc, argv);
	char err[300];
	size_t i;
	int ch, rc, idx;

	rc = lbipamd_config_load_file(c, file ? file : LBIPAMD_CONFIG,
				      file != NULL);
	if (rc >= 0)
		return rc;
	for (i = 0; i < NOPTS; i++)
		lopts[i] = (struct option){ opts[i].name,
			opts[i].type == OPT_STR ? required_argument :
			opts[i].type == OPT_BOOL ? optional_argument :
			no_argument, NULL, 0 };
	lopts[i++] = (struct option){ "config", required_argument, NULL,
				      FLAG_CONFIG };
	lopts[i++] = (struct option){ "version", no_argument, NULL,
				      FLAG_VERSION };
	lopts[i++] = (struct option){ "help", no_argument, NULL, FLAG_HELP };
	lopts[i] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	while ((ch = getopt_long(argc, argv, "Vh", lopts, &idx)) != -1) {
		const struct lbipamd_opt *o;

		switch (ch) {
		case 0:
			o = &opts[idx];
			if (!o->set(c, optarg ? optarg : "true", err,
				    sizeof(err)))
				continue;
			fprintf(stderr, "lbipamd: --%s: %s\n", o->name, err);
			return 2;
		case FLAG_CONFIG:
			continue;
		case 'V':
		case FLAG_VERSION:
			printf("lbipamd %s\n", LBIPAM_VERSION);
			return 0;
		case 'h':
		case FLAG_HELP:
			lbipamd_config_usage(stdout);
			return 0;
		default:
			lbipamd_config_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lbipamd: unexpected argument '%s'\n",
			argv[optind]);
		lbipamd_config_usage(stderr);
		return 2;
	}
	if (!c->bgp_bird_socket != !c->bgp_bird_include) {
		fprintf(stderr, "lbipamd: --bgp-bird-socket and --bgp-bird-include go together (BGP through BIRD needs both)\n");
		return 2;
	}
	served_classes(c);
	return -1;
}

void lbipamd_config_engine(const struct lbipamd_config *c,
			   struct lb_engine_config *e)
{
	e->ipv4_disabled = !c->ipv4;
	e->ipv6_disabled = !c->ipv6;
	e->no_default_class = c->require_lb_class;
	e->node_ipam = c->node_ipam;
	e->lb_classes = (const char *const *)c->served;
	e->sharing_port_only = c->sharing_port_only;
	e->revoke_policy = c->out_of_pool;
	e->log_level = c->log_level;
}

json_t *lbipamd_config_json(const struct lbipamd_config *c)
{
	json_t *o = json_object(), *served = json_array();
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opts[i].show)
			json_object_set_new(o, opts[i].name, opts[i].show(c));
	if (!c->require_lb_class)
		json_array_append_new(served, json_string("<none>"));
	for (i = 0; c->served && c->served[i]; i++)
		json_array_append_new(served, json_string(c->served[i]));
	json_object_set_new(o, "served-lb-classes", served);
	json_object_set_new(o, "config-file", json_string(c->file ? c->file :
							  ""));
	return o;
}
