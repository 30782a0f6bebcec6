# shellcheck shell=bash
describe "A nameserver that answers some names with malformed messages: compression loops, pointers past the end, more answers counted than sent, a record cut short, random bytes"
hosts 1
toggle hostile_dns nc-input-bucket.s3.us-east-1.amazonaws.com=qloop nc-output-bucket.s3.us-east-1.amazonaws.com=count sts.us-east-1.amazonaws.com=ptrloop logs.us-east-1.amazonaws.com=badptr monitoring.us-east-1.amazonaws.com=trunc api.ecr.us-east-1.amazonaws.com=garbage
measure_rss 16384
checks() {
  tb_dns_broken algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com 'bad compression pointer'
  tb_dns_broken algo-1 nc-output-bucket.s3.us-east-1.amazonaws.com 'malformed'
  tb_dns_broken algo-1 sts.us-east-1.amazonaws.com 'bad compression pointer'
  tb_dns_broken algo-1 logs.us-east-1.amazonaws.com 'bad compression pointer'
  tb_dns_broken algo-1 monitoring.us-east-1.amazonaws.com 'malformed'
  tb_dns_broken algo-1 api.ecr.us-east-1.amazonaws.com 'bad packet|malformed'
  tb_dns algo-1 api.sagemaker.us-east-1.amazonaws.com NOERROR 198.19.2.14
}
# An answer whose question section cannot be matched to the query (qloop, garbage) is dropped,
# as every stub resolver drops it: the query times out. An answer that matches but cannot be
# parsed (count, ptrloop, badptr, trunc) is the server failing: SERVFAIL ("bad_response").
expect algo-1 dns:nc-input-bucket.s3.us-east-1.amazonaws.com DNS_TIMEOUT
expect algo-1 dns:api.ecr.us-east-1.amazonaws.com DNS_TIMEOUT
expect algo-1 dns:nc-output-bucket.s3.us-east-1.amazonaws.com DNS_SERVFAIL
expect algo-1 dns:sts.us-east-1.amazonaws.com DNS_SERVFAIL
expect algo-1 dns:logs.us-east-1.amazonaws.com DNS_SERVFAIL
expect algo-1 dns:monitoring.us-east-1.amazonaws.com DNS_SERVFAIL
# The probes that need those names report the resolver's failure as their diagnosis.
expect algo-1 s3:nc-input-bucket DNS_TIMEOUT
expect algo-1 s3:nc-output-bucket DNS_SERVFAIL
expect algo-1 aws:api.ecr DNS_TIMEOUT
expect algo-1 aws:sts DNS_SERVFAIL
expect algo-1 aws:logs DNS_SERVFAIL
expect algo-1 aws:monitoring DNS_SERVFAIL
# Every other name (relayed to the VPC resolver) resolves: one broken answer spoils one name.
