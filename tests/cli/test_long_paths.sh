#!/usr/bin/env bash
# A path longer than netcheck keeps (1023 bytes) is never cut short (a cut
# path names another file): from a flag, a variable or the --config file it
# is a configuration error, exit 2 and one line naming where it came from and
# "File name too long" (musl: "Filename too long"); an output LocalPath of
# the job config is a CONFIG_INVALID problem of
# config:processingjobconfig.json and is not used.
# Nothing is written anywhere else.
#
# The paths are real: a directory 1,040 bytes deep exists, so that a cut
# path would name a sibling that can be created.
#
# netcheck runs in a fresh network namespace (only lo).
#
# Usage: NETCHECK=./netcheck tests/cli/test_long_paths.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init long-paths 120
ncx() { timeout 30 unshare --net "$NC" "$@"; }

# $T/aaaa.../aaaa.../... until the directory's path is at least 1,040 bytes.
D=$T
while [ ${#D} -lt 1040 ]; do D="$D/$(printf 'a%.0s' $(seq 100))"; done
mkdir -p "$D" || { bad "setup" "cannot create a ${#D}-byte directory"; cli_finish; exit; }
echo '{}' >"$D/config.json"
cp "$FIX/sm-two-hosts/"*.json "$D/" 2>/dev/null
mkdir -p "$T/sm"

# Files under $T other than the fixtures copied there.
written() { find "$T" -type f ! -path "$D/*" ! -path "$T/sm/*" ! -name err | sed "s|^$T/||"; }

# too_long NAME RC WHAT: exit 2, one line naming WHAT and the reason, nothing written.
too_long() {
  local name=$1 rc=$2 what=$3 w
  w=$(written)
  if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF -- "$what:" "$T/err" \
     && grep -Eq "File ?name too long" "$T/err" && [ -z "$w" ]; then
    ok "$name (${#D}+ bytes): exit 2, one line naming $what"
  else bad "$name" "rc=$rc err=$(cut -c1-200 "$T/err") written=$(head -c 200 <<<"$w")"; fi
  find "$T" -type f ! -path "$D/*" ! -path "$T/sm/*" -delete
}
Q=(--summary none)

ncx "${Q[@]}" --report "$D/report.json" -- true 2>"$T/err"
too_long "--report" $? --report
ncx "${Q[@]}" --report none --on-fail abort --message-file "$D/message" -- true 2>"$T/err"
too_long "--message-file" $? --message-file
ncx "${Q[@]}" --report none --sm-config-dir "$D" -- true 2>"$T/err"
too_long "--sm-config-dir" $? --sm-config-dir
ncx "${Q[@]}" --report none --config "$D/config.json" -- true 2>"$T/err"
too_long "--config" $? --config
ncx "${Q[@]}" --report none --ca-bundle "$D/ca.pem" -- true 2>"$T/err"
too_long "--ca-bundle" $? --ca-bundle
NETCHECK_SM_CONFIG_DIR=$D ncx "${Q[@]}" --report none -- true 2>"$T/err"
too_long "NETCHECK_SM_CONFIG_DIR" $? NETCHECK_SM_CONFIG_DIR
AWS_CA_BUNDLE=$D/ca.pem ncx "${Q[@]}" --report none -- true 2>"$T/err"
too_long "AWS_CA_BUNDLE" $? AWS_CA_BUNDLE
NETCHECK_MESSAGE_FILE=$D/message ncx "${Q[@]}" --report none --on-fail abort -- true 2>"$T/err"
too_long "NETCHECK_MESSAGE_FILE" $? NETCHECK_MESSAGE_FILE
jq -n --arg p "$D/r.json" '{report: $p}' >"$T/sm/cfg.json"
ncx "${Q[@]}" --config "$T/sm/cfg.json" -- true 2>"$T/err"
too_long "--config file: report" $? "$T/sm/cfg.json: report"
jq -n --arg p "$D/ca.pem" '{ca_bundle: $p}' >"$T/sm/cfg.json"
ncx "${Q[@]}" --report none --config "$T/sm/cfg.json" -- true 2>"$T/err"
too_long "--config file: ca_bundle" $? "$T/sm/cfg.json: ca_bundle"

# A flag that overrides a long variable: the variable is not used.
AWS_CA_BUNDLE=$D/ca.pem ncx "${Q[@]}" --report none --ca-bundle /etc/ssl/certs/ca-certificates.crt -- true 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && ok "a long AWS_CA_BUNDLE that --ca-bundle overrides is not an error" || bad "overridden variable" "rc=$rc $(cat "$T/err")"

# An output LocalPath from the job config: a config problem, the output not
# used, nothing written under the cut path; the workload runs.
jq -n --arg p "$D" '{ProcessingOutputConfig: {Outputs: [{OutputName: "netcheck", S3Output: {S3Uri: "s3://nc-long/n/", LocalPath: $p}}]}}' \
  >"$T/sm/processingjobconfig.json"
ncx "${Q[@]}" --sm-config-dir "$T/sm" --report "$T/sm/r.json" -- sh -c 'exit 7' 2>"$T/err"; rc=$?
w=$(written)
if [ $rc -eq 7 ] && [ -z "$w" ] && jq -e '.probes[] | select(.id == "config:processingjobconfig.json") | .code == "CONFIG_INVALID"
     and (.details.problems[] | (.field | test("Outputs\\[0\\].S3Output.LocalPath")) and (.problem | test("File ?name too long")))' "$T/sm/r.json" >/dev/null; then
  ok "an output LocalPath of ${#D} bytes: CONFIG_INVALID naming it, not used, the workload runs"
else bad "LocalPath" "rc=$rc err=$(cut -c1-200 "$T/err") written=$w $(jq -c '.probes[] | select(.kind == "config")' "$T/sm/r.json" 2>&1 | head -c 400)"; fi

cli_finish
