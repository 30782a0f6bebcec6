#!/usr/bin/env bash
# `--report -` checks its write like a report file: when standard output is
# full (/dev/full), a pipe nobody reads, or was closed at start, netcheck
# prints one line naming the reason, says "report not written", and exits 3
# when nothing else failed (a workload still starts, and its status is
# netcheck's).
#
# Every probe family is skipped: nothing is sent, and the verdict is pass,
# so that the status is the report's alone. netcheck runs in a fresh
# network namespace (only lo).
#
# Usage: NETCHECK=./netcheck tests/cli/test_report_stdout.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init report-stdout 120
NONE=(--skip env --skip creds --skip dns --skip s3 --skip repo --skip egress --skip aws --skip clock --skip peer)
ncx() { timeout 30 unshare --net "$NC" "${NONE[@]}" "$@"; }

# one_line NAME RC WANT_RC REASON: the run exited WANT_RC with exactly one
# line on stderr, naming standard output and REASON.
one_line() {
  local name=$1 rc=$2 want=$3 reason=$4
  if [ "$rc" -eq "$want" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "standard output" "$T/err" \
     && grep -qF "$reason" "$T/err"; then
    ok "$name: exit $rc, one line ($(cat "$T/err"))"
  else bad "$name" "rc=$rc (want $want) stderr=$(cat "$T/err")"; fi
}

ncx --report - --summary none >/dev/full 2>"$T/err"
one_line "--report - on /dev/full" $? 3 "No space left on device"

ncx --report - --summary none >&- 2>"$T/err"
one_line "--report - with standard output closed" $? 3 "closed"

# A pipe whose reading end is closed before netcheck starts.
/usr/bin/python3 - "$NC" "$T/err" "${NONE[@]}" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
with open(sys.argv[2], "wb") as err:
    rc = subprocess.call(["timeout", "30", "unshare", "--net", sys.argv[1], *sys.argv[3:],
                          "--report", "-", "--summary", "none"], stdout=w, stderr=err)
sys.exit(rc)
PY
one_line "--report - into a pipe nobody reads" $? 3 "Broken pipe"

# The summary line says where the report went: nowhere.
ncx --report - >/dev/full 2>"$T/err"
tail -1 "$T/err" | grep -q "report not written" && ok "the summary says 'report not written'" \
  || bad "summary" "$(cat "$T/err")"

# A workload still starts and its status is netcheck's.
ncx --report - --summary none -- sh -c 'exit 7' >/dev/full 2>"$T/err"
one_line "--report - on /dev/full with a workload" $? 7 "No space left on device"

# A healthy standard output: the report, exit 0.
out=$(ncx --report - --summary none 2>"$T/err"); rc=$?
[ $rc -eq 0 ] && jq -e '.summary.verdict == "pass"' <<<"$out" >/dev/null && [ ! -s "$T/err" ] \
  && ok "--report - on a working standard output: the report, exit 0" || bad "healthy stdout" "rc=$rc $(cat "$T/err")"

cli_finish
