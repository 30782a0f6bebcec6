#!/usr/bin/env bash
# Signals during the checks: a SIGTERM or SIGINT means the job is being
# stopped. netcheck stops the probes, writes the report marked interrupted
# ("interrupted": true, summary.verdict "interrupted"), does not start the
# workload and exits 128+N within one second - as a plain wrapper and as
# PID 1 with --init, whenever the signal comes. Without --init, every other
# signal whose default action would end the process (HUP, QUIT, USR1, ALRM,
# the real-time signals, ...) does the same; with --init those are kept and
# delivered to the workload once it runs.
#
# What keeps netcheck busy without any network: every run is inside a
# network namespace created here.
#  - "peer": a two-host job (tests/fixtures/sm-two-hosts) with only the peer
#    family; algo-2 never resolves, so the peer probe retries until
#    --peer-wait (20 s);
#  - "all": every family but env (which would see an isolated container
#    and skip the rest), lo up and --dns-server 127.0.0.1 where nothing
#    answers, so DNS and everything after it waits until --timeout (20 s).
#
# Usage: NETCHECK=./netcheck tests/cli/test_signals.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
# Every step has its own timeout; the watchdog bounds the whole file.
cli_init signals 240
COMM=$(basename "$NC" | cut -c1-15)
BG=
# The background run not yet waited for: a `timeout` leading its own
# process group (unreaped, so the id is still ours).
cli_on_exit '[ -n "$BG" ] && kill -KILL -- "-$BG" 2>/dev/null'

PEER=(--sm-config-dir "$FIX/sm-two-hosts" --peer-wait 20 --timeout 20
      --skip env --skip creds --skip dns --skip s3 --skip repo --skip egress --skip aws --skip clock)
ALL=(--sm-config-dir "$FIX/sm-two-hosts" --peer-wait 20 --timeout 20 --skip env --dns-server 127.0.0.1)

