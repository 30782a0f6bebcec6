# shellcheck shell=bash
describe "The job's input bucket does not exist (NoSuchBucket)"
hosts 1
toggle missing_bucket nc-input-bucket
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_http algo-1 404 - - -- -I "${sig[@]}" https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_http algo-1 404 '<Code>NoSuchBucket</Code>' - -- "${sig[@]}" "https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2"
  tb_http algo-1 200 - - -- -I "${sig[@]}" https://nc-output-bucket.s3.us-east-1.amazonaws.com/
}
expect algo-1 s3:nc-input-bucket S3_NO_SUCH_BUCKET
