#!/bin/sh
# examples/smoke-test.sh [JOB-JSON] - runs the smoke-test processing job
# (default examples/smoke-test-job.json, placeholders replaced), waits until it
# ends, and shows the result even when the job failed: its status, ExitMessage
# and FailureReason, then every host's report through `netcheck merge`.
# Exit status: 0 when the job Completed, 1 when it did not, 2 when it could not
# be started. Needs the AWS CLI v2 and netcheck on PATH.
set -u
spec=${1:-examples/smoke-test-job.json}
job="netcheck-smoke-$(date +%Y%m%d-%H%M%S)"

aws sagemaker create-processing-job --cli-input-json "file://$spec" \
    --processing-job-name "$job" >/dev/null || exit 2
echo "started $job"

# The waiter exits 255 when the job ends Failed, which is when the reports
# matter most (and after an hour of waiting): read the outcome either way.
if ! aws sagemaker wait processing-job-completed-or-stopped --processing-job-name "$job"; then
    echo "the waiter stopped without success: the job failed (or still runs); its result follows"
fi
aws sagemaker describe-processing-job --processing-job-name "$job" \
    --query '{Status: ProcessingJobStatus, Exit: ExitMessage, Failure: FailureReason}'
status=$(aws sagemaker describe-processing-job --processing-job-name "$job" \
    --query ProcessingJobStatus --output text)

# Every host's report (<host>.json), from the output named netcheck. Earlier
# smoke tests wrote to the same prefix: keep this job's reports only.
uri=$(aws sagemaker describe-processing-job --processing-job-name "$job" --output text \
    --query "ProcessingOutputConfig.Outputs[?OutputName=='netcheck'].S3Output.S3Uri | [0]")
mkdir -p "reports/$job"
aws s3 cp --recursive --quiet "$uri" "reports/$job/" || echo "could not download the reports from $uri"
for f in "reports/$job"/*.json; do
    [ -f "$f" ] && ! grep -q "\"$job\"" "$f" && rm -f "$f"
done
netcheck merge "reports/$job/"

[ "$status" = Completed ]
