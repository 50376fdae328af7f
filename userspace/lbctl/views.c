// SPDX-License-Identifier: GPL-2.0
/*
 * kubectl's views of lbipamd's objects: the tables of "get" and the pages
 * of "describe", from the daemon's JSON (lib/lbipamd_proto.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lbctl.h"

static json_t *find_cond(json_t *conds, const char *type)
{
	json_t *c;
	size_t i;

	json_array_foreach(conds, i, c)
		if (!strcmp(lbctl_str(c, "type"), type))
			return c;
	return NULL;
}

static void join_list(json_t *arr, const char *field, char *buf, size_t len)
{
	json_t *v;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(arr, i, v) {
		const char *s = field ? lbctl_str(v, field) :
				json_string_value(v);

		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      i ? "," : "", s ? s : "");
	}
}

static void port_list(json_t *ports, char *buf, size_t len)
{
	json_t *p;
	size_t i, n = 0;

	buf[0] = '\0';
	json_array_foreach(ports, i, p) {
		json_t *np = json_object_get(p, "nodePort");
		char node[16] = "";

		if (json_is_integer(np))
			snprintf(node, sizeof(node), ":%lld",
				 (long long)json_integer_value(np));
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
				      "%s%lld%s/%s", i ? "," : "",
				      (long long)json_integer_value(
					      json_object_get(p, "port")),
				      node, lbctl_str(p, "protocol"));
	}
	if (!n)
		snprintf(buf, len, "<none>");
}

static void selector_str(json_t *sel, char *buf, size_t len)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	buf[0] = '\0';
	json_object_foreach(sel, k, v) {
		const char *s = json_string_value(v);

		n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
				      "%s%s=%s", n ? "," : "", k, s ? s : "");
	}
	if (!n)
		snprintf(buf, len, "<none>");
}

static void external_ips(json_t *svc, char *buf, size_t len)
{
	json_t *ips = json_object_get(svc, "ips");

	if (json_array_size(ips))
		join_list(ips, NULL, buf, len);
	else if (!strcmp(lbctl_str(svc, "type"), "LoadBalancer"))
		snprintf(buf, len, "<pending>");
	else
		snprintf(buf, len, "<none>");
}

void lbctl_pools_table(json_t *items, bool wide)
{
	struct lbctl_table t = { .ncols = wide ? 9 : 5 };
	json_t *p;
	size_t i;

	if (wide)
		lbctl_table_row(&t, "NAME", "DISABLED", "CONFLICTING",
			  "IPS AVAILABLE", "AGE", "IPS USED", "IPS TOTAL",
				"PRIORITY", "BLOCKS");
	else
		lbctl_table_row(&t, "NAME", "DISABLED", "CONFLICTING",
			  "IPS AVAILABLE", "AGE");
	json_array_foreach(items, i, p) {
		json_t *counts = json_object_get(p, "counts");
		json_t *conds = json_object_get(p, "conditions");
		json_t *conflict = find_cond(conds, "cilium.io/PoolConflict");
		json_t *avail = find_cond(conds, "cilium.io/IPsAvailable");
		char age[32], prio[32], blocks[1024];

		lbctl_human_age(json_object_get(p, "created"), age, sizeof(age));
		snprintf(prio, sizeof(prio), "%lld", (long long)
			 json_integer_value(json_object_get(p, "priority")));
		join_list(json_object_get(p, "blocks"), "spec", blocks,
			  sizeof(blocks));
		/* As Cilium's printer columns: straight from the conditions. */
		lbctl_table_row(&t, lbctl_str(p, "name"),
			  json_is_true(json_object_get(p, "disabled")) ?
				"true" : "false",
				conflict ? lbctl_str(conflict, "status") :
				json_is_true(json_object_get(p, "conflicting")) ?
				"True" : "False",
				avail ? lbctl_str(avail, "message") :
				lbctl_str(counts, "available"), age,
				lbctl_str(counts, "used"),
				lbctl_str(counts, "total"), prio, blocks);
	}
	lbctl_table_print(&t, 0);
}

