#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# UDP conntrack cleanup must not race the data path. One UDP client with a
# fixed source port sends continuously to a service while its backend set
# changes twice in a row, {cur} -> {mid} -> {fin} (one lbctl batch): the
# first change deletes the flow's entry, the flow's next packet makes a new
# one, and the second change removes the backend that packet may have
# picked. If that packet read the state before the second change but is
# confirmed after its cleanup walk, its entry keeps pointing to the removed
# backend (whose server still runs, so it keeps answering) for as long as
# the client sends: the stale-UDP blackhole. After every round the flow must
# be answered by fin within a second, and by nothing else afterwards.
#
# Only packets that make a new conntrack entry pass a long nftables chain in
# the node's FORWARD hook: that widens the moment between the translation
# and the confirmation, where the race lives, without slowing the flow.
# Answers a backend sends after the flow's entry is gone are dropped there:
# they would make entries of their own (backend -> client) that clash with
# a later translation of the flow to the same backend.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=dp_lib.sh
source "$(dirname "$0")/dp_lib.sh"

dp_require
lb_require_tools nft
ROUNDS=${DP_RACE_ROUNDS:-40}
SLOW_RULES=${DP_RACE_SLOW_RULES:-4000}
lb_plan 8

client=$LB_RUN-client
node=$LB_RUN-node
svc="$VIP:$VPORT/udp"
SPORT=40000

lb_check "build topology with 3 backends" lb_topology "$LB_RUN" 3
lb_check "UDP servers on be1, be2 and be3" dp_servers \
	"$LB_RUN-be1,be1,udp,4,$BPORT" "$LB_RUN-be2,be2,udp,4,$BPORT" \
	"$LB_RUN-be3,be3,udp,4,$BPORT"

# slow_new: the nftables chain that only new connections pass.
# shellcheck disable=SC2317 # called through lb_check
slow_new() {
	{
		echo "table inet lb_race {"
		echo "  chain slow {"
		for ((i = 0; i < SLOW_RULES; i++)); do
			echo "    meta mark 0x5ace$((i % 10)) counter"
		done
		echo "    counter"
		echo "  }"
		echo "  chain forward {"
		echo "    type filter hook forward priority 0; policy accept;"
		echo "    ct state new ip daddr $CLIENT_IP drop"
		echo "    ct state new jump slow"
		echo "  }"
		echo "}"
	} >"$LB_TMP/slow.nft"
	ip netns exec "$node" nft -f "$LB_TMP/slow.nft"
}
lb_check "slow FORWARD path for new connections ($SLOW_RULES rules)" slow_new

lb_cfg "service add $svc" lbctl -n "$node" service add "$svc"
lb_cfg "backend add $svc be1" lbctl -n "$node" backend add "$svc" "$(dp_be_ip 1):$BPORT"

cat >"$LB_TMP/race.py" <<'EOF'
"""One UDP flow, and rounds of {cur} -> {mid} -> {fin} changes under it.

Prints "round N ok MS" (MS: from the end of the batch to the first answer
from fin) or "round N late|stale DETAIL"; then "summary OK LATE STALE".
"""
import os
import select
import socket
import subprocess
import sys
import threading
import time

addr, port, sport, rounds, lbctl, node, svc, tmp = sys.argv[1:9]
bes = sys.argv[9:]  # "TAG=IP:PORT"
tags = [b.split("=")[0] for b in bes]
eps = dict(b.split("=") for b in bes)
LIMIT = 1.0    # seconds until fin must answer
GIVEUP = 10.0  # ... and until a late answer is called never
SETTLE = 0.3   # seconds after that with answers from fin only

answers = []   # (time, tag)
lock = threading.Lock()
stop = threading.Event()


# The flow on one CPU, lbctl on another: the flow's packets are handled in
# its CPU's softirq one after the other, so only the first after a deletion
# makes a new entry (two CPUs would each make one and clash).
CPUS = sorted(os.sched_getaffinity(0))
FLOW_CPU, CTL_CPU = CPUS[0], CPUS[-1]


