# shellcheck shell=bash
describe "algo-3 is not netcheck: its peer port accepts and never answers, and it keeps opening connections to the others' peer ports that never say a word"
hosts 3
toggle hostile_peer silent algo-3
netcheck_args --peer-wait 8
measure_rss 16384
checks() {
  tb_tcp algo-1 198.18.0.13 7191 open
  tb_peer_talk algo-1 algo-3 silent
}
expect all peer:algo-3 PEER_NOT_NETCHECK
