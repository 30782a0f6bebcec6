#!/usr/bin/env bash
# Descriptors: netcheck started with standard input, output or error closed
# never hands the numbers 0-2 to its own epoll set, signalfd or sockets (a
# log line would go into a socket): it opens /dev/null on each missing one
# at start, and the workload inherits those.
#
# netcheck runs in fresh network namespaces (only lo).
#
# Usage: NETCHECK=./netcheck tests/cli/test_fds.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init fds 120
BG=
cli_on_exit '[ -n "$BG" ] && kill -KILL "$BG" 2>/dev/null'
COMM=$(basename "$NC" | cut -c1-15)

# A run that stays busy for a few seconds without any network: a two-host
# job whose peer never resolves, only the peer family.
PEER=(--sm-config-dir "$FIX/sm-two-hosts" --peer-wait 3 --timeout 3 --report none --summary none
      --skip env --skip creds --skip dns --skip s3 --skip repo --skip egress --skip aws --skip clock)

# fd_targets PID: "0=TARGET 1=TARGET 2=TARGET" of a process.
fd_targets() {
  local out="" fd
  for fd in 0 1 2; do out="$out $fd=$(readlink "/proc/$1/fd/$fd" 2>/dev/null || echo closed)"; done
  echo "${out# }"
}

for closed in "0 1 2" "1" "0 2"; do
  redir=""
  for fd in $closed; do redir="$redir $fd<&-"; done
  eval "( exec unshare --net \"\$NC\" \"\${PEER[@]}\" ) $redir &"
  BG=$!
  # Once the engine runs, its epoll set and signalfd exist.
  for _ in $(seq 300); do
    [ "$(cat "/proc/$BG/comm" 2>/dev/null)" = "$COMM" ] && ls -l "/proc/$BG/fd" 2>/dev/null | grep -q signalfd && break
    sleep 0.01
  done
  got=$(fd_targets "$BG")
  kill -TERM "$BG" 2>/dev/null
  wait "$BG" 2>/dev/null
  BG=
  want=""
  for fd in 0 1 2; do
    case " $closed " in *" $fd "*) want="$want $fd=/dev/null" ;; *) want="$want $fd=$(readlink /proc/$$/fd/$fd)" ;; esac
  done
  [ "$got" = "${want# }" ] && ok "descriptors $closed closed at start: the checks run with $got" \
    || bad "descriptors $closed closed" "got $got, want ${want# }"
done

# The workload inherits /dev/null on the descriptors that were closed.
rm -f "$T/fds"
( exec timeout 30 unshare --net "$NC" "${PEER[@]}" --peer-wait 0 -- \
    sh -c 'exec 3>"$1"; for fd in 0 1 2; do printf "%s=%s\n" $fd "$(readlink /proc/$$/fd/$fd || echo closed)" >&3; done' sh "$T/fds" ) 0<&- 1>&- 2>&-
got=$(tr '\n' ' ' <"$T/fds" 2>/dev/null)
[ "$got" = "0=/dev/null 1=/dev/null 2=/dev/null " ] && ok "the workload gets /dev/null on the descriptors that were closed" \
  || bad "workload descriptors" "$got"

cli_finish
