# shellcheck shell=bash
describe "The credentials endpoint has no credentials for the container's URI (404)"
hosts 1
toggle creds_unavailable
checks() {
  local uri
  uri=$(sed -n 's/^AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=//p' "$(vpc_host_dir algo-1)/env")
  tb_http algo-1 404 - - -- "http://169.254.170.2$uri"
  tb_http algo-1 403 '<Code>AccessDenied</Code>' - -- https://nc-input-bucket.s3.us-east-1.amazonaws.com/
}
expect algo-1 'creds:*' CREDS_UNAVAILABLE
# Without credentials the requests go unsigned, and private buckets answer AccessDenied.
expect algo-1 's3:*' S3_DENIED
