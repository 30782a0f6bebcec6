# shellcheck shell=bash
describe "S3 rejects the signature (wrong secret key): SignatureDoesNotMatch"
hosts 1
toggle signature_mismatch
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_http algo-1 403 '<Code>SignatureDoesNotMatch</Code>' - -- "${sig[@]}" "https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2&max-keys=1"
}
expect algo-1 s3:nc-input-bucket S3_SIGNATURE_MISMATCH
expect algo-1 s3:nc-output-bucket S3_SIGNATURE_MISMATCH
