# shellcheck shell=bash
describe "algo-3 is not netcheck: its peer port floods random bytes, and it keeps connecting to the others' peer ports to flood them"
hosts 3
toggle hostile_peer flood algo-3
netcheck_args --peer-wait 8
measure_rss 16384
checks() {
  tb_peer_talk algo-1 algo-3 flood
}
expect all peer:algo-3 PEER_NOT_NETCHECK
