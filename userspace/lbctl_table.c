// SPDX-License-Identifier: GPL-2.0
/* lbctl's "service", "backend", "stats" and "flush": the kernel's table. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include "lbctl.h"

/*
 * A dump may race with writers; the kernel flags that, and we try again for
 * a consistent snapshot. On a large table that changes all the time none
 * may come: the key-ordered cursor still lists every service that existed
 * throughout exactly once, so the last listing is shown, with a warning.
 */
#define LBCTL_DUMP_RETRIES	3

static void lbctl_service_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl service { add | set } SERVICE [ SVC_OPTS ]\n"
		"       lbctl service { del | show } SERVICE\n"
		"       lbctl service list\n"
		"SERVICE := ADDRESS:PORT/PROTO\n"
		"ADDRESS := { IPV4 | [IPV6] }   PORT := 1-65535   PROTO := { tcp | udp | sctp }\n"
		"SVC_OPTS := [ sched { maglev | random } ] [ affinity SECONDS ] [ masquerade ]\n"
		"            [ local-only ] [ source-range CIDR ]...\n");
}

static void lbctl_backend_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl backend { add | set } SERVICE BACKEND [ BE_OPTS ]\n"
		"       lbctl backend del SERVICE BACKEND\n"
		"       lbctl backend replace SERVICE [ BACKEND[,weight=W][,state=STATE][,local] ]...\n"
		"SERVICE := ADDRESS:PORT/PROTO   BACKEND := ADDRESS:PORT\n"
		"BE_OPTS := [ weight 0-65535 ] [ state { active | terminating | maintenance } ] [ local ]\n");
}

static int lbctl_parse_service(const char *s, struct lb_service_key *key)
{
	char err[256];

	if (lb_parse_service(s, key, err, sizeof(err))) {
		lbctl_err("%s", err);
		return -1;
	}
	return 0;
}

static int lbctl_parse_state(const char *s, uint8_t *state)
{
	uint8_t i;

	for (i = 0; i <= LBIPAM_BE_STATE_MAX; i++) {
		if (!strcmp(s, lbctl_state_name(i))) {
			*state = i;
			return 0;
		}
	}
	lbctl_err("unknown backend state '%s' (expected active, terminating or maintenance)",
		  s);
	return -1;
}

static int lbctl_parse_weight(const char *s, uint16_t *weight)
{
	unsigned long v;

	if (lb_parse_uint(s, 0, 65535, &v)) {
		lbctl_err("weight must be 0-65535, not '%s'", s);
		return -1;
	}
	*weight = (uint16_t)v;
	return 0;
}

/* Words after SERVICE: the options of "service add/set". */
static int lbctl_parse_svc_opts(int argc, char **argv,
				const struct lb_service_key *key,
				struct lb_svc_opts *o)
{
	char err[256];
	unsigned long v;
	int i;

	lb_svc_opts_default(o);
	for (i = 0; i < argc; i++) {
		const char *w = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(w, "masquerade")) {
			o->flags |= LBIPAM_SVC_F_MASQUERADE;
			continue;
		}
		if (!strcmp(w, "local-only")) {
			o->flags |= LBIPAM_SVC_F_LOCAL_ONLY;
			continue;
		}
		if (strcmp(w, "sched") && strcmp(w, "affinity") &&
		    strcmp(w, "source-range")) {
			lbctl_err("unknown service option '%s'", w);
			return -1;
		}
		if (!val) {
			lbctl_err("'%s' needs a value", w);
			return -1;
		}
		i++;
		if (!strcmp(w, "sched")) {
			if (!strcmp(val, "maglev")) {
				o->sched = LBIPAM_SCHED_MAGLEV;
			} else if (!strcmp(val, "random")) {
				o->sched = LBIPAM_SCHED_RANDOM;
			} else {
				lbctl_err("unknown scheduler '%s' (expected maglev or random)",
					  val);
				return -1;
			}
		} else if (!strcmp(w, "affinity")) {
			if (lb_parse_uint(val, 0, LBIPAM_MAX_AFFINITY, &v)) {
				lbctl_err("affinity must be 0-%d seconds, not '%s'",
					  LBIPAM_MAX_AFFINITY, val);
				return -1;
			}
			o->affinity = (uint32_t)v;
		} else {
			struct lb_cidr *c = &o->ranges[o->nranges];

			if (o->nranges == LBIPAM_MAX_SOURCE_RANGES) {
				lbctl_err("too many source ranges (at most %d)",
					  LBIPAM_MAX_SOURCE_RANGES);
				return -1;
			}
			if (lb_cidr_parse(val, LB_CIDR_HOST, c, NULL, err, sizeof(err))) {
				lbctl_err("source-range %s", err);
				return -1;
			}
			if (c->family != key->ep.family) {
				lbctl_err("source-range '%s' is not of the service's address family",
					  val);
				return -1;
			}
			o->nranges++;
		}
	}
	return 0;
}

