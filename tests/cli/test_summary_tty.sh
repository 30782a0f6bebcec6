#!/usr/bin/env bash
# The human summary on a terminal: aligned, coloured; plain when NO_COLOR is
# set or stderr is not a terminal (CloudWatch, pipes). Runs netcheck in tmux,
# inside a fresh network namespace (only lo: nothing leaves this machine).
#
# Usage: NETCHECK=./netcheck tests/cli/test_summary_tty.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
command -v tmux >/dev/null || { echo "test_summary_tty: tmux is missing"; echo "0 passed, 1 failed"; exit 1; }
cli_init tty 0
SOCK="nc-tty-$$"
cli_on_exit 'tmux -L "$SOCK" kill-server 2>/dev/null'

# Runs netcheck in a tmux pane with the given environment; writes the pane,
# escape sequences included, to $T/$1.
run_in_tmux() {
  local name=$1; shift
  rm -f "$T/$name.done"
  tmux -L "$SOCK" new-session -d -x 220 -y 40 -s "$name" \
    "env $* unshare --net '$NC' --report none --skip env --dns-server 127.0.0.1 --timeout 1 --skip peer; touch '$T/$name.done'; sleep 30"
  for _ in $(seq 1 100); do [ -e "$T/$name.done" ] && break; sleep 0.1; done
  tmux -L "$SOCK" capture-pane -e -p -t "$name" > "$T/$name"
  tmux -L "$SOCK" kill-session -t "$name"
}

run_in_tmux colour TERM=xterm-256color
if grep -q $'\033\[31mFAIL\033\[' "$T/colour" && grep -q $'verdict fail' "$T/colour"; then
  ok "on a terminal, FAIL lines and the verdict are coloured"
else bad "colour" "$(head -c 400 "$T/colour" | cat -v)"; fi

# Columns: the probe id starts at the same column on every FAIL line.
cols=$(sed 's/\x1b\[[0-9;]*m//g' "$T/colour" | grep '^netcheck: FAIL' | grep -v 'dns:a' |
  awk '{ print index($0, $4) }' | sort -u | wc -l)
[ "$cols" -eq 1 ] && ok "the code and probe columns are aligned" || bad "alignment" "$cols distinct columns"

run_in_tmux nocolor TERM=xterm-256color NO_COLOR=1
if grep -q 'FAIL' "$T/nocolor" && ! grep -q $'\033\[' "$T/nocolor"; then
  ok "NO_COLOR turns colour off on a terminal"
else bad "NO_COLOR" "$(head -c 300 "$T/nocolor" | cat -v)"; fi

timeout 30 unshare --net "$NC" --report none --skip env --dns-server 127.0.0.1 --timeout 1 --skip peer 2>"$T/pipe"
if grep -q 'FAIL' "$T/pipe" && ! grep -q $'\033' "$T/pipe"; then
  ok "stderr that is not a terminal (CloudWatch, a pipe) gets no escape codes"
else bad "pipe" "$(head -c 300 "$T/pipe" | cat -v)"; fi
[ "$(tail -1 "$T/pipe" | grep -c '^netcheck: verdict fail: .* first cause ')" -eq 1 ] \
  && ok "the last line is the verdict naming the first cause" || bad "verdict line" "$(tail -1 "$T/pipe")"

cli_finish