void lbctl_services_table(json_t *items, bool wide)
{
	struct lbctl_table t = { .ncols = wide ? 8 : 7 };
	json_t *s;
	size_t i;

	if (wide)
		lbctl_table_row(&t, "NAMESPACE", "NAME", "TYPE", "CLUSTER-IP",
			  "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR");
	else
		lbctl_table_row(&t, "NAMESPACE", "NAME", "TYPE", "CLUSTER-IP",
			  "EXTERNAL-IP", "PORT(S)", "AGE");
	json_array_foreach(items, i, s) {
		char ext[1024], ports[1024], age[32], sel[1024];
		const char *cip = json_string_value(json_array_get(
					json_object_get(s, "clusterIPs"), 0));

		external_ips(s, ext, sizeof(ext));
		port_list(json_object_get(s, "ports"), ports, sizeof(ports));
		lbctl_human_age(json_object_get(s, "created"), age, sizeof(age));
		selector_str(json_object_get(s, "selector"), sel, sizeof(sel));
		lbctl_table_row(&t, lbctl_str(s, "namespace"), lbctl_str(s, "name"),
			  lbctl_str(s, "type"), cip ? cip : "<none>", ext,
				ports, age, sel);
	}
	if (t.nrows == 1) {
		for (i = 0; i < t.ncols; i++)
			free(t.cells[i]);
		free(t.cells);
		fprintf(stderr, "No resources found.\n");
		return;
	}
	lbctl_table_print(&t, 0);
}

/* ----------------------------------------------------------- describe --- */

void lbctl_describe_conditions(json_t *conds)
{
	struct lbctl_table t = { .ncols = 5 };
	json_t *c;
	size_t i;

	printf("Conditions:\n");
	if (!json_array_size(conds)) {
		printf("  <none>\n");
		return;
	}
	/* The columns of kubectl describe node, heartbeat aside. */
	lbctl_table_row(&t, "Type", "Status", "LastTransitionTime", "Reason",
		  "Message");
	lbctl_table_row(&t, "----", "------", "------------------", "------",
		  "-------");
	json_array_foreach(conds, i, c) {
		char when[64];

		lbctl_rfc3339_human(lbctl_str(c, "lastTransitionTime"), when,
			      sizeof(when));
		lbctl_table_row(&t, lbctl_str(c, "type"), lbctl_str(c, "status"),
			  when, lbctl_str(c, "reason"),
			  lbctl_str(c, "message"));
	}
	lbctl_table_print(&t, 2);
}

void lbctl_created_time(json_t *created, char *buf, size_t len)
{
	time_t t = (time_t)json_integer_value(created);
	struct tm tm;
	char age[32];

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	lbctl_human_age(created, age, sizeof(age));
	snprintf(buf + strlen(buf), len - strlen(buf), " (%s ago)", age);
}

