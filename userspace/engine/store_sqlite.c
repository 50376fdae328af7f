// SPDX-License-Identifier: GPL-2.0
/*
 * The SQLite store (struct lb_store_ops): schema, prepared statements,
 * transactions and row iteration for objects and holdings.
 */
#include "store.h"
#include "util.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum {
	ST_PUT_OBJ,
	ST_DEL_OBJ,
	ST_DEL_HOLD,
	ST_PUT_HOLD,
	ST_PUT_POOL,
	ST_DEL_POOL,
	ST_SET_META,
	ST_PUT_SVC,
	ST_DEL_SVC,
	ST_DEL_COND,
	ST_PUT_COND,
	ST_GET_COND,
	ST_MAX,
};

static const char *const stmt_sql[ST_MAX] = {
	[ST_PUT_OBJ] = "INSERT OR REPLACE INTO objects"
		       "(kind, key, created, generation, doc,"
		       " resource_version, status_hash)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_DEL_OBJ] = "DELETE FROM objects WHERE kind = ? AND key = ?",
	[ST_DEL_COND] = "DELETE FROM conditions WHERE kind = ? AND key = ?",
	[ST_PUT_COND] = "INSERT INTO conditions(kind, key, idx, type, status,"
			" last_transition, observed_generation)"
			" VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_GET_COND] = "SELECT type, status, last_transition,"
			" observed_generation FROM conditions"
			" WHERE kind = ? AND key = ? ORDER BY idx",
	[ST_DEL_HOLD] = "DELETE FROM holdings WHERE svc = ?",
	[ST_PUT_HOLD] = "INSERT INTO holdings(svc, idx, ip) VALUES (?, ?, ?)",
	[ST_PUT_POOL] = "INSERT OR REPLACE INTO pool_state"
			"(pool, conflicting, message) VALUES (?, ?, ?)",
	[ST_DEL_POOL] = "DELETE FROM pool_state WHERE pool = ?",
	[ST_SET_META] = "INSERT OR REPLACE INTO meta(key, value)"
			" VALUES (?, ?)",
	[ST_PUT_SVC] = "INSERT OR REPLACE INTO svc_state(svc, revoked)"
		       " VALUES (?, ?)",
	[ST_DEL_SVC] = "DELETE FROM svc_state WHERE svc = ?",
};

/*
 * 2: objects carry resource_version and status_hash, and conditions
 * keeps their transition times; a version 1 file is migrated on open.
 */
#define LB_STORE_SCHEMA 2

struct sqlite_store {
	struct lb_store base;
	sqlite3 *db;
	sqlite3_stmt *st[ST_MAX];
};

static const struct lb_store_ops sqlite_ops;

