// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl's "service", "backend", "stats" and "flush": the kernel's table of
 * services and backends, read and changed over generic netlink.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include "lbctl.h"

static void service_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl service { add | set } SERVICE [ SVC_OPTS ]\n"
		"       lbctl service { del | show } SERVICE\n"
		"       lbctl service list\n"
		"SERVICE := ADDRESS:PORT/PROTO\n"
		"ADDRESS := { IPV4 | [IPV6] }   PORT := 1-65535   PROTO := { tcp | udp | sctp }\n"
		"SVC_OPTS := [ sched { maglev | random } ] [ affinity SECONDS ] [ masquerade ]\n"
		"            [ masq-local ] [ local-only ] [ expire-nodest ]\n"
		"            [ one-packet ] [ source-range CIDR ]... [ cluster-cidr CIDR ]...\n");
}

static void backend_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl backend { add | set } SERVICE BACKEND [ BE_OPTS ]\n"
		"       lbctl backend del SERVICE BACKEND\n"
		"       lbctl backend replace SERVICE [ BACKEND[,weight=W][,state=STATE][,local] ]...\n"
		"SERVICE := ADDRESS:PORT/PROTO   BACKEND := ADDRESS:PORT\n"
		"BE_OPTS := [ weight 0-65535 ] [ state { active | terminating | maintenance } ] [ local ]\n");
}

static int parse_service(const char *s, struct lb_service_key *key)
{
	char err[256];

	if (lb_parse_service(s, key, err, sizeof(err))) {
		lbctl_err("%s", err);
		return -1;
	}
	return 0;
}

/*
 * The option words of services and backends: a flag ("masquerade"), or a
 * word and its value ("weight 3" on the command line, "weight=3" in an item
 * of "backend replace"). @set gets the value, NULL for a flag.
 */
struct opt_word {
	const char *word;
	bool has_value;
	int (*set)(void *obj, const char *val);
};

/* What the service's setters need: the family of its address too. */
struct svc_target {
	struct lb_svc_opts *o;
	const struct lb_service_key *key;
};

static int set_masquerade(void *obj, const char *val)
{
	(void)val;
	((struct svc_target *)obj)->o->flags |= LBIPAM_SVC_F_MASQUERADE;
	return 0;
}

static int set_masq_local(void *obj, const char *val)
{
	(void)val;
	((struct svc_target *)obj)->o->flags |= LBIPAM_SVC_F_MASQ_LOCAL;
	return 0;
}

static int set_expire_nodest(void *obj, const char *val)
{
	(void)val;
	((struct svc_target *)obj)->o->flags |= LBIPAM_SVC_F_EXPIRE_NODEST;
	return 0;
}

/* The kernel refuses it too; saying so here names the word at fault. */
static int set_one_packet(void *obj, const char *val)
{
	struct svc_target *t = obj;

	(void)val;
	if (t->key->proto != IPPROTO_UDP) {
		lbctl_err("one-packet is for UDP services only, not %s",
			  lb_proto_name(t->key->proto));
		return -1;
	}
	t->o->flags |= LBIPAM_SVC_F_ONE_PACKET;
	return 0;
}

static int set_local_only(void *obj, const char *val)
{
	(void)val;
	((struct svc_target *)obj)->o->flags |= LBIPAM_SVC_F_LOCAL_ONLY;
	return 0;
}

static int set_sched(void *obj, const char *val)
{
	if (!lb_sched_parse(val, &((struct svc_target *)obj)->o->sched))
		return 0;
	lbctl_err("unknown scheduler '%s' (expected maglev or random)", val);
	return -1;
}

static int set_affinity(void *obj, const char *val)
{
	unsigned long v;

	if (lb_parse_uint(val, 0, LBIPAM_MAX_AFFINITY, &v)) {
		lbctl_err("affinity must be 0-%d seconds, not '%s'",
			  LBIPAM_MAX_AFFINITY, val);
		return -1;
	}
	((struct svc_target *)obj)->o->affinity = (uint32_t)v;
	return 0;
}

