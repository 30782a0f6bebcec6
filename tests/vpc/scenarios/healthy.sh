# shellcheck shell=bash
describe "Healthy private VPC, the NAT shape: S3 gateway endpoint with a policy that blocks the repos, NAT gateway (the internet and the AWS services' public endpoints), self-referencing security group; default flags"
hosts 2
# netcheck's defaults, not the runner's --timeout 5 --peer-wait 15: the workload starts within 3.5 s
netcheck_args --timeout 15 --peer-wait 120
measure_rss 16384 3.5
checks() {
  tb_healthy_basics algo-1
  tb_creds algo-2
  tb_getent algo-1 algo-2 198.18.0.12
  tb_getent algo-2 algo-1 198.18.0.11
  # The security group lets members reach each other: a closed port answers RST at once.
  tb_peer_port algo-1 algo-2 refused
  tb_peer_port algo-2 algo-1 refused
  tb_bulk algo-1 algo-2 2000000 completes
}
after() {
  # Each host wrote its marker under the netcheck output's prefix and removed it: nothing is left.
  tb_s3_writes '.method == "PUT" and .status == 200 and .sse == null and (.key | test("^reports/[.]netcheck/algo-[12]-"))' 2
  tb_s3_writes '.method == "DELETE" and .status == 204' 2
  tb_s3_markers nc-output-bucket 0
  # Each name once: the dns probe's A and AAAA answers serve the probes that connect to it.
  tb_dns_asked_once algo-2 13
}
# Every probe of both hosts: OK. This is the NAT shape: the AWS services are public endpoints
# reached through the NAT gateway, S3 through the gateway endpoint.
report_jq all '[.probes[] | select(.id | startswith("aws:")) | .details.endpoint] | length == 5 and all(. == "public")'
report_jq all '[.probes[] | select(.id | startswith("s3:")) | .details.address_class] | length == 2 and all(. == "outside")'

# netcheck merge of the reports names no cause: facts (info) are not faults.
causes none
