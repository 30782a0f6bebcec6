# shellcheck shell=bash
describe "4 hosts in two subnets whose network ACLs each admit only return traffic from the other: hosts reach each other inside a subnet, never across"
hosts 4
toggle second_subnet algo-3 algo-4
toggle nacl_inbound_returns_only algo-1
toggle nacl_inbound_returns_only algo-3
checks() {
  tb_peer_port algo-1 algo-2 refused
  tb_peer_port algo-3 algo-4 refused
  tb_peer_port algo-1 algo-3 timeout
  tb_peer_port algo-4 algo-2 timeout
  tb_getent algo-1 algo-4 198.18.1.14
}
expect algo-1 peer:algo-3 PEER_BLOCKED
expect algo-1 peer:algo-4 PEER_BLOCKED
expect algo-2 peer:algo-3 PEER_BLOCKED
expect algo-2 peer:algo-4 PEER_BLOCKED
expect algo-3 peer:algo-1 PEER_BLOCKED
expect algo-3 peer:algo-2 PEER_BLOCKED
expect algo-4 peer:algo-1 PEER_BLOCKED
expect algo-4 peer:algo-2 PEER_BLOCKED
causes PEER_BLOCKED subnets all