/* One more prefix of a set: source ranges, cluster CIDRs (named @word). */
static int add_cidr(const struct svc_target *t, const char *word,
		    const char *val, struct lb_cidr_set *set, size_t max)
{
	struct lb_cidr c;
	char err[256];
	int rc;

	if (lb_cidr_parse(val, LB_CIDR_HOST, &c, NULL, err, sizeof(err))) {
		lbctl_err("%s %s", word, err);
		return -1;
	}
	if (c.family != t->key->ep.family) {
		lbctl_err("%s '%s' is not of the service's address family",
			  word, val);
		return -1;
	}
	rc = lb_cidr_set_add(set, &c, max);
	if (rc == -ENOSPC)
		lbctl_err("too many %s options (at most %zu)", word, max);
	else if (rc)
		lbctl_err("out of memory");
	return rc ? -1 : 0;
}

static int set_source_range(void *obj, const char *val)
{
	struct svc_target *t = obj;

	return add_cidr(t, "source-range", val, &t->o->ranges,
			LBIPAM_MAX_SOURCE_RANGES);
}

static int set_cluster_cidr(void *obj, const char *val)
{
	struct svc_target *t = obj;

	return add_cidr(t, "cluster-cidr", val, &t->o->cluster,
			LBIPAM_MAX_CLUSTER_CIDRS);
}

static const struct opt_word svc_words[] = {
	{ "masquerade", false, set_masquerade },
	{ "masq-local", false, set_masq_local },
	{ "local-only", false, set_local_only },
	{ "expire-nodest", false, set_expire_nodest },
	{ "one-packet", false, set_one_packet },
	{ "sched", true, set_sched },
	{ "affinity", true, set_affinity },
	{ "source-range", true, set_source_range },
	{ "cluster-cidr", true, set_cluster_cidr },
	{ NULL, false, NULL },
};

static int set_weight(void *obj, const char *val)
{
	unsigned long v;

	if (lb_parse_uint(val, 0, 65535, &v)) {
		lbctl_err("weight must be 0-65535, not '%s'", val);
		return -1;
	}
	((struct lb_backend *)obj)->weight = (uint16_t)v;
	return 0;
}

static int set_state(void *obj, const char *val)
{
	if (!lb_be_state_parse(val, &((struct lb_backend *)obj)->state))
		return 0;
	lbctl_err("unknown backend state '%s' (expected active, terminating or maintenance)",
		  val);
	return -1;
}

static int set_local(void *obj, const char *val)
{
	(void)val;
	((struct lb_backend *)obj)->flags |= LBIPAM_BE_F_LOCAL;
	return 0;
}

static const struct opt_word be_words[] = {
	{ "weight", true, set_weight },
	{ "state", true, set_state },
	{ "local", false, set_local },
	{ NULL, false, NULL },
};

static const struct opt_word *find_word(const struct opt_word *words,
					const char *w, size_t len)
{
	for (; words->word; words++)
		if (strlen(words->word) == len && !strncmp(w, words->word, len))
			return words;
	return NULL;
}

/* "WORD [VALUE]"... as on the command line; @what names them in errors. */
static int parse_words(int argc, char **argv, const struct opt_word *words,
		       const char *what, void *obj)
{
	const struct opt_word *d;
	int i;

	for (i = 0; i < argc; i++) {
		d = find_word(words, argv[i], strlen(argv[i]));
		if (!d) {
			lbctl_err("unknown %s option '%s'", what, argv[i]);
			return -1;
		}
		if (d->has_value && i + 1 == argc) {
			lbctl_err("'%s' needs a value", argv[i]);
			return -1;
		}
		if (d->set(obj, d->has_value ? argv[++i] : NULL))
			return -1;
	}
	return 0;
}

/* Words after SERVICE: the options of "service add/set". */
static int parse_svc_opts(int argc, char **argv,
			  const struct lb_service_key *key,
			  struct lb_svc_opts *o)
{
	struct svc_target t = { .o = o, .key = key };