/* "ADDR:PORT" then the words of "backend add/set". */
static int lbctl_parse_backend(const char *s, int argc, char **argv,
			       const struct lb_service_key *key,
			       struct lb_backend *b)
{
	char err[256];
	int i;

	lb_backend_default(b);
	if (lb_parse_endpoint(s, &b->ep, err, sizeof(err))) {
		lbctl_err("backend %s", err);
		return -1;
	}
	if (b->ep.family != key->ep.family) {
		lbctl_err("backend %s and the service are of different address families",
			  s);
		return -1;
	}
	for (i = 0; i < argc; i++) {
		const char *w = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(w, "local")) {
			b->flags |= LBIPAM_BE_F_LOCAL;
			continue;
		}
		if (strcmp(w, "weight") && strcmp(w, "state")) {
			lbctl_err("unknown backend option '%s'", w);
			return -1;
		}
		if (!val) {
			lbctl_err("'%s' needs a value", w);
			return -1;
		}
		i++;
		if (!strcmp(w, "weight") ? lbctl_parse_weight(val, &b->weight) :
					   lbctl_parse_state(val, &b->state))
			return -1;
	}
	return 0;
}

/* "ADDR:PORT[,weight=W][,state=S][,local]" of "backend replace". */
static int lbctl_parse_backend_item(const char *item,
				    const struct lb_service_key *key,
				    struct lb_backend *b)
{
	char *copy = strdup(item), *save = NULL, *tok;
	int err = -1;

	if (!copy) {
		lbctl_err("out of memory");
		return -1;
	}
	tok = strtok_r(copy, ",", &save);
	if (!tok || lbctl_parse_backend(tok, 0, NULL, key, b))
		goto out;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strcmp(tok, "local")) {
			b->flags |= LBIPAM_BE_F_LOCAL;
		} else if (!strncmp(tok, "weight=", 7)) {
			if (lbctl_parse_weight(tok + 7, &b->weight))
				goto out;
		} else if (!strncmp(tok, "state=", 6)) {
			if (lbctl_parse_state(tok + 6, &b->state))
				goto out;
		} else {
			lbctl_err("unknown backend option '%s' in '%s' (expected weight=W, state=STATE or local)",
				  tok, item);
			goto out;
		}
	}
	err = 0;
out:
	free(copy);
	return err;
}

/* Sends a request made by the caller; the exit code. */
static int lbctl_send(struct lb_nl *nl, struct nl_msg *msg, lb_nl_reply_fn fn,
		      void *arg)
{
	int err = lb_nl_request(nl, msg, fn, arg);

	return err ? lbctl_fail(nl, err) : 0;
}

static struct nl_msg *lbctl_msg(struct lb_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = lb_nl_msg(nl, cmd, flags);

	if (!msg)
		lbctl_err("out of memory");
	return msg;
}

static int lbctl_build_failed(struct nl_msg *msg)
{
	nlmsg_free(msg);
	lbctl_err("request too large");
	return LBCTL_EXIT_FAIL;
}

/* ---------------------------------------------------- reading back --- */

/*
 * One service (@key) or all of them (NULL), into @s; @ct: with what
 * conntrack holds about their connections (a walk of its table).
 */
static int lbctl_read(const struct lb_service_key *key, int ct,
		      struct lb_svc_list *s)
{
	struct lb_nl *nl = lbctl_nl();
	int err = -EAGAIN, i;

	if (!nl)
		return LBCTL_EXIT_FAIL;
	for (i = 0; i < LBCTL_DUMP_RETRIES && err == -EAGAIN; i++)
		err = lb_nl_get_services(nl, key, ct ? LB_GET_CT_STATS : 0, s);
	if (err == -EAGAIN) {
		lbctl_err("warning: the table changed while it was read; services added or deleted meanwhile may be missing or shown");
		return 0;
	}
	return err ? lbctl_fail(nl, err) : 0;
}

