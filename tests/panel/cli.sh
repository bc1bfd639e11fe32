#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The daemon's life and the CLI's faces:
#  - patchbayd --daemon --pidfile returns once it serves; the pidfile names
#    it; SIGTERM removes the pidfile and every socket;
#  - the shell (no arguments) takes commands on stdin, help comes from the
#    command table;
#  - --json on read commands is valid JSON with the documented fields;
#  - stats -w draws live rates (a null: source feeding a null: sink);
#  - topo as text, as Graphviz DOT and drawn (SVG); show; workers; clear;
#    unpatch; reset.
#
# usage: cli.sh PBGEN PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

RUN=$D/run
"$PATCHBAYD" --daemon --pidfile "$D/pd.pid" -r "$RUN" --workers 2 ||
	fail "patchbayd --daemon failed"
pid=$(cat "$D/pd.pid") || fail "no pidfile"
kill -0 "$pid" || fail "pidfile names no process"
PB_PIDS+=("$pid")
log "daemon pid $pid"
out=$(pbc version)
grep -q "pid $pid" <<<"$out" || fail "version does not name the daemon's pid: $out"

# The shell, fed on stdin.
out=$(printf '%s\n' "help" "add null:src size=64 rate=200000" "add null:sink" \
	"patch null:src null:sink" "status" "quit" | "$PATCHBAY" -r "$RUN" 2>&1) ||
	fail "shell: $out"
for want in "patch +FROM TO \[--both\]" "null:src .*null:sink" "source"; do
	grep -q -E -- "$want" <<<"$out" || fail "shell output lacks /$want/: $out"
done
log "ok: shell"

# --json read commands.
pbd_json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
names = sorted(p["name"] for p in s["ports"])
assert names == ["null:sink", "null:src"], names
assert s["patches"] == [{"from": "null:src", "to": "null:sink"}], s["patches"]
assert s["workers"] == 2
for p in s["ports"]:
    for k in ("name", "type", "id", "link", "worker", "owner", "opts", "patched_to"):
        assert k in p, (k, p)
' || fail "status --json"
pbd_json workers | python3 -c '
import json, sys
w = json.load(sys.stdin)["workers"]
assert len(w) == 2
for x in w:
    for k in ("id", "cpu", "ports", "busy_ns", "poll_ns", "sleep_ns", "wakeups", "frames"):
        assert k in x, (k, x)
' || fail "workers --json"
pbd_wait_stat null:sink tx_frames 200000 10
watch=$("$PATCHBAY" -r "$RUN" stats -w --count 2 2>&1) || fail "stats -w: $watch"
log "stats -w: $(tail -n 3 <<<"$watch" | tr '\n' '|')"
python3 - "$watch" <<'PY' || fail "stats -w did not show the source's rate"
import re, sys
rows = [l.split() for l in sys.argv[1].splitlines() if l.startswith("null:sink")]
assert rows, "no null:sink row"
rate = rows[-1][3]  # TX-PPS
m = re.match(r"([0-9.]+)([kMG]?)$", rate)
v = float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[m.group(2)]
assert 150000 <= v <= 250000, rate
PY
log "ok: stats -w shows ~200k pps"
topo=$(pbc topo)
{ grep -q -E "null:src .*\[up" <<<"$topo" && grep -q "─▶ null:sink" <<<"$topo"; } ||
	fail "topo text: $topo"
dot=$(pbc topo --dot)
grep -q '"null:src" -> "null:sink"' <<<"$dot" || fail "topo --dot: $dot"
pbc topo --svg "$D/topo.svg"
{ grep -q "<svg" "$D/topo.svg" && grep -q "null:src" "$D/topo.svg"; } || fail "topo --svg drew no graph"
log "ok: topo text, DOT and SVG"
# (Output captured first: grep -q stops reading early, and under pipefail
# the writer's SIGPIPE would fail the pipeline.)
out=$(pbc show null:src)
grep -q "size .*64" <<<"$out" || fail "show null:src: $out"
out=$(pbc workers)
grep -q "null:s" <<<"$out" || fail "workers lists no ports: $out"
pbc clear
pbc unpatch null:src
pbc_err 1 "not patched" unpatch null:src
pbc patch null:src null:sink
pbc reset
expect_eq "patches after reset" "$(pbd_json status | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["patches"]))')" 0
sleep 0.2
n1=$(pbd_stat null:sink tx_frames)
sleep 0.5
expect_eq "frames after reset (a source without a patch holds)" "$(pbd_stat null:sink tx_frames)" "$n1"

kill -TERM "$pid"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "patchbayd still running 10 s after SIGTERM"
[ -e "$D/pd.pid" ] && fail "pidfile left behind"
[ -z "$(find "$RUN" -type s)" ] || fail "sockets left behind: $(find "$RUN" -type s)"
pb_pass "daemon mode, pidfile, shell, --json, stats -w, topo, clear/unpatch/reset"
