#!/usr/bin/env bash
# bench/run.sh - `make bench`: netcheck against what people run instead, and its footprint budgets.
#
# On the emulated VPC of tests/vpc (2 hosts), one check set - DNS of the S3 names, HEAD of the
# two job buckets, the three Amazon Linux repository generations, STS GetCallerIdentity, one
# egress target (pypi.org), one peer - done by:
#   netcheck   ./netcheck-static, every family but env and clock (it cannot narrow a family to
#              fewer targets: see RESULTS.md for what it does in addition), algo-2 running the
#              same netcheck at the same time as in a real 2-host job
#   shell-seq  dig, aws s3api head-bucket, curl, aws sts get-caller-identity, nc, one at a time
#   shell-par  the same commands at once (& and wait)
#   blackbox   Prometheus blackbox_exporter started in the container, asked for every probe at
#              once through /probe by curl
# in the scenarios healthy, blackhole (sts, pypi.org and the AL2023 bucket dropped), slow_s3
# (every S3 answer 50 ms late, through bench/delay-relay.py) and healthy_sysca (healthy, with the
# system CA bundle of 140+ certificates plus the test CA, as on a real image). Each run measures
# every tool, in an order that rotates run by run. Then: netcheck alone per family (the slowest
# single check), time to the first packet (strace), a callgrind profile of ./netcheck, install
# sizes; bench/report.py writes bench/RESULTS.md and prints PASS/FAIL per budget. A missed budget
# never fails `make bench`; a broken benchmark does.
#
# Then, with netcheck's default flags, the time from its start to the workload's exec in the
# healthy VPC and in the SageMaker guide's minimal VPC (no NAT, no interface endpoint).
#
# Last, the peer mesh of tests/vpc/scale.sh: BENCH_SCALE_RUNS runs (default 3, 0 for none) of
# BENCH_SCALE_HOSTS hosts (default 100), every host confirming all others.
#
# Environment: BENCH_RUNS (default 7), BENCH_SCENARIOS (default all four), BENCH_WORKLOAD (the
# time-to-workload scenarios, default "healthy minimal_vpc blackhole"; "" for none), BENCH_OUT (raw data,
# default build/bench), BENCH_RESULTS (default bench/RESULTS.md), BENCH_PROFILE_SYSCA=0 to skip
# the second callgrind profile, BENCH_BEFORE=PATH an older netcheck-static measured beside this
# one in the healthy VPC (CPU per run, alternating). Needs root; traffic stays inside the test bed's namespaces and
# their loopbacks; everything is torn down on exit, Ctrl-C or TERM.
# shellcheck disable=SC2016 # dpkg-query formats and jq programs in single quotes
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${BENCH_RUNS:-7}
SCENARIOS=${BENCH_SCENARIOS:-healthy blackhole slow_s3 healthy_sysca}
WORKLOAD_SCENARIOS=${BENCH_WORKLOAD-healthy minimal_vpc blackhole} # time to workload, default flags
SCALE_HOSTS=${BENCH_SCALE_HOSTS:-100} # the peer mesh (tests/vpc/scale.sh)
SCALE_RUNS=${BENCH_SCALE_RUNS:-3}
BEFORE=${BENCH_BEFORE:-} # an older netcheck-static to measure beside this one (CPU per run)
OUT=${BENCH_OUT:-$ROOT/build/bench}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
T=3 # the per-check timeout every tool gets (netcheck --timeout, curl -m, dig +time, ...)
NC_STATIC=$ROOT/netcheck-static
NC_DYN=$ROOT/netcheck
PY=/usr/bin/python3
AWS=/usr/bin/aws
BB=/usr/bin/prometheus-blackbox-exporter
PEER_PORT=7192 # the plain listener on algo-2 for shell and blackbox (netcheck's own port is 7191)
BB_PORT=9115
TOOLS=(netcheck shell_seq shell_par blackbox)
FAMILIES=(creds dns s3 repo egress aws peer)
BLACKHOLE_AL2023_ADDR=198.19.1.11 # where the AL2023 bucket's name points in "blackhole"

