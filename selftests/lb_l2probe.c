// SPDX-License-Identifier: GPL-2.0
/* lb_l2probe: asks and listens on a link the way a neighbour does, for the
 * L2 announcement selftests: ARP requests, neighbour solicitations, and a
 * watch for gratuitous ARPs and unsolicited advertisements (see usage()).
 *
 * Packet sockets, not the kernel's neighbour code: the test must see the
 * answer itself (which hardware address, sent where), also for a
 * solicitation the kernel would not send, such as a DAD probe.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LB_TOOL "lb_l2probe"
#include "lb_tool.h"

static double timeout = 2.0;
static const char *ready;

static const char *mac_str(const uint8_t *m)
{
	static char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static void mac_parse(const char *s, uint8_t *m)
{
	unsigned int v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5]) != 6)
		die("bad MAC address '%s'", s);
	for (i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
}

/* A packet socket for @proto on @ifname; its index and MAC into @sll, @mac. */
static int packet_socket(const char *ifname, uint16_t proto,
			 struct sockaddr_ll *sll, uint8_t *mac)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(proto));

	if (fd < 0)
		die("packet socket: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("%s: %s", ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons(proto);
	sll->sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(fd, (struct sockaddr *)sll, sizeof(*sll)))
		die("bind %s: %s", ifname, strerror(errno));
	sll->sll_halen = ETH_ALEN;
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	return fd;
}

/* The next packet that is not our own, or -1 at @deadline. */
static ssize_t recv_until(int fd, void *buf, size_t len, double deadline,
			  struct sockaddr_ll *from)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		socklen_t fl = sizeof(*from);
		double left = deadline - now();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			return -1;
		n = recvfrom(fd, buf, len, 0, (struct sockaddr *)from, &fl);
		if (n < 0)
			return -1;
		if (from->sll_pkttype != PACKET_OUTGOING)
			return n;
	}
}

/* ---------------------------------------------------------------- ARP --- */

struct arp_eth {
	struct arphdr ah;
	uint8_t sha[ETH_ALEN];
	uint8_t sip[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tip[4];
} __attribute__((packed));

/* The interface's first IPv4 address; 0.0.0.0 (an ARP probe) if none. */
static void if_ipv4(const char *ifname, uint8_t *ip)
{
	struct ifaddrs *ifa, *i;

	memset(ip, 0, 4);
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, ifname)) {
			memcpy(ip, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			break;
		}
	}
	freeifaddrs(ifa);
}

/* A broadcast request for @target from @mac and the interface's address. */
static void arp_request(const char *ifname, const uint8_t *mac,
			const struct in_addr *target, struct arp_eth *req,
			struct sockaddr_ll *sll)
{
	memset(req, 0, sizeof(*req));
	req->ah.ar_hrd = htons(ARPHRD_ETHER);
	req->ah.ar_pro = htons(ETH_P_IP);
	req->ah.ar_hln = ETH_ALEN;
	req->ah.ar_pln = 4;
	req->ah.ar_op = htons(ARPOP_REQUEST);
	memcpy(req->sha, mac, ETH_ALEN);
	if_ipv4(ifname, req->sip);
	memcpy(req->tip, target, 4);
	memset(sll->sll_addr, 0xff, ETH_ALEN);
}

static int cmd_arp(const char *ifname, const char *addr)
{
	struct sockaddr_ll sll, from;
	struct arp_eth req, rep;
	uint8_t mac[ETH_ALEN];
	struct in_addr target;
	double deadline;
	int fd;

	if (inet_pton(AF_INET, addr, &target) != 1)
		die("bad IPv4 address '%s'", addr);
	fd = packet_socket(ifname, ETH_P_ARP, &sll, mac);
	arp_request(ifname, mac, &target, &req, &sll);
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sll,
		   sizeof(sll)) != sizeof(req))
		die("send: %s", strerror(errno));
	deadline = now() + timeout;
	while (recv_until(fd, &rep, sizeof(rep), deadline, &from) >=
	       (ssize_t)sizeof(rep)) {
		if (rep.ah.ar_op != htons(ARPOP_REPLY) ||
		    memcmp(rep.sip, &target, 4) || memcmp(rep.tha, mac, ETH_ALEN))
			continue;
		printf("%s\n", mac_str(rep.sha));
		return 0;
	}
	printf("timeout\n");
	return 1;
}

/* ---------------------------------------------------------------- NDP --- */

