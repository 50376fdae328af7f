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
 * Every command requires CAP_NET_ADMIN in the user namespace that owns the
 * network namespace; without it the request fails with -EPERM.
 *
 * Attributes are validated strictly: an unknown attribute, an attribute of
 * the wrong length, a nest without NLA_F_NESTED or a non-zero reserved byte
 * in the genetlink header is rejected with -EINVAL (-ERANGE for a value out
 * of range). Every rejected request carries an extended ACK message
 * (NLMSGERR_ATTR_MSG) and, where one attribute is to blame, its offset
 * (NLMSGERR_ATTR_OFFS); ask for them with the NETLINK_EXT_ACK socket option.
 * A failed request changes nothing.
 *
 * Objects
 * -------
 *
 * A service is identified by its key: address (LBIPAM_SVC_A_ADDR4 or
 * LBIPAM_SVC_A_ADDR6, exactly one), port (LBIPAM_SVC_A_PORT, 1-65535) and
 * transport protocol (LBIPAM_SVC_A_PROTO: IPPROTO_TCP or IPPROTO_UDP).
 * A connection whose original destination matches a service key is
 * translated (DNAT through conntrack and nf_nat) to one of the service's
 * backends on its first packet; replies are translated back by the kernel.
 * Traffic is translated when it arrives at the node (PRE_ROUTING) and when a
 * process on the node sends it (LOCAL_OUT).
 *
 * A backend is identified, within its service, by its address (of the same
 * family as the service) and port (LBIPAM_BE_A_PORT, 1-65535; it may differ
 * from the service port).
 *
 * A service without backends rejects new connections: TCP with a reset,
 * other protocols with an ICMP port unreachable. It never drops them
 * silently.
 *
 * IPv6 services are part of the protocol; this version of the module
 * rejects them with -EAFNOSUPPORT and an extended ACK message.
 *
 * Commands
 * --------
 *
 * LBIPAM_CMD_SERVICE_NEW: create a service.
 *     Request: LBIPAM_A_SERVICE { key }.
 *     Errors: -EEXIST if the service exists, -ENOSPC when the namespace
 *     holds max_services services (module parameter), -EINVAL for a bad key.
 *
 * LBIPAM_CMD_SERVICE_DEL: delete a service and all its backends.
 *     Request: LBIPAM_A_SERVICE { key }.
 *     Errors: -ENOENT if there is no such service.
 *     Connections already translated keep their translation.
 *
 * LBIPAM_CMD_SERVICE_GET: read services.
 *     do:   Request LBIPAM_A_SERVICE { key }; the reply is one message.
 *     dump: No attributes; every service of the namespace, in key order
 *           (family, address, protocol, port).
 *     Reply message: LBIPAM_A_SERVICE { key, LBIPAM_SVC_A_BACKEND_COUNT }
 *     followed by one LBIPAM_A_BACKEND { LBIPAM_BE_A_ADDR4 or
 *     LBIPAM_BE_A_ADDR6, LBIPAM_BE_A_PORT } per backend, in the order the
 *     backends were added. In a dump, a service whose backends do not fit
 *     in one message continues in the next message(s), each starting with
 *     the same LBIPAM_A_SERVICE; readers merge consecutive messages with the
 *     same key. A dump that raced with a change is flagged NLM_F_DUMP_INTR.
 *
 * LBIPAM_CMD_BACKEND_NEW: add a backend to a service.
 *     Request: LBIPAM_A_SERVICE { key }, LBIPAM_A_BACKEND { address, port }.
 *     Errors: -ENOENT if there is no such service, -EEXIST if the backend
 *     exists, -ENOSPC when the service holds max_backends backends (module
 *     parameter), -EINVAL if the backend's family differs from the
 *     service's.
 *     The backend set is replaced as a whole (RCU), so a connection sees the
 *     set before or after the change, never a mix.
 *
 * LBIPAM_CMD_BACKEND_DEL: remove a backend from a service.
 *     Request: as for LBIPAM_CMD_BACKEND_NEW.
 *     Errors: -ENOENT if there is no such service or backend.
 *     Connections already translated to the backend keep their translation.
 */

#ifndef _UAPI_LINUX_LBIPAM_H
#define _UAPI_LINUX_LBIPAM_H

#define LBIPAM_GENL_NAME	"lbipam"
#define LBIPAM_GENL_VERSION	1

enum lbipam_cmd {
	LBIPAM_CMD_UNSPEC,
	LBIPAM_CMD_SERVICE_NEW,
	LBIPAM_CMD_SERVICE_DEL,
	LBIPAM_CMD_SERVICE_GET,
	LBIPAM_CMD_BACKEND_NEW,
	LBIPAM_CMD_BACKEND_DEL,

	__LBIPAM_CMD_MAX
};

#define LBIPAM_CMD_MAX (__LBIPAM_CMD_MAX - 1)

/* Top-level attributes of every command. */
enum lbipam_attr {
	LBIPAM_A_UNSPEC,
	LBIPAM_A_SERVICE,		/* nest: enum lbipam_svc_attr */
	LBIPAM_A_BACKEND,		/* nest: enum lbipam_be_attr */

	__LBIPAM_A_MAX
};

#define LBIPAM_A_MAX (__LBIPAM_A_MAX - 1)

enum lbipam_svc_attr {
	LBIPAM_SVC_A_UNSPEC,
	LBIPAM_SVC_A_ADDR4,		/* 4 bytes, network byte order */
	LBIPAM_SVC_A_ADDR6,		/* 16 bytes, network byte order */
	LBIPAM_SVC_A_PORT,		/* u16, host byte order, 1-65535 */
	LBIPAM_SVC_A_PROTO,		/* u8: IPPROTO_TCP or IPPROTO_UDP */
	LBIPAM_SVC_A_BACKEND_COUNT,	/* u32, replies only */

	__LBIPAM_SVC_A_MAX
};

#define LBIPAM_SVC_A_MAX (__LBIPAM_SVC_A_MAX - 1)

enum lbipam_be_attr {
	LBIPAM_BE_A_UNSPEC,
	LBIPAM_BE_A_ADDR4,		/* 4 bytes, network byte order */
	LBIPAM_BE_A_ADDR6,		/* 16 bytes, network byte order */
	LBIPAM_BE_A_PORT,		/* u16, host byte order, 1-65535 */

	__LBIPAM_BE_A_MAX
};

#define LBIPAM_BE_A_MAX (__LBIPAM_BE_A_MAX - 1)

#endif /* _UAPI_LINUX_LBIPAM_H */
