#!/usr/bin/env bash
# Option parsing: long options are never abbreviated (an abbreviation is a
# usage error, exit 2 with one line naming the full option, and nothing
# runs), and a mode (--init, --dry-run, --list-probes, --help, --version) is
# only ever set by the option itself, never by an option's value that reads
# like one: `--report --init` writes the report to a file named --init.
#
# netcheck runs in a fresh network namespace (only lo), in $T.
#
# Usage: NETCHECK=./netcheck tests/cli/test_options.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init options 120
ncx() { timeout 30 unshare --net "$NC" "$@"; }
cd "$T" || exit 2

# ---- abbreviations ----
for pair in --dry:--dry-run --list:--list-probes --ini:--init --vers:--version --hel:--help \
            --verb:--verbose "--rep=x:--report" "--time 3:--timeout" "--sum none:--summary"; do
  abbr=${pair%%:*} full=${pair#*:}
  rm -f started
  # shellcheck disable=SC2086  # "--time 3" is an option and its value
  out=$(ncx $abbr --report none -- touch started 2>"$T/err"); rc=$?
  if [ $rc -eq 2 ] && [ -z "$out" ] && [ ! -e started ] && [ "$(wc -l <"$T/err")" -eq 1 ] \
     && grep -qF -- "'${abbr%% *}" "$T/err" && grep -qF -- "$full" "$T/err"; then
    ok "'$abbr' is refused (exit 2, one line naming $full), nothing runs"
  else
    bad "'$abbr'" "rc=$rc started=$([ -e started ] && echo yes || echo no) out=$(head -c 100 <<<"$out") err=$(cat "$T/err")"
  fi
done

# The full names still work, with = or a separate value.
out=$(ncx --dry-run --report=none --timeout 3); rc=$?
[ $rc -eq 0 ] && grep -q 'probes$' <<<"$out" && ok "full option names work (--dry-run, --report=none, --timeout 3)" \
  || bad "full names" "rc=$rc"

# ---- a value is a value ----
# --report --init: a report named --init, and netcheck execs (same PID) instead of staying as init.
rm -f -- --init
out=$(timeout 30 unshare --net sh -c 'echo $$; exec "$0" --report --init --summary none -- sh -c "echo \$\$"' "$NC")
[ -f ./--init ] && jq -e .summary ./--init >/dev/null && [ "$(sed -n 1p <<<"$out")" = "$(sed -n 2p <<<"$out")" ] \
  && ok "--report --init: the report goes to ./--init and the workload is exec'd (no --init mode)" \
  || bad "--report --init" "pids=$(tr '\n' ' ' <<<"$out") report=$(ls -- --init 2>&1)"

for v in -h --help -V --version --dry-run --list-probes; do
  rm -f started -- "./$v"
  out=$(ncx --report "$v" --summary none -- touch started 2>"$T/err"); rc=$?
  if [ $rc -eq 0 ] && [ -e started ] && [ -z "$out" ] && jq -e .summary "./$v" >/dev/null 2>&1; then
    ok "--report $v: a report named $v, and the workload runs"
  else
    bad "--report $v" "rc=$rc started=$([ -e started ] && echo yes || echo no) out=$(head -c 80 <<<"$out") err=$(head -c 200 "$T/err")"
  fi
  rm -f -- "./$v"
done

# "--" as an option's value does not start the workload's part.
rm -f started ./--
ncx --report -- --summary none -- touch started 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && [ -e started ] && jq -e .summary ./-- >/dev/null 2>&1 \
  && ok "--report --: a report named --, the workload after the second --" \
  || bad "--report --" "rc=$rc started=$([ -e started ] && echo yes || echo no) err=$(cat "$T/err")"
rm -f ./--

# Arguments after the workload's -- are the workload's, even when they look like options.
out=$(ncx --report none --summary none -- echo --dry-run -h --init); rc=$?
[ $rc -eq 0 ] && [ "$out" = "--dry-run -h --init" ] && ok "options after -- belong to the workload" \
  || bad "after --" "rc=$rc out=$out"

cli_finish
