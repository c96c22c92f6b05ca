#!/usr/bin/env python3
"""Where the signal-to-cleanup latency goes, phase by phase (BENCHMARKS.md,
"Signal to cleanup"). An investigation aid, not part of the harness.

Runs the latency programs of the harness (built by `cargo run --release -p
exit-attr-bench --bin bench` or `cargo build --release -p exit-attr-bench
--bins`) interleaved, as the harness does (ready, 2 ms idle, SIGTERM, wait
for the cleanup's line), under

    perf record -a -e signal:signal_generate,signal:signal_deliver,
                      sched:sched_waking,sched:sched_switch

(root, or a perf_event_paranoid that allows tracepoints), then prints, per
program, the median of each phase, from the kernel's timestamps:

  1. kill -> handler: `kill()` in the driver to the signal's delivery on the
     program's main thread (waking it);
  2. handler -> wakes its thread: delivery to the wake-up of the thread that
     runs the cleanup (pipe write or futex wake, in the handler);
  3. wake -> thread runs: the scheduler, usually on the other, idle, CPU;
  4. thread runs -> cleanup's line: from then until the cleanup's write on
     stdout wakes the driver (everything the library does in between, then
     the cleanup itself).

and the total, kill to line, both over every round and over the rounds
whose trace holds every event (perf's trace lacks the thread's switch-in in
about a third of the rounds here).

The driver is Python and the tracepoints cost a little each, so absolute
times are higher than the harness's; compare the programs with each other.

    sudo python3 bench/scripts/latency_phases.py [ROUNDS] [PROGRAM,...]
"""

import collections
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PROGRAMS = [
    "latency_exit_attr_quiet",
    "latency_exit_attr",
    "latency_ctrlc",
    "latency_raw_pipe",
    "latency_raw_sem",
]
EVENTS = "signal:signal_generate,signal:signal_deliver,sched:sched_switch,sched:sched_waking"
HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "..", "target", "release")


def drive(rounds, programs, out):
    """The driver perf records: interleaved runs, pids written to `out`."""
    pids = {p: [] for p in programs}
    for r in range(rounds):
        for p in programs if r % 2 == 0 else programs[::-1]:
            child = subprocess.Popen(
                [os.path.join(TARGET, p)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            if child.stdout.readline() != b"ready\n":
                sys.exit(f"{p} did not print ready")
            time.sleep(0.002)
            os.kill(child.pid, signal.SIGTERM)
            if not child.stdout.readline().startswith(b"cleanup"):
                sys.exit(f"{p} did not print cleanup")
            child.wait()
            pids[p].append(child.pid)
    with open(out, "w") as f:
        json.dump(pids, f)


LINE = re.compile(r"^\s*(.*?)\s+(-?\d+)/(-?\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$")


def phases(script, pids):
    program_of = {pid: p for p, ps in pids.items() for pid in ps}
    events = []
    for line in script.splitlines():
        m = LINE.match(line)
        if m:
            _, tgid, tid, cpu, t, name, rest = m.groups()
            events.append((float(t) * 1e6, int(tgid), int(tid), int(cpu), name, rest))
    events.sort()
    result = collections.defaultdict(lambda: collections.defaultdict(list))
    other_cpu = collections.Counter()
    for i, e in enumerate(events):
        if e[4] != "signal:signal_generate":
            continue
        m = re.search(r"sig=15 .* pid=(\d+)", e[5])
        if not m or int(m.group(1)) not in program_of:
            continue
        pid, driver = int(m.group(1)), e[1]
        t = {"kill": e[0]}
        main = thread = None
        for f in events[i + 1 : i + 400]:
            if "deliver" not in t:
                if f[4] == "signal:signal_deliver" and f[1] == pid and "sig=15" in f[5]:
                    t["deliver"], main, main_cpu = f[0], f[2], f[3]
            elif "wake" not in t:
                if f[4] == "sched:sched_waking" and f[2] == main:
                    t["wake"] = f[0]
                    thread = int(re.search(r"pid=(\d+)", f[5]).group(1))
            elif f[4] == "sched:sched_waking" and f[2] == thread and re.search(rf"pid={driver} ", f[5]):
                t["line"] = f[0]
                break
            elif "runs" not in t:
                if f[4] == "sched:sched_switch" and re.search(rf"next_pid={thread} ", f[5]):
                    t["runs"], thread_cpu = f[0], f[3]
        if "line" not in t:
            continue
        r = result[program_of[pid]]
        # The trace lacks the thread's switch-in in some rounds (about a
        # third here): their total still counts, their phases do not.
        r["0 total, every round with a line"].append(t["line"] - t["kill"])
        if "runs" not in t:
            continue
        r["1 kill -> handler"].append(t["deliver"] - t["kill"])
        r["2 handler -> wakes its thread"].append(t["wake"] - t["deliver"])
        r["3 wake -> thread runs"].append(t["runs"] - t["wake"])
        r["4 thread runs -> cleanup's line"].append(t["line"] - t["runs"])
        r["5 total, rounds with every phase"].append(t["line"] - t["kill"])
        other_cpu[program_of[pid]] += thread_cpu != main_cpu
    return result, other_cpu


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--drive":
        drive(int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4])
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    programs = sys.argv[2].split(",") if len(sys.argv) > 2 else PROGRAMS
    with tempfile.TemporaryDirectory() as tmp:
        data, pids = os.path.join(tmp, "perf.data"), os.path.join(tmp, "pids.json")
        subprocess.run(
            ["perf", "record", "-q", "-a", "-e", EVENTS, "-o", data, "--",
             sys.executable, __file__, "--drive", str(rounds), ",".join(programs), pids],
            check=True,
        )
        script = subprocess.run(
            ["perf", "script", "--ns", "-F", "comm,pid,tid,cpu,time,event,trace", "-i", data],
            check=True, capture_output=True, text=True,
        ).stdout
        with open(pids) as f:
            pids = json.load(f)
    result, other_cpu = phases(script, pids)
    for p in programs:
        r = result[p]
        n, phased = len(r["0 total, every round with a line"]), len(r["5 total, rounds with every phase"])
        print(f"{p} ({n} rounds, {phased} with every phase; thread on the other CPU in {other_cpu[p]})")
        for phase in sorted(r):
            print(f"  {phase:34} median {statistics.median(r[phase]):6.1f} µs")


if __name__ == "__main__":
    main()
