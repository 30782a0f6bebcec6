#!/usr/bin/env bash
# Build hardening of the binary under test, as readelf sees it: a
# position-independent executable (ASLR) with full RELRO (relro + BIND_NOW)
# and a stack that is not executable; the dynamic build with the stack
# protector and FORTIFY (imports of __stack_chk_fail and of __*_chk); the
# static musl build a static PIE (no interpreter, self-relocating) whose
# own objects all carry the stack protector (musl has no FORTIFY).
#
# Runs no netcheck. Needs binutils (readelf).
# Usage: NETCHECK=./netcheck tests/cli/test_hardening.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init hardening 60
command -v readelf >/dev/null || { bad "readelf" "missing (binutils)"; cli_finish; exit; }

hdr=$(readelf -hW "$NC") && phdr=$(readelf -lW "$NC") && dyn=$(readelf -dW "$NC") \
  || { bad "readelf" "cannot read $NC"; cli_finish; exit; }
static=no
grep -q ' INTERP ' <<<"$phdr" || static=yes
kind=$([ $static = yes ] && echo static || echo dynamic)

grep -qE 'Type:[[:space:]]+DYN' <<<"$hdr" && grep -q 'Flags:.*PIE' <<<"$dyn" \
  && ok "$kind: position-independent executable (PIE)" || bad "$kind PIE" "$(grep Type: <<<"$hdr")"
grep -q ' GNU_RELRO ' <<<"$phdr" && grep -qE 'BIND_NOW|Flags:.* NOW' <<<"$dyn" \
  && ok "$kind: full RELRO (GNU_RELRO and BIND_NOW)" || bad "$kind RELRO" "$(grep -E 'FLAGS' <<<"$dyn")"
stack=$(awk '$1 == "GNU_STACK" {print $(NF-1)}' <<<"$phdr")
[ -n "$stack" ] && [[ $stack != *E* ]] && ok "$kind: non-executable stack ($stack)" || bad "$kind stack" "GNU_STACK '$stack'"

if [ $static = no ]; then
  syms=$(readelf --dyn-syms -W "$NC")
  grep -q ' __stack_chk_fail' <<<"$syms" && ok "dynamic: stack protector (__stack_chk_fail)" \
    || bad "dynamic stack protector" "no __stack_chk_fail import"
  n=$(grep -cE ' __[a-z_]+_chk(@|$)' <<<"$syms")
  [ "$n" -gt 0 ] && ok "dynamic: FORTIFY ($n __*_chk functions)" || bad "dynamic FORTIFY" "no __*_chk import"
else
  grep -q ' DYNAMIC ' <<<"$phdr" && ok "static: static PIE (no interpreter, relocates itself)" \
    || bad "static-pie" "no DYNAMIC segment: a plain static executable"
  # Stripped: the objects it was linked from show the protector.
  objdir=build/static-obj
  if [ "$(basename "$NC")" = netcheck-static ] && [ -d "$(dirname "$NC")/$objdir" ]; then
    total=0 with=0
    while IFS= read -r o; do
      total=$((total + 1))
      # Not `readelf | grep -q`: with pipefail, grep's early exit can kill
      # readelf with SIGPIPE and fail the pipeline for an object that has it.
      grep -q ' __stack_chk_fail$' < <(readelf -sW "$o") && with=$((with + 1))
    done < <(find "$(dirname "$NC")/$objdir" -name '*.o')
    [ $total -gt 0 ] && [ $((with * 10)) -ge $((total * 9)) ] \
      && ok "static: stack protector in $with of $total objects" \
      || bad "static stack protector" "$with of $total objects use __stack_chk_fail"
  fi
fi

cli_finish