static int lbctl_print(const struct lb_svc_list *s, enum lbctl_print_what what)
{
	json_t *arr;
	size_t i;

	if (!lbctl_json) {
		for (i = 0; i < s->n; i++)
			lbctl_print_service(&s->v[i], what, stdout);
		return 0;
	}
	arr = json_array();
	for (i = 0; arr && i < s->n; i++)
		json_array_append_new(arr, lbctl_service_json(&s->v[i], 1));
	return lbctl_print_json(arr);
}

static int lbctl_show(const struct lb_service_key *key,
		      enum lbctl_print_what what)
{
	struct lb_svc_list s = { 0 };
	int err = lbctl_read(key, what == LBCTL_PRINT_STATS, &s);

	if (!err)
		err = lbctl_print(&s, what);
	lb_svc_list_free(&s);
	return err;
}

/* ------------------------------------------------------- commands --- */

/* A command word (any prefix of it) and the request it makes. */
struct lbctl_verb_op {
	const char *name;
	uint8_t op;
};

static const struct lbctl_verb_op lbctl_service_verbs[] = {
	{ "add", LBIPAM_CMD_SERVICE_NEW },
	{ "set", LBIPAM_CMD_SERVICE_SET },
	{ "delete", LBIPAM_CMD_SERVICE_DEL },
	{ "show", LBIPAM_CMD_SERVICE_GET },
	{ NULL, 0 },
};

static const struct lbctl_verb_op lbctl_backend_verbs[] = {
	{ "add", LBIPAM_CMD_BACKEND_NEW },
	{ "set", LBIPAM_CMD_BACKEND_SET },
	{ "delete", LBIPAM_CMD_BACKEND_DEL },
	{ "replace", LBIPAM_CMD_BACKEND_REPLACE },
	{ NULL, 0 },
};

/* The request @cmd names; 0 (LBIPAM_CMD_UNSPEC) if none. */
static uint8_t lbctl_verb(const char *cmd, const struct lbctl_verb_op *v)
{
	for (; v->name; v++)
		if (lbctl_matches(cmd, v->name))
			return v->op;
	return LBIPAM_CMD_UNSPEC;
}

