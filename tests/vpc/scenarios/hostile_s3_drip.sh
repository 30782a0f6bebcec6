# shellcheck shell=bash
describe "Hostile S3 fronts that drip one byte a second: the input bucket's in the TLS handshake (plain TCP), the output bucket's in the HTTP response head (after TLS)"
hosts 1
toggle hostile_s3 drip_tcp drip_http
measure_rss 16384
checks() {
  tb_dns algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com NOERROR 198.19.1.66
  tb_dns algo-1 nc-output-bucket.s3.us-east-1.amazonaws.com NOERROR 198.19.1.67
  tb_dns algo-1 s3.us-east-1.amazonaws.com NOERROR 198.19.1.10
  tb_tcp algo-1 198.19.1.66 443 open
  tb_curl_fails algo-1 28 "the TLS handshake drips" -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_curl_fails algo-1 28 "the response head drips" -- -I https://nc-output-bucket.s3.us-east-1.amazonaws.com/
}
# TCP connects at once, so neither is S3_NO_ROUTE (which sends people to their route tables):
# a TLS handshake that never completes is TLS_HANDSHAKE (or TIMEOUT_BUDGET, "tls_timeout"), an
# answer that never completes is TIMEOUT_BUDGET.
expect algo-1 s3:nc-input-bucket 'TLS_HANDSHAKE|TIMEOUT_BUDGET'
expect algo-1 s3:nc-output-bucket TIMEOUT_BUDGET
