/* SPDX-License-Identifier: GPL-2.0 */
/* The engine's persistent store: objects and holdings in one database
 * transaction per change. */
#ifndef _LB_STORE_H
#define _LB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_store;

struct lb_store_object {
	int kind;
	const char *key;
	int64_t created;
	uint64_t generation;
	const char *doc;
};

int lb_store_open(const char *path, struct lb_store **out, char **err);
void lb_store_close(struct lb_store *s);
const char *lb_store_errmsg(struct lb_store *s);
/* How long to wait for another writer before failing (default 5 s). */
void lb_store_set_busy_timeout(struct lb_store *s, int ms);

int lb_store_begin(struct lb_store *s);
int lb_store_commit(struct lb_store *s);
void lb_store_rollback(struct lb_store *s);

int lb_store_put_object(struct lb_store *s, const struct lb_store_object *o);
int lb_store_del_object(struct lb_store *s, int kind, const char *key);
/* Replaces every holding row, and the revoked-family mask, of a service. */
int lb_store_put_holdings(struct lb_store *s, const char *svc,
			  const char *const *ips, size_t n, int revoked);
int lb_store_put_pool_state(struct lb_store *s, const char *pool,
			    bool conflicting, const char *msg);
int lb_store_del_pool_state(struct lb_store *s, const char *pool);
int lb_store_set_meta(struct lb_store *s, const char *key, int64_t v);
int lb_store_get_meta(struct lb_store *s, const char *key, int64_t *v);

int lb_store_each_object(struct lb_store *s,
			 int (*cb)(const struct lb_store_object *o, void *arg),
			 void *arg);
/* Rows come ordered by service, then ingress position. */
int lb_store_each_holding(struct lb_store *s,
			  int (*cb)(const char *svc, const char *ip, void *arg),
			  void *arg);
int lb_store_each_svc_state(struct lb_store *s,
			    int (*cb)(const char *svc, int revoked, void *arg),
			    void *arg);
int lb_store_each_pool_state(struct lb_store *s,
			     int (*cb)(const char *pool, bool conflicting,
				       const char *msg, void *arg),
			     void *arg);

#endif /* _LB_STORE_H */
