// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers used across the engine: allocation, string buffers,
 * hashing and an open-addressing hash set.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sb_reserve(struct lb_strbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	while (b->len + extra + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 64;
	b->s = lb_xrealloc(b->s, b->cap);
}

void lbe_sb_addn(struct lb_strbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void lbe_sb_add(struct lb_strbuf *b, const char *s)
{
	lbe_sb_addn(b, s, strlen(s));
}

void lbe_sb_addc(struct lb_strbuf *b, char c)
{
	lbe_sb_addn(b, &c, 1);
}

void lbe_sb_vprintf(struct lb_strbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	sb_reserve(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void lbe_sb_printf(struct lb_strbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lbe_sb_vprintf(b, fmt, ap);
	va_end(ap);
}

void lbe_sb_logfmt_val(struct lb_strbuf *b, const char *v)
{
	bool quote = !*v;
	const char *p;

	for (p = v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p >= 0x7f)
			quote = true;
	if (!quote) {
		lbe_sb_add(b, v);
		return;
	}
	lbe_sb_addc(b, '"');
	for (p = v; *p; p++) {
		if (*p == '"' || *p == '\\') {
			lbe_sb_addc(b, '\\');
			lbe_sb_addc(b, *p);
		} else if (*p == '\n') {
			lbe_sb_add(b, "\\n");
		} else if ((unsigned char)*p < ' ') {
			lbe_sb_printf(b, "\\x%02x", (unsigned char)*p);
		} else {
			lbe_sb_addc(b, *p);
		}
	}
	lbe_sb_addc(b, '"');
}

char *lbe_sb_steal(struct lb_strbuf *b)
{
	char *s = b->s ? b->s : lb_xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void lbe_sb_free(struct lb_strbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* FNV-1a folded through a final mixer; inputs are not adversarial. */
uint64_t lbe_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

uint64_t lbe_hash_str(const char *s)
{
	return lbe_hash_bytes(s, strlen(s), 0);
}

#define TOMB ((void *)&lbe_htab_init)

void lbe_htab_init(struct lb_htab *t, const struct lb_htab_ops *ops)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
}

void lbe_htab_free(struct lb_htab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = t->used = 0;
}

static const char *str_key(const struct lb_htab *t, const void *entry)
{
	return *(char *const *)((const char *)entry + t->ops->key_off);
}

static uint64_t hash_key(const struct lb_htab *t, const void *key)
{
	return t->ops->str_key ? lbe_hash_str(key) : t->ops->hash_key(key);
}

static uint64_t hash_entry(const struct lb_htab *t, const void *entry)
{
	return t->ops->str_key ? lbe_hash_str(str_key(t, entry)) :
				 t->ops->hash_entry(entry);
}

static bool entry_eq(const struct lb_htab *t, const void *entry,
		     const void *key)
{
	return t->ops->str_key ? !strcmp(str_key(t, entry), key) :
				 t->ops->eq(entry, key);
}

static size_t find_slot(const struct lb_htab *t, const void *key)
{
	size_t mask = t->cap - 1;
	size_t i = hash_key(t, key) & mask;

	for (;;) {
		void *e = t->slots[i];

		if (!e)
			return (size_t)-1;
		if (e != TOMB && entry_eq(t, e, key))
			return i;
		i = (i + 1) & mask;
	}
}

void *lbe_htab_get(const struct lb_htab *t, const void *key)
{
	size_t i;

	if (!t->n)
		return NULL;
	i = find_slot(t, key);
	return i == (size_t)-1 ? NULL : t->slots[i];
}

static void insert_raw(struct lb_htab *t, void *entry)
{
	size_t mask = t->cap - 1;
	size_t i = hash_entry(t, entry) & mask;

	while (t->slots[i] && t->slots[i] != TOMB)
		i = (i + 1) & mask;
	if (!t->slots[i])
		t->used++;
	t->slots[i] = entry;
	t->n++;
}

static void rehash(struct lb_htab *t, size_t cap)
{
	void **old = t->slots;
	size_t oldcap = t->cap, i;

	t->slots = lb_xcalloc(cap, sizeof(void *));
	t->cap = cap;
	t->n = t->used = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i] && old[i] != TOMB)
			insert_raw(t, old[i]);
	free(old);
}

void lbe_htab_add(struct lb_htab *t, void *entry)
{
	if ((t->used + 1) * 10 >= t->cap * 7) {
		size_t cap = t->cap ? t->cap : 16;

		while ((t->n + 1) * 10 >= cap * 5)
			cap *= 2;
		rehash(t, cap);
	}
	insert_raw(t, entry);
}

void *lbe_htab_del(struct lb_htab *t, const void *key)
{
	size_t i;
	void *e;

	if (!t->n)
		return NULL;
	i = find_slot(t, key);
	if (i == (size_t)-1)
		return NULL;
	e = t->slots[i];
	t->slots[i] = TOMB;
	t->n--;
	return e;
}

void *lbe_htab_next(const struct lb_htab *t, size_t *iter)
{
	while (*iter < t->cap) {
		void *e = t->slots[(*iter)++];

		if (e && e != TOMB)
			return e;
	}
	return NULL;
}

void lbe_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