# shellcheck source=tests/vpc/lib.sh
source "$ROOT/tests/vpc/lib.sh"
VPC_QUIET=1

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces)"
[[ -z $BEFORE || -x $BEFORE ]] || die "BENCH_BEFORE: no executable at $BEFORE"
[[ -z $BEFORE ]] || BEFORE=$(realpath "$BEFORE")
for f in "$NC_STATIC" "$NC_DYN" "$PY" "$AWS" "$BB" /usr/bin/time; do
  [[ -x $f ]] || die "missing $f (make netcheck static; bench/install-deps.sh)"
done
for c in dig curl nc strace valgrind callgrind_annotate jq dpkg-query apt-cache tini dumb-init; do
  command -v "$c" >/dev/null || die "missing $c (bench/install-deps.sh)"
done

mkdir -p "$OUT"
RAW=$OUT/results.jsonl
: >"$RAW"
rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/callgrind.* "$OUT"/scale-*.log
BENCH_T0=$(date +%s)
# Other runs of the test bed (other engineers, CI) on the same machine share its 2 cores: noted.
foreign_ns() { ip netns list 2>/dev/null | awk -v p="$VPC_PREFIX" '$1 ~ /^nc[0-9]/ && index($1, p) != 1' | wc -l; }
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
FOREIGN0=$(foreign_ns)
vpc_install_traps

# ---- scenarios ----

# blackhole: three targets whose connects time out (router drops, no reject, like no_nat and
# no_sts_logs). sts and pypi.org have addresses of their own; the AL2023 bucket shares the S3
# front (198.19.1.10) with the job's buckets, so its name moves to an address the router drops.
scenario_blackhole() {
  _vpc_blackhole "${VPC_SVC_ADDR[sts]}" "${VPC_SVC_ADDR[pypi]}" "$BLACKHOLE_AL2023_ADDR"
  vpc_dns_set "al2023-repos-$VPC_REGION-de612dc2.s3.$VPC_REGION.amazonaws.com=$BLACKHOLE_AL2023_ADDR"
}

# slow_s3: a user-space relay in the svc namespace delays every answer of the S3 front by 50 ms
# (the kernel has no netem); a DNAT rule sends the S3 front's port 443 to it.
scenario_slow_s3() {
  local s3=${VPC_SVC_ADDR[s3]}
  _vpc_spawn svc delay-relay timeout "$VPC_LIFETIME" "$PY" "$ROOT/bench/delay-relay.py" "$s3" 8443 "$s3" 443 50 "$VPC_LIFETIME"
  _vpc_wait "delay relay" 5 grep -q '^relay' "$VPC_RUN/log/delay-relay.log"
  ip netns exec "${VPC_PREFIX}svc" nft -f - <<EOF
table ip ncbench {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "eth0" ip daddr $s3 tcp dport 443 dnat to $s3:8443
  }
}
EOF
}

scenario_up() { # scenario_up NAME: a fresh 2-host VPC with NAME's faults; sets CA
  vpc_up 2
  CA=$VPC_RUN/ca.pem
  case $1 in
  healthy) ;;
  blackhole) scenario_blackhole ;;
  slow_s3) scenario_slow_s3 ;;
  healthy_sysca)
    CA=$VPC_RUN/sysca.pem
    cat /etc/ssl/certs/ca-certificates.crt "$VPC_RUN/ca.pem" >"$CA"
    ;;
  minimal_vpc) minimal_vpc ;; # tests/vpc/lib.sh: no NAT, no interface endpoint
  *) die "unknown scenario $1" ;;
  esac
  _vpc_spawn a2 bench-peer timeout "$VPC_LIFETIME" nc -lk "$(vpc_host_ip algo-2)" "$PEER_PORT"
  _vpc_wait "peer listener" 5 vpc_exec algo-2 sh -c "ss -Hltn 'sport = :$PEER_PORT' | grep -q ."
  RUNDIR=$VPC_RUN/bench
  mkdir -p "$RUNDIR"
  mapfile -t ENV1 < <(vpc_netcheck_env algo-1)
  mapfile -t ENV2 < <(vpc_netcheck_env algo-2)
  # The AWS CLI: Debian's awscli with the container's credentials and the test CA. One attempt
  # and the same 3 s limits as every other tool: its defaults (60 s connect and read timeouts,
  # legacy retry mode with 5 attempts) would take minutes per black-holed check.
  SHELL_ENV=("${ENV1[@]}" HOME="$RUNDIR/home" AWS_DEFAULT_REGION="$VPC_REGION" AWS_CA_BUNDLE="$CA"
    AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
    BENCH_CA="$CA" BENCH_T="$T" BENCH_PEER="algo-2:$PEER_PORT" BENCH_AWS="$AWS")
  mkdir -p "$RUNDIR/home"
  sed -e "s|@CA@|$CA|g" -e "s|@T@|$T|g" -e "s|@REGION@|$VPC_REGION|g" bench/blackbox.yml.in >"$RUNDIR/blackbox.yml"
  local r=$VPC_REGION
  cat >"$RUNDIR/probes.txt" <<EOF
