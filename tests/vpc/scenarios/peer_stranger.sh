# shellcheck shell=bash
describe "Something that is not netcheck listens on algo-2's peer port and sends garbage"
hosts 2
toggle peer_never_starts algo-2
toggle peer_stranger algo-2
checks() {
  tb_banner algo-1 algo-2 'not-netcheck'
}
expect algo-1 peer:algo-2 PEER_NOT_NETCHECK
