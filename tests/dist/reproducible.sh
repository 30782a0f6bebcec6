#!/usr/bin/env bash
# tests/dist/reproducible.sh - `make dist-check`: the release tarball of HEAD,
# built from scratch in another directory (a fresh clone at another path and
# depth, its static dependencies downloaded and built anew: about 4 minutes),
# is byte-identical to this checkout's `make dist`. The checkout must be clean,
# so that its tarball is HEAD's. Run by .ci/run after `make test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "dist-check: uncommitted changes: commit first (HEAD is what gets rebuilt)" >&2
  exit 2
fi
[ -s build/dist/SHA256SUMS ] || { echo "dist-check: no build/dist/SHA256SUMS: run make dist" >&2; exit 2; }

T=$(mktemp -d /tmp/nc-dist-check.XXXXXX)
trap 'rm -rf "$T"' EXIT
clone=$T/some/other/place/netcheck-rebuild
git clone -q --no-hardlinks "$ROOT" "$clone"
git -C "$clone" checkout -q --detach "$(git rev-parse HEAD)"
start=$SECONDS
if ! (cd "$clone" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SOURCE_DATE_EPOCH \
  make --no-print-directory dist) >"$T/rebuild.log" 2>&1; then
  tail -n 30 "$T/rebuild.log" >&2
  echo "dist-check: make dist failed in $clone" >&2
  exit 1
fi
echo "dist-check: rebuilt from scratch in $((SECONDS - start)) s in $clone"
echo "  here:    $(cat build/dist/SHA256SUMS)"
echo "  rebuilt: $(cat "$clone/build/dist/SHA256SUMS")"
if cmp -s build/dist/SHA256SUMS "$clone/build/dist/SHA256SUMS"; then
  echo "dist-check: reproducible: identical bytes"
  exit 0
fi
# Say where the difference is: the binary, or the packing.
if ! cmp -s netcheck-static "$clone/netcheck-static"; then
  echo "dist-check: the static binaries differ (cmp: $(cmp netcheck-static "$clone/netcheck-static" | head -n 1))" >&2
else
  echo "dist-check: the binaries are identical, the tarballs are not" >&2
fi
exit 1
