#!/bin/bash
# bench/shell-checks.sh seq|par RESULT-FILE
#
# The benchmark's check set done "the shell way" that AWS troubleshooting guides show: dig for
# the S3 names, `aws s3api head-bucket` per bucket, curl for the package repositories and the
# internet, `aws sts get-caller-identity`, nc for the peer. `seq` runs them one after another,
# `par` all at once (& and wait). Run inside the container's namespace (its resolv.conf and
# /etc/hosts), with the environment bench/run.sh gives it:
#   BENCH_CA       CA bundle (curl --cacert; the AWS CLI reads AWS_CA_BUNDLE)
#   BENCH_T        per-check timeout in seconds (dig +time, curl -m, aws --cli-*-timeout, nc -w)
#   BENCH_PEER     HOST:PORT of the peer listener
#   BENCH_AWS      the AWS CLI (Debian's awscli: /usr/bin/aws)
#   BENCH_PER_CMD_RSS=1  also record each command's peak RSS (/usr/bin/time -f %M); only in the
#                  untimed warm-up run, so that the timed runs are not perturbed
#   AWS_* from the caller: region, container credentials URI, CA bundle, one attempt
# One line per check in RESULT-FILE: NAME OK(0|1) EXIT-STATUS MILLISECONDS [PEAK-RSS-KB].
# "OK" means the check saw what a healthy private VPC shows (S3 reachable, repos blocked with 403,
# STS answers, pypi.org answers, the peer port open). Exits 0 whatever the checks found.
set -u
mode=${1:?seq|par} out=${2:?result file}
T=${BENCH_T:-3}
CA=${BENCH_CA:?}
AWS=${BENCH_AWS:-/usr/bin/aws}
R=${AWS_DEFAULT_REGION:-us-east-1}
: >"$out"

# run CMD...: the command, with its peak RSS recorded when asked (warm-up only).
run() {
  if [[ -n ${BENCH_PER_CMD_RSS:-} ]]; then
    /usr/bin/time -f %M -o "$rss_file" "$@"
  else
    "$@"
  fi
}

# check NAME KIND ARG: one check; appends its line to $out.
check() {
  local name=$1 kind=$2 arg=$3 t0=$EPOCHREALTIME rc=0 ok=1 got="" rss_file
  rss_file=$(mktemp "${TMPDIR:-/tmp}/bench-rss.XXXXXX")
  case $kind in
  dns) # an A answer from the VPC resolver
    got=$(run dig +short +time="$T" +tries=1 "$arg" A) || rc=$?
    [[ $rc == 0 && $got =~ [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+ ]] && ok=0 ;;
  bucket) # HeadBucket, SigV4-signed with the container credentials
    run "$AWS" s3api head-bucket --bucket "$arg" --cli-connect-timeout "$T" --cli-read-timeout "$T" \
      >/dev/null 2>&1 || rc=$?
    [[ $rc == 0 ]] && ok=0 ;;
  repo) # the endpoint policy must deny it: 403
    got=$(run curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" --connect-timeout "$T" -m "$T" "$arg") || rc=$?
    [[ $got == 403 ]] && ok=0 ;;
  sts)
    run "$AWS" sts get-caller-identity --output text --cli-connect-timeout "$T" --cli-read-timeout "$T" \
      >/dev/null 2>&1 || rc=$?
    [[ $rc == 0 ]] && ok=0 ;;
  egress)
    got=$(run curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" --connect-timeout "$T" -m "$T" "$arg") || rc=$?
    [[ $got == 2* ]] && ok=0 ;;
  peer)
    run nc -z -w "$T" "${arg%:*}" "${arg##*:}" >/dev/null 2>&1 || rc=$?
    [[ $rc == 0 ]] && ok=0 ;;
  esac
  local t1=$EPOCHREALTIME rss=""
  [[ -n ${BENCH_PER_CMD_RSS:-} ]] && rss=$(tail -n 1 "$rss_file" 2>/dev/null)
  rm -f "$rss_file"
  # One short write per line: lines from parallel checks do not interleave (O_APPEND).
  printf '%s %d %d %d %s\n' "$name" "$ok" "$rc" $(((${t1/./} - ${t0/./}) / 1000)) "$rss" >>"$out"
}

checks=(
  "dns:s3.$R.amazonaws.com dns s3.$R.amazonaws.com"
  "dns:nc-input-bucket.s3.$R.amazonaws.com dns nc-input-bucket.s3.$R.amazonaws.com"
  "dns:nc-output-bucket.s3.$R.amazonaws.com dns nc-output-bucket.s3.$R.amazonaws.com"
  "s3:nc-input-bucket bucket nc-input-bucket"
  "s3:nc-output-bucket bucket nc-output-bucket"
  "repo:AL1 repo https://repo.$R.amazonaws.com/latest/main/mirror.list"
  "repo:AL2 repo https://amazonlinux-2-repos-$R.s3.$R.amazonaws.com/2/core/latest/x86_64/mirror.list"
  "repo:AL2023 repo https://al2023-repos-$R-de612dc2.s3.$R.amazonaws.com/core/mirrors/latest/x86_64/mirror.list"
  "aws:sts sts -"
  "egress:pypi.org egress https://pypi.org/simple/"
  "peer:${BENCH_PEER%%:*} peer ${BENCH_PEER:?}"
)

for c in "${checks[@]}"; do
  # shellcheck disable=SC2086 # each entry is three words
  if [[ $mode == par ]]; then check $c & else check $c; fi
done
wait
exit 0
