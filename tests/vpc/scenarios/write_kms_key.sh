# shellcheck shell=bash
describe "The job's outputs use SSE-KMS (ProcessingOutputConfig.KmsKeyId) and the bucket policy requires it: the write check sends the key like SageMaker does, passes, and leaves nothing behind; -v logs every phase"
hosts 2
netcheck_args -v
toggle output_kms_key arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
toggle bucket_policy_requires_kms nc-output-bucket
checks() {
  tb_s3_put algo-1 200 - tb/keyed -H 'x-amz-server-side-encryption: aws:kms' \
    -H 'x-amz-server-side-encryption-aws-kms-key-id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'
}
causes none
after() {
  tb_s3_writes '.method == "PUT" and .sse == "aws:kms" and .kmsKeyId == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" and .contentMd5 == "1B2M2Y8AsgTpgAmY7PHtcQ==" and .contentLength == "0" and .status == 200 and (.key | test("^reports/[.]netcheck/"))' 2
  tb_s3_writes '.method == "PUT" and .sse != "aws:kms" and .marker' 0
  tb_s3_markers nc-output-bucket 0
  # -v: the write's phases (never a header: the runner checks no secret is in the log)
  tb_log algo-1 '^netcheck: info: s3-write:nc-output-bucket/reports/: request PUT https://nc-output-bucket[.]s3[.]us-east-1[.]amazonaws[.]com/reports/[.]netcheck/algo-1-[0-9TZ]+ to 198[.]19[.]1[.]10$'
  tb_log algo-1 '^netcheck: info: s3-write:nc-output-bucket/reports/: done .*: connect [0-9]+ ms, TLS [0-9]+ ms, answer HTTP 200 after'
  tb_log algo-1 '^netcheck: info: s3-write:nc-output-bucket/reports/: request DELETE '
  tb_log algo-1 '^netcheck: info: creds:container: request GET http://169[.]254[.]170[.]2/[.][.][.] to '
  tb_log_lacks algo-1 "$(cat "$(vpc_host_dir algo-1)/creds-uuid")" "the credentials URI"
  # the dns probe asked the name first: the bucket check takes its answer (cached)
  tb_log algo-2 '^netcheck: info: s3:nc-input-bucket: resolve nc-input-bucket[.]s3[.]us-east-1[.]amazonaws[.]com [(](dns|cached)[)]: 198[.]19[.]1[.]10 in'
}
# Every probe of both hosts: OK.
