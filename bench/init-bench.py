#!/usr/bin/env python3
"""bench/init-bench.py - netcheck --init beside tini and dumb-init, in one run.

Usage: init-bench.py RUNS NAME=COMMAND... (each COMMAND a shell-quoted prefix; the workload,
`sleep 600`, is appended). For every run, in an order that rotates run by run, each wrapper is
started with the workload; once the workload runs (the wrapper has a child that has exec'd
sleep), the wrapper's RSS is read from /proc (VmRSS, and Pss from smaps_rollup), then SIGTERM is
sent to the wrapper and the time until waitpid() returns it is measured (monotonic clock): the
wrapper forwards the signal, the workload dies, the wrapper reaps it and exits.

Prints one JSON object per line: {"tool", "run", "term_ms", "rss_kib", "pss_kib", "status"}.
"""
import json
import os
import shlex
import signal
import sys
import time

WORKLOAD = ["sleep", "600"]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def status_kib(pid, key, path="status"):
    with open(f"/proc/{pid}/{path}") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def one(cmd):
    devnull = os.open(os.devnull, os.O_RDWR)
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.setsid()
        os.execvp(cmd[0], cmd)
    os.close(devnull)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        kids = children(pid)
        if kids and comm(kids[0]) == "sleep":
            break
        time.sleep(0.002)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise SystemExit(f"init-bench: {cmd[0]}: the workload never started")
    time.sleep(0.05)  # settled: the wrapper waits in its loop
    rss = status_kib(pid, "VmRSS")
    pss = status_kib(pid, "Pss", "smaps_rollup")
    t0 = time.monotonic_ns()
    os.kill(pid, signal.SIGTERM)
    _, st = os.waitpid(pid, 0)
    t1 = time.monotonic_ns()
    return (t1 - t0) / 1e6, rss, pss, os.waitstatus_to_exitcode(st)


def main():
    runs = int(sys.argv[1])
    tools = []
    for a in sys.argv[2:]:
        name, _, cmd = a.partition("=")
        tools.append((name, shlex.split(cmd) + WORKLOAD))
    for cmd in (t[1] for t in tools):  # warm-up: page cache, binaries loaded once
        one(cmd)
    for r in range(runs):
        for i in range(len(tools)):
            name, cmd = tools[(i + r) % len(tools)]
            ms, rss, pss, st = one(cmd)
            print(json.dumps({"tool": name, "run": r, "term_ms": round(ms, 3), "rss_kib": rss,
                              "pss_kib": pss, "status": st}), flush=True)


if __name__ == "__main__":
    main()
