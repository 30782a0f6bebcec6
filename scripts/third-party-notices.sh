#!/usr/bin/env bash
# scripts/third-party-notices.sh - prints THIRD_PARTY_NOTICES: the licenses of
# the libraries the static binary contains, taken from the sources it was built
# from (scripts/static-deps.sh keeps each package's upstream license file in
# <prefix>/share/licenses/<package>/) and, for musl, Debian's copyright file.
#
#   scripts/third-party-notices.sh >THIRD_PARTY_NOTICES   regenerate (after `make static`)
#
# tests/dist/run.sh checks that the committed file is what this prints, so a
# license change in a new Debian source version cannot go unnoticed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

prefix=$(sed -n 's/^STATIC_PREFIX := //p' "$ROOT/build/static/deps.mk" 2>/dev/null || true)
if [ -z "$prefix" ] || [ ! -d "$prefix/share/licenses" ]; then
  echo "third-party-notices: no static build (build/static/deps.mk); run 'make static' first" >&2
  exit 2
fi
musl_copyright=/usr/share/doc/musl/copyright
[ -f "$musl_copyright" ] || { echo "third-party-notices: $musl_copyright missing (musl-tools)" >&2; exit 2; }

# package|name|what netcheck uses it for|license
libs=(
  "openssl|OpenSSL|TLS, SHA-256 and HMAC (SigV4)|Apache License 2.0"
  "curl|libcurl|HTTP and HTTPS|the curl license (MIT/X derivate)"
  "c-ares|c-ares|DNS|MIT"
  "cjson|cJSON|JSON|MIT"
)

rule() { printf '%s\n' "=============================================================================="; }

cat <<'EOF'
THIRD-PARTY NOTICES

netcheck itself is licensed under the Apache License 2.0 (LICENSE). Its static
binary (netcheck-static, the release tarball, the container image) contains the
libraries below, compiled from Debian bookworm's source packages with Debian's
patches; `netcheck --version` prints their versions. Each license follows, as
the library's source package ships it. The dynamic build (`make`) links the
system's shared libraries instead, which come with their own notices.

EOF
for l in "${libs[@]}"; do
  IFS='|' read -r pkg name what license <<<"$l"
  printf '  %-8s %-32s %s\n' "$name" "$what" "$license"
done
printf '  %-8s %-32s %s\n\n' musl "the C library" "MIT"

for l in "${libs[@]}"; do
  IFS='|' read -r pkg name what license <<<"$l"
  dir="$prefix/share/licenses/$pkg"
  lic=""
  for f in "$dir"/*; do [ "${f##*/}" = COPYRIGHT ] || lic=$f; done
  [ -n "$lic" ] || { echo "third-party-notices: no license file for $pkg in $dir" >&2; exit 1; }
  rule
  printf '%s: %s\n(file %s of the Debian source package %s)\n' "$name" "$license" "${lic##*/}" "$pkg"
  rule
  if [ -f "$dir/COPYRIGHT" ]; then cat "$dir/COPYRIGHT"; echo; fi
  cat "$lic"
  echo
done
rule
printf '%s\n' "musl: MIT" "(Debian's copyright file of musl, /usr/share/doc/musl/copyright)"
rule
cat "$musl_copyright"
