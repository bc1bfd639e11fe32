#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Bad input gets its error and changes nothing. With two ports patched and
# traffic flowing, every mistake below must fail with its documented exit
# status and message (CLI) or error code (control socket), and `status`
# afterwards must equal `status` before.
#
# usage: badinput.sh PBGEN PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

# The daemon is not running yet: the CLI says so.
RUN=$D/run
pbc_err 1 "patchbayd is not running" status

# The daemon's own bad options: exit 2 (usage) or 1, a message naming them,
# and nothing left behind.
pbd_bad()
{
	local want_rc=$1 want=$2 out rc
	shift 2
	out=$(timeout 10 "$PATCHBAYD" -r "$D/bad-run" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "patchbayd $*: exit $rc, expected $want_rc ($out)"
	grep -q -E -- "$want" <<<"$out" || fail "patchbayd $*: said '$out', expected /$want/"
	log "ok: patchbayd $* -> $rc: $(tail -n 1 <<<"$out")"
}
pbd_bad 2 "--workers 0: expected 1..64" --workers 0
pbd_bad 2 "--cpus 1-x: expected a list" --cpus 1-x
pbd_bad 2 "--idle-us -5: expected 0..10000000" --idle-us -5
pbd_bad 2 "unexpected argument 'extra'" extra
pbd_bad 2 "usage: patchbayd" --no-such-option
pbd_bad 1 "--group no-such-group-x: no such group" --group no-such-group-x
pbd_bad 1 "/nonexistent.conf: No such file" --config /nonexistent.conf
# A file that is not a socket where the control socket goes is left alone.
mkdir -p "$D/file-run" && echo keep >"$D/file-run/control.sock"
pbd_bad 1 "control.sock: exists and is not a socket" -r "$D/file-run"
expect_eq "the file in the way" "$(cat "$D/file-run/control.sock")" keep
[ -z "$(find "$D/bad-run" -type s 2>/dev/null)" ] || fail "a refused start left sockets behind"

pbd_start --workers 1
pbc add vhost:1
pbc add vhost:2
pbc patch vhost:1 vhost:2 --both
pbgen_bg echo echo "virtio:$RUN/vhost-2.sock" --wait 20 -q
pbd_wait_link vhost:2 up 10
pbgen_bg tx tx "virtio:$RUN/vhost-1.sock" -d 12 -r 100000 --wait 20 -q
pbd_wait_link vhost:1 up 10
before=$(pbd_status_snapshot)

# The CLI, one mistake at a time: usage errors (2) never reach the daemon.
pbc_err 2 "unknown command 'frobnicate'" frobnicate
pbc_err 2 "missing the port" add
pbc_err 2 "expected KEY=VALUE" add vhost:3 junk
pbc_err 2 "missing a port" patch vhost:1
pbc_err 2 "unknown flag" del vhost:1 --yes
# ... and the daemon's refusals (1).
pbc_err 1 "bad port name.*\(bad_name\)" add vhost
pbc_err 1 "bad port name" add "vhost:a/b"
pbc_err 1 "unknown port type 'vhots'.*\(unknown_type\)" add vhots:1
pbc_err 1 "port vhost:1 exists \(port_exists\)" add vhost:1
pbc_err 1 "unknown option 'color' for vhost ports.*\(bad_option\)" add vhost:3 color=red
pbc_err 1 "mtu=99999.*\(bad_option\)" add vhost:3 mtu=99999
pbc_err 1 "virtio ports need path=.*\(bad_option\)" add virtio:1
pbc_err 1 "pcap ports need rx=FILE" add pcap:1
pbc_err 1 "rx=/nonexistent.pcap" add pcap:1 rx=/nonexistent.pcap
pbc_err 1 "option size=10" add null:1 size=10
pbc_err 1 "no port vhost:9 .*\(unknown_port\)" del vhost:9
pbc_err 1 "no port vhost:9" patch vhost:1 vhost:9
pbc_err 1 "already patched.*\(patch_exists\)" patch vhost:1 vhost:2
pbc_err 1 "no patch vhost:1 -> vhost:1.*\(no_patch\)" unpatch vhost:1 vhost:1
pbc_err 1 "in use by a patch.*\(port_in_use\)" del vhost:1
pbc_err 1 "no port nope" show nope
# A port whose socket path is taken by another port.
pbc_err 1 "(in use|Address)" add vhost:3 path="$RUN/vhost-1.sock"

# The control socket, spoken to directly.
python3 - "$RUN/control.sock" <<'PY' || fail "control socket checks"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
hello = json.loads(f.readline())
assert hello["patchbay"]["protocol"] == 1, hello
def ask(raw):
    f.write(raw + b"\n"); f.flush()
    return json.loads(f.readline())
def expect(raw, code, what):
    r = ask(raw)
    assert r["ok"] is False, (what, r)
    assert r["error"]["code"] == code, (what, r)
    assert r["error"]["message"], (what, r)
    print(f"ok: {what} -> {code}: {r['error']['message']}", file=sys.stderr)
expect(b'{"cmd":"status"', "bad_json", "truncated JSON")
expect(b'not json at all', "bad_json", "not JSON")
expect(b'[1,2,3]', "bad_request", "an array")
expect(b'{"v":1,"id":7}', "bad_request", "no cmd")
expect(b'{"v":2,"cmd":"status"}', "unsupported_version", "protocol version 2")
expect(b'{"v":1,"cmd":"launch"}', "unknown_command", "unknown command")
expect(b'{"v":1,"cmd":"add","args":{"port":"vhost:5","opts":{"mtu":1500}}}', "bad_option", "option not a string")
expect(b'{"v":1,"cmd":"add","args":{"port":"vhost:5","colour":"red"}}', "bad_args", "unknown argument")
expect(b'{"v":1,"cmd":"del","args":{"port":5}}', "bad_args", "port not a string")
expect(b'{"v":1,"cmd":"add","args":"vhost:5"}', "bad_args", "args not an object")
# A request line of 1 MiB: refused as a whole, the connection still works.
f.write(b'{"v":1,"cmd":"status","args":{"pad":"' + b"x" * (1 << 20) + b'"}}\n'); f.flush()
r = json.loads(f.readline())
assert r["ok"] is False and r["error"]["code"] == "too_long", r
print("ok: 1 MiB line -> too_long", file=sys.stderr)
r = ask(b'{"v":1,"id":"x","cmd":"version"}')
assert r["ok"] is True and r["id"] == "x" and r["result"]["protocol"] == 1, r
print("ok: the same connection still answers", file=sys.stderr)
PY

after=$(pbd_status_snapshot)
expect_eq "status before and after every mistake" "$after" "$before"
# A second daemon on the same run directory refuses, and harms nothing.
out=$(timeout 10 "$PATCHBAYD" -r "$RUN" 2>&1) && fail "a second daemon started on $RUN"
grep -q "another patchbayd is serving this run directory" <<<"$out" ||
	fail "second daemon: '$out'"
log "ok: a second daemon refused: $(tail -n 1 <<<"$out")"
expect_eq "status after the second daemon's attempt" "$(pbd_status_snapshot)" "$before"
pb_wait_exit tx 30
pbgen_summary tx
expect_eq "traffic through it all: pbgen tx exit status" "$PB_RC" 0
expect_eq "lost" "$(json_num tx lost)" 0
# The table is full at 1024 ports: the next add says so.
python3 - "$RUN/control.sock" <<'PY' || fail "filling the panel"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
f.readline()
n = 0
while True:
    f.write(json.dumps({"cmd": "add", "args": {"port": f"null:{n}"}}).encode() + b"\n")
    f.flush()
    r = json.loads(f.readline())
    if not r["ok"]:
        assert r["error"]["code"] == "full", r
        print(f"ok: full after {n} null ports: {r['error']['message']}", file=sys.stderr)
        break
    n += 1
    assert n <= 1024, "more than 1024 ports"
PY
pbd_stop
# And after the daemon is gone, the CLI says so again.
pbc_err 1 "patchbayd is not running" status
pb_pass "every bad request refused with its error; nothing changed; traffic unharmed"
