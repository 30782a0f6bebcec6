# shellcheck shell=bash
describe "The S3 VPC endpoint policy allows reading the output bucket but not s3:PutObject: the write check fails before the job's work, reads still pass"
hosts 1
toggle write_denied_endpoint_policy nc-output-bucket
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_http algo-1 200 '<Name>nc-output-bucket</Name>' - -- "${sig[@]}" \
    "https://nc-output-bucket.s3.us-east-1.amazonaws.com/?list-type=2&max-keys=1"
  tb_s3_put algo-1 403 'is not authorized to perform: s3:PutObject on resource: .*because no VPC endpoint policy allows the s3:PutObject action' tb/probe
}
expect algo-1 's3-write:nc-output-bucket/reports/' S3_WRITE_DENIED_ENDPOINT_POLICY
causes S3_WRITE_DENIED_ENDPOINT_POLICY probes algo-1
after() {
  tb_s3_writes '.method == "PUT" and .status == 403 and .marker' 1
  tb_s3_writes '.method == "DELETE" and .marker' 0
  tb_s3_markers nc-output-bucket 0
}
