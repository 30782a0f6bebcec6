# shellcheck shell=bash
# shellcheck disable=SC2034 # SC_* are read by the scripts that source this file
# tests/vpc/scenario.sh - scenario files and how netcheck's reports are judged (sourced).
#
# A scenario (tests/vpc/scenarios/NAME.sh) is sourced with globbing off and says:
#   describe "TEXT"                 one line for people
#   hosts N                         instance count (containers algo-1..algo-N)
#   toggle NAME [ARGS...]           a fault toggle of lib.sh, applied after vpc_up (repeatable)
#   run_on HOST...                  hosts that run netcheck (default: all, minus peer_never_starts)
#   netcheck_args ARG...            extra netcheck flags
#   config_json 'JSON'              a --config file for netcheck
#   netcheck_env VAR=VALUE...       more environment for netcheck in every container (after the
#                                   toggles, which may rewrite it), e.g. HTTPS_PROXY, NO_PROXY
#   expect HOST ID-GLOB CODES       HOST (or "all") must report probe(s) ID-GLOB, each with one of
#                                   CODES ("A" or "A|B"; "A@warn": code A with verdict warn);
#                                   the glob must match at least one probe
#   allow HOST ID-GLOB CODES        the same without requiring that the probe exists
#   pending FAMILY "REASON"         probes of FAMILY (env creds dns s3 repo egress aws clock peer)
#                                   are not compared yet
#   checks() { tb_... }             test-bed checks with plain tools; must pass without netcheck
#   after() { tb_... }              test-bed checks once netcheck ran (what it left in S3, what the
#                                   S3 stand-in received: tb_s3_markers, tb_s3_writes)
#   exit_status N [MESSAGE-ERE]     netcheck must exit N (default 0); with MESSAGE-ERE, its
#                                   --message-file (written by --on-fail abort) must match it
#   report_jq HOST 'JQ-EXPR'        HOST's (or "all" hosts') report must make JQ-EXPR true
#                                   (jq -e), e.g. '.probes[] | select(.id == "s3:b") | ...'
#   causes CODE PATTERN HOSTS       `netcheck merge` of every report must name exactly the causes of
#                                   the causes lines, in their order: code ("-" for none), pattern
#                                   (no_inbound, never_started, probes, ...) and hosts (a,b,... or
#                                   "all"); "causes none": no cause, merge exits 0. Its terminal,
#                                   JSON and HTML outputs are kept in the results (merge.*)
#   measure_rss KB [SECONDS]        run netcheck under /usr/bin/time: every host's peak RSS must
#                                   stay under KB and its run within SECONDS (default: --timeout
#                                   + 1, or --peer-wait + 1 when larger and hosts > 1)
#   fd_limit N                      run netcheck with an open-file limit of N (ulimit -n)
# Every probe in a report that no expect/allow line matches must have code "OK" and verdict
# "pass" or "skip". The first matching line wins, so put specific ids before globs. netcheck's
# exit status must be 0 (the workload, /bin/true, ran) unless exit_status says otherwise.

# shellcheck source=tests/vpc/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SC_NAME=""
SC_DESC=""
SC_HOSTS=1
SC_TOGGLES=()
SC_RUN_ON=()
SC_ARGS=()
SC_CONFIG=""
SC_RULES=()   # "expect|allow<TAB>HOST<TAB>GLOB<TAB>CODES"
SC_ENV=()     # netcheck_env: VAR=VALUE
SC_JQ=()      # report_jq: "HOST<TAB>JQ-EXPR"
declare -A SC_PENDING=()
SC_RSS_KB="" # measure_rss: peak RSS limit (KiB) and wall time limit (s); "" = not measured
SC_WALL_S=""
SC_FD_LIMIT="" # fd_limit: netcheck's open-file limit; "" = the runner's
SC_EXIT=0      # exit_status: netcheck's expected exit status
SC_MESSAGE=""  # exit_status: an ERE the message file must match
SC_CAUSES=()   # causes: "CODE<TAB>PATTERN<TAB>HOSTS" lines, or "none"

describe() { SC_DESC=$*; }
hosts() { SC_HOSTS=$1; }
toggle() { SC_TOGGLES+=("$*"); }
run_on() { SC_RUN_ON+=("$@"); }
netcheck_args() { SC_ARGS+=("$@"); }
config_json() { SC_CONFIG=$1; }
netcheck_env() { SC_ENV+=("$@"); }
report_jq() { SC_JQ+=("$1"$'\t'"$2"); }
expect() { SC_RULES+=("expect"$'\t'"$1"$'\t'"$2"$'\t'"$3"); }
allow() { SC_RULES+=("allow"$'\t'"$1"$'\t'"$2"$'\t'"$3"); }
pending() { SC_PENDING[$1]=${2:-pending}; }
measure_rss() { SC_RSS_KB=$1 SC_WALL_S=${2:-}; }
fd_limit() { SC_FD_LIMIT=$1; }
exit_status() { SC_EXIT=$1 SC_MESSAGE=${2:-}; }
causes() {
  if [[ $1 == none ]]; then SC_CAUSES+=(none); else SC_CAUSES+=("$1"$'\t'"$2"$'\t'"$3"); fi
}