	lb_svc_opts_default(o);
	return parse_words(argc, argv, svc_words, "service", &t);
}

/* "ADDR:PORT" then the words of "backend add/set". */
static int parse_backend(const char *s, int argc, char **argv,
			 const struct lb_service_key *key,
			 struct lb_backend *b)
{
	char err[256];

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
	return parse_words(argc, argv, be_words, "backend", b);
}

/* "ADDR:PORT[,weight=W][,state=S][,local]" of "backend replace". */
static int parse_backend_item(const char *item,
			      const struct lb_service_key *key,
			      struct lb_backend *b)
{
	char *copy = strdup(item), *save = NULL, *tok, *eq;
	const struct opt_word *d;
	int err = -1;

	if (!copy) {
		lbctl_err("out of memory");
		return -1;
	}
	tok = strtok_r(copy, ",", &save);
	if (!tok || parse_backend(tok, 0, NULL, key, b))
		goto out;
	while ((tok = strtok_r(NULL, ",", &save))) {
		eq = strchr(tok, '=');
		d = find_word(be_words, tok, eq ? (size_t)(eq - tok) : strlen(tok));
		if (!d || d->has_value != !!eq) {
			lbctl_err("unknown backend option '%s' in '%s' (expected weight=W, state=STATE or local)",
				  tok, item);
			goto out;
		}
		if (d->set(b, eq ? eq + 1 : NULL))
			goto out;
	}
	err = 0;
out:
	free(copy);
	return err;
}

/*
 * A request for the shared socket; NULL: the error is printed. @size: 0
 * for the default, else room for that many bytes of attributes.
 */
static struct nl_msg *new_request(uint8_t cmd, size_t size)
{
	struct lb_nl *nl = lbctl_nl();
	struct nl_msg *msg;

	if (!nl)
		return NULL;
	msg = size ? lb_nl_msg_size(nl, cmd, 0, size) : lb_nl_msg(nl, cmd, 0);
	if (!msg)
		lbctl_err("out of memory");
	return msg;
}

/* Sends @msg (consumed) and waits for the kernel's answer; the exit code. */
static int send_request(struct nl_msg *msg)
{
	struct lb_nl *nl = lbctl_nl();
	int err = lb_nl_request(nl, msg, NULL, NULL);

	return err ? lbctl_fail(nl, err) : 0;
}

static int build_failed(struct nl_msg *msg)
{
	nlmsg_free(msg);
	lbctl_err("request too large");
	return LBCTL_EXIT_FAIL;
}

/* ---------------------------------------------------- reading back --- */

/*
 * One service (@key) or all of them (NULL), into @s; @stats: with what
 * conntrack holds about their connections and their live affinity bindings
 * (a walk of each table).
 */
static int read_services(const struct lb_service_key *key, int stats,
			 struct lb_svc_list *s)
{
	struct lb_nl *nl = lbctl_nl();
	int err;

	if (!nl)
		return LBCTL_EXIT_FAIL;
	/* lb_nl dumps again after a race; this is what is left after all. */
	err = lb_nl_get_services(nl, key, stats ?
				 LB_GET_CT_STATS | LB_GET_AFF_STATS : 0, s);
	if (err == -EAGAIN) {
		lbctl_err("warning: the table changed while it was read; services added or deleted meanwhile may be missing or shown");
		return 0;
	}
	return err ? lbctl_fail(nl, err) : 0;
}

static int show(const struct lb_service_key *key, enum lbctl_show what,
		bool json)
{
	struct lb_svc_list s = { 0 };
	struct lbctl_out p;
	int err = read_services(key, what == LBCTL_SHOW_STATS, &s);
	size_t i;

	if (!err) {
		lbctl_out_init(&p, json);
		lbctl_out_open(&p, NULL, true);
		for (i = 0; i < s.n; i++)
			lbctl_print_service(&p, &s.v[i], what);
		lbctl_out_close(&p);
		err = lbctl_out_finish(&p);
	}
	lb_svc_list_free(&s);
	return err;
}

/* ------------------------------------------------------- commands --- */

