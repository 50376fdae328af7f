// SPDX-License-Identifier: GPL-2.0
/*
 * Persistence: state survives close/reopen, rejected input writes
 * nothing, and a process killed at any point leaves the database either
 * before or after the change in flight; continuing from there replays
 * to the same final state.
 */
#include "helpers.h"
#include "engine_int.h"
#include "store.h"

#include <errno.h>
#include <sqlite3.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char db[128];

/* The crash test wants real fsync latency, so that kills land in commits. */
static void newdb(const char *tag)
{
	const char *dir = !strcmp(tag, "crash") || access("/dev/shm", W_OK) ?
			  "/tmp" : "/dev/shm";

	snprintf(db, sizeof(db), "%s/lbengine-%s-%d.db", dir, tag, getpid());
}

static void rmdb(void)
{
	char p[160];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
}

static void basic(void)
{
	struct lb_engine *e;
	char *a, *b;

	newdb("basic");
	rmdb();
	e = eng_open(db, NULL);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}, {cidr: \"fd00::/64\"}]", "  priority: 3\n"));
	apply(e, svc_yaml("default", "a", NULL, NULL, "  ipFamilyPolicy: PreferDualStack\n"));
	apply(e, svc_yaml("default", "b", NULL, NULL, NULL));
	apply(e, "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		 "metadata: {name: a-1, namespace: default, labels: {kubernetes.io/service-name: a}}\n"
		 "endpoints: [{addresses: [10.244.0.5]}]\n");
	del_svc(e, "default", "b");
	apply(e, svc_yaml("default", "c", NULL, NULL, NULL));
	ok(!apply(e, "apiVersion: v1\nkind: List\nitems:\n"
		     "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: listed\n"
		     "    labels: {\"quoted: key\": \"v: 1\", plain: \"true\"}\n"
		     "    annotations: {lbipam.cilium.io/sharing-key: \"a b\"}\n"
		     "  spec:\n    type: LoadBalancer\n    ports: [{port: 81, protocol: UDP}]\n"
		     "    ipFamilyPolicy: PreferDualStack\n"),
	   "a List item is stored as re-emitted YAML");
	a = lbe_dump(e);
	lbe_close(e);
	e = eng_open(db, NULL);
	b = lbe_dump(e);
	is(b, a, "close and reopen: identical state");
	is(ips(e, "default", "c"), "10.0.0.1", "holdings come back");
	ok(strstr(b, "endpointslice default/a-1 service=a") != NULL, "EndpointSlices are stored");
	ok(apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", "  disabled: 7\n")) != 0,
	   "a bad document is rejected");
	lbe_close(e);
	free(b);
	e = eng_open(db, NULL);
	b = lbe_dump(e);
	is(b, a, "a rejected apply wrote nothing");
	lbe_close(e);
	free(a);
	free(b);
	{
		char cmd[300], *err = NULL;
		struct lb_engine_config cfg = { .db_path = db };
		struct lb_engine *x;

		snprintf(cmd, sizeof(cmd),
			 "sqlite3 %s \"UPDATE meta SET value = 99 WHERE key = 'schema'\" 2>/dev/null", db);
		if (system(cmd) == 0) {
			int rc = lbe_open(&cfg, &x, &err);

			ok(rc != 0 && err && strstr(err, "schema version 99"),
			   "a database of another schema version is refused: %s",
			   err ? err : "");
			free(err);
		} else {
			ok(1, "# SKIP sqlite3 CLI not installed");
		}
	}
	rmdb();
}

/*
 * The engine reaches its store only through struct lb_store_ops: a shim
 * in front of the SQLite store sees every transaction, and a store that
 * fails a write gets the same recovery as a failed SQLite commit.
 */
static const struct lb_store_ops *real;
static int n_begin, n_commit, n_rollback, n_put_obj, n_put_hold, fail_hold;

static int shim_begin(struct lb_store *s)
{
	n_begin++;
	return real->begin(s);
}