void lbctl_describe_pool(json_t *p)
{
	json_t *c = json_object_get(p, "counts"), *b, *ip;
	struct lbctl_table t = { .ncols = 3 };
	char when[128];
	size_t i;

	lbctl_created_time(json_object_get(p, "created"), when, sizeof(when));
	printf("Name:                  %s\n", lbctl_str(p, "name"));
	printf("API Version:           %s\n",
	       lbctl_str(json_object_get(p, "object"), "apiVersion"));
	printf("Kind:                  CiliumLoadBalancerIPPool\n");
	printf("Creation Timestamp:    %s\n", when);
	printf("Disabled:              %s\n",
	       json_is_true(json_object_get(p, "disabled")) ? "true" : "false");
	printf("Conflicting:           %s\n",
	       json_is_true(json_object_get(p, "conflicting")) ? "True" : "False");
	printf("Allow First Last IPs:  %s\n",
	       json_is_true(json_object_get(p, "allowFirstLastIPs")) ?
	       "Yes" : "No");
	printf("Priority:              %lld\n",
	       (long long)json_integer_value(json_object_get(p, "priority")));
	printf("IPs:                   total %s, used %s, available %s, reserved %s\n",
	       lbctl_str(c, "total"), lbctl_str(c, "used"), lbctl_str(c, "available"),
	       lbctl_str(c, "reserved"));
	printf("Blocks:\n");
	json_array_foreach(json_object_get(p, "blocks"), i, b)
		printf("  %-32s %s%s%s\n", lbctl_str(b, "spec"),
		       *lbctl_str(b, "range") ? lbctl_str(b, "range") : "-",
		       json_is_true(json_object_get(b, "valid")) ? "" :
		       "  INVALID: ", lbctl_str(b, "error"));
	lbctl_describe_conditions(json_object_get(p, "conditions"));
	printf("Allocations:\n");
	if (!json_array_size(json_object_get(p, "ips"))) {
		printf("  <none>\n");
		return;
	}
	lbctl_table_row(&t, "IP", "HELD BY", "SHARING KEY");
	json_array_foreach(json_object_get(p, "ips"), i, ip) {
		char holders[2048];
		const char *owner = lbctl_str(ip, "owner");

		if (!strcmp(owner, "service"))
			join_list(json_object_get(ip, "holders"), NULL,
				  holders, sizeof(holders));
		else
			snprintf(holders, sizeof(holders), "<%s>", owner);
		lbctl_table_row(&t, lbctl_str(ip, "ip"), holders,
			  *lbctl_str(ip, "sharingKey") ?
				lbctl_str(ip, "sharingKey") : "-");
	}
	lbctl_table_print(&t, 2);
}

static const char *yes(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key)) ? "true" : "false";
}

static void describe_ports(json_t *ports)
{
	json_t *p;
	size_t i;

	json_array_foreach(ports, i, p) {
		json_t *tp = json_object_get(p, "targetPort");

		printf("Port:                     %s  %lld/%s\n",
		       *lbctl_str(p, "name") ? lbctl_str(p, "name") : "<unset>",
		       (long long)json_integer_value(json_object_get(p, "port")),
		       lbctl_str(p, "protocol"));
		if (json_is_string(tp))
			printf("TargetPort:               %s/%s\n",
			       json_string_value(tp), lbctl_str(p, "protocol"));
		else
			printf("TargetPort:               %lld/%s\n",
			       (long long)json_integer_value(tp),
			       lbctl_str(p, "protocol"));
	}
}

static void describe_endpoints(json_t *eps)
{
	struct lbctl_table t = { .ncols = 6 };
	json_t *e;
	size_t i;

	printf("Endpoints:\n");
	if (!json_array_size(eps)) {
		printf("  <none>\n");
		return;
	}
	lbctl_table_row(&t, "SLICE", "ADDRESS", "READY", "SERVING", "TERMINATING",
		  "NODE");
	json_array_foreach(eps, i, e)
		lbctl_table_row(&t, lbctl_str(e, "slice"), lbctl_str(e, "address"),
			  yes(e, "ready"), yes(e, "serving"),
			  yes(e, "terminating"),
			  *lbctl_str(e, "nodeName") ?
			  lbctl_str(e, "nodeName") : "-");
	lbctl_table_print(&t, 2);
}

