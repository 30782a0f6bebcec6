# shellcheck shell=bash
describe "No NAT gateway, no interface endpoint: the only way out is an HTTPS proxy in the VPC (HTTPS_PROXY, NO_PROXY as the AWS SDKs use them); S3 direct through the gateway endpoint"
hosts 2
toggle minimal_vpc
toggle https_proxy
netcheck_env HTTPS_PROXY=http://198.18.0.6:3128 \
  NO_PROXY=169.254.169.254,169.254.170.2,.s3.us-east-1.amazonaws.com,s3.us-east-1.amazonaws.com
netcheck_args --timeout 15 --peer-wait 120
measure_rss 16384 3.5
checks() {
  local p=http://198.18.0.6:3128
  local -a sig
  mapfile -t sig < <(tb_signed sts)
  # Direct: black holes (no NAT) ...
  tb_curl_fails algo-1 28 "pypi.org direct times out" -- https://pypi.org/simple/
  tb_tcp algo-1 198.19.2.10 443 timeout
  # ... through the proxy: the internet and the AWS services' public endpoints.
  tb_http algo-1 200 'pip' - -- --proxy "$p" https://pypi.org/simple/
  tb_http algo-1 200 '<Arn>' - -- --proxy "$p" "${sig[@]}" -d 'Action=GetCallerIdentity&Version=2011-06-15' https://sts.us-east-1.amazonaws.com/
  tb_http algo-1 400 - - -- --proxy "$p" https://monitoring.us-east-1.amazonaws.com/
  # The proxy tunnels only allowed names on 443, and its security group admits only port 3128.
  tb_curl_fails algo-1 56 "the proxy refuses names outside its allow-list (403)" -- --proxy "$p" https://no-such-site.example/
  tb_tcp algo-1 198.18.0.6 22 timeout
  # S3 (NO_PROXY) goes direct through the gateway endpoint; credentials are local.
  tb_creds algo-1
  tb_http algo-1 403 '<Code>AccessDenied</Code>' - -- https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2
  tb_peer_port algo-1 algo-2 refused
}
# Every probe OK: egress and aws:* through the proxy, s3 and the repository buckets direct, the
# repository hosts through the proxy (whose subnet reaches S3 through the same gateway endpoint).
report_jq all '[.probes[] | select(.id == "egress:pypi.org" or (.id | startswith("aws:"))) | .details.primary_ip] | length == 6 and all(. == "198.18.0.6")'
report_jq all '[.probes[] | select(.id | startswith("repo:al2023") or startswith("repo:amazonlinux-2-")) | .details.primary_ip] | length == 2 and all(. == "198.19.1.10")'
# netcheck merge of the reports names no cause: facts (info) are not faults.
causes none
