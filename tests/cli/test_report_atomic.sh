#!/usr/bin/env bash
# The report is never half-written, a report that cannot be written costs
# one line and never the workload, and names that come from files never
# lead a write outside the report directory.
#
#  - SIGKILL at random moments (200 runs, 0-50 ms after the start, while
#    netcheck checks, writes or hands over): the final path holds either
#    nothing or a complete, valid report. The only thing a kill may leave
#    is the temporary file of report_write_atomic, named .HOST.json.tmp.XXXXXX (a dot file)
#    next to it: it never ends in .json, so readers that take *.json (merge,
#    people, scripts) never see it.
#  - a missing directory, a read-only file system, a full disk: exactly one
#    line on stderr naming the path and the reason; in warn mode the
#    workload still starts and its status is netcheck's; no temporary file
#    is left behind.
#  - hostile current_host values ("../../etc/x", "..", "", very long,
#    control characters, UTF-8, ...): the report lands in the report
#    directory under a sanitised name, or, for the values the config
#    refuses, nowhere.
#
# netcheck runs in fresh network namespaces (only lo), and in a private
# mount namespace for the read-only and full file systems.
#
# Usage: NETCHECK=./netcheck tests/cli/test_report_atomic.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
# Every step has its own timeout; the watchdog bounds the whole file.
cli_init report-atomic 300
RUNS=${KILL_RUNS:-200}
# The SIGKILL run not yet waited for.
cli_on_exit '[ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null'

# A job whose only output, named netcheck, is $2 (so the report goes to
# $2/HOST.json) and whose current_host is $3 (raw JSON, with quotes).
sm_config() {
  local dir=$1 out=$2 host=$3
  mkdir -p "$dir"
  cat >"$dir/processingjobconfig.json" <<JSON
{"ProcessingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:processing-job/nc-atomic",
 "ProcessingOutputConfig": {"Outputs": [
   {"OutputName": "netcheck", "S3Output": {"S3Uri": "s3://nc-atomic-output/r/", "LocalPath": "$out"}}]}}
JSON
  printf '{"current_host": %s, "hosts": [%s, "algo-2"]}\n' "$host" "$host" >"$dir/resourceconfig.json"
}

# ---- SIGKILL at random moments ----
sm_config "$T/sm" "$T/out" '"algo-1"'
mkdir -p "$T/complete"
none=0 complete=0 leftovers=0 wrong=""
for i in $(seq "$RUNS"); do
  rm -rf "$T/out" "$T/explicit"
  mkdir -p "$T/out" "$T/explicit"
  # Even runs: the discovered location (the output named netcheck);
  # odd runs: an explicit --report path.
  if [ $((i % 2)) -eq 0 ]; then dir="$T/out"; where=(); else dir="$T/explicit"; where=(--report "$dir/algo-1.json"); fi
  unshare --net "$NC" --sm-config-dir "$T/sm" "${where[@]}" --summary none -- true 2>/dev/null &
  pid=$!
  sleep "$(printf '0.%03d' $((RANDOM % 51)))"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=
  if [ -e "$dir/algo-1.json" ]; then
    if jq -e '.summary.verdict' "$dir/algo-1.json" >/dev/null 2>&1; then
      complete=$((complete + 1))
      cp "$dir/algo-1.json" "$T/complete/$i.json"
    else
      wrong="$wrong #$i:partial($(wc -c <"$dir/algo-1.json") bytes)"
    fi
  else
    none=$((none + 1))
  fi
  if [ -d "$dir" ]; then
    for f in "$dir"/* "$dir"/.[!.]*; do
      [ -e "$f" ] || continue
      case "${f##*/}" in
        algo-1.json) ;;
        .algo-1.json.tmp.??????) leftovers=$((leftovers + 1)) ;;
        *) wrong="$wrong #$i:stray(${f##*/})" ;;
      esac
    done
  fi
