#!/usr/bin/env bash
# --init: netcheck stays as PID 1 after the checks and supervises the
# workload like tini. The acceptance list is tini's and dumb-init's: exit
# codes 0..255 and 128+N propagate, every signal but SIGCHLD is forwarded
# (to the workload's process group), zombies are reaped, a missing program
# gives 127 and a non-executable one 126, job-control signals stop the
# workload and never netcheck, the workload owns the terminal.
#
# netcheck runs as PID 1 of new PID, network and mount namespaces
# (`unshare --pid --fork --net --mount-proc`): it has no network but lo, so
# the checks take a few milliseconds and reach nothing.
#
# Usage: NETCHECK=./netcheck tests/cli/test_init.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
# Every step has its own timeout; the watchdog bounds the whole file.
cli_init init 240
chmod 755 "$T"
BG=
# The background run not yet waited for: a `timeout` leading its own
# process group (unreaped, so the id is still ours).
cli_on_exit '[ -n "$BG" ] && kill -KILL -- "-$BG" 2>/dev/null'

QUIET=(--report none --summary none)
# netcheck --init as PID 1 of fresh namespaces, in the foreground.
pid1() { timeout 30 unshare --pid --fork --net --mount-proc "$NC" --init "${QUIET[@]}" "$@"; }

# The same in the background: BG is timeout's pid (and process group),
# NCPID netcheck's pid as seen from here.
pid1_bg() {
  timeout 30 unshare --pid --fork --net --mount-proc "$NC" --init "${QUIET[@]}" "$@" &
  BG=$!
  NCPID=
  local u
  for _ in $(seq 300); do
    u=$(pgrep -P "$BG") && NCPID=$(pgrep -P "$u") && [ -n "$NCPID" ] && return 0
    sleep 0.01
  done
  abandon
  return 1
}
# Not PID 1: netcheck is unshare's process itself (no --fork).
plain_bg() {
  timeout 30 unshare --net "$NC" --init "${QUIET[@]}" "$@" &
  BG=$!
  NCPID=
  for _ in $(seq 300); do
    NCPID=$(pgrep -P "$BG") && return 0
    sleep 0.01
  done
  abandon
  return 1
}
finish() { wait "$BG"; RC=$?; BG=; }
# Ends a background run that did not get where the test needed it.
abandon() { [ -n "$BG" ] && kill -KILL -- "-$BG" 2>/dev/null; [ -n "$BG" ] && finish; }
# Waits up to 5 s for a file.
await() { for _ in $(seq 500); do [ -e "$1" ] && return 0; sleep 0.01; done; return 1; }
# The workload: netcheck's only child.
child_of() { pgrep -P "$1" | head -1; }
# await_child: until netcheck (NCPID) has started the workload (after the
# checks and the re-exec as the supervisor, so not at once).
await_child() { for _ in $(seq 500); do [ -n "$(child_of "$NCPID")" ] && return 0; sleep 0.01; done; return 1; }
state_of() { awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# ---- exit status ----
wrong=""
for code in $(seq 0 255); do
  pid1 -- sh -c "exit $code"; rc=$?
  [ $rc -eq $code ] || wrong="$wrong $code->$rc"
done
[ -z "$wrong" ] && ok "every exit status 0..255 of the workload is netcheck's (as PID 1)" || bad "exit statuses" "$wrong"

out=$(pid1 -- sh -c 'echo "$$ $(cut -d" " -f5 /proc/$$/stat) $(cat /proc/1/comm) $PPID"'); rc=$?
read -r wpid wpgid init ppid <<<"$out"
[ $rc -eq 0 ] && [ "$init" = "$(basename "$NC" | cut -c1-15)" ] && [ "$ppid" = 1 ] && [ "$wpid" = "$wpgid" ] \
  && ok "netcheck stays PID 1; the workload is its child and leads its own process group" \
  || bad "PID 1 layout" "rc=$rc out=$out"

# Ignored dispositions survive exec: an ignored SIGCHLD would make the
# kernel reap the workload before netcheck could read its status.
timeout 30 unshare --pid --fork --net --mount-proc python3 -c \
  "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])" \
  "$NC" --init "${QUIET[@]}" -- sh -c 'exit 7'; rc=$?
[ $rc -eq 7 ] && ok "a SIGCHLD ignored by netcheck's parent does not hide the workload's status" || bad "ignored SIGCHLD" "rc=$rc"

err=$(pid1 -- /nonexistent/program 2>&1); rc=$?
[ $rc -eq 127 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "/nonexistent/program" <<<"$err" \
  && ok "a missing program gives 127 and one line naming it" || bad "missing program" "rc=$rc err=$err"
err=$(pid1 -- no-such-command-in-path 2>&1); rc=$?
[ $rc -eq 127 ] && ok "a program not found in PATH gives 127" || bad "not in PATH" "rc=$rc err=$err"
printf '#!/bin/sh\necho hi\n' >"$T/noexec.sh"
chmod 644 "$T/noexec.sh"
err=$(pid1 -- "$T/noexec.sh" 2>&1); rc=$?
[ $rc -eq 126 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "Permission denied" <<<"$err" \
  && ok "a non-executable program gives 126 and one line" || bad "non-executable" "rc=$rc err=$err"
err=$(pid1 -- "$T" 2>&1); rc=$?
[ $rc -eq 126 ] && ok "a directory as the program gives 126" || bad "directory" "rc=$rc err=$err"

# ---- signals ----
for sig in TERM INT HUP QUIT USR1 USR2 ALRM; do
  n=$(kill -l "$sig")
  if pid1_bg -- sleep 30 && await_child; then
    t0=$(now_ms)
    kill -s "$sig" "$NCPID"
    finish
    dt=$(($(now_ms) - t0))
    [ $RC -eq $((128 + n)) ] && [ $dt -lt 1000 ] \
      && ok "SIG$sig to PID 1 kills the workload: exit $((128 + n)) in ${dt} ms" \
      || bad "SIG$sig" "rc=$RC (want $((128 + n))) in ${dt} ms"
  else bad "SIG$sig" "netcheck did not start"; abandon; fi
done

# A workload that catches every signal it can and logs its number.
cat >"$T/recorder.py" <<'PY'
import os, signal, sys
log = open(sys.argv[1], "a", buffering=1)
def record(n, _):
    log.write("%d\n" % n)
def stop(n, _):
    log.write("%d\n" % n)
    os._exit(0)
for s in signal.valid_signals():
    if s not in (signal.SIGKILL, signal.SIGSTOP):
        try:
            signal.signal(s, record)
        except (OSError, ValueError):
            pass
signal.signal(signal.SIGUSR2, stop)
open(sys.argv[2], "w").close()
while True:
    signal.pause()
PY
SENT="HUP INT QUIT ILL TRAP ABRT BUS FPE USR1 SEGV PIPE ALRM TERM STKFLT CONT TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMIN+5 RTMAX"
if pid1_bg -- python3 "$T/recorder.py" "$T/received" "$T/ready" && await "$T/ready"; then
  for sig in $SENT CHLD; do
    kill -s "$sig" "$NCPID"
    sleep 0.03
  done
  kill -s USR2 "$NCPID"
  finish
  missing=""
  for sig in $SENT USR2; do
    grep -qx "$(kill -l "$sig")" "$T/received" || missing="$missing $sig"
  done
  [ $RC -eq 0 ] && [ -z "$missing" ] \
    && ok "every signal sent to PID 1 reaches the workload (standard, job control, real-time)" \
    || bad "forwarding" "rc=$RC missing:$missing"
  grep -qx "$(kill -l CHLD)" "$T/received" && bad "SIGCHLD" "was forwarded" \
    || ok "SIGCHLD is not forwarded"
else bad "forwarding" "the recorder did not start"; abandon; fi

# TERM and INT are the workload's to handle: netcheck neither exits on them
# nor escalates.
# The workload says it is ready once its traps are set: a signal before that
# would kill it (a race on a loaded machine, not a finding).
if pid1_bg -- sh -c "trap '' TERM INT; touch $T/ignoring; exec sleep 30" && await "$T/ignoring"; then
  kill -TERM "$NCPID"
  kill -INT "$NCPID"
  sleep 1
  if kill -0 "$NCPID" 2>/dev/null && [ "$(state_of "$(child_of "$NCPID")")" = S ]; then
    ok "a workload that ignores TERM and INT keeps running, and so does netcheck"
  else bad "ignored TERM" "netcheck or the workload is gone"; fi
  kill -KILL "$(child_of "$NCPID")"
  finish
  [ $RC -eq 137 ] && ok "a workload killed by SIGKILL gives 137" || bad "SIGKILL" "rc=$RC"
else bad "ignored TERM" "netcheck did not start"; abandon; fi

# The signal goes to the workload's whole process group: a grandchild that
# traps TERM sees it although the workload itself ignores it, and netcheck
# then exits with the workload's own status.
cat >"$T/group.sh" <<SH
sh -c 'trap "echo TERM >$T/grandchild; exit 0" TERM; touch $T/gc-ready; while :; do sleep 0.05; done' 2>/dev/null &
trap "" TERM
wait
wait
exit 4
SH
if pid1_bg -- sh "$T/group.sh" && await "$T/gc-ready"; then
  kill -TERM "$NCPID"
  finish
  [ $RC -eq 4 ] && grep -qx TERM "$T/grandchild" 2>/dev/null \
    && ok "signals reach the workload's whole process group (a grandchild got TERM)" \
    || bad "process group" "rc=$RC grandchild=$(cat "$T/grandchild" 2>/dev/null)"
else bad "process group" "netcheck did not start"; abandon; fi

# ---- job control ----
if pid1_bg -- sleep 30 && await_child; then
  w=$(child_of "$NCPID")
  states=""
  for sig in TSTP CONT TTOU CONT TTIN CONT; do
    kill -s "$sig" "$NCPID"
    sleep 0.2
    states="$states $sig:$(state_of "$w")/$(state_of "$NCPID")"
  done
  kill -TERM "$NCPID"
  finish
  if [ "$states" = " TSTP:T/S CONT:S/S TTOU:T/S CONT:S/S TTIN:T/S CONT:S/S" ] && [ $RC -eq 143 ]; then
    ok "TSTP, TTOU and TTIN stop the workload, never netcheck; CONT resumes it"
  else bad "job control" "workload/netcheck states:$states rc=$RC"; fi
else bad "job control" "netcheck did not start"; abandon; fi

# With a terminal, the workload's group is its foreground: it can read
# from it (from the background it would be stopped by SIGTTIN).
if command -v script >/dev/null; then
  out=$(echo hello | timeout 20 script -qec "unshare --pid --fork --net --mount-proc '$NC' --init --report none --summary none -- sh -c 'read x; echo got:\$x'" /dev/null); rc=$?
  grep -q "got:hello" <<<"$out" && [ $rc -eq 0 ] \
    && ok "the workload owns the terminal: it reads from it without being stopped" \
    || bad "terminal" "rc=$rc out=$out"
fi

# ---- zombies ----
# The workload orphans processes (re-parented to PID 1) and, while it
# still runs, counts the zombies of its PID namespace.
cat >"$T/orphans.sh" <<SH
for i in 1 2 3 4 5 6 7 8 9 10; do (sleep 0.1 &); done
(sleep 0.6 & echo \$! >$T/orphan.pid)
sleep 0.3
awk '/^PPid:/ {print \$2}' /proc/\$(cat $T/orphan.pid)/status >$T/orphan.ppid
sleep 0.6
grep -h '^State:' /proc/[0-9]*/status | grep -c Z >$T/zombies
exit 0
SH
pid1 -- sh "$T/orphans.sh"; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$T/orphan.ppid")" = 1 ] && [ "$(cat "$T/zombies")" = 0 ] \
  && ok "orphans re-parented to PID 1 are reaped: no zombie in /proc while the workload runs" \
  || bad "reaping" "rc=$rc orphan ppid=$(cat "$T/orphan.ppid") zombies=$(cat "$T/zombies")"
# Control: the same count under a PID 1 that never reaps sees zombies.
rm -f "$T/zombies"
timeout 20 unshare --pid --fork --mount-proc python3 -c \
  "import subprocess, time; subprocess.Popen(['sh', '$T/orphans.sh']); time.sleep(1.5)"
[ "$(cat "$T/zombies" 2>/dev/null)" -gt 0 ] 2>/dev/null \
  && ok "control: the zombie count sees zombies under a PID 1 that does not reap" \
  || bad "control" "zombies=$(cat "$T/zombies" 2>/dev/null)"

# When the workload exits, netcheck exits at once with its status (as tini
# does), even while a grandchild still runs; as PID 1, the kernel then
# kills what is left of the namespace.
MARK="31.$$$RANDOM"
t0=$(now_ms)
pid1 -- sh -c "sleep $MARK & exit 5"; rc=$?
dt=$(($(now_ms) - t0))
sleep 0.1
[ $rc -eq 5 ] && [ $dt -lt 1000 ] && ! pgrep -f "sleep $MARK" >/dev/null \
  && ok "the workload's exit ends netcheck at once (${dt} ms) and no grandchild survives" \
  || bad "grandchild" "rc=$rc ${dt} ms left=$(pgrep -f "sleep $MARK")"

# ---- not PID 1 (no PID namespace) ----
cat >"$T/subreaper.sh" <<SH
(sleep 0.3 & echo \$! >$T/sub.pid)
sleep 0.1
awk '/^PPid:/ {print \$2}' /proc/\$(cat $T/sub.pid)/status >$T/sub.ppid
echo \$PPID >$T/sub.nc
sleep 0.5
for f in /proc/[0-9]*/status; do
  awk -v p=\$PPID '/^State:/ {s = \$2} /^PPid:/ {pp = \$2} END {if (s == "Z" && pp == p) print FILENAME}' \$f 2>/dev/null
done | wc -l >$T/sub.zombies
SH
timeout 30 unshare --net "$NC" --init "${QUIET[@]}" -- sh "$T/subreaper.sh"; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$T/sub.ppid")" = "$(cat "$T/sub.nc")" ] && [ "$(cat "$T/sub.zombies")" -eq 0 ] \
  && ok "not PID 1: netcheck adopts orphans (child subreaper) and reaps them" \
  || bad "subreaper" "rc=$rc ppid=$(cat "$T/sub.ppid") netcheck=$(cat "$T/sub.nc") zombies=$(cat "$T/sub.zombies")"

# A workload that leaves its process group still gets the signals.
cat >"$T/leave.py" <<PY
import os, signal, time
os.setpgid(0, os.getpgid(os.getppid()))
signal.signal(signal.SIGTERM, lambda *_: os._exit(21))
open("$T/left", "w").close()
time.sleep(30)
PY
if plain_bg -- python3 "$T/leave.py" && await "$T/left"; then
  kill -TERM "$NCPID"
  finish
  [ $RC -eq 21 ] && ok "a workload that left its process group still receives the signal" || bad "left group" "rc=$RC"
else bad "left group" "netcheck did not start"; abandon; fi

# After the checks netcheck re-executes itself as the bare supervisor: same PID, same name, the
# signal state it inherited passed on (the checks above), none of the checks' memory held.
await_sleep() { # the workload (sleep) runs under $1
  local c
  for _ in $(seq 500); do
    c=$(child_of "$1") && [ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ] && return 0
    sleep 0.01
  done
  return 1
}
if plain_bg -- sleep 30 && await_sleep "$NCPID"; then
  cmdline=$(tr '\0' ' ' <"/proc/$NCPID/cmdline")
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$NCPID/status")
  comm=$(cat "/proc/$NCPID/comm")
  kill -TERM "$NCPID"
  finish
  case $cmdline in
  *" --init-supervisor="*" -- sleep 30 ") [ "$comm" = "$(basename "$NC" | cut -c1-15)" ] && [ $RC -eq 143 ] \
    && ok "the supervisor is netcheck re-executed (same PID and name; RSS ${rss} KiB), SIGTERM gives 143" \
    || bad "re-executed supervisor" "comm=$comm rc=$RC" ;;
  *) bad "re-executed supervisor" "cmdline=$cmdline" ;;
  esac
else bad "re-executed supervisor" "netcheck did not start"; abandon; fi
# The supervisor's argument is netcheck's own: anything else in it is a usage error.
for a in "--init-supervisor" "--init-supervisor=zz:0:0" "--init-supervisor=0:2:0" "--init-supervisor=0:0:0 x"; do
  "$NC" "$a" -- true 2>/dev/null; rc=$?
  [ $rc -eq 2 ] || bad "malformed supervisor argument" "'$a' rc=$rc"
done
"$NC" "--init-supervisor=0:0:0" true 2>/dev/null; rc=$?
[ $rc -eq 2 ] && ok "a malformed --init-supervisor argument is a usage error (2)" || bad "supervisor without --" "rc=$rc"

cli_finish