static int shim_commit(struct lb_store *s)
{
	n_commit++;
	return real->commit(s);
}

static void shim_rollback(struct lb_store *s)
{
	n_rollback++;
	real->rollback(s);
}

static int shim_put_object(struct lb_store *s, const struct lb_store_object *o)
{
	n_put_obj++;
	return real->put_object(s, o);
}

static int shim_put_holdings(struct lb_store *s, const char *svc,
			     const char *const *ips, size_t n, int revoked)
{
	n_put_hold++;
	return fail_hold ? -EIO : real->put_holdings(s, svc, ips, n, revoked);
}

static void through_ops(void)
{
	static struct lb_store_ops shim;
	struct lb_engine *e;
	char *a, *b;
	int rc;

	newdb("ops");
	rmdb();
	e = eng_open(db, NULL);
	real = e->store->ops;
	shim = *real;
	shim.begin = shim_begin;
	shim.commit = shim_commit;
	shim.rollback = shim_rollback;
	shim.put_object = shim_put_object;
	shim.put_holdings = shim_put_holdings;
	e->store->ops = &shim;
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	ok(n_begin == 2 && n_commit == 2 && !n_rollback,
	   "one transaction per apply, through the ops (%d begin, %d commit)",
	   n_begin, n_commit);
	/* The pool, the Service, and the pool again for its new counts. */
	ok(n_put_obj == 3 && n_put_hold >= 1,
	   "objects and holdings are written through the ops (%d, %d)",
	   n_put_obj, n_put_hold);
	a = lbe_dump(e);
	fail_hold = 1;
	rc = lbe_apply_yaml(e, "t.yaml", svc_yaml("default", "b", NULL, NULL, NULL),
				  strlen(svc_yaml("default", "b", NULL, NULL, NULL)), NULL);
	fail_hold = 0;
	ok(rc == -EIO && n_rollback == 1,
	   "a store that fails a write fails the apply and is rolled back (%d)", rc);
	b = lbe_dump(e);
	is(b, a, "and the engine is back at what the store holds");
	free(b);
	lbe_close(e);
	e = eng_open(db, NULL);
	b = lbe_dump(e);
	is(b, a, "reopening reads back exactly what went through the ops");
	free(b);
	free(a);
	lbe_close(e);
	rmdb();
}

/* A commit that fails leaves memory as the database has it. */
static void failed_commit(void)
{
	struct lb_engine *e;
	sqlite3 *other;
	char *a, *b, path[160];
	FILE *f;
	int rc;

	newdb("fail");
	rmdb();
	e = eng_open(db, NULL);
	lbe_store_sqlite_busy_timeout(e->store, 20);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, NULL, NULL));
	a = lbe_dump(e);
	if (sqlite3_open(db, &other) != SQLITE_OK ||
	    sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		diag("cannot lock: %s", sqlite3_errmsg(other));
	rc = lbe_apply_yaml(e, "t.yaml", svc_yaml("default", "b", NULL, NULL, NULL),
				  strlen(svc_yaml("default", "b", NULL, NULL, NULL)), NULL);
	ok(rc == -EIO, "a commit blocked by another writer fails with -EIO (%d)", rc);
	b = lbe_dump(e);
	is(b, a, "and the engine is back at the last committed state");
	ok(logs_have("Database update failed, reloading last committed state"), "the failure is logged");
	free(b);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	ok(!apply(e, svc_yaml("default", "b", NULL, NULL, NULL)), "the same change applies once the lock is gone");
	is(ips(e, "default", "b"), "10.0.0.1", "with the expected result");
	free(a);

	snprintf(path, sizeof(path), "%s.yaml", db);
	f = fopen(path, "w");
	fputs(svc_yaml("default", "fromfile", NULL, NULL, NULL), f);
	fclose(f);
	ok(!lbe_apply_file(e, path, NULL), "apply a file");
	is(ips(e, "default", "fromfile"), "10.0.0.2", "its service is served");
	unlink(path);
	{
		struct lb_diags dg = { 0 };

		ok(lbe_apply_file(e, path, &dg) == -ENOENT && dg.n == 1 &&
		   strstr(dg.items[0].reason, "cannot open"), "a missing file is reported");
		lbe_diags_free(&dg);
	}
	lbe_close(e);
	rmdb();
}

