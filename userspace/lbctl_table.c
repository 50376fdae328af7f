// SPDX-License-Identifier: GPL-2.0
/* lbctl's "service" and "backend" objects: the kernel's table. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <netlink/genl/genl.h>
#include <linux/lbipam.h>
#include "lbctl.h"

/* A dump may race with writers; the kernel flags that and we start over. */
#define LBCTL_DUMP_RETRIES	8

static void lbctl_service_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl service { add | del | show } SERVICE\n"
		"       lbctl service list\n"
		"SERVICE := ADDRESS:PORT/PROTO\n"
		"ADDRESS := { IPV4 | [IPV6] }   PORT := 1-65535   PROTO := { tcp | udp }\n");
}

static void lbctl_backend_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl backend { add | del } SERVICE BACKEND\n"
		"SERVICE := ADDRESS:PORT/PROTO   BACKEND := ADDRESS:PORT\n"
		"ADDRESS := { IPV4 | [IPV6] }   PORT := 1-65535   PROTO := { tcp | udp }\n");
}

static int lbctl_parse_service(const char *s, struct lb_service_key *key)
{
	char err[256];

	if (lb_parse_service(s, key, err, sizeof(err))) {
		fprintf(stderr, "lbctl: %s\n", err);
		return -1;
	}
	return 0;
}

static int lbctl_parse_backend(const char *s, struct lb_endpoint *ep)
{
	char err[256];

	if (lb_parse_endpoint(s, ep, err, sizeof(err))) {
		fprintf(stderr, "lbctl: backend %s\n", err);
		return -1;
	}
	return 0;
}

/* Builds, sends and reports one request; the exit code for main(). */
static int lbctl_send(uint8_t cmd, const struct lb_service_key *key,
		      const struct lb_endpoint *be, lb_nl_reply_fn fn,
		      void *arg)
{
	struct nl_msg *msg;
	struct lb_nl nl;
	int err;

	if (lbctl_open(&nl))
		return LBCTL_EXIT_FAIL;
	msg = lb_nl_msg(&nl, cmd, 0);
	if (!msg || lb_nl_put_service(msg, key) ||
	    (be && lb_nl_put_backend(msg, be))) {
		nlmsg_free(msg);
		lb_nl_close(&nl);
		fprintf(stderr, "lbctl: cannot build the request\n");
		return LBCTL_EXIT_FAIL;
	}
	err = lb_nl_request(&nl, msg, fn, arg);
	if (err)
		err = lbctl_fail(&nl, err);
	lb_nl_close(&nl);
	return err;
}

/* Services as read back, merged across continuation messages. */
struct lbctl_svcs {
	struct lb_svc_reply *v;
	size_t n, cap;
};

static void lbctl_svcs_free(struct lbctl_svcs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].backends);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int lbctl_same_key(const struct lb_service_key *a,
			  const struct lb_service_key *b)
{
	return a->proto == b->proto && a->ep.port == b->ep.port &&
	       a->ep.family == b->ep.family &&
	       !memcmp(&a->ep.addr, &b->ep.addr,
		       a->ep.family == AF_INET6 ? sizeof(a->ep.addr.v6) :
						  sizeof(a->ep.addr.v4));
}

