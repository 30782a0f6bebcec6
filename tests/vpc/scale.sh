#!/usr/bin/env bash
# tests/vpc/scale.sh [N] - the peer mesh at scale: N hosts (default 100) in the emulated VPC.
#
# Brings up the healthy VPC with algo-1..algo-N (lib.sh: vpc_up N), starts netcheck in every
# host staggered (the last host SCALE_STAGGER seconds after the first), the whole run as in a
# real job (every family, not only peers; the S3/AWS stand-ins are shared by all N hosts), each
# netcheck under /usr/bin/time -v, and reports from the reports and the time files:
#   - time to full confirmation after the last host starts: every host's peer phase finished
#     with all N-1 peers confirmed both ways (peer probes OK), latest end minus latest start;
#   - peak RSS per agent (median, max), wall time per host (median, max), exit statuses;
#   - every probe that is not OK (peer or not), counted by host, id and code.
# Results: $SCALE_OUT (default tests/vpc/results/scale): summary.txt, per-host reports and logs.
#
# Environment: NETCHECK (binary, default ./netcheck), SCALE_HOSTS (N), SCALE_STAGGER (seconds,
# default 5), SCALE_PEER_WAIT (--peer-wait, default 90), SCALE_TIMEOUT (--timeout, default
# netcheck's own), SCALE_LIMIT (seconds per netcheck before TERM, default peer wait + 60),
# SCALE_ARGS (extra netcheck flags, split on spaces: "--skip peer" for a control run), SCALE_OUT,
# VPC_KEEP_RUN=1. Root; touches only its own namespaces (lib.sh), torn down on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vpc/lib.sh
source "$HERE/lib.sh"

