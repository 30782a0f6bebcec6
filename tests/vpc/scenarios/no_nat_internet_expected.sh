# shellcheck shell=bash
describe "No NAT gateway, but the job needs the internet (pypi.org)"
hosts 1
toggle no_nat
config_json '{"expect": {"egress": "reachable"}}'
checks() {
  local -a sig
  mapfile -t sig < <(tb_signed sts)
  tb_dns algo-1 pypi.org NOERROR 198.19.100.10
  tb_curl_fails algo-1 28 "pypi.org times out" -- https://pypi.org/simple/
  tb_http algo-1 200 '<Arn>' - -- "${sig[@]}" -d 'Action=GetCallerIdentity&Version=2011-06-15' https://sts.us-east-1.amazonaws.com/
}
expect algo-1 egress:pypi.org EGRESS_BLOCKED
