# shellcheck shell=bash
describe "The output bucket has Object Lock with a default retention: the upload (with Content-MD5) works, the marker's version cannot be deleted, a delete marker hides it"
hosts 1
toggle object_lock nc-output-bucket
checks() {
  tb_s3_put algo-1 400 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters' tb/no-md5
}
expect algo-1 's3-write:nc-output-bucket/reports/' 'S3_WRITE_MARKER_KEPT@pass'
causes none
after() {
  tb_s3_writes '.method == "PUT" and .contentMd5 != null and .status == 200 and .marker' 1
  tb_s3_writes '.method == "DELETE" and .versionId != null and .status == 403 and .marker' 1
  tb_s3_writes '.method == "DELETE" and .versionId == null and .status == 204 and .marker' 1
  tb_s3_markers nc-output-bucket 0
}
