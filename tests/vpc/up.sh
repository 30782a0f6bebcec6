#!/usr/bin/env bash
# tests/vpc/up.sh [SCENARIO | N] - the emulated VPC for interactive use.
#
# Brings up the healthy VPC with N hosts (default 2), or a scenario's VPC with its faults, prints
# how to get inside, and waits; Ctrl-C (or VPC_LIFETIME seconds, default 3600) tears it down.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vpc/scenario.sh
source "$HERE/scenario.sh"

arg=${1:-2}
case $arg in
-h | --help)
  echo "usage: $0 [SCENARIO | N]   (scenarios: $(scenario_list | tr '\n' ' '))"
  exit 0
  ;;
esac
vpc_install_traps
if [[ $arg =~ ^[0-9]+$ ]]; then
  vpc_up "$arg"
else
  scenario_load "$arg"
  scenario_up 2
  echo "scenario $arg: $SC_DESC"
fi

a1=$(vpc_ns algo-1)
uri=$(sed -n 's/^AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=//p' "$(vpc_host_dir algo-1)/env")
cat <<EOF

The VPC is up (${VPC_UP_SECONDS}s): hosts $(vpc_hosts | tr '\n' ' ')
  namespaces   $(printf '%s ' "${VPC_NAMESPACES[@]}")
  run dir      $VPC_RUN   (test CA: $VPC_RUN/ca.pem, logs: $VPC_RUN/log, svc/)
${VPC_TOGGLES[*]:+  faults       ${VPC_TOGGLES[*]}
}
Enter a container (its /etc/hosts and resolv.conf are bind-mounted by ip netns exec):
  ip netns exec $a1 bash
Inside, for example:
  dig s3.us-east-1.amazonaws.com
  curl --cacert $VPC_RUN/ca.pem -I https://pypi.org/simple/
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=${uri:-} \\
    ./netcheck --sm-config-dir $(vpc_host_dir algo-1)/config --report - \\
    --ca-bundle $VPC_RUN/ca.pem --timeout 5 --peer-wait 15 -- /bin/true
Apply a fault from another shell (never call vpc_down there):
  VPC_ID=$VPC_ID bash -c 'source $HERE/lib.sh; VPC_HOSTS=$VPC_HOSTS; no_s3_endpoint'

Ctrl-C tears everything down.
EOF

tick=""
trap '[[ -n $tick ]] && kill "$tick" 2>/dev/null; vpc_down' EXIT
for ((i = 0; i < VPC_LIFETIME; i++)); do
  sleep 1 &
  tick=$!
  wait "$tick" # interruptible, unlike a foreground sleep
done
