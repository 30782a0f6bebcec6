#!/usr/bin/python3
"""measure.py [--env K=V]... [--time-file FILE] [--stdout FILE] -- COMMAND [ARG...]

Runs COMMAND once under `/usr/bin/time -v` with exactly the environment given by --env (nothing
else is inherited) and prints one JSON object:

  wall_ms     monotonic clock around fork/exec/wait (sub-millisecond; /usr/bin/time prints
              only centiseconds)
  cpu_ms      user + system time from wait4() of /usr/bin/time: COMMAND and every descendant
              it waited for (a shell script's commands, `&` jobs reaped by `wait`), plus
              /usr/bin/time itself (about 0.3 ms)
  maxrss_kb   "Maximum resident set size" as /usr/bin/time -v prints it: the largest single
              process of the tree, not the sum of processes alive at the same time
  rc          COMMAND's exit status
  start_real_ns  the realtime clock (ns) just before the fork: with --stdout FILE (COMMAND's
              standard output goes there), a command that ends by exec'ing `date +%s%N` (netcheck
              -- date) tells when that exec happened on the same clock

The measuring process is started inside the namespace beforehand (`ip netns exec NS measure.py`),
so neither Python's start nor `ip netns exec` is part of the numbers.
"""
import json
import os
import re
import sys
import tempfile
import time


def main(argv):
    env = {}
    time_file = None
    stdout_file = None
    i = 0
    while i < len(argv) and argv[i] != "--":
        if argv[i] == "--env":
            k, _, v = argv[i + 1].partition("=")
            env[k] = v
            i += 2
        elif argv[i] == "--time-file":
            time_file = argv[i + 1]
            i += 2
        elif argv[i] == "--stdout":
            stdout_file = argv[i + 1]
            i += 2
        else:
            sys.exit(f"measure.py: unknown option {argv[i]}")
    cmd = argv[i + 1:]
    if not cmd:
        sys.exit("measure.py: no command")
    if time_file is None:
        fd, time_file = tempfile.mkstemp(prefix="measure-", suffix=".time")
        os.close(fd)
        keep = False
    else:
        keep = True
    full = ["/usr/bin/time", "-v", "-o", time_file] + cmd
    out_fd = os.open(stdout_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if stdout_file else None
    t0_real = time.time_ns()
    t0 = time.monotonic_ns()
    pid = os.fork()
    if pid == 0:
        try:
            if out_fd is not None:
                os.dup2(out_fd, 1)
            os.execve(full[0], full, env)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.monotonic_ns()
    if out_fd is not None:
        os.close(out_fd)
    text = open(time_file, encoding="utf-8", errors="replace").read()
    if not keep:
        os.unlink(time_file)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    rc = re.search(r"Exit status: (\d+)", text)
    out = {
        "wall_ms": round((t1 - t0) / 1e6, 3),
        "cpu_ms": round((ru.ru_utime + ru.ru_stime) * 1000, 3),
        "user_ms": round(ru.ru_utime * 1000, 3),
        "sys_ms": round(ru.ru_stime * 1000, 3),
        "maxrss_kb": int(m.group(1)) if m else ru.ru_maxrss,
        "rc": int(rc.group(1)) if rc else os.waitstatus_to_exitcode(status),
        "start_real_ns": t0_real,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