/* The interface's link-local address. */
static bool if_linklocal(const char *ifname, struct in6_addr *a)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa))
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)i->ifa_addr;

		if (s && s->sin6_family == AF_INET6 &&
		    !strcmp(i->ifa_name, ifname) &&
		    IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr)) {
			*a = s->sin6_addr;
			found = true;
		}
	}
	freeifaddrs(ifa);
	return found;
}

static uint16_t icmp6_csum(const struct ip6_hdr *ip, const void *data,
			   size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < 16; i += 2) {
		sum += (ip->ip6_src.s6_addr[i] << 8) | ip->ip6_src.s6_addr[i + 1];
		sum += (ip->ip6_dst.s6_addr[i] << 8) | ip->ip6_dst.s6_addr[i + 1];
	}
	sum += (uint32_t)len + IPPROTO_ICMPV6;
	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* No padding: 40 + 24 + 8 bytes, all 4-byte aligned. */
struct ns_pkt {
	struct ip6_hdr ip;
	struct nd_neighbor_solicit ns;
	uint8_t opt[8];			/* source link-layer address */
};

_Static_assert(sizeof(struct ns_pkt) == 72, "struct ns_pkt is padded");

/*
 * An advertisement for @target in @buf (an IPv6 packet of @n bytes): its
 * target link-layer address into @tlla (zero if none), flags into @flags.
 */
static bool parse_na(const uint8_t *buf, ssize_t n, const struct in6_addr *target,
		     uint8_t *tlla, uint32_t *flags)
{
	const struct ip6_hdr *ip = (const void *)buf;
	const struct nd_neighbor_advert *na = (const void *)(ip + 1);
	ssize_t pos;

	if (n < (ssize_t)(sizeof(*ip) + sizeof(*na)) ||
	    ip->ip6_nxt != IPPROTO_ICMPV6 ||
	    na->nd_na_type != ND_NEIGHBOR_ADVERT ||
	    (target && memcmp(&na->nd_na_target, target, sizeof(*target))))
		return false;
	*flags = na->nd_na_flags_reserved;
	memset(tlla, 0, ETH_ALEN);
	for (pos = sizeof(*ip) + sizeof(*na); pos + 8 <= n;) {
		uint8_t type = buf[pos], len = buf[pos + 1];

		if (!len)
			break;
		if (type == ND_OPT_TARGET_LINKADDR)
			memcpy(tlla, buf + pos + 2, ETH_ALEN);
		pos += len * 8;
	}
	return true;
}

static void print_na(const uint8_t *buf, const uint8_t *tlla, uint32_t flags)
{
	const struct ip6_hdr *ip = (const void *)buf;
	char dst[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &ip->ip6_dst, dst, sizeof(dst));
	printf("%s S=%d O=%d dst=%s\n", mac_str(tlla),
	       !!(flags & ND_NA_FLAG_SOLICITED),
	       !!(flags & ND_NA_FLAG_OVERRIDE), dst);
}

/*
 * A solicitation for @target into @pkt, its length returned: to the
 * solicited-node group, or to @umac and @target itself; @dad: from ::
 * without a source link-layer address.
 */
static size_t ns_request(const char *ifname, const uint8_t *mac,
			 const struct in6_addr *target, const char *umac,
			 bool dad, struct ns_pkt *pkt, struct sockaddr_ll *sll)
{
	size_t len = sizeof(*pkt) - (dad ? sizeof(pkt->opt) : 0);

	memset(pkt, 0, sizeof(*pkt));
	pkt->ip.ip6_flow = htonl(6u << 28);
	pkt->ip.ip6_plen = htons((uint16_t)(len - sizeof(pkt->ip)));
	pkt->ip.ip6_nxt = IPPROTO_ICMPV6;
	pkt->ip.ip6_hlim = 255;
	if (!dad && !if_linklocal(ifname, &pkt->ip.ip6_src))
		die("%s has no link-local address", ifname);
	if (umac) {
		pkt->ip.ip6_dst = *target;
		mac_parse(umac, sll->sll_addr);
	} else {
		static const uint8_t snm[13] = { 0xff, 0x02, [11] = 0x01,
						 [12] = 0xff };

		memcpy(&pkt->ip.ip6_dst, snm, sizeof(snm));
		memcpy(pkt->ip.ip6_dst.s6_addr + 13, target->s6_addr + 13, 3);
		sll->sll_addr[0] = 0x33;
		sll->sll_addr[1] = 0x33;
		memcpy(sll->sll_addr + 2, pkt->ip.ip6_dst.s6_addr + 12, 4);
	}
	pkt->ns.nd_ns_type = ND_NEIGHBOR_SOLICIT;
	pkt->ns.nd_ns_target = *target;
	pkt->opt[0] = ND_OPT_SOURCE_LINKADDR;
	pkt->opt[1] = 1;
	memcpy(pkt->opt + 2, mac, ETH_ALEN);
	pkt->ns.nd_ns_cksum = icmp6_csum(&pkt->ip, &pkt->ns,
					 len - sizeof(pkt->ip));
	return len;
}

