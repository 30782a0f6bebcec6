# shellcheck shell=bash
describe "--on-fail abort: the endpoint policy denies the input bucket; netcheck exits 1 without starting the workload and leaves a one-line reason (with the job's credentials in use: no secret in it)"
hosts 1
toggle endpoint_policy_deny nc-input-bucket
netcheck_args --on-fail abort
exit_status 1 '^netcheck: S3_DENIED_ENDPOINT_POLICY s3:nc-input-bucket: .*Fix: '
checks() {
  tb_creds algo-1
}
expect algo-1 s3:nc-input-bucket S3_DENIED_ENDPOINT_POLICY
