# What every command-line test script shares. Sourced, not run:
#
#   set -uo pipefail
#   . "$(dirname "$0")/lib.sh" || exit 2
#   cli_init NAME WATCHDOG_SECONDS
#   cli_on_exit 'command'            # optional, any number of times
#   ...; ok "name"; bad "name" "detail"; ...
#   cli_finish                       # last command: the script's status
#
# cli_init NAME WATCHDOG_SECONDS
#   cd to the repository root; NC is $NETCHECK (default ./netcheck, relative
#   to the root) made absolute, and must be executable (else one line
#   "NAME: NC is not an executable" and exit 2); FIX and VALIDATE name the
#   fixtures and the report validator; T is a fresh /tmp/nc-NAME.XXXXXX,
#   removed at exit. INT and TERM exit 130 (through the exit cleanup). With
#   WATCHDOG_SECONDS > 0, a watchdog bounds the whole file: after that many
#   seconds it says "NAME: watchdog: giving up after N s" and TERMs the
#   script (every step has its own timeout; this catches what they miss).
# cli_on_exit COMMAND
#   COMMAND (evaluated then) runs at exit, after the watchdog is stopped and
#   before T is removed; hooks run in the order they were added.
# ok NAME / bad NAME DETAIL
#   count and print a passed / failed test ("ok   NAME", "FAIL NAME: DETAIL").
# cli_finish
#   prints "N passed, M failed"; its status is 0 when nothing failed.
# now_ms
#   prints the time in milliseconds.

CLI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || return 2
pass=0 fail=0
CLI_WATCHDOG=
CLI_ON_EXIT=()

cli_init() {
  local name=$1 seconds=$2
  cd "$CLI_ROOT" || exit 2
  NC=${NETCHECK:-./netcheck}
  case "$NC" in /*) ;; *) NC="$PWD/$NC" ;; esac
  [ -x "$NC" ] || { echo "$name: $NC is not an executable" >&2; exit 2; }
  FIX="$PWD/tests/fixtures"
  VALIDATE="$PWD/tests/validate-report.py"
  T=$(mktemp -d "/tmp/nc-$name.XXXXXX") || exit 2
  trap cli_cleanup EXIT
  trap 'exit 130' INT TERM
  [ "$seconds" -gt 0 ] && cli_watchdog "$seconds" "$name"
  return 0
}

# cli_watchdog SECONDS NAME: TERMs this shell after SECONDS unless stopped.
cli_watchdog() {
  (
    sleep "$1" >/dev/null 2>&1 &
    s=$!
    trap 'kill $s 2>/dev/null; exit 0' TERM
    wait $s && echo "$2: watchdog: giving up after $1 s" >&2 && kill -TERM $$
  ) &
  CLI_WATCHDOG=$!
  disown
}

cli_on_exit() { CLI_ON_EXIT+=("$1"); }

cli_cleanup() {
  local cmd
  [ -n "$CLI_WATCHDOG" ] && kill -TERM "$CLI_WATCHDOG" 2>/dev/null
  for cmd in ${CLI_ON_EXIT[@]+"${CLI_ON_EXIT[@]}"}; do
    eval "$cmd"
  done
  rm -rf "$T"
}

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

cli_finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