#define NOPS 80
#define ROUNDS 12

/*
 * Kept whole for its fork: each of ROUNDS rounds kills a writer at a
 * random one of NOPS operations, and the database must reopen to a state
 * the clean run (dumps[]) passed through.
 */
static void crash(void)
{
	char *dumps[NOPS + 1];
	struct gen_op *ops = calloc(NOPS, sizeof(*ops));
	unsigned seed = 12345, rs = 777;
	struct lb_engine *e;
	int k, round, good = 0, replay = 0, inflight = 0, finished = 0;

	e = eng_new();
	dumps[0] = lbe_dump(e);
	for (k = 0; k < NOPS; k++) {
		gen_op(&seed, &ops[k]);
		gen_run(e, &ops[k]);
		dumps[k + 1] = lbe_dump(e);
	}
	lbe_close(e);

	newdb("crash");
	for (round = 0; round < ROUNDS; round++) {
		int fds[2], target = gen_rand(&rs) % NOPS, last = 0, got;
		int match = -1, status;
		char *now;
		pid_t pid;

		rmdb();
		if (pipe(fds))
			abort();
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			char fd[16];

			/* A fresh image dies quickly; a forked ASan one does not. */
			close(fds[0]);
			snprintf(fd, sizeof(fd), "%d", fds[1]);
			execl("/proc/self/exe", "test_store", "--child", db, fd,
			      (char *)NULL);
			_exit(4);
		}
		close(fds[1]);
		while (last < target &&
		       read(fds[0], &got, sizeof(got)) == sizeof(got))
			last = got;
		usleep(gen_rand(&rs) % 800);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		while (read(fds[0], &got, sizeof(got)) == sizeof(got))
			last = got;
		close(fds[0]);

		e = eng_open(db, NULL);
		now = lbe_dump(e);
		if (!strcmp(now, dumps[last]))
			match = last;
		else if (last < NOPS && !strcmp(now, dumps[last + 1]))
			match = last + 1;
		if (match < 0) {
			diag("round %d: killed after %d acks; state matches neither", round, last);
			diag("got:\n%s", now);
		}
		good += match >= 0;
		inflight += match == last + 1;
		finished += last == NOPS;
		for (k = match < 0 ? NOPS : match; k < NOPS; k++)
			gen_run(e, &ops[k]);
		free(now);
		now = lbe_dump(e);
		replay += match >= 0 && !strcmp(now, dumps[NOPS]);
		free(now);
		lbe_close(e);
	}
	diag("%d rounds recovered the change in flight, %d ran to the end",
	     inflight, finished);
	ok(good == ROUNDS, "after SIGKILL the database is before or after the change in flight (%d/%d)",
	   good, ROUNDS);
	ok(replay == ROUNDS, "continuing from the recovered state replays to the same final state (%d/%d)",
	   replay, ROUNDS);
	rmdb();
	for (k = 0; k <= NOPS; k++)
		free(dumps[k]);
	free(ops);
}

static int child(const char *path, int fd)
{
	struct gen_op op;
	struct lb_engine *e;
	unsigned seed = 12345;
	int k;

	snprintf(db, sizeof(db), "%s", path);
	e = eng_open(db, NULL);
	for (k = 0; k < NOPS; k++) {
		int done = k + 1;

		gen_op(&seed, &op);
		gen_run(e, &op);
		if (write(fd, &done, sizeof(done)) < 0)
			return 3;
	}
	lbe_close(e);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--child"))
		return child(argv[2], atoi(argv[3]));
	basic();
	through_ops();
	failed_commit();
	crash();
	return done_testing();
}
