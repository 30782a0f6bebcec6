# shellcheck shell=bash
describe "The S3 endpoint policy lets the Amazon Linux package repositories through"
hosts 1
toggle repos_not_blocked
checks() {
  tb_http algo-1 200 'amazonlinux-2-repos-us-east-1' - -- \
    https://amazonlinux-2-repos-us-east-1.s3.dualstack.us-east-1.amazonaws.com/2/core/latest/x86_64/mirror.list
  tb_http algo-1 200 'https://' - -- https://al2023-repos-us-east-1-de612dc2.s3.us-east-1.amazonaws.com/core/mirrors/latest/x86_64/mirror.list
  tb_http algo-1 200 'x86_64' - -- http://repo.us-east-1.amazonaws.com/latest/main/mirror.list
  tb_http algo-1 200 'x86_64' - -- https://amazonlinux.us-east-1.amazonaws.com/2/core/latest/x86_64/mirror.list
}
expect algo-1 repo:repo.us-east-1.amazonaws.com REPO_NOT_BLOCKED
expect algo-1 repo:packages.us-east-1.amazonaws.com REPO_NOT_BLOCKED
expect algo-1 repo:amazonlinux.us-east-1.amazonaws.com REPO_NOT_BLOCKED
expect algo-1 repo:amazonlinux-2-repos-us-east-1 REPO_NOT_BLOCKED
expect algo-1 repo:al2023-repos-us-east-1-de612dc2 REPO_NOT_BLOCKED
