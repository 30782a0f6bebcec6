# shellcheck shell=bash
describe "16 hosts whose DHCP options set names a corporate resolver that does not know AWS names: one resolver cause on 16/16 hosts"
hosts 16
toggle custom_dns
checks() {
  tb_dns algo-1 s3.us-east-1.amazonaws.com NXDOMAIN
  tb_dns algo-16 nc-input-bucket.s3.us-east-1.amazonaws.com NXDOMAIN
  tb_getent algo-16 algo-1 198.18.0.11
}
# As in custom_dns: the names the job needs fail it; the others are facts (info), in no cause.
expect all 'dns:nc-*-bucket.s3.us-east-1.amazonaws.com' DNS_NXDOMAIN@fail
expect all dns:s3.us-east-1.amazonaws.com DNS_NXDOMAIN@fail
expect all 'dns:*repo*.amazonaws.com' DNS_NXDOMAIN@info
expect all 'dns:*.us-east-1.amazonaws.com' DNS_NXDOMAIN
expect all dns:pypi.org DNS_NXDOMAIN@info
expect all 's3:*' DNS_NXDOMAIN@fail
expect all 'aws:*' DNS_NXDOMAIN@info
expect all egress:pypi.org EGRESS_BLOCKED@info
causes DNS_NXDOMAIN probes all
