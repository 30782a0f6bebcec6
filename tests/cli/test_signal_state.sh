#!/usr/bin/env bash
# "Same signals": the workload starts with the signal mask and the ignored
# signals netcheck inherited, exactly as if it had been started without
# netcheck - through exec and with --init (as tini does) - and a signal the
# parent left blocked or ignored is left alone during the checks too: a
# blocked one stays pending for the workload, an ignored one (nohup) does not
# stop the checks.
#
# The workload is grep reading its own /proc/self/status (SigBlk, SigIgn,
# SigPnd/ShdPnd), run once under the same parent without netcheck to give
# what it must see. A Python parent (os.execvp keeps the mask and SIG_IGN)
# sets up blocked and ignored signals.
#
# netcheck runs in a fresh network namespace (only lo).
#
# Usage: NETCHECK=./netcheck tests/cli/test_signal_state.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init signal-state 120
BG=
cli_on_exit '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null'
COMM=$(basename "$NC" | cut -c1-15)
PY=/usr/bin/python3

# parent BLOCK IGNORE CMD...: execs CMD with exactly the signals BLOCK
# blocked and IGNORE ignored (comma-separated names, or "-"), every other
# signal at its default.
cat >"$T/parent.py" <<'PY'
import os, signal, sys
def names(s):
    if s == "-":
        return []
    return [signal.SIGRTMIN + int(n[6:] or 0) if n.startswith("RTMIN") else getattr(signal, "SIG" + n)
            for n in s.split(",")]
signal.pthread_sigmask(signal.SIG_SETMASK, names(sys.argv[1]))
for sig in range(1, signal.NSIG):
    try:
        signal.signal(sig, signal.SIG_IGN if sig in names(sys.argv[2]) else signal.SIG_DFL)
    except (OSError, ValueError):
        pass
os.execvp(sys.argv[3], sys.argv[3:])
PY
parent() { "$PY" "$T/parent.py" "$@"; }
STATE=(grep -E '^(SigBlk|SigIgn):' /proc/self/status)
Q=(--report none --summary none --skip env)

for setup in "- -" "HUP,USR1,TERM,RTMIN+2 -" "- INT,QUIT,TERM,PIPE,USR2" "USR1,ALRM,RTMIN INT,HUP,PIPE,XFSZ"; do
  block=${setup% *} ignore=${setup#* }
  want=$(timeout 10 "$PY" "$T/parent.py" "$block" "$ignore" "${STATE[@]}" | tr '\n' ' ')
  for mode in exec --init; do
    opts=("${Q[@]}")
    [ "$mode" = --init ] && opts+=(--init)
    got=$(timeout 30 "$PY" "$T/parent.py" "$block" "$ignore" unshare --net "$NC" "${opts[@]}" -- "${STATE[@]}" | tr '\n' ' ')
    [ -n "$want" ] && [ "$got" = "$want" ] && ok "$mode, parent blocking $block and ignoring $ignore: the workload sees $got" \
      || bad "$mode, blocked $block, ignored $ignore" "got '$got', want '$want'"
  done
done

# During the checks: a blocked signal is kept pending for the workload (which
# still has it blocked), an ignored one changes nothing.
PEER=(--sm-config-dir "$FIX/sm-two-hosts" --peer-wait 1 --timeout 1 --report none --summary none
      --skip env --skip creds --skip dns --skip s3 --skip repo --skip egress --skip aws --skip clock)
# bg_netcheck BLOCK IGNORE SIG: netcheck under such a parent, SIG sent 300 ms
# into the checks; the workload (grep: a shell would reset its mask) writes
# its signal state to $T/status. Sets RC.
bg_netcheck() {
  rm -f "$T/status"
  timeout 30 "$PY" "$T/parent.py" "$1" "$2" unshare --net "$NC" "${PEER[@]}" -- \
    grep -E '^(SigPnd|ShdPnd|SigBlk):' /proc/self/status >"$T/status" &
  BG=$!
  local p=
  for _ in $(seq 300); do
    p=$(pgrep -P "$BG" -x "$COMM" || true)
    [ -z "$p" ] && [ "$(cat "/proc/$BG/comm" 2>/dev/null)" = "$COMM" ] && p=$BG
    [ -n "$p" ] && break
    sleep 0.01
  done
  sleep 0.3
  kill -s "$3" "$p" 2>/dev/null
  wait "$BG"; RC=$?; BG=
}
bit() { echo $((1 << ($(kill -l "$1") - 1))); }

bg_netcheck USR1 - USR1
pnd=$(awk '/^(SigPnd|ShdPnd):/ {print $2}' "$T/status" 2>/dev/null | tr '\n' ' ')
hit=0
for h in $pnd; do [ $((0x$h & $(bit USR1))) -ne 0 ] && hit=1; done
[ $RC -eq 0 ] && [ $hit -eq 1 ] && ok "a SIGUSR1 the parent blocked does not stop the checks and is pending for the workload" \
  || bad "blocked USR1" "rc=$RC pending=$pnd"

bg_netcheck - HUP HUP
[ $RC -eq 0 ] && [ -s "$T/status" ] && ok "a SIGHUP the parent ignored (nohup) does not stop the checks" \
  || bad "ignored HUP" "rc=$RC status=$([ -s "$T/status" ] && echo written || echo missing)"

cli_finish
