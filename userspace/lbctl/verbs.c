// SPDX-License-Identifier: GPL-2.0
/*
 * lbctl's daemon verbs, kubectl-like: apply, delete, get, describe. The
 * daemon owns all state; these check the words, ask, and format.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lbctl.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		lbctl_err("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t r;

		if (cap - n < 65536) {
			char *nb = realloc(buf, cap ? 2 * cap : 65536);

			if (!nb) {
				free(buf);
				buf = NULL;
				lbctl_err("out of memory");
				break;
			}
			buf = nb;
			cap = cap ? 2 * cap : 65536;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (buf && ferror(f)) {
		lbctl_err("reading '%s': %s", path, strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Splits "ns/name"; a bare name takes ns (or "default"). */
static void split_name(char *arg, const char *ns, const char **out_ns,
		       const char **out_name)
{
	char *slash = strchr(arg, '/');

	if (slash) {
		*slash = '\0';
		*out_ns = arg;
		*out_name = slash + 1;
	} else {
		*out_ns = ns ? ns : "default";
		*out_name = arg;
	}
}

/* What a kube verb's words name: a kind of object, or "status". */
enum resource {
	RES_POOL = LB_KIND_POOL,
	RES_SERVICE = LB_KIND_SERVICE,
	RES_ENDPOINTSLICE = LB_KIND_ENDPOINTSLICE,
	RES_L2POLICY = LB_KIND_L2POLICY,
	RES_NODE = LB_KIND_NODE,
	RES_BGP_CLUSTER = LB_KIND_BGP_CLUSTER,
	RES_BGP_PEER = LB_KIND_BGP_PEER,
	RES_BGP_ADVERT = LB_KIND_BGP_ADVERT,
	RES_STATUS,
	RES_EVENTS,
	RES_NONE,
};

static enum resource resource(const char *s)
{
	enum lb_kind k;

	if (!strcmp(s, "status"))
		return RES_STATUS;
	if (!strcmp(s, "events") || !strcmp(s, "event") || !strcmp(s, "ev"))
		return RES_EVENTS;
	return lb_kind_parse_alias(s, &k) ? RES_NONE : (enum resource)k;
}

/* The daemon's word for a kind, in requests (lib/lbipamd_proto.h). */
static const char *request_kind(enum resource r)
{
	switch (r) {
	case RES_POOL:
		return "ippool";
	case RES_SERVICE:
		return "service";
	case RES_L2POLICY:
		return "l2announcementpolicy";
	case RES_NODE:
		return "node";
	case RES_BGP_CLUSTER:
	case RES_BGP_PEER:
	case RES_BGP_ADVERT:
		return lb_kind_resource((enum lb_kind)r);
	default:
		return "endpointslice";
	}
}

/* A request about one object, "[NS/]NAME" with -n's namespace or default. */
static json_t *ask_about(const struct lbctl_opts *o, const char *op,
			 enum resource res, char *arg, int *rc)
{
	const char *ns, *name;

	split_name(arg, o->ns, &ns, &name);
	if (!lb_kind_namespaced((enum lb_kind)res))
		ns = "";
	return lbctl_request(o, json_pack("{s:s, s:s, s:s, s:s}", "op", op,
					  "kind", request_kind(res),
					  "namespace", ns, "name", name), rc);
}

/* ------------------------------------------------------- apply/delete --- */

static int print_results(const struct lbctl_opts *o, json_t *resp)
{
	json_t *r;
	size_t i;

	if (o->fmt == LBCTL_FMT_JSON)
		return lbctl_print_json(json_incref(json_object_get(resp,
								    "results")));
	json_array_foreach(json_object_get(resp, "results"), i, r) {
		if (!strcmp(lbctl_str(r, "action"), "deleted"))
			printf("%s \"%s\" deleted\n", lbctl_str(r, "resource"),
			       lbctl_str(r, "name"));
		else
			printf("%s/%s %s\n", lbctl_str(r, "resource"),
			       lbctl_str(r, "name"), lbctl_str(r, "action"));
	}
	return 0;
}

/* The YAML of -f, applied or deleted as one all-or-nothing request. */
static int send_file(const struct lbctl_opts *o, const char *op)
{
	json_t *req, *resp;
	size_t len;
	char *buf;
	int rc;

	buf = read_file(o->file, &len);
	if (!buf)
		return LBCTL_EXIT_FAIL;
	req = json_pack("{s:s, s:s, s:s%}", "op", op, "file",
			strcmp(o->file, "-") ? o->file : "<stdin>", "yaml",
			buf, len);
	free(buf);
	if (!req) {
		lbctl_err("%s: not valid UTF-8 text", o->file);
		return LBCTL_EXIT_FAIL;
	}
	resp = lbctl_request(o, req, &rc);
	if (!resp)
		return rc;
	rc = print_results(o, resp);
	json_decref(resp);
	return rc;
}

