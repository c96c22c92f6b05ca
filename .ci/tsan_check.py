"""Runs the ThreadSanitizer build of tests/tsan-fixture in each mode and
checks how each process ends and what its exit function printed. Every wait
is bounded: a hang fails the check."""

import select
import signal
import subprocess
import sys

LIMIT = 60  # seconds for any one wait; ThreadSanitizer programs start slowly


def run(program, mode, send=None):
    child = subprocess.Popen([program, mode], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        ready, _, _ = select.select([child.stdout], [], [], LIMIT)
        if not ready:
            raise SystemExit(f"{mode}: no output within {LIMIT} s")
        lines.append(child.stdout.readline().rstrip("\n"))
        if lines != ["ready"]:
            raise SystemExit(f"{mode}: expected ready, got {lines}")
        if send is not None:
            child.send_signal(send)
        status = child.wait(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        child.kill()
        raise SystemExit(f"{mode}: still running {LIMIT} s after the signal")
    lines += child.stdout.read().splitlines()
    return status, lines, child.stderr.read()


def check(program, mode, send, status, lines):
    got_status, got_lines, stderr = run(program, mode, send)
    if (got_status, got_lines) != (status, lines):
        raise SystemExit(f"{mode}: ended with {got_status} and printed {got_lines},"
                         f" expected {status} and {lines}\nstderr:\n{stderr}")
    if "WARNING: ThreadSanitizer" in stderr:
        raise SystemExit(f"{mode}: ThreadSanitizer reported:\n{stderr}")
    print(f"tsan: {mode}: ok ({got_status}, {got_lines})")


def main():
    program = sys.argv[1]
    killed = -signal.SIGTERM
    check(program, "sleep", signal.SIGTERM, killed, ["ready", "ran cleanup"])
    check(program, "park", signal.SIGTERM, killed, ["ready", "ran cleanup"])
    check(program, "return", None, 0, ["ready", "ran cleanup"])
    # The documented limit: a hooked signal a thread sends itself stays
    # pending on that thread, which blocks it under ThreadSanitizer.
    check(program, "raise", None, 0, ["ready", "still running", "ran cleanup"])


main()
