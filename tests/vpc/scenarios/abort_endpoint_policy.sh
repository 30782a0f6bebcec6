# shellcheck shell=bash
describe "--on-fail abort: the endpoint policy denies the input bucket; netcheck exits 1 without starting the workload and leaves a one-line reason of at most 200 bytes naming the report's S3 URI (with the job's credentials in use: no secret in it)"
hosts 1
toggle endpoint_policy_deny nc-input-bucket
netcheck_args --on-fail abort
exit_status 1 '^netcheck algo-1: S3_DENIED_ENDPOINT_POLICY s3:nc-input-bucket; report s3://nc-output-bucket/reports/algo-1\.json$'
checks() {
  tb_creds algo-1
}
expect algo-1 s3:nc-input-bucket S3_DENIED_ENDPOINT_POLICY
