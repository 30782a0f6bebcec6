# shellcheck shell=bash
describe "A nameserver that truncates (TC) the answers for the bucket names and then breaks the TCP retry: a short message and close (input), a connection that never answers (output)"
hosts 1
toggle hostile_dns nc-input-bucket.s3.us-east-1.amazonaws.com=tcp_short nc-output-bucket.s3.us-east-1.amazonaws.com=tcp_silent
measure_rss 16384
checks() {
  tb_dns_truncated algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com
  tb_dns_broken algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com 'end of file' +tcp
  tb_dns_broken algo-1 nc-output-bucket.s3.us-east-1.amazonaws.com 'timed out' +tcp
}
# c-ares reports a TCP connection closed without an answer as ECONNREFUSED, which netcheck can
# only call DNS_TIMEOUT ("refused or dropped"); SERVFAIL would say it as well.
expect algo-1 dns:nc-input-bucket.s3.us-east-1.amazonaws.com 'DNS_TIMEOUT|DNS_SERVFAIL'
expect algo-1 s3:nc-input-bucket 'DNS_TIMEOUT|DNS_SERVFAIL'
expect algo-1 dns:nc-output-bucket.s3.us-east-1.amazonaws.com DNS_TIMEOUT
expect algo-1 s3:nc-output-bucket DNS_TIMEOUT
# Every other name must resolve: the broken TCP answer of one name must not fail the queries of
# the others that are in flight to the same nameserver at the same time.
