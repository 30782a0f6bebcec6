#!/usr/bin/env bash
# `netcheck --version`: the version the Makefile gave (git describe, else
# BASE_VERSION), the target, the versions of libcurl, OpenSSL, c-ares and cJSON
# it runs with (first line, as curl -V) and was built with ("Built with:"),
# libcurl's protocols and features, and where the licenses are. The running
# versions are checked against what is really there: Debian's installed shared
# libraries for the dynamic build, the source packages the static libraries
# were built from (build/static) for the static one.
#
# Usage: NETCHECK=./netcheck tests/cli/test_version.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init version 60

ncx() { timeout 10 unshare --net "$NC" "$@"; }
upstream() { local v=${1#*:}; echo "${v%-*}"; } # 1:2.3.4-5+deb12u1 -> 2.3.4

want_version=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s print-version)
out=$(ncx --version); rc=$?
[ $rc -eq 0 ] && [ "$(wc -l <<<"$out")" -eq 5 ] && ok "--version exits 0 with five lines" || bad "--version" "rc=$rc out=$out"
[ "$(ncx -V)" = "$out" ] && [ "$(ncx --report none --timeout 3 -V)" = "$out" ] \
  && ok "-V prints the same, also after other options" || bad "-V" "$(ncx -V)"

line1=$(sed -n 1p <<<"$out")
built=$(sed -n 2p <<<"$out")
re='^netcheck ([^ ]+) \(([^)]+)\) libcurl/([0-9.]+) OpenSSL/([0-9.]+) c-ares/([0-9.]+) cJSON/([0-9.]+)$'
if [[ $line1 =~ $re ]]; then
  version=${BASH_REMATCH[1]} target=${BASH_REMATCH[2]}
  declare -A run=([curl]=${BASH_REMATCH[3]} [openssl]=${BASH_REMATCH[4]} [c-ares]=${BASH_REMATCH[5]} [cjson]=${BASH_REMATCH[6]})
  ok "the first line names netcheck's version, target and the four libraries it runs with"
else
  bad "first line" "$line1"
  cli_finish
  exit 1
fi
[ "$version" = "$want_version" ] && ok "the version is the Makefile's ($want_version)" || bad "version" "$version, want $want_version"
[[ $built =~ ^Built\ with:\ libcurl/[0-9.]+\ OpenSSL/[0-9.]+\ c-ares/[0-9.]+\ cJSON/[0-9.]+$ ]] \
  && ok "'Built with:' names the four libraries' header versions" || bad "Built with" "$built"
protocols=$(sed -n 's/^Protocols: //p' <<<"$out")
features=$(sed -n 's/^Features: //p' <<<"$out")
[[ " $protocols " == *" http "* && " $protocols " == *" https "* && " $features " == *" SSL "* && " $features " == *" AsynchDNS "* ]] \
  && ok "libcurl speaks http and https, with SSL and an asynchronous resolver" || bad "protocols/features" "$protocols / $features"
lic=$(sed -n 5p <<<"$out")
[[ $lic == *"Apache-2.0"*LICENSE*THIRD_PARTY_NOTICES* ]] && [ -s LICENSE ] && [ -s THIRD_PARTY_NOTICES ] \
  && ok "the license line names LICENSE and THIRD_PARTY_NOTICES, which exist" || bad "license line" "$lic"

if file -L "$NC" | grep -qE 'statically linked|static-pie linked'; then
  [ "$target" = "x86_64-linux-musl, static" ] && ok "the static build says x86_64-linux-musl, static" || bad "target" "$target"
  [ "$built" = "Built with: libcurl/${run[curl]} OpenSSL/${run[openssl]} c-ares/${run[c-ares]} cJSON/${run[cjson]}" ] \
    && ok "the static build runs exactly the libraries it was built with" || bad "static versions" "$line1 / $built"
  # The prefix the Makefile links netcheck-static with.
  complete="$(sed -n 's/^STATIC_PREFIX := //p' build/static/deps.mk 2>/dev/null)/.complete"
  if [ -f "$complete" ]; then
    wrong=""
    for pkg in curl openssl c-ares cjson; do
      src=$(upstream "$(sed -n "s/^$pkg=//p" "$complete")")
      [ "$src" = "${run[$pkg]}" ] || wrong+=" $pkg: runs ${run[$pkg]}, source $src;"
    done
    [ -z "$wrong" ] && ok "each version is that of the Debian source package it was built from ($complete)" \
      || bad "static library versions" "$wrong"
  fi
else
  [ "$target" = "x86_64-linux-gnu" ] && ok "the dynamic build says x86_64-linux-gnu" || bad "target" "$target"
  wrong=""
  for p in curl:libcurl4 openssl:libssl3 c-ares:libc-ares2 cjson:libcjson1; do
    pkg=${p%%:*} deb=${p#*:}
    have=$(upstream "$(dpkg-query -W -f='${Version}' "$deb" 2>/dev/null)")
    [ "$have" = "${run[$pkg]}" ] || wrong+=" $pkg: runs ${run[$pkg]}, $deb is $have;"
  done
  [ -z "$wrong" ] && ok "the dynamic build reports the installed Debian libraries' versions" || bad "dynamic versions" "$wrong"
fi

cli_finish