def flow():
    os.sched_setaffinity(0, {FLOW_CPU})  # this thread only
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(sport)))
    s.connect((addr, int(port)))
    s.setblocking(False)
    seq = 0
    while not stop.is_set():
        # Often: the flow's first packet after its entry is deleted must
        # follow the deletion closely.
        seq += 1
        try:
            s.send(b"%d\n" % seq)
        except OSError:
            pass
        r, _, _ = select.select([s], [], [], 0.0002)
        while r:
            try:
                data = s.recv(2048)
            except OSError:
                break
            if data:
                with lock:
                    answers.append((time.monotonic(), data.split()[0].decode()))
            r, _, _ = select.select([s], [], [], 0.0002)


def since(t0):
    with lock:
        return [a for a in answers if a[0] > t0]


th = threading.Thread(target=flow, daemon=True)
th.start()
cur = 0
ok = late = stale = 0
for r in range(1, int(rounds) + 1):
    mid, fin = (cur + 1) % len(tags), (cur + 2) % len(tags)
    batch = "%s/race.batch" % tmp
    with open(batch, "w") as f:
        f.write("backend replace %s %s\n" % (svc, eps[tags[mid]]))
        f.write("backend replace %s %s\n" % (svc, eps[tags[fin]]))
    subprocess.run([lbctl, "-n", node, "-b", batch], check=True,
                   preexec_fn=lambda: os.sched_setaffinity(0, {CTL_CPU}))
    t1 = time.monotonic()
    first = None
    while time.monotonic() < t1 + GIVEUP and first is None:
        for t, tag in since(t1):
            if tag == tags[fin]:
                first = t
                break
        time.sleep(0.02)
    if first is None or first > t1 + LIMIT:
        seen = sorted(set(tag for t, tag in since(t1)
                          if first is None or t < first))
        print("round %d late: %s answered %s, before that answers from %s"
              % (r, tags[fin], "after %dms" % ((first - t1) * 1000)
                 if first else "never", ",".join(seen) or "nobody"),
              flush=True)
        late += 1
        cur = fin
        continue
    time.sleep(SETTLE)
    other = [tag for t, tag in since(first + 0.05) if tag != tags[fin]]
    if other:
        print("round %d stale: after %s answered, %d answers from %s"
              % (r, tags[fin], len(other), ",".join(sorted(set(other)))),
              flush=True)
        stale += 1
    else:
        print("round %d ok %d" % (r, (first - t1) * 1000), flush=True)
        ok += 1
    cur = fin
stop.set()
th.join()
print("summary %d %d %d" % (ok, late, stale), flush=True)
EOF

ip netns exec "$client" "$DP_PY" -u "$LB_TMP/race.py" "$VIP" "$VPORT" "$SPORT" \
	"$ROUNDS" "$LBCTL" "$node" "$svc" "$LB_TMP" \
	"be1=$(dp_be_ip 1):$BPORT" "be2=$(dp_be_ip 2):$BPORT" \
	"be3=$(dp_be_ip 3):$BPORT" >"$LB_TMP/race.out" 2>&1
rc=$?
lb_diag "$(cat "$LB_TMP/race.out")"
read -r _ ok late stale < <(grep '^summary ' "$LB_TMP/race.out")
lb_expect_eq "the race driver ran all $ROUNDS rounds" "0 $ROUNDS" \
	"$rc $((${ok:-0} + ${late:-0} + ${stale:-0}))"
lb_expect_eq "no round left the flow on a removed backend" "0 0" "${late:--} ${stale:--}"
# The chain really was in the way of new connections.
n=$(ip netns exec "$node" nft list chain inet lb_race slow |
	sed -n 's/^[[:space:]]*counter packets \([0-9]*\) .*/\1/p')
if [ "${n:-0}" -ge "$ROUNDS" ]; then
	lb_ok "new connections took the slow path ($n packets)"
else
	lb_not_ok "new connections took the slow path" "counter: '${n:-}'"
fi

lb_exit
