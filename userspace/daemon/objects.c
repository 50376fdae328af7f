// SPDX-License-Identifier: GPL-2.0
/*
 * The applied objects as JSON, keyed "<Kind>/<namespace>/<name>".
 *
 * The engine keeps every object's YAML text in its SQLite database but
 * exposes only what allocation needs. Rather than keep a second database
 * that could disagree with the engine's after a crash, lbipamd reads the
 * engine's own "objects" table at start (read only, before the engine
 * opens it) and afterwards mirrors every successful apply and delete.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include "daemon/lbipamd.h"

char *lbipamd_obj_key(enum lb_kind kind, const char *ns, const char *name)
{
	char *k;

	if (asprintf(&k, "%s/%s/%s", lb_kind_name(kind),
		     kind == LB_KIND_POOL ? "" : ns, name) < 0)
		return NULL;
	return k;
}

json_t *lb_jget(json_t *o, const char *path)
{
	char part[256];
	const char *p = path, *dot;
	size_t n;

	while (o && *p) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(part) || !json_is_object(o))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		o = json_object_get(o, part);
		p += n + (dot ? 1 : 0);
	}
	return o;
}

const char *lb_js(json_t *o, const char *path)
{
	return json_string_value(lb_jget(o, path));
}

bool lb_jbool(json_t *o, const char *path, bool dflt)
{
	json_t *v = lb_jget(o, path);
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (s && !strcmp(s, "true"))
		return true;
	if (s && !strcmp(s, "false"))
		return false;
	return dflt;
}

void lb_rfc3339(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int lbipamd_obj_ident(json_t *doc, enum lb_kind *kind, const char **ns,
		      const char **name)
{
	const char *k = lb_js(doc, "kind");

	if (!k || lb_kind_parse(k, kind))
		return -EINVAL;
	*name = lb_js(doc, "metadata.name");
	if (!*name)
		return -EINVAL;
	*ns = lb_js(doc, "metadata.namespace");
	if (*kind == LB_KIND_POOL)
		*ns = "";
	else if (!*ns || !**ns)
		*ns = "default";
	return 0;
}

json_t *lbipamd_obj_get(json_t *objs, enum lb_kind kind, const char *ns,
			const char *name)
{
	char *k = lbipamd_obj_key(kind, ns, name);
	json_t *o = k ? json_object_get(objs, k) : NULL;

	free(k);
	return o;
}

static int lb_obj_load_cb(int index, json_t *root, void *arg)
{
	json_t *objs = arg;
	enum lb_kind kind;
	const char *ns, *name;
	char *k;

	(void)index;
	if (lbipamd_obj_ident(root, &kind, &ns, &name))
		return 0;
	k = lbipamd_obj_key(kind, ns, name);
	if (!k)
		return -ENOMEM;
	json_object_set(objs, k, root);
	free(k);
	return 0;
}

int lbipamd_objects_load(json_t *objs, const char *db_path, char **err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!db_path)
		return 0;
	rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		/* No database yet: a first start. */
		return 0;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_prepare_v2(db, "SELECT doc FROM objects", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* An empty file: the engine creates the schema. */
		sqlite3_close(db);
		return 0;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *doc = (const char *)sqlite3_column_text(st, 0);
		char e[256];
		int bad;

		if (doc)
			lb_yj_parse(doc, strlen(doc), lb_obj_load_cb, objs,
				    &bad, e, sizeof(e));
	}
	if (rc != SQLITE_DONE && err &&
	    asprintf(err, "%s: %s", db_path, sqlite3_errmsg(db)) < 0)
		*err = NULL;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : -EIO;
}