static bool is_help(const struct lbctl_opts *o)
{
	return o->argc >= 1 && !strcmp(o->argv[0], "help");
}

int lbctl_do_apply(const struct lbctl_opts *o)
{
	if (is_help(o)) {
		printf("Usage: lbctl apply -f FILE|- [--socket PATH] [-o json]\n");
		return 0;
	}
	if (!o->file || o->argc) {
		lbctl_err("Usage: lbctl apply -f FILE|-");
		return LBCTL_EXIT_USAGE;
	}
	return send_file(o, "apply");
}

int lbctl_do_delete(const struct lbctl_opts *o)
{
	enum resource res;
	json_t *resp;
	int rc;

	if (is_help(o)) {
		printf("Usage: lbctl delete -f FILE|-\n"
		       "       lbctl delete ippool NAME\n"
		       "       lbctl delete service [NS/]NAME [-n NS]\n"
		       "       lbctl delete endpointslice [NS/]NAME [-n NS]\n"
		       "       lbctl delete l2announcementpolicy NAME\n"
		       "       lbctl delete node NAME\n"
		       "       lbctl delete bgpclusterconfig|bgppeerconfig|bgpadvertisement NAME\n");
		return 0;
	}
	if (o->file) {
		if (o->argc || (o->given & LBCTL_OPT_NAMESPACE)) {
			lbctl_err("delete: -f takes no resource names and no -n (the file names them)");
			return LBCTL_EXIT_USAGE;
		}
		return send_file(o, "delete");
	}
	res = o->argc == 2 ? resource(o->argv[0]) : RES_NONE;
	if (res == RES_NONE || res == RES_STATUS || res == RES_EVENTS) {
		lbctl_err("Usage: lbctl delete -f FILE | ippool NAME | service [NS/]NAME | l2announcementpolicy NAME | node NAME | bgpclusterconfig|bgppeerconfig|bgpadvertisement NAME");
		return LBCTL_EXIT_USAGE;
	}
	resp = ask_about(o, "delete", res, o->argv[1], &rc);
	if (!resp)
		return rc;
	rc = print_results(o, resp);
	json_decref(resp);
	return rc;
}

/* ---------------------------------------------------------------- get --- */

/* -o yaml/json: one object, or a List like kubectl. */
static int print_objects(json_t *items, bool single, enum lbctl_format fmt)
{
	json_t *objs = json_array(), *it, *doc;
	size_t i;
	int rc;

	json_array_foreach(items, i, it)
		json_array_append(objs, json_object_get(it, "object"));
	if (single && json_array_size(objs) == 1)
		doc = json_incref(json_array_get(objs, 0));
	else
		doc = json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1",
				"items", objs, "kind", "List", "metadata",
				"resourceVersion", "");
	json_decref(objs);
	if (fmt == LBCTL_FMT_JSON)
		return lbctl_print_json(doc);
	rc = lbctl_print_yaml(doc);
	json_decref(doc);
	return rc;
}

static json_t *filter_name(json_t *items, const char *name)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(items, i, it)
		if (!name || !strcmp(lbctl_str(it, "name"), name))
			json_array_append(out, it);
	return out;
}

/* Cluster mode: the leader, this node and each etcd endpoint. */
static void print_cluster_status(json_t *c)
{
	json_t *ep;
	size_t i;

	if (!c)
		return;
	printf("cluster:   node %s, leader %s%s (etcd prefix %s, lease TTL %lld s)\n",
	       lbctl_str(c, "node"),
	       *lbctl_str(c, "leader") ? lbctl_str(c, "leader") : "<none>",
	       json_is_true(json_object_get(c, "isLeader")) ? " (this node)" :
							      "",
	       lbctl_str(c, "prefix"),
	       (long long)json_integer_value(json_object_get(c, "leaseTTL")));
	json_array_foreach(json_object_get(c, "endpoints"), i, ep) {
		if (json_is_true(json_object_get(ep, "healthy")))
			printf("etcd:      %s healthy (%s%s)\n",
			       lbctl_str(ep, "endpoint"),
			       lbctl_str(ep, "version"),
			       json_is_true(json_object_get(ep, "raftLeader")) ?
			       ", raft leader" : "");
		else
			printf("etcd:      %s unhealthy (%s)\n",
			       lbctl_str(ep, "endpoint"),
			       lbctl_str(ep, "error"));
	}
}

