#!/usr/bin/env bash
# Credentials inside URLs never reach the log, the plan or the report: the
# user information of a URL (user:password@, a token as user name) and its
# query and fragment (a presigned signature, a token) are shown as ***,
# wherever netcheck shows or stores a URL, an S3 URI or a prefix - while
# the request itself still uses the URL whole.
#
# Every secret below contains "NCSECRET"; nothing netcheck prints or writes
# may contain it. netcheck runs in fresh network namespaces (only lo), with
# a nameserver (127.0.0.1) that never answers.
#
# Usage: NETCHECK=./netcheck tests/cli/test_redaction.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init redaction 120

EGRESS=(--egress-target 'https://user:PASS-NCSECRET@host.example/'
        --egress-target 'https://TOKEN-NCSECRET@github.com/'
        --egress-target 'https://example.com/x?token=Q-NCSECRET#frag-NCSECRET'
        --egress-target 'https://example.org/#F-NCSECRET')
mkdir -p "$T/sm"
cat >"$T/sm/processingjobconfig.json" <<'JSON'
{"ProcessingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:processing-job/nc-redact",
 "ProcessingInputs": [{"InputName": "in", "S3Input": {
   "S3Uri": "s3://nc-redact-bucket/data/part?X-Amz-Signature=SIG-NCSECRET&X-Amz-Credential=CRED-NCSECRET",
   "LocalPath": "/opt/ml/processing/input"}}]}
JSON

# leaks NAME FILE...: passes when no file contains the secret marker.
leaks() {
  local name=$1 hits
  shift
  hits=$(grep -h -o '[^ "]*NCSECRET[^ "]*' "$@" 2>/dev/null | head -3 | tr '\n' ' ')
  [ -z "$hits" ] && ok "$name: no secret" || bad "$name" "leaked: $hits"
}

# ---- the plan and the warnings ----
timeout 30 unshare --net "$NC" --sm-config-dir "$T/sm" "${EGRESS[@]}" --dry-run >"$T/plan" 2>"$T/plan.err"
leaks "--dry-run: the plan and its warnings" "$T/plan" "$T/plan.err"
grep -qF 'https://example.com/x?***' "$T/plan" && grep -qF 'https://***@host.example/' "$T/plan.err" \
  && ok "the plan shows https://example.com/x?*** and the warning https://***@host.example/" \
  || bad "redacted forms" "$(grep -E 'egress|host.example' "$T/plan" "$T/plan.err")"

timeout 30 unshare --net "$NC" --bucket 'nc-bucket?X-Amz-Signature=B-NCSECRET' --dry-run >/dev/null 2>"$T/bucket.err"; rc=$?
[ $rc -eq 2 ] && grep -qF -- '--bucket' "$T/bucket.err" && ok "a refused --bucket: exit 2" || bad "--bucket" "rc=$rc $(cat "$T/bucket.err")"
# Too long for a target: refused with its first 64 bytes, user information redacted.
timeout 30 unshare --net "$NC" --egress-target 'https://user:P-NCSECRET@example.com/'"$(printf 'x%.0s' $(seq 300))" \
  --dry-run >/dev/null 2>>"$T/bucket.err"
leaks "refused --bucket and --egress-target values" "$T/bucket.err"

# ---- a run: the report, every summary ----
for summary in text json junit; do
  timeout 60 unshare --net sh -c 'ip link set lo up && exec "$@"' sh "$NC" --sm-config-dir "$T/sm" "${EGRESS[@]}" \
    --skip env --skip peer --dns-server 127.0.0.1 --timeout 2 --summary "$summary" --report "$T/r-$summary.json" \
    >"$T/out-$summary" 2>"$T/err-$summary"
done
leaks "the report (egress URLs, S3 prefix)" "$T"/r-*.json
leaks "the text, json and junit summaries" "$T"/err-* "$T"/out-*
jq -e '[.probes[] | select(.id == "s3:nc-redact-bucket") | .details.prefix] == ["data/part?***"]' "$T/r-text.json" >/dev/null \
  && jq -e '[.probes[] | select(.id == "egress:example.com") | .target, .details.url] == ["https://example.com/x?***", "https://example.com/x?***"]' "$T/r-text.json" >/dev/null \
  && ok "details.prefix is data/part?***, the egress target and details.url https://example.com/x?***" \
  || bad "report fields" "$(jq -c '[.probes[] | select(.kind == "s3" or .kind == "egress") | {id, target, d: .details | {url, prefix}}]' "$T/r-text.json")"

cli_finish
