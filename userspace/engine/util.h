/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers used across the engine: allocation, string buffers,
 * hashing and an open-addressing hash set.
 */
#ifndef _LB_UTIL_H
#define _LB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* lb_x*(): allocation failure aborts with a log line, see lib/lb_mem.h. */
#include "../lib/lb_mem.h"

#define LB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Grow (arr, cap) so that one more element fits at index n. */
#define LB_GROW(arr, n, cap)						\
	do {								\
		if ((n) >= (cap)) {					\
			(cap) = (cap) ? (cap) * 2 : 4;			\
			(arr) = lb_xreallocarray((arr), (cap), sizeof(*(arr))); \
		}							\
	} while (0)

struct lb_strbuf {
	char *s;
	size_t len;
	size_t cap;
};

/* Frees n strings and the array holding them. */
void lbe_strv_free(char **v, size_t n);
void lbe_sb_addn(struct lb_strbuf *b, const char *s, size_t n);
void lbe_sb_add(struct lb_strbuf *b, const char *s);
void lbe_sb_addc(struct lb_strbuf *b, char c);
void lbe_sb_printf(struct lb_strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lbe_sb_vprintf(struct lb_strbuf *b, const char *fmt, va_list ap);
/* Append a logfmt value, quoting only when needed. */
void lbe_sb_logfmt_val(struct lb_strbuf *b, const char *v);
char *lbe_sb_steal(struct lb_strbuf *b);
void lbe_sb_free(struct lb_strbuf *b);

uint64_t lbe_hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t lbe_hash_str(const char *s);

/*
 * Open-addressing hash set of pointers.  The table never owns entries;
 * callers describe how to hash an entry and how to compare it to a key,
 * or (LB_HTAB_STR_OPS) name the entry's char * member that is its key.
 */
struct lb_htab_ops {
	uint64_t (*hash_entry)(const void *entry);
	uint64_t (*hash_key)(const void *key);
	bool (*eq)(const void *entry, const void *key);
	bool str_key;		/* key: the string at key_off in the entry */
	size_t key_off;
};

#define LB_HTAB_STR_OPS(type, member) \
	{ .str_key = true, .key_off = offsetof(type, member) }

struct lb_htab {
	const struct lb_htab_ops *ops;
	void **slots;
	size_t cap;
	size_t n;
	size_t used;		/* live + tombstones */
};

void lbe_htab_init(struct lb_htab *t, const struct lb_htab_ops *ops);
void lbe_htab_free(struct lb_htab *t);
void *lbe_htab_get(const struct lb_htab *t, const void *key);
/* Entry must not already be present under its key. */
void lbe_htab_add(struct lb_htab *t, void *entry);
void *lbe_htab_del(struct lb_htab *t, const void *key);
/* Iterate: for (i = 0; (e = lbe_htab_next(t, &i)); ) */
void *lbe_htab_next(const struct lb_htab *t, size_t *iter);

#endif /* _LB_UTIL_H */