static int cmd_ns(const char *ifname, const char *addr, const char *umac,
		  bool dad)
{
	struct sockaddr_ll sll, from;
	struct ns_pkt pkt;
	uint8_t mac[ETH_ALEN], buf[1500], tlla[ETH_ALEN];
	struct in6_addr target;
	double deadline;
	uint32_t flags;
	size_t len;
	ssize_t n;
	int fd;

	if (inet_pton(AF_INET6, addr, &target) != 1)
		die("bad IPv6 address '%s'", addr);
	fd = packet_socket(ifname, ETH_P_IPV6, &sll, mac);
	len = ns_request(ifname, mac, &target, umac, dad, &pkt, &sll);
	if (sendto(fd, &pkt, len, 0, (struct sockaddr *)&sll, sizeof(sll)) !=
	    (ssize_t)len)
		die("send: %s", strerror(errno));

	deadline = now() + timeout;
	while ((n = recv_until(fd, buf, sizeof(buf), deadline, &from)) >= 0) {
		if (!parse_na(buf, n, &target, tlla, &flags))
			continue;
		print_na(buf, tlla, flags);
		return 0;
	}
	printf("timeout\n");
	return 1;
}

/* -------------------------------------------------------------- watch --- */

/* Every gratuitous ARP and unsolicited NA seen until the timeout. */
static int cmd_watch(const char *ifname)
{
	struct sockaddr_ll sll, from;
	uint8_t mac[ETH_ALEN], buf[1500], tlla[ETH_ALEN];
	int fd = packet_socket(ifname, ETH_P_ALL, &sll, mac);
	double deadline = now() + timeout;
	uint32_t flags;
	ssize_t n;

	while ((n = recv_until(fd, buf, sizeof(buf), deadline, &from)) >= 0) {
		if (from.sll_protocol == htons(ETH_P_ARP) &&
		    n >= (ssize_t)sizeof(struct arp_eth)) {
			const struct arp_eth *a = (const void *)buf;
			char ip[INET_ADDRSTRLEN];

			if (memcmp(a->sip, a->tip, 4))
				continue;
			inet_ntop(AF_INET, a->sip, ip, sizeof(ip));
			printf("garp %s %s op=%u\n", ip, mac_str(a->sha),
			       ntohs(a->ah.ar_op));
		} else if (from.sll_protocol == htons(ETH_P_IPV6) &&
			   parse_na(buf, n, NULL, tlla, &flags) &&
			   !(flags & ND_NA_FLAG_SOLICITED)) {
			const struct nd_neighbor_advert *na =
				(const void *)(buf + sizeof(struct ip6_hdr));
			char ip[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, &na->nd_na_target, ip, sizeof(ip));
			printf("na %s ", ip);
			print_na(buf, tlla, flags);
		}
	}
	return 0;
}

/* -------------------------------------------------------------- flood --- */

#define FLOOD_MAX	16
#define FLOOD_BURST	8

/*
 * Requests for every ADDR (ARP for IPv4, solicited-node NS for IPv6) in
 * bursts, counting the answers, until the timeout: "sent N answered M
 * rate R" (answers per second). Unload tests run it as background noise,
 * the benchmark for the rate.
 */
