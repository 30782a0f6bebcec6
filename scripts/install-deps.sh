#!/usr/bin/env bash
# Installs from Debian bookworm's archive what netcheck needs, on a machine that
# has almost nothing (a debootstrap minbase, the debian:bookworm image).
#
# Usage: scripts/install-deps.sh [--build]
#   (no flag)  everything: building, the tests (unit, CLI, emulated VPC), the
#              demo, and the quality targets (lint, asan, valgrind, fuzz)
#   --build    only what `make`, `make static` and `make dist` need (the
#              Dockerfile's builder stage uses this)
#
# Idempotent: installs only what is missing, runs `apt-get update` at most once,
# and only when something is missing. Run as root. `make bench` adds its own
# tools with bench/install-deps.sh.
set -euo pipefail

cd "$(dirname "$0")/.."

# Build: the dynamic build links Debian's -dev packages; the static build
# (scripts/static-deps.sh) compiles the same libraries from their Debian source
# packages with musl (patch, xz-utils, dpkg-dev to unpack them); git gives the
# version (`git describe`) and the date of the release tarball.
BUILD_PKGS=(gcc make libc6-dev pkg-config file
  libc-ares-dev libcurl4-openssl-dev libssl-dev libcjson-dev
  musl-tools dpkg-dev patch xz-utils perl ca-certificates git)
# Tests: unit tests (cmocka), schema checks (jsonschema), the botocore
# comparison, the man page (groff, man), --init and signal tests (procps: ps,
# pgrep, sysctl; util-linux: unshare, setpriv, flock; tmux), /usr/bin/time
# (peak RSS and wall time of the VPC runs: Debian's `time`, not in minbase),
# hostname (the containers' names), the merge page's layout in a headless
# browser (chromium, chromium-driver: tests/cli/test_merge_html.sh). Essential
# packages (coreutils, bsdutils' script, libc-bin's getent and iconv,
# diffutils, tar, gzip) are always there.
TEST_PKGS=(libcmocka-dev python3 python3-botocore python3-jsonschema jq util-linux procps
  groff-base man-db tmux time hostname chromium chromium-driver)
# Quality: libFuzzer, sanitizers, valgrind, lint (make fuzz, asan, valgrind, lint).
QA_PKGS=(clang libclang-rt-14-dev llvm-14 clang-format clang-tidy cppcheck valgrind)
# The emulated VPC (tests/vpc): namespaces (ip, ss), firewall, resolver, TLS
# front, S3 data plane (node), and the plain tools its checks use (dig, curl, nc,
# openssl, faketime).
VPC_PKGS=(iproute2 nftables dnsmasq-base nginx-light dnsutils curl netcat-openbsd openssl
  faketime nodejs)

mode=all
case ${1:-} in
"") ;;
--build) mode=build ;;
-h | --help)
  sed -n '2,10s/^# \{0,1\}//p' "$0"
  exit 0
  ;;
*)
  echo "install-deps: unknown argument '$1' (usage: $0 [--build])" >&2
  exit 2
  ;;
esac

wanted=("${BUILD_PKGS[@]}")
[ "$mode" = build ] || wanted+=("${TEST_PKGS[@]}" "${QA_PKGS[@]}" "${VPC_PKGS[@]}")

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Some Node.js builds ship npm inside the nodejs package (and conflict with
# Debian's npm package): ask for npm only when the command is missing.
if [ "$mode" = all ] && ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Two checkouts installing at once (or unattended-upgrades) must wait for
  # dpkg's lock, not fail on it: apt waits up to 10 minutes for it.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# s3rver, the S3 data plane of the emulated VPC, comes from the npm registry,
# pinned by tests/vpc/package-lock.json.
if [ "$mode" = all ] && [ -f tests/vpc/package-lock.json ] && [ ! -d tests/vpc/node_modules/s3rver ]; then
  echo "install-deps: installing npm packages for tests/vpc"
  npm ci --prefix tests/vpc --no-audit --no-fund --loglevel=error
fi
exit 0
