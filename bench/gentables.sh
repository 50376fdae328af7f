#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Generate the service tables of one size for the four data planes.
#
# Usage: bench/gentables.sh N OUTDIR
#
# N services (service i, 0-based, has the VIP 10.96.0.0 + i + 1, port 80),
# each with 4 backends on port 8080. Service T = N/2, the target in the
# middle of the table, has the 4 real backends 198.51.100.2-5 and both a TCP
# and a UDP port 80 (so N+1 service-ports in all); the others are TCP only,
# with backends at made-up addresses in 10.128.0.0/15 (nothing needs to
# answer there). An extra service, index 60000 (10.96.234.97:80/tcp), is
# what the add/remove-one-service measurement adds and removes again.
#
# Files in OUTDIR (the layouts are those of kube-proxy's modes, NAT part):
#   lbipam.batch       lbctl -b: service add + backend replace per service
#   lbipam-add.batch   lbipam-del.batch
#   iptables.rules     iptables-restore: KUBE-SERVICES, KUBE-SVC-*, KUBE-SEP-*
#   iptables-add.rules iptables-del.rules   iptables-restore --noflush, as
#                      kube-proxy >= 1.26 syncs: KUBE-SERVICES is rewritten
#                      whole, only the changed KUBE-SVC/SEP chains are sent
#   nft.rules          nft -f: table ip kube-proxy, vmap @service-ips,
#                      numgen random mod 4 vmap to endpoint chains
#   nft-dp.rules       nft.rules with the same map elements, chains and
#                      target service, but the other services' chains
#                      pick no endpoint (a goto to their first one), so
#                      the target's vmap is the only anonymous set. The
#                      kernel names each anonymous set by scanning all sets
#                      of the table, so nft.rules loads in O(N^2) (over
#                      240 s at 10k under TCG); nft-dp.rules loads in O(N)
#                      and still gives the target's packets kube-proxy's
#                      exact path (map lookup, numgen vmap, endpoint chain)
#   nft-add.rules      nft-del.rules (element + chains only: O(changes))
#   ipvs.addrs         ip -batch: the VIPs on the dummy device kube-ipvs0
#   ipvs.rules         ipvsadm-restore: -A ... -s rr, -a ... -m (NAT)
#   ipvs-add.addrs ipvs-add.rules ipvs-del.addrs ipvs-del.rules
#   lbipam-1be.batch   lbctl -b: the same service-ports with one backend
#                      each (the first of the four; the target's is
#                      198.51.100.2), lbipam's side of the reference pair
#   nftmap.rules       nft -f: the least rule machinery for the same
#                      translation (reference plane "nftmap", issue 11):
#                      one data map ip daddr . l4proto . dport ->
#                      backend ip . port of the same N+1 service-ports and
#                      single backends, one rule
#                      "dnat ip to ip daddr . meta l4proto . th dport map"
#   target             shell assignments: VIP=..., NSVC=..., NPORTS=...,
#                      BE1=... (the target's single backend)
set -euo pipefail

