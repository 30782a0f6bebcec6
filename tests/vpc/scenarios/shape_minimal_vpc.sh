# shellcheck shell=bash
describe "The SageMaker guide's minimal VPC: private subnets, the S3 gateway endpoint, no NAT gateway, no interface endpoint; default flags, the workload starts within 3.5 s"
hosts 2
toggle minimal_vpc
# netcheck's defaults, not the runner's --timeout 5 --peer-wait 15
netcheck_args --timeout 15 --peer-wait 120
measure_rss 16384 3.5
checks() {
  local s a
  local -a sig
  # The VPC resolver is the Route 53 Resolver: public names resolve without a NAT gateway.
  tb_route53_resolver algo-1
  for s in sts logs monitoring api.ecr api.sagemaker; do
    a=${VPC_SVC_ADDR[$s]}
    tb_dns algo-1 "$s.us-east-1.amazonaws.com" NOERROR "$a"
    # ... to public addresses that no route leads to: silent drops, not refusals.
    tb_tcp algo-1 "$a" 443 timeout
  done
  tb_curl_fails algo-1 28 "pypi.org times out (no NAT)" -- https://pypi.org/simple/
  # S3 through the gateway endpoint, with its policy.
  mapfile -t sig < <(tb_signed s3)
  tb_creds algo-1
  tb_http algo-1 200 '<Key>data/part-0000.csv</Key>' - -- "${sig[@]}" "https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2&prefix=data/&max-keys=5"
  tb_http algo-1 403 '<Code>AccessDenied</Code>' - -- https://al2023-repos-us-east-1-de612dc2.s3.us-east-1.amazonaws.com/core/mirrors/latest/x86_64/mirror.list
  tb_http algo-1 403 '<Code>AccessDenied</Code>' - -- https://repo.us-east-1.amazonaws.com/latest/main/mirror.list
  tb_peer_port algo-1 algo-2 refused
}
# Facts, not faults: the job does not use these unless it says so.
expect all 'aws:*' AWS_ENDPOINT_UNREACHABLE@info
expect all egress:pypi.org EGRESS_BLOCKED@info
# Every other probe (creds, dns of every name, s3, repo, clock, peer): OK.
# netcheck merge of the reports names no cause: facts (info) are not faults.
causes none