/* What the daemon put in the kernel for the Service. */
static void describe_kernel(json_t *ksvcs)
{
	json_t *k, *b;
	size_t i, j;

	printf("Kernel services:\n");
	if (!json_array_size(ksvcs))
		printf("  <none>\n");
	json_array_foreach(ksvcs, i, k) {
		json_int_t aff = json_integer_value(json_object_get(k, "affinity"));
		json_int_t flags = json_integer_value(json_object_get(k, "flags"));

		printf("  %s", lbctl_str(k, "service"));
		if (aff)
			printf(" affinity %llds", (long long)aff);
		if (flags & LBIPAM_SVC_F_LOCAL_ONLY)
			printf(" local-only");
		if (flags & LBIPAM_SVC_F_MASQUERADE)
			printf(" masquerade");
		if (flags & LBIPAM_SVC_F_MASQ_LOCAL)
			printf(" masq-local");
		if (flags & LBIPAM_SVC_F_EXPIRE_NODEST)
			printf(" expire-nodest");
		if (flags & LBIPAM_SVC_F_ONE_PACKET)
			printf(" one-packet");
		printf("\n");
		if (!json_array_size(json_object_get(k, "backends")))
			printf("    (no backends: new connections are refused)\n");
		json_array_foreach(json_object_get(k, "backends"), j, b)
			printf("    -> %s %s%s\n", lbctl_str(b, "address"),
			       lbctl_str(b, "state"),
			       json_is_true(json_object_get(b, "local")) ?
			       " local" : "");
	}
}

void lbctl_describe_service(json_t *s)
{
	json_t *cond = json_object_get(s, "condition"), *conds;
	char buf[2048], when[128];

	lbctl_created_time(json_object_get(s, "created"), when, sizeof(when));
	printf("Name:                     %s\n", lbctl_str(s, "name"));
	printf("Namespace:                %s\n", lbctl_str(s, "namespace"));
	printf("Creation Timestamp:       %s\n", when);
	selector_str(json_object_get(s, "selector"), buf, sizeof(buf));
	printf("Selector:                 %s\n", buf);
	printf("Type:                     %s\n", lbctl_str(s, "type"));
	join_list(json_object_get(s, "clusterIPs"), NULL, buf, sizeof(buf));
	printf("IPs:                      %s\n", *buf ? buf : "<none>");
	external_ips(s, buf, sizeof(buf));
	printf("LoadBalancer Ingress:     %s\n", buf);
	if (*lbctl_str(s, "sharingKey"))
		printf("Sharing Key:              %s\n",
		       lbctl_str(s, "sharingKey"));
	describe_ports(json_object_get(s, "ports"));
	printf("External Traffic Policy:  %s\n",
	       lbctl_str(s, "externalTrafficPolicy"));
	printf("Managed by LB-IPAM:       %s\n",
	       json_is_true(json_object_get(s, "managed")) ? "yes" : "no");
	if (json_is_true(json_object_get(s, "nodeIPAM")))
		printf("Node IPAM:                yes (ingress: the nodes' addresses)\n");
	conds = cond ? json_pack("[O]", cond) : json_array();
	lbctl_describe_conditions(conds);
	json_decref(conds);
	describe_endpoints(json_object_get(s, "endpoints"));
	describe_kernel(json_object_get(s, "kernel"));
	lbctl_describe_l2(json_object_get(s, "l2"));
}

/* ------------------------------------------------- L2 announcements --- */

void lbctl_no_resources(struct lbctl_table *t)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
	fprintf(stderr, "No resources found.\n");
}

static void interfaces_str(json_t *arr, char *buf, size_t len)
{
	join_list(arr, NULL, buf, len);
	if (!*buf)
		snprintf(buf, len, "<all>");
}

