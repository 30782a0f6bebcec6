# shellcheck shell=bash
describe "The execution role may write outputs but not delete them: the write check passes, and the report names the marker that stays in the bucket"
hosts 1
toggle delete_denied nc-output-bucket
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_http algo-1 403 'not authorized to perform: s3:DeleteObject on resource: .*because no identity-based policy allows the s3:DeleteObject action' - -- \
    "${sig[@]}" -X DELETE https://nc-output-bucket.s3.us-east-1.amazonaws.com/tb/x
}
expect algo-1 's3-write:nc-output-bucket/reports/' 'S3_WRITE_MARKER_KEPT@pass'
causes none
after() {
  tb_s3_writes '.method == "PUT" and .status == 200 and .marker' 1
  tb_s3_writes '.method == "DELETE" and .status == 403 and .marker' 1
  tb_s3_markers nc-output-bucket 1
}
