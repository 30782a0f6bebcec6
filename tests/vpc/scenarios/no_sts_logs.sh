# shellcheck shell=bash
describe "No interface endpoints (nor NAT route) for STS and CloudWatch Logs"
hosts 1
toggle no_sts_logs
checks() {
  tb_curl_fails algo-1 28 "sts times out" -- -d 'Action=GetCallerIdentity&Version=2011-06-15' https://sts.us-east-1.amazonaws.com/
  tb_curl_fails algo-1 28 "logs times out" -- https://logs.us-east-1.amazonaws.com/
  tb_http algo-1 400 - - -- https://monitoring.us-east-1.amazonaws.com/
}
expect algo-1 aws:sts AWS_ENDPOINT_UNREACHABLE
expect algo-1 aws:logs AWS_ENDPOINT_UNREACHABLE
