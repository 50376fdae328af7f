// SPDX-License-Identifier: GPL-2.0
/*
 * lbipamd's configuration: one table of options, each both a flag and a
 * key of the optional YAML file; the file is read first, flags override.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>
#include "daemon/lbipamd.h"
#include "lib/lbipamd_proto.h"

/* The Cilium classes the L2 announcer and the BGP control plane serve. */
#define CLASS_L2	"io.cilium/l2-announcer"
#define CLASS_BGP	"io.cilium/bgp-control-plane"

enum opt_type {
	OPT_STR,		/* any non-empty text */
	OPT_BOOL,		/* true/false (flag alone: true) */
	OPT_ACTION,		/* flag only, no value */
};

struct opt;
typedef int (*opt_set_fn)(struct lbipamd_config *c, const char *v,
			  char *err, size_t len);
typedef json_t *(*opt_show_fn)(const struct lbipamd_config *c);

struct opt {
	const char *name;	/* the flag without "--" and the file key */
	enum opt_type type;
	const char *arg;	/* usage: what the value is */
	opt_set_fn set;
	opt_show_fn show;	/* NULL: not part of the effective config */
	bool flag_only;
};

static void set_str(char **dst, const char *v)
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

/* ------------------------------------------------------------ setters */

#define BAD(...) (snprintf(err, len, __VA_ARGS__), -EINVAL)

static int set_state(struct lbipamd_config *c, const char *v, char *err,
		     size_t len)
{
	if (!*v)
		return BAD("must not be empty");
	set_str(&c->state, v);
	return 0;
}

static int set_socket(struct lbipamd_config *c, const char *v, char *err,
		      size_t len)
{
	if (!*v)
		return BAD("must not be empty");
	set_str(&c->socket, v);
	return 0;
}

static int set_socket_mode(struct lbipamd_config *c, const char *v, char *err,
			   size_t len)
{
	unsigned long m;
	char *end;

	m = strtoul(v, &end, 8);
	if (!*v || *end || m > 0777)
		return BAD("invalid value '%s' (an octal mode such as 0660)", v);
	c->socket_mode = (mode_t)m;
	return 0;
}

static int set_netns(struct lbipamd_config *c, const char *v, char *err,
		     size_t len)
{
	if (!*v || strchr(v, '/') || !strcmp(v, ".") || !strcmp(v, ".."))
		return BAD("invalid value '%s' (a name under /run/netns)", v);
	set_str(&c->netns, v);
	return 0;
}

static int set_node_name(struct lbipamd_config *c, const char *v, char *err,
			 size_t len)
{
	if (!*v)
		return BAD("must not be empty");
	set_str(&c->node_name, v);
	return 0;
}

static int set_node_labels(struct lbipamd_config *c, const char *v, char *err,
			   size_t len)
{
	struct lbipamd_node n = { 0 };
	int rc = lbipamd_node_labels(&n, v, err, len);

	lbipamd_node_free(&n);
	if (rc)
		return rc;
	set_str(&c->node_labels, v);
	return 0;
}

static int set_log_level(struct lbipamd_config *c, const char *v, char *err,
			 size_t len)
{
	if (lbipamd_log_parse_level(v, &c->log_level))
		return BAD("invalid value '%s' (debug, info, warn or error)", v);
	return 0;
}

static int set_masquerade(struct lbipamd_config *c, const char *v, char *err,
			  size_t len)
{
	if (parse_bool(v, &c->masquerade))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

static int set_no_masquerade(struct lbipamd_config *c, const char *v,
			     char *err, size_t len)
{
	(void)v;
	(void)err;
	(void)len;
	c->masquerade = false;
	return 0;
}

static void free_classes(struct lbipamd_config *c)
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

static int set_lb_classes(struct lbipamd_config *c, const char *v, char *err,
			  size_t len)
{
	char *copy = lb_xstrdup(v), *save = NULL, *tok;
	int rc = 0;

	free_classes(c);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok += strspn(tok, " ");
		tok[strcspn(tok, " ")] = '\0';
		if (!class_ok(tok)) {
			rc = BAD("invalid class '%s' (PREFIX/NAME, e.g. %s)",
				 tok, CLASS_L2);
			break;
		}
		c->lb_classes = lb_xrealloc(c->lb_classes, (c->nclasses + 1) *
					    sizeof(*c->lb_classes));
		c->lb_classes[c->nclasses++] = lb_xstrdup(tok);
	}
	free(copy);
	return rc;
}