static int cmd_flood(const char *ifname, int naddr, char **addrs)
{
	struct sockaddr_ll sll4, sll6, from;
	struct arp_eth req4[FLOOD_MAX];
	struct ns_pkt req6[FLOOD_MAX];
	struct sockaddr_ll to[FLOOD_MAX];
	size_t len6[FLOOD_MAX];
	bool v6[FLOOD_MAX];
	uint8_t mac[ETH_ALEN], buf[1500];
	unsigned long sent = 0, answered = 0;
	double t0, deadline;
	int fd4, fd6, i, b;

	if (naddr > FLOOD_MAX)
		die("at most %d addresses", FLOOD_MAX);
	fd4 = packet_socket(ifname, ETH_P_ARP, &sll4, mac);
	fd6 = packet_socket(ifname, ETH_P_IPV6, &sll6, mac);
	for (i = 0; i < naddr; i++) {
		struct in_addr a4;
		struct in6_addr a6;

		if (inet_pton(AF_INET, addrs[i], &a4) == 1) {
			v6[i] = false;
			to[i] = sll4;
			arp_request(ifname, mac, &a4, &req4[i], &to[i]);
		} else if (inet_pton(AF_INET6, addrs[i], &a6) == 1) {
			v6[i] = true;
			to[i] = sll6;
			len6[i] = ns_request(ifname, mac, &a6, NULL, false,
					     &req6[i], &to[i]);
		} else {
			die("bad address '%s'", addrs[i]);
		}
	}
	t0 = now();
	deadline = t0 + timeout;
	while (now() < deadline) {
		for (b = 0; b < FLOOD_BURST; b++) {
			for (i = 0; i < naddr; i++) {
				ssize_t r = v6[i] ?
					sendto(fd6, &req6[i], len6[i], 0,
					       (struct sockaddr *)&to[i],
					       sizeof(to[i])) :
					sendto(fd4, &req4[i], sizeof(req4[i]), 0,
					       (struct sockaddr *)&to[i],
					       sizeof(to[i]));
				sent += r > 0;
			}
		}
		/* Drain what came back; wait a little only when nothing did. */
		for (;;) {
			struct pollfd p[2] = {
				{ .fd = fd4, .events = POLLIN },
				{ .fd = fd6, .events = POLLIN },
			};
			socklen_t fl = sizeof(from);
			ssize_t n;
			int k;

			if (poll(p, 2, 1) <= 0)
				break;
			for (k = 0; k < 2; k++) {
				if (!(p[k].revents & POLLIN))
					continue;
				n = recvfrom(p[k].fd, buf, sizeof(buf),
					     MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fl);
				if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
					continue;
				if (k == 0 && n >= (ssize_t)sizeof(struct arp_eth) &&
				    ((struct arp_eth *)buf)->ah.ar_op ==
				    htons(ARPOP_REPLY))
					answered++;
				else if (k == 1 && n > (ssize_t)sizeof(struct ip6_hdr) &&
					 buf[sizeof(struct ip6_hdr)] ==
					 ND_NEIGHBOR_ADVERT)
					answered++;
			}
		}
	}
	printf("sent %lu answered %lu rate %.0f\n", sent, answered,
	       answered / (now() - t0));
	return 0;
}

static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: lb_l2probe [-t S] [-r READY] MODE ARGS\n"
	      "  arp IFACE ADDR        one ARP request (broadcast); prints the\n"
	      "                        replying MAC, or \"timeout\" (exit 1)\n"
	      "  ns IFACE ADDR [MAC]   one neighbour solicitation, to ADDR's\n"
	      "                        solicited-node group or to MAC and ADDR;\n"
	      "                        prints \"TLLA S=0|1 O=0|1 dst=ADDR\" of\n"
	      "                        the advertisement, or \"timeout\" (exit 1)\n"
	      "  dad IFACE ADDR        the same as a DAD probe (source ::)\n"
	      "  watch IFACE           until the timeout, one line per\n"
	      "                        gratuitous ARP (\"garp ADDR MAC op=N\")\n"
	      "                        and unsolicited NA (\"na ADDR TLLA ...\")\n"
	      "  flood IFACE ADDR...   requests for every ADDR (ARP or NS) in\n"
	      "                        bursts until the timeout; prints \"sent N\n"
	      "                        answered M rate R\" (answers per second)\n"
	      "  -t S: timeout in seconds [2]; -r: create READY once listening\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "+r:t:")) != -1) {
		if (c == 't')
			timeout = atof(optarg);
		else if (c == 'r')
			ready = optarg;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (argc == 3 && !strcmp(argv[0], "arp"))
		return cmd_arp(argv[1], argv[2]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[0], "ns"))
		return cmd_ns(argv[1], argv[2], argc == 4 ? argv[3] : NULL,
			      false);
	if (argc == 3 && !strcmp(argv[0], "dad"))
		return cmd_ns(argv[1], argv[2], NULL, true);
	if (argc == 2 && !strcmp(argv[0], "watch"))
		return cmd_watch(argv[1]);
	if (argc >= 3 && !strcmp(argv[0], "flood"))
		return cmd_flood(argv[1], argc - 2, argv + 2);
	usage();
}
