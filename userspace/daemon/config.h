/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of lbipamd's configuration share: an option's row in the
 * table, and the setters that validate each option's value.
 *
 *   config.c       the table of options, the flags, the effective config
 *   config_set.c   each option's value checked and set
 *   config_file.c  the YAML file read into the same setters
 */
#ifndef LBIPAMD_CONFIG_H
#define LBIPAMD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "daemon/lbipamd.h"

/* The Cilium classes the L2 announcer and the BGP control plane serve. */
#define CLASS_L2	"io.cilium/l2-announcer"
#define CLASS_BGP	"io.cilium/bgp-control-plane"
/* Node IPAM's class: the nodes' addresses, never a pool IP. */
#define CLASS_NODE	"io.cilium/node"

enum lbipamd_opt_type {
	OPT_STR,		/* any non-empty text */
	OPT_BOOL,		/* true/false (flag alone: true) */
	OPT_ACTION,		/* flag only, no value */
};

struct lbipamd_opt;
typedef int (*lbipamd_opt_set_fn)(struct lbipamd_config *c, const char *v,
				  char *err, size_t len);
typedef json_t *(*lbipamd_opt_show_fn)(const struct lbipamd_config *c);

struct lbipamd_opt {
	const char *name;	/* the flag without "--" and the file key */
	enum lbipamd_opt_type type;
	const char *arg;	/* usage: what the value is */
	lbipamd_opt_set_fn set;
	lbipamd_opt_show_fn show; /* NULL: not part of the effective config */
	bool flag_only;
};

/* config.c: the option named @name (flag or file key), or NULL. */
const struct lbipamd_opt *lbipamd_config_opt_find(const char *name);

/* config_set.c */
void lbipamd_config_set_str(char **dst, const char *v);
void lbipamd_config_free_classes(struct lbipamd_config *c);
/* out-of-pool-policy's values, by enum lb_revoke_policy. */
extern const char *const lbipamd_config_policy_names[LB_REVOKE_KEEP + 1];
/* Each 0, or -EINVAL with the problem in err[len]. */
int lbipamd_set_state(struct lbipamd_config *c, const char *v,
		      char *err, size_t len);
int lbipamd_set_socket(struct lbipamd_config *c, const char *v,
		       char *err, size_t len);
int lbipamd_set_socket_mode(struct lbipamd_config *c, const char *v,
			    char *err, size_t len);
int lbipamd_set_netns(struct lbipamd_config *c, const char *v,
		      char *err, size_t len);
int lbipamd_set_node_name(struct lbipamd_config *c, const char *v,
			  char *err, size_t len);
int lbipamd_set_node_labels(struct lbipamd_config *c, const char *v,
			    char *err, size_t len);
int lbipamd_set_log_level(struct lbipamd_config *c, const char *v,
			  char *err, size_t len);
int lbipamd_set_masquerade(struct lbipamd_config *c, const char *v,
			   char *err, size_t len);
int lbipamd_set_no_masquerade(struct lbipamd_config *c, const char *v,
			      char *err, size_t len);
int lbipamd_set_cluster_cidr(struct lbipamd_config *c, const char *v,
			     char *err, size_t len);
int lbipamd_set_lb_classes(struct lbipamd_config *c, const char *v,
			   char *err, size_t len);
int lbipamd_set_require_class(struct lbipamd_config *c, const char *v,
			      char *err, size_t len);
int lbipamd_set_l2(struct lbipamd_config *c, const char *v,
		   char *err, size_t len);
int lbipamd_set_node_ipam(struct lbipamd_config *c, const char *v,
			  char *err, size_t len);
int lbipamd_set_bgp(struct lbipamd_config *c, const char *v,
		    char *err, size_t len);
int lbipamd_set_families(struct lbipamd_config *c, const char *v,
			 char *err, size_t len);
int lbipamd_set_port_only(struct lbipamd_config *c, const char *v,
			  char *err, size_t len);
int lbipamd_set_policy(struct lbipamd_config *c, const char *v,
		       char *err, size_t len);
int lbipamd_set_etcd_endpoints(struct lbipamd_config *c, const char *v,
			       char *err, size_t len);
int lbipamd_set_etcd_cert(struct lbipamd_config *c, const char *v,
			  char *err, size_t len);
int lbipamd_set_etcd_key(struct lbipamd_config *c, const char *v,
			 char *err, size_t len);
int lbipamd_set_etcd_ca(struct lbipamd_config *c, const char *v,
			char *err, size_t len);
int lbipamd_set_etcd_prefix(struct lbipamd_config *c, const char *v,
			    char *err, size_t len);
int lbipamd_set_etcd_lease_ttl(struct lbipamd_config *c, const char *v,
			       char *err, size_t len);
int lbipamd_set_metrics(struct lbipamd_config *c, const char *v,
			char *err, size_t len);
int lbipamd_set_bgp_bird_socket(struct lbipamd_config *c, const char *v,
				char *err, size_t len);
int lbipamd_set_bgp_bird_include(struct lbipamd_config *c, const char *v,
				 char *err, size_t len);

/* config_file.c: -1 to go on, else an exit code. */
int lbipamd_config_load_file(struct lbipamd_config *c, const char *file,
			     bool must);

#endif