dns:s3.$r.amazonaws.com dns_s3 $VPC_DNS
dns:nc-input-bucket.s3.$r.amazonaws.com dns_input_bucket $VPC_DNS
dns:nc-output-bucket.s3.$r.amazonaws.com dns_output_bucket $VPC_DNS
s3:nc-input-bucket s3_bucket_head https://nc-input-bucket.s3.$r.amazonaws.com/
s3:nc-output-bucket s3_bucket_head https://nc-output-bucket.s3.$r.amazonaws.com/
repo:AL1 repo_denied https://repo.$r.amazonaws.com/latest/main/mirror.list
repo:AL2 repo_denied https://amazonlinux-2-repos-$r.s3.$r.amazonaws.com/2/core/latest/x86_64/mirror.list
repo:AL2023 repo_denied https://al2023-repos-$r-de612dc2.s3.$r.amazonaws.com/core/mirrors/latest/x86_64/mirror.list
aws:sts sts_reachable https://sts.$r.amazonaws.com/
egress:pypi.org egress_2xx https://pypi.org/simple/
peer:algo-2 peer_tcp algo-2:$PEER_PORT
EOF
}

# ---- the tools ----

envargs() { local v; for v in "$@"; do printf -- '--env\n%s\n' "$v"; done; }

nc_flags() { # nc_flags HOST: what every netcheck of the benchmark gets
  printf '%s\n' --sm-config-dir "$VPC_RUN/$1/config" --report "$RUNDIR/$1.json" --ca-bundle "$CA" \
    --timeout "$T" --peer-wait 15 --skip env --skip clock --summary none
}

nc_default_flags() { # nc_default_flags HOST: netcheck's defaults (the report goes to the output
  # named netcheck); only the test CA is given, as a real image has its CA in the system bundle
  printf '%s\n' --sm-config-dir "$VPC_RUN/$1/config" --ca-bundle "$CA"
}

# nc_peer_start BIN [ARGS...]: algo-2's netcheck, started just before algo-1's, as in a real job;
# with nc_flags, or the flags function named by NC_PEER_FLAGS
nc_peer_start() {
  local bin=$1 flags
  shift
  mapfile -t flags < <("${NC_PEER_FLAGS:-nc_flags}" algo-2)
  ip netns exec "$(vpc_ns algo-2)" env -i "${ENV2[@]}" "$bin" "${flags[@]}" "$@" \
    </dev/null >"$RUNDIR/algo-2.out" 2>&1 &
  NC_PEER_PID=$!
}
nc_peer_wait() { wait "$NC_PEER_PID" || true; }