static int set_require_class(struct lbipamd_config *c, const char *v,
			     char *err, size_t len)
{
	if (parse_bool(v, &c->require_lb_class))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

static int set_l2(struct lbipamd_config *c, const char *v, char *err,
		  size_t len)
{
	if (parse_bool(v, &c->l2_announcements))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

static int set_bgp(struct lbipamd_config *c, const char *v, char *err,
		   size_t len)
{
	if (parse_bool(v, &c->bgp_control_plane))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

static int set_families(struct lbipamd_config *c, const char *v, char *err,
			size_t len)
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

static int set_port_only(struct lbipamd_config *c, const char *v, char *err,
			 size_t len)
{
	if (parse_bool(v, &c->sharing_port_only))
		return BAD("invalid value '%s' (true or false)", v);
	return 0;
}

static const char *const policy_names[] = {
	[LB_REVOKE_REALLOCATE] = "reallocate",
	[LB_REVOKE_PENDING] = "pending",
	[LB_REVOKE_KEEP] = "keep",
};

static int set_policy(struct lbipamd_config *c, const char *v, char *err,
		      size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcmp(v, policy_names[i])) {
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
	set_str(dst, v);
	return 0;
}

static int set_etcd_endpoints(struct lbipamd_config *c, const char *v,
			      char *err, size_t len)
{
	return set_etcd_str(&c->etcd_endpoints, v, err, len);
}

static int set_etcd_cert(struct lbipamd_config *c, const char *v, char *err,
			 size_t len)
{
	return set_etcd_str(&c->etcd_cert, v, err, len);
}

static int set_etcd_key(struct lbipamd_config *c, const char *v, char *err,
			size_t len)
{
	return set_etcd_str(&c->etcd_key, v, err, len);
}

static int set_etcd_ca(struct lbipamd_config *c, const char *v, char *err,
		       size_t len)
{
	return set_etcd_str(&c->etcd_ca, v, err, len);
}

static int set_etcd_prefix(struct lbipamd_config *c, const char *v,
			   char *err, size_t len)
{
	if (v[0] != '/' || v[strlen(v) - 1] != '/')
		return BAD("invalid value '%s' (starts and ends with '/')", v);
	set_str(&c->etcd_prefix, v);
	return 0;
}

static int set_etcd_lease_ttl(struct lbipamd_config *c, const char *v,
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

static int set_metrics(struct lbipamd_config *c, const char *v, char *err,
		       size_t len)
{
	char host[INET6_ADDRSTRLEN + 2];
	uint16_t port;

	if (!*v) {
		set_str(&c->metrics_address, "");
		return 0;
	}
	if (lbipamd_parse_hostport(v, host, sizeof(host), &port))
		return BAD("invalid value '%s' (ADDRESS:PORT, e.g. 127.0.0.1:9963 or [::]:9963)",
			   v);
	set_str(&c->metrics_address, v);
	return 0;
}

/* ----------------------------------------------------------- showing */

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
	return json_string(policy_names[c->out_of_pool]);
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

/* -------------------------------------------------------------- table */

static const struct opt opts[] = {
	{ "state", OPT_STR, "DB", set_state, show_state, false },
	{ "socket", OPT_STR, "PATH", set_socket, show_socket, false },
	{ "socket-mode", OPT_STR, "MODE", set_socket_mode, show_socket_mode,
	  false },
	{ "netns", OPT_STR, "NAME", set_netns, show_netns, false },
	{ "node-name", OPT_STR, "NAME", set_node_name, show_node_name, false },
	{ "node-labels", OPT_STR, "K=V,...", set_node_labels, show_node_labels,
	  false },
	{ "log-level", OPT_STR, "debug|info|warn|error", set_log_level,
	  show_log_level, false },
	{ "masquerade", OPT_BOOL, "BOOL", set_masquerade, show_masquerade,
	  false },
	{ "no-masquerade", OPT_ACTION, NULL, set_no_masquerade, NULL, true },
	{ "lb-classes", OPT_STR, "CLASS,...", set_lb_classes, show_lb_classes,
	  false },
	{ "require-lb-class", OPT_BOOL, "BOOL", set_require_class,
	  show_require_class, false },
	{ "enable-l2-announcements", OPT_BOOL, "BOOL", set_l2, show_l2,
	  false },
	{ "enable-bgp-control-plane", OPT_BOOL, "BOOL", set_bgp, show_bgp,
	  false },
	{ "ip-families", OPT_STR, "ipv4,ipv6", set_families, show_families,
	  false },
	{ "sharing-port-only", OPT_BOOL, "BOOL", set_port_only,
	  show_port_only, false },
	{ "out-of-pool-policy", OPT_STR, "reallocate|pending|keep",
	  set_policy, show_policy, false },
	{ "metrics-address", OPT_STR, "ADDR:PORT", set_metrics, show_metrics,
	  false },
	{ "etcd-endpoints", OPT_STR, "URL,...", set_etcd_endpoints,
	  show_etcd_endpoints, false },
	{ "etcd-cert", OPT_STR, "FILE", set_etcd_cert, show_etcd_cert, false },
	{ "etcd-key", OPT_STR, "FILE", set_etcd_key, show_etcd_key, false },
	{ "etcd-ca", OPT_STR, "FILE", set_etcd_ca, show_etcd_ca, false },
	{ "etcd-prefix", OPT_STR, "/PREFIX/", set_etcd_prefix,
	  show_etcd_prefix, false },
	{ "etcd-lease-ttl", OPT_STR, "SECONDS", set_etcd_lease_ttl,
	  show_etcd_lease_ttl, false },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))
/* getopt_long values of the flags outside the table. */
enum { FLAG_CONFIG = 1000, FLAG_VERSION, FLAG_HELP };

static const struct opt *opt_find(const char *name)
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
	free(c->metrics_address);
	free(c->etcd_endpoints);
	free(c->etcd_cert);
	free(c->etcd_key);
	free(c->etcd_ca);
	free(c->etcd_prefix);
	free(c->file);
	free_classes(c);
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

/* --------------------------------------------------------------- file */

static int file_err(const char *file, size_t line, const char *key,
		    const char *msg)
{
	fprintf(stderr, "lbipamd: %s:%zu: %s%s%s\n", file, line,
		key ? key : "", key ? ": " : "", msg);
	return 2;
}

/* A value as flag text: a scalar, or a list/mapping joined by commas. */
static int node_text(yaml_document_t *doc, yaml_node_t *v, char *out,
		     size_t len)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	size_t n = 0;

	out[0] = '\0';
	switch (v->type) {
	case YAML_SCALAR_NODE:
		if (v->data.scalar.length >= len)
			return -E2BIG;
		memcpy(out, v->data.scalar.value, v->data.scalar.length);
		out[v->data.scalar.length] = '\0';
		return 0;
	case YAML_SEQUENCE_NODE:
		for (it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *s = yaml_document_get_node(doc, *it);

			if (!s || s->type != YAML_SCALAR_NODE)
				return -EINVAL;
			n += snprintf(out + n, n < len ? len - n : 0, "%s%s",
				      n ? "," : "", s->data.scalar.value);
		}
		return n < len ? 0 : -E2BIG;
	case YAML_MAPPING_NODE:
		for (p = v->data.mapping.pairs.start;
		     p < v->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			yaml_node_t *s = yaml_document_get_node(doc, p->value);

			if (!k || !s || k->type != YAML_SCALAR_NODE ||
			    s->type != YAML_SCALAR_NODE)
				return -EINVAL;
			n += snprintf(out + n, n < len ? len - n : 0, "%s%s=%s",
				      n ? "," : "", k->data.scalar.value,
				      s->data.scalar.value);
		}
		return n < len ? 0 : -E2BIG;
	default:
		return -EINVAL;
	}
}

/* -1 to go on, else an exit code. */
static int apply_pair(struct lbipamd_config *c, const char *file,
		      yaml_document_t *doc, yaml_node_pair_t *p)
{
	yaml_node_t *k = yaml_document_get_node(doc, p->key);
	yaml_node_t *v = yaml_document_get_node(doc, p->value);
	char text[4096], err[300], msg[400];
	const struct opt *o;
	const char *key;
	size_t line;

	if (!k || !v || k->type != YAML_SCALAR_NODE)
		return file_err(file, k ? k->start_mark.line + 1 : 0, NULL,
				"keys must be plain names");
	key = (const char *)k->data.scalar.value;
	line = k->start_mark.line + 1;
	o = opt_find(key);
	if (!o || o->flag_only)
		return file_err(file, line, key, "unknown key");
	if (v->type == YAML_SEQUENCE_NODE && o->set != set_lb_classes &&
	    o->set != set_families)
		return file_err(file, line, key, "expected a single value, not a list");
	if (v->type == YAML_MAPPING_NODE && o->set != set_node_labels)
		return file_err(file, line, key, "expected a value, not a mapping");
	if (node_text(doc, v, text, sizeof(text)))
		return file_err(file, line, key, "value too long or not scalars");
	if (o->set(c, text, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "%s", err);
		return file_err(file, line, key, msg);
	}
	return -1;
}

/* -1 to go on, else an exit code. */
static int load_file(struct lbipamd_config *c, const char *file, bool must)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *p;
	FILE *f;
	int rc = -1;

	f = fopen(file, "r");
	if (!f) {
		if (!must && errno == ENOENT)
			return -1;
		fprintf(stderr, "lbipamd: --config: cannot read '%s': %s\n",
			file, strerror(errno));
		return 2;
	}
	set_str(&c->file, file);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		fprintf(stderr, "lbipamd: %s:%zu: YAML syntax error: %s\n",
			file, parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		fclose(f);
		return 2;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SCALAR_NODE &&
	    !root->data.scalar.length)
		root = NULL;		/* "" or "~": nothing set */
	if (root && root->type != YAML_MAPPING_NODE) {
		rc = file_err(file, root->start_mark.line + 1, NULL,
			      "expected a mapping of option: value");
	} else if (root) {
		for (p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top && rc < 0; p++)
			rc = apply_pair(c, file, &doc, p);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
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

	rc = load_file(c, file ? file : LBIPAMD_CONFIG, file != NULL);
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
		const struct opt *o;

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
	served_classes(c);
	return -1;
}

void lbipamd_config_engine(const struct lbipamd_config *c,
			   struct lb_engine_config *e)
{
	e->ipv4_disabled = !c->ipv4;
	e->ipv6_disabled = !c->ipv6;
	e->no_default_class = c->require_lb_class;
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
