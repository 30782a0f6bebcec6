# shellcheck shell=bash
describe "The DHCP options set names a custom DNS server that serves only AWS names: other names REFUSED, AAAA of AWS names NXDOMAIN (A resolves); NAT gateway; default flags"
hosts 1
toggle custom_dns_aws_only
netcheck_args --timeout 15 --peer-wait 120
measure_rss 16384 3.5
checks() {
  tb_dns algo-1 pypi.org REFUSED
  tb_dns algo-1 s3.us-east-1.amazonaws.com NOERROR 198.19.1.10
  tb_dns algo-1 s3.us-east-1.amazonaws.com NXDOMAIN - AAAA
  tb_dns algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com NOERROR 198.19.1.10
  tb_dns algo-1 sts.us-east-1.amazonaws.com NOERROR 198.19.2.10
  tb_dns algo-1 sts.us-east-1.amazonaws.com NXDOMAIN - AAAA
  tb_dns algo-1 no-such-service.us-east-1.amazonaws.com NXDOMAIN
  tb_dns_answers algo-1 sts.us-east-1.amazonaws.com 1
  # The NAT gateway is there: only the name is missing.
  tb_http algo-1 200 'pip' - -- --resolve pypi.org:443:198.19.100.10 https://pypi.org/simple/
}
expect all dns:pypi.org DNS_REFUSED@info
expect all egress:pypi.org EGRESS_BLOCKED@info
# No warning on any AWS name (the default rule); the AAAA NXDOMAIN answers are one note for the
# nameserver in the environment section.
report_jq all '([.probes[] | select(.id | startswith("dns:") and endswith(".amazonaws.com"))] | length) as $aws | .environment.dns_notes | length == 1 and .[0].server == "198.18.0.5" and .[0].query == "AAAA" and .[0].answer == "nxdomain" and .[0].names == $aws'
# ... and no message says that an AWS name does not resolve.
report_jq all '[.probes[] | select(.target // "" | test("amazonaws[.]com")) | ((.message // "") + " " + (.remediation // "")) | test("not resolve|cannot resolve"; "i")] | any | not'
# netcheck merge of the reports names no cause: facts (info) are not faults.
causes none
