# shellcheck shell=bash
describe "Packets over 1400 bytes between algo-1 and algo-2 vanish without ICMP (PMTU black hole)"
hosts 2
toggle pmtu_blackhole algo-1 algo-2
checks() {
  tb_bulk algo-1 algo-2 1000 completes
  tb_bulk algo-1 algo-2 200000 stall
}
expect algo-1 peer:algo-2 PEER_PMTU_BLACKHOLE
expect algo-2 peer:algo-1 PEER_PMTU_BLACKHOLE
causes PEER_PMTU_BLACKHOLE pmtu all
