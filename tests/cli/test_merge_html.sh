#!/usr/bin/env bash
# The page of `netcheck merge --html` in a real browser: headless Chromium
# at 1400x900 loads the page of a synthetic 100-host job (one host that
# receives from no peer, one that never started, one without a route to S3,
# a path-MTU black hole; tests/synth-reports.py) and of a 16-host one, and
# a script added to a copy of the page measures its layout: no horizontal
# overflow (document scrollWidth within the viewport), no header cell on
# more than one line, the causes before the matrix and the failure table,
# hosts in natural order (algo-2 before algo-10) in the failure table, every
# cell of the matrix there. The copy differs from the page only by the
# measuring script and a Content-Security-Policy that lets it run. A
# screenshot of the 100-host page is kept in build/merge-html-100.png for
# people to look at.
#
# Chromium runs as root with --no-sandbox, a fresh profile, no network
# features, and only ever loads file:// pages.
# Needs: chromium (Debian), python3. Usage: NETCHECK=./netcheck tests/cli/test_merge_html.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init merge-html 240
PY=/usr/bin/python3
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
WIDTH=1400
HEIGHT=900

[ -x "$CHROMIUM" ] || { bad "chromium" "$CHROMIUM missing (scripts/install-deps.sh installs it)"; cli_finish; exit; }

# chrome ARGS...: one headless run on file:// pages, bounded in time.
chrome() {
  timeout -k 5 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$T/profile-$RANDOM" --window-size="$WIDTH,$HEIGHT" --hide-scrollbars "$@" \
    2>>"$T/chromium.log"
}

# measure PAGE: the copy with the measuring script, dumped after load: the JSON it wrote.
measure() {
  "$PY" - "$1" "$1.measure.html" <<'PY' || return 1
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
script = """<script>
(function () {
  var de = document.documentElement, wrapped = [], hosts = [];
  /* A header is on one line when the boxes of its text all overlap one
   * band: across the line (top to bottom; left to right when vertical). */
  document.querySelectorAll('th').forEach(function (th) {
    var r = document.createRange(), vertical, lo = null, hi = null, lines = 1;
    r.selectNodeContents(th);
    vertical = getComputedStyle(th).writingMode.indexOf('vertical') === 0;
    Array.prototype.forEach.call(r.getClientRects(), function (b) {
      var a = vertical ? b.left : b.top, z = vertical ? b.right : b.bottom;
      if (b.width === 0 || b.height === 0) return;
      if (lo === null) { lo = a; hi = z; return; }
      if (a >= hi - 1 || z <= lo + 1) { lines++; lo = a; hi = z; }
      else { lo = Math.min(lo, a); hi = Math.max(hi, z); }
    });
    if (lines > 1) wrapped.push(th.textContent);
  });
  document.querySelectorAll('table.problems tbody tr').forEach(function (tr) {
    var h = tr.cells[0].textContent;
    if (hosts[hosts.length - 1] !== h) hosts.push(h);
  });
  var out = {scrollWidth: de.scrollWidth, innerWidth: window.innerWidth,
             h2: Array.prototype.map.call(document.querySelectorAll('h2'), function (e) {
               return e.firstChild.textContent.trim(); }),
             cells: document.querySelectorAll('table.matrix td').length,
             causes: document.querySelectorAll('ol.causes li').length,
             wrapped: wrapped, hosts: hosts, title: document.title};
  var pre = document.createElement('pre');
  pre.id = 'nc-measure';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""
page, n = re.subn(r"default-src 'none'; style-src 'unsafe-inline'",
                  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'", page)
assert n == 1, "no Content-Security-Policy to adapt"
page = page.replace("</body>", script + "</body>", 1)
open(sys.argv[2], "w", encoding="utf-8").write(page)
PY
  chrome --dump-dom --virtual-time-budget=5000 "file://$1.measure.html" >"$1.dom" || return 1
  "$PY" -c '
import html, re, sys
m = re.search(r"<pre id=\"nc-measure\">(.*?)</pre>", open(sys.argv[1]).read(), re.S)
print(html.unescape(m.group(1)) if m else "")' "$1.dom"
}

# judge NAME JSON HOSTS: the checks every page must pass.
judge() {
  local name=$1 m=$2 hosts=$3
  [ -n "$m" ] || { bad "$name: measured" "no measurement (see $T/chromium.log)"; return; }
  jq -e --argjson w "$WIDTH" '.innerWidth == $w and .scrollWidth <= .innerWidth' <<<"$m" >/dev/null \
    && ok "$name: no horizontal overflow at ${WIDTH}x$HEIGHT ($(jq -r '"scrollWidth \(.scrollWidth) of \(.innerWidth)"' <<<"$m"))" \
    || bad "$name: overflow" "$m"
  jq -e '.wrapped == []' <<<"$m" >/dev/null && ok "$name: no header cell wraps" \
    || bad "$name: wrapped headers" "$(jq -c .wrapped <<<"$m")"
  jq -e '.h2 == ["Causes, most important first", "Peer links", "Failures and warnings"]' <<<"$m" >/dev/null \
    && ok "$name: the causes come first, then the matrix, then the failures" || bad "$name: order" "$(jq -c .h2 <<<"$m")"
  jq -e --argjson n "$hosts" '.cells == $n * $n' <<<"$m" >/dev/null && ok "$name: a cell for every pair of hosts" \
    || bad "$name: cells" "$(jq .cells <<<"$m")"
  jq -e '.hosts | length > 1 and (map(ltrimstr("algo-") | tonumber) as $n | $n == ($n | sort))' <<<"$m" >/dev/null \
    && ok "$name: the failure table lists hosts in natural order" || bad "$name: host order" "$(jq -c .hosts <<<"$m")"
}

# ---- 100 hosts: one glyph per cell ----
tests/synth-reports.py "$T/r100" --hosts 100 --no-inbound 37 --never 100 --s3-no-route 12 --pmtu 50,51
"$NC" merge --html "$T/p100.html" "$T/r100" >/dev/null; rc=$?
[ $rc -eq 1 ] && grep -q '<title>netcheck: nc-synthetic-job</title>' "$T/p100.html" \
  && grep -q 'region us-east-1 &middot; 100 hosts &middot; 99 reports &middot; 2024-05-01 10:00:00 to 10:00:24 UTC' "$T/p100.html" \
  && ok "the page names the job, its region and its time" || bad "page header" "rc=$rc"
m=$(measure "$T/p100.html")
judge "100 hosts" "$m" 100
jq -e '.causes == 4' <<<"$m" >/dev/null && ok "100 hosts: four causes listed" || bad "100 hosts: causes" "$m"
mkdir -p build
# A loaded machine can make one headless start fail: one more try before judging.
shot() { rm -f build/merge-html-100.png; chrome --screenshot="$PWD/build/merge-html-100.png" "file://$T/p100.html" >/dev/null && [ -s build/merge-html-100.png ]; }
if shot || shot; then
  ok "screenshot of the 100-host page: build/merge-html-100.png"
else
  bad "screenshot" "$(tail -n 3 "$T/chromium.log")"
fi

# ---- 16 hosts: one column per host ----
tests/synth-reports.py "$T/r16" --hosts 16 --no-inbound 5 --never 16
"$NC" merge --html "$T/p16.html" "$T/r16" >/dev/null
m=$(measure "$T/p16.html")
judge "16 hosts" "$m" 16

cli_finish
