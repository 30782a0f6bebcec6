#!/usr/bin/env bash
# bench/merge.sh [OUT-DIR] - `netcheck merge` at scale: 100 host reports of 99 peers each.
#
# tests/synth-reports.py writes the reports of a 100-host job (every family's probes, 99 peer
# probes each, a host that receives from no peer, one without a route to S3, a path-MTU black
# hole: about 12 MB of JSON); then each output of merge (text, --json, --html) runs BENCH_RUNS
# times (default 5) under bench/measure.py: wall time and peak RSS. Appends one JSON line per run
# to OUT-DIR/merge.jsonl (default build/bench) and prints the median and the worst of each.
# Budget (the issue): under 1 s and under 64 MiB. bench/run.sh calls this and report.py puts it in
# RESULTS.md; `make bench-merge` runs it alone. merge reads files only: it runs with no network
# at all (unshare --net).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/bench}
RUNS=${BENCH_RUNS:-5}
NC=${NETCHECK:-$ROOT/netcheck}
HOSTS=100

[[ -x $NC ]] || { echo "bench-merge: no $NC (make first)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench-merge: /usr/bin/time missing (bench/install-deps.sh)" >&2; exit 1; }
mkdir -p "$OUT"
REPORTS=$(mktemp -d "${TMPDIR:-/tmp}/nc-bench-merge.XXXXXX")
trap 'rm -rf "$REPORTS"' EXIT
"$ROOT/tests/synth-reports.py" "$REPORTS/r" --hosts "$HOSTS" --no-inbound 37 --s3-no-route 12 --pmtu 50,51
bytes=$(cat "$REPORTS"/r/*.json | wc -c)
: >"$OUT/merge.jsonl"
for ((run = 1; run <= RUNS; run++)); do
  for mode in text json html; do
    case $mode in
    text) args=() ;;
    json) args=(--json) ;;
    html) args=(--html "$REPORTS/page.html") ;;
    esac
    m=$(unshare --net /usr/bin/python3 "$ROOT/bench/measure.py" -- /bin/sh -c 'exec "$0" merge "$@" >/dev/null' \
      "$NC" "${args[@]}" "$REPORTS/r")
    jq -c --arg mode "$mode" --argjson run "$run" --argjson hosts "$HOSTS" --argjson bytes "$bytes" \
      '. + {mode: $mode, run: $run, hosts: $hosts, reports: $hosts, report_bytes: $bytes}' <<<"$m" >>"$OUT/merge.jsonl"
  done
done
jq -rs 'group_by(.mode)[] | (map(.wall_ms) | sort) as $w | (map(.maxrss_kb) | sort) as $r |
  "bench-merge: \(.[0].hosts) reports (\(.[0].report_bytes / 1048576 * 10 | floor / 10) MiB of JSON), merge \(.[0].mode): \($w[length / 2 | floor]) ms median, \($w[-1]) ms max; peak RSS \($r[length / 2 | floor] / 1024 * 10 | floor / 10) MiB median, \($r[-1] / 1024 * 10 | floor / 10) MiB max; exit \(.[0].rc)"' \
  "$OUT/merge.jsonl"
