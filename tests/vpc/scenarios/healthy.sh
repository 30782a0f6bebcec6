# shellcheck shell=bash
describe "Healthy private VPC: S3 gateway endpoint with a policy that blocks the repos, NAT gateway, interface endpoints, self-referencing security group"
hosts 2
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
}
# Every probe of both hosts: OK.