N=${1:-${SCALE_HOSTS:-100}}
STAGGER=${SCALE_STAGGER:-5}
PEER_WAIT=${SCALE_PEER_WAIT:-90}
LIMIT=${SCALE_LIMIT:-$((PEER_WAIT + 60))}
OUT=${SCALE_OUT:-$HERE/results/scale}
NETCHECK=${NETCHECK:-./netcheck}
[[ -e $NETCHECK || $NETCHECK == /* ]] || NETCHECK=$HERE/../../$NETCHECK
NETCHECK=$(realpath "$NETCHECK")
[[ -x $NETCHECK ]] || { echo "scale: no netcheck binary at $NETCHECK (make)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "scale: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
[[ $N =~ ^[0-9]+$ && $N -ge 2 && $N -le 200 ]] || { echo "scale: 2..200 hosts, got '$N'" >&2; exit 2; }

say() { printf '[%6.1fs] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$*"; }

# Every host talks to every other: N*(N+1) neighbour entries. The kernel's ARP table is one for
# all namespaces, and its limits (gc_thresh1..3, 128/512/1024 by default) can be changed only
# from the machine's own namespace, which this test never touches: at 100 hosts the dynamic
# entries (~10,000) would overflow it ("neighbour table overflow", for every namespace on the
# machine). Permanent entries are exempt from those limits and from garbage collection, so each
# namespace gets one for every address it talks to on the subnet (what a VPC's mapping service
# does for ENIs anyway: no ARP broadcast reaches 99 other hosts). Only inside our namespaces.
scale_neighbours() {
  local k j ns gw_mac dns_mac
  local -a macs=()
  _mac() { ip -n "$1" -o link show dev "$2" 2>/dev/null | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
  for ((k = 1; k <= N; k++)); do
    macs[k]=$(_mac "$(vpc_ns "$k")" eth0)
    [[ -n ${macs[k]} ]] || _vpc_die "no MAC address for algo-$k" || return 1
  done
  gw_mac=$(_mac "${VPC_PREFIX}router" br0)
  dns_mac=$(_mac "${VPC_PREFIX}dns" eth0)
  [[ -n $gw_mac && -n $dns_mac ]] || _vpc_die "no MAC address for the router or the resolver" || return 1
  for ((k = 1; k <= N; k++)); do
    ns=$(vpc_ns "$k")
    {
      # (the format is reused: one line for the gateway, one for the resolver)
      printf 'neigh replace %s lladdr %s dev eth0 nud permanent\n' "$VPC_GW" "$gw_mac" "$VPC_DNS" "$dns_mac"
      for ((j = 1; j <= N; j++)); do
        [[ $j -eq $k ]] || printf 'neigh replace %s lladdr %s dev eth0 nud permanent\n' "$(vpc_host_ip "$j")" "${macs[j]}"
      done
    } | ip -n "$ns" -batch - || return 1
  done
  {
    for ((k = 1; k <= N; k++)); do
      printf 'neigh replace %s lladdr %s dev br0 nud permanent\n' "$(vpc_host_ip "$k")" "${macs[k]}"
    done
  } | ip -n "${VPC_PREFIX}router" -batch - || return 1
  {
    printf 'neigh replace %s lladdr %s dev eth0 nud permanent\n' "$VPC_GW" "$gw_mac"
    for ((k = 1; k <= N; k++)); do
      printf 'neigh replace %s lladdr %s dev eth0 nud permanent\n' "$(vpc_host_ip "$k")" "${macs[k]}"
    done
  } | ip -n "${VPC_PREFIX}dns" -batch - || return 1
  k=$(ip -n "$(vpc_ns "$N")" neigh show nud permanent | grep -c .)
  [[ $k -eq $((N + 1)) ]] || _vpc_die "algo-$N has $k permanent neighbour entries, want $((N + 1))"
}

# scale_start K DELAY: starts netcheck in algo-K after DELAY seconds (in the background), under
# timeout and /usr/bin/time -v. Every host's job is forked at once and sleeps its own delay, so
# the stagger is not stretched by the cost of starting 100 processes one after the other.
# shellcheck disable=SC2016 # the sh -c program expands its own arguments
scale_start() {
  local h=algo-$1 delay=$2 dir
  local -a envv=(PATH=/usr/sbin:/usr/bin:/sbin:/bin) args=()
  dir=$VPC_RUN/$h
  mapfile -t -O 1 envv <"$dir/env" # vpc_netcheck_env, without a fork per host
  [[ -n ${SCALE_TIMEOUT:-} ]] && args+=(--timeout "$SCALE_TIMEOUT")
  # shellcheck disable=SC2206 # split on purpose
  [[ -n ${SCALE_ARGS:-} ]] && args+=($SCALE_ARGS)
  (
    sleep "$delay"
    date +%s.%N >"$dir/launched"
    exec ip netns exec "$(vpc_ns "$h")" timeout -k 5 "$LIMIT" \
      unshare --uts -- /bin/sh -c 'hostname "$0" && exec "$@"' "$h" \
      env -i "${envv[@]}" /usr/bin/time -v -o "$dir/time.txt" \
      "$NETCHECK" --sm-config-dir "$dir/config" --report "$dir/out/$h.json" \
      --ca-bundle "$VPC_RUN/ca.pem" --peer-wait "$PEER_WAIT" --summary text "${args[@]}" -- /bin/true \
      </dev/null >"$dir/netcheck.out" 2>"$dir/netcheck.err"
  ) &
  PIDS[$1]=$!
}

main() {
  local k rc dir
  local -a PIDS=()
  T0=$(date +%s.%N)
  rm -rf "$OUT"
  mkdir -p "$OUT"
  vpc_install_traps
  {
    # shellcheck disable=SC1091
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "netcheck: $NETCHECK ($("$NETCHECK" --version 2>/dev/null | head -n 1))"
    # shellcheck disable=SC2016 # the quotes are printed
    echo "command: NETCHECK=$NETCHECK SCALE_STAGGER=$STAGGER SCALE_PEER_WAIT=$PEER_WAIT${SCALE_TIMEOUT:+ SCALE_TIMEOUT=$SCALE_TIMEOUT}${SCALE_ARGS:+ SCALE_ARGS='$SCALE_ARGS'} tests/vpc/scale.sh $N"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); other netcheck VPC namespaces on the machine: $(ip netns list | grep -c '^nc' || true)"
  } >"$OUT/machine.txt"

  say "vpc_up $N"
  vpc_up "$N" >"$OUT/bringup.log" 2>&1 || { cat "$OUT/bringup.log" >&2; echo "scale: bring-up failed" >&2; exit 1; }
  say "up in ${VPC_UP_SECONDS}s; permanent neighbour entries"
  scale_neighbours || { echo "scale: neighbour entries failed" >&2; exit 1; }

  say "starting $N netchecks over ${STAGGER}s (peer wait ${PEER_WAIT}s, limit ${LIMIT}s each)"
  # Host k sleeps (k-1)/(N-1) of the stagger in its own subshell: nothing but that fork
  # happens per host in this loop, so the stagger is not stretched by 100 process starts.
  local -a delays
  mapfile -t delays < <(awk -v n="$N" -v s="$STAGGER" 'BEGIN { for (k = 1; k <= n; k++) printf "%.3f\n", (k - 1) * s / (n - 1) }')
  for ((k = 1; k <= N; k++)); do scale_start "$k" "${delays[k - 1]}"; done
  say "all started; waiting"
  for ((k = 1; k <= N; k++)); do
    rc=0
    wait "${PIDS[k]}" || rc=$?
    echo "$rc" >"$(vpc_host_dir "algo-$k")/netcheck.rc"
  done
  say "all finished"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

  for ((k = 1; k <= N; k++)); do
    dir=$(vpc_host_dir "algo-$k")
    mkdir -p "$OUT/algo-$k"
    cp -r "$dir/out/." "$OUT/algo-$k/" 2>/dev/null || true
    cp "$dir/netcheck.out" "$dir/netcheck.err" "$dir/netcheck.rc" "$dir/time.txt" "$dir/launched" \
      "$OUT/algo-$k/" 2>/dev/null || true
  done
  cp -r "$VPC_RUN/log" "$OUT/vpc-log" 2>/dev/null || true
  cp "$VPC_RUN/svc/nginx-error.log" "$OUT/vpc-log/" 2>/dev/null || true
  vpc_down
  say "torn down"
  scale_report "$OUT" "$N" | tee "$OUT/summary.txt"
}

# scale_report DIR N: the numbers, from the copied reports and time files.
scale_report() {
  python3 - "$1" "$2" <<'EOF'
import json, os, re, statistics, sys
from datetime import datetime
out, n = sys.argv[1], int(sys.argv[2])

def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()

starts, ends, rss, wall, rcs, bad, missing, confirmed = [], [], [], [], {}, {}, [], 0
peer_total = []
phases = {k: [] for k in ("resolve", "connect", "HELLO", "PING (rtt)", "bulk", "attempts", "probe total")}
for k in range(1, n + 1):
    h = f"algo-{k}"
    d = os.path.join(out, h)
    try:
        t = open(os.path.join(d, "time.txt")).read()
        rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)))
        m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", t)
        wall.append(int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3)))
    except (OSError, AttributeError):
        pass
    try:
        rc = open(os.path.join(d, "netcheck.rc")).read().strip()
    except OSError:
        rc = "?"
    rcs[rc] = rcs.get(rc, 0) + 1
    try:
        r = json.load(open(os.path.join(d, h + ".json")))
    except (OSError, ValueError):
        missing.append(h)
        continue
    st = ts(r["started_at"])
    starts.append(st)
    peers = [p for p in r["probes"] if p.get("kind") == "peer"]
    ok = [p for p in peers if p["code"] == "OK" and p["verdict"] == "pass"]
    end = st + max((p["timings_ms"]["total"] or 0) for p in peers) / 1000.0 if peers else st
    ends.append(end)
    peer_total.append(end - st)
    if len(peers) == n - 1 and len(ok) == n - 1:
        confirmed += 1
    for p in ok:
        t, d = p["timings_ms"], p.get("details", {})
        if t.get("dns", -1) >= 0 and t.get("connect", -1) >= 0 and t.get("first_byte", -1) >= 0:
            phases["resolve"].append(t["dns"])
            phases["connect"].append(t["connect"] - t["dns"])
            phases["HELLO"].append(t["first_byte"] - t["connect"])
        if d.get("rtt_ms") is not None:
            phases["PING (rtt)"].append(d["rtt_ms"])
        if d.get("bulk_mbps"):
            phases["bulk"].append(d["bulk_bytes"] * 8 / (d["bulk_mbps"] * 1000))
        phases["attempts"].append(d.get("attempts", 0))
        phases["probe total"].append(t["total"])
    for p in r["probes"]:
        if p["code"] != "OK" or p["verdict"] not in ("pass", "skip"):
            key = (p["kind"], p["code"])
            bad.setdefault(key, []).append(f'{h} {p["id"]}: {p["message"][:160]}')

def med(v):
    return statistics.median(v) if v else float("nan")

print(f"hosts: {n}; reports: {n - len(missing)}; hosts with all {n - 1} peers confirmed both ways: {confirmed}")
if starts:
    print(f"start spread (netcheck's started_at): {max(starts) - min(starts):.2f} s")
    print(f"time to full confirmation after the last host started: {max(ends) - max(starts):.2f} s"
          + ("" if confirmed == n else "  (NOT all confirmed: peer phases ended at their deadline)"))
    print(f"peer phase per host: median {med(peer_total):.2f} s, max {max(peer_total):.2f} s")
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")

print("phases of the confirmed peer probes, ms (resolve from the probe's start; connect, HELLO from"
      " the phase before; bulk from bulk_mbps; attempts = connections tried; the listener opens"
      " when the peer family starts):")
for k, v in phases.items():
    if v:
        print(f"  {k:<12} median {med(v):8.2f}  p95 {pct(v, 0.95):8.2f}  max {max(v):8.2f}  (n {len(v)})")
if rss:
    print(f"peak RSS per agent (KiB): median {med(rss):.0f}, max {max(rss)}, min {min(rss)}")
if wall:
    print(f"wall time per host (s): median {med(wall):.2f}, max {max(wall):.2f}, min {min(wall):.2f}")
print("exit statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(rcs.items())))
if missing:
    print("no report: " + " ".join(missing))
if not bad:
    print("failures: none (every probe of every host OK)")
for (kind, code), lines in sorted(bad.items(), key=lambda kv: -len(kv[1])):
    print(f"failures: {len(lines)} x {kind} {code}")
    for l in lines[:5]:
        print("    " + l)
EOF
}

main "$@"
