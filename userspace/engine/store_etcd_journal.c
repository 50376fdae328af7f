// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd store's journal: a commit too large for one etcd txn, made
 * all-or-nothing for every node and across a leader's crash.
 *
 * etcd bounds a txn (--max-txn-ops, --max-request-bytes), so a large
 * commit is written in several txns, each fenced by the leader key:
 *
 *   1. journal/ops/NNNNNN  the changes, in chunks ({"seq":S,"ops":[...]})
 *   2. journal/complete    {"seq":S,"chunks":K}: the commit point (a
 *                          chunk of another seq makes it incomplete)
 *   3. the changes themselves, in txns within the limits
 *   4. the journal deleted and commit set to {"seq":S}, in one txn
 *
 * Followers follow the commit key only, and read at its revision
 * (store_etcd_snap.c), so they never see steps 1-3 half done.  A node
 * that becomes leader calls lbe_store_etcd_recover() before it serves:
 * a complete journal is applied again (puts and deletes of final values,
 * so applying twice is harmless), an incomplete one is dropped.
 *
 * LBIPAM_ETCD_FAULT (tests only): "journal-written", "journal-complete"
 * or "journal-half-applied" makes the leader SIGKILL itself just after
 * that step of a journaled commit.
 */
#include "store_etcd.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per op beyond its key and value: the request's framing. */
#define OP_OVERHEAD 16

static void fault(const char *step)
{
	const char *f = getenv("LBIPAM_ETCD_FAULT");

	if (f && !strcmp(f, step)) {
		fprintf(stderr, "LBIPAM_ETCD_FAULT: killed after %s\n", step);
		raise(SIGKILL);
	}
}

static size_t op_bytes(struct etcd_store *s, json_t *o)
{
	json_t *v = json_array_get(o, 1);
	size_t n = strlen(s->prefix) + OP_OVERHEAD +
		strlen(json_string_value(json_array_get(o, 0)));
	char *text;

	if (json_is_null(v))
		return n;
	text = json_dumps(v, JSON_COMPACT);
	n += text ? strlen(text) : 0;
	free(text);
	return n;
}

bool lbe_store_etcd_fits(struct etcd_store *s, json_t *ops, size_t extra)
{
	size_t i, bytes = 0;
	json_t *o;

	if (json_array_size(ops) + extra > LB_ETCD_TXN_OPS)
		return false;
	json_array_foreach(ops, i, o) {
		bytes += op_bytes(s, o);
		if (bytes > LB_ETCD_TXN_BYTES)
			return false;
	}
	return true;
}

/*
 * @ops in fenced txns within the limits; @tail (requests, stolen) joins
 * the last one.  *rev: the last txn's revision.
 */
static int apply_ops(struct etcd_store *s, json_t *ops, json_t *tail,
		     int64_t *rev)
{
	json_t *reqs = json_array(), *o;
	size_t i, bytes = 0, n = json_array_size(ops);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		o = json_array_get(ops, i);
		json_array_append_new(reqs, lbe_store_etcd_req(s,
				json_string_value(json_array_get(o, 0)),
				json_array_get(o, 1), &bytes));
		if (json_array_size(reqs) < LB_ETCD_TXN_OPS &&
		    bytes < LB_ETCD_TXN_BYTES && i + 1 < n)
			continue;
		if (i + 1 == n && json_array_size(reqs) + json_array_size(tail)
		    <= LB_ETCD_TXN_OPS)
			break;	/* the last batch goes with the tail */
		rc = lbe_store_etcd_txn(s, reqs, rev);
		reqs = json_array();
		bytes = 0;
		if (!rc && i + 1 < n)
			fault("journal-half-applied");
	}
	if (rc) {
		json_decref(reqs);
		json_decref(tail);
		return rc;
	}
	json_array_extend(reqs, tail);
	json_decref(tail);
	return lbe_store_etcd_txn(s, reqs, rev);
}

/* Steps 3 and 4: the changes of commit @seq, then the journal gone. */
static int finish(struct etcd_store *s, json_t *ops, int64_t seq,
		  int64_t *rev)
{
	json_t *tail = json_array();
	size_t bytes = 0;

	json_array_append_new(tail, lbe_store_etcd_del_under(s, "journal/"));
	json_array_append_new(tail, lbe_store_etcd_commit_req(s, seq, &bytes));
	return apply_ops(s, ops, tail, rev);
}