if [[ $# -ne 2 || ! "$1" =~ ^[0-9]+$ || "$1" -lt 1 ]]; then
	echo "usage: $0 N OUTDIR" >&2
	exit 2
fi
n=$1
out=$2
mkdir -p "$out"

awk -v n="$n" -v out="$out" '
function ip4(v) {
	return sprintf("%d.%d.%d.%d", int(v / 16777216) % 256,
		       int(v / 65536) % 256, int(v / 256) % 256, v % 256)
}
function vip(i) { return ip4(VIPBASE + i + 1) }
function be(i, j) {
	if (i == t)
		return "198.51.100." (j + 2)
	return ip4(BEBASE + 4 * i + j + 1)
}
function svcname(i, p) { return sprintf("KUBE-SVC-%08X%04X%s", i, 80, p) }
function sepname(i, p, j) { return sprintf("KUBE-SEP-%08X%04X%s%d", i, 80, p, j) }
function nsvc(i, p) { return sprintf("service-%08X-bench/svc%d/%s/p80", i, i, p) }
function nep(i, p, j) {
	return sprintf("endpoint-%08X-bench/svc%d/%s/p80__%s/8080", i, i, p, be(i, j))
}
function pcode(p) { return p == "udp" ? "U" : "T" }

# lbipam
# One backend (the first) per service-port: the reference pair.
function lb_svc1(f, i, p) {
	printf "service add %s:80/%s\n", vip(i), p > f
	printf "backend replace %s:80/%s %s:8080\n", vip(i), p, be(i, 0) > f
}
function lb_svc(f, i, p, cmd,   j, l) {
	printf "service add %s:80/%s\n", vip(i), p > f
	l = "backend replace " vip(i) ":80/" p
	for (j = 0; j < 4; j++)
		l = l " " be(i, j) ":8080"
	print l > f
}

# iptables
function ipt_decl(f, i, p,   j) {
	printf ":%s - [0:0]\n", svcname(i, pcode(p)) > f
	for (j = 0; j < 4; j++)
		printf ":%s - [0:0]\n", sepname(i, pcode(p), j) > f
}
function ipt_jump(f, i, p) {
	printf "-A KUBE-SERVICES -d %s/32 -p %s -m comment --comment \"bench/svc%d:p80 cluster IP\" -m %s --dport 80 -j %s\n",
	       vip(i), p, i, p, svcname(i, pcode(p)) > f
}
function ipt_chains(f, i, p,   j, s, e) {
	s = svcname(i, pcode(p))
	for (j = 0; j < 4; j++) {
		e = sepname(i, pcode(p), j)
		if (j < 3)
			printf "-A %s -m comment --comment \"bench/svc%d:p80 -> %s:8080\" -m statistic --mode random --probability %.11f -j %s\n",
			       s, i, be(i, j), 1 / (4 - j), e > f
		else
			printf "-A %s -m comment --comment \"bench/svc%d:p80 -> %s:8080\" -j %s\n",
			       s, i, be(i, j), e > f
		printf "-A %s -s %s/32 -m comment --comment \"bench/svc%d:p80\" -j KUBE-MARK-MASQ\n",
		       e, be(i, j), i > f
		printf "-A %s -p %s -m comment --comment \"bench/svc%d:p80\" -m %s -j DNAT --to-destination %s:8080\n",
		       e, p, i, p, be(i, j) > f
	}
}
# Every service-port of the table, for KUBE-SERVICES in order.
function ipt_all_jumps(f, extra,   i) {
	for (i = 0; i < n; i++) {
		ipt_jump(f, i, "tcp")
		if (i == t)
			ipt_jump(f, i, "udp")
		if (extra && i == int(n / 2))
			ipt_jump(f, X, "tcp")
	}
}

# nftables
function nft_elem(i, p) { return sprintf("%s . %s . 80 : goto %s", vip(i), p, nsvc(i, p)) }
# dp: nft-dp.rules, where only the target keeps its anonymous vmap; the
# others carry no traffic, so which endpoint they pick does not matter.
function nft_chains(f, i, p, dp,   j, l) {
	l = "numgen random mod 4 vmap {"
	for (j = 0; j < 4; j++)
		l = l sprintf(" %d : goto %s%s", j, nep(i, p, j), j < 3 ? "," : " }")
	if (dp && i != t)
		l = "goto " nep(i, p, 0)
	for (j = 0; j < 4; j++) {
		printf "add chain ip kube-proxy %s\n", nep(i, p, j) > f
		printf "add rule ip kube-proxy %s ip saddr %s jump mark-for-masquerade\n",
		       nep(i, p, j), be(i, j) > f
		printf "add rule ip kube-proxy %s meta l4proto %s dnat to %s:8080\n",
		       nep(i, p, j), p, be(i, j) > f
	}
	# After the endpoint chains: a goto needs its chain to exist.
	printf "add chain ip kube-proxy %s\n", nsvc(i, p) > f
	printf "add rule ip kube-proxy %s %s\n", nsvc(i, p), l > f
}
# The whole table, nft.rules or (dp) nft-dp.rules.
function nft_table(f, dp,   i, k, l) {
	print "add table ip kube-proxy" > f
	print "add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }" > f
	print "add chain ip kube-proxy mark-for-masquerade" > f
	print "add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000" > f
	print "add chain ip kube-proxy masquerading" > f
	print "add rule ip kube-proxy masquerading mark and 0x4000 == 0 return" > f
	print "add rule ip kube-proxy masquerading mark set mark xor 0x4000" > f
	print "add rule ip kube-proxy masquerading masquerade fully-random" > f
	print "add chain ip kube-proxy services" > f
	print "add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips" > f
	print "add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }" > f
	print "add rule ip kube-proxy nat-prerouting jump services" > f
	print "add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }" > f
	print "add rule ip kube-proxy nat-output jump services" > f
	print "add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }" > f
	print "add rule ip kube-proxy nat-postrouting jump masquerading" > f
	for (i = 0; i < n; i++) {
		nft_chains(f, i, "tcp", dp)
		if (i == t)
			nft_chains(f, i, "udp", dp)
	}
	# The elements in chunks, as kube-proxy writes them.
	l = ""
	k = 0
	for (i = 0; i < n; i++) {
		l = l (k ? ", " : "") nft_elem(i, "tcp")
		k++
		if (i == t) {
			l = l ", " nft_elem(i, "udp")
			k++
		}
		if (k >= 1000 || i == n - 1) {
			printf "add element ip kube-proxy service-ips { %s }\n", l > f
			l = ""
			k = 0
		}
	}
	close(f)
}
# nftmap: one data map, one dnat rule; elements in chunks like nft.rules.
function nftmap_elem(i, p) {
	return sprintf("%s . %s . 80 : %s . 8080", vip(i), p, be(i, 0))
}
function nftmap_table(f,   i, k, l) {
	print "add table ip lbref" > f
	print "add map ip lbref svc { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service ; }" > f
	print "add chain ip lbref prerouting { type nat hook prerouting priority -100 ; }" > f
	print "add rule ip lbref prerouting dnat ip to ip daddr . meta l4proto . th dport map @svc" > f
	l = ""
	k = 0
	for (i = 0; i < n; i++) {
		l = l (k ? ", " : "") nftmap_elem(i, "tcp")
		k++
		if (i == t) {
			l = l ", " nftmap_elem(i, "udp")
			k++
		}
		if (k >= 1000 || i == n - 1) {
			printf "add element ip lbref svc { %s }\n", l > f
			l = ""
			k = 0
		}
	}
	close(f)
}

# ipvs
function ipvs_svc(f, i, p,   j, o) {
	o = p == "udp" ? "-u" : "-t"
	printf "-A %s %s:80 -s rr\n", o, vip(i) > f
	for (j = 0; j < 4; j++)
		printf "-a %s %s:80 -r %s:8080 -m -w 1\n", o, vip(i), be(i, j) > f
}

BEGIN {
	VIPBASE = 10 * 16777216 + 96 * 65536
	BEBASE = 10 * 16777216 + 128 * 65536
	t = int(n / 2)
	X = 60000

	f = out "/target"
	printf "NSVC=%d\nNPORTS=%d\nTIDX=%d\nVIP=%s\nXVIP=%s\nBE1=%s\n", n, n + 1, t, vip(t), vip(X), be(t, 0) > f
	close(f)

	# lbipam
	f = out "/lbipam.batch"
	for (i = 0; i < n; i++) {
		lb_svc(f, i, "tcp")
		if (i == t)
			lb_svc(f, i, "udp")
	}
	close(f)
	f = out "/lbipam-1be.batch"
	for (i = 0; i < n; i++) {
		lb_svc1(f, i, "tcp")
		if (i == t)
			lb_svc1(f, i, "udp")
	}
	close(f)
	lb_svc(out "/lbipam-add.batch", X, "tcp")
	close(out "/lbipam-add.batch")
	printf "service del %s:80/tcp\n", vip(X) > (out "/lbipam-del.batch")
	close(out "/lbipam-del.batch")

	# iptables
	f = out "/iptables.rules"
	print "*nat" > f
	print ":PREROUTING ACCEPT [0:0]" > f
	print ":INPUT ACCEPT [0:0]" > f
	print ":OUTPUT ACCEPT [0:0]" > f
	print ":POSTROUTING ACCEPT [0:0]" > f
	print ":KUBE-SERVICES - [0:0]" > f
	print ":KUBE-POSTROUTING - [0:0]" > f
	print ":KUBE-MARK-MASQ - [0:0]" > f
	for (i = 0; i < n; i++) {
		ipt_decl(f, i, "tcp")
		if (i == t)
			ipt_decl(f, i, "udp")
	}
	print "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES" > f
	print "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES" > f
	print "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING" > f
	print "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000" > f
	print "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN" > f
	print "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000" > f
	print "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully" > f
	ipt_all_jumps(f, 0)
	for (i = 0; i < n; i++) {
		ipt_chains(f, i, "tcp")
		if (i == t)
			ipt_chains(f, i, "udp")
	}
	print "COMMIT" > f
	close(f)

	f = out "/iptables-add.rules"
	print "*nat" > f
	print ":KUBE-SERVICES - [0:0]" > f
	ipt_decl(f, X, "tcp")
	ipt_all_jumps(f, 1)
	ipt_chains(f, X, "tcp")
	print "COMMIT" > f
	close(f)

	f = out "/iptables-del.rules"
	print "*nat" > f
	print ":KUBE-SERVICES - [0:0]" > f
	ipt_decl(f, X, "tcp")
	ipt_all_jumps(f, 0)
	printf "-X %s\n", svcname(X, "T") > f
	for (j = 0; j < 4; j++)
		printf "-X %s\n", sepname(X, "T", j) > f
	print "COMMIT" > f
	close(f)

	# nftables
	nft_table(out "/nft.rules", 0)
	nft_table(out "/nft-dp.rules", 1)
	nftmap_table(out "/nftmap.rules")

	f = out "/nft-add.rules"
	nft_chains(f, X, "tcp", 0)
	printf "add element ip kube-proxy service-ips { %s }\n", nft_elem(X, "tcp") > f
	close(f)
	f = out "/nft-del.rules"
	printf "delete element ip kube-proxy service-ips { %s . tcp . 80 }\n", vip(X) > f
	printf "delete chain ip kube-proxy %s\n", nsvc(X, "tcp") > f
	for (j = 0; j < 4; j++)
		printf "delete chain ip kube-proxy %s\n", nep(X, "tcp", j) > f
	close(f)

	# ipvs
	f = out "/ipvs.addrs"
	for (i = 0; i < n; i++)
		printf "address add %s/32 dev kube-ipvs0\n", vip(i) > f
	close(f)
	f = out "/ipvs.rules"
	for (i = 0; i < n; i++) {
		ipvs_svc(f, i, "tcp")
		if (i == t)
			ipvs_svc(f, i, "udp")
	}
	close(f)
	printf "address add %s/32 dev kube-ipvs0\n", vip(X) > (out "/ipvs-add.addrs")
	ipvs_svc(out "/ipvs-add.rules", X, "tcp")
	printf "-D -t %s:80\n", vip(X) > (out "/ipvs-del.rules")
	printf "address del %s/32 dev kube-ipvs0\n", vip(X) > (out "/ipvs-del.addrs")
}'
