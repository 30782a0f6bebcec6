# shellcheck shell=bash
describe "No NAT gateway; interface endpoints with private DNS for STS, CloudWatch Logs, ECR and the SageMaker API (not CloudWatch metrics); default flags"
hosts 1
toggle minimal_vpc
toggle interface_endpoints sts logs api.ecr api.sagemaker
netcheck_args --timeout 15 --peer-wait 120
measure_rss 16384 3.5
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed sts)
  # Private DNS: the regional names answer with the endpoints' addresses inside the subnet.
  tb_dns algo-1 sts.us-east-1.amazonaws.com NOERROR 198.18.0.230
  tb_dns algo-1 logs.us-east-1.amazonaws.com NOERROR 198.18.0.231
  tb_dns algo-1 api.ecr.us-east-1.amazonaws.com NOERROR 198.18.0.232
  tb_dns algo-1 api.sagemaker.us-east-1.amazonaws.com NOERROR 198.18.0.233
  tb_dns algo-1 sts.us-east-1.amazonaws.com NOERROR none AAAA
  tb_http algo-1 200 '<Arn>arn:aws:sts::123456789012:assumed-role/SageMakerRole/SageMaker</Arn>' - -- \
    "${sig[@]}" -d 'Action=GetCallerIdentity&Version=2011-06-15' https://sts.us-east-1.amazonaws.com/
  tb_http algo-1 400 'MissingAuthenticationToken' - -- https://logs.us-east-1.amazonaws.com/
  tb_http algo-1 400 - - -- https://api.sagemaker.us-east-1.amazonaws.com/
  # The endpoints' security group: TCP 443 only, the rest dropped.
  tb_tcp algo-1 198.18.0.230 80 timeout
  # No endpoint for CloudWatch metrics: its public address is a black hole, as is the internet.
  tb_dns algo-1 monitoring.us-east-1.amazonaws.com NOERROR 198.19.2.12
  tb_curl_fails algo-1 28 "monitoring times out" -- https://monitoring.us-east-1.amazonaws.com/
  tb_curl_fails algo-1 28 "pypi.org times out" -- https://pypi.org/simple/
}
expect all aws:monitoring AWS_ENDPOINT_UNREACHABLE@info
expect all egress:pypi.org EGRESS_BLOCKED@info
# The four services with an endpoint pass, reached through it.
report_jq all '[.probes[] | select(.id | IN("aws:sts", "aws:logs", "aws:api.ecr", "aws:api.sagemaker")) | .details.endpoint] == ["interface", "interface", "interface", "interface"]'
# netcheck merge of the reports names no cause: facts (info) are not faults.
causes none