done
[ -z "$wrong" ] && [ $complete -gt 0 ] && [ $none -gt 0 ] \
  && ok "SIGKILL at $RUNS random moments: $complete complete reports, $none none, never a partial one ($leftovers temp files left)" \
  || bad "SIGKILL" "complete=$complete none=$none problems:$wrong"
if [ $complete -gt 0 ]; then
  msg=$(cd "$T/complete" && "$VALIDATE" *.json) \
    && ok "every report found after a SIGKILL validates against the schema" || bad "schema" "$msg"
fi

rm -rf "$T/out"
mkdir -p "$T/out"
timeout 30 unshare --net "$NC" --sm-config-dir "$T/sm" --summary none -- true 2>/dev/null
[ "$(ls -A "$T/out")" = "algo-1.json" ] && ok "a complete run leaves the report and nothing else" \
  || bad "clean run" "$(ls -A "$T/out")"

# ---- a report that cannot be written ----
# expect_one_line NAME RC FILE PATH REASON: the run exited with the
# workload's status (7), printed exactly one line naming PATH and REASON.
expect_one_line() {
  local name=$1 rc=$2 err=$3 path=$4 reason=$5
  if [ "$rc" -eq 7 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -qF "$path" "$err" && grep -qF "$reason" "$err"; then
    ok "$name: one line ($(cat "$err")), and the workload ran"
  else bad "$name" "rc=$rc stderr=$(cat "$err")"; fi
}
Q=(--summary none --on-fail warn)

timeout 30 unshare --net "$NC" "${Q[@]}" --report "$T/no/such/dir/r.json" -- sh -c 'exit 7' 2>"$T/err"
expect_one_line "missing directory (--report)" $? "$T/err" "$T/no/such/dir/r.json" "No such file or directory"

sm_config "$T/sm-missing" "$T/missing-output" '"algo-1"'
timeout 30 unshare --net "$NC" "${Q[@]}" --sm-config-dir "$T/sm-missing" -- sh -c 'exit 7' 2>"$T/err"
expect_one_line "missing output directory (discovered location)" $? "$T/err" "$T/missing-output/algo-1.json" "No such file or directory"

# Read-only and full file systems, mounted in a private mount namespace.
mkdir -p "$T/ro" "$T/bind" "$T/full" "$T/full-out"
sm_config "$T/sm-ro" "$T/ro" '"algo-1"'
in_mounts() {
  timeout 60 unshare --mount --propagation private --net sh -c "
    mount -t tmpfs -o ro,size=64k nc-ro '$T/ro' &&
    mount --bind '$T/bind' '$T/bind' && mount -o remount,bind,ro '$T/bind' &&
    mount -t tmpfs -o size=16k nc-full '$T/full' &&
    { dd if=/dev/zero of='$T/full/fill' bs=1k count=64 2>/dev/null; true; } &&
    $1"
}
in_mounts "'$NC' ${Q[*]} --report '$T/ro/r.json' -- sh -c 'exit 7'" 2>"$T/err"
expect_one_line "read-only tmpfs (--report)" $? "$T/err" "$T/ro/r.json" "Read-only file system"
in_mounts "'$NC' ${Q[*]} --sm-config-dir '$T/sm-ro' -- sh -c 'exit 7'" 2>"$T/err"
expect_one_line "read-only output (discovered location)" $? "$T/err" "$T/ro/algo-1.json" "Read-only file system"
in_mounts "'$NC' ${Q[*]} --report '$T/bind/r.json' -- sh -c 'exit 7'" 2>"$T/err"
expect_one_line "read-only bind mount" $? "$T/err" "$T/bind/r.json" "Read-only file system"
in_mounts "'$NC' ${Q[*]} --report '$T/full/r.json' -- sh -c 'exit 7'; rc=\$?; ls -A '$T/full' >'$T/full-out/ls'; exit \$rc" 2>"$T/err"
expect_one_line "full disk (16 KiB tmpfs)" $? "$T/err" "$T/full/r.json" "No space left on device"
[ "$(cat "$T/full-out/ls")" = "fill" ] && ok "a failed write leaves no temporary file" || bad "full disk leftovers" "$(cat "$T/full-out/ls")"

# Without a workload, a report that cannot be written is an internal error
# only when nothing else failed; here the isolated checks fail: exit 1.
timeout 30 unshare --net "$NC" --summary none --report "$T/no/such/r.json" 2>/dev/null; rc=$?
[ $rc -eq 1 ] && ok "without a workload the status stays the checks' (1)" || bad "no workload" "rc=$rc"

# ---- host names from resourceconfig.json ----
SAFE='^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\.json$'
long255=$(printf 'x%.0s' $(seq 255))
i=0 wrong=""
while IFS= read -r host; do
  i=$((i + 1))
  base="$T/h$i"
  mkdir -p "$base/a/b/out" "$base/dir"
  sm_config "$base/sm" "$base/a/b/out" "$host"
  timeout 30 unshare --net "$NC" --sm-config-dir "$base/sm" --summary none -- true 2>/dev/null
  timeout 30 unshare --net "$NC" --sm-config-dir "$base/sm" --summary none --report "$base/dir" -- true 2>/dev/null
  files=$(cd "$base" && find . -type f ! -path './sm/*' | sort)
  n=$(grep -c . <<<"$files")
  while IFS= read -r f; do
    [ -n "$f" ] || continue
    case "$f" in ./a/b/out/*|./dir/*) ;; *) wrong="$wrong [$host: wrote $f]"; continue ;; esac
    name=${f##*/}
    [[ "$name" =~ $SAFE ]] || wrong="$wrong [$host: unsafe name $name]"
    [ "$(jq -r .host "$base/$f")" = "${name%.json}" ] || wrong="$wrong [$host: host field $(jq -r .host "$base/$f")]"
  done <<<"$files"
  [ "$n" -eq 2 ] || wrong="$wrong [$host: $n files: $(tr '\n' ' ' <<<"$files")]"
