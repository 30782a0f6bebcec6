# shellcheck shell=bash
describe "The DHCP options set names a corporate resolver that does not know AWS names (NXDOMAIN)"
hosts 2
toggle custom_dns
checks() {
  tb_dns algo-1 s3.us-east-1.amazonaws.com NXDOMAIN
  tb_dns algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com NXDOMAIN
  tb_dns algo-2 sts.us-east-1.amazonaws.com NXDOMAIN
  tb_dns algo-1 git.corp.example NOERROR 198.18.0.50
  tb_curl_fails algo-1 6 "S3 name does not resolve" -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  # Peers resolve through /etc/hosts, as in SageMaker.
  tb_getent algo-1 algo-2 198.18.0.12
  tb_peer_port algo-1 algo-2 refused
}
# The names the job needs (its buckets, the regional S3 name) fail it.
expect all 'dns:nc-*-bucket.s3.us-east-1.amazonaws.com' DNS_NXDOMAIN@fail
expect all dns:s3.us-east-1.amazonaws.com DNS_NXDOMAIN@fail
# The repository names: nothing needs them to resolve (the repos are expected blocked): facts.
expect all 'dns:*repo*.amazonaws.com' DNS_NXDOMAIN@info
expect all 'dns:*.us-east-1.amazonaws.com' DNS_NXDOMAIN
expect all dns:pypi.org DNS_NXDOMAIN@info
# Probes that need a name report the resolver's answer as their diagnosis.
expect all 's3:*' DNS_NXDOMAIN@fail
expect all 'aws:*' DNS_NXDOMAIN@info
# Informational: the job may not need the internet; a fact, with its fix.
expect all egress:pypi.org EGRESS_BLOCKED@info
# Not listed, so OK: repo:* (expected blocked; a name that does not resolve is blocked),
# clock:* (skipped: nothing to measure), peer:* (/etc/hosts).
causes DNS_NXDOMAIN probes all