/* Step 1: @ops in chunks under journal/ops/. */
static int write_journal(struct etcd_store *s, json_t *ops, int64_t seq,
			 size_t *nchunks)
{
	size_t i = 0, n = json_array_size(ops);
	int64_t rev;
	int rc = 0;

	*nchunks = 0;
	while (i < n && !rc) {
		json_t *chunk = json_array(), *reqs = json_array(), *v;
		size_t bytes = 0, rb = 0;
		char rel[40];

		while (i < n && (!json_array_size(chunk) ||
				 bytes < LB_ETCD_TXN_BYTES)) {
			bytes += op_bytes(s, json_array_get(ops, i));
			json_array_append(chunk, json_array_get(ops, i++));
		}
		/*
		 * A journal left behind is overwritten (etcd refuses a
		 * delete of it in the same txn); its other chunks carry
		 * another seq.  The first commit on a fresh prefix also sets
		 * the commit key, so readers always have a revision at which
		 * the state is whole.
		 */
		if (!*nchunks && !s->seq)
			json_array_append_new(reqs,
				lbe_store_etcd_commit_req(s, 0, &rb));
		snprintf(rel, sizeof(rel), "journal/ops/%06zu", (*nchunks)++);
		v = json_pack("{s:I, s:o}", "seq", (json_int_t)seq, "ops",
			      chunk);
		json_array_append_new(reqs, lbe_store_etcd_req(s, rel, v, &rb));
		json_decref(v);
		rc = lbe_store_etcd_txn(s, reqs, &rev);
	}
	return rc;
}

int lbe_store_etcd_journal_commit(struct etcd_store *s, json_t *ops,
				  int64_t seq, int64_t *rev)
{
	json_t *reqs, *v;
	size_t nchunks, bytes = 0;
	int rc;

	rc = write_journal(s, ops, seq, &nchunks);
	if (rc) {
		snprintf(s->err + strlen(s->err),
			 sizeof(s->err) - strlen(s->err),
			 "; nothing applied (writing the journal)");
		return rc;
	}
	fault("journal-written");
	v = json_pack("{s:I, s:I}", "seq", (json_int_t)seq, "chunks",
		      (json_int_t)nchunks);
	reqs = json_array();
	json_array_append_new(reqs, lbe_store_etcd_req(s, "journal/complete",
						       v, &bytes));
	json_decref(v);
	rc = lbe_store_etcd_txn(s, reqs, rev);
	if (rc) {
		snprintf(s->err + strlen(s->err),
			 sizeof(s->err) - strlen(s->err),
			 "; nothing applied (marking the journal complete)");
		return rc;
	}
	fault("journal-complete");
	rc = finish(s, ops, seq, rev);
	if (rc) {
		/* Past the commit point: the next leader finishes it. */
		snprintf(s->err + strlen(s->err),
			 sizeof(s->err) - strlen(s->err),
			 "; the change is committed to etcd's journal and the next leader applies it");
		s->lost = true;
	}
	return rc;
}

/* The ops of a complete journal in @kvs, in order; NULL if incomplete. */
static json_t *journal_ops(struct etcd_store *s, json_t *kvs, int64_t *seq)
{
	json_t *done = NULL, *chunks = json_object(), *ops = NULL, *kv;
	size_t i, plen = strlen(s->prefix);
	int64_t k, n;

	json_array_foreach(kvs, i, kv) {
		char *key = lbe_etcd_unb64(json_object_get(kv, "key"), NULL);
		char *val = lbe_etcd_unb64(json_object_get(kv, "value"), NULL);
		json_t *j = val ? json_loads(val, 0, NULL) : NULL;

		if (key && j && !strcmp(key + plen, "journal/complete"))
			done = json_incref(j);
		else if (key && j && !strncmp(key + plen, "journal/ops/", 12))
			json_object_set(chunks, key + plen + 12, j);
		json_decref(j);
		free(key);
		free(val);
	}
	*seq = lbe_etcd_int(json_object_get(done, "seq"));
	n = done ? lbe_etcd_int(json_object_get(done, "chunks")) : -1;
	for (k = 0; k < n; k++) {
		char id[24];
		json_t *c;

		snprintf(id, sizeof(id), "%06lld", (long long)k);
		c = json_object_get(chunks, id);
		if (!c || lbe_etcd_int(json_object_get(c, "seq")) != *seq)
			break;
		if (!ops)
			ops = json_array();
		json_array_extend(ops, json_object_get(c, "ops"));
	}
	if (k != n || n <= 0) {
		json_decref(ops);
		ops = NULL;
	}
	json_decref(done);
	json_decref(chunks);
	return ops;
}

int lbe_store_etcd_recover(struct lb_store *b)
{
	struct etcd_store *s = es(b);
	char *k = lb_xasprintf("%sjournal/", s->prefix);
	json_t *req, *r, *ops, *reqs;
	int64_t seq, rev;
	int rc;

	req = json_pack("{s:o, s:o}", "key", lbe_etcd_b64(k, strlen(k)),
			"range_end", lbe_etcd_prefix_end(k));
	free(k);
	rc = lbe_store_etcd_range(s, req, &r);
	if (rc)
		return rc;
	if (!json_array_size(json_object_get(r, "kvs"))) {
		json_decref(r);
		return 0;
	}
	ops = journal_ops(s, json_object_get(r, "kvs"), &seq);
	json_decref(r);
	if (ops) {
		rc = finish(s, ops, seq, &rev);
		json_decref(ops);
		return rc ? rc : 1;
	}
	/* Incomplete: its leader died before the commit point. */
	reqs = json_array();
	json_array_append_new(reqs, lbe_store_etcd_del_under(s, "journal/"));
	rc = lbe_store_etcd_txn(s, reqs, &rev);
	return rc ? rc : 2;
}
