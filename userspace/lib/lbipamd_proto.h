/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lbipamd control protocol, spoken by lbctl's daemon verbs.
 *
 * Transport: a Unix stream socket (LBIPAMD_SOCKET by default). A client
 * sends one request and reads one response; both are a single JSON object
 * (UTF-8, no raw newline inside) terminated by "\n". The daemon closes the
 * connection after the response. A request larger than
 * LBIPAMD_MAX_REQUEST bytes is refused.
 *
 * Requests ("op" selects one):
 *   {"op":"apply",  "file":NAME, "yaml":TEXT}      write
 *   {"op":"delete", "file":NAME, "yaml":TEXT}      write
 *   {"op":"delete", "kind":"ippool"|"service"|"endpointslice"|
 *                   "l2announcementpolicy"|"node", "namespace":NS, "name":N}
 *                                                   write
 *   {"op":"get",    "kind":"ippools"}              read
 *   {"op":"get",    "kind":"services", "namespace":NS}  read; NS absent:
 *                                                   every namespace
 *   {"op":"get",    "kind":"l2announcementpolicies"|"nodes"}  read
 *   {"op":"get",    "kind":"events", "namespace":NS}    read; NS absent:
 *                                                   every namespace
 *   {"op":"describe", "kind":"ippool"|"service"|"l2announcementpolicy"|
 *                     "node", "namespace":NS, "name":N}    read
 * (any kind alias of lib/lb_names.c is accepted as "kind")
 *   {"op":"status"}                                read
 *   {"op":"bgp", "what":"peers"|"routes"}          read (BGP through BIRD)
 *
 * Write requests need the peer (SO_PEERCRED) to be root, the daemon's own
 * user, or a member of group LBIPAMD_GROUP; anyone who can connect may
 * read.
 *
 * Every response has "ok" (boolean). On failure: "error" (one line) and,
 * for validation failures, "diags": [{"file","doc","path","reason"}]
 * (doc is the 0-based document index). Nothing of a failed write is
 * applied.
 *
 * apply/delete with YAML: "results": [{"kind","namespace","name",
 *   "action": "created"|"configured"|"unchanged"|"deleted"}].
 * get ippools: "items": [POOL...]; describe ippool: "item": POOL with
 *   "ips": [{"ip","owner":"service"|"reserved"|"reserved-first-last",
 *   "holders":["ns/name"...], "sharingKey"}].
 *   POOL = {"name","created" (seconds since the epoch),"generation",
 *   "priority","disabled","conflicting","allowFirstLastIPs",
 *   "counts":{"total","used","available","reserved"} (decimal strings),
 *   "countsV4":{...},"countsV6":{...}, "conditions":[COND...],
 *   "blocks":[{"spec","range","valid","error"}],
 *   "object": the stored object with status in Kubernetes form}
 * get services: "items": [SVC...]; describe service: "item": SVC with
 *   "endpoints": [{"slice","address","ready","serving","terminating",
 *   "nodeName"}], "kernel": [{"service":"ADDR:PORT/PROTO",
 *   "backends":[{"address","state","local"}]}] and "l2": {"announced",
 *   "node" (when announced), "reason" (one sentence), "policies":[names],
 *   "announcements":[{"address","interface","ifindex"}], "kernel":
 *   {"state","message"} as in status's "l2"}.
 *   SVC = {"namespace","name","created","type","clusterIPs":[...],
 *   "ips":[...],"ports":[{"name","port","protocol","targetPort",
 *   "nodePort"}],"managed","sharingKey","externalTrafficPolicy",
 *   "selector":{...},"condition":COND (managed only),"object":{...}}
 *   COND = {"type","status","reason","message","observedGeneration",
 *   "lastTransitionTime" (RFC 3339, moves only when status does; absent
 *   if the store never recorded one)}
 * POOL, SVC, L2P and NODE also have "resourceVersion" (a decimal string,
 *   moved by every change of the object, status included), as their
 *   "object" has metadata.generation and metadata.resourceVersion; and in
 *   a describe response "events": [EVENT...] about that object.
 * get events: "items": [EVENT...], least recently seen first.
 *   EVENT = {"namespace" (the object's; "default" for cluster-scoped
 *   ones),"name","type":"Normal"|"Warning","reason","message",
 *   "involvedObject":{"kind","namespace" (namespaced only),"name"},
 *   "count","firstTimestamp","lastTimestamp" (seconds since the epoch),
 *   "object": the core/v1 Event}
 * get l2announcementpolicies: "items": [L2P...]; describe: "item": L2P.
 *   L2P = {"name","created","generation","serviceSelector","nodeSelector"
 *   (kubectl notation, "<all>" when absent),"interfaces":[patterns],
 *   "externalIPs","loadBalancerIPs","conditions":[COND...],"selectsNode",
 *   "matchedInterfaces":[this node's],"services":["ns/name"...],"object"}
 * get nodes: "items": [NODE...]; describe: "item": NODE, for the daemon's
 *   own node with "self": true and "effectiveLabels":{...}.
 *   NODE = {"name","created","generation","labels":{...},"object"}
 * status: "kernel": {"state":"synced"|"missing"|"error","message",
 *   "services"}, "pools", "services", "version", "netns",
 *   "l2": {"node","state":"synced"|"unsupported"|"error"|"unknown",
 *   "message","announcements"},
 *   "bgp": BGPSTATE.
 * bgp: asks BIRD (fails, saying why, when BGP through BIRD is off or BIRD
 *   does not answer); "bgp": BGPSTATE and "items":
 *   peers: [{"instance","peer","protocol" (BIRD's),"peerAddress",
 *   "localASN","peerASN" (0: any),"sessionState" (BIRD's BGP state),
 *   "protocolState","since","info","lastError" (when BIRD has one),
 *   "families":{"ipv4"|"ipv6":{"received","advertised"}}}];
 *   routes: [{"instance","peer","peerAddress","family","prefix",
 *   "attributes":{"BGP.community":..., as BIRD prints them}}].
 *   BGPSTATE = {"state":"off"|"pending"|"synced"|"unreachable"|
 *   "rejected","message","socket","include","peers","configures",
 *   "rejections"}
 */
#ifndef LBIPAMD_PROTO_H
#define LBIPAMD_PROTO_H

#define LBIPAMD_SOCKET		"/run/lbipam/lbipamd.sock"
#define LBIPAMD_SOCKET_ENV	"LBIPAM_SOCKET"
#define LBIPAMD_GROUP		"lbipam"
#define LBIPAMD_MAX_REQUEST	(64u << 20)

#endif
