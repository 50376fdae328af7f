#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbipamd's /metrics on the host (no kernel module: the data plane's
# families must be absent): exact values for known pools and Services,
# Prometheus's own parser (promtool check metrics), and a real prometheus
# server on loopback scraping lbipamd and answering PromQL. TAP output.
#
#   LBIPAMD=path/to/lbipamd LBCTL=path/to/lbctl metrics.sh

# Checks are strings that check evaluates (SC2016) and helpers are called
# through it (SC2317): shellcheck cannot see either.
# shellcheck disable=SC2016,SC2317
out_lines=40
fresh_log=1
prom=
cleanup_more() {
	[ -n "$prom" ] && kill "$prom" 2>/dev/null
}
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
lbipamd_args=(--config /dev/null --state "$tmp/state.db" --socket "$tmp/s.sock"
	--log-level debug)

scrape() {
	curl -sS --max-time 10 "http://$maddr/metrics" >"$tmp/metrics"
}

# value 'SERIES': the sample of exactly that series (name and labels as
# printed), or nothing.
value() {
	awk -v s="$1" '$1 == s { print $2 }' "$tmp/metrics"
}

# is 'SERIES' V: check the sample's value.
is() {
	local got
	got=$(value "$1")
	echo "$1 = '$got', want '$2'" >"$tmp/out"
	[ "$got" = "$2" ]
	ok $? "$1 is $2"
}

# A port nothing listens on, for prometheus.
free_port() {
	local p
	for ((p = 20000 + RANDOM % 20000; ; p++)); do
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

cat >"$tmp/objects.yaml" <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: pool-a}
spec:
  blocks: [{cidr: 10.1.0.0/28}]
---
# Overlaps pool-a: one of the two (pool-a) is conflicting.
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: pool-b}
spec:
  blocks: [{cidr: 10.1.0.8/29}]
  serviceSelector: {matchExpressions: [{key: pool, operator: DoesNotExist}]}
---
apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: pool-c}
spec:
  blocks: [{start: 10.2.0.1, stop: 10.2.0.10}]
  serviceSelector: {matchLabels: {pool: c}}
---
apiVersion: v1
kind: Service
metadata: {name: one, namespace: default}
spec:
  type: LoadBalancer
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: two, namespace: default, labels: {pool: c}}
spec:
  type: LoadBalancer
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: three, namespace: other, labels: {pool: c}}
spec:
  type: LoadBalancer
  ports: [{port: 443}]
---
# Asks for an address no pool has: matching, but unsatisfied.
apiVersion: v1
kind: Service
metadata:
  name: lost
  namespace: default
  annotations: {lbipam.cilium.io/ips: 192.0.2.7}
spec:
  type: LoadBalancer
  ports: [{port: 80}]
