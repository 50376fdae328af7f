// SPDX-License-Identifier: GPL-2.0
/* Sharing keys: every compatibility rule and reason. */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

static const char *svc(const char *ns, const char *name, const char *key,
		       const char *extra_ann, const char *spec)
{
	static char ann[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(ann[i], sizeof(ann[i]), "\"lbipam.cilium.io/sharing-key\": %s%s%s",
		 key, extra_ann ? ", " : "", extra_ann ? extra_ann : "");
	return svc_yaml(ns, name, NULL, ann[i], spec);
}

static void basics(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc("default", "a", "k", NULL, "  ports: [{port: 80}]\n"));
	apply(e, svc("default", "b", "k", NULL, "  ports: [{port: 443}]\n"));
	is(ips(e, "default", "b"), "10.0.0.0", "same key, different ports: IP shared");
	is(pool_ips(e, "p"), "10.0.0.0=default/a+default/b[k]", "per-IP view lists both holders and the key");
	is(pool_count(e, "p", 0, "used"), "1", "a shared IP counts once");
	apply(e, svc("default", "c", "k", NULL, "  ports: [{port: 80}]\n"));
	is(ips(e, "default", "c"), "10.0.0.1", "port clash: a second IP for the key");
	apply(e, svc("default", "d", "k", NULL, "  ports: [{port: 80}, {port: 443}]\n"));
	is(ips(e, "default", "d"), "10.0.0.2", "clash with both: a third IP");
	apply(e, svc("default", "x", "other", NULL, "  ports: [{port: 8080}]\n"));
	is(ips(e, "default", "x"), "10.0.0.3", "a different key never shares");
	del_svc(e, "default", "a");
	is(ips(e, "default", "b"), "10.0.0.0", "deleting one holder keeps the IP for the other");
	apply(e, svc_yaml("default", "n", NULL, NULL, NULL));
	is(ips(e, "default", "n"), "10.0.0.4", "the shared IP is not free while a holder remains");
	del_svc(e, "default", "b");
	apply(e, svc_yaml("default", "m", NULL, NULL, NULL));
	is(ips(e, "default", "m"), "10.0.0.0", "freed when the last holder leaves");
	lbe_close(e);
}

static void proto(void)
{
	struct lb_engine_config cfg = { .sharing_port_only = true };
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc("default", "dns-tcp", "dns", NULL, "  ports: [{port: 53, protocol: TCP}]\n"));
	apply(e, svc("default", "dns-udp", "dns", NULL, "  ports: [{port: 53, protocol: UDP}]\n"));
	is(ips(e, "default", "dns-udp"), "10.0.0.0", "TCP/53 and UDP/53 share (cilium#39172)");
	lbe_close(e);

	e = eng_open(NULL, &cfg);
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc("default", "dns-tcp", "dns", NULL, "  ports: [{port: 53, protocol: TCP}]\n"));
	apply(e, svc("default", "dns-udp", "dns", NULL, "  ports: [{port: 53, protocol: UDP}]\n"));
	is(ips(e, "default", "dns-udp"), "10.0.0.1", "port-only comparison when configured");
	lbe_close(e);
}

static void reasons(void)
{
	struct lb_engine *e = eng_new();
	const char *req = "\"lbipam.cilium.io/ips\": \"10.0.0.0\"";
	char x[512];

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc("default", "a", "k", NULL,
		     "  ports: [{port: 80}]\n  externalTrafficPolicy: Local\n  selector: {app: a}\n"));
	apply(e, svc("default", "b", "other", req, "  ports: [{port: 81}]\n"));
	is(cond(e, "default", "b"),
	   "False/already_allocated_incompatible_service/The IP '10.0.0.0' is already allocated to an incompatible service. Reason: different sharing key",
	   "different sharing key");
	apply(e, svc("ns2", "c", "k", req, "  ports: [{port: 82}]\n"));
	is(cond(e, "ns2", "c"),
	   "False/already_allocated_incompatible_service/The IP '10.0.0.0' is already allocated to an incompatible service. Reason: different and not permitted namespace",
	   "other namespace without permission");
	snprintf(x, sizeof(x), "%s, \"lbipam.cilium.io/sharing-cross-namespace\": default", req);
	apply(e, svc("ns2", "c", "k", x, "  ports: [{port: 82}]\n"));
	is(reason(e, "ns2", "c"), "already_allocated_incompatible_service",
	   "permission on one side only is not enough");
	apply(e, svc("default", "d", "k", req, "  ports: [{port: 80}]\n"));
	is(cond(e, "default", "d"),
	   "False/already_allocated_incompatible_service/The IP '10.0.0.0' is already allocated to an incompatible service. Reason: same port",
	   "same port");
	apply(e, svc("default", "f", "k", req, "  ports: [{port: 84}]\n"));
	is(cond(e, "default", "f"),
	   "False/already_allocated_incompatible_service/The IP '10.0.0.0' is already allocated to an incompatible service. Reason: different ExternalTrafficPolicy",
	   "different externalTrafficPolicy");
	apply(e, svc("default", "g", "k", req,
		     "  ports: [{port: 85}]\n  externalTrafficPolicy: Local\n  selector: {app: other}\n"));
	is(cond(e, "default", "g"),
	   "False/already_allocated_incompatible_service/The IP '10.0.0.0' is already allocated to an incompatible service. Reason: compatible ExternalTrafficPolicy local but selecting different set of pods",
	   "Local with different selectors");
	apply(e, svc("default", "h", "k", req, "  ports: [{port: 86}]\n  externalTrafficPolicy: Local\n"));
	is(reason(e, "default", "h"), "already_allocated_incompatible_service",
	   "Local without a selector never shares");
	apply(e, svc("default", "i", "k", req,
		     "  ports: [{port: 87}]\n  externalTrafficPolicy: Local\n  selector: {app: a}\n"));
	is(ips(e, "default", "i"), "10.0.0.0", "Local with identical selectors shares");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc("a", "s", "k", "\"lbipam.cilium.io/sharing-cross-namespace\": b", NULL));
	apply(e, svc("b", "s", "k", "\"io.cilium/lb-ipam-sharing-cross-namespace\": \"*\"",
		     "  ports: [{port: 81}]\n"));
	is(ips(e, "b", "s"), "10.0.0.0", "cross-namespace sharing with permission on both sides (alias and *)");
	lbe_close(e);

	e = eng_new();
	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc("x", "s", "k", "\"lbipam.cilium.io/sharing-cross-namespace\": \"*\"", NULL));
	apply(e, svc("y", "s", "k", "\"lbipam.cilium.io/sharing-cross-namespace\": \"z, x\"",
		     "  ports: [{port: 82}]\n"));
	is(ips(e, "y", "s"), "10.0.0.1", "namespace lists are not trimmed, as in Cilium (' x' is not 'x')");
	apply(e, svc_yaml("x", "t", NULL,
			  "\"io.cilium/lb-ipam-sharing-key\": k, \"lbipam.cilium.io/sharing-key\": j",
			  "  ports: [{port: 83}]\n"));
	is(ips(e, "x", "t"), "10.0.0.2", "the lbipam.cilium.io key wins over the io.cilium alias");
	apply(e, svc_yaml("x", "u", NULL, "\"io.cilium/lb-ipam-sharing-key\": k",
			  "  ports: [{port: 84}]\n"));
	is(ips(e, "x", "u"), "10.0.0.0", "the alias alone is honoured");
	lbe_close(e);
}

