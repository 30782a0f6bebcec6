#!/usr/bin/python3
"""blackbox-run.py EXPORTER CONFIG PORT PROBES-FILE

One benchmark run of the Prometheus blackbox_exporter, inside the container's namespace (run it
with `ip netns exec`): starts the exporter on 127.0.0.1:PORT (the namespace's own loopback), waits
until it answers, then asks it for every probe of PROBES-FILE at once, the way Prometheus scrapes
its targets in parallel: one `curl http://127.0.0.1:PORT/probe?module=M&target=T` per probe.
Stops the exporter and prints one JSON object:

  wall_ms        from the first probe request to the last answer
  cpu_ms         the exporter's CPU during the probes (sum over its threads of
                 /proc/PID/task/*/schedstat run time, nanoseconds, read before and after)
  cpu_total_ms   the exporter's user+sys from wait4() at exit, start-up included
  driver_cpu_ms  the curl processes that asked (Prometheus' share, not counted as the tool's)
  maxrss_kb      the exporter's VmHWM (peak RSS since start) after the probes
  startup_ms     from exec to the first answer on /-/healthy
  ok, total      probes whose outcome is what a healthy private VPC shows (probe_success 1)
  probes         per probe: success and probe_duration_seconds (ms)

PROBES-FILE: one probe a line, "NAME MODULE TARGET".
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def sched_ns(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) if m else 0


def main():
    exporter, config, port, probes_file = sys.argv[1:5]
    probes = [line.split() for line in open(probes_file) if line.strip()]
    base = f"http://127.0.0.1:{port}"
    t_start = time.monotonic_ns()
    proc = subprocess.Popen([exporter, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                             "--log.level=warn"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = {}
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(base + "/-/healthy", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                sys.exit("blackbox-run: the exporter did not start")
            time.sleep(0.005)
        startup_ms = (time.monotonic_ns() - t_start) / 1e6
        cpu0 = sched_ns(proc.pid)
        t0 = time.monotonic_ns()
        curls = []
        for name, module, target in probes:
            url = f"{base}/probe?module={module}&target={urllib.parse.quote(target, safe='')}"
            curls.append((name, subprocess.Popen(["curl", "-s", "-m", "30", url], stdout=subprocess.PIPE)))
        driver_cpu = 0.0
        out = {}
        for name, c in curls:
            body = c.stdout.read().decode("utf-8", "replace")
            c.stdout.close()
            _, _, ru = os.wait4(c.pid, 0)
            c.returncode = 0
            driver_cpu += ru.ru_utime + ru.ru_stime
            succ = re.search(r"^probe_success (\S+)", body, re.M)
            dur = re.search(r"^probe_duration_seconds (\S+)", body, re.M)
            out[name] = {"success": bool(succ and float(succ.group(1)) == 1.0),
                         "ms": round(float(dur.group(1)) * 1000, 1) if dur else None}
        t1 = time.monotonic_ns()
        cpu1 = sched_ns(proc.pid)
        hwm = vm_hwm_kb(proc.pid)
        result = {
            "wall_ms": round((t1 - t0) / 1e6, 3),
            "cpu_ms": round((cpu1 - cpu0) / 1e6, 3),
            "driver_cpu_ms": round(driver_cpu * 1000, 3),
            "maxrss_kb": hwm,
            "startup_ms": round(startup_ms, 1),
            "ok": sum(1 for v in out.values() if v["success"]),
            "total": len(out),
            "probes": out,
        }
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            _, _, ru = os.wait4(proc.pid, 0)
            result["cpu_total_ms"] = round((ru.ru_utime + ru.ru_stime) * 1000, 3)
        except ChildProcessError:
            pass
    print(json.dumps(result))


if __name__ == "__main__":
    main()
