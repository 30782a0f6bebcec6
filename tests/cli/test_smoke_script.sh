#!/usr/bin/env bash
# examples/smoke-test.sh, the smoke test of docs/sagemaker.md, against a stub
# `aws` that plays SageMaker and S3: when the job ends Failed (the waiter exits
# 255, as the AWS CLI's does), the script still shows the status, the
# ExitMessage and every host's report (netcheck merge), keeps only this job's
# reports, and exits 1; a Completed job exits 0. The job's report is real:
# netcheck runs the smoke test's configuration with no network (unshare --net),
# which fails it as a broken VPC would. docs/sagemaker.md shows the script as
# it is in examples/.
#
# Usage: NETCHECK=./netcheck tests/cli/test_smoke_script.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init smoke 120

SCRIPT=$PWD/examples/smoke-test.sh
SPEC=$PWD/examples/smoke-test-job.json
mkdir -p "$T/bin" "$T/bucket" "$T/sm" "$T/work"
ln -s "$NC" "$T/bin/netcheck"

cat >"$T/bin/aws" <<'STUB'
#!/bin/sh
# A stub of the AWS CLI v2: the calls examples/smoke-test.sh makes, nothing else.
echo "$*" >>"$STUB/calls"
case "$1 $2" in
"sagemaker create-processing-job")
  job=""
  prev=""
  for a in "$@"; do [ "$prev" = --processing-job-name ] && job=$a; prev=$a; done
  echo "$job" >"$STUB/job"
  # The job: netcheck alone, in a container without network, as the entrypoint says.
  jq --arg n "$job" --arg lp "$STUB/bucket" '. + {ProcessingJobName: $n,
      ProcessingJobArn: ("arn:aws:sagemaker:eu-west-1:111122223333:processing-job/" + $n)}
      | .ProcessingOutputConfig.Outputs[0].S3Output.LocalPath = $lp' "$STUB_SPEC" >"$STUB/sm/processingjobconfig.json"
  echo '{"current_host": "algo-1", "hosts": ["algo-1", "algo-2"]}' >"$STUB/sm/resourceconfig.json"
  timeout 30 unshare --net "$STUB_NC" --sm-config-dir "$STUB/sm" --timeout 2 --peer-wait 1 \
    --summary none --message-file "$STUB/message" >/dev/null 2>&1
  echo "{\"ProcessingJobArn\": \"arn:aws:sagemaker:eu-west-1:111122223333:processing-job/$job\"}"
  ;;
"sagemaker wait")
  if [ "$STUB_STATUS" = Failed ]; then
    echo 'Waiter ProcessingJobCompletedOrStopped failed: Waiter encountered a terminal failure state: For expression "ProcessingJobStatus" we matched expected path: "Failed"' >&2
    exit 255
  fi
  ;;
"sagemaker describe-processing-job")
  case "$*" in
  *S3Uri*) echo "s3://my-bucket/netcheck/smoke-test/" ;;
  *"--output text"*) echo "$STUB_STATUS" ;;
  *) printf '{\n    "Status": "%s",\n    "Exit": "%s",\n    "Failure": "AlgorithmError: see job logs"\n}\n' \
       "$STUB_STATUS" "$(cat "$STUB/message" 2>/dev/null)" ;;
  esac
  ;;
"s3 cp")
  for a in "$@"; do dest=$a; done
  cp "$STUB/bucket/"*.json "$dest"
  ;;
*)
  echo "stub aws: unexpected call: $*" >&2
  exit 99
  ;;
esac
STUB
chmod +x "$T/bin/aws"

# run_script STATUS: runs the script in $T/work with the stub; output in $T/out.
run_script() {
  rm -rf "$T/work" "$T/bucket" "$T/calls" && mkdir -p "$T/work" "$T/bucket"
  # An earlier smoke test's report under the same S3 prefix.
  jq '.job.name = "netcheck-smoke-20250101-000000" | .host = "algo-3"' "$FIX/merge/algo-1.json" >"$T/bucket/algo-3.json"
  (cd "$T/work" && PATH="$T/bin:$PATH" STUB="$T" STUB_NC="$NC" STUB_SPEC="$SPEC" STUB_STATUS=$1 \
    timeout 90 sh "$SCRIPT") >"$T/out" 2>&1
}

run_script Failed
rc=$?
job=$(cat "$T/job" 2>/dev/null)
calls=$(cut -d' ' -f1-2 "$T/calls" 2>/dev/null | tr '\n' ',')
[ $rc -eq 1 ] && [[ $job == netcheck-smoke-* ]] && grep -q '"Status": "Failed"' "$T/out" \
  && grep -q 'NETWORK_ISOLATED' "$T/out" \
  && ok "a Failed job: the waiter's exit 255 does not stop the script; it shows the status and the ExitMessage, exits 1" \
  || bad "Failed job" "rc=$rc job=$job $(cat "$T/out")"
[ "$calls" = "sagemaker create-processing-job,sagemaker wait,sagemaker describe-processing-job,sagemaker describe-processing-job,sagemaker describe-processing-job,s3 cp," ] \
  && ok "it creates the job, waits, describes it, then downloads the reports" || bad "calls" "$calls"
if [ -f "$T/work/reports/$job/algo-1.json" ] && [ ! -e "$T/work/reports/$job/algo-3.json" ] \
  && grep -q 'algo-1' "$T/out" && grep -q 'algo-2' "$T/out"; then
  ok "it keeps this job's reports only and shows them with netcheck merge (algo-2 wrote none)"
else
  bad "reports" "$(ls "$T/work/reports/$job" 2>&1) $(cat "$T/out")"
fi

run_script Completed
rc=$?
[ $rc -eq 0 ] && grep -q '"Status": "Completed"' "$T/out" && ! grep -q 'waiter stopped' "$T/out" \
  && ok "a Completed job: exit 0" || bad "Completed job" "rc=$rc $(cat "$T/out")"

# docs/sagemaker.md shows the script exactly as it is.
awk '/<!-- file: examples\/smoke-test.sh -->/{f=1; next} f && /^```sh$/ && !s {s=1; next} f && s && /^```$/ {exit} f && s' \
  docs/sagemaker.md >"$T/shown"
cmp -s "$T/shown" "$SCRIPT" && ok "docs/sagemaker.md shows examples/smoke-test.sh verbatim" \
  || bad "docs/sagemaker.md smoke-test script" "$(diff "$T/shown" "$SCRIPT" | head -5)"

cli_finish