int lbctl_do_service(int argc, char **argv)
{
	struct lb_service_key key;
	struct lb_svc_opts opts;
	struct nl_msg *msg;
	struct lb_nl *nl;
	const char *cmd;
	uint8_t op;

	if (argc < 1 || lbctl_matches(argv[0], "list") ||
	    !strcmp(argv[0], "ls")) {
		if (argc > 1) {
			lbctl_err("service list takes no arguments");
			return LBCTL_EXIT_USAGE;
		}
		return lbctl_show(NULL, LBCTL_PRINT_CONFIG);
	}
	cmd = argv[0];
	if (lbctl_matches(cmd, "help")) {
		lbctl_service_usage(stdout);
		return 0;
	}
	op = lbctl_verb(cmd, lbctl_service_verbs);
	if (!op) {
		lbctl_err("unknown service command '%s'", cmd);
		lbctl_service_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (argc < 2 || ((op == LBIPAM_CMD_SERVICE_DEL ||
			  op == LBIPAM_CMD_SERVICE_GET) && argc != 2)) {
		lbctl_err("service %s takes exactly one SERVICE%s", cmd,
			  op == LBIPAM_CMD_SERVICE_NEW ||
			  op == LBIPAM_CMD_SERVICE_SET ? " and its options" : "");
		lbctl_service_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (lbctl_parse_service(argv[1], &key))
		return LBCTL_EXIT_USAGE;
	if (op == LBIPAM_CMD_SERVICE_GET)
		return lbctl_show(&key, LBCTL_PRINT_CONFIG);
	if (lbctl_parse_svc_opts(argc - 2, argv + 2, &key, &opts))
		return LBCTL_EXIT_USAGE;

	nl = lbctl_nl();
	if (!nl)
		return LBCTL_EXIT_FAIL;
	msg = lbctl_msg(nl, op, 0);
	if (!msg)
		return LBCTL_EXIT_FAIL;
	if (lb_nl_put_service(msg, &key,
			      op == LBIPAM_CMD_SERVICE_DEL ? NULL : &opts))
		return lbctl_build_failed(msg);
	return lbctl_send(nl, msg, NULL, NULL);
}

static int lbctl_backend_replace(const struct lb_service_key *key, int argc,
				 char **argv)
{
	struct lb_backend *bes;
	struct nl_msg *msg;
	struct lb_nl *nl;
	int i, err = LBCTL_EXIT_USAGE;

	bes = calloc((size_t)argc + 1, sizeof(*bes));
	if (!bes) {
		lbctl_err("out of memory");
		return LBCTL_EXIT_FAIL;
	}
	/* Parse everything first: a typo must not half-build a request. */
	for (i = 0; i < argc; i++)
		if (lbctl_parse_backend_item(argv[i], key, &bes[i]))
			goto out;
	err = LBCTL_EXIT_FAIL;
	nl = lbctl_nl();
	if (!nl)
		goto out;
	/* One message for the whole set: that is what makes it atomic. */
	msg = lb_nl_msg_size(nl, LBIPAM_CMD_BACKEND_REPLACE, 0,
			     256 + (size_t)argc * 64);
	if (!msg) {
		lbctl_err("out of memory");
		goto out;
	}
	if (lb_nl_put_service(msg, key, NULL)) {
		err = lbctl_build_failed(msg);
		goto out;
	}
	for (i = 0; i < argc; i++) {
		if (lb_nl_put_backend(msg, &bes[i], 1)) {
			err = lbctl_build_failed(msg);
			goto out;
		}
	}
	err = lbctl_send(nl, msg, NULL, NULL);
out:
	free(bes);
	return err;
}

int lbctl_do_backend(int argc, char **argv)
{
	struct lb_service_key key;
	struct nl_msg *msg;
	struct lb_backend b;
	struct lb_nl *nl;
	const char *cmd;
	uint8_t op;

	if (argc < 1 || lbctl_matches(argv[0], "help")) {
		lbctl_backend_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? LBCTL_EXIT_USAGE : 0;
	}
	cmd = argv[0];
	op = lbctl_verb(cmd, lbctl_backend_verbs);
	if (!op) {
		lbctl_err("unknown backend command '%s'", cmd);
		lbctl_backend_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (op == LBIPAM_CMD_BACKEND_REPLACE) {
		if (argc < 2) {
			lbctl_err("backend replace takes a SERVICE and its backends");
			lbctl_backend_usage(stderr);
			return LBCTL_EXIT_USAGE;
		}
		if (lbctl_parse_service(argv[1], &key))
			return LBCTL_EXIT_USAGE;
		return lbctl_backend_replace(&key, argc - 2, argv + 2);
	}
	if (argc < 3 || (op == LBIPAM_CMD_BACKEND_DEL && argc != 3)) {
		lbctl_err("backend %s takes a SERVICE and a BACKEND%s", cmd,
			  op == LBIPAM_CMD_BACKEND_DEL ? "" : " and its options");
		lbctl_backend_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (lbctl_parse_service(argv[1], &key) ||
	    lbctl_parse_backend(argv[2], argc - 3, argv + 3, &key, &b))
		return LBCTL_EXIT_USAGE;

	nl = lbctl_nl();
	if (!nl)
		return LBCTL_EXIT_FAIL;
	msg = lbctl_msg(nl, op, 0);
	if (!msg)
		return LBCTL_EXIT_FAIL;
	if (lb_nl_put_service(msg, &key, NULL) ||
	    lb_nl_put_backend(msg, &b, op != LBIPAM_CMD_BACKEND_DEL))
		return lbctl_build_failed(msg);
	return lbctl_send(nl, msg, NULL, NULL);
}

int lbctl_do_stats(int argc, char **argv)
{
	struct lb_service_key key;

	if (argc > 1) {
		lbctl_err("stats takes at most one SERVICE");
		return LBCTL_EXIT_USAGE;
	}
	if (argc == 1 && lbctl_parse_service(argv[0], &key))
		return LBCTL_EXIT_USAGE;
	return lbctl_show(argc ? &key : NULL, LBCTL_PRINT_STATS);
}

int lbctl_do_flush(int argc, char **argv)
{
	struct nl_msg *msg;
	struct lb_nl *nl;

	(void)argv;
	if (argc) {
		lbctl_err("flush takes no arguments");
		return LBCTL_EXIT_USAGE;
	}
	nl = lbctl_nl();
	if (!nl)
		return LBCTL_EXIT_FAIL;
	msg = lbctl_msg(nl, LBIPAM_CMD_FLUSH, 0);
	if (!msg)
		return LBCTL_EXIT_FAIL;
	return lbctl_send(nl, msg, NULL, NULL);
}
