# shellcheck shell=bash
describe "Hostile S3 fronts that answer 200 with 1 MiB of headers: 1024 lines of 1 KiB (input bucket), one line of 1 MiB (output bucket)"
hosts 1
toggle hostile_s3 headers_many headers_line
measure_rss 16384
checks() {
  # curl's own limits: 300 KiB of headers in all, 100 KiB for one header.
  tb_curl_fails algo-1 56 "headers over 300 KiB" -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_curl_fails algo-1 27 "one header over 100 KiB" -- -I https://nc-output-bucket.s3.us-east-1.amazonaws.com/
}
# TLS to a trusted certificate works, so the path is there (not S3_NO_ROUTE), but no S3 client
# accepts such an answer (curl and botocore refuse it): a warning, not a pass.
expect algo-1 s3:nc-input-bucket OK@warn
expect algo-1 s3:nc-output-bucket OK@warn
