#!/usr/bin/env bash
# Credentials in the environment that are set but unusable are reported for
# what is wrong with them (a control character, a value over its cap), never
# as "not both set", and never quoting the value; a session token as long as
# those of chained or tagged sessions (well past 4 KiB) is taken whole.
#
# Only the creds family runs (it reads the environment and sends nothing),
# in a fresh network namespace (only lo).
#
# Usage: NETCHECK=./netcheck tests/cli/test_creds_env.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init creds-env 60
ONLY_CREDS=(--skip env --skip dns --skip s3 --skip repo --skip egress --skip aws --skip clock --skip peer
            --report - --summary none)
KEY=ASIAQNETCHECKTESTKEY
SECRET=nc-test-secret-$RANDOM$RANDOM
run() { env -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_CONTAINER_CREDENTIALS_FULL_URI \
  timeout 30 unshare --net "$NC" "${ONLY_CREDS[@]}" 2>"$T/err"; }
creds() { jq -c '.probes[] | select(.kind == "creds") | {id, verdict, outcome, message}' <<<"$1"; }

# expect_reason NAME OUT REASON SECRET: creds:env failed naming REASON, and SECRET appears nowhere.
expect_reason() {
  local name=$1 out=$2 reason=$3 secret=$4 c
  c=$(creds "$out")
  if jq -e --arg r "$reason" '.id == "creds:env" and .verdict == "fail" and .outcome == "env_invalid" and (.message | contains($r))' <<<"$c" >/dev/null \
     && ! grep -qF -- "$secret" <<<"$out" && ! grep -qF -- "$secret" "$T/err"; then
    ok "$name: $(jq -r .message <<<"$c")"
  else bad "$name" "$c"; fi
}

out=$(AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY="$SECRET"$'\t'x run)
expect_reason "a tab in AWS_SECRET_ACCESS_KEY" "$out" "AWS_SECRET_ACCESS_KEY contains control characters" "$SECRET"

tok="IQoJb3JpZ2luX2VjE$(head -c 20000 /dev/zero | tr '\0' 'T')"
out=$(AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN="$tok" run)
expect_reason "a 20 KB AWS_SESSION_TOKEN" "$out" "AWS_SESSION_TOKEN is longer than 16384 bytes" "$SECRET"

out=$(AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN=$'IQoJ\nX-Injected: 1' run)
expect_reason "a newline in AWS_SESSION_TOKEN" "$out" "AWS_SESSION_TOKEN contains control characters" "X-Injected"

# Tokens of chained or tagged sessions: 6 KiB and 12 KiB are taken.
for n in 6144 12288; do
  tok="IQoJb3JpZ2luX2VjE$(head -c $((n - 17)) /dev/zero | tr '\0' 'Q')"
  out=$(AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN="$tok" run)
  c=$(creds "$out")
  jq -e '.id == "creds:env" and .verdict == "pass" and (.message | contains("with a session token"))' <<<"$c" >/dev/null \
    && ! grep -qF -- "$SECRET" <<<"$out" \
    && ok "a $n-byte session token is taken" || bad "$n-byte token" "$c"
done

cli_finish