void lbctl_l2policies_table(json_t *items, bool wide)
{
	struct lbctl_table t = { .ncols = wide ? 10 : 6 };
	json_t *p;
	size_t i;

	lbctl_table_row(&t, "NAME", "LOADBALANCERIPS", "EXTERNALIPS", "INTERFACES",
		  "SERVICES", "AGE", "SERVICE SELECTOR", "NODE SELECTOR",
		  "THIS NODE", "PROBLEMS");
	json_array_foreach(items, i, p) {
		char ifs[1024], age[32], nsvc[32], probs[1024];

		interfaces_str(json_object_get(p, "interfaces"), ifs,
			       sizeof(ifs));
		lbctl_human_age(json_object_get(p, "created"), age, sizeof(age));
		snprintf(nsvc, sizeof(nsvc), "%zu",
			 json_array_size(json_object_get(p, "services")));
		join_list(json_object_get(p, "conditions"), "type", probs,
			  sizeof(probs));
		lbctl_table_row(&t, lbctl_str(p, "name"), yes(p, "loadBalancerIPs"),
			  yes(p, "externalIPs"), ifs, nsvc, age,
			  lbctl_str(p, "serviceSelector"),
			  lbctl_str(p, "nodeSelector"),
			  json_is_true(json_object_get(p, "selectsNode")) ?
			  "selected" : "not selected", *probs ? probs : "<none>");
	}
	if (t.nrows == 1) {
		lbctl_no_resources(&t);
		return;
	}
	lbctl_table_print(&t, 0);
}

static void labels_str(json_t *labels, char *buf, size_t len)
{
	selector_str(labels, buf, len);
}

/* The node's addresses of one type, comma separated, or "<none>". */
static void node_addrs(json_t *n, const char *type, char *buf, size_t len)
{
	json_t *a;
	size_t i, k = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(n, "addresses"), i, a) {
		if (strcmp(lbctl_str(a, "type"), type) || k >= len)
			continue;
		k += snprintf(buf + k, len - k, "%s%s", k ? "," : "",
			      lbctl_str(a, "address"));
	}
	if (!*buf)
		snprintf(buf, len, "<none>");
}

void lbctl_nodes_table(json_t *items, bool wide)
{
	struct lbctl_table t = { .ncols = wide ? 5 : 2 };
	json_t *n;
	size_t i;

	lbctl_table_row(&t, "NAME", "AGE", "INTERNAL-IP", "EXTERNAL-IP",
			"LABELS");
	json_array_foreach(items, i, n) {
		char age[32], labels[2048], in[512], ex[512];

		lbctl_human_age(json_object_get(n, "created"), age, sizeof(age));
		labels_str(json_object_get(n, "labels"), labels,
			   sizeof(labels));
		node_addrs(n, "InternalIP", in, sizeof(in));
		node_addrs(n, "ExternalIP", ex, sizeof(ex));
		lbctl_table_row(&t, lbctl_str(n, "name"), age, in, ex, labels);
	}
	if (t.nrows == 1) {
		lbctl_no_resources(&t);
		return;
	}
	lbctl_table_print(&t, 0);
}

static void describe_list(const char *title, json_t *arr, const char *none)
{
	json_t *v;
	size_t i;

	printf("%s\n", title);
	if (!json_array_size(arr))
		printf("  %s\n", none);
	json_array_foreach(arr, i, v)
		printf("  %s\n", json_string_value(v));
}

void lbctl_describe_l2policy(json_t *p)
{
	char when[128], ifs[1024];

	lbctl_created_time(json_object_get(p, "created"), when, sizeof(when));
	interfaces_str(json_object_get(p, "interfaces"), ifs, sizeof(ifs));
	printf("Name:                %s\n", lbctl_str(p, "name"));
	printf("API Version:         %s\n",
	       lbctl_str(json_object_get(p, "object"), "apiVersion"));
	printf("Kind:                CiliumL2AnnouncementPolicy\n");
	printf("Creation Timestamp:  %s\n", when);
	printf("Service Selector:    %s\n", lbctl_str(p, "serviceSelector"));
	printf("Node Selector:       %s\n", lbctl_str(p, "nodeSelector"));
	printf("Interfaces:          %s\n", ifs);
	printf("LoadBalancer IPs:    %s\n", yes(p, "loadBalancerIPs"));
	printf("External IPs:        %s\n", yes(p, "externalIPs"));
	printf("This Node:           %s\n",
	       json_is_true(json_object_get(p, "selectsNode")) ?
	       "selected" : "not selected");
	describe_list("Interfaces Matched On This Node:",
		      json_object_get(p, "matchedInterfaces"), "<none>");
	describe_list("Selected Services:", json_object_get(p, "services"),
		      "<none>");
	lbctl_describe_conditions(json_object_get(p, "conditions"));
}

