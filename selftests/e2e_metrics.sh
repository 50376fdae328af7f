#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbipamd's /metrics with the module loaded: after known traffic the data
# plane's counters read from the module say exactly that (connections per
# service port and per backend, backends by state, live affinity bindings
# once the Service has ClientIP affinity), an L2 announcement's gratuitous
# ARP is counted, and the daemon reports the kernel in sync.
#
#   client --> node (lbipamd + lbipam.ko, /metrics on its loopback) --> be1, be2

# Checks are strings that lb_check evaluates (SC2016) and helpers are
# called through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"

e2e_require
lb_require_tools curl
lb_plan 24

client=$LB_RUN-client
node=$LB_RUN-node
CONNS=7

lb_check "build topology with 2 backends" lb_topology "$LB_RUN" 2
lb_check "servers on the backends" \
	lb_serve "$LB_RUN-be1,be1,tcp,4,$BPORT" "$LB_RUN-be2,be2,tcp,4,$BPORT"
lb_check "lbipamd starts with --metrics-address 127.0.0.1:0" \
	e2e_start "$node" --metrics-address 127.0.0.1:0
maddr=$(sed -n 's/.*msg="Serving metrics".* address=\([^ ]*\).*/\1/p' "$E2E_LOG" | tail -n 1)
lb_check "apply a pool and the web Service (be1, be2)" e2e_pool_and_svc p 20.0.0.0/24
ip=$(e2e_wait_ip default/web '^20\.0\.0\.')

# scrape: /metrics from inside the node's namespace, into $LB_TMP/metrics.
scrape() {
	ip netns exec "$node" curl -sS --max-time 10 "http://$maddr/metrics" \
		>"$LB_TMP/metrics"
}

# value SERIES: that exact series' value in the last scrape.
value() {
	awk -v s="$1" '$1 == s { print $2 }' "$LB_TMP/metrics"
}

WEB="namespace=\"default\",service=\"web\",address=\"$ip\",port=\"80\",protocol=\"TCP\""

lb_check "scrape before any traffic" scrape
lb_expect_eq "no connection counted yet" 0 \
	"$(value "lbipam_service_connections_total{$WEB}")"
lb_expect_eq "both backends active" 2 \
	"$(value "lbipam_service_backends{$WEB,state=\"active\"}")"
lb_expect_eq "none terminating" 0 \
	"$(value "lbipam_service_backends{$WEB,state=\"terminating\"}")"

lb_check "$CONNS connections to $ip:80" eval \
	'for ((i = 0; i < CONNS; i++)); do lb_tcp "$client" "$ip" 80 | grep -q "^be[12] " || exit 1; done'
lb_check "scrape after the traffic" scrape
lb_expect_eq "lbipam_service_connections_total counts $CONNS" "$CONNS" \
	"$(value "lbipam_service_connections_total{$WEB}")"
per_be=$(awk -v p="lbipam_backend_connections_total{$WEB," 'index($1, p) == 1 { s += $2 } END { print s + 0 }' \
	"$LB_TMP/metrics")
lb_expect_eq "per-backend connections add up to $CONNS" "$CONNS" "$per_be"
lb_expect_eq "nothing rejected or dropped" "0 0" \
	"$(value "lbipam_service_rejects_total{$WEB}") $(value "lbipam_service_drops_total{$WEB}")"
lb_expect_eq "the daemon's view: kernel synced, no errors" "1 0" \
	"$(value 'lbipam_kernel_state{state="synced"}') $(value 'lbipam_kernel_errors_total{table="services"}')"
lb_expect_eq "no affinity bindings exported without affinity" 0 \
	"$(grep -c '^lbipam_service_affinity_entries{' "$LB_TMP/metrics")"

# ClientIP affinity: one client, one live binding.
lb_check "the web Service gets sessionAffinity ClientIP" eval 'e2e_apply <<YAML
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.20
  sessionAffinity: ClientIP
  ports:
  - {name: http, port: 80, targetPort: $BPORT}
  - {name: echo, port: 9090, targetPort: 9090}
YAML'
has_affinity() {
	local i
	for ((i = 0; i < 2 * LB_TIMEOUT; i++)); do
		[ "$(lbctl -N "$node" -j service show "$ip:80/tcp" | jq '.[0].affinity')" -gt 0 ] 2>/dev/null &&
			return 0
		sleep 0.5
	done
	return 1
}
lb_check "the kernel service has affinity" has_affinity
lb_check "a connection to $ip:80" eval 'lb_tcp "$client" "$ip" 80 | grep -q "^be[12] "'
lb_check "scrape after it" scrape
lb_expect_eq "lbipam_service_affinity_entries: 1 live binding" 1 \
	"$(value "lbipam_service_affinity_entries{$WEB}")"

# An announcement on c0: its gratuitous ARP is counted.
lb_check "announce the web Service on c0" eval 'e2e_apply <<YAML
apiVersion: cilium.io/v2alpha1
kind: CiliumL2AnnouncementPolicy
metadata: {name: all}
spec:
  interfaces: ["^c0\$"]
  loadBalancerIPs: true
YAML'
lb_check "scrape after the announcement" scrape
lb_expect_eq "one gratuitous ARP counted for $ip on c0" 1 \
	"$(value "lbipam_l2_announces_total{address=\"$ip\",interface=\"c0\"}")"
lb_check "lbipamd stops cleanly" e2e_stop
lb_exit
