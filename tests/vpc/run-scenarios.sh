#!/usr/bin/env bash
# tests/vpc/run-scenarios.sh [-j N] [NAME...] - run the emulated-VPC scenarios (all by default).
#
# For each scenario: bring up its VPC, apply its faults, run its test-bed checks (plain tools),
# then, when the netcheck binary exists ($NETCHECK, default ./netcheck), run netcheck in the
# chosen containers at the same time and compare the reports' codes with the scenario's
# expectations, and run the scenario's after() checks (what netcheck left in S3); any fake
# secret in netcheck's outputs fails the scenario. One line per scenario
# (PASS, PENDING = test bed passed but netcheck was not run, FAIL), then "N passed, M failed".
#
# Environment: NETCHECK (binary), VPC_RESULTS (where reports and logs of each scenario are
# copied; default tests/vpc/results), VPC_KEEP_RUN=1 (keep run directories), TB_VERBOSE=1
# (print every test-bed check), NETCHECK_LIMIT (seconds per netcheck run, default 60),
# VPC_JOBS or -j N (scenarios at the same time, each in its own VPC; default 1), VPC_MEASURE=1
# (run netcheck under /usr/bin/time in every scenario and print peak RSS and wall time; scenarios
# with measure_rss are always measured, and judged).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vpc/scenario.sh
source "$HERE/scenario.sh"

