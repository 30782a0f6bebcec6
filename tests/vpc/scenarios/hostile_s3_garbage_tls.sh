# shellcheck shell=bash
describe "Hostile S3 fronts that send random bytes instead of TLS: from the first moment (input bucket), inside a TLS record header (output bucket)"
hosts 1
toggle hostile_s3 garbage garbage_record
measure_rss 16384
checks() {
  tb_curl_fails algo-1 35 "random bytes instead of TLS" -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_curl_fails algo-1 35 "random bytes in a TLS record" -- -I https://nc-output-bucket.s3.us-east-1.amazonaws.com/
}
expect algo-1 s3:nc-input-bucket TLS_HANDSHAKE
expect algo-1 s3:nc-output-bucket TLS_HANDSHAKE