static void selectors_respected(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("blue", "[{cidr: 10.0.1.0/24}]", "  serviceSelector: {matchLabels: {color: blue}}\n"));
	apply(e, svc_yaml("default", "a", "color: blue", "\"lbipam.cilium.io/sharing-key\": k", NULL));
	apply(e, svc_yaml("default", "b", "color: red", "\"lbipam.cilium.io/sharing-key\": k",
			  "  ports: [{port: 81}]\n"));
	is(ips(e, "default", "a"), "10.0.1.0", "blue service in blue pool");
	is(ips(e, "default", "b"), "", "a red service may not join an IP of a pool that does not select it");
	is(reason(e, "default", "b"), "no_pool", "it gets no_pool instead");
	apply(e, pool_yaml("red", "[{cidr: 10.0.2.0/24}]", "  serviceSelector: {matchLabels: {color: red}}\n"));
	is(ips(e, "default", "b"), "10.0.2.0", "it is served by its own pool");
	lbe_close(e);
}

static void breakup(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, "\"lbipam.cilium.io/sharing-key\": k", NULL));
	apply(e, svc_yaml("default", "b", NULL, "\"lbipam.cilium.io/sharing-key\": k", "  ports: [{port: 81}]\n"));
	is(ips(e, "default", "b"), "10.0.0.0", "shared");
	apply(e, svc_yaml("default", "b", NULL, "\"lbipam.cilium.io/sharing-key\": k", "  ports: [{port: 80}]\n"));
	is(ips(e, "default", "a"), "10.0.0.0", "after a spec change breaks compatibility the older holder keeps the IP");
	is(ips(e, "default", "b"), "10.0.0.1", "and the changed service moves");
	apply(e, svc_yaml("default", "a", NULL, "\"lbipam.cilium.io/sharing-key\": k", "  ports: [{port: 80}]\n  externalTrafficPolicy: Local\n"));
	is(ips(e, "default", "a"), "10.0.0.0", "an edit that keeps compatibility elsewhere changes nothing");
	lbe_close(e);
}

static void key_changes(void)
{
	struct lb_engine *e = eng_new();

	apply(e, pool_yaml("p", "[{cidr: 10.0.0.0/24}]", NULL));
	apply(e, svc_yaml("default", "a", NULL, "\"lbipam.cilium.io/sharing-key\": k", NULL));
	apply(e, svc_yaml("default", "b", NULL, "\"lbipam.cilium.io/sharing-key\": k", "  ports: [{port: 81}]\n"));
	apply(e, svc_yaml("default", "c", NULL, "\"lbipam.cilium.io/sharing-key\": k", "  ports: [{port: 82}]\n"));
	is(pool_ips(e, "p"), "10.0.0.0=default/a+default/b+default/c[k]", "three share");
	apply(e, svc_yaml("default", "b", NULL, "\"lbipam.cilium.io/sharing-key\": other", "  ports: [{port: 81}]\n"));
	is(ips(e, "default", "b"), "10.0.0.1", "changing the key moves only that service");
	apply(e, svc_yaml("default", "c", NULL, NULL, "  ports: [{port: 82}]\n"));
	is(ips(e, "default", "c"), "10.0.0.2", "dropping the key moves that service");
	is(pool_ips(e, "p"), "10.0.0.0=default/a[k] 10.0.0.1=default/b[other] 10.0.0.2=default/c",
	   "the first holder kept the IP throughout");
	del_svc(e, "default", "a");
	apply(e, svc_yaml("default", "d", NULL, "\"lbipam.cilium.io/sharing-key\": other", "  ports: [{port: 83}]\n"));
	is(ips(e, "default", "d"), "10.0.0.1", "a newcomer joins the key's existing IP rather than the lowest free one");
	lbe_close(e);
}

int main(void)
{
	key_changes();
	basics();
	proto();
	reasons();
	selectors_respected();
	breakup();
	return done_testing();
}