done <<EOF
"../../etc/x"
".."
"."
"/"
"/etc/passwd"
"a/../../b"
"../../../../../../../../tmp/nc-evil"
"\u0001\u001b[31mred\n\r\t"
"алго-1 😀"
"$long255"
".hidden"
"algo-1.json"
"-rf"
"a b*?[]"
"%s%n%x"
"\$(touch nc-pwned)"
"nul\u0000../../byte"
"\\\\\\\\server\\\\share"
EOF
[ -z "$wrong" ] && [ ! -e /etc/x.json ] && [ ! -e /tmp/nc-evil.json ] && [ ! -e nc-pwned ] \
  && ok "$i hostile current_host values: every report lands in the report directory under a safe name" \
  || bad "host names" "$wrong"

# A current_host that cannot be a host name is a config problem, never
# fatal: the report is named after the machine's host name instead.
for host in '""' "\"x$long255\""; do
  base="$T/refused"
  rm -rf "$base"
  mkdir -p "$base/out"
  sm_config "$base/sm" "$base/out" "$host"
  timeout 30 unshare --net --uts sh -c "hostname nc-fallback && exec '$NC' --sm-config-dir '$base/sm' --summary none -- true" 2>"$T/err"; rc=$?
  r="$base/out/nc-fallback.json"
  [ $rc -eq 0 ] && [ "$(ls -A "$base/out")" = "nc-fallback.json" ] \
    && jq -e '.probes[] | select(.id == "config:resourceconfig.json") | .code == "CONFIG_INVALID" and (.message | test("current_host"))' "$r" >/dev/null \
    && ok "current_host of ${#host} bytes is a config problem: the report is named after the machine, the workload runs" \
    || bad "refused current_host" "rc=$rc $(cat "$T/err") $(ls -A "$base/out")"
done

cli_finish
