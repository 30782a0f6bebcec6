# shellcheck shell=bash
describe "Clock skew of 20 minutes between the container and S3 (RequestTimeTooSkewed)"
hosts 1
toggle clock_skew -1200
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_http algo-1 403 '<Code>RequestTimeTooSkewed</Code>' - -- "${sig[@]}" "https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2&max-keys=1"
  tb_http algo-1 403 - - -- -I "${sig[@]}" https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_date_skew algo-1 1100 -- -I https://s3.us-east-1.amazonaws.com/
}
expect algo-1 s3:nc-input-bucket CLOCK_SKEW
expect algo-1 s3:nc-output-bucket CLOCK_SKEW
expect algo-1 clock:s3.us-east-1.amazonaws.com CLOCK_SKEW
