# shellcheck shell=bash
describe "Route 53 Resolver DNS Firewall as a walled garden: AWS names allowed, every other name blocked with NXDOMAIN; NAT gateway; default flags"
hosts 1
toggle dns_firewall nxdomain
netcheck_args --timeout 15 --peer-wait 120
measure_rss 16384 3.5
checks() {
  tb_dns algo-1 pypi.org NXDOMAIN
  tb_dns algo-1 pypi.org NXDOMAIN - AAAA
  tb_dns algo-1 s3.us-east-1.amazonaws.com NOERROR 198.19.1.10
  tb_dns algo-1 s3.us-east-1.amazonaws.com NOERROR none AAAA
  tb_dns algo-1 sts.us-east-1.amazonaws.com NOERROR 198.19.2.10
  tb_dns algo-1 no-such-service.us-east-1.amazonaws.com NXDOMAIN
  tb_dns_answers algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com 1
  tb_http algo-1 200 'pip' - -- --resolve pypi.org:443:198.19.100.10 https://pypi.org/simple/
}
# NXDOMAIN: the name does not exist.
expect all dns:pypi.org DNS_NXDOMAIN@info
expect all egress:pypi.org EGRESS_BLOCKED@info
# netcheck merge of the reports names no cause: facts (info) are not faults.
causes none
