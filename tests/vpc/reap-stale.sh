#!/usr/bin/env bash
# tests/vpc/reap-stale.sh [--yes] - what a killed test-bed run left behind.
#
# Lists network namespaces named like this test bed's (nc<PID>[p<i>]-router|dns|svc|a<K>) whose
# run (PID) no longer exists, with their /etc/netns directories and run directories. With --yes
# it ends the processes inside those namespaces and removes them. Live runs are never touched.
set -euo pipefail

yes=""
[[ ${1:-} == --yes ]] && yes=1
re='^nc([0-9]+)(p[0-9]+)?-(router|dns|svc|a[0-9]+)$'
found=0
while read -r ns _; do
  [[ $ns =~ $re ]] || continue
  pid=${BASH_REMATCH[1]}
  kill -0 "$pid" 2>/dev/null && continue # its run is alive
  found=$((found + 1))
  if [[ -z $yes ]]; then
    echo "stale: $ns (run $pid gone)"
    continue
  fi
  for sig in TERM TERM TERM TERM KILL; do # TERM first: timeout wrappers reap their children
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    [[ -z ${pids// /} ]] && break
    # shellcheck disable=SC2086
    kill -"$sig" $pids 2>/dev/null || true
    sleep 0.5
  done
  ip netns del "$ns"
  rm -rf "/etc/netns/${ns:?}"
  rm -rf "${TMPDIR:-/tmp}/netcheck-vpc-${pid}${BASH_REMATCH[2]}"
  echo "removed: $ns"
done < <(ip netns list)
for d in /etc/netns/nc*-*; do # directories whose namespace is already gone
  [[ -d $d ]] || continue
  n=${d##*/}
  [[ $n =~ $re && ! -e /run/netns/$n ]] || continue
  kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
  found=$((found + 1))
  if [[ -n $yes ]]; then rm -rf "$d" && echo "removed: $d"; else echo "stale: $d"; fi
done
[[ $found -gt 0 && -z $yes ]] && echo "(run $0 --yes to remove them)"
echo "$found stale item(s)"
