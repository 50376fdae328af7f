/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * lbipam: in-kernel LoadBalancer VIP translation, configured over generic
 * netlink.
 *
 * Protocol
 * ========
 *
 * The generic netlink family is LBIPAM_GENL_NAME ("lbipam"), version
 * LBIPAM_GENL_VERSION. The family is network-namespace aware: every request
 * acts on the network namespace of the socket that sent it, and state in one
 * namespace never affects another. Loading is automatic: resolving the family
 * name makes the kernel load lbipam.ko (module alias
 * "net-pf-16-proto-16-family-lbipam").
 *
 * Every command requires CAP_NET_ADMIN in the initial user namespace, as
 * for IPVS; without it the request fails with -EPERM. Root of any other
 * user namespace (which unprivileged users may create) is refused even in
 * a network namespace it owns: the module's tables, Maglev builds and
 * conntrack walks cost kernel memory and CPU time, bounded per namespace by
 * its module parameters but not per user, so configuring it is not
 * delegated. Joining the "events" multicast group (LBIPAM_MCGRP_EVENTS)
 * requires CAP_NET_ADMIN in the user namespace that owns the network
 * namespace.
 *
 * Attributes are validated strictly: an unknown attribute, an attribute of
 * the wrong length, a nest without NLA_F_NESTED or a non-zero reserved byte
 * in the genetlink header is rejected with -EINVAL (-ERANGE for a value or
 * an address length out of range, -EPROTONOSUPPORT for a transport protocol
 * other than TCP, UDP and SCTP). Every rejected request carries an extended ACK message
 * (NLMSGERR_ATTR_MSG) and, where one attribute is to blame, its offset
 * (NLMSGERR_ATTR_OFFS); ask for them with the NETLINK_EXT_ACK socket option.
 * A failed request changes nothing.
 *
 * Requests are independent: many may be sent in one sendmsg(), and the
 * kernel answers each with an ACK if it asked for one (NLM_F_ACK) and with
 * an error message whenever it fails.
 *
 * Services
 * --------
 *
 * A service is identified by its key: address (LBIPAM_SVC_A_ADDR4 or
 * LBIPAM_SVC_A_ADDR6, exactly one), port (LBIPAM_SVC_A_PORT, 1-65535) and
 * transport protocol (LBIPAM_SVC_A_PROTO: IPPROTO_TCP, IPPROTO_UDP or
 * IPPROTO_SCTP). A connection whose original destination matches a service
 * key is translated (DNAT through conntrack and nf_nat) to one of the
 * service's backends on its first packet; later packets follow the
 * connection, and replies are translated back by the kernel. Traffic is
 * translated when it arrives at the node (PRE_ROUTING: "external" traffic)
 * and when a process on the node sends it (LOCAL_OUT: "local" traffic).
 *
 * Its options, all optional (defaults in brackets):
 *   LBIPAM_SVC_A_SCHED       how a backend is chosen [LBIPAM_SCHED_MAGLEV]
 *   LBIPAM_SVC_A_AFFINITY    ClientIP session affinity, in seconds: a new
 *                            connection from a client that connected within
 *                            that time goes to the same backend while it is
 *                            active; 0 = none [0], at most 86400. The
 *                            bindings of a namespace, at most
 *                            max_affinity_entries (module parameter), are
 *                            charged to the memory cgroup of the process
 *                            that created the service
 *   LBIPAM_SVC_A_FLAGS       enum lbipam_svc_flags [0]
 *   LBIPAM_SVC_A_SOURCE_RANGE  repeated, at most LBIPAM_MAX_SOURCE_RANGES:
 *                            when present, connections from any other
 *                            source are dropped (loadBalancerSourceRanges);
 *                            each a nest { LBIPAM_CIDR_A_ADDR4 or
 *                            LBIPAM_CIDR_A_ADDR6 (the service's family),
 *                            LBIPAM_CIDR_A_PREFIXLEN }. Host bits must be
 *                            zero.
 *   LBIPAM_SVC_A_CLUSTER_CIDR  repeated, at most LBIPAM_MAX_CLUSTER_CIDRS:
 *                            the prefixes of the cluster's own addresses
 *                            (pods), as kube-proxy's --cluster-cidr; each
 *                            a nest as for LBIPAM_SVC_A_SOURCE_RANGE, with
 *                            the same rules. Only
 *                            LBIPAM_SVC_F_LOCAL_ONLY uses them (see
 *                            Selection); a source range still applies to
 *                            every source
 *
 * Backends
 * --------
 *
 * A backend is identified, within its service, by its address
 * (LBIPAM_BE_A_ADDR4 or LBIPAM_BE_A_ADDR6, of the service's family) and
 * port (LBIPAM_BE_A_PORT, 1-65535; it may differ from the service port).
 * Its options (defaults in brackets):
 *   LBIPAM_BE_A_WEIGHT  0-65535 [1]; its share of new connections is
 *                       weight / sum of the active backends' weights; 0
 *                       takes no new connections
 *   LBIPAM_BE_A_STATE   enum lbipam_be_state [LBIPAM_BE_ACTIVE]; only
 *                       active backends take new connections, connections
 *                       already established keep theirs in every state
 *   LBIPAM_BE_A_FLAGS   enum lbipam_be_flags [0]
 *
 * Selection
 * ---------
 *
 * LBIPAM_SCHED_MAGLEV hashes the connection's 5-tuple into a Maglev lookup
 * table of M entries, filled in proportion to the weights; M is the
 * smallest prime >= 100 x the power of two above the number N of usable
 * backends (N = 4: 809), so at least 100 x N. The table depends only on the
 * backends' addresses, ports and weights, not on the order they were added
 * in, and the hash has no per-boot secret: two nodes with the same
 * configuration send the same 5-tuple to the same backend. Removing one of
 * N backends moves about 1/N of the connections (those of the removed
 * backend), except when N is a power of two (N = 4: from 809 to 401
 * entries): then M changes and most connections move; adding one to N
 * backends likewise, except when N + 1 is a power of two. Building the
 * table takes time proportional to M (at most about 6.5 million entries,
 * for 65534 backends), whatever the weights.
 * LBIPAM_SCHED_RANDOM picks a usable backend at random, weighted.
 *
 * A service with no usable backend rejects new connections: TCP with a
 * reset, UDP and SCTP with an ICMP (ICMPv6) port unreachable. It never
 * drops them silently. With LBIPAM_SVC_F_LOCAL_ONLY, external connections
 * may only use backends with LBIPAM_BE_F_LOCAL; with none, they are
 * dropped, as kube-proxy does for externalTrafficPolicy Local. External
 * means arriving at the node (PRE_ROUTING) from a source outside every
 * LBIPAM_SVC_A_CLUSTER_CIDR of the service: a connection from inside one
 * (a pod, routed through the node) is in-cluster traffic and, like the
 * node's own connections (LOCAL_OUT), is scheduled over all the usable
 * backends, as kube-proxy does for sources inside its cluster CIDR.
 *
 * Conntrack
 * ---------
 *
 * When a service is created, conntrack entries of the namespace for its
 * address, port and protocol that were not translated and never answered
 * (made before it existed) are deleted, so that clients stop sending into
 * a null binding: a UDP client with a fixed source port, or a TCP or SCTP
 * client retransmitting its handshake, reaches a backend with its next
 * packet. An untranslated entry made later (conntrack confirmed it before
 * lbipam's hooks saw it) is not deleted, and its packets are neither
 * translated nor counted as connections of the service. When a UDP
 * service is deleted, its entries are deleted; when a UDP backend leaves
 * its service (deleted or replaced away), the entries translated to it are
 * deleted; with LBIPAM_SVC_F_EXPIRE_NODEST, the same for TCP and SCTP.
 * These deletions happen just after the request returns, after an
 * RCU grace period (so that they also catch a connection whose first packet
 * was being translated with the old configuration while the change was
 * made) and batched: one walk of the conntrack table for all the changes
 * made meanwhile. A backend that stops being active (terminating, maintenance,
 * weight 0) keeps its connections, UDP included; TCP and SCTP connections
 * to removed backends and deleted services drain naturally, unless the
 * service has LBIPAM_SVC_F_EXPIRE_NODEST. The translation
 * hooks, set up in a namespace by its first service of a family, stay until
 * the namespace goes: deleting the last service also lets its connections
 * drain (and costs new connections one table lookup meanwhile).
 *
 * One-packet scheduling
 * ---------------------
 *
 * Conntrack keys a flow by its original tuple: every datagram of a UDP
 * client with a fixed source port belongs to one entry, which NAT binds to
 * the backend of its first datagram. With LBIPAM_SVC_F_ONE_PACKET (UDP
 * services only), each datagram is scheduled on its own instead, as
 * follows.
 *
 * Each backend of a service has a conntrack zone id (1-65534), fixed
 * while it stays in the service (a backend that leaves and comes back may
 * get another); backends of different services share ids. The id of a
 * backend that leaves may go to one added at the same time or later: until
 * the leaving backend's entries are deleted (see Conntrack), a datagram
 * for the new one that meets one of them follows it. Before conntrack
 * sees a datagram to the service (priority NF_IP_PRI_RAW + 10, after the
 * raw tables, in PRE_ROUTING and LOCAL_OUT), the module picks its backend
 * as for a new connection, except that the scheduler's 5-tuple hash is not
 * used: the pick is random, weighted (as LBIPAM_SCHED_RANDOM), honouring
 * the source ranges, LBIPAM_SVC_F_LOCAL_ONLY and ClientIP affinity (which,
 * while it holds, sends all the client's datagrams to its backend). The
 * datagram is then tracked in the zone of that backend, for the original
 * direction only (NF_CT_ZONE_DIR_ORIG): the entry of that zone for the
 * client's tuple, or a new one, translated to that backend. Replies (the
 * backend's tuple, in the default zone, as the zone does not apply to the
 * reply direction) find that entry and are translated back from the
 * service's address. A datagram that finds no usable backend is rejected
 * or dropped as a new connection is (see Selection). A packet that already
 * carries conntrack state before conntrack (a raw-table CT or NOTRACK
 * rule, a packet looped back) is left alone.
 *
 * So a client tuple has at most one entry per backend at a time, never
 * two with the same reply tuple: two datagrams in flight to one backend
 * share its entry, and both replies come back. Entries expire as UDP
 * entries do (conntrack's UDP timeouts); the memory of one client is
 * bounded by the service's backend count. LBIPAM_STATS_A_CONNS counts
 * datagrams scheduled, not entries. The zones are in conntrack's zone id
 * space: a ruleset of the namespace that uses zones 1-65534 for its own
 * purposes for traffic to the service's address would share them.
 * Setting or clearing the flag deletes the service's conntrack entries
 * (as for a deleted UDP service), so that no datagram meets an entry of
 * the other kind. ICMP errors a client sends about a reply are not
 * related to the entry (they name the default zone). Needs a kernel with
 * CONFIG_NF_CONNTRACK_ZONES; without, the flag is refused (-EOPNOTSUPP).
 *
 * Packets conntrack finds INVALID (an out-of-window TCP segment, a stray
 * RST) get no entry, and NAT leaves them alone: one of a translated
 * connection would leave the node untranslated, to the VIP or, a reply,
 * from the backend's own address to the client, whose reset would then
 * kill the connection. Such packets of a connection translated to a
 * backend of a service that exists are dropped, in both directions, as
 * kube-proxy drops INVALID (only packets without an entry pay for the
 * lookup); other INVALID packets are left to the rest of the ruleset.
 *
 * Commands
 * --------
 *
 * LBIPAM_CMD_SERVICE_NEW: create a service.
 *     Request: LBIPAM_A_SERVICE { key, options }.
 *     Errors: -EEXIST if it exists, -ENOSPC at max_services (module
 *     parameter) services in the namespace.
 *
 * LBIPAM_CMD_SERVICE_SET: change a service's options.
 *     Request: LBIPAM_A_SERVICE { key, options }. The options are replaced
 *     as a whole: an option absent from the request takes its default.
 *     Affinity entries are dropped when the affinity or the scheduler
 *     changes (freed within about a second, as when the service is
 *     deleted). Errors: -ENOENT if there is no such service.
 *
 * LBIPAM_CMD_SERVICE_DEL: delete a service and all its backends.
 *     Request: LBIPAM_A_SERVICE { key }. Errors: -ENOENT.
 *
 * LBIPAM_CMD_SERVICE_GET: read services.
 *     do:   Request LBIPAM_A_SERVICE { key }; the reply is one message, of
 *           at most 32 KiB: a service with more backends than that holds
 *           (some hundreds) fails with -EMSGSIZE; dump it instead.
 *     dump: Every service of the namespace, in key order (family, address,
 *           protocol, port); with LBIPAM_A_SERVICE { key }, only that one
 *           (-ENOENT if there is no such service).
 *     Either may carry the flag LBIPAM_A_CT_STATS: the counters then also
 *     say what conntrack holds about the connections (see Counters). That
 *     walks the namespace's conntrack entries once per request, with the
 *     table locked against changes meanwhile: ask for it when it is wanted.
 *     Either may also carry the flag LBIPAM_A_AFF_STATS: the services'
 *     counters then also hold LBIPAM_STATS_A_AFFINITY (see Counters), got
 *     by one walk of the namespace's affinity table per request.
 *     Reply message: LBIPAM_A_SERVICE { key, options (every option, also
 *     when at its default), LBIPAM_SVC_A_BACKEND_COUNT, LBIPAM_SVC_A_STATS }
 *     followed by one LBIPAM_A_BACKEND { address, port, options,
 *     LBIPAM_BE_A_STATS } per backend, in the order the backends were
 *     added. In a dump, a service whose backends do not fit in one message
 *     continues in the next message(s), each starting with the same
 *     LBIPAM_A_SERVICE; readers merge consecutive messages with the same key.
 *     A dump resumes after the last key it sent, so it neither skips nor
 *     repeats a service that exists throughout; a dump that raced with a
 *     change is flagged NLM_F_DUMP_INTR.
 *
 * LBIPAM_CMD_BACKEND_NEW: add a backend to a service.
 *     Request: LBIPAM_A_SERVICE { key }, LBIPAM_A_BACKEND { address, port,
 *     options }. Errors: -ENOENT (service), -EEXIST (backend), -ENOSPC at
 *     max_backends (module parameter) backends, -EINVAL if its family
 *     differs from the service's.
 *
 * LBIPAM_CMD_BACKEND_SET: change a backend's options (replaced as a whole,
 *     as for LBIPAM_CMD_SERVICE_SET). Request and errors as for
 *     LBIPAM_CMD_BACKEND_NEW; -ENOENT if there is no such backend.
 *
 * LBIPAM_CMD_BACKEND_DEL: remove a backend.
 *     Request: LBIPAM_A_SERVICE { key }, LBIPAM_A_BACKEND { address, port }.
 *     Errors: -ENOENT.
 *
 * LBIPAM_CMD_BACKEND_REPLACE: replace the whole backend set of a service.
 *     Request: LBIPAM_A_SERVICE { key } followed by zero or more
 *     LBIPAM_A_BACKEND { address, port, options }. Backends that stay keep
 *     their counters. Errors: -ENOENT (service), -EINVAL for a duplicate
 *     backend or a wrong family, -ENOSPC above max_backends.
 *
 * Every change of a backend set is atomic: the new set is built apart and
 * published at once (RCU), so a connection sees the set before or after a
 * request, never a mix.
 *
 * LBIPAM_CMD_FLUSH: delete every service of the namespace. No attributes.
 *     L2 announcements stay.
 *
 * L2 announcements
 * ----------------
 *
 * A node that owns a LoadBalancer address must make the L2 segment send
 * that address's traffic to it. An L2 announcement, identified by an
 * address (LBIPAM_L2_A_ADDR4 or LBIPAM_L2_A_ADDR6) and an interface of the
 * namespace (LBIPAM_L2_A_IFINDEX), makes the module answer, on that
 * interface only, for that address:
 *   - ARP requests (netfilter's ARP input hook) with an ARP reply giving the
 *     interface's hardware address;
 *   - IPv6 neighbour solicitations, multicast to the address's
 *     solicited-node group or unicast, with a solicited neighbour
 *     advertisement (override set, target link-layer address option). The
 *     interface joins the solicited-node group while the announcement
 *     exists, so that the solicitation reaches it through switches and
 *     bridges that snoop MLD. A duplicate address detection probe (source
 *     ::) is answered to all-nodes (ff02::1), as RFC 4861 says.
 * The request is consumed: the kernel's own neighbour code does not see
 * it. Nothing is answered for an address that is not announced, on another
 * interface, or in another namespace. The address need not be configured
 * on the node; the module does not configure it.
 * When an announcement is created, the module tells the segment at once,
 * so that neighbours holding the address's previous owner in their caches
 * move to this node (a takeover): a gratuitous ARP (an ARP request with
 * sender and target the address, to the broadcast address) or an
 * unsolicited neighbour advertisement to ff02::1 (override set); nothing
 * is sent (or counted) while the interface is down. Advertisements leave
 * from an address of the interface chosen as for the destination (its
 * link-local address for a link-local asker and for ff02::1), so an
 * interface without a usable IPv6 address (duplicate address detection
 * still running) sends none. Gratuitous ARPs received are not answered.
 * Only Ethernet-like interfaces (ARPHRD_ETHER) that do ARP can announce.
 * An interface that goes away takes its announcements with it
 * (LBIPAM_CMD_L2_DEL events are sent for them).
 *
 * LBIPAM_CMD_L2_NEW: announce an address on an interface.
 *     Request: LBIPAM_A_L2 { address, LBIPAM_L2_A_IFINDEX }.
 *     Errors: -EEXIST if announced there already, -ENODEV if the namespace
 *     has no such interface, -EOPNOTSUPP if it is not Ethernet-like or does
 *     not do ARP (IFF_NOARP), -ENOSPC at max_l2 (module parameter)
 *     announcements in the namespace.
 *
 * LBIPAM_CMD_L2_DEL: stop announcing.
 *     Request: LBIPAM_A_L2 { address, LBIPAM_L2_A_IFINDEX }. Errors: -ENOENT.
 *
 * LBIPAM_CMD_L2_GET: read announcements.
 *     do:   Request LBIPAM_A_L2 { address, LBIPAM_L2_A_IFINDEX }.
 *     dump: every announcement of the namespace, in (family, address,
 *           interface index) order.
 *     Reply message: LBIPAM_A_L2 { address, LBIPAM_L2_A_IFINDEX,
 *     LBIPAM_L2_A_STATS { LBIPAM_STATS_A_ANSWERS requests answered,
 *     LBIPAM_STATS_A_ANNOUNCES gratuitous ARPs / unsolicited advertisements
 *     sent } }.
 *
 * Events
 * ------
 *
 * Members of the "events" group receive, for every change, a message with
 * the command that made it: LBIPAM_CMD_SERVICE_NEW / _SET carry the service
 * as in a LBIPAM_CMD_SERVICE_GET reply without backends and stats;
 * LBIPAM_CMD_SERVICE_DEL the service key; LBIPAM_CMD_BACKEND_NEW / _SET /
 * _DEL the service key and the backend; LBIPAM_CMD_BACKEND_REPLACE the
 * service key and LBIPAM_SVC_A_BACKEND_COUNT (read the set with
 * LBIPAM_CMD_SERVICE_GET); LBIPAM_CMD_FLUSH nothing;
 * LBIPAM_CMD_L2_NEW / _DEL carry LBIPAM_A_L2 { address, interface }.
 *
 * Counters
 * --------
 *
 * LBIPAM_SVC_A_STATS and LBIPAM_BE_A_STATS are nests of
 * enum lbipam_stats_attr, all u64, counted since the object was created:
 * LBIPAM_STATS_A_CONNS new connections sent to it, LBIPAM_STATS_A_REJECTS
 * (services) connections refused for want of a usable backend,
 * LBIPAM_STATS_A_DROPS (services) connections dropped by a source range or
 * local-only, LBIPAM_STATS_A_AFF_LOST (services) ClientIP affinity bindings
 * not recorded, because the namespace holds max_affinity_entries (module
 * parameter) already or memory ran out: those connections were scheduled
 * normally, and the client's next one may go elsewhere.
 *
 * With LBIPAM_A_AFF_STATS in the request, a service's nest also holds
 * LBIPAM_STATS_A_AFFINITY: the ClientIP affinity bindings it holds at that
 * moment, counted by one walk of the namespace's affinity table. Only live
 * bindings count: not expired (affinity timeout), and made under the
 * service's current affinity settings (changing or removing its affinity
 * makes the older bindings stale at once, though they stay in the table
 * until collected). It falls as bindings expire; a service without
 * affinity reports 0.
 *
 * With LBIPAM_A_CT_STATS in the request, the nests also hold what conntrack
 * tracks at that moment for the service's translated connections (counted
 * to the service by the original destination, to a backend by the reply's
 * source): LBIPAM_STATS_A_TRACKED connections (every entry conntrack still
 * holds, closing ones such as TIME_WAIT included), and, when conntrack
 * accounting is on in the namespace (sysctl net.netfilter.nf_conntrack_acct
 * =1), LBIPAM_STATS_A_PACKETS_IN / _BYTES_IN (client to service) and
 * LBIPAM_STATS_A_PACKETS_OUT / _BYTES_OUT (replies) summed over those
 * connections; bytes are whole IP packets, as conntrack counts them. These
 * describe the tracked connections, not totals since creation: they fall as
 * entries expire, and connections made while accounting was off count as
 * tracked without traffic. Without accounting the four traffic attributes
 * are absent. The request reads the conntrack table once, as a lookup
 * does (under RCU, holding none of conntrack's locks: packets and other
 * conntrack users go on meanwhile), at the cost of one service lookup and
 * one binary search among its backends per entry; entries made or deleted
 * during the walk may or may not be counted.
 */

#ifndef _UAPI_LINUX_LBIPAM_H
#define _UAPI_LINUX_LBIPAM_H

#define LBIPAM_GENL_NAME	"lbipam"
#define LBIPAM_GENL_VERSION	1
#define LBIPAM_MCGRP_EVENTS	"events"

#define LBIPAM_MAX_AFFINITY	86400
#define LBIPAM_MAX_SOURCE_RANGES 64
#define LBIPAM_MAX_CLUSTER_CIDRS 64

enum lbipam_cmd {
	LBIPAM_CMD_UNSPEC,
	LBIPAM_CMD_SERVICE_NEW,
	LBIPAM_CMD_SERVICE_DEL,
	LBIPAM_CMD_SERVICE_GET,
	LBIPAM_CMD_BACKEND_NEW,
	LBIPAM_CMD_BACKEND_DEL,
	LBIPAM_CMD_SERVICE_SET,
	LBIPAM_CMD_BACKEND_SET,
	LBIPAM_CMD_BACKEND_REPLACE,
	LBIPAM_CMD_FLUSH,
	LBIPAM_CMD_L2_NEW,
	LBIPAM_CMD_L2_DEL,
	LBIPAM_CMD_L2_GET,

	__LBIPAM_CMD_MAX
};

#define LBIPAM_CMD_MAX (__LBIPAM_CMD_MAX - 1)

/* Top-level attributes of every command. */
enum lbipam_attr {
	LBIPAM_A_UNSPEC,
	LBIPAM_A_SERVICE,		/* nest: enum lbipam_svc_attr */
	LBIPAM_A_BACKEND,		/* nest: enum lbipam_be_attr */
	LBIPAM_A_CT_STATS,		/* flag: LBIPAM_CMD_SERVICE_GET only */
	LBIPAM_A_L2,			/* nest: enum lbipam_l2_attr */
	LBIPAM_A_AFF_STATS,		/* flag: LBIPAM_CMD_SERVICE_GET only */

	__LBIPAM_A_MAX
};

#define LBIPAM_A_MAX (__LBIPAM_A_MAX - 1)

enum lbipam_sched {
	LBIPAM_SCHED_MAGLEV,
	LBIPAM_SCHED_RANDOM,

	__LBIPAM_SCHED_MAX
};

#define LBIPAM_SCHED_MAX (__LBIPAM_SCHED_MAX - 1)

enum lbipam_svc_flags {
	/* SNAT external connections to the node's address, so replies come
	 * back through this node (externalTrafficPolicy Cluster). The source
	 * port is chosen fully at random (NF_NAT_RANGE_PROTO_RANDOM_FULLY,
	 * as kube-proxy's --random-fully), never kept from the client, so
	 * that clients racing for one port do not collide in conntrack; the
	 * same holds for hairpin connections, always masqueraded.
	 */
	LBIPAM_SVC_F_MASQUERADE	= 1 << 0,
	/* External connections only to LBIPAM_BE_F_LOCAL backends
	 * (externalTrafficPolicy Local); sources inside the service's
	 * LBIPAM_SVC_A_CLUSTER_CIDR prefixes are not external.
	 */
	LBIPAM_SVC_F_LOCAL_ONLY	= 1 << 1,
	/* SNAT the connections this host makes itself (LOCAL_OUT origin) to
	 * the address of the interface they leave by, with random ports as
	 * above: kube-proxy masquerades node-local clients of an LB IP, whose
	 * source address the backend may not route back (the LB IP itself
	 * when it is on a local interface). Independent of
	 * LBIPAM_SVC_F_MASQUERADE, which leaves them alone.
	 */
	LBIPAM_SVC_F_MASQ_LOCAL	= 1 << 2,
	/* Expire the connections of a backend that leaves the service
	 * (deleted, or replaced away; not one that turns terminating or
	 * maintenance, or gets weight 0), and of the service when it is
	 * deleted, TCP and SCTP ones too: their conntrack entries are
	 * deleted (see Conntrack), so that a client's next packet, a
	 * retransmission, is translated anew to a live backend, which
	 * resets a TCP connection it does not know, and the client
	 * reconnects instead of retransmitting into the void until it
	 * times out. IPVS's expire_nodest_conn, which kube-proxy turns on;
	 * lbipamd sets it on every LB IP it programs. Without it those
	 * connections drain (UDP flows are expired either way).
	 */
	LBIPAM_SVC_F_EXPIRE_NODEST = 1 << 3,
	/* One-packet scheduling (IPVS's --ops), UDP services only: every
	 * datagram is scheduled on its own, also those of a client that
	 * always sends from one source port (a DNS forwarder, a syslog
	 * relay), which would otherwise be one flow bound to one backend.
	 * Replies still come back translated. See "One-packet scheduling".
	 * Refused (-EINVAL) for TCP and SCTP services.
	 */
	LBIPAM_SVC_F_ONE_PACKET	= 1 << 4,

	__LBIPAM_SVC_F_ALL	= (1 << 5) - 1
};

enum lbipam_svc_attr {
	LBIPAM_SVC_A_UNSPEC,
	LBIPAM_SVC_A_ADDR4,		/* 4 bytes, network byte order */
	LBIPAM_SVC_A_ADDR6,		/* 16 bytes, network byte order */
	LBIPAM_SVC_A_PORT,		/* u16, host byte order, 1-65535 */
	LBIPAM_SVC_A_PROTO,		/* u8: IPPROTO_TCP, _UDP or _SCTP */
	LBIPAM_SVC_A_BACKEND_COUNT,	/* u32, replies only */
	LBIPAM_SVC_A_SCHED,		/* u8: enum lbipam_sched */
	LBIPAM_SVC_A_AFFINITY,		/* u32: seconds, 0-86400 */
	LBIPAM_SVC_A_FLAGS,		/* u32: enum lbipam_svc_flags */
	LBIPAM_SVC_A_SOURCE_RANGE,	/* nest, repeated: enum lbipam_cidr_attr */
	LBIPAM_SVC_A_STATS,		/* nest: enum lbipam_stats_attr, replies */
	LBIPAM_SVC_A_CLUSTER_CIDR,	/* nest, repeated: enum lbipam_cidr_attr */

	__LBIPAM_SVC_A_MAX
};

#define LBIPAM_SVC_A_MAX (__LBIPAM_SVC_A_MAX - 1)

enum lbipam_cidr_attr {
	LBIPAM_CIDR_A_UNSPEC,
	LBIPAM_CIDR_A_ADDR4,		/* 4 bytes, network byte order */
	LBIPAM_CIDR_A_ADDR6,		/* 16 bytes, network byte order */
	LBIPAM_CIDR_A_PREFIXLEN,	/* u8: 0-32 or 0-128 */

	__LBIPAM_CIDR_A_MAX
};

#define LBIPAM_CIDR_A_MAX (__LBIPAM_CIDR_A_MAX - 1)

enum lbipam_be_state {
	LBIPAM_BE_ACTIVE,
	LBIPAM_BE_TERMINATING,
	LBIPAM_BE_MAINTENANCE,

	__LBIPAM_BE_STATE_MAX
};

#define LBIPAM_BE_STATE_MAX (__LBIPAM_BE_STATE_MAX - 1)

enum lbipam_be_flags {
	/* Runs on this node: may take external connections of a
	 * LBIPAM_SVC_F_LOCAL_ONLY service.
	 */
	LBIPAM_BE_F_LOCAL	= 1 << 0,

	__LBIPAM_BE_F_ALL	= (1 << 1) - 1
};

enum lbipam_be_attr {
	LBIPAM_BE_A_UNSPEC,
	LBIPAM_BE_A_ADDR4,		/* 4 bytes, network byte order */
	LBIPAM_BE_A_ADDR6,		/* 16 bytes, network byte order */
	LBIPAM_BE_A_PORT,		/* u16, host byte order, 1-65535 */
	LBIPAM_BE_A_WEIGHT,		/* u16 */
	LBIPAM_BE_A_STATE,		/* u8: enum lbipam_be_state */
	LBIPAM_BE_A_FLAGS,		/* u32: enum lbipam_be_flags */
	LBIPAM_BE_A_STATS,		/* nest: enum lbipam_stats_attr, replies */

	__LBIPAM_BE_A_MAX
};

#define LBIPAM_BE_A_MAX (__LBIPAM_BE_A_MAX - 1)

enum lbipam_stats_attr {
	LBIPAM_STATS_A_UNSPEC,
	LBIPAM_STATS_A_PAD,
	LBIPAM_STATS_A_CONNS,		/* u64 */
	LBIPAM_STATS_A_REJECTS,		/* u64, services only */
	LBIPAM_STATS_A_DROPS,		/* u64, services only */
	LBIPAM_STATS_A_TRACKED,		/* u64, with LBIPAM_A_CT_STATS */
	LBIPAM_STATS_A_PACKETS_IN,	/* u64, ... and conntrack accounting */
	LBIPAM_STATS_A_BYTES_IN,	/* u64, ... */
	LBIPAM_STATS_A_PACKETS_OUT,	/* u64, ... */
	LBIPAM_STATS_A_BYTES_OUT,	/* u64, ... */
	LBIPAM_STATS_A_ANSWERS,		/* u64, L2 announcements only */
	LBIPAM_STATS_A_ANNOUNCES,	/* u64, L2 announcements only */
	LBIPAM_STATS_A_AFF_LOST,	/* u64, services only */
	LBIPAM_STATS_A_AFFINITY,	/* u64, services, with LBIPAM_A_AFF_STATS */

	__LBIPAM_STATS_A_MAX
};

#define LBIPAM_STATS_A_MAX (__LBIPAM_STATS_A_MAX - 1)

enum lbipam_l2_attr {
	LBIPAM_L2_A_UNSPEC,
	LBIPAM_L2_A_ADDR4,		/* 4 bytes, network byte order */
	LBIPAM_L2_A_ADDR6,		/* 16 bytes, network byte order */
	LBIPAM_L2_A_IFINDEX,		/* u32 */
	LBIPAM_L2_A_STATS,		/* nest: enum lbipam_stats_attr, replies */

	__LBIPAM_L2_A_MAX
};

#define LBIPAM_L2_A_MAX (__LBIPAM_L2_A_MAX - 1)

#endif /* _UAPI_LINUX_LBIPAM_H */
