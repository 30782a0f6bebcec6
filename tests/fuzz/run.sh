#!/usr/bin/env bash
# Runs libFuzzer targets built by `make fuzz-build` (mk/fuzz.mk).
#   tests/fuzz/run.sh SECONDS NAME...
# Per target: replays the committed crash reproducers (tests/fuzz/crashes/
# NAME-*), then fuzzs for SECONDS from build/fuzz/corpus/NAME, a copy of
# tests/fuzz/corpus/NAME that keeps what earlier runs found (the repository
# is never written to). Prints seconds and executions per target (from
# -print_final_stats=1) and a summary line; exits 1 when any target crashed.
set -u

cd "$(dirname "$0")/../.."

if [ $# -lt 2 ]; then
  echo "usage: tests/fuzz/run.sh SECONDS NAME..." >&2
  exit 2
fi
seconds=$1
shift

out=build/fuzz
mkdir -p "$out/logs" "$out/artifacts" "$out/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
total_execs=0
total_seconds=0
printf '%-16s %8s %12s  %s\n' target seconds executions result
for name in "$@"; do
  bin=$out/fuzz_$name
  log=$out/logs/$name.log
  corpus=$out/corpus/$name
  artifacts=$out/artifacts/$name/
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin missing (make fuzz-build)" >&2
    failed+=("$name")
    continue
  fi
  mkdir -p "$corpus" "$artifacts"
  if [ -d "tests/fuzz/corpus/$name" ]; then
    cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  fi

  # Known crashes first: a reproducer that still crashes fails the target.
  repro=()
  for f in tests/fuzz/crashes/"$name"-*; do
    [ -f "$f" ] && repro+=("$f")
  done
  if [ ${#repro[@]} -gt 0 ] &&
    ! "$bin" -rss_limit_mb=512 -timeout=5 "${repro[@]}" >"$out/logs/$name.repro.log" 2>&1; then
    printf '%-16s %8s %12s  %s\n' "$name" 0 0 "CRASH (reproducer still crashes: $out/logs/$name.repro.log)"
    failed+=("$name")
    continue
  fi

  start=$(date +%s)
  "$bin" -max_total_time="$seconds" -rss_limit_mb=512 -timeout=5 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs=${execs:-0}
  total_execs=$((total_execs + execs))
  total_seconds=$((total_seconds + elapsed))
  if [ $rc -eq 0 ]; then
    result=ok
  else
    crash=$(ls -t "$artifacts" 2>/dev/null | head -n 1)
    result="CRASH (exit $rc; log $log; input $artifacts$crash)"
    failed+=("$name")
  fi
  printf '%-16s %8s %12s  %s\n' "$name" "$elapsed" "$execs" "$result"
done

echo "fuzz: $# targets, ${total_seconds} s, ${total_execs} executions, ${#failed[@]} crashed${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