/* A command word (any prefix of it) and the request it makes. */
struct verb_op {
	const char *name;
	uint8_t op;
};

static const struct verb_op service_verbs[] = {
	{ "add", LBIPAM_CMD_SERVICE_NEW },
	{ "set", LBIPAM_CMD_SERVICE_SET },
	{ "delete", LBIPAM_CMD_SERVICE_DEL },
	{ "show", LBIPAM_CMD_SERVICE_GET },
	{ NULL, 0 },
};

static const struct verb_op backend_verbs[] = {
	{ "add", LBIPAM_CMD_BACKEND_NEW },
	{ "set", LBIPAM_CMD_BACKEND_SET },
	{ "delete", LBIPAM_CMD_BACKEND_DEL },
	{ "replace", LBIPAM_CMD_BACKEND_REPLACE },
	{ NULL, 0 },
};

/* The request @cmd names; 0 (LBIPAM_CMD_UNSPEC) if none. */
static uint8_t verb(const char *cmd, const struct verb_op *v)
{
	for (; v->name; v++)
		if (lbctl_matches(cmd, v->name))
			return v->op;
	return LBIPAM_CMD_UNSPEC;
}

int lbctl_do_service(const struct lbctl_opts *o)
{
	struct lb_service_key key;
	struct lb_svc_opts opts;
	struct nl_msg *msg;
	const char *cmd;
	uint8_t op;
	int argc = o->argc, rc;
	char **argv = o->argv;

	if (argc < 1 || lbctl_matches(argv[0], "list") ||
	    !strcmp(argv[0], "ls")) {
		if (argc > 1) {
			lbctl_err("service list takes no arguments");
			return LBCTL_EXIT_USAGE;
		}
		return show(NULL, LBCTL_SHOW_CONFIG, o->fmt == LBCTL_FMT_JSON);
	}
	cmd = argv[0];
	if (lbctl_matches(cmd, "help")) {
		service_usage(stdout);
		return 0;
	}
	op = verb(cmd, service_verbs);
	if (!op) {
		lbctl_err("unknown service command '%s'", cmd);
		service_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (argc < 2 || ((op == LBIPAM_CMD_SERVICE_DEL ||
			  op == LBIPAM_CMD_SERVICE_GET) && argc != 2)) {
		lbctl_err("service %s takes exactly one SERVICE%s", cmd,
			  op == LBIPAM_CMD_SERVICE_NEW ||
			  op == LBIPAM_CMD_SERVICE_SET ? " and its options" : "");
		service_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (parse_service(argv[1], &key))
		return LBCTL_EXIT_USAGE;
	if (op == LBIPAM_CMD_SERVICE_GET)
		return show(&key, LBCTL_SHOW_CONFIG, o->fmt == LBCTL_FMT_JSON);
	if (parse_svc_opts(argc - 2, argv + 2, &key, &opts)) {
		lb_svc_opts_free(&opts);
		return LBCTL_EXIT_USAGE;
	}

	msg = new_request(op, 0);
	if (!msg)
		rc = LBCTL_EXIT_FAIL;
	else if (lb_nl_put_service(msg, &key,
				   op == LBIPAM_CMD_SERVICE_DEL ? NULL : &opts))
		rc = build_failed(msg);
	else
		rc = send_request(msg);
	lb_svc_opts_free(&opts);
	return rc;
}

static int backend_replace(const struct lb_service_key *key, int argc,
			   char **argv)
{
	struct lb_backend *bes;
	struct nl_msg *msg;
	int i, err = LBCTL_EXIT_USAGE;

	bes = calloc((size_t)argc + 1, sizeof(*bes));
	if (!bes) {
		lbctl_err("out of memory");
		return LBCTL_EXIT_FAIL;
	}
	/* Parse everything first: a typo must not half-build a request. */
	for (i = 0; i < argc; i++)
		if (parse_backend_item(argv[i], key, &bes[i]))
			goto out;
	err = LBCTL_EXIT_FAIL;
	/* One message for the whole set: that is what makes it atomic. */
	msg = new_request(LBIPAM_CMD_BACKEND_REPLACE, 256 + (size_t)argc * 64);
	if (!msg)
		goto out;
	if (lb_nl_put_service(msg, key, NULL)) {
		err = build_failed(msg);
		goto out;
	}
	for (i = 0; i < argc; i++) {
		if (lb_nl_put_backend(msg, &bes[i], 1)) {
			err = build_failed(msg);
			goto out;
		}
	}
	err = send_request(msg);
out:
	free(bes);
	return err;
}

int lbctl_do_backend(const struct lbctl_opts *o)
{
	struct lb_service_key key;
	struct nl_msg *msg;
	struct lb_backend b;
	const char *cmd;
	uint8_t op;
	int argc = o->argc;
	char **argv = o->argv;

	if (argc < 1 || lbctl_matches(argv[0], "help")) {
		backend_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? LBCTL_EXIT_USAGE : 0;
	}
	cmd = argv[0];
	op = verb(cmd, backend_verbs);
	if (!op) {
		lbctl_err("unknown backend command '%s'", cmd);
		backend_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (op == LBIPAM_CMD_BACKEND_REPLACE) {
		if (argc < 2) {
			lbctl_err("backend replace takes a SERVICE and its backends");
			backend_usage(stderr);
			return LBCTL_EXIT_USAGE;
		}
		if (parse_service(argv[1], &key))
			return LBCTL_EXIT_USAGE;
		return backend_replace(&key, argc - 2, argv + 2);
	}
	if (argc < 3 || (op == LBIPAM_CMD_BACKEND_DEL && argc != 3)) {
		lbctl_err("backend %s takes a SERVICE and a BACKEND%s", cmd,
			  op == LBIPAM_CMD_BACKEND_DEL ? "" : " and its options");
		backend_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (parse_service(argv[1], &key) ||
	    parse_backend(argv[2], argc - 3, argv + 3, &key, &b))
		return LBCTL_EXIT_USAGE;

	msg = new_request(op, 0);
	if (!msg)
		return LBCTL_EXIT_FAIL;
	if (lb_nl_put_service(msg, &key, NULL) ||
	    lb_nl_put_backend(msg, &b, op != LBIPAM_CMD_BACKEND_DEL))
		return build_failed(msg);
	return send_request(msg);
}

int lbctl_do_stats(const struct lbctl_opts *o)
{
	struct lb_service_key key;
	int argc = o->argc;
	char **argv = o->argv;

	int r;

	if (argc == 1 && lbctl_matches(argv[0], "help")) {
		printf("Usage: lbctl [-N NETNS] [-j] stats [ SERVICE | ADDRESS ]\n"
		       "ADDRESS: an announced address's L2 counters (answers, announces)\n");
		return 0;
	}
	if (argc > 1) {
		lbctl_err("stats takes at most one SERVICE or ADDRESS");
		return LBCTL_EXIT_USAGE;
	}
	/* A bare address is not a service: its L2 announcements. */
	if (argc == 1) {
		r = lbctl_l2_stats(argv[0], o->fmt == LBCTL_FMT_JSON);
		if (r >= 0)
			return r;
	}
	if (argc == 1 && parse_service(argv[0], &key))
		return LBCTL_EXIT_USAGE;
	return show(argc ? &key : NULL, LBCTL_SHOW_STATS,
		    o->fmt == LBCTL_FMT_JSON);
}

int lbctl_do_flush(const struct lbctl_opts *o)
{
	struct nl_msg *msg;

	if (o->argc == 1 && lbctl_matches(o->argv[0], "help")) {
		printf("Usage: lbctl [-N NETNS] flush\n");
		return 0;
	}
	if (o->argc) {
		lbctl_err("flush takes no arguments");
		return LBCTL_EXIT_USAGE;
	}
	msg = new_request(LBIPAM_CMD_FLUSH, 0);
	if (!msg)
		return LBCTL_EXIT_FAIL;
	return send_request(msg);
}