# start MODE SETUP REPORT [ARGS...] -- COMMAND: starts netcheck in the
# background; MODE plain (a wrapper that execs) or init (--init, PID 1 of a
# new PID namespace); SETUP peer or all. Sets BG (timeout's pid and process
# group) and T0 (start, ms).
start() {
  local mode=$1 setup=$2 report=$3 ns=(unshare --net) opts
  shift 3
  [ "$mode" = init ] && ns=(unshare --pid --fork --net --mount-proc)
  if [ "$setup" = peer ]; then opts=("${PEER[@]}"); else opts=("${ALL[@]}"); fi
  [ "$mode" = init ] && opts+=(--init)
  T0=$(now_ms)
  if [ "$setup" = all ]; then
    timeout 30 "${ns[@]}" sh -c 'ip link set lo up && exec "$@"' sh "$NC" "${opts[@]}" --report "$report" "$@" \
      2>"$T/stderr" &
  else
    timeout 30 "${ns[@]}" "$NC" "${opts[@]}" --report "$report" "$@" 2>"$T/stderr" &
  fi
  BG=$!
}
# Waits for the background run; sets RC.
finish() { wait "$BG"; RC=$?; BG=; }
# netcheck's pid as seen from here: the first process below BG named like it.
nc_pid() {
  local p c
  for _ in $(seq 300); do
    p=$BG
    for _ in 1 2 3 4; do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$COMM" ] && { echo "$p"; return 0; }
      c=$(pgrep -P "$p" | head -1)
      [ -n "$c" ] || break
      p=$c
    done
    sleep 0.01
  done
  return 1
}
# True once netcheck (pid $1) blocks SIGTERM, i.e. main() runs.
blocks_term() {
  local hex
  hex=$(awk '/^SigBlk:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [ -n "$hex" ] \
    && [ $((0x$hex & 1 << ($(kill -l TERM) - 1))) -ne 0 ]
}
# Sends SIG to netcheck at T0 + AT ms, waits; sets RC and DT (ms from the
# signal to the exit). With a third argument "main()", T0 is the moment
# netcheck's main() blocked SIGTERM.
signal_at() {
  local sig=$1 at=$2 pid left
  pid=$(nc_pid) || { kill -KILL -- "-$BG" 2>/dev/null; finish; RC=-1; DT=-1; return 1; }
  if [ "${3:-}" = "main()" ]; then
    for _ in $(seq 1000); do blocks_term "$pid" && break; sleep 0.001; done
    T0=$(now_ms)
  fi
  left=$((T0 + at - $(now_ms)))
  [ $left -gt 0 ] && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
  local t=$(now_ms)
  kill -s "$sig" "$pid"
  finish
  DT=$(($(now_ms) - t))
}
# The report at $1 is valid and says the run was interrupted.
interrupted_report() {
  [ -f "$1" ] && "$VALIDATE" "$1" >/dev/null \
    && jq -e '.interrupted == true and .summary.verdict == "interrupted"' "$1" >/dev/null
}

# check NAME MODE SETUP SIG [ARGS]: one signal 300 ms into the checks.
check() {
  local name=$1 mode=$2 setup=$3 sig=$4 n
  shift 4
  n=$(kill -l "$sig")
  rm -f "$T/r.json" "$T/started"
  start "$mode" "$setup" "$T/r.json" "$@" -- touch "$T/started"
  signal_at "$sig" 300
  if [ $RC -eq $((128 + n)) ] && [ $DT -lt 1000 ] && [ ! -e "$T/started" ] && interrupted_report "$T/r.json" \
     && tail -1 "$T/stderr" | grep -q "interrupted"; then
    ok "$name: exit $RC in $DT ms, report interrupted, workload not started"
  else
    bad "$name" "rc=$RC (want $((128 + n))) in $DT ms started=$([ -e "$T/started" ] && echo yes || echo no) report=$(jq -c '{interrupted, v: .summary.verdict}' "$T/r.json" 2>&1) stderr=$(tail -2 "$T/stderr")"
  fi
}

check "SIGTERM while the peer probe waits" plain peer TERM
check "SIGINT while the peer probe waits" plain peer INT
check "SIGTERM with every probe family in flight" plain all TERM
check "SIGINT with every probe family in flight" plain all INT
check "--init as PID 1, SIGTERM during the checks" init all TERM
check "--init as PID 1, SIGINT during the checks" init peer INT
# Without --init every signal whose default action would end netcheck stops
# the checks the same way (exit 128+N, report interrupted), never kills it
# without a report.
for sig in HUP QUIT USR1 USR2 ALRM VTALRM PROF XCPU RTMIN+3; do
  check "SIG$sig while the peer probe waits" plain peer "$sig"
done
check "SIGHUP with every probe family in flight" plain all HUP
check "--on-fail abort, SIGTERM during the checks" plain peer TERM --on-fail abort --message-file "$T/message"
[ ! -e "$T/message" ] && ok "an interrupted run writes no failure reason" || bad "message file" "$(cat "$T/message")"

# Every probe of an interrupted run is accounted for: nothing is left
# running, and the probes cut short say so.
rm -f "$T/r.json"
start plain all "$T/r.json" -- true
signal_at TERM 300
jq -e '[.probes[] | select(.outcome == "interrupted")] | length > 0' "$T/r.json" >/dev/null \
  && jq -e '[.probes[] | select(.outcome == "interrupted" and .verdict != "skip")] | length == 0' "$T/r.json" >/dev/null \
  && ok "the probes cut short are marked interrupted (skipped, not failed)" \
  || bad "probe outcomes" "$(jq -c '[.probes[] | {id, verdict, outcome}] | .[:4]' "$T/r.json" 2>&1)"

# The JSON summary says so too.
rm -f "$T/r.json"
start plain peer "$T/r.json" --summary json -- true
signal_at TERM 300
jq -e '.verdict == "interrupted"' <"$T/stderr" >/dev/null && ok "--summary json says interrupted" \
  || bad "--summary json" "$(cat "$T/stderr")"

# A second signal while netcheck stops changes nothing: the first one counts.
rm -f "$T/r.json"
start plain all "$T/r.json" -- touch "$T/started"
pid=$(nc_pid)
sleep 0.3
t=$(now_ms)
kill -TERM "$pid"
sleep 0.005
kill -INT "$pid" 2>/dev/null
finish; rc=$RC
dt=$(($(now_ms) - t))
[ $rc -eq 143 ] && [ $dt -lt 1000 ] && interrupted_report "$T/r.json" \
  && ok "TERM then INT: exit 143 in $dt ms" || bad "two signals" "rc=$rc in $dt ms"

# TERM then HUP at once: the HUP cannot kill netcheck while it writes the
# report. (Two signals pending together are read lowest number first, so
# the status is 143 or that of the second.)
for second in HUP USR1; do
  rm -f "$T/r.json"
  start plain all "$T/r.json" -- touch "$T/started"
  pid=$(nc_pid)
  sleep 0.3
  kill -TERM "$pid"
  kill -s "$second" "$pid" 2>/dev/null
  finish
  { [ $RC -eq 143 ] || [ $RC -eq $((128 + $(kill -l "$second"))) ]; } && [ ! -e "$T/started" ] && interrupted_report "$T/r.json" \
    && ok "TERM then $second at once: exit $RC, the report is written, marked interrupted" \
    || bad "TERM then $second" "rc=$RC report=$(jq -c '{interrupted, v: .summary.verdict}' "$T/r.json" 2>&1)"
done

# Whenever the signal comes: exit 128+N, the workload never starts, and a
# report, if any, is complete and marked interrupted. As a plain process
# that holds from the exec on (a TERM before main() blocks it kills
# netcheck before it writes anything). As PID 1 it holds from the moment
# main() blocks the signal: before that, during the dynamic loader's first
# millisecond or so, the kernel discards a signal sent to a PID 1 whose
# disposition is the default (true of every init, tini included).
sweep() {
  local mode=$1 runs=$2 from=$3 wrong="" reports=0
  for i in $(seq "$runs"); do
    rm -f "$T/s.json" "$T/started"
    start "$mode" peer "$T/s.json" -- touch "$T/started"
    signal_at TERM $((RANDOM % 25)) "$from"
    if [ $RC -ne 143 ] || [ -e "$T/started" ]; then
      wrong="$wrong #$i:rc=$RC,started=$([ -e "$T/started" ] && echo yes)"
    elif [ -e "$T/s.json" ]; then
      interrupted_report "$T/s.json" && reports=$((reports + 1)) || wrong="$wrong #$i:report"
    fi
  done
  [ -z "$wrong" ] && ok "$mode: TERM at a random moment of the first 25 ms from $from ($runs runs, $reports reports): always 143, never the workload" \
    || bad "$mode sweep" "$wrong"
}
sweep plain 30 "the exec"
sweep init 20 "main()"

# With --init, any other signal that arrives during the checks is kept and
# forwarded to the workload once it runs (as PID 1 the kernel would drop
# it: its disposition is the default).
for pair in USR1:42 HUP:43; do
  sig=${pair%:*} code=${pair#*:}
  rm -f "$T/r.json"
  start init peer "$T/r.json" --peer-wait 1 -- sh -c "trap 'exit $code' $sig; sleep 3; exit 0"
  signal_at "$sig" 300
  [ $RC -eq "$code" ] || [ $RC -eq $((128 + $(kill -l "$sig"))) ] \
    && ok "--init: a SIG$sig during the checks reaches the workload (exit $RC)" \
    || bad "--init: SIG$sig during the checks" "rc=$RC: lost (want $code or $((128 + $(kill -l "$sig"))))"
done

cli_finish
