#!/usr/bin/env bash
# Fails when C code calls a banned function (as curl's checksrc does): each
# has a bounded or error-reporting replacement in this code base.
#   sprintf, vsprintf      -> nc_snprintf / vsnprintf (bounded)
#   strcpy, strcat         -> nc_strlcpy / nc_snprintf
#   gets                   -> fgets
#   atoi, atol             -> strtol with end and errno checks
#   strtok                 -> strtok_r (no hidden state)
#   tmpnam, mktemp         -> mkstemp / mkdtemp (no race)
# Usage: scripts/check-banned.sh [DIR|FILE...]   (default: agent probes tests/fuzz)
# Lines that are only comments are skipped. Exit 1 with file:line for each use.
set -uo pipefail

cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- agent probes tests/fuzz

banned='sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|strtok|tmpnam|mktemp'
# A call: the name not preceded by an identifier character, then "(".
pattern="(^|[^A-Za-z0-9_])($banned)[[:space:]]*\\("

mapfile -t files < <(find "$@" -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then
  echo "check-banned: no C files under $*" >&2
  exit 2
fi

hits=$(grep -nHE "$pattern" "${files[@]}" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)')
if [ -n "$hits" ]; then
  echo "$hits"
  echo "check-banned: $(wc -l <<<"$hits") call(s) of banned functions (see scripts/check-banned.sh for the replacements)" >&2
  exit 1
fi
echo "check-banned: ${#files[@]} files, no banned function"
