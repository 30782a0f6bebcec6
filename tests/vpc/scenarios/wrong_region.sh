# shellcheck shell=bash
describe "The input bucket lives in eu-west-1, the job runs in us-east-1 (301 PermanentRedirect)"
hosts 1
toggle wrong_region nc-input-bucket eu-west-1
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_http algo-1 301 - 'x-amz-bucket-region: eu-west-1' -- -I "${sig[@]}" https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_http algo-1 301 '<Code>PermanentRedirect</Code>.*<Endpoint>nc-input-bucket.s3.eu-west-1.amazonaws.com</Endpoint>' - -- \
    "${sig[@]}" "https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2&max-keys=1"
}
expect algo-1 s3:nc-input-bucket S3_WRONG_REGION