void lbctl_describe_node(json_t *n)
{
	char when[128], labels[2048];
	json_t *a;
	size_t i;

	lbctl_created_time(json_object_get(n, "created"), when, sizeof(when));
	labels_str(json_object_get(n, "labels"), labels, sizeof(labels));
	printf("Name:                %s\n", lbctl_str(n, "name"));
	printf("Creation Timestamp:  %s\n", when);
	printf("Labels:              %s\n", labels);
	printf("Addresses:\n");
	if (!json_array_size(json_object_get(n, "addresses")))
		printf("  <none>\n");
	json_array_foreach(json_object_get(n, "addresses"), i, a)
		printf("  %s:%*s%s\n", lbctl_str(a, "type"),
		       (int)(12 - strlen(lbctl_str(a, "type"))), "",
		       lbctl_str(a, "address"));
	if (json_is_true(json_object_get(n, "self"))) {
		labels_str(json_object_get(n, "effectiveLabels"), labels,
			   sizeof(labels));
		printf("This Node:           yes (lbipamd --node-name)\n");
		printf("Effective Labels:    %s\n", labels);
	}
}

/* describe service: L2 announcement of the Service on this node. */
void lbctl_describe_l2(json_t *l2)
{
	json_t *a;
	size_t i;
	char pols[1024];

	printf("L2 Announcement:\n");
	if (!json_is_object(l2)) {
		printf("  <unknown>\n");
		return;
	}
	join_list(json_object_get(l2, "policies"), NULL, pols, sizeof(pols));
	if (json_is_true(json_object_get(l2, "announced")))
		printf("  Node:      %s\n", lbctl_str(l2, "node"));
	printf("  Status:    %s\n", lbctl_str(l2, "reason"));
	printf("  Policies:  %s\n", *pols ? pols : "<none>");
	if (json_is_object(json_object_get(l2, "kernel")))
		printf("  Kernel:    %s (%s)\n",
		       lbctl_str(json_object_get(l2, "kernel"), "state"),
		       lbctl_str(json_object_get(l2, "kernel"), "message"));
	json_array_foreach(json_object_get(l2, "announcements"), i, a)
		printf("  %s dev %s\n", lbctl_str(a, "address"),
		       lbctl_str(a, "interface"));
}

/* ------------------------------------------------------------ events --- */

/* kubectl's interval: "5s", or "5s (x3 over 2m)" for a folded event. */
static void event_interval(json_t *ev, char *buf, size_t len)
{
	long long count = json_integer_value(json_object_get(ev, "count"));
	char last[32], first[32];

	lbctl_human_age(json_object_get(ev, "lastTimestamp"), last, sizeof(last));
	if (count <= 1) {
		snprintf(buf, len, "%s", last);
		return;
	}
	lbctl_human_age(json_object_get(ev, "firstTimestamp"), first, sizeof(first));
	snprintf(buf, len, "%s (x%lld over %s)", last, count, first);
}

/* kubectl's OBJECT column: lower-case kind, then the name. */
static void event_object(json_t *ev, char *buf, size_t len)
{
	json_t *inv = json_object_get(ev, "involvedObject");
	const char *k = lbctl_str(inv, "kind");
	size_t i;

	for (i = 0; k[i] && i + 1 < len; i++)
		buf[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] - 'A' + 'a' :
				k[i]);
	buf[i] = '\0';
	snprintf(buf + i, len - i, "/%s", lbctl_str(inv, "name"));
}