---
# Another controller's class: not ours, not matching.
apiVersion: v1
kind: Service
metadata: {name: theirs, namespace: default}
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/other
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: plain, namespace: default}
spec:
  ports: [{port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: one-abc
  namespace: default
  labels: {kubernetes.io/service-name: one}
addressType: IPv4
endpoints: [{addresses: [10.244.0.5]}]
ports: [{port: 8080}]
YAML

: >"$tmp/out"
check "lbipamd starts without --metrics-address" start
check "... and serves no metrics (off by default)" sh -c \
	'! grep -q "Serving metrics" "$1" && "$2" get status -o json |
	 jq -e ".config[\"metrics-address\"] == \"\"" >/dev/null' _ "$tmp/log" "$LBCTL"
check "SIGTERM" stop

check "lbipamd starts with --metrics-address 127.0.0.1:0" start \
	--metrics-address 127.0.0.1:0
maddr=$(sed -n 's/.*msg="Serving metrics".* address=\([^ ]*\).*/\1/p' "$tmp/log")
echo "log: $(grep 'Serving metrics' "$tmp/log")" >"$tmp/out"
[[ "$maddr" =~ ^127\.0\.0\.1:[1-9][0-9]*$ ]]
ok $? "the log names the bound address ($maddr)"
check "get status shows metrics-address" sh -c \
	'"$1" get status | grep -q "^  metrics-address: *127.0.0.1:0$"' _ "$LBCTL"

check "an empty daemon scrapes" scrape
is lbipam_conflicting_pools_total 0
is lbipam_services_matching_total 0
is lbipam_leader 1
check "no pool, no per-pool series" sh -c '! grep -q "^lbipam_ips_used_total{" "$1"' _ "$tmp/metrics"

check "apply the pools, Services and an EndpointSlice" "$LBCTL" apply -f "$tmp/objects.yaml"
check "scrape" scrape
cp "$tmp/metrics" "$tmp/out"
# pool-a conflicts: nothing from it. one from pool-b (8 addresses), two
# and three from pool-c (10).
is lbipam_conflicting_pools_total 1
is 'lbipam_ips_used_total{pool="pool-a"}' 0
is 'lbipam_ips_available_total{pool="pool-a"}' 16
is 'lbipam_ips_used_total{pool="pool-b"}' 1
is 'lbipam_ips_available_total{pool="pool-b"}' 7
is 'lbipam_ips_used_total{pool="pool-c"}' 2
is 'lbipam_ips_available_total{pool="pool-c"}' 8
is lbipam_services_matching_total 4
is lbipam_services_unsatisfied_total 1
is 'lbipam_objects{kind="CiliumLoadBalancerIPPool"}' 3
is 'lbipam_objects{kind="Service"}' 6
is 'lbipam_objects{kind="EndpointSlice"}' 1
is 'lbipam_objects{kind="CiliumL2AnnouncementPolicy"}' 0
is 'lbipam_kernel_state{state="missing"}' 1
is 'lbipam_kernel_state{state="synced"}' 0
is 'lbipam_kernel_errors_total{table="services"}' 0
# one:80 on its LB IP; two and three on theirs.
is lbipam_kernel_services 3
# The same numbers as the engine's own view.
"$LBCTL" get ippools -o json >"$tmp/pools.json"
check "available matches get ippools" sh -c \
	'[ "$(jq -r ".items[] | select(.metadata.name == \"pool-c\") | .status.conditions[] | select(.type == \"cilium.io/IPsAvailable\") | .message" "$1")" = 8 ]' \
	_ "$tmp/pools.json"
check "no data plane families without the module" sh -c \
	'! grep -Eq "^# TYPE (lbipam_service_|lbipam_backend_|lbipam_l2_)" "$1"' _ "$tmp/metrics"
check "the histogram counted the applies" sh -c \
	'c=$(awk "\$1 == \"lbipam_reconcile_duration_seconds_count\" {print \$2}" "$1");
	 i=$(awk "\$1 == \"lbipam_reconcile_duration_seconds_bucket{le=\\\"+Inf\\\"}\" {print \$2}" "$1");
	 [ "$c" -ge 2 ] && [ "$c" = "$i" ]' _ "$tmp/metrics"
start_s=$(stat -c %Y "/proc/$pid")
check "process_start_time_seconds is the daemon's" sh -c \
	'v=$(awk "\$1 == \"process_start_time_seconds\" {printf \"%d\", \$2}" "$1");
	 [ $((v - $2)) -le 2 ] && [ $(($2 - v)) -le 2 ]' _ "$tmp/metrics" "$start_s"
check "process_open_fds is about what /proc shows" sh -c \
	'v=$(awk "\$1 == \"process_open_fds\" {print \$2}" "$1"); f=$(ls "/proc/$2/fd" | wc -l);
	 [ "$v" -ge $((f - 2)) ] && [ "$v" -le $((f + 2)) ]' _ "$tmp/metrics" "$pid"
check "process_resident_memory_bytes > 1 MB" sh -c \
	'[ "$(awk "\$1 == \"process_resident_memory_bytes\" {print \$2}" "$1")" -gt 1000000 ]' \
	_ "$tmp/metrics"
check "HELP and TYPE once per family" sh -c \
	'[ -z "$(grep "^# TYPE" "$1" | awk "{print \$3}" | sort | uniq -d)" ]' _ "$tmp/metrics"
check "Content-Type text/plain; version=0.0.4" sh -c \
	'curl -sSI --max-time 10 "http://$1/metrics" | grep -qi "^content-type: text/plain; version=0.0.4"' _ "$maddr"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$maddr/nope")
echo "got $code" >"$tmp/out"
[ "$code" = 404 ]
ok $? "another path: 404"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "http://$maddr/metrics")
echo "got $code" >"$tmp/out"
[ "$code" = 405 ]
ok $? "POST: 405"

# Prometheus's own parser.  Cilium's five LB-IPAM gauges end in _total,
# which its linter flags for non-counters; we keep Cilium's names on
# purpose, so those five lines, and nothing else, are expected.
promtool check metrics <"$tmp/metrics" >"$tmp/lint" 2>&1
for m in conflicting_pools ips_available ips_used services_matching \
	services_unsatisfied; do
	echo "lbipam_${m}_total non-counter metrics should not have \"_total\" suffix"
done | sort >"$tmp/lint.want"
sort "$tmp/lint" >"$tmp/lint.got"
check "promtool check metrics: only Cilium's _total gauges flagged" diff "$tmp/lint.want" "$tmp/lint.got"
grep -Ev '^(# (HELP|TYPE) )?lbipam_(conflicting_pools|ips_available|ips_used|services_matching|services_unsatisfied)_total' \
	"$tmp/metrics" >"$tmp/rest"
check "promtool check metrics: the rest is clean" promtool check metrics <"$tmp/rest"
printf '# TYPE x gauge\nx{a="1" 2\n' | promtool check metrics >"$tmp/out" 2>&1
ok $(($? != 0 ? 0 : 1)) "promtool does fail on a broken exposition"

# A real Prometheus on loopback scrapes lbipamd every second.
pport=$(free_port)
mkdir -p "$tmp/tsdb"
cat >"$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: lbipamd
  static_configs: [{targets: ['$maddr']}]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn \
	>"$tmp/prom.log" 2>&1 &
prom=$!
# query PROMQL: the first result's value, "" if none yet.
query() {
	curl -sS --max-time 5 -G "http://127.0.0.1:$pport/api/v1/query" \
		--data-urlencode "query=$1" 2>/dev/null |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
got=
for ((i = 0; i < 120; i++)); do
	got=$(query 'lbipam_ips_used_total{job="lbipamd",pool="pool-c"}')
	[ -n "$got" ] && break
	sleep 0.5
done
{ echo "prometheus answered '$got' after $i tries"; tail -n 20 "$tmp/prom.log"; } >"$tmp/out"
[ "$got" = 2 ]
ok $? "prometheus scraped it: lbipam_ips_used_total{pool=\"pool-c\"} = 2"
check "... the target is up" sh -c '[ "$(curl -sS -G "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=up{job=\"lbipamd\"}" | jq -r ".data.result[0].value[1]")" = 1 ]' _ "$pport"
# A change is seen by the next scrape.
"$LBCTL" delete service other/three >/dev/null
for ((i = 0; i < 60; i++)); do
	got=$(query 'lbipam_ips_used_total{pool="pool-c"}')
	[ "$got" = 1 ] && break
	sleep 0.5
done
echo "got '$got'" >"$tmp/out"
[ "$got" = 1 ]
ok $? "after deleting other/three PromQL says 1"
got=$(query 'sum(lbipam_objects)')
echo "got '$got'" >"$tmp/out"
[ "$got" = 9 ]
ok $? "sum(lbipam_objects) = 9"
kill "$prom"
wait "$prom" 2>/dev/null
prom=

check "a bad --metrics-address is rejected" sh -c \
	'"$1" --config /dev/null --metrics-address 127.0.0.1 2>&1 | grep -q "^lbipamd: --metrics-address: invalid value '"'"'127.0.0.1'"'"'"' \
	_ "$LBIPAMD"
check "final SIGTERM: clean exit (and no leaks)" stop
# An address in use: the start fails and says why.
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' >"$tmp/busy" &
busy=$!
for ((i = 0; i < 50; i++)); do [ -s "$tmp/busy" ] && break; sleep 0.1; done
"$LBIPAMD" --config /dev/null --state :memory: --socket "$tmp/s2.sock" \
	--metrics-address "127.0.0.1:$(cat "$tmp/busy")" >"$tmp/out" 2>&1
rc=$?
kill "$busy"
wait "$busy" 2>/dev/null
[ $rc -ne 0 ] && grep -q 'msg="Cannot listen for metrics".*error="Address already in use"' "$tmp/out"
ok $? "a port in use: lbipamd exits, saying why"
if grep -q "ERROR: AddressSanitizer\|runtime error" "$tmp/log"; then
	ok 1 "no sanitizer reports"
else
	ok 0 "no sanitizer reports"
fi
echo "1..$n"
exit $failed
