# shellcheck shell=bash
describe "algo-2 never runs netcheck: its peer port is closed (RST)"
hosts 2
toggle peer_never_starts algo-2
checks() {
  tb_peer_port algo-1 algo-2 refused
}
expect algo-1 peer:algo-2 PEER_REFUSED
causes PEER_REFUSED never_started algo-2