static int lbctl_collect(struct nlmsghdr *nlh, void *arg)
{
	struct lbctl_svcs *s = arg;
	struct lb_svc_reply r, *last;

	if (lb_nl_parse_service(nlh, &r))
		return -EBADMSG;

	last = s->n ? &s->v[s->n - 1] : NULL;
	if (last && lbctl_same_key(&last->key, &r.key)) {
		struct lb_endpoint *nb = last->backends;

		if (r.nbackends) {
			nb = realloc(nb, (last->nbackends + r.nbackends) *
					 sizeof(*nb));
			if (!nb) {
				free(r.backends);
				return -ENOMEM;
			}
			memcpy(nb + last->nbackends, r.backends,
			       r.nbackends * sizeof(*nb));
		}
		last->backends = nb;
		last->nbackends += r.nbackends;
		free(r.backends);
		return 0;
	}
	if (s->n == s->cap) {
		struct lb_svc_reply *nv;
		size_t cap = s->cap ? 2 * s->cap : 64;

		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv) {
			free(r.backends);
			return -ENOMEM;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = r;
	return 0;
}

static json_t *lbctl_endpoint_json(const struct lb_endpoint *ep)
{
	char a[INET6_ADDRSTRLEN];

	return json_pack("{s:s, s:i}", "address",
			 lb_addr_str(ep, a, sizeof(a)), "port", ep->port);
}

static json_t *lbctl_service_json(const struct lb_svc_reply *r)
{
	json_t *o = lbctl_endpoint_json(&r->key.ep);
	json_t *bes = json_array();
	size_t j;

	json_object_set_new(o, "protocol",
			    json_string(lb_proto_name(r->key.proto)));
	for (j = 0; j < r->nbackends; j++)
		json_array_append_new(bes, lbctl_endpoint_json(&r->backends[j]));
	json_object_set_new(o, "backends", bes);
	return o;
}

static int lbctl_print_services(const struct lbctl_svcs *s)
{
	char buf[LB_SERVICE_STRLEN];
	json_t *arr = NULL;
	size_t i, j;

	if (lbctl_json)
		arr = json_array();
	for (i = 0; i < s->n; i++) {
		const struct lb_svc_reply *r = &s->v[i];

		if (!lbctl_json) {
			printf("%s\n", lb_service_str(&r->key, buf, sizeof(buf)));
			for (j = 0; j < r->nbackends; j++)
				printf("  -> %s\n",
				       lb_endpoint_str(&r->backends[j], buf,
						       sizeof(buf)));
			continue;
		}
		json_array_append_new(arr, lbctl_service_json(r));
	}
	if (lbctl_json) {
		char *out = json_dumps(arr, JSON_PRESERVE_ORDER);

		json_decref(arr);
		if (!out) {
			fprintf(stderr, "lbctl: out of memory\n");
			return LBCTL_EXIT_FAIL;
		}
		printf("%s\n", out);
		free(out);
	}
	return 0;
}

static int lbctl_service_list(void)
{
	struct lbctl_svcs s = { 0 };
	struct lb_nl nl;
	int err = 0, i;

	if (lbctl_open(&nl))
		return LBCTL_EXIT_FAIL;
	for (i = 0; i < LBCTL_DUMP_RETRIES; i++) {
		struct nl_msg *msg = lb_nl_msg(&nl, LBIPAM_CMD_SERVICE_GET,
					       NLM_F_DUMP);

		if (!msg) {
			err = -ENOMEM;
			break;
		}
		lbctl_svcs_free(&s);
		err = lb_nl_request(&nl, msg, lbctl_collect, &s);
		if (err != -EAGAIN)
			break;
	}
	if (err)
		err = lbctl_fail(&nl, err);
	else
		err = lbctl_print_services(&s);
	lbctl_svcs_free(&s);
	lb_nl_close(&nl);
	return err;
}

int lbctl_do_service(int argc, char **argv)
{
	struct lbctl_svcs s = { 0 };
	struct lb_service_key key;
	const char *cmd;
	int err;

	if (argc < 1 || lbctl_matches(argv[0], "list") ||
	    !strcmp(argv[0], "ls")) {
		if (argc > 1) {
			fprintf(stderr, "lbctl: service list takes no arguments\n");
			return LBCTL_EXIT_USAGE;
		}
		return lbctl_service_list();
	}
	cmd = argv[0];
	if (lbctl_matches(cmd, "help")) {
		lbctl_service_usage(stdout);
		return 0;
	}
	if (!lbctl_matches(cmd, "add") && !lbctl_matches(cmd, "delete") &&
	    !lbctl_matches(cmd, "show")) {
		fprintf(stderr, "lbctl: unknown service command '%s'\n", cmd);
		lbctl_service_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (argc != 2) {
		fprintf(stderr, "lbctl: service %s takes exactly one SERVICE\n",
			cmd);
		lbctl_service_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (lbctl_parse_service(argv[1], &key))
		return LBCTL_EXIT_USAGE;

	if (lbctl_matches(cmd, "add"))
		return lbctl_send(LBIPAM_CMD_SERVICE_NEW, &key, NULL, NULL,
				  NULL);
	if (lbctl_matches(cmd, "delete"))
		return lbctl_send(LBIPAM_CMD_SERVICE_DEL, &key, NULL, NULL,
				  NULL);

	err = lbctl_send(LBIPAM_CMD_SERVICE_GET, &key, NULL, lbctl_collect,
			 &s);
	if (!err)
		err = lbctl_print_services(&s);
	lbctl_svcs_free(&s);
	return err;
}

int lbctl_do_backend(int argc, char **argv)
{
	struct lb_service_key key;
	struct lb_endpoint be;
	const char *cmd;
	uint8_t op;

	if (argc < 1 || lbctl_matches(argv[0], "help")) {
		lbctl_backend_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? LBCTL_EXIT_USAGE : 0;
	}
	cmd = argv[0];
	if (lbctl_matches(cmd, "add")) {
		op = LBIPAM_CMD_BACKEND_NEW;
	} else if (lbctl_matches(cmd, "delete")) {
		op = LBIPAM_CMD_BACKEND_DEL;
	} else {
		fprintf(stderr, "lbctl: unknown backend command '%s'\n", cmd);
		lbctl_backend_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (argc != 3) {
		fprintf(stderr,
			"lbctl: backend %s takes a SERVICE and a BACKEND\n", cmd);
		lbctl_backend_usage(stderr);
		return LBCTL_EXIT_USAGE;
	}
	if (lbctl_parse_service(argv[1], &key) ||
	    lbctl_parse_backend(argv[2], &be))
		return LBCTL_EXIT_USAGE;
	if (be.family != key.ep.family) {
		fprintf(stderr,
			"lbctl: backend %s and service %s are of different address families\n",
			argv[2], argv[1]);
		return LBCTL_EXIT_USAGE;
	}
	return lbctl_send(op, &key, &be, NULL, NULL);
}
