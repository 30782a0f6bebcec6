# shellcheck shell=bash
describe "Network isolation: the container has only lo (and no credentials)"
hosts 1
toggle isolated
checks() {
  tb_only_lo algo-1
  tb_curl_fails algo-1 6 "nothing resolves" -- -I https://nc-input-bucket.s3.us-east-1.amazonaws.com/
}
expect algo-1 env:network NETWORK_ISOLATED
# Every other probe is not attempted, and says why.
expect algo-1 'creds:*' NETWORK_ISOLATED
expect algo-1 'dns:*' NETWORK_ISOLATED
expect algo-1 's3:*' NETWORK_ISOLATED
allow algo-1 '*' NETWORK_ISOLATED