# report_fields [REPORT]: what algo-1's report says, as JSON fields to merge into the measurement
report_fields() {
  jq -c '{ok: .summary.pass, total: (.probes | length), fail: .summary.fail, warn: .summary.warn,
          report_ms: .duration_ms, max_probe_ms: ([.probes[].timings_ms.total // 0] | max),
          slowest_probe: (.probes | max_by(.timings_ms.total // 0) | .id),
          codes: [.probes[] | select(.code != "OK") | "\(.id)=\(.code)"],
          timeouts: [.probes[] | select((.outcome // "") | test("timeout")) | .id],
          verdict: .summary.verdict, info: .summary.info}' "${1:-$RUNDIR/algo-1.json}" 2>/dev/null ||
    echo '{"ok": 0, "total": 0, "codes": ["no report"]}'
}

# tool_netcheck [NETCHECK-ARGS...]: one measured run (static binary, or NC_BIN); peer on algo-2
# unless skipped
tool_netcheck() {
  local flags ea m peer=1
  [[ " $* " == *" --skip peer "* ]] && peer=0
  mapfile -t flags < <(nc_flags algo-1)
  mapfile -t ea < <(envargs "${ENV1[@]}")
  rm -f "$RUNDIR/algo-1.json"
  ((peer)) && nc_peer_start "${NC_BIN:-$NC_STATIC}" "$@"
  m=$(ip netns exec "$(vpc_ns algo-1)" "$PY" bench/measure.py "${ea[@]}" -- "${NC_BIN:-$NC_STATIC}" "${flags[@]}" "$@")
  ((peer)) && nc_peer_wait
  jq -c --argjson r "$(report_fields)" '. + $r' <<<"$m"
}

# tool_workload: netcheck-static with its default flags as the entrypoint wrapper of a workload
# that prints the realtime clock at its exec (`date +%s%N`); to_exec_ms is that stamp minus the
# clock just before measure.py forked: netcheck's start-up, checks, report and exec, plus date's
# own start (well under a millisecond). algo-2 runs the same at the same time (its peer).
tool_workload() {
  local flags ea m report=$VPC_RUN/algo-1/out/algo-1.json stamp
  mapfile -t flags < <(nc_default_flags algo-1)
  mapfile -t ea < <(envargs "${ENV1[@]}")
  rm -f "$report" "$RUNDIR/workload.out"
  NC_PEER_FLAGS=nc_default_flags nc_peer_start "$NC_STATIC" -- /bin/true
  m=$(ip netns exec "$(vpc_ns algo-1)" "$PY" bench/measure.py "${ea[@]}" --stdout "$RUNDIR/workload.out" -- \
    "$NC_STATIC" "${flags[@]}" -- /bin/date +%s%N 2>"$RUNDIR/workload.err")
  nc_peer_wait
  read -r stamp <"$RUNDIR/workload.out" || stamp=""
  [[ $stamp =~ ^[0-9]+$ ]] || stamp=null
  jq -c --argjson r "$(report_fields "$report")" --argjson stamp "$stamp" \
    '. + $r + {to_exec_ms: (if $stamp == null then null else (($stamp - .start_real_ns) / 1e6) end)}' <<<"$m"
}

# tool_split: the alternative of a second event loop for the TLS work, approximated with what
# exists: the check set split in two netcheck-static processes started together on the 2 cores,
# A = creds, dns, s3, s3-write, peer (the signed chain and the barrier; algo-2 its peer) and
# B = creds, dns, repo, egress, aws (the other handshakes; each process's dns family asks the
# names of its own probes, so together they run the whole check set and creds twice). Wall time = the later of the two (both
# start within a fork of each other), CPU = both. A thread would share one credentials fetch and
# one report; this costs a second process start, credentials fetch and report.
tool_split() {
  local flags bflags ea a b
  mapfile -t flags < <(nc_flags algo-1)
  # B's own report: its flags are A's with the --report value replaced
  mapfile -t bflags < <(nc_flags algo-1 | sed "s|^$RUNDIR/algo-1.json\$|$RUNDIR/split-b.json|")
  mapfile -t ea < <(envargs "${ENV1[@]}")
  rm -f "$RUNDIR/algo-1.json" "$RUNDIR/split-b.json"
  nc_peer_start "$NC_STATIC"
  ip netns exec "$(vpc_ns algo-1)" "$PY" bench/measure.py "${ea[@]}" -- "$NC_STATIC" "${bflags[@]}" \
    --skip s3 --skip s3-write --skip peer >"$RUNDIR/split-b.m" &
  local bpid=$!
  a=$(ip netns exec "$(vpc_ns algo-1)" "$PY" bench/measure.py "${ea[@]}" -- "$NC_STATIC" "${flags[@]}" \
    --skip repo --skip egress --skip aws)
  wait "$bpid" || true
  nc_peer_wait
  b=$(cat "$RUNDIR/split-b.m")
  jq -nc --argjson a "$a" --argjson b "$b" \
    --argjson ra "$(report_fields "$RUNDIR/algo-1.json")" --argjson rb "$(report_fields "$RUNDIR/split-b.json")" \
    '{wall_ms: ([$a.wall_ms, $b.wall_ms] | max), cpu_ms: ($a.cpu_ms + $b.cpu_ms),
      maxrss_kb: ([$a.maxrss_kb, $b.maxrss_kb] | max), wall_a_ms: $a.wall_ms, wall_b_ms: $b.wall_ms,
      ok: ($ra.ok + $rb.ok), total: ($ra.total + $rb.total), codes: ($ra.codes + $rb.codes)}'
}

tool_shell() { # tool_shell seq|par [VAR=VALUE...]
  local mode=$1 m ea
  shift
  mapfile -t ea < <(envargs "${SHELL_ENV[@]}" "$@")
  m=$(ip netns exec "$(vpc_ns algo-1)" "$PY" bench/measure.py "${ea[@]}" -- \
    /bin/bash bench/shell-checks.sh "$mode" "$RUNDIR/shell.txt")
  cp "$RUNDIR/shell.txt" "$RUNDIR/shell-$mode.txt"
  jq -c --arg lines "$(cat "$RUNDIR/shell.txt")" '. + {
      total: ($lines | split("\n") | map(select(length > 0)) | length),
      ok: ($lines | split("\n") | map(select(length > 0) | split(" ") | select(.[1] == "0")) | length),
      checks: ($lines | split("\n") | map(select(length > 0) | split(" ") |
                {(.[0]): {ok: (.[1] == "0"), rc: (.[2] | tonumber), ms: (.[3] | tonumber),
                          rss_kb: (if (.[4] // "") == "" then null else (.[4] | tonumber) end)}}) | add)}' <<<"$m"
}
tool_shell_seq() { tool_shell seq "$@"; }
tool_shell_par() { tool_shell par "$@"; }

tool_blackbox() {
  ip netns exec "$(vpc_ns algo-1)" "$PY" bench/blackbox-run.py "$BB" "$RUNDIR/blackbox.yml" "$BB_PORT" "$RUNDIR/probes.txt"
}

record() { # record SCENARIO RUN ORDER TOOL JSON
  jq -c --arg s "$1" --argjson run "$2" --argjson order "$3" --arg tool "$4" \
    '{scenario: $s, run: $run, order: $order, tool: $tool} + .' <<<"$5" >>"$RAW"
}

# ---- main loop ----

log "runs per scenario: $RUNS; scenarios: $SCENARIOS"
for sc in $SCENARIOS; do
  t0=$(date +%s)
  scenario_up "$sc"
  # Warm-up, not counted: page cache (the AWS CLI reads hundreds of Python files), the test bed's
  # first connections; the shell's per-command peak RSS is taken here (untimed).
  record "$sc" -1 0 netcheck "$(tool_netcheck)"
  record "$sc" -1 1 shell_seq "$(tool_shell seq BENCH_PER_CMD_RSS=1)"
  record "$sc" -1 2 shell_par "$(tool_shell par BENCH_PER_CMD_RSS=1)"
  record "$sc" -1 3 blackbox "$(tool_blackbox)"
  for ((i = 0; i < RUNS; i++)); do
    for ((k = 0; k < ${#TOOLS[@]}; k++)); do
      tool=${TOOLS[(i + k) % ${#TOOLS[@]}]}
      record "$sc" "$i" "$k" "$tool" "$("tool_$tool")"
    done
  done
  cp "$RUNDIR/algo-1.json" "$OUT/report-$sc.json" 2>/dev/null || true
  cp "$RUNDIR/shell-seq.txt" "$OUT/shell-seq-$sc.txt" 2>/dev/null || true
  if [[ $sc == healthy ]]; then
    # The slowest single check: netcheck restricted to one family at a time (plus creds, which
    # the signed S3 and STS requests need; creds alone is its own entry).
    for ((i = 0; i < RUNS; i++)); do
      for fam in "${FAMILIES[@]}"; do
        skips=()
        for f in "${FAMILIES[@]}"; do [[ $f == "$fam" || $f == creds ]] || skips+=(--skip "$f"); done
        record "$sc" "$i" 0 "solo:$fam" "$(tool_netcheck "${skips[@]}")"
      done
      # Everything but the peer family, algo-2 idle: the full run without the other host's load.
      record "$sc" "$i" 0 "nopeer" "$(tool_netcheck --skip peer)"
      # A second event loop, approximated by two processes (tool_split).
      record "$sc" "$i" 0 "split" "$(tool_split)"
    done
    # Before and after: an older netcheck-static (BENCH_BEFORE, both hosts) and this one, the
    # same check set, alternating run by run, for the CPU per run of the two side by side.
    if [[ -n $BEFORE ]]; then
      for ((i = 0; i < RUNS; i++)); do
        if ((i % 2)); then
          record "$sc" "$i" 0 before "$(NC_BIN=$BEFORE tool_netcheck)"
          record "$sc" "$i" 1 after "$(tool_netcheck)"
        else
          record "$sc" "$i" 0 after "$(tool_netcheck)"
          record "$sc" "$i" 1 before "$(NC_BIN=$BEFORE tool_netcheck)"
        fi
      done
    fi
    # Time from execve to the first network syscall, static netcheck (and the others for scale).
    for ((i = 0; i < RUNS; i++)); do
      mapfile -t flags < <(nc_flags algo-1)
      nc_peer_start "$NC_STATIC"
      ip netns exec "$(vpc_ns algo-1)" env -i "${ENV1[@]}" strace -f --seccomp-bpf -ttt \
        -e trace=execve,socket,connect,sendto,sendmsg,sendmmsg -o "$OUT/strace-netcheck-$i.txt" \
        "$NC_STATIC" "${flags[@]}" >/dev/null 2>&1 || true
      nc_peer_wait
    done
    # What one run opens and sends (files read per run, DNS queries), for the waste analysis.
    nc_peer_start "$NC_STATIC"
    ip netns exec "$(vpc_ns algo-1)" env -i "${ENV1[@]}" strace -f --seccomp-bpf -s 80 \
      -e trace=open,openat,connect,sendto,sendmsg -o "$OUT/strace-files.txt" "$NC_STATIC" "${flags[@]}" \
      >/dev/null 2>&1 || true
    nc_peer_wait
    for ((i = 0; i < 3; i++)); do
      ip netns exec "$(vpc_ns algo-1)" env -i "${SHELL_ENV[@]}" strace -f --seccomp-bpf -ttt \
        -e trace=execve,socket,connect,sendto,sendmsg,sendmmsg -o "$OUT/strace-aws-$i.txt" \
        "$AWS" sts get-caller-identity --output text >/dev/null 2>&1 || true
      ip netns exec "$(vpc_ns algo-1)" env -i "${SHELL_ENV[@]}" strace -f --seccomp-bpf -ttt \
        -e trace=execve,socket,connect,sendto,sendmsg,sendmmsg -o "$OUT/strace-curl-$i.txt" \
        curl -s -o /dev/null --cacert "$CA" https://repo.$VPC_REGION.amazonaws.com/latest/main/mirror.list || true
      ip netns exec "$(vpc_ns algo-1)" env -i "${SHELL_ENV[@]}" strace -f --seccomp-bpf -ttt \
        -e trace=execve,socket,connect,sendto,sendmsg,sendmmsg -o "$OUT/strace-dig-$i.txt" \
        dig +short "s3.$VPC_REGION.amazonaws.com" >/dev/null 2>&1 || true
    done
  fi
  if [[ $sc == healthy ]]; then
    # --init beside tini and dumb-init, in one run (bench/init-bench.py): RSS while the workload
    # (sleep) runs and SIGTERM to exit. netcheck does its healthy checks first (all but the peer
    # family: algo-2 is idle), static and dynamic builds.
    mapfile -t flags < <(nc_flags algo-1)
    ncq="env -i $(printf '%q ' "${ENV1[@]}")"
    ip netns exec "$(vpc_ns algo-1)" "$PY" bench/init-bench.py "$RUNS" \
      "netcheck-static=$ncq $(printf '%q ' "$NC_STATIC" "${flags[@]}") --skip peer --init --" \
      "netcheck=$ncq $(printf '%q ' "$NC_DYN" "${flags[@]}") --skip peer --init --" \
      "tini=tini -s --" "dumb-init=dumb-init" >"$OUT/init.jsonl"
  fi
  if [[ $sc == healthy || ($sc == healthy_sysca && ${BENCH_PROFILE_SYSCA:-1} != 0) ]]; then
    # callgrind of the dynamic ./netcheck, one healthy run (generous limits: valgrind is slow).
    mapfile -t flags < <(nc_flags algo-1)
    nc_peer_start "$NC_DYN" --timeout 120 --peer-wait 180
    ip netns exec "$(vpc_ns algo-1)" env -i "${ENV1[@]}" valgrind --tool=callgrind \
      --callgrind-out-file="$OUT/callgrind.$sc.out" "$NC_DYN" "${flags[@]}" --timeout 120 --peer-wait 180 \
      >"$OUT/callgrind.$sc.log" 2>&1 || true
    nc_peer_wait
    cp "$RUNDIR/algo-1.json" "$OUT/callgrind-report-$sc.json" 2>/dev/null || true
    callgrind_annotate "$OUT/callgrind.$sc.out" >"$OUT/callgrind.$sc.self.txt" 2>/dev/null || true
    callgrind_annotate --inclusive=yes --threshold=100 "$OUT/callgrind.$sc.out" >"$OUT/callgrind.$sc.incl.txt" 2>/dev/null || true
    callgrind_annotate --tree=caller --threshold=100 "$OUT/callgrind.$sc.out" >"$OUT/callgrind.$sc.callers.txt" 2>/dev/null || true
  fi
  vpc_down
  log "$sc: $(($(date +%s) - t0)) s"
done

# ---- time to the workload, netcheck's default flags ----
# The guide's minimal VPC (no NAT, no interface endpoint: every AWS service but S3 and the
# internet are black holes) beside the healthy one: from netcheck's start to the workload's exec.
for sc in $WORKLOAD_SCENARIOS; do
  t0=$(date +%s)
  scenario_up "$sc"
  record "$sc" -1 0 workload "$(tool_workload)" # warm-up, not counted
  for ((i = 0; i < RUNS; i++)); do
    record "$sc" "$i" 0 workload "$(tool_workload)"
    # The other tools in the same VPC: their wall time is when a script using them would start
    # the workload.
    record "$sc" "$i" 1 workload_shell_seq "$(tool_shell seq)"
    record "$sc" "$i" 2 workload_shell_par "$(tool_shell par)"
    record "$sc" "$i" 3 workload_blackbox "$(tool_blackbox)"
  done
  cp "$VPC_RUN/algo-1/out/algo-1.json" "$OUT/report-workload-$sc.json" 2>/dev/null || true
  vpc_down
  log "$sc (time to workload): $(($(date +%s) - t0)) s"
done

# ---- the peer mesh at scale (tests/vpc/scale.sh): every host confirms all peers ----
# SCALE_RUNS runs of SCALE_HOSTS hosts with ./netcheck-static, each in its own VPC (scale.sh
# brings it up and tears it down); report.py takes the median of the runs.
if ((SCALE_RUNS > 0)); then
  for ((i = 0; i < SCALE_RUNS; i++)); do
    t0=$(date +%s)
    rm -rf "$OUT/scale-$i"
    NETCHECK=$NC_STATIC SCALE_OUT=$OUT/scale-$i tests/vpc/scale.sh "$SCALE_HOSTS" >"$OUT/scale-$i.log" 2>&1 ||
      die "tests/vpc/scale.sh $SCALE_HOSTS failed (run $i): see $OUT/scale-$i.log"
    log "mesh of $SCALE_HOSTS hosts, run $i: $(($(date +%s) - t0)) s"
  done
fi

# ---- sizes and the machine ----
closure() { # the installed dependency closure (Depends, Pre-Depends) of a package, one a line
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances --installed "$1" 2>/dev/null | grep -E '^[a-z0-9]' | sort -u
}
size_json() { # size_json LABEL PACKAGE [BINARY]
  local own all n bin=${3:-}
  own=$(dpkg-query -W -f '${Installed-Size}' "$2")
  all=$(closure "$2" | xargs dpkg-query -W -f '${Installed-Size}\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
  n=$(closure "$2" | wc -l)
  jq -nc --arg l "$1" --arg p "$2" --argjson own "$own" --argjson all "$all" --argjson n "$n" \
    --argjson bin "$([[ -n $bin ]] && stat -c %s "$bin" || echo null)" --arg b "$bin" \
    '{label: $l, package: $p, own_kib: $own, closure_kib: $all, closure_pkgs: $n, binary: $b, binary_bytes: $bin}'
}
{
  jq -nc --argjson s "$(stat -c %s "$NC_STATIC")" --argjson d "$(stat -c %s "$NC_DYN")" \
    '{label: "netcheck", package: null, binary: "netcheck-static", binary_bytes: $s, dynamic_bytes: $d}'
  size_json "aws (awscli)" awscli "$(readlink -f "$AWS")"
  size_json "dig" "$(dpkg -S "$(readlink -f "$(command -v dig)")" | cut -d: -f1)" "$(readlink -f "$(command -v dig)")"
  size_json "curl" curl "$(readlink -f "$(command -v curl)")"
  size_json "nc" netcat-openbsd "$(readlink -f "$(command -v nc)")"
  size_json "blackbox_exporter" prometheus-blackbox-exporter "$BB"
} >"$OUT/sizes.jsonl"

{
  jq -nc --arg nproc "$(nproc)" --arg cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
    --arg kernel "$(uname -r)" --arg mem "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)" \
    --arg os "$(. /etc/os-release && echo "$PRETTY_NAME")" \
    --arg nc "$("$NC_STATIC" --version 2>&1 | head -n 1)" \
    --arg aws "$("$AWS" --version 2>&1 | head -n 1)" \
    --arg curl "$(curl --version | head -n 1)" \
    --arg dig "$(dig -v 2>&1 | head -n 1)" \
    --arg bb "$("$BB" --version 2>&1 | head -n 1)" \
    --arg valgrind "$(valgrind --version)" --arg strace "$(strace -V | head -n 1)" \
    --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" --argjson runs "$RUNS" --argjson t "$T" \
    --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- agent probes include 2>/dev/null || echo '+local changes')" \
    --argjson secs "$(($(date +%s) - BENCH_T0))" \
    --arg load0 "$LOAD0" --arg load1 "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --arg before "$([[ -n $BEFORE ]] && printf '%s, %s' "$("$BEFORE" --version 2>&1 | head -n 1)" "$(git -C "$(dirname "$BEFORE")" rev-parse --short HEAD 2>/dev/null || echo "$BEFORE")")" \
    --argjson foreign0 "$FOREIGN0" --argjson foreign1 "$(foreign_ns)" \
    '{nproc: $nproc, cpu: $cpu, kernel: $kernel, memory: $mem, os: $os, netcheck: $nc, aws: $aws,
      curl: $curl, dig: $dig, blackbox: $bb, valgrind: $valgrind, strace: $strace, date: $date,
      runs: $runs, timeout_s: $t, commit: $commit, bench_seconds: $secs,
      load_start: $load0, load_end: $load1, foreign_ns_start: $foreign0, foreign_ns_end: $foreign1,
      before: $before}'
} >"$OUT/machine.json"

# ---- netcheck merge at 100 hosts (files only, no network) ----
NETCHECK=$NC_DYN bench/merge.sh "$OUT"

"$PY" bench/report.py "$OUT" "$RESULTS"
