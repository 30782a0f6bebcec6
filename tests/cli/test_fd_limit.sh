#!/usr/bin/env bash
# Out of descriptors is netcheck's own problem, never a VPC fault: with an
# open-file limit so low that the event loop cannot be built (4) or that no
# socket can be opened (5), every probe that could not run is LOCAL_RESOURCE
# with verdict warn (info for an informational probe; its message names the
# limit), no probe carries a
# network diagnosis, and in warn mode the workload still starts and its
# status is netcheck's. (tests/vpc/scenarios/fd_limit*.sh do the same in the
# emulated VPC, at 8 and 16, where part of the checks still run.)
#
# netcheck runs in a fresh network namespace (only lo); the limit is set
# after timeout and unshare have started.
#
# Usage: NETCHECK=./netcheck tests/cli/test_fd_limit.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init fd-limit 120

for limit in 4 5; do
  rm -f "$T/r.json" "$T/started"
  timeout 30 unshare --net sh -c 'ulimit -n "$1" && shift && exec "$@"' sh "$limit" \
    "$NC" --skip env --skip peer --report "$T/r.json" --summary text -- sh -c 'touch "$1"; exit 7' sh "$T/started" \
    2>"$T/err"; rc=$?
  codes=$(jq -r '[.probes[] | .code + "@" + .verdict] | unique | join(" ")' "$T/r.json" 2>/dev/null)
  if [ $rc -eq 7 ] && [ -e "$T/started" ] \
     && jq -e '[.probes[] | select(.code != "LOCAL_RESOURCE" and .verdict != "skip")] | length == 0' "$T/r.json" >/dev/null \
     && jq -e '[.probes[] | select(.code == "LOCAL_RESOURCE")] | length > 10' "$T/r.json" >/dev/null \
     && jq -e '.summary.verdict == "warn" and ([.probes[] | select(.code == "LOCAL_RESOURCE") | .verdict] - ["warn", "info"]) == []' "$T/r.json" >/dev/null \
     && jq -e --arg l "open-file limit is $limit" '[.probes[] | select(.code == "LOCAL_RESOURCE") | .message | contains($l)] | all' "$T/r.json" >/dev/null; then
    ok "ulimit -n $limit: every probe LOCAL_RESOURCE (warn, or info by tier) naming the limit, the workload ran (exit 7)"
  else
    bad "ulimit -n $limit" "rc=$rc started=$([ -e "$T/started" ] && echo yes || echo no) codes=[$codes] err=$(head -c 300 "$T/err")"
  fi
done

cli_finish
