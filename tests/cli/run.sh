#!/usr/bin/env bash
# Command-line contract tests: flags, exit codes, configuration errors, the
# report (location, atomic write, schema), the wrapper (exec, exit status,
# descriptors) and --on-fail abort. netcheck runs inside a fresh network
# namespace with only a loopback interface (`unshare --net`), so nothing it
# does can leave this machine.
#
# Usage: NETCHECK=./netcheck tests/cli/run.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init cli 0

# Runs netcheck isolated from every network, bounded in time.
ncx() { timeout 30 unshare --net "$NC" "$@"; }

# ---- flags ----
out=$(ncx --version); rc=$?
[ $rc -eq 0 ] && [[ "$out" == netcheck\ * ]] && ok "--version exits 0 and prints the version" || bad "--version" "rc=$rc out=$out"

out=$(ncx --help); rc=$?
if [ $rc -eq 0 ]; then
  missing=""
  for f in --sm-config-dir --config --report --timeout --on-fail --region --bucket --dns-server \
           --ca-bundle --peer-port --peer-wait --summary --init --version --help; do
    grep -q -- "$f" <<<"$out" || missing="$missing $f"
  done
  [ -z "$missing" ] && ok "--help exits 0 and lists every contract flag" || bad "--help" "missing:$missing"
else bad "--help" "rc=$rc"; fi

