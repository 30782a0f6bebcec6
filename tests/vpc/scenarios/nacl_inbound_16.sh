# shellcheck shell=bash
describe "16 hosts; algo-5 alone in the job's second subnet, whose network ACL admits only return traffic from the other subnet (no new connection in), and algo-16 never runs netcheck: merge names exactly those two causes"
hosts 16
toggle second_subnet algo-5
toggle nacl_inbound_returns_only algo-5
toggle peer_never_starts algo-16
checks() {
  tb_getent algo-1 algo-5 198.18.1.15
  tb_getent algo-5 algo-1 198.18.0.11
  tb_peer_port algo-1 algo-5 timeout
  tb_peer_port algo-9 algo-5 timeout
  tb_peer_port algo-5 algo-1 refused
  tb_peer_port algo-5 algo-16 refused
  tb_peer_port algo-1 algo-16 refused
  tb_peer_port algo-1 algo-2 refused
  tb_creds algo-5
}
# Everyone is refused by algo-16 (nothing listens there); algo-5 hears from nobody, and nobody
# reaches algo-5, while algo-5 reaches everyone.
expect all peer:algo-16 PEER_REFUSED
expect algo-5 'peer:*' PEER_BLOCKED
allow all peer:algo-5 PEER_BLOCKED
expect algo-1 peer:algo-5 PEER_BLOCKED
expect algo-15 peer:algo-5 PEER_BLOCKED
causes PEER_BLOCKED no_inbound algo-5
causes PEER_REFUSED never_started algo-16
