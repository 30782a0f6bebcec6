# shellcheck shell=bash
describe "The security group lacks the self-referencing inbound rule: hosts cannot reach each other"
hosts 2
toggle sg_no_self_ref
checks() {
  tb_peer_port algo-1 algo-2 timeout
  tb_peer_port algo-2 algo-1 timeout
  tb_creds algo-1
}
expect algo-1 peer:algo-2 PEER_BLOCKED
expect algo-2 peer:algo-1 PEER_BLOCKED
causes PEER_BLOCKED all_blocked all
