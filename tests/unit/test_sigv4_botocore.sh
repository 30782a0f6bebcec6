#!/bin/sh
# test_sigv4_botocore.sh - compares netcheck's SigV4 signing with botocore's
# (Debian's python3-botocore, run with /usr/bin/python3, not a pyenv one).
# Run from the repository root. NETCHECK_SIGV4_CLI names a built
# tests/unit/sigv4_cli; when it is unset, one is built in a temporary
# directory. Exits non-zero on any mismatch.
set -eu

PYTHON=/usr/bin/python3
CC=${CC:-gcc}
CFLAGS_SIGV4="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Werror -Iinclude"

if [ ! -x "$PYTHON" ] || ! "$PYTHON" -c 'import botocore' 2>/dev/null; then
  echo "test_sigv4_botocore: $PYTHON with botocore is required (apt-get install python3-botocore)" >&2
  exit 1
fi

tmpdir=
# shellcheck disable=SC2317 # called through the trap
cleanup() { [ -z "$tmpdir" ] || rm -rf "$tmpdir"; }
trap cleanup EXIT INT TERM

if [ -z "${NETCHECK_SIGV4_CLI:-}" ]; then
  tmpdir=$(mktemp -d)
  # shellcheck disable=SC2086 # word splitting of the flags is intended
  $CC $CFLAGS_SIGV4 agent/sigv4.c agent/creds.c tests/unit/sigv4_cli.c \
    -lcjson -lcrypto -o "$tmpdir/sigv4_cli"
  NETCHECK_SIGV4_CLI=$tmpdir/sigv4_cli
  export NETCHECK_SIGV4_CLI
fi

status=0
"$PYTHON" tests/unit/botocore_compare.py || status=$?
exit "$status"
