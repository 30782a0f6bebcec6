#!/usr/bin/env bash
# What is at the report's (or the message file's) path decides how it is
# written, and netcheck never replaces anything but a regular file:
#  - /dev/null: nothing is written, /dev/null stays a device;
#  - a character device (/dev/full) or a FIFO, or a link to one
#    (/dev/stdout): written through, the device, FIFO or link stays; a FIFO
#    nobody reads costs one line at once (ENXIO), never a hang;
#  - a symbolic link to a regular file: the file is replaced, the link stays;
#    /dev/stdout redirected to a file gets the report in that file;
#  - a socket or a dangling link: refused with one line.
#
# The devices live in a private mount namespace with its own tmpfs /dev
# (mknod), never in the real /dev; netcheck runs in a fresh network namespace
# (only lo) there.
#
# Usage: NETCHECK=./netcheck tests/cli/test_report_targets.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh" || exit 2
cli_init report-targets 180
Q=(--summary none --on-fail warn)
QS="${Q[*]}"

# in_dev 'COMMANDS': runs COMMANDS (sh) in a private mount and network
# namespace whose /dev is a fresh tmpfs with null, full, a FIFO and the
# standard links; NC and T are set there.
in_dev() {
  NC="$NC" T="$T" timeout 60 unshare --mount --propagation private --net sh -c '
    mount -t tmpfs -o size=64k,mode=755 nc-dev /dev &&
    mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/full c 1 7 && mkfifo -m 666 /dev/fifo &&
    ln -s /proc/self/fd /dev/fd && ln -s /proc/self/fd/1 /dev/stdout && ln -s /proc/self/fd/2 /dev/stderr &&
    '"$1"
}

# ---- /dev/null ----
in_dev "\"\$NC\" $QS --report /dev/null -- sh -c 'exit 7' 2>\"\$T/err\"; echo \$? >\"\$T/rc\"; stat -c %F /dev/null >\"\$T/type\"; ls -A /dev | tr '\n' ' ' >\"\$T/ls\""
if [ "$(cat "$T/rc")" = 7 ] && [ "$(cat "$T/type")" = "character special file" ] && [ ! -s "$T/err" ] \
   && [ "$(cat "$T/ls")" = "fd fifo full null stderr stdout " ]; then
  ok "--report /dev/null: nothing written, /dev/null stays a device, nothing left in /dev"
else bad "--report /dev/null" "rc=$(cat "$T/rc") type=$(cat "$T/type") ls=$(cat "$T/ls") err=$(cat "$T/err")"; fi

in_dev "\"\$NC\" --report /dev/null 2>\"\$T/err\" >/dev/null; true"
tail -1 "$T/err" | grep -q "report not written" && ok "--report /dev/null: the summary says 'report not written'" \
  || bad "/dev/null summary" "$(cat "$T/err")"

# ---- /dev/stdout ----
in_dev "\"\$NC\" $QS --report /dev/stdout >\"\$T/out.json\" 2>\"\$T/err\"; echo \$? >\"\$T/rc\"; stat -c %F /dev/stdout >\"\$T/type\""
if [ "$(cat "$T/rc")" = 1 ] && [ "$(cat "$T/type")" = "symbolic link" ] && "$VALIDATE" "$T/out.json" >/dev/null && [ ! -s "$T/err" ]; then
  ok "--report /dev/stdout into a file: the report is in the file, /dev/stdout stays a link"
else bad "--report /dev/stdout (file)" "rc=$(cat "$T/rc") type=$(cat "$T/type") err=$(cat "$T/err") $("$VALIDATE" "$T/out.json" 2>&1 | head -3)"; fi

rm -f "$T/out.json"
in_dev "\"\$NC\" $QS --report /dev/stdout 2>\"\$T/err\" | cat >\"\$T/out.json\"; stat -c %F /dev/stdout >\"\$T/type\""
if [ "$(cat "$T/type")" = "symbolic link" ] && "$VALIDATE" "$T/out.json" >/dev/null && [ ! -s "$T/err" ]; then
  ok "--report /dev/stdout into a pipe: the report comes through the pipe, /dev/stdout stays a link"
else bad "--report /dev/stdout (pipe)" "type=$(cat "$T/type") err=$(cat "$T/err")"; fi

# ---- a FIFO ----
t0=$(now_ms)
in_dev "\"\$NC\" $QS --report /dev/fifo -- sh -c 'exit 7' 2>\"\$T/err\"; echo \$? >\"\$T/rc\"; stat -c %F /dev/fifo >\"\$T/type\""
dt=$(($(now_ms) - t0))
if [ "$(cat "$T/rc")" = 7 ] && [ "$(cat "$T/type")" = "fifo" ] && [ "$(wc -l <"$T/err")" -eq 1 ] \
   && grep -q "cannot write the report to /dev/fifo: No such device or address" "$T/err" && [ $dt -lt 5000 ]; then
  ok "--report to a FIFO nobody reads: one line in $dt ms, the FIFO stays, the workload runs"
