// SPDX-License-Identifier: GPL-2.0
/*
 * The write API: apply, validate and delete, each all or nothing, with
 * what happened to every object.
 */
#include "engine_int.h"
#include "yaml_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dockey {
	const char *key;
	enum lb_kind kind;
	int index;
};

static int cmp_dockey(const void *a, const void *b)
{
	const struct dockey *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Two versions of one object in one apply would make the result order-bound. */
static void check_dups(const char *file, struct lb_doc *docs, size_t n,
		       struct lb_diags *d)
{
	struct dockey *k;
	size_t i;

	if (n < 2)
		return;
	k = lb_xmalloc(n * sizeof(*k));
	for (i = 0; i < n; i++) {
		k[i].key = docs[i].key;
		k[i].kind = docs[i].kind;
		k[i].index = docs[i].index;
	}
	qsort(k, n, sizeof(*k), cmp_dockey);
	for (i = 1; i < n; i++)
		if (k[i].kind == k[i - 1].kind &&
		    !strcmp(k[i].key, k[i - 1].key))
			lbe_diag_add(d, file, k[i].index, "metadata.name",
				    "%s '%s' already appears in document %d",
				    lb_kind_name(k[i].kind), k[i].key,
				    k[i - 1].index);
	free(k);
}

int lbe_validate_yaml(struct lb_engine *e, const char *file,
			    const char *buf, size_t len, struct lb_diags *diags)
{
	struct lb_diags local = { 0 };
	struct lb_diags *d = diags ? diags : &local;
	size_t before = d->n, n;
	struct lb_doc *docs;
	int rc;

	if (!file)
		file = "-";
	lbe_yaml_load(e, file, buf, len, &docs, &n, d);
	check_dups(file, docs, n, d);
	rc = d->n > before ? -EINVAL : 0;
	lbe_docs_free(docs, n);
	lbe_diags_free(&local);
	return rc;
}

static const char *const action_names[] = {
	[LB_ACTION_CREATED] = "created",
	[LB_ACTION_CONFIGURED] = "configured",
	[LB_ACTION_UNCHANGED] = "unchanged",
	[LB_ACTION_DELETED] = "deleted",
};

const char *lbe_action_name(enum lb_action a)
{
	return (size_t)a < LB_ARRAY_SIZE(action_names) ? action_names[a] : "?";
}

static void add_result(struct lb_results *r, enum lb_kind kind, int doc,
		       const char *ns, const char *name, enum lb_action a)
{
	struct lb_result *x;

	if (!r)
		return;
	LB_GROW(r->items, r->n, r->cap);
	x = &r->items[r->n++];
	x->kind = kind;
	x->doc = doc;
	x->ns = lb_xstrdup(!lb_kind_namespaced(kind) || !ns ? "" : ns);
	x->name = lb_xstrdup(name);
	x->action = a;
}

void lbe_results_free(struct lb_results *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->items[i].ns);
		free(r->items[i].name);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static void log_rejected(struct lb_engine *e, struct lb_diags *d,
			 size_t before)
{
	size_t i;

	for (i = before; i < d->n; i++) {
		char *m = lbe_diag_str(&d->items[i]);

		lbe_log(e, LB_LOG_ERROR, "Rejected input, nothing applied",
		       "error", m, NULL);
		free(m);
	}
}

int lbe_apply_yaml_results(struct lb_engine *e, const char *file,
				 const char *buf, size_t len,
				 struct lb_diags *diags,
				 struct lb_results *results)
{
	struct lb_diags local = { 0 };
	struct lb_diags *d = diags ? diags : &local;
	size_t before = d->n, n, i;
	struct lb_doc *docs;
	int rc;

	if (!file)
		file = "-";
	e->call_stamp = 0;
	lbe_yaml_load(e, file, buf, len, &docs, &n, d);
	check_dups(file, docs, n, d);
	if (d->n > before) {
		log_rejected(e, d, before);
		lbe_docs_free(docs, n);
		lbe_diags_free(&local);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		bool existed = lbe_exists(e, docs[i].kind, docs[i].ns,
						docs[i].name);
		bool changed = lbe_upsert(e, &docs[i], 0, 0);

		add_result(results, docs[i].kind, docs[i].index, docs[i].ns,
			   docs[i].name, !existed ? LB_ACTION_CREATED :
			   changed ? LB_ACTION_CONFIGURED :
			   LB_ACTION_UNCHANGED);
		if (!changed)
			continue;
		lbe_note_change(e, docs[i].kind, docs[i].key, false);
		lbe_log(e, LB_LOG_DEBUG, "Applied object", "kind",
		       lb_kind_name(docs[i].kind), "name", docs[i].key, NULL);
	}
	lbe_docs_free(docs, n);
	lbe_reconcile(e);
	rc = lbe_persist(e);
	lbe_diags_free(&local);
	return rc;
}

int lbe_apply_yaml(struct lb_engine *e, const char *file,
			 const char *buf, size_t len, struct lb_diags *diags)
{
	return lbe_apply_yaml_results(e, file, buf, len, diags, NULL);
}

struct del_ctx {
	struct lb_engine *e;
	const char *file;
	struct lb_diags *d;
	struct lb_results r;
};

static void del_ident(const struct lb_ident *id, void *arg)
{
	struct del_ctx *c = arg;

	if (!lbe_exists(c->e, id->kind, id->ns, id->name)) {
		lbe_diag_add(c->d, c->file, id->doc, "metadata.name",
			    "%s \"%s\" not found", lb_kind_singular(id->kind),
			    id->name);
		return;
	}
	add_result(&c->r, id->kind, id->doc, id->ns, id->name,
		   LB_ACTION_DELETED);
}

int lbe_delete_yaml(struct lb_engine *e, const char *file,
			  const char *buf, size_t len, struct lb_diags *diags,
			  struct lb_results *results)
{
	struct lb_diags local = { 0 };
	struct del_ctx c = { .e = e, .file = file ? file : "-",
			     .d = diags ? diags : &local };
	size_t before = c.d->n, i;
	int rc = 0;

	lbe_yaml_idents(c.file, buf, len, del_ident, &c, c.d);
	if (c.d->n > before) {
		lbe_results_free(&c.r);
		lbe_diags_free(&local);
		return -EINVAL;
	}
	for (i = 0; i < c.r.n && !rc; i++) {
		const struct lb_result *x = &c.r.items[i];

		rc = lbe_delete(e, x->kind, x->ns, x->name);
		if (rc == -ENOENT)	/* named twice in the file */
			rc = 0;
		if (!rc && results)
			add_result(results, x->kind, x->doc, x->ns, x->name,
				   LB_ACTION_DELETED);
	}
	lbe_results_free(&c.r);
	lbe_diags_free(&local);
	return rc;
}

int lbe_apply_file(struct lb_engine *e, const char *path,
			 struct lb_diags *diags)
{
	struct lb_strbuf b = { 0 };
	char chunk[65536];
	size_t got;
	FILE *f;
	int rc;

	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		lbe_diag_add(diags, path, 0, "", "cannot open: %s",
			    strerror(-rc));
		return rc;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)))
		lbe_sb_addn(&b, chunk, got);
	if (ferror(f)) {
		fclose(f);
		lbe_sb_free(&b);
		lbe_diag_add(diags, path, 0, "", "read error");
		return -EIO;
	}
	fclose(f);
	rc = lbe_apply_yaml(e, path, b.s ? b.s : "", b.len, diags);
	lbe_sb_free(&b);
	return rc;
}

int lbe_delete(struct lb_engine *e, enum lb_kind kind, const char *ns,
		     const char *name)
{
	char *key = lbe_key(kind, ns, name);

	if (lbe_remove(e, kind, key)) {
		free(key);
		return -ENOENT;
	}
	lbe_log(e, LB_LOG_DEBUG, "Deleted object", "kind", lb_kind_name(kind),
	       "name", key, NULL);
	lbe_note_change(e, kind, key, true);
	free(key);
	lbe_reconcile(e);
	return lbe_persist(e);
}
