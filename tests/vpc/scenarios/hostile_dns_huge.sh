# shellcheck shell=bash
describe "A nameserver that answers the bucket names with 400 and 4000 A records (UDP: TC, then TCP: 6 KiB and 64 KiB); the first record is the S3 front"
hosts 1
toggle hostile_dns nc-input-bucket.s3.us-east-1.amazonaws.com=many:400 nc-output-bucket.s3.us-east-1.amazonaws.com=many:4000
measure_rss 16384
checks() {
  tb_dns_truncated algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com
  tb_dns_answers algo-1 nc-input-bucket.s3.us-east-1.amazonaws.com 400
  tb_dns_answers algo-1 nc-output-bucket.s3.us-east-1.amazonaws.com 4000
  tb_dns algo-1 s3.us-east-1.amazonaws.com NOERROR 198.19.1.10
}
expect algo-1 dns:nc-input-bucket.s3.us-east-1.amazonaws.com OK
expect algo-1 dns:nc-output-bucket.s3.us-east-1.amazonaws.com OK
expect algo-1 s3:nc-input-bucket OK
expect algo-1 s3:nc-output-bucket OK
