#!/usr/bin/env bash
# tests/vpc/repeat.sh [-n RUNS] NAME... - run scenarios RUNS times each (default 20), each run in
# a fresh VPC (run-scenarios.sh), and summarise: per scenario, the runs that passed, the runs
# with a failed verdict (a host's summary.verdict "fail" or "interrupted", or no report), the
# verdicts seen (per host and run), and netcheck's wall time per host (/usr/bin/time, 10 ms steps; the workload is exec'd at
# its end): median and max. Scenarios without measure_rss are measured too (VPC_MEASURE=1).
#
# Output: one line per run in $REPEAT_OUT/runs.tsv (default tests/vpc/results/repeat), the
# summary table on stdout and in $REPEAT_OUT/summary.txt. Exit status 0 when every run passed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=20
while [[ $# -gt 0 ]]; do
  case $1 in
  -n) RUNS=${2:?-n needs a number}; shift 2 ;;
  -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
  *) break ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $# -gt 0 ]] || { echo "usage: $0 [-n RUNS] NAME..." >&2; exit 2; }
OUT=${REPEAT_OUT:-$HERE/results/repeat}
rm -rf "$OUT"
mkdir -p "$OUT"
printf 'scenario\trun\tresult\tverdicts\twall_s\n' >"$OUT/runs.tsv"
allpass=0

for name in "$@"; do
  for ((i = 1; i <= RUNS; i++)); do
    res=$OUT/$name/$i
    mkdir -p "$res"
    if VPC_MEASURE=1 VPC_RESULTS=$res "$HERE/run-scenarios.sh" "$name" >"$res/runner.log" 2>&1; then
      result=PASS
    else
      result=FAIL
      allpass=1
    fi
    # verdict of each host's report ("none" when a host wrote none), wall time of each host
    verdicts=$(for f in "$res/$name"/algo-*.json; do
      [[ -e $f ]] && jq -r '.summary.verdict // "none"' "$f" 2>/dev/null || echo none
    done | paste -sd, -)
    walls=$(cat "$res/$name"/algo-*.time 2>/dev/null | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' | paste -sd, -)
    printf '%s\t%d\t%s\t%s\t%s\n' "$name" "$i" "$result" "${verdicts:-none}" "${walls:-}" >>"$OUT/runs.tsv"
    printf '%s run %d: %s (verdicts %s; wall %s s)\n' "$name" "$i" "$result" "${verdicts:-none}" "${walls:-?}" >&2
  done
done

# Summary: per scenario, runs passed, runs with a failed verdict, verdict counts, wall median/max.
awk -F'\t' 'NR > 1 {
    s = $1; order[s] = order[s] ? order[s] : ++n; name[n] = s; runs[s]++
    if ($3 == "PASS") pass[s]++
    nv = split($4, v, ","); failed = 0
    for (i = 1; i <= nv; i++) { cnt[s, v[i]]++; seen[s] = seen[s] " " v[i]; if (v[i] != "pass" && v[i] != "warn") failed = 1 }
    if (failed) fail[s]++
    nw = split($5, w, ",")
    for (i = 1; i <= nw; i++) if (w[i] != "") { k = ++nwall[s]; wall[s, k] = w[i] + 0 }
  }
  END {
    printf "%-30s %5s %5s %13s  %-28s %9s %7s\n", "scenario", "runs", "PASS", "failed-verdict", "verdicts (host-runs)", "median s", "max s"
    for (j = 1; j <= n; j++) {
      s = name[j]; line = ""
      split("pass warn fail interrupted none", keys, " ")
      for (k = 1; k <= 5; k++) if (cnt[s, keys[k]]) line = line sprintf("%s %d ", keys[k], cnt[s, keys[k]])
      m = nwall[s]
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (wall[s, b] < wall[s, a]) { t = wall[s, a]; wall[s, a] = wall[s, b]; wall[s, b] = t }
      med = m ? (m % 2 ? wall[s, (m + 1) / 2] : (wall[s, m / 2] + wall[s, m / 2 + 1]) / 2) : -1
      printf "%-30s %5d %5d %13d  %-28s %9.2f %7.2f\n", s, runs[s], pass[s], fail[s], line, med, m ? wall[s, m] : -1
    }
  }' "$OUT/runs.tsv" | tee "$OUT/summary.txt"
leftover=$(ip netns list | awk '$1 ~ /^nc[0-9]/' | wc -l)
echo "results: $OUT (namespaces of test beds still present on this machine, any run: $leftover)"
exit "$allpass"
