/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client of etcd's v3 JSON gateway (libcurl + jansson): unary calls,
 * streaming calls (watch), endpoint failover and base64 keys and values.
 */
#ifndef _LB_ETCD_H
#define _LB_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct lb_etcd;

struct lb_etcd_config {
	/* "http://host:port[,https://host:port...]" */
	const char *endpoints;
	/* TLS client certificate, its key and the CA bundle, or NULL. */
	const char *cert, *key, *ca;
	/* Whole-request timeout of unary calls (default 1000 ms). */
	long timeout_ms;
};

/* Checks the configuration only; nothing is contacted. */
int lbe_etcd_open(const struct lb_etcd_config *c, struct lb_etcd **out,
		 char **err);
void lbe_etcd_close(struct lb_etcd *c);
/*
 * POSTs @body (not consumed) to @path ("/v3/kv/range"...) on the first
 * endpoint that answers, starting from the last one that did.  0 and
 * *resp (the reply object), or -EIO (transport, HTTP status or a gRPC
 * error in the reply) with lbe_etcd_errmsg() saying which.
 */
int lbe_etcd_call(struct lb_etcd *c, const char *path, json_t *body,
		 json_t **resp);
/* The same with its own whole-request timeout (large reads and txns). */
int lbe_etcd_call_timeout(struct lb_etcd *c, const char *path, json_t *body,
			 json_t **resp, long timeout_ms);
/*
 * A streaming call: @cb gets every reply object ("result" unwrapped)
 * until it returns non-zero (returned), the stream ends (-EPIPE) or
 * fails (-EIO).  @stop, polled, ends it early (-ECANCELED).
 */
int lbe_etcd_stream(struct lb_etcd *c, const char *path, json_t *body,
		   int (*cb)(json_t *msg, void *arg), void *arg,
		   int *stop);
const char *lbe_etcd_errmsg(const struct lb_etcd *c);

size_t lbe_etcd_nendpoints(const struct lb_etcd *c);
const char *lbe_etcd_endpoint(const struct lb_etcd *c, size_t i);
/*
 * Asks endpoint i alone for its status: 0 and *version, *is_leader, or
 * -EIO with a reason in @err.
 */
int lbe_etcd_endpoint_status(struct lb_etcd *c, size_t i, char *version,
			    size_t vlen, bool *is_leader, char *err,
			    size_t errlen);

/* A JSON string holding @s (n bytes) in base64. */
json_t *lbe_etcd_b64(const char *s, size_t n);
/* The bytes a base64 JSON string holds (NUL-terminated), or NULL. */
char *lbe_etcd_unb64(json_t *v, size_t *n);
/* An int64 the gateway sends as a string (or a number); 0 if absent. */
int64_t lbe_etcd_int(json_t *v);
/* The end of the range of keys starting with @prefix (base64). */
json_t *lbe_etcd_prefix_end(const char *prefix);

#endif /* _LB_ETCD_H */