err=$(ncx --no-such-flag 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "no-such-flag" <<<"$err" \
  && ok "an unknown option gives exit 2 and one line" || bad "unknown option" "rc=$rc err=$err"

err=$(ncx --timeout abc 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q -- "--timeout" <<<"$err" && ok "a bad --timeout gives exit 2 naming the flag" || bad "bad --timeout" "rc=$rc err=$err"

err=$(ncx --on-fail maybe 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && ok "a bad --on-fail gives exit 2" || bad "bad --on-fail" "rc=$rc"

out=$(ncx --list-probes); rc=$?
[ $rc -eq 0 ] && [ "$(grep -cE '^(env|config|creds|dns|s3|s3-write|repo|egress|aws|clock|peer) +(required|policy|informational) ' <<<"$out")" -eq 11 ] \
  && ok "--list-probes lists the eleven families with their tiers" || bad "--list-probes" "rc=$rc $out"

# ---- configuration problems ----
# What SageMaker wrote never keeps the workload from starting in warn mode:
# a file or field netcheck cannot use is a probe config:FILE (CONFIG_INVALID).
rm -f "$T/started"
ncx --sm-config-dir "$FIX/sm-bad-resource" --report "$T/cfg-bad.json" --summary none -- touch "$T/started"; rc=$?
[ $rc -eq 0 ] && [ -e "$T/started" ] && "$VALIDATE" "$T/cfg-bad.json" >/dev/null \
  && jq -e '.probes[] | select(.id == "config:resourceconfig.json") | .verdict == "fail" and .code == "CONFIG_INVALID" and (.message | test("resourceconfig.json")) and .details.file == "'"$FIX"'/sm-bad-resource/resourceconfig.json"' "$T/cfg-bad.json" >/dev/null \
  && ok "a malformed resourceconfig.json is reported as CONFIG_INVALID and the workload starts" || bad "malformed resourceconfig" "rc=$rc $(jq -c '.probes[1]' "$T/cfg-bad.json" 2>&1)"
rm -f "$T/message"
ncx --sm-config-dir "$FIX/sm-bad-resource" --report none --summary none --on-fail abort --message-file "$T/message" -- touch "$T/started2"; rc=$?
[ $rc -eq 2 ] && [ ! -e "$T/started2" ] && grep -q "CONFIG_INVALID config:resourceconfig.json" "$T/message" \
  && ok "with --on-fail abort a config problem exits 2 with the reason in the message file" || bad "config problem abort" "rc=$rc msg=$(cat "$T/message" 2>/dev/null)"

ncx --sm-config-dir "$FIX/sm-wrong-types" --report "$T/cfg-types.json" --summary none; rc=$?
[ $rc -eq 1 ] && jq -e '[.probes[] | select(.code == "CONFIG_INVALID") | .message] | any(test("ProcessingJobArn: expected a string"))' "$T/cfg-types.json" >/dev/null \
  && ok "a field of the wrong type is reported, naming the field" || bad "wrong type" "rc=$rc $(jq -c '[.probes[] | select(.kind == "config")]' "$T/cfg-types.json" 2>&1)"

NETCHECK_EXPECT="stss=reachable" ncx --sm-config-dir "$FIX/sm-two-hosts" --report "$T/cfg-env.json" --summary none --skip peer; rc=$?
[ $rc -eq 1 ] && jq -e '.probes[] | select(.id == "config:environment") | .code == "CONFIG_INVALID" and (.message | test("stss"))' "$T/cfg-env.json" >/dev/null \
  && ok "NETCHECK_EXPECT naming no probe is reported, never fatal" || bad "NETCHECK_EXPECT typo" "rc=$rc"
err=$(ncx --sm-config-dir "$FIX/sm-two-hosts" --expect stss=reachable --dry-run 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q "stss" <<<"$err" && ok "--expect naming no probe is a usage error" || bad "--expect typo" "rc=$rc err=$err"

err=$(ncx --sm-config-dir "$T/none" --report none 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q "$T/none" <<<"$err" && ok "a missing --sm-config-dir gives exit 2" || bad "missing sm dir" "rc=$rc err=$err"

mkdir -p "$T/unreadable" && echo '{}' > "$T/unreadable/processingjobconfig.json" && chmod 000 "$T/unreadable/processingjobconfig.json"
# root reads anything: drop privileges for this one when possible
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
  chmod 755 "$T"
  out=$(timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups "$NC" --sm-config-dir "$T/unreadable" --report none --skip peer --dry-run 2>&1); rc=$?
  [ $rc -eq 0 ] && grep -q "config:processingjobconfig.json" <<<"$out" && grep -q "config problem: .*Permission denied" <<<"$out" \
    && ok "an unreadable config file is a config problem, not a crash" || bad "unreadable" "rc=$rc out=$out"
fi

printf '{"region": "eu-west-1",' > "$T/bad.json"
err=$(ncx --config "$T/bad.json" --report none 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q "$T/bad.json: malformed JSON" <<<"$err" && ok "a malformed --config gives exit 2 naming the file" || bad "malformed --config" "rc=$rc err=$err"

echo '{"regoin": "eu-west-1"}' > "$T/typo.json"
err=$(ncx --config "$T/typo.json" --report none 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q 'unknown key "regoin"' <<<"$err" && ok "an unknown --config key gives exit 2" || bad "unknown key" "rc=$rc err=$err"

head -c 2000000 /dev/zero | tr '\0' ' ' > "$T/huge.json"
err=$(ncx --config "$T/huge.json" --report none 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q "too large" <<<"$err" && ok "a huge --config gives exit 2" || bad "huge config" "rc=$rc err=$err"

# ---- precedence: flags > --config file > discovery ----
plan=$(ncx --sm-config-dir "$FIX/sm-two-hosts" --dry-run); rc=$?
[ $rc -eq 0 ] && grep -q "^region  *eu-west-1 (from the job ARN" <<<"$plan" && grep -q "s3.eu-west-1.amazonaws.com" <<<"$plan" \
  && ok "the region comes from the job ARN" || bad "region from ARN" "rc=$rc"
echo '{"region": "ap-south-1", "buckets": ["extra-bucket"], "expect": {"egress": "blocked"}}' > "$T/cfg.json"
plan=$(ncx --sm-config-dir "$FIX/sm-two-hosts" --config "$T/cfg.json" --dry-run)
grep -q "^region  *ap-south-1 (from --config" <<<"$plan" && ! grep -q "s3.eu-west-1" <<<"$plan" && ok "--config overrides discovery" || bad "--config precedence" "$plan"
plan=$(ncx --sm-config-dir "$FIX/sm-two-hosts" --config "$T/cfg.json" --region sa-east-1 --dry-run)
grep -q "^region  *sa-east-1 (from --region" <<<"$plan" && ! grep -q "ap-south-1" <<<"$plan" && ok "flags override --config" || bad "flag precedence" "$plan"
plan=$(AWS_REGION=us-west-2 ncx --sm-config-dir "$T" --dry-run)
grep -q "us-west-2" <<<"$plan" && ok "AWS_REGION applies without a job ARN" || bad "AWS_REGION" "$plan"

# ---- the wrapper ----
mkdir -p "$T/r"
ncx --sm-config-dir "$FIX/sm-two-hosts" --report "$T/r/r.json" --summary none -- sh -c 'exit 7'; rc=$?
[ $rc -eq 7 ] && "$VALIDATE" "$T/r/r.json" >/dev/null && ok "the workload's exit status (7) is netcheck's, and the report validates" || bad "exit 7" "rc=$rc $("$VALIDATE" "$T/r/r.json")"
for code in 0 1 42 255; do
  ncx --report none --summary none -- sh -c "exit $code"; rc=$?
  [ $rc -eq $code ] && ok "exit status $code propagates" || bad "exit $code" "rc=$rc"
done
ncx --report none --summary none -- /nonexistent/program 2>/dev/null; rc=$?
[ $rc -eq 127 ] && ok "a missing program gives 127" || bad "missing program" "rc=$rc"
printf '#!/bin/sh\necho hi\n' > "$T/noexec.sh"; chmod 644 "$T/noexec.sh"
ncx --report none --summary none -- "$T/noexec.sh" 2>/dev/null; rc=$?
[ $rc -eq 126 ] && ok "a non-executable program gives 126" || bad "non-executable" "rc=$rc"

out=$(timeout 30 unshare --net sh -c "echo \$\$; exec '$NC' --report none --summary none -- sh -c 'echo \$\$'")
[ "$(sed -n 1p <<<"$out")" = "$(sed -n 2p <<<"$out")" ] && ok "the workload keeps netcheck's PID (exec)" || bad "exec PID" "$out"

# Compared with the same command started without netcheck: whatever this
# shell passes down is the workload's, anything more would be netcheck's.
want=$(timeout 10 unshare --net sh -c 'ls /proc/$$/fd' | sort -n | tr '\n' ' ')
fds=$(ncx --report none --summary none -- sh -c 'ls /proc/$$/fd' | sort -n | tr '\n' ' ')
[ "$fds" = "$want" ] && ok "the workload inherits no descriptor of netcheck's" || bad "descriptors" "$fds (want $want)"

# ---- --on-fail abort ----
rm -f "$T/started" "$T/message"
ncx --report none --summary none --on-fail abort --message-file "$T/message" -- touch "$T/started"; rc=$?
if [ $rc -eq 1 ] && [ ! -e "$T/started" ] && [ -s "$T/message" ] && [ "$(wc -c <"$T/message")" -le 200 ] \
   && [ "$(wc -l <"$T/message")" -eq 0 ] && grep -q NETWORK_ISOLATED "$T/message" && iconv -f UTF-8 -t UTF-8 "$T/message" >/dev/null; then
  ok "--on-fail abort exits 1, does not start the workload, writes a one-line reason"
else bad "--on-fail abort" "rc=$rc started=$([ -e "$T/started" ] && echo yes) msg=$(cat "$T/message" 2>/dev/null)"; fi
ncx --report none --summary none --on-fail warn -- touch "$T/started"; rc=$?
[ $rc -eq 0 ] && [ -e "$T/started" ] && ok "--on-fail warn starts the workload despite failures" || bad "warn mode" "rc=$rc"

# ---- report location and contents ----
mkdir -p "$T/sm1" "$T/out1/netcheck-out" "$T/out1/results"
cat > "$T/sm1/processingjobconfig.json" <<JSON
{"ProcessingOutputConfig": {"Outputs": [
  {"OutputName": "results", "S3Output": {"S3Uri": "s3://b1/r/", "LocalPath": "$T/out1/results"}},
  {"OutputName": "netcheck", "S3Output": {"S3Uri": "s3://b1/n/", "LocalPath": "$T/out1/netcheck-out"}}]}}
JSON
echo '{"current_host": "algo-3", "hosts": ["algo-3"]}' > "$T/sm1/resourceconfig.json"
ncx --sm-config-dir "$T/sm1" --summary none >/dev/null 2>&1
[ -f "$T/out1/netcheck-out/algo-3.json" ] && "$VALIDATE" "$T/out1/netcheck-out/algo-3.json" >/dev/null \
  && ok "the report goes to the output named netcheck, as HOST.json" || bad "report in netcheck output" "$(ls -R "$T/out1")"
echo '{"current_host": "../../../etc/evil", "hosts": []}' > "$T/sm1/resourceconfig.json"
ncx --sm-config-dir "$T/sm1" --summary none >/dev/null 2>&1
n=$(find "$T/out1/netcheck-out" -name '*.json' | wc -l)
[ ! -e /etc/evil.json ] && [ ! -e "$T/etc/evil.json" ] && [ "$n" -eq 2 ] && ok "a hostile current_host cannot lead the write outside the report directory" || bad "sanitised host" "$(find "$T" -name '*evil*')"
ls -A "$T/out1/netcheck-out" | grep -q tmp && bad "no temp files left" "$(ls "$T/out1/netcheck-out")" || ok "no temporary file is left next to the report"
# Without an output named netcheck the report never lands in a user's
# dataset: /opt/ml/output/netcheck/, which no output uploads (checked in a
# private mount namespace with its own /opt).
echo '{"current_host": "algo-3", "hosts": ["algo-3"]}' > "$T/sm1/resourceconfig.json"
sed -i 's/"netcheck"/"other"/' "$T/sm1/processingjobconfig.json"
out=$(timeout 30 unshare --net --mount sh -c "mount -t tmpfs tmpfs /opt && mkdir -p /opt/ml/output && '$NC' --sm-config-dir '$T/sm1' 2>&1; ls /opt/ml/output/netcheck")
if grep -q '^algo-3.json$' <<<"$out" && [ -z "$(find "$T/out1" -name 'algo-3.json' -newer "$T/sm1/processingjobconfig.json")" ] \
   && grep -q 'report /opt/ml/output/netcheck/algo-3.json (not uploaded: add a ProcessingOutput named "netcheck"' <<<"$out"; then
  ok "else /opt/ml/output/netcheck/HOST.json, never another output, and the verdict line says how to collect it"
else bad "default report location" "$out"; fi

out=$(ncx --report - --summary none 2>/dev/null); rc=$?
echo "$out" > "$T/stdout.json"
[ $rc -eq 1 ] && "$VALIDATE" "$T/stdout.json" >/dev/null && ok "--report - writes a valid report on stdout" || bad "--report -" "rc=$rc"
jq -e '.summary.verdict == "fail" and .environment.isolated == true and (.probes[] | select(.id == "env:network") | .code == "NETWORK_ISOLATED")' "$T/stdout.json" >/dev/null \
  && ok "network isolation is reported as NETWORK_ISOLATED" || bad "isolation" "$(jq -c .summary "$T/stdout.json")"

err=$(ncx --summary json --report none 2>&1 >/dev/null)
jq -e '.verdict == "fail" and (.problems | length) >= 1' <<<"$err" >/dev/null && ok "--summary json prints one JSON object" || bad "--summary json" "$err"
err=$(ncx --summary none --report none 2>&1 >/dev/null)
[ -z "$err" ] && ok "--summary none prints nothing" || bad "--summary none" "$err"
err=$(ncx --report none 2>&1 >/dev/null)
tail -1 <<<"$err" | grep -q "verdict fail" && grep -q "FAIL.*NETWORK_ISOLATED" <<<"$err" && ok "the text summary names each cause and ends with the verdict" || bad "text summary" "$err"

ncx --report "$T/no/such/dir/r.json" --summary none -- true 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "cannot write the report" "$T/err" \
  && ok "a missing report directory gives one clear line and the workload still starts" || bad "missing report dir" "rc=$rc $(cat "$T/err")"

# Names answered from /etc/hosts come back inside the lookup call (c-ares
# reads the file synchronously): every HTTPS probe must survive that.
printf '127.0.0.1 localhost\n127.0.0.1 s3.us-east-1.amazonaws.com nc-hosts-bucket.s3.us-east-1.amazonaws.com pypi.org\n' > "$T/hosts"
timeout 30 unshare --net --mount sh -c "mount --bind '$T/hosts' /etc/hosts && exec '$NC' --skip env --skip peer --bucket nc-hosts-bucket --timeout 3 --report '$T/hosts.json' --summary none" 2>"$T/hosts.err"; rc=$?
if [ $rc -eq 1 ] && "$VALIDATE" "$T/hosts.json" >/dev/null && jq -e '[.probes[] | select(.id == "dns:pypi.org") | .details.source] == ["hosts"]' "$T/hosts.json" >/dev/null; then
  ok "names from /etc/hosts are honoured and their HTTPS probes complete"
else bad "/etc/hosts names" "rc=$rc $(head -c 300 "$T/hosts.err")"; fi

# ---- S3 locations, regions and partitions ----
mkdir -p "$T/loc"
cat >"$T/loc/processingjobconfig.json" <<'EOF_JOB'
{"ProcessingJobArn": "arn:aws-cn:sagemaker:cn-north-1:111122223333:processing-job/cn-job",
 "ProcessingInputs": [
   {"InputName": "raw", "S3Input": {"S3Uri": "s3://cn-input/raw/"}},
   {"InputName": "athena", "DatasetDefinition": {"AthenaDatasetDefinition": {"OutputS3Uri": "https://cn-query.s3.cn-north-1.amazonaws.com.cn/athena/"}}},
   {"InputName": "none", "S3Input": null}],
 "ProcessingOutputConfig": {"KmsKeyId": "alias/outputs", "Outputs": [
   {"OutputName": "features", "FeatureStoreOutput": {"FeatureGroupName": "fg"}},
   {"OutputName": "results", "S3Output": {"S3Uri": "s3://cn-output/results/", "LocalPath": "/tmp/x"}},
   {"OutputName": "more", "S3Output": {"S3Uri": "s3://cn-output/results/", "LocalPath": "/tmp/y"}}]}}
EOF_JOB
plan=$(ncx --sm-config-dir "$T/loc" --dry-run 2>"$T/loc.err"); rc=$?
if [ $rc -eq 0 ] && grep -q '^region  *cn-north-1 (from the job ARN; partition aws-cn)' <<<"$plan" \
   && grep -q 's3:cn-input .*https://cn-input.s3.cn-north-1.amazonaws.com.cn/' <<<"$plan" \
   && grep -q 'dataset  s3://cn-query/athena/' <<<"$plan" \
   && grep -q 'not applicable: FeatureStoreOutput (feature group fg)' <<<"$plan" \
   && grep -q 'not applicable: no S3Input or DatasetDefinition' <<<"$plan" \
   && [ "$(grep -c '^s3-write .*s3-write:cn-output/results/ ' <<<"$plan")" -eq 1 ] \
   && grep -q 'aws:sts .*sts.cn-north-1.amazonaws.com.cn' <<<"$plan" \
   && grep -q 'clock:s3.cn-north-1.amazonaws.com.cn' <<<"$plan" \
   && grep -q 'repo:repo.cn-north-1.amazonaws.com.cn' <<<"$plan" && grep -q 'repo:aws-cn' <<<"$plan" \
   && grep -q 'output key   alias/outputs' <<<"$plan" && [ ! -s "$T/loc.err" ]; then
  ok "--dry-run shows the region's source, every S3 location with its role, China's endpoints and one write check per output prefix"
else bad "locations dry run" "rc=$rc $(cat "$T/loc.err") $plan"; fi
plan=$(ncx --sm-config-dir "$T/loc" --dry-run --skip s3-write 2>&1); rc=$?
[ $rc -eq 0 ] && ! grep -q '^s3-write ' <<<"$plan" && grep -q '^s3 ' <<<"$plan" \
  && ok "--skip s3-write plans no write" || bad "--skip s3-write" "rc=$rc"
plan=$(NETCHECK_SKIP=s3-write ncx --sm-config-dir "$T/loc" --dry-run 2>&1); rc=$?
[ $rc -eq 0 ] && ! grep -q '^s3-write ' <<<"$plan" && ! grep -q 'config problem' <<<"$plan" \
  && ok "NETCHECK_SKIP=s3-write plans no write" || bad "NETCHECK_SKIP=s3-write" "rc=$rc $plan"
plan=$(ncx --sm-config-dir "$T/loc" --region us-gov-west-1 --fips --dry-run 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q 's3:cn-input .*https://cn-input.s3-fips.us-gov-west-1.amazonaws.com/' <<<"$plan" \
  && grep -q 'aws:sts .*sts.us-gov-west-1.amazonaws.com' <<<"$plan" && grep -q 'aws:api.ecr .*api.ecr-fips.us-gov-west-1' <<<"$plan" \
  && grep -q 'FIPS endpoints' <<<"$plan" && ok "--fips in GovCloud plans the FIPS names" || bad "--fips" "rc=$rc $plan"
# SageMaker's local mode writes the job name where the ARN should be: never a silent fallback.
echo '{"ProcessingJobArn": "local-job-1", "ProcessingInputs": [{"S3Input": {"S3Uri": "s3://b-1/x"}}]}' >"$T/loc/processingjobconfig.json"
plan=$(env -u AWS_REGION -u AWS_DEFAULT_REGION timeout 30 unshare --net "$NC" --sm-config-dir "$T/loc" --dry-run 2>"$T/loc.err"); rc=$?
[ $rc -eq 0 ] && grep -q 'region us-east-1 is a guess: ProcessingJobArn "local-job-1" is not an ARN' "$T/loc.err" \
  && grep -q '^region  *us-east-1 (a guess' <<<"$plan" && ok "a ProcessingJobArn that is not an ARN: the region is a guess, and netcheck says so" \
  || bad "local mode region" "rc=$rc $(cat "$T/loc.err")"
plan=$(AWS_REGION=eu-north-1 ncx --sm-config-dir "$T/loc" --report - --summary none --skip peer --timeout 1 2>/dev/null)
jq -e '.job.region == "eu-north-1" and .job.region_source == "AWS_REGION" and (.job.region_note | test("not an ARN")) and .job.s3_locations[0].role == "input"' <<<"$plan" >/dev/null \
  && ok "the report records the region's source and the S3 locations" || bad "region in the report" "$(jq -c .job <<<"$plan" 2>&1 | head -c 400)"
# -v: every phase of every probe, and never a secret (--skip env: run the probes on lo alone).
out=$(AWS_ACCESS_KEY_ID=AKIANCTESTVERBOSE01 AWS_SECRET_ACCESS_KEY=ncTESTverboseSECRET AWS_SESSION_TOKEN=ncTESTverboseTOKEN \
  ncx -v --region us-east-1 --skip peer --skip env --skip dns --egress-target https://127.0.0.1:9/x?token=ncTESTquery \
  --bucket b-verbose --report none --summary none --timeout 2 2>&1); rc=$?
if grep -q 'egress:127.0.0.1: request GET https://127.0.0.1:9/x to 127.0.0.1' <<<"$out" \
   && grep -q 'egress:127.0.0.1: done https://127.0.0.1:9/x: no answer' <<<"$out" \
   && grep -q 's3-write:b-verbose\|s3:b-verbose: resolve b-verbose.s3.us-east-1.amazonaws.com' <<<"$out" \
   && ! grep -q 'ncTEST' <<<"$out"; then
  ok "-v logs the resolve, request and answer phases, without secrets or queries"
else bad "-v phases" "rc=$rc $(head -c 1500 <<<"$out")"; fi

# ---- merge: hostile or odd reports ----
mkdir -p "$T/merge"
jq '.schema_version = "2"' tests/fixtures/merge/ok/algo-1.json >"$T/merge/v2.json"
err=$(ncx merge "$T/merge/v2.json" tests/fixtures/merge/ok/algo-2.json 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q 'v2.json: report schema_version is not a number' <<<"$err" \
  && ok "merge refuses a report whose schema_version is the string \"2\", with one line" || bad "merge schema_version" "rc=$rc $err"
jq '.finished_at = "2024-05-01T11:00:00.000Z"' tests/fixtures/merge/ok/algo-1.json >"$T/merge/algo-1-again.json"
out=$(ncx merge tests/fixtures/merge/ok/algo-1.json "$T/merge/algo-1-again.json" tests/fixtures/merge/ok/algo-2.json 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "^note: two reports for algo-1: kept the newer $T/merge/algo-1-again.json, ignored tests/fixtures/merge/ok/algo-1.json$" <<<"$out" \
  && ok "merge keeps the newest of two reports for one host and says so" || bad "merge duplicate" "rc=$rc $out"
out=$(ncx merge tests/fixtures/merge/controls/algo-1.json tests/fixtures/merge/ok/algo-2.json 2>&1); rc=$?
if [ $rc -eq 1 ] && ! LC_ALL=C grep -qP '\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]|\x1b' <<<"$out" \
   && grep -qF 'denied \u009b31mRED' <<<"$out"; then
  ok "merge's terminal output escapes C1 and bidi controls from reports"
else bad "merge escapes" "rc=$rc $(head -c 400 <<<"$out" | od -c | head -5)"; fi

cli_finish
