#!/usr/bin/env python3
"""Reads the per-task step trace of bench/tools/task-trace.patch (TTRACE=<file>)
and prints the p50/p90/mean of each step of scenario d's tasks.

  git apply bench/tools/task-trace.patch && cmake --build build-rel --target trainia
  BENCH_SKIP_BUILD=1 BENCH_SCENARIOS=d BENCH_BURST=0 BENCH_WRITE_DOCS=0 \
    BENCH_SERVER_ENV=TTRACE=/tmp/steps.tsv bench/run
  bench/tools/task_trace.py /tmp/steps.tsv
  git apply -R bench/tools/task-trace.patch

Columns are steady-clock nanoseconds per step (0 = not seen); the first fifth
of the tasks (the warm-up) is left out.
"""
import statistics
import sys

NAMES = {
    0: "handler (http_run)", 1: "submit job starts (db thread)", 2: "insert results (db thread)",
    3: "dispatcher starts it", 4: "worker sends the call", 15: "call ends (outbound thread)",
    5: "worker has the reply", 6: "recorder has it", 7: "its batch is sent", 10: "batch job starts (db thread)",
    14: "batch committed (db thread)", 8: "recorder has the result", 9: "dispatcher told",
    13: "waiting connection answered", 11: "submit committed", 12: "submit reply at the connection",
}
CHAIN = [0, 1, 2, 3, 4, 15, 5, 6, 7, 10, 14, 8, 9, 13]
EXTRA = [(0, 13), (2, 11), (2, 12), (5, 13)]


def q(values, p):
    v = sorted(values)
    return v[int(p * (len(v) - 1))]


def main(path):
    rows = [list(map(int, line.split())) for line in open(path) if line.strip()]
    rows = [r for r in rows if all(r[i] for i in CHAIN)]
    rows.sort(key=lambda r: r[0])
    rows = rows[len(rows) // 5:]
    if not rows:
        sys.exit("no complete task in " + path)
    print(f"{len(rows)} tasks")
    for a, b in list(zip(CHAIN, CHAIN[1:])) + EXTRA:
        d = [(r[b] - r[a]) / 1e6 for r in rows if r[a] and r[b]]
        print(f"{NAMES[a]:>32} -> {NAMES[b]:<32} p50 {q(d, .5):7.3f}  p90 {q(d, .9):7.3f}  mean {statistics.mean(d):7.3f} ms")


if __name__ == "__main__":
    main(sys.argv[1])