scenario_file() { printf '%s/scenarios/%s.sh' "$VPC_DIR" "$1"; }
scenario_list() { local f; for f in "$VPC_DIR"/scenarios/*.sh; do basename "$f" .sh; done; }

scenario_load() { # scenario_load NAME: reset and read scenarios/NAME.sh
  local f
  f=$(scenario_file "$1")
  [[ -f $f ]] || _vpc_die "no scenario '$1' (have: $(scenario_list | tr '\n' ' '))" || return 1
  SC_NAME=$1 SC_DESC="" SC_HOSTS=1 SC_TOGGLES=() SC_RUN_ON=() SC_ARGS=() SC_CONFIG="" SC_RULES=()
  SC_ENV=() SC_JQ=()
  SC_EXIT=0 SC_MESSAGE=""
  SC_CAUSES=()
  SC_PENDING=()
  SC_RSS_KB="" SC_WALL_S=""
  SC_FD_LIMIT=""
  unset -f checks after
  # shellcheck disable=SC2317 # replaced by the scenario's own checks() and after()
  checks() { :; }
  # shellcheck disable=SC2317
  after() { :; }
  set -f
  # shellcheck disable=SC1090
  source "$f"
  set +f
}

scenario_up() { # scenario_up [MIN-HOSTS]: bring up the scenario's VPC and apply its toggles
  local n=$SC_HOSTS t h
  [[ -n ${1:-} && $1 -gt $n ]] && n=$1
  # Every step checks its status: the runner calls this where errexit does not apply.
  vpc_up "$n" || return 1
  for t in "${SC_TOGGLES[@]}"; do
    # shellcheck disable=SC2086 # a toggle line is NAME ARGS...
    vpc_toggle $t || _vpc_die "toggle '$t' failed" || return 1
  done
  if [[ ${#SC_ENV[@]} -gt 0 ]]; then
    while read -r h; do
      printf '%s\n' "${SC_ENV[@]}" >>"$(vpc_host_dir "$h")/env" || return 1
    done < <(vpc_hosts)
  fi
  if [[ -n $SC_CONFIG ]]; then
    jq . <<<"$SC_CONFIG" >"$VPC_RUN/netcheck-config.json" || _vpc_die "config_json of $SC_NAME is not JSON" || return 1
  fi
}

scenario_run_hosts() { # hosts that run netcheck
  local h s skip
  if [[ ${#SC_RUN_ON[@]} -gt 0 ]]; then printf '%s\n' "${SC_RUN_ON[@]}"; return; fi
  while read -r h; do
    skip=""
    for s in "${VPC_SKIP_HOSTS[@]}"; do [[ $s == "$h" ]] && skip=1; done
    [[ -z $skip ]] && printf '%s\n' "$h"
  done < <(vpc_hosts)
}

scenario_netcheck_args() { # the scenario's flags, one a line
  [[ ${#SC_ARGS[@]} -gt 0 ]] && printf '%s\n' "${SC_ARGS[@]}"
  [[ -n $SC_CONFIG ]] && printf '%s\n' --config "$VPC_RUN/netcheck-config.json"
  return 0
}

# scenario_judge HOST...: compares the reports of HOST... with the rules; prints one reason a
# line for every mismatch (nothing when all is as expected).
scenario_judge() {
  local h dir report rc id code verdict message fam rule kind rh glob codes matched found line expr
  for h in "$@"; do
    dir=$(vpc_host_dir "$h")
    report=$dir/out/$h.json
    rc=$(cat "$dir/netcheck.rc" 2>/dev/null || echo "?")
    case $rc in
    "$SC_EXIT") ;;
    124 | 137) echo "$h: netcheck did not finish within its time limit (exit $rc)" ;;
    *) echo "$h: exit status $rc, want $SC_EXIT (see netcheck.err)" ;;
    esac
    if [[ -n $SC_MESSAGE ]]; then
      if [[ ! -s $dir/message ]]; then
        echo "$h: no message file at $dir/message"
      elif ! grep -Eq -- "$SC_MESSAGE" "$dir/message"; then
        echo "$h: message file does not match /$SC_MESSAGE/: $(head -c 300 "$dir/message")"
      elif [[ $(wc -c <"$dir/message") -gt 200 || $(wc -l <"$dir/message") -ne 0 ]]; then
        echo "$h: message file is not one line of at most 200 bytes"
      fi
    fi
    if ! jq -e '.probes | type == "array"' "$report" >/dev/null 2>&1; then
      echo "$h: no report with .probes[] at $report"
      continue
    fi
    while IFS=$'\t' read -r id code verdict message; do
      fam=${id%%:*}
      [[ -n ${SC_PENDING[$fam]+x} ]] && continue
      matched=""
      for rule in "${SC_RULES[@]}"; do
        IFS=$'\t' read -r kind rh glob codes <<<"$rule"
        [[ $rh == all || $rh == "$h" ]] || continue
        # shellcheck disable=SC2053 # glob match on purpose
        [[ $id == $glob ]] || continue
        matched=1
        if [[ "|$codes|" != *"|$code|"* && "|$codes|" != *"|$code@$verdict|"* ]]; then
          if [[ $codes == *@* ]]; then
            echo "$h $id: code $code, verdict $verdict, want $codes"
          else
            echo "$h $id: code $code, want $codes"
          fi
        fi
        break
      done
      [[ -n $matched ]] && continue
      if [[ $code != OK ]]; then
        echo "$h $id: code $code, want OK"
      elif [[ $verdict != pass && $verdict != skip ]]; then
        echo "$h $id: verdict $verdict with code OK, want pass: $message"
      fi
    done < <(jq -r '.probes[] | [(.id // "?"), (.code // "?"), (.verdict // "?"), (.message // "" | gsub("[\t\n]"; " "))] | @tsv' "$report")
    for rule in "${SC_RULES[@]}"; do
      IFS=$'\t' read -r kind rh glob codes <<<"$rule"
      [[ $kind == expect && ($rh == all || $rh == "$h") ]] || continue
      [[ -n ${SC_PENDING[${glob%%:*}]+x} ]] && continue
      found=""
      while read -r line; do
        # shellcheck disable=SC2053
        [[ $line == $glob ]] && { found=1; break; }
      done < <(jq -r '.probes[].id' "$report")
      [[ -n $found ]] || echo "$h $glob: no such probe in the report (want $codes)"
    done
    for rule in "${SC_JQ[@]}"; do
      IFS=$'\t' read -r rh expr <<<"$rule"
      [[ $rh == all || $rh == "$h" ]] || continue
      jq -e "$expr" "$report" >/dev/null 2>&1 || echo "$h: report_jq is not true: $expr"
    done
  done
}

# scenario_causes OUT-DIR HOST...: runs `netcheck merge` (text at 120 columns, --json, --html) on
# the reports of HOST... into OUT-DIR/merge.{txt,json,html}, and prints one reason a line when its
# causes are not exactly the scenario's causes lines, or its exit status does not follow from them.
scenario_causes() {
  local out=$1 h want got rc=0 line code pat hs all
  local -a reports=()
  shift
  [[ ${#SC_CAUSES[@]} -gt 0 ]] || return 0
  for h in "$@"; do reports+=("$(vpc_host_dir "$h")/out/$h.json"); done
  all=$(vpc_hosts | paste -sd, -)
  COLUMNS=120 vpc_exec router "$NETCHECK" merge "${reports[@]}" >"$out/merge.txt" 2>"$out/merge.err" || rc=$?
  vpc_exec router "$NETCHECK" merge --json --html "$out/merge.html" "${reports[@]}" >"$out/merge.json" 2>>"$out/merge.err" || true
  want=""
  for line in "${SC_CAUSES[@]}"; do
    [[ $line == none ]] && continue
    IFS=$'\t' read -r code pat hs <<<"$line"
    [[ $hs == all ]] && hs=$all
    want+="$code"$'\t'"$pat"$'\t'"$hs"$'\n'
  done
  got=$(jq -r '.causes[] | [(.code // "-"), .pattern, (.hosts | join(","))] | @tsv' "$out/merge.json" 2>&1)
  if [[ $got != "${want%$'\n'}" ]]; then
    echo "merge causes differ (want / got, CODE PATTERN HOSTS):"
    printf '%s' "$want" | sed 's/^/  want /'
    printf '%s\n' "$got" | sed 's/^/  got  /'
  fi
  if [[ -z $want && $rc -ne 0 ]] || [[ -n $want && $rc -ne 1 ]]; then
    echo "netcheck merge exited $rc (see merge.err)"
  fi
}

# scenario_secrets FILE...: names the files that contain one of the fake secrets.
scenario_secrets() {
  local f m
  for f in "$@"; do
    [[ -e $f ]] || continue
    for m in "${VPC_SECRET_MARKERS[@]}"; do
      if grep -rlF -- "$m" "$f" 2>/dev/null; then break; fi
    done
  done
}
