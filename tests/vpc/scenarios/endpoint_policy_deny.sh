# shellcheck shell=bash
describe "The S3 VPC endpoint policy does not allow the job's input bucket"
hosts 1
toggle endpoint_policy_deny nc-input-bucket
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_http algo-1 403 - 'x-amz-request-id: ' -- -I "${sig[@]}" https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_http algo-1 403 'because no VPC endpoint policy allows the s3:ListBucket action' - -- \
    "${sig[@]}" "https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2&prefix=data/&max-keys=1"
  tb_http algo-1 200 - - -- -I "${sig[@]}" https://nc-output-bucket.s3.us-east-1.amazonaws.com/
}
expect algo-1 s3:nc-input-bucket S3_DENIED_ENDPOINT_POLICY
