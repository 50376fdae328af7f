// SPDX-License-Identifier: GPL-2.0
/*
 * Persistence: state survives close/reopen, rejected input writes
 * nothing, and a process killed at any point leaves the database either
 * before or after the change in flight; continuing from there replays
 * to the same final state.
 */
#include "helpers.h"

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
	a = lb_engine_dump(e);
	lb_engine_close(e);
	e = eng_open(db, NULL);
	b = lb_engine_dump(e);
	is(b, a, "close and reopen: identical state");
	is(ips(e, "default", "c"), "10.0.0.1", "holdings come back");
	ok(strstr(b, "endpointslice default/a-1 service=a") != NULL, "EndpointSlices are stored");
	ok(apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", "  disabled: 7\n")) != 0,
	   "a bad document is rejected");
	lb_engine_close(e);
	free(b);
	e = eng_open(db, NULL);
	b = lb_engine_dump(e);
	is(b, a, "a rejected apply wrote nothing");
	lb_engine_close(e);
	free(a);
	free(b);
	{
		char cmd[300], *err = NULL;
		struct lb_engine_config cfg = { .db_path = db };
		struct lb_engine *x;

		snprintf(cmd, sizeof(cmd),
			 "sqlite3 %s \"UPDATE meta SET value = 99 WHERE key = 'schema'\" 2>/dev/null", db);
		if (system(cmd) == 0) {
			int rc = lb_engine_open(&cfg, &x, &err);

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

#define NOPS 80
#define ROUNDS 12

static void crash(void)
{
	char *dumps[NOPS + 1];
	struct gen_op *ops = calloc(NOPS, sizeof(*ops));
	unsigned seed = 12345, rs = 777;
	struct lb_engine *e;
	int k, round, good = 0, replay = 0, inflight = 0, finished = 0;

	e = eng_new();
	dumps[0] = lb_engine_dump(e);
	for (k = 0; k < NOPS; k++) {
		gen_op(&seed, &ops[k]);
		gen_run(e, &ops[k]);
		dumps[k + 1] = lb_engine_dump(e);
	}
	lb_engine_close(e);

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
		now = lb_engine_dump(e);
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
		now = lb_engine_dump(e);
		replay += match >= 0 && !strcmp(now, dumps[NOPS]);
		free(now);
		lb_engine_close(e);
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
	lb_engine_close(e);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--child"))
		return child(argv[2], atoi(argv[3]));
	basic();
	crash();
	return done_testing();
}
