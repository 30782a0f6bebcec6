# shellcheck shell=bash
describe "The job is meant to have no internet, yet a NAT gateway lets it reach pypi.org"
hosts 1
toggle internet_reachable
config_json '{"expect": {"egress": "blocked"}}'
checks() {
  tb_http algo-1 200 'pip' - -- https://pypi.org/simple/
}
expect algo-1 egress:pypi.org EGRESS_UNEXPECTED