/* The daemon's effective configuration, one "key: value" a line. */
static void print_config(json_t *cfg)
{
	const char *key;
	json_t *v, *x;
	size_t i;

	printf("config:\n");
	json_object_foreach(cfg, key, v) {
		printf("  %s:%*s", key, (int)(26 - strlen(key)), "");
		if (json_is_array(v)) {
			json_array_foreach(v, i, x)
				printf("%s%s", i ? "," : "", json_string_value(x));
		} else if (json_is_boolean(v)) {
			printf("%s", json_is_true(v) ? "true" : "false");
		} else {
			printf("%s", json_string_value(v) ? json_string_value(v) : "");
		}
		printf("\n");
	}
}

/* Like kubectl get events: one namespace (default) or, with -A, all. */
static int get_events(const struct lbctl_opts *o)
{
	const char *ns = o->ns ? o->ns : "default";
	json_t *req, *resp, *items;
	int rc;

	if (o->argc != 1) {
		lbctl_err("Usage: lbctl get events [-A | -n NS] [-o wide|yaml|json]");
		return LBCTL_EXIT_USAGE;
	}
	req = json_pack("{s:s, s:s}", "op", "get", "kind", "events");
	if (!o->all_ns)
		json_object_set_new(req, "namespace", json_string(ns));
	resp = lbctl_request(o, req, &rc);
	if (!resp)
		return rc;
	items = json_incref(json_object_get(resp, "items"));
	json_decref(resp);
	if (o->fmt == LBCTL_FMT_YAML || o->fmt == LBCTL_FMT_JSON)
		rc = print_objects(items, false, o->fmt);
	else
		lbctl_events_table(items, o->all_ns, ns,
				   o->fmt == LBCTL_FMT_WIDE);
	json_decref(items);
	return rc;
}

static int get_status(const struct lbctl_opts *o)
{
	json_t *resp, *k;
	int rc;

	resp = lbctl_request(o, json_pack("{s:s}", "op", "status"), &rc);
	if (!resp)
		return rc;
	json_object_del(resp, "ok");
	if (o->fmt == LBCTL_FMT_JSON)
		return lbctl_print_json(resp);
	if (o->fmt == LBCTL_FMT_YAML) {
		rc = lbctl_print_yaml(resp);
		json_decref(resp);
		return rc;
	}
	k = json_object_get(resp, "kernel");
	printf("lbipamd %s\n", lbctl_str(resp, "version"));
	printf("pools:     %lld\n",
	       (long long)json_integer_value(json_object_get(resp, "pools")));
	printf("services:  %lld\n",
	       (long long)json_integer_value(json_object_get(resp, "services")));
	printf("kernel:    %s (%s)\n", lbctl_str(k, "state"),
	       lbctl_str(k, "message"));
	k = json_object_get(resp, "l2");
	if (k)
		printf("l2:        node %s, %s (%s)\n", lbctl_str(k, "node"),
		       lbctl_str(k, "state"), lbctl_str(k, "message"));
	k = json_object_get(resp, "bgp");
	if (k && strcmp(lbctl_str(k, "state"), "off"))
		printf("bgp:       BIRD %s, %s (%s)\n", lbctl_str(k, "socket"),
		       lbctl_str(k, "state"), lbctl_str(k, "message"));
	k = json_object_get(resp, "config");
	if (k)
		print_config(k);
	print_cluster_status(json_object_get(resp, "cluster"));
	json_decref(resp);
	return 0;
}

static void get_usage(FILE *f)
{
	fprintf(f,
		"Usage: lbctl get ippools [NAME] [-o wide|yaml|json]\n"
		"       lbctl get services [NAME] [-A | -n NS] [-o wide|yaml|json]\n"
		"       lbctl get l2announcementpolicies [NAME] [-o wide|yaml|json]\n"
		"       lbctl get nodes [NAME] [-o wide|yaml|json]\n"
		"       lbctl get bgpclusterconfigs|bgppeerconfigs|bgpadvertisements [NAME]\n"
		"                 [-o wide|yaml|json]\n"
		"       lbctl get events [-A | -n NS] [-o wide|yaml|json]\n"
		"       lbctl get bgp peers|routes [-o wide|yaml|json]\n"
		"       lbctl get status [-o yaml|json]\n");
}

