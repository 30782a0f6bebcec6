# shellcheck shell=bash
describe "Hostile S3 fronts that answer '200 OK' at once and then drip one byte a second: the rest of the head (input bucket), the body of every GET (output bucket)"
hosts 1
toggle hostile_s3 drip_headers drip_body
measure_rss 16384
checks() {
  tb_curl_fails algo-1 28 "the response head never ends" -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_http algo-1 200 - 'x-amz-request-id: DRIPBODY' -- -I https://nc-output-bucket.s3.us-east-1.amazonaws.com/
  tb_curl_fails algo-1 28 "the body drips" -- https://nc-output-bucket.s3.us-east-1.amazonaws.com/
}
# A status line is not an answer: HeadBucket never completes.
expect algo-1 s3:nc-input-bucket TIMEOUT_BUDGET
# HeadBucket succeeds, ListObjectsV2 never completes: the path works, not a clean pass.
expect algo-1 s3:nc-output-bucket OK@warn