else bad "FIFO without a reader" "rc=$(cat "$T/rc") type=$(cat "$T/type") in $dt ms err=$(cat "$T/err")"; fi

# A reader that opened the FIFO first (fd 4; fd 3 only keeps that open from blocking).
in_dev "exec 3<>/dev/fifo 4</dev/fifo 3>&-; \"\$NC\" $QS --report /dev/fifo 2>\"\$T/err\"; cat <&4 >\"\$T/fifo.json\"; stat -c %F /dev/fifo >\"\$T/type\""
if [ "$(cat "$T/type")" = "fifo" ] && "$VALIDATE" "$T/fifo.json" >/dev/null && [ ! -s "$T/err" ]; then
  ok "--report to a FIFO with a reader: the reader gets the report, the FIFO stays"
else bad "FIFO with a reader" "type=$(cat "$T/type") err=$(cat "$T/err") got=$(head -c 100 "$T/fifo.json")"; fi

# ---- a character device that refuses the write ----
in_dev "\"\$NC\" $QS --report /dev/full -- sh -c 'exit 7' 2>\"\$T/err\"; echo \$? >\"\$T/rc\"; stat -c %F /dev/full >\"\$T/type\""
if [ "$(cat "$T/rc")" = 7 ] && [ "$(cat "$T/type")" = "character special file" ] && [ "$(wc -l <"$T/err")" -eq 1 ] \
   && grep -q "/dev/full: No space left on device" "$T/err"; then
  ok "--report /dev/full: one line (No space left on device), the device stays"
else bad "--report /dev/full" "rc=$(cat "$T/rc") type=$(cat "$T/type") err=$(cat "$T/err")"; fi

# ---- the message file ----
in_dev "\"\$NC\" --summary none --report none --on-fail abort --message-file /dev/stdout >\"\$T/msg\" 2>\"\$T/err\"; echo \$? >\"\$T/rc\"; stat -c %F /dev/stdout >\"\$T/type\""
if [ "$(cat "$T/rc")" = 1 ] && [ "$(cat "$T/type")" = "symbolic link" ] && grep -q "NETWORK_ISOLATED" "$T/msg" && [ ! -s "$T/err" ]; then
  ok "--message-file /dev/stdout: the reason on standard output, the link stays"
else bad "--message-file /dev/stdout" "rc=$(cat "$T/rc") type=$(cat "$T/type") msg=$(cat "$T/msg") err=$(cat "$T/err")"; fi
in_dev "\"\$NC\" --summary none --report none --on-fail abort --message-file /dev/null 2>\"\$T/err\"; echo \$? >\"\$T/rc\"; stat -c %F /dev/null >\"\$T/type\""
if [ "$(cat "$T/rc")" = 1 ] && [ "$(cat "$T/type")" = "character special file" ] && [ ! -s "$T/err" ]; then
  ok "--message-file /dev/null: nothing written, /dev/null stays a device"
else bad "--message-file /dev/null" "rc=$(cat "$T/rc") type=$(cat "$T/type") err=$(cat "$T/err")"; fi

# ---- links and other files (no private /dev needed) ----
echo old >"$T/real.json"
ln -s real.json "$T/link.json"
timeout 30 unshare --net "$NC" "${Q[@]}" --report "$T/link.json" -- sh -c 'exit 7' 2>"$T/err"; rc=$?
if [ $rc -eq 7 ] && [ -L "$T/link.json" ] && [ "$(readlink "$T/link.json")" = real.json ] && "$VALIDATE" "$T/real.json" >/dev/null \
   && [ ! -s "$T/err" ] && [ -z "$(ls -A "$T" | grep tmp)" ]; then
  ok "a link to a regular file: the file gets the report, the link stays"
else bad "link to a file" "rc=$rc link=$(ls -l "$T/link.json") err=$(cat "$T/err")"; fi

ln -s nowhere.json "$T/dangling.json"
timeout 30 unshare --net "$NC" "${Q[@]}" --report "$T/dangling.json" -- sh -c 'exit 7' 2>"$T/err"; rc=$?
if [ $rc -eq 7 ] && [ -L "$T/dangling.json" ] && [ ! -e "$T/nowhere.json" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "dangling.json: a symbolic link to nothing" "$T/err"; then
  ok "a dangling link: refused with one line, the link stays"
else bad "dangling link" "rc=$rc $(ls -l "$T/dangling.json") err=$(cat "$T/err")"; fi

/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock"
timeout 30 unshare --net "$NC" "${Q[@]}" --report "$T/sock" -- sh -c 'exit 7' 2>"$T/err"; rc=$?
if [ $rc -eq 7 ] && [ -S "$T/sock" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "sock: a socket" "$T/err"; then
  ok "a socket: refused with one line, the socket stays"
else bad "socket" "rc=$rc $(ls -l "$T/sock") err=$(cat "$T/err")"; fi

cli_finish
