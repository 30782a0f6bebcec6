# shellcheck shell=bash
describe "Healthy VPC with 16 hosts: every host reaches every other (a 240-link mesh) and S3"
hosts 16
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed s3)
  tb_creds algo-16
  tb_getent algo-16 algo-1 198.18.0.11
  tb_peer_port algo-16 algo-1 refused
  tb_peer_port algo-1 algo-16 refused
  tb_http algo-16 200 - - -- -I "${sig[@]}" "https://nc-input-bucket.s3.us-east-1.amazonaws.com/"
}
causes none
after() {
  # 16 hosts write and delete their markers in the same prefix at the same moment: none is left.
  tb_s3_writes '.method == "PUT" and .status == 200 and .marker' 16
  tb_s3_writes '.method == "DELETE" and .status == 204 and .marker' 16
  tb_s3_markers nc-output-bucket 0
}