int lbctl_do_get(const struct lbctl_opts *o)
{
	enum resource res = RES_NONE;
	const char *name;
	json_t *req, *resp, *items;
	int rc;

	if (is_help(o)) {
		get_usage(stdout);
		return 0;
	}
	if (o->argc >= 1 && !strcmp(o->argv[0], "bgp"))
		return lbctl_get_bgp(o);
	if (o->argc >= 1 && o->argc <= 2)
		res = resource(o->argv[0]);
	if (res == RES_NONE || res == RES_ENDPOINTSLICE) {
		lbctl_err("Usage: lbctl get ippools|services|l2announcementpolicies|nodes|bgpclusterconfigs|bgppeerconfigs|bgpadvertisements|events|status [NAME] [-A] [-n NS] [-o wide|yaml|json]");
		return LBCTL_EXIT_USAGE;
	}
	if (res == RES_STATUS)
		return get_status(o);
	if (res == RES_EVENTS)
		return get_events(o);
	name = o->argc == 2 ? o->argv[1] : NULL;
	req = json_pack("{s:s, s:s}", "op", "get", "kind",
			lb_kind_resource((enum lb_kind)res));
	if (res == RES_SERVICE && !o->all_ns)
		json_object_set_new(req, "namespace",
				    json_string(o->ns ? o->ns : "default"));
	resp = lbctl_request(o, req, &rc);
	if (!resp)
		return rc;
	items = filter_name(json_object_get(resp, "items"), name);
	json_decref(resp);
	if (name && !json_array_size(items)) {
		lbctl_err("error: %s \"%s\" not found",
			  lb_kind_full_resource((enum lb_kind)res), name);
		json_decref(items);
		return LBCTL_EXIT_FAIL;
	}
	if (o->fmt == LBCTL_FMT_YAML || o->fmt == LBCTL_FMT_JSON)
		rc = print_objects(items, name != NULL, o->fmt);
	else if (res == RES_POOL)
		lbctl_pools_table(items, o->fmt == LBCTL_FMT_WIDE);
	else if (res == RES_L2POLICY)
		lbctl_l2policies_table(items, o->fmt == LBCTL_FMT_WIDE);
	else if (res == RES_NODE)
		lbctl_nodes_table(items, o->fmt == LBCTL_FMT_WIDE);
	else if (res >= RES_BGP_CLUSTER && res <= RES_BGP_ADVERT)
		lbctl_bgp_objects_table(items, o->fmt == LBCTL_FMT_WIDE);
	else
		lbctl_services_table(items, o->fmt == LBCTL_FMT_WIDE);
	json_decref(items);
	return rc;
}

/* ----------------------------------------------------------- describe --- */

int lbctl_do_describe(const struct lbctl_opts *o)
{
	enum resource res = RES_NONE;
	json_t *resp, *item;
	int rc;

	if (is_help(o)) {
		printf("Usage: lbctl describe ippool NAME\n"
		       "       lbctl describe service [NS/]NAME [-n NS]\n"
		       "       lbctl describe l2announcementpolicy NAME\n"
		       "       lbctl describe node NAME\n"
		       "       lbctl describe bgpclusterconfig|bgppeerconfig|bgpadvertisement NAME\n");
		return 0;
	}
	if (o->argc == 2)
		res = resource(o->argv[0]);
	if (res == RES_NONE || res == RES_STATUS || res == RES_EVENTS || res == RES_ENDPOINTSLICE) {
		lbctl_err("Usage: lbctl describe ippool NAME | service [NS/]NAME | l2announcementpolicy NAME | node NAME | bgpclusterconfig|bgppeerconfig|bgpadvertisement NAME");
		return LBCTL_EXIT_USAGE;
	}
	resp = ask_about(o, "describe", res, o->argv[1], &rc);
	if (!resp)
		return rc;
	item = json_object_get(resp, "item");
	if (o->fmt == LBCTL_FMT_JSON)
		rc = lbctl_print_json(json_incref(item));
	else if (o->fmt == LBCTL_FMT_YAML)
		rc = lbctl_print_yaml(item);
	else if (res == RES_POOL)
		lbctl_describe_pool(item);
	else if (res == RES_L2POLICY)
		lbctl_describe_l2policy(item);
	else if (res == RES_NODE)
		lbctl_describe_node(item);
	else if (res >= RES_BGP_CLUSTER && res <= RES_BGP_ADVERT)
		lbctl_describe_bgp_object(item);
	else
		lbctl_describe_service(item);
	if (o->fmt != LBCTL_FMT_JSON && o->fmt != LBCTL_FMT_YAML)
		lbctl_describe_events(json_object_get(item, "events"));
	json_decref(resp);
	return rc;
}