/* -o wide: kubectl's extra columns (no sub-objects here). */
static void events_wide(json_t *items, bool all_ns)
{
	struct lbctl_table t = { .ncols = all_ns ? 11 : 10 };
	char when[96], obj[320], first[32], count[32];
	const char *h[] = { "NAMESPACE", "LAST SEEN", "TYPE", "REASON",
			    "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE",
			    "FIRST SEEN", "COUNT", "NAME" };
	const char *const *c = all_ns ? h : h + 1;
	json_t *ev;
	size_t i;

	lbctl_table_row(&t, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8],
		  c[9], all_ns ? c[10] : NULL);
	json_array_foreach(items, i, ev) {
		const char *v[11];
		size_t k = 0;

		lbctl_human_age(json_object_get(ev, "lastTimestamp"), when,
			  sizeof(when));
		lbctl_human_age(json_object_get(ev, "firstTimestamp"), first,
			  sizeof(first));
		event_object(ev, obj, sizeof(obj));
		snprintf(count, sizeof(count), "%lld", (long long)
			 json_integer_value(json_object_get(ev, "count")));
		if (all_ns)
			v[k++] = lbctl_str(ev, "namespace");
		v[k++] = when;
		v[k++] = lbctl_str(ev, "type");
		v[k++] = lbctl_str(ev, "reason");
		v[k++] = obj;
		v[k++] = "";
		v[k++] = "lbipamd";
		v[k++] = lbctl_str(ev, "message");
		v[k++] = first;
		v[k++] = count;
		v[k++] = lbctl_str(ev, "name");
		lbctl_table_row(&t, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
			  v[8], v[9], all_ns ? v[10] : NULL);
	}
	lbctl_table_print(&t, 0);
}

void lbctl_events_table(json_t *items, bool all_ns, const char *ns,
			bool wide)
{
	struct lbctl_table t = { .ncols = all_ns ? 6 : 5 };
	char when[96], obj[320];
	json_t *ev;
	size_t i;

	if (!json_array_size(items)) {
		if (all_ns)
			fprintf(stderr, "No resources found\n");
		else
			fprintf(stderr, "No resources found in %s namespace.\n",
				ns);
		return;
	}
	if (wide) {
		events_wide(items, all_ns);
		return;
	}
	if (all_ns)
		lbctl_table_row(&t, "NAMESPACE", "LAST SEEN", "TYPE", "REASON",
			  "OBJECT", "MESSAGE");
	else
		lbctl_table_row(&t, "LAST SEEN", "TYPE", "REASON", "OBJECT",
			  "MESSAGE");
	json_array_foreach(items, i, ev) {
		event_interval(ev, when, sizeof(when));
		event_object(ev, obj, sizeof(obj));
		if (all_ns)
			lbctl_table_row(&t, lbctl_str(ev, "namespace"), when,
				  lbctl_str(ev, "type"), lbctl_str(ev, "reason"),
				  obj, lbctl_str(ev, "message"));
		else
			lbctl_table_row(&t, when, lbctl_str(ev, "type"),
				  lbctl_str(ev, "reason"), obj,
				  lbctl_str(ev, "message"));
	}
	lbctl_table_print(&t, 0);
}

/* The last section of describe, as kubectl prints it. */
void lbctl_describe_events(json_t *items)
{
	struct lbctl_table t = { .ncols = 5 };
	char when[96];
	json_t *ev;
	size_t i;

	if (!json_array_size(items)) {
		printf("Events:                <none>\n");
		return;
	}
	printf("Events:\n");
	lbctl_table_row(&t, "Type", "Reason", "Age", "From", "Message");
	lbctl_table_row(&t, "----", "------", "----", "----", "-------");
	json_array_foreach(items, i, ev) {
		event_interval(ev, when, sizeof(when));
		lbctl_table_row(&t, lbctl_str(ev, "type"), lbctl_str(ev, "reason"),
			  when, "lbipamd", lbctl_str(ev, "message"));
	}
	lbctl_table_print(&t, 2);
}
