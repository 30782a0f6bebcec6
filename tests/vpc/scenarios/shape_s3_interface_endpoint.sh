# shellcheck shell=bash
describe "Fully private VPC: S3 through an interface endpoint (no gateway endpoint), interface endpoints for every AWS service, no NAT gateway; default flags"
hosts 1
toggle minimal_vpc
toggle no_s3_endpoint
toggle interface_endpoints s3 sts logs monitoring api.ecr api.sagemaker
netcheck_args --timeout 15 --peer-wait 120
measure_rss 16384 3.5
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  # The S3 endpoint's private DNS: s3.REGION and *.s3.REGION answer inside the subnet.
  tb_dns algo-1 s3.us-east-1.amazonaws.com NOERROR 198.18.0.235
  tb_dns algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com NOERROR 198.18.0.235
  tb_dns algo-1 al2023-repos-us-east-1-de612dc2.s3.us-east-1.amazonaws.com NOERROR 198.18.0.235
  tb_dns algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com NOERROR none AAAA
  tb_creds algo-1
  tb_http algo-1 200 '<Key>data/part-0000.csv</Key>' - -- "${sig[@]}" "https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2&prefix=data/&max-keys=5"
  tb_http algo-1 403 '<Code>AccessDenied</Code>' - -- "https://nc-input-bucket.s3.us-east-1.amazonaws.com/?list-type=2"
  # The endpoint policy applies as on the gateway endpoint: the repository buckets are denied.
  tb_http algo-1 403 '<Code>AccessDenied</Code>' - -- https://al2023-repos-us-east-1-de612dc2.s3.us-east-1.amazonaws.com/core/mirrors/latest/x86_64/mirror.list
  # No gateway endpoint and no NAT: S3's public addresses (the other repository names) are black holes.
  tb_dns algo-1 repo.us-east-1.amazonaws.com NOERROR 198.19.1.10
  tb_tcp algo-1 198.19.1.10 443 timeout
  tb_dns algo-1 monitoring.us-east-1.amazonaws.com NOERROR 198.18.0.234
  tb_http algo-1 400 - - -- https://monitoring.us-east-1.amazonaws.com/
  tb_curl_fails algo-1 28 "pypi.org times out" -- https://pypi.org/simple/
}
expect all egress:pypi.org EGRESS_BLOCKED@info
# Everything else OK: the buckets are reached inside the VPC, every service through its endpoint.
report_jq all '[.probes[] | select(.id | startswith("s3:")) | .details.address_class] | length == 2 and all(. == "inside_vpc")'
report_jq all '[.probes[] | select(.id | startswith("aws:")) | .details.endpoint] | length == 5 and all(. == "interface")'
# netcheck merge of the reports names no cause: facts (info) are not faults.
causes none
