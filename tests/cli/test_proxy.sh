#!/usr/bin/env bash
# Proxies: the credentials request never goes through one (libcurl would
# honour ALL_PROXY/http_proxy and send GET 169.254.170.2/... - with a full
# URI, the Authorization token - in clear to the proxy; botocore's container
# fetcher uses none), nor does a request to a link-local address; the
# environment's proxies still apply to the other requests (agent/proxy.c):
# https_proxy/HTTPS_PROXY for https, http_proxy for http, NO_PROXY is
# honoured; ALL_PROXY is not, as botocore never uses it (libcurl would).
#
# Everything runs in one network namespace created here (lo up, the
# credentials address 169.254.170.2 on lo), with tests/cli/proxy_standin.py:
# a proxy stand-in on 127.0.0.1:3128 that records every request it gets, and
# the credentials endpoint on 169.254.170.2:80 and 127.0.0.1:8080. The
# egress targets 198.18.0.10/11 exist nowhere: only a proxy answers for them.
#
# Usage: NETCHECK=./netcheck tests/cli/test_proxy.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init proxy 180
STANDIN="$PWD/tests/cli/proxy_standin.py"

cat >"$T/inside.sh" <<'INSIDE'
# Runs inside the namespace: $1 netcheck, $2 the stand-in, $3 the work directory.
NC=$1 STANDIN=$2 W=$3
ip link set lo up && ip addr add 169.254.170.2/32 dev lo || exit 2
/usr/bin/python3 "$STANDIN" "$W/proxy.log" "$W/ready" &
SRV=$!
trap 'kill $SRV 2>/dev/null' EXIT
for _ in $(seq 200); do [ -e "$W/ready" ] && break; sleep 0.02; done
[ -e "$W/ready" ] || exit 2
P=http://127.0.0.1:3128
ALL=(http_proxy=$P HTTP_PROXY=$P https_proxy=$P HTTPS_PROXY=$P ALL_PROXY=$P all_proxy=$P)
ONLY=(--skip env --skip dns --skip s3 --skip repo --skip aws --skip clock --skip peer --timeout 3 --summary none)
# case NAME ENV... -- ARGS...: one run; its report is $W/NAME.json, what the
# proxy received $W/NAME.proxy.
case_() {
  local name=$1 envs=()
  shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  : >"$W/proxy.log"
  env -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_CONTAINER_CREDENTIALS_FULL_URI \
    -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u NO_PROXY -u no_proxy "${envs[@]}" \
    "$NC" "${ONLY[@]}" --report "$W/$name.json" "$@" 2>"$W/$name.err"
  sleep 0.1
  cp "$W/proxy.log" "$W/$name.proxy"
}
case_ relative "${ALL[@]}" AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/nc-proxy-test -- --skip egress
case_ full "${ALL[@]}" AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:8080/creds \
  AWS_CONTAINER_AUTHORIZATION_TOKEN=TOKEN-NCSECRET -- --skip egress
case_ egress http_proxy=$P HTTPS_PROXY=$P -- --skip creds \
  --egress-target http://198.18.0.10/ --egress-target https://198.18.0.11/
case_ all_proxy ALL_PROXY=$P all_proxy=$P -- --skip creds \
  --egress-target http://198.18.0.10/ --egress-target https://198.18.0.11/
case_ no_proxy http_proxy=$P HTTPS_PROXY=$P NO_PROXY=198.18.0.10 -- --skip creds \
  --egress-target http://198.18.0.10/ --egress-target https://198.18.0.11/
case_ link_local "${ALL[@]}" -- --skip creds --egress-target http://169.254.1.1/
exit 0
INSIDE
timeout 120 unshare --net bash "$T/inside.sh" "$NC" "$STANDIN" "$T"; rc=$?
[ $rc -eq 0 ] || bad "setup" "the namespace run exited $rc"

verdict() { jq -r --arg id "$2" '.probes[] | select(.id == $id) | .verdict' "$T/$1.json" 2>/dev/null; }

# ---- the credentials request ----
if [ "$(verdict relative creds:container)" = pass ] && ! grep -qE '169\.254|credentials' "$T/relative.proxy"; then
  ok "relative URI with every proxy variable set: credentials fetched directly, the proxy got nothing"
else bad "relative URI" "creds=$(verdict relative creds:container) proxy got: $(head -c 300 "$T/relative.proxy")"; fi
if [ "$(verdict full creds:container)" = pass ] && ! grep -qE 'creds|NCSECRET|Authorization' "$T/full.proxy"; then
  ok "full URI with a token: credentials fetched directly, neither the request nor the token reached the proxy"
else bad "full URI" "creds=$(verdict full creds:container) proxy got: $(head -c 300 "$T/full.proxy")"; fi
if ! grep -q NCSECRET "$T"/full.json "$T"/full.err; then ok "the authorization token is nowhere in the report or the log"
else bad "token" "leaked"; fi

# ---- the environment's proxies still apply, as in the SDKs ----
if grep -q '^GET http://198.18.0.10/ ' "$T/egress.proxy" && grep -q '^CONNECT 198.18.0.11:443 ' "$T/egress.proxy" \
   && [ "$(verdict egress egress:198.18.0.10)" = pass ]; then
  ok "http_proxy carries the http request, HTTPS_PROXY the https one (CONNECT)"
else bad "environment proxies" "proxy got: $(cut -c1-80 "$T/egress.proxy" | tr '\n' ' ')"; fi
[ ! -s "$T/all_proxy.proxy" ] && [ "$(verdict all_proxy egress:198.18.0.10)" = info ] \
  && ok "ALL_PROXY alone carries nothing (the SDKs ignore it; the requests go direct)" \
  || bad "ALL_PROXY" "proxy got: $(cut -c1-80 "$T/all_proxy.proxy" | tr '\n' ' ')"
if ! grep -q '198.18.0.10' "$T/no_proxy.proxy" && grep -q '^CONNECT 198.18.0.11:443 ' "$T/no_proxy.proxy"; then
  ok "NO_PROXY keeps its host away from the proxy, the others still go through"
else bad "NO_PROXY" "proxy got: $(cut -c1-80 "$T/no_proxy.proxy" | tr '\n' ' ')"; fi
[ ! -s "$T/link_local.proxy" ] && ok "a link-local target (169.254.1.1) never goes through the proxy" \
  || bad "link-local" "proxy got: $(cut -c1-80 "$T/link_local.proxy" | tr '\n' ' ')"

cli_finish
