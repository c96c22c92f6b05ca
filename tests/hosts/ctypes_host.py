"""Loads plugins into Python with ctypes, as two extension modules would
each bring their own copy of exit-attr. `tests/copies.rs` runs it with
python3 and gives it copies of `tests/plugin` in distinct files.

Usage: ctypes_host.py [--wakeup-on-stdout] (PATH NAME BEHAVIOUR)...

  --wakeup-on-stdout  makes Python's C-level signal handler, the one it
                      installs for SIGINT when it starts, say each time it
                      runs: `signal.set_wakeup_fd` makes it write one byte,
                      the signal's number, and the descriptor given is a
                      second opening of stdout's pipe, so that the byte
                      lands among the lines that the plugins print, in the
                      order of the writes. A second opening (of
                      /proc/self/fd/1), not a `dup`: Python requires the
                      descriptor to be non-blocking, and a duplicate would
                      share stdout's flags.

Python installs its own SIGINT handler when it starts, before any plugin is
loaded. `ctypes.CDLL` loads each PATH with `RTLD_NOW | RTLD_LOCAL` (its
default mode on Linux is `RTLD_LOCAL`, and ctypes always adds `RTLD_NOW`),
then the host calls its `plugin_init(NAME, BEHAVIOUR)`, prints `ready` and
obeys one command per line on stdin, as the Rust fixture does
(tests/fixtures/commands.rs):

  return  ends the script (also at the end of stdin)
  exit N  sys.exit(N)
  fork    os.fork(); the child prints `child ready` and pauses until a
          signal ends it; the parent prints `forked PID`, waits for the child
          and prints `child ended by signal N` or `child exited with N`
"""

import ctypes
import os
import signal
import sys
import warnings


def say(line):
    # One write(2) per line, which a pipe keeps whole: `print` may write the
    # line and its newline separately (unbuffered Python), and a forked
    # child and its parent print at the same time.
    os.write(1, f"{line}\n".encode())


def fail(message):
    print(f"ctypes_host: {message}", file=sys.stderr, flush=True)
    sys.exit(64)


def fork_child():
    pid = os.fork()
    if pid == 0:
        say("child ready")
        while True:
            signal.pause()
    say(f"forked {pid}")
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        say(f"child ended by signal {os.WTERMSIG(status)}")
    else:
        say(f"child exited with {os.WEXITSTATUS(status)}")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--wakeup-on-stdout"]:
        fd = os.open("/proc/self/fd/1", os.O_WRONLY | os.O_NONBLOCK)
        signal.set_wakeup_fd(fd)
        args = args[1:]
    if len(args) % 3 != 0:
        fail("plugins come as PATH NAME BEHAVIOUR")
    for path, name, behaviour in zip(args[0::3], args[1::3], args[2::3]):
        plugin = ctypes.CDLL(path)
        plugin.plugin_init.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        plugin.plugin_init.restype = ctypes.c_int
        if plugin.plugin_init(name.encode(), behaviour.encode()) != 0:
            fail(f"plugin_init({name}, {behaviour}) failed")
    # Every copy of exit-attr runs a thread of its own, which Python 3.12
    # and later warn about at each fork; the warning is about Python code
    # in the child, and the child here runs none that needs those threads.
    warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*fork")
    say("ready")
    for line in sys.stdin:
        command = line.strip()
        if command == "return":
            return
        if command.startswith("exit "):
            sys.exit(int(command[len("exit "):]))
        if command == "fork":
            fork_child()
        else:
            fail(f"unknown command {command}")


main()
