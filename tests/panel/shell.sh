#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The interactive shell on a terminal (a pty, as a person would have it):
# Tab completes command names from the command table, port types after
# `add`, and the names of the daemon's live ports; the completed command
# runs; `help` prints the table; the history is saved to ~/.patchbay_history.
#
# usage: shell.sh PBGEN PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

pbd_start --workers 1
pbc add vhost:sender
pbc add null:sink
python3 - "$PATCHBAY" "$RUN" "$D" >"$D/shell.out" 2>&1 <<'PY' || fail "driving the shell: $(cat "$D/shell.out")"
import os, pty, select, sys, time
cli, run, home = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(TERM="xterm", HOME=home)
    os.execv(cli, [cli, "-r", run])
out = b""
def settle(secs):
    global out
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return
def typed(keys, secs=0.5):
    os.write(fd, keys)
    settle(secs)
settle(1.5)
typed(b"sho\t")          # -> "show "
typed(b"vhost:s\t")      # -> "show vhost:sender "
typed(b"\r", 1.0)        # runs it
typed(b"add vh\t")       # -> "add vhost:"
typed(b"\x15")           # kill the line
typed(b"help\r", 1.0)
typed(b"quit\r", 1.0)
os.waitpid(pid, 0)
text = out.decode(errors="replace").replace("\r", "")
print(text)
PY
text=$(cat "$D/shell.out")
grep -q "id           sender" <<<"$text" || fail "show vhost:sender (completed from 'sho' and 'vhost:s') did not run"
grep -q "ender" <<<"$text" || fail "the port name was not completed"
# (The terminal shows the completion as the missing letters after a cursor move.)
grep -a -q 'add vh.*ost:' <<<"$text" || fail "the port type was not completed"
grep -a -q 'add vh.*ost: ' <<<"$text" && fail "a space after the completed type: the ID goes there"
grep -q "topo .*--dot" <<<"$text" || fail "help does not list the commands"
log "ok: completion of a command, a port name and a port type; help"
# libedit's history file writes a blank as \040.
grep -q -E 'show(\\040| )vhost:sender' "$D/.patchbay_history" ||
	fail "no history saved: $(cat "$D/.patchbay_history" 2>&1)"
log "ok: history saved"
pbd_stop
pb_pass "the shell completes commands, types and live port names, and keeps history"