static struct sqlite_store *sq(struct lb_store *s)
{
	return (struct sqlite_store *)((char *)s -
				       offsetof(struct sqlite_store, base));
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta("
	" key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS objects("
	" kind INTEGER NOT NULL, key TEXT NOT NULL,"
	" created INTEGER NOT NULL, generation INTEGER NOT NULL,"
	" doc TEXT NOT NULL,"
	" resource_version INTEGER NOT NULL DEFAULT 0,"
	" status_hash INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(kind, key));"
	"CREATE TABLE IF NOT EXISTS conditions("
	" kind INTEGER NOT NULL, key TEXT NOT NULL, idx INTEGER NOT NULL,"
	" type TEXT NOT NULL, status TEXT NOT NULL,"
	" last_transition INTEGER NOT NULL,"
	" observed_generation INTEGER NOT NULL,"
	" PRIMARY KEY(kind, key, idx));"
	"CREATE TABLE IF NOT EXISTS holdings("
	" svc TEXT NOT NULL, idx INTEGER NOT NULL, ip TEXT NOT NULL,"
	" PRIMARY KEY(svc, idx));"
	"CREATE TABLE IF NOT EXISTS svc_state("
	" svc TEXT PRIMARY KEY, revoked INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pool_state("
	" pool TEXT PRIMARY KEY, conflicting INTEGER NOT NULL,"
	" message TEXT NOT NULL);";

/* What version 1 lacks; its new table comes from the schema above. */
static const char migrate_1_2[] =
	"ALTER TABLE objects ADD COLUMN"
	" resource_version INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE objects ADD COLUMN"
	" status_hash INTEGER NOT NULL DEFAULT 0;";

static const char *sqlite_errmsg(struct lb_store *b)
{
	struct sqlite_store *s = sq(b);

	return sqlite3_errmsg(s->db);
}

void lbe_store_sqlite_busy_timeout(struct lb_store *b, int ms)
{
	struct sqlite_store *s = sq(b);

	sqlite3_busy_timeout(s->db, ms);
}

static void sqlite_close(struct lb_store *b)
{
	struct sqlite_store *s;
	int i;

	if (!b)
		return;
	s = sq(b);
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

static int exec(struct sqlite_store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ?
		       0 : -EIO;
}

static int sqlite_begin(struct lb_store *b)
{
	struct sqlite_store *s = sq(b);

	return exec(s, "BEGIN IMMEDIATE");
}

static int sqlite_commit(struct lb_store *b)
{
	struct sqlite_store *s = sq(b);

	return exec(s, "COMMIT");
}

static void sqlite_rollback(struct lb_store *b)
{
	struct sqlite_store *s = sq(b);

	exec(s, "ROLLBACK");
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int sqlite_put_object(struct lb_store *b,
			     const struct lb_store_object *o)
{
	struct sqlite_store *s = sq(b);
	sqlite3_stmt *st = s->st[ST_PUT_OBJ];
	size_t i;

	sqlite3_bind_int(st, 1, o->kind);
	sqlite3_bind_text(st, 2, o->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, o->created);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)o->generation);
	sqlite3_bind_text(st, 5, o->doc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)o->resource_version);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)o->status_hash);
	if (step(st))
		return -EIO;
	st = s->st[ST_DEL_COND];
	sqlite3_bind_int(st, 1, o->kind);
	sqlite3_bind_text(st, 2, o->key, -1, SQLITE_STATIC);
	if (step(st))
		return -EIO;
	st = s->st[ST_PUT_COND];
	for (i = 0; i < o->n_conditions; i++) {
		const struct lb_store_condition *c = &o->conditions[i];

		sqlite3_bind_int(st, 1, o->kind);
		sqlite3_bind_text(st, 2, o->key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		sqlite3_bind_text(st, 4, c->type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, c->status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, c->last_transition);
		sqlite3_bind_int64(st, 7,
				   (sqlite3_int64)c->observed_generation);
		if (step(st))
			return -EIO;
	}
	return 0;
}

static int sqlite_del_object(struct lb_store *b, int kind, const char *key)
{
	struct sqlite_store *s = sq(b);
	sqlite3_stmt *st = s->st[ST_DEL_OBJ];

	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (step(st))
		return -EIO;
	st = s->st[ST_DEL_COND];
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return step(st);
}

static int sqlite_put_holdings(struct lb_store *b, const char *svc,
			       const char *const *ips, size_t n, int revoked)
{
	struct sqlite_store *s = sq(b);
	sqlite3_stmt *st = s->st[revoked ? ST_PUT_SVC : ST_DEL_SVC];
	size_t i;

	sqlite3_bind_text(st, 1, svc, -1, SQLITE_STATIC);
	if (revoked)
		sqlite3_bind_int(st, 2, revoked);
	if (step(st))
		return -EIO;
	st = s->st[ST_DEL_HOLD];

	sqlite3_bind_text(st, 1, svc, -1, SQLITE_STATIC);
	if (step(st))
		return -EIO;
	st = s->st[ST_PUT_HOLD];
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, svc, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_text(st, 3, ips[i], -1, SQLITE_STATIC);
		if (step(st))
			return -EIO;
	}
	return 0;
}

static int sqlite_put_pool_state(struct lb_store *b, const char *pool,
				 bool conflicting, const char *msg)
{
	struct sqlite_store *s = sq(b);
	sqlite3_stmt *st = s->st[ST_PUT_POOL];

	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, conflicting);
	sqlite3_bind_text(st, 3, msg ? msg : "", -1, SQLITE_STATIC);
	return step(st);
}

static int sqlite_del_pool_state(struct lb_store *b, const char *pool)
{
	struct sqlite_store *s = sq(b);
	sqlite3_stmt *st = s->st[ST_DEL_POOL];

	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	return step(st);
}