NETCHECK=${NETCHECK:-./netcheck}
if [[ ! -e $NETCHECK && $NETCHECK != /* && -e $HERE/../../$NETCHECK ]]; then
  NETCHECK=$HERE/../../$NETCHECK
fi
[[ -e $NETCHECK ]] && NETCHECK=$(realpath "$NETCHECK")
NETCHECK_LIMIT=${NETCHECK_LIMIT:-60}
VPC_RESULTS=${VPC_RESULTS:-$HERE/results}
VPC_QUIET=1

usage() {
  echo "usage: $0 [-j N] [NAME...]   (scenarios: $(scenario_list | tr '\n' ' '))"
}

run_one() { # run_one NAME: prints the verdict line; returns 0 for PASS/PENDING, 1 for FAIL
  local name=$1 t0 secs hosts reasons="" verdict note="" h f out
  local -a run args leaks
  t0=$(date +%s.%N)
  TB_FAILS=0 TB_CHECKS=0
  scenario_load "$name"
  out=$VPC_RESULTS/$name
  rm -rf "$out"
  mkdir -p "$out"
  # shellcheck disable=SC2119 # no minimum host count
  if ! scenario_up >"$out/bringup.log" 2>&1; then
    reasons="bring-up failed: $(tail -n 3 "$out/bringup.log" | tr '\n' ' ')"
  else
    checks >"$out/testbed.log" 2>&1 || TB_FAILS=$((TB_FAILS + 1))
    [[ $TB_FAILS -eq 0 ]] || reasons="test bed: $TB_FAILS of $TB_CHECKS checks failed"$'\n'"$(cat "$out/testbed.log")"
    mapfile -t run < <(scenario_run_hosts)
    if [[ -z $reasons && -x $NETCHECK ]]; then
      mapfile -t args < <(scenario_netcheck_args)
      local bin=$NETCHECK measure=${SC_RSS_KB:-${VPC_MEASURE:-}}
      [[ -n $SC_FD_LIMIT ]] && bin=$(vpc_fd_limit_wrapper "$bin" "$SC_FD_LIMIT")
      [[ -n $measure ]] && bin=$(vpc_measure_wrapper "$bin")
      vpc_run_netcheck "$bin" "$NETCHECK_LIMIT" "${run[*]}" "${args[@]}" -- /bin/true
      reasons=$(scenario_judge "${run[@]}")
      f=$(scenario_causes "$out" "${run[@]}")
      [[ -z $f ]] || reasons+="${reasons:+$'\n'}$f"
      f=$TB_FAILS
      after >"$out/after.log" 2>&1 || TB_FAILS=$((TB_FAILS + 1))
      [[ $TB_FAILS -eq $f ]] ||
        reasons+="${reasons:+$'\n'}after netcheck: $((TB_FAILS - f)) check(s) failed"$'\n'"$(cat "$out/after.log")"
      # Sanitizer and valgrind builds change memory use and timing: their runs
      # (VPC_NO_BUDGETS=1) are judged on behaviour, not on the budgets.
      if [[ -n $SC_RSS_KB && -z ${VPC_NO_BUDGETS:-} ]]; then
        f=$(vpc_measure_judge "$SC_RSS_KB" "${SC_WALL_S:-$(vpc_measure_bound "${args[@]}")}" "${run[@]}")
        [[ -z $f ]] || reasons+="${reasons:+$'\n'}$f"
      fi
      [[ -n $measure ]] && note=$(vpc_measure_note "${run[@]}")
      local files=()
      for h in "${run[@]}"; do
        f=$(vpc_host_dir "$h")
        files+=("$f/out" "$f/netcheck.out" "$f/netcheck.err")
        [[ -e $f/message ]] && files+=("$f/message")
      done
      mapfile -t leaks < <(scenario_secrets "${files[@]}" | sed "s|^$VPC_RUN/||")
      [[ ${#leaks[@]} -eq 0 ]] || reasons+="${reasons:+$'\n'}SECRET LEAKED in: ${leaks[*]}"
      for h in "${run[@]}"; do
        f=$(vpc_host_dir "$h")
        cp -r "$f/out/." "$out/" 2>/dev/null || true
        cp "$f/netcheck.out" "$out/$h.stdout" 2>/dev/null || true
        cp "$f/netcheck.err" "$out/$h.stderr" 2>/dev/null || true
        cp "$f/netcheck.time" "$out/$h.time" 2>/dev/null || true
        cp "$f/message" "$out/$h.message" 2>/dev/null || true
      done
    elif [[ -z $reasons ]]; then
      note="netcheck SKIP: $NETCHECK not built"
    fi
  fi
  cp -r "$VPC_RUN/log" "$out/" 2>/dev/null || true
  vpc_down
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  hosts="${SC_HOSTS}h"
  if [[ -n $reasons ]]; then
    verdict=FAIL
  elif [[ -n $note && ! -x $NETCHECK ]]; then
    verdict=PENDING
  else
    verdict=PASS
  fi
  if [[ ${#SC_PENDING[@]} -gt 0 && $verdict != FAIL ]]; then
    for f in "${!SC_PENDING[@]}"; do note+="${note:+; }pending $f: ${SC_PENDING[$f]}"; done
  fi
  printf '%-8s %-40s %5ss %3s  test bed %d/%d%s\n' "$verdict" "$name" "$secs" "$hosts" \
    $((TB_CHECKS - TB_FAILS)) "$TB_CHECKS" "${note:+  ($note)}"
  if [[ -n $reasons ]]; then
    printf '%s\n' "$reasons" | sed 's/^/         /'
    return 1
  fi
  return 0
}

run_parallel() { # run_parallel JOBS NAME...: each scenario in a child runner with its own VPC_ID
  local jobs=$1 i=0 pid rc n
  local -A name_of=()
  shift
  PAR_TMP=$(mktemp -d)
  # A child started in the background ignores SIGINT: stop children with TERM (they tear down).
  trap '_par_stop; exit 130' INT
  trap '_par_stop; exit 143' TERM
  for n in "$@"; do
    while [[ ${#name_of[@]} -ge $jobs ]]; do _par_reap; done
    i=$((i + 1))
    VPC_ID="${VPC_ID}p$i" VPC_CHILD=1 "$0" "$n" >"$PAR_TMP/$n.out" 2>&1 &
    name_of[$!]=$n
  done
  while [[ ${#name_of[@]} -gt 0 ]]; do _par_reap; done
  rm -rf "$PAR_TMP"
  trap - INT TERM
}

_par_reap() { # wait for one child; print its lines; count it
  local pid rc=0
  wait -n -p pid || rc=$?
  [[ -n ${pid:-} && -n ${name_of[$pid]+x} ]] || return 0
  cat "$PAR_TMP/${name_of[$pid]}.out"
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1))
    [[ -x $NETCHECK ]] || pend=$((pend + 1))
  else
    failed=$((failed + 1))
  fi
  unset "name_of[$pid]"
}

_par_stop() {
  local pid
  for pid in "${!name_of[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${!name_of[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "${PAR_TMP:?}"
}

main() {
  local names=() n passed=0 failed=0 pend=0 t0 left jobs=${VPC_JOBS:-1}
  while [[ $# -gt 0 ]]; do
    case $1 in
    -h | --help) usage; return 0 ;;
    -j) jobs=${2:?-j needs a number}; shift ;;
    -j*) jobs=${1#-j} ;;
    *) names+=("$1") ;;
    esac
    shift
  done
  [[ $jobs =~ ^[1-9][0-9]*$ ]] || { usage >&2; return 2; }
  [[ ${#names[@]} -gt 0 ]] || mapfile -t names < <(scenario_list)
  for n in "${names[@]}"; do
    [[ -f $(scenario_file "$n") ]] || { usage >&2; echo "no scenario '$n'" >&2; return 2; }
  done
  if [[ -n ${VPC_CHILD:-} ]]; then # one scenario for a parallel parent: its line only
    vpc_install_traps
    run_one "${names[0]}"
    return
  fi
  t0=$(date +%s)
  if [[ -x $NETCHECK ]]; then
    echo "netcheck: $NETCHECK"
  else
    echo "netcheck: $NETCHECK not found: test-bed checks only (PENDING)"
  fi
  if [[ $jobs -gt 1 && ${#names[@]} -gt 1 ]]; then
    run_parallel "$jobs" "${names[@]}"
  else
    vpc_install_traps
    for n in "${names[@]}"; do
      if run_one "$n"; then
        passed=$((passed + 1))
        [[ -x $NETCHECK ]] || pend=$((pend + 1))
      else
        failed=$((failed + 1))
      fi
    done
  fi
  # Teardown must leave nothing behind (this run's prefix, and its children's).
  left=$(ip netns list | awk -v p="nc$VPC_ID" '{ n = $1; if (index(n, p "-") == 1 || index(n, p "p") == 1) print n }' | tr '\n' ' ')
  left+=$(find /etc/netns -maxdepth 1 \( -name "nc$VPC_ID-*" -o -name "nc${VPC_ID}p*" \) 2>/dev/null | tr '\n' ' ')
  if [[ -n ${left// /} ]]; then
    echo "FAIL     teardown left: $left"
    failed=$((failed + 1))
  fi
  local tail=""
  [[ $pend -gt 0 ]] && tail="; $pend of the passed ran without netcheck"
  echo "results: $VPC_RESULTS ($(($(date +%s) - t0)) s in all$tail)"
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}

main "$@"
