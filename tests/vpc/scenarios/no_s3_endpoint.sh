# shellcheck shell=bash
describe "No S3 gateway endpoint on the route table (and no NAT route to S3): TCP to S3 times out"
hosts 2
toggle no_s3_endpoint
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed sts)
  tb_dns algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com NOERROR 198.19.1.10
  tb_tcp algo-1 198.19.1.10 443 timeout
  tb_curl_fails algo-1 28 "S3 HEAD bucket times out" -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_curl_fails algo-2 28 "repo bucket times out" -- https://al2023-repos-us-east-1-de612dc2.s3.us-east-1.amazonaws.com/core/mirrors/latest/x86_64/mirror.list
  tb_http algo-1 200 '<Arn>' - -- "${sig[@]}" -d 'Action=GetCallerIdentity&Version=2011-06-15' https://sts.us-east-1.amazonaws.com/
}
expect all s3:nc-input-bucket S3_NO_ROUTE
expect all s3:nc-output-bucket S3_NO_ROUTE
# Not listed, so OK: clock:* (skipped, nothing to measure; the s3 probes name the problem) and
# repo:* (expected blocked: a time-out is blocked).
