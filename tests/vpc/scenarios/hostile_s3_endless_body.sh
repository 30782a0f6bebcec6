# shellcheck shell=bash
describe "Hostile S3 fronts that answer 200 with a body without end: chunked (input bucket), close-delimited (output bucket)"
hosts 1
toggle hostile_s3 endless_chunked endless_close
measure_rss 16384
checks() {
  tb_http algo-1 200 - - -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_stream algo-1 4000000 -- https://nc-input-bucket.s3.us-east-1.amazonaws.com/
  tb_stream algo-1 4000000 -- https://nc-output-bucket.s3.us-east-1.amazonaws.com/
}
# HeadBucket answers 200 (the path works); ListObjectsV2's 200 is cut at netcheck's body cap and
# is no ListBucketResult: not S3's answer, so not a clean pass.
expect algo-1 s3:nc-input-bucket OK@warn
expect algo-1 s3:nc-output-bucket OK@warn
