# shellcheck shell=bash
describe "A TLS-inspecting middlebox: S3 presents a certificate from an unknown CA"
hosts 1
toggle tls_interception
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_curl_fails algo-1 60 "S3 certificate is untrusted" -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  TB_CA=$VPC_RUN/ca/rogue-ca.pem tb_http algo-1 200 - - -- -I "${sig[@]}" https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_http algo-1 200 'pip' - -- https://pypi.org/simple/
}
expect algo-1 s3:nc-input-bucket TLS_UNTRUSTED
expect algo-1 s3:nc-output-bucket TLS_UNTRUSTED
# Not listed, so OK: clock:* (skipped; the s3 probes name the problem), repo:* (expected blocked).