/* Before the statements are prepared (they need the current layout). */
static int set_meta_row(struct sqlite_store *s, const char *key, int64_t v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, stmt_sql[ST_SET_META], -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int get_meta_row(struct sqlite_store *s, const char *key, int64_t *v);

static int sqlite_set_meta(struct lb_store *b, const char *key, int64_t v)
{
	struct sqlite_store *s = sq(b);
	sqlite3_stmt *st = s->st[ST_SET_META];

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return step(st);
}

static int sqlite_get_meta(struct lb_store *b, const char *key, int64_t *v)
{
	return get_meta_row(sq(b), key, v);
}

static int get_meta_row(struct sqlite_store *s, const char *key, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* Runs @sql and hands every row to @row until it returns non-zero. */
static int rows(struct sqlite_store *s, const char *sql,
		int (*row)(sqlite3_stmt *st, void *ctx), void *ctx)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = row(st, ctx);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -EIO;
	sqlite3_finalize(st);
	return ret;
}

/* The caller's callback and argument, for the per-table row adapters. */
struct each_ctx {
	union {
		int (*object)(const struct lb_store_object *o, void *arg);
		int (*holding)(const char *svc, const char *ip, void *arg);
		int (*svc_state)(const char *svc, int revoked, void *arg);
		int (*pool_state)(const char *pool, bool conflicting,
				  const char *msg, void *arg);
	} cb;
	void *arg;
	struct sqlite_store *s;
};

static int object_row(sqlite3_stmt *st, void *ctx)
{
	const struct each_ctx *e = ctx;
	struct lb_store_object o = {
		.kind = sqlite3_column_int(st, 0),
		.key = col_text(st, 1),
		.created = sqlite3_column_int64(st, 2),
		.generation = (uint64_t)sqlite3_column_int64(st, 3),
		.doc = col_text(st, 4),
		.resource_version = (uint64_t)sqlite3_column_int64(st, 5),
		.status_hash = (uint64_t)sqlite3_column_int64(st, 6),
	};
	sqlite3_stmt *cs = e->s->st[ST_GET_COND];
	struct lb_store_condition *c = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	/* Strings of cs stay valid only until its next step: copy them. */
	sqlite3_bind_int(cs, 1, o.kind);
	sqlite3_bind_text(cs, 2, o.key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(cs)) == SQLITE_ROW) {
		LB_GROW(c, n, cap);
		c[n++] = (struct lb_store_condition){
			.type = lb_xstrdup(col_text(cs, 0)),
			.status = lb_xstrdup(col_text(cs, 1)),
			.last_transition = sqlite3_column_int64(cs, 2),
			.observed_generation =
				(uint64_t)sqlite3_column_int64(cs, 3),
		};
	}
	sqlite3_reset(cs);
	sqlite3_clear_bindings(cs);
	o.n_conditions = n;
	o.conditions = c;
	rc = rc == SQLITE_DONE ? e->cb.object(&o, e->arg) : -EIO;
	for (i = 0; i < n; i++) {
		free((char *)c[i].type);
		free((char *)c[i].status);
	}
	free(c);
	return rc;
}

static int sqlite_each_object(struct lb_store *b,
			      int (*cb)(const struct lb_store_object *o, void *arg),
			      void *arg)
{
	struct sqlite_store *s = sq(b);
	struct each_ctx e = { .cb.object = cb, .arg = arg, .s = s };

	return rows(s, "SELECT kind, key, created, generation, doc,"
		    " resource_version, status_hash"
		    " FROM objects ORDER BY kind, key",
		    object_row, &e);
}

static int holding_row(sqlite3_stmt *st, void *ctx)
{
	const struct each_ctx *e = ctx;

	return e->cb.holding(col_text(st, 0), col_text(st, 1), e->arg);
}

static int sqlite_each_holding(struct lb_store *b,
			       int (*cb)(const char *svc, const char *ip, void *arg),
			       void *arg)
{
	struct sqlite_store *s = sq(b);
	struct each_ctx e = { .cb.holding = cb, .arg = arg };

	return rows(s, "SELECT svc, ip FROM holdings ORDER BY svc, idx",
		    holding_row, &e);
}

