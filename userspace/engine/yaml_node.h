/* SPDX-License-Identifier: GPL-2.0 */
/* YAML node access and diagnostics shared by the per-kind readers. */
#ifndef _LB_YAML_NODE_H
#define _LB_YAML_NODE_H

#include "yaml_load.h"

#include <stdbool.h>
#include <yaml.h>

#define PATH_MAX_LEN 256

/* Where the reader is: for diagnostics and for resolving node ids. */
struct yl {
	struct lb_engine *e;
	yaml_document_t *doc;
	const char *file;
	int index;
	const char *prefix;	/* "items[3]" inside a List, else "" */
	struct lb_diags *d;
	size_t errors;
};

void lbe_y_err(struct yl *y, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Non-fatal: goes to the engine log, not to the diagnostics. */
void lbe_y_warn(struct yl *y, const char *path, const char *what);
yaml_node_t *lbe_y_node(struct yl *y, int id);
bool lbe_y_is_null(const yaml_node_t *n);
/* Value of key in map; NULL when absent or null. */
yaml_node_t *lbe_y_get(struct yl *y, const yaml_node_t *map, const char *key);
/* The string of a scalar node; NULL (with a diagnostic) otherwise. */
const char *lbe_y_scalar(struct yl *y, const yaml_node_t *n, const char *path);
const char *lbe_y_get_str(struct yl *y, const yaml_node_t *map,
			 const char *key, const char *path);
bool lbe_y_want_map(struct yl *y, const yaml_node_t *n, const char *path);
bool lbe_y_want_seq(struct yl *y, const yaml_node_t *n, const char *path);
bool lbe_y_plain(const yaml_node_t *n);
void lbe_y_get_bool(struct yl *y, const yaml_node_t *map, const char *key,
		   const char *path, bool *out);
bool lbe_y_parse_int(struct yl *y, const yaml_node_t *n, const char *path,
		    long long min, long long max, long long *out);
/* port (required or 0), protocol (default TCP) and name of entry p. */
bool lbe_y_read_port(struct yl *y, const yaml_node_t *en, const char *p,
		    bool required, uint16_t *port, uint8_t *proto, char **name);
void lbe_y_read_strmap(struct yl *y, const yaml_node_t *n, const char *path,
		      struct lb_labels *out);

/*
 * A label selector at path; NULL (with a diagnostic) if n is not a
 * mapping.  soft: see yaml_selector.c.
 */
struct lb_selector *lbe_y_read_selector(struct yl *y, const yaml_node_t *n,
				       const char *path, char **soft);

void lbe_y_load_pool(struct yl *y, const yaml_node_t *root, struct lb_doc *o);
void lbe_y_load_service(struct yl *y, const yaml_node_t *root,
		       const yaml_node_t *md, struct lb_doc *o);
void lbe_y_load_eps(struct yl *y, const yaml_node_t *root,
		   const yaml_node_t *md, struct lb_doc *o);
void lbe_y_load_l2policy(struct yl *y, const yaml_node_t *root,
			struct lb_doc *o);
void lbe_y_load_node(struct yl *y, const yaml_node_t *root,
		    const yaml_node_t *md, struct lb_doc *o);

#endif /* _LB_YAML_NODE_H */
