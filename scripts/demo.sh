#!/usr/bin/env bash
# scripts/demo.sh [SCENARIO] - netcheck as the entrypoint wrapper of a 2-host processing job.
#
# Brings up the emulated private VPC of tests/vpc (healthy, or the faults of
# tests/vpc/scenarios/SCENARIO.sh), starts netcheck in algo-1 and algo-2 at the same time, each
# wrapping a tiny processing script, prints both logs, copies the reports to ./demo-out/ and
# tears everything down (also on Ctrl-C). Needs root; NETCHECK names the binary (default
# ./netcheck). Example: make demo SCENARIO=no_s3_endpoint
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/vpc/scenario.sh
source "$ROOT/tests/vpc/scenario.sh"

name=${1:-healthy}
NETCHECK=${NETCHECK:-./netcheck}
VPC_QUIET=1
OUT=${DEMO_OUT:-./demo-out}

if [[ $name == -h || $name == --help ]]; then
  echo "usage: $0 [SCENARIO]   (scenarios: $(scenario_list | tr '\n' ' '))"
  exit 0
fi
if [[ ! -x $NETCHECK ]]; then
  echo "demo: no netcheck binary at $NETCHECK (run 'make' first, or set NETCHECK)" >&2
  exit 2
fi
NETCHECK=$(realpath "$NETCHECK")

scenario_load "$name"
vpc_install_traps
echo "== netcheck demo: scenario '$name' -- ${SC_DESC:-}"
scenario_up 2
mapfile -t hosts < <(scenario_run_hosts)
mapfile -t args < <(scenario_netcheck_args)
echo "== VPC up in ${VPC_UP_SECONDS}s: hosts $(vpc_hosts | tr '\n' ' ')${SC_TOGGLES[*]:+; faults: ${SC_TOGGLES[*]}}"
echo "== starting netcheck in ${hosts[*]} at the same time, wrapping the processing script"
echo

# The workload netcheck hands over to (exec), as a SageMaker ENTRYPOINT would.
# shellcheck disable=SC2016 # $(hostname) runs inside the container
vpc_run_netcheck "$NETCHECK" 90 "${hosts[*]}" "${args[@]}" -- \
  sh -c 'echo "processing on $(hostname)... done"'

rm -rf "$OUT"
mkdir -p "$OUT"
for h in "${hosts[@]}"; do
  dir=$(vpc_host_dir "$h")
  echo "---------------- $h (exit status $(cat "$dir/netcheck.rc")) ----------------"
  cat "$dir/netcheck.err" "$dir/netcheck.out"
  echo
  cp "$dir/out/$h.json" "$OUT/" 2>/dev/null || echo "($h wrote no report)"
done
for h in $(vpc_hosts); do
  [[ " ${hosts[*]} " == *" $h "* ]] || echo "($h did not run netcheck in this scenario)"
done
# netcheck runs only inside the test bed's namespaces, even for offline work like merge.
if [[ ${#hosts[@]} -gt 1 ]] && "$NETCHECK" --help 2>&1 | grep -q 'merge'; then
  echo "---------------- cluster view (netcheck merge) ----------------"
  vpc_exec algo-1 "$NETCHECK" merge "$OUT"/*.json || true
  echo
fi
echo "== reports: $(cd "$OUT" && realpath -- *.json 2>/dev/null | tr '\n' ' ')"
echo "== tearing down"
