# shellcheck shell=bash
describe "A stateful firewall drops new inbound connections to algo-2 (as a network ACL between two subnets would for new connections): algo-1 cannot reach algo-2, the reverse works"
hosts 2
toggle sg_no_self_ref algo-2
checks() {
  tb_peer_port algo-1 algo-2 timeout
  tb_peer_port algo-2 algo-1 refused
}
expect algo-1 peer:algo-2 PEER_BLOCKED
# algo-2 reaches algo-1 but never hears from it: the link is broken from both ends' view.
expect algo-2 peer:algo-1 PEER_BLOCKED
causes PEER_BLOCKED links all
