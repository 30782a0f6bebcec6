#!/usr/bin/env bash
# A FIFO (or a device) where netcheck reads a file never holds it: --config,
# a file of the SageMaker config directory and the container credentials
# token file are opened without blocking and must be regular files. A FIFO
# nobody writes is refused at once: one line and exit 2 for --config, a
# config:FILE check (CONFIG_INVALID) for a file of the job's config, a
# CREDS_UNAVAILABLE check for the token file.
#
# netcheck runs in a fresh network namespace (only lo); every run is bounded
# by `timeout` (status 124 = it hung).
#
# Usage: NETCHECK=./netcheck tests/cli/test_fifo_inputs.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init fifo-inputs 120
ncx() { timeout -k 1 10 unshare --net "$NC" "$@"; }
mkfifo "$T/fifo"

# config_error NAME RC FILE: exit 2 with one line naming FILE as not a regular file.
config_error() {
  local name=$1 rc=$2 file=$3
  if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF "$file: not a regular file" "$T/err"; then
    ok "$name: exit 2 at once, one line ($(cat "$T/err"))"
  else bad "$name" "rc=$rc (124 or 137 = it hung) err=$(cat "$T/err")"; fi
}

ncx --config "$T/fifo" --report none --summary none 2>"$T/err"
config_error "--config FIFO" $? "$T/fifo"

# job_config_error NAME RC FILE: the run went on (not hung), and the report's
# config:FILE check is CONFIG_INVALID saying the file is not a regular file.
job_config_error() {
  local name=$1 rc=$2 file=$3
  if [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && jq -e --arg id "config:${file##*/}" \
       '.probes[] | select(.id == $id) | .code == "CONFIG_INVALID" and (.message | contains("not a regular file"))' \
       "$T/r.json" >/dev/null; then
    ok "$name: at once, $(jq -r --arg id "config:${file##*/}" '.probes[] | select(.id == $id) | .id + " " + .code' "$T/r.json")"
  else bad "$name" "rc=$rc (124 or 137 = it hung) $(jq -c '[.probes[]? | select(.kind == "config")]' "$T/r.json" 2>&1)"; fi
}
mkdir -p "$T/sm"
mkfifo "$T/sm/processingjobconfig.json"
ncx --sm-config-dir "$T/sm" --report "$T/r.json" --summary none 2>"$T/err"
job_config_error "processingjobconfig.json a FIFO" $? "$T/sm/processingjobconfig.json"
rm "$T/sm/processingjobconfig.json"
mkfifo "$T/sm/resourceconfig.json"
ncx --sm-config-dir "$T/sm" --report "$T/r.json" --summary none 2>"$T/err"
job_config_error "resourceconfig.json a FIFO" $? "$T/sm/resourceconfig.json"

ncx --config /dev/zero --report none --summary none 2>"$T/err"
config_error "--config /dev/zero (a device)" $? /dev/zero

# The token file of the full-URI credentials endpoint: the creds check fails
# with the reason, and the run ends within its --timeout.
t0=$(now_ms)
AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:9/creds AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$T/fifo" \
  ncx --skip env --skip dns --skip s3 --skip repo --skip egress --skip aws --skip clock --skip peer \
  --timeout 2 --report "$T/r.json" --summary none 2>"$T/err"; rc=$?
dt=$(($(now_ms) - t0))
if [ $rc -eq 1 ] && [ $dt -lt 5000 ] && jq -e '.probes[] | select(.id == "creds:container") |
     .code == "CREDS_UNAVAILABLE" and (.message | test("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: not a regular file"))' "$T/r.json" >/dev/null; then
  ok "token file a FIFO: CREDS_UNAVAILABLE naming it, run over in $dt ms"
else bad "token file FIFO" "rc=$rc (124 or 137 = it hung) in $dt ms $(jq -c '.probes[]? | select(.kind == "creds") | .message' "$T/r.json" 2>&1)"; fi

cli_finish