static int svc_state_row(sqlite3_stmt *st, void *ctx)
{
	const struct each_ctx *e = ctx;

	return e->cb.svc_state(col_text(st, 0), sqlite3_column_int(st, 1),
			       e->arg);
}

static int sqlite_each_svc_state(struct lb_store *b,
				 int (*cb)(const char *svc, int revoked, void *arg),
				 void *arg)
{
	struct sqlite_store *s = sq(b);
	struct each_ctx e = { .cb.svc_state = cb, .arg = arg };

	return rows(s, "SELECT svc, revoked FROM svc_state ORDER BY svc",
		    svc_state_row, &e);
}

static int pool_state_row(sqlite3_stmt *st, void *ctx)
{
	const struct each_ctx *e = ctx;

	return e->cb.pool_state(col_text(st, 0),
				sqlite3_column_int(st, 1) != 0,
				col_text(st, 2), e->arg);
}

static int sqlite_each_pool_state(struct lb_store *b,
				  int (*cb)(const char *pool, bool conflicting,
				  const char *msg, void *arg),
				  void *arg)
{
	struct sqlite_store *s = sq(b);
	struct each_ctx e = { .cb.pool_state = cb, .arg = arg };

	return rows(s, "SELECT pool, conflicting, message"
		    " FROM pool_state ORDER BY pool",
		    pool_state_row, &e);
}

static const struct lb_store_ops sqlite_ops = {
	.close = sqlite_close,
	.errmsg = sqlite_errmsg,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.put_object = sqlite_put_object,
	.del_object = sqlite_del_object,
	.put_holdings = sqlite_put_holdings,
	.put_pool_state = sqlite_put_pool_state,
	.del_pool_state = sqlite_del_pool_state,
	.set_meta = sqlite_set_meta,
	.get_meta = sqlite_get_meta,
	.each_object = sqlite_each_object,
	.each_holding = sqlite_each_holding,
	.each_svc_state = sqlite_each_svc_state,
	.each_pool_state = sqlite_each_pool_state,
};

int lbe_store_sqlite_open(const char *path, struct lb_store **out, char **err)
{
	struct sqlite_store *s = lb_xcalloc(1, sizeof(*s));
	int64_t ver;
	int i, rc;

	*out = NULL;
	s->base.ops = &sqlite_ops;
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 5000);
	/*
	 * WAL with synchronous=FULL: a commit survives power loss, and a
	 * crash mid-transaction leaves the previous state.
	 */
	rc = sqlite3_exec(s->db,
			  "PRAGMA journal_mode=WAL;"
			  "PRAGMA synchronous=FULL;"
			  "PRAGMA foreign_keys=OFF;", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	/* One transaction: a failed migration leaves the file as it was. */
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail_tx;
	/* Refuse a database written by an incompatible layout. */
	rc = get_meta_row(s, "schema", &ver);
	if (rc == -ENOENT) {
		rc = set_meta_row(s, "schema", LB_STORE_SCHEMA);
	} else if (!rc && ver == 1) {
		rc = sqlite3_exec(s->db, migrate_1_2, NULL, NULL, NULL) ==
		     SQLITE_OK ? set_meta_row(s, "schema", LB_STORE_SCHEMA) :
				 -EIO;
	} else if (!rc && ver != LB_STORE_SCHEMA) {
		if (err)
			*err = lb_xasprintf("%s: schema version %lld, expected %d",
					    path, (long long)ver,
					    LB_STORE_SCHEMA);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite_close(&s->base);
		return -EPROTO;
	}
	if (rc || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) !=
		  SQLITE_OK) {
		rc = SQLITE_ERROR;
		goto fail_tx;
	}
	for (i = 0; i < ST_MAX; i++) {
		rc = sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->st[i],
					NULL);
		if (rc != SQLITE_OK)
			goto fail;
	}
	*out = &s->base;
	return 0;
fail_tx:
	if (err)
		*err = lb_xasprintf("%s: %s", path,
				    sqlite3_errmsg(s->db));
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite_close(&s->base);
	return -EIO;
fail:
	if (err)
		*err = lb_xasprintf("%s: %s", path,
				    s->db ? sqlite3_errmsg(s->db) :
					    sqlite3_errstr(rc));
	sqlite_close(&s->base);
	return -EIO;
}
