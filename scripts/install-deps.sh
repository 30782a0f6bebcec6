#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian bookworm.
# Idempotent: installs only what is missing, runs `apt-get update` at most once,
# and only when something is missing. Run as root.
set -euo pipefail

cd "$(dirname "$0")/.."

# Build: the dynamic build links Debian's -dev packages; the static build
# (scripts/static-deps.sh) compiles the same libraries from source with musl.
BUILD_PKGS=(gcc make libc6-dev pkg-config file
  libc-ares-dev libcurl4-openssl-dev libssl-dev libcjson-dev
  musl-tools dpkg-dev perl ca-certificates)
# Tests: unit tests, schema checks, the botocore comparison, the merge page's layout in a
# headless browser (tests/cli/test_merge_html.sh).
TEST_PKGS=(libcmocka-dev python3 python3-botocore python3-jsonschema jq util-linux procps
  groff-base man-db tmux chromium chromium-driver)
# Quality: libFuzzer, sanitizers, valgrind, lint (make fuzz, asan, valgrind, lint).
QA_PKGS=(clang libclang-rt-14-dev llvm-14 clang-format clang-tidy cppcheck valgrind)
# The emulated VPC (tests/vpc): namespaces, resolver, TLS front, S3 data plane.
VPC_PKGS=(iproute2 nftables dnsmasq-base nginx-light dnsutils curl netcat-openbsd openssl
  faketime nodejs)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${QA_PKGS[@]}" "${VPC_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Some Node.js builds ship npm inside the nodejs package (and conflict with
# Debian's npm package): ask for npm only when the command is missing.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# s3rver, the S3 data plane of the emulated VPC, comes from the npm registry,
# pinned by tests/vpc/package-lock.json.
if [ -f tests/vpc/package-lock.json ] && [ ! -d tests/vpc/node_modules/s3rver ]; then
  echo "install-deps: installing npm packages for tests/vpc"
  npm ci --prefix tests/vpc --no-audit --no-fund --loglevel=error
fi
exit 0
