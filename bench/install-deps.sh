#!/usr/bin/env bash
# bench/install-deps.sh - what `make bench` needs beyond scripts/install-deps.sh, from Debian's
# archive: the tools it compares netcheck with (awscli, prometheus-blackbox-exporter, dig, curl,
# nc), the init processes --init is compared with (tini, dumb-init) and the ones that measure
# (time, strace, valgrind). Idempotent; run as root.
# prometheus-blackbox-exporter ships a service: a policy-rc.d that says "no" is put in place for
# the installation when the machine has none, so that no exporter starts outside the test bed.
set -euo pipefail
PKGS=(awscli prometheus-blackbox-exporter bind9-dnsutils curl netcat-openbsd time strace valgrind
  tini dumb-init
  jq python3 ca-certificates apt)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
[[ $(id -u) -eq 0 ]] || { echo "bench: missing packages (${missing[*]}); run as root" >&2; exit 1; }
policy=/usr/sbin/policy-rc.d
added=""
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  added=1
fi
trap '[[ -n $added ]] && rm -f "$policy"' EXIT
echo "bench: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
