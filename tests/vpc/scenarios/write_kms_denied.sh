# shellcheck shell=bash
describe "The job's outputs use a KMS key the execution role may not use: S3 refuses the upload with AccessDenied naming kms:GenerateDataKey"
hosts 1
toggle output_kms_key arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
toggle kms_denied arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
checks() {
  tb_s3_put algo-1 403 'not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:123456789012:key/1234abcd' \
    tb/keyed -H 'x-amz-server-side-encryption: aws:kms' \
    -H 'x-amz-server-side-encryption-aws-kms-key-id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'
  tb_s3_put algo-1 200 - tb/plain
}
expect algo-1 's3-write:nc-output-bucket/reports/' S3_WRITE_KMS_DENIED
causes S3_WRITE_KMS_DENIED probes algo-1
after() {
  tb_s3_writes '.method == "PUT" and .sse == "aws:kms" and .status == 403 and .marker' 1
  tb_s3_markers nc-output-bucket 0
}
