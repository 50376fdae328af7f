#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""dp_udp_race.sh's driver: one UDP flow, and rounds of {cur} -> {mid} ->
{fin} changes under it.

usage: dp_udp_race.py ADDR PORT SPORT ROUNDS LBCTL NODE SVC TMP TAG=IP:PORT...

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
    subprocess.run([lbctl, "-N", node, "-b", batch], check=True,
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
