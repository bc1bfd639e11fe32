#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# patchbay capture: pbgen tx -> vhost:1 -> vhost:2 -> pbgen rx, with
# captures on the ports, read back by Wireshark's tshark and capinfos.
#   MODE=files:    vhost:1 dir=rx count=N in the foreground (ends by itself)
#                  and vhost:2 dir=tx snaplen=64 in the background: exactly N
#                  frames each, with their lengths, cut lengths and direction
#                  flags; stdout mode piped into `tshark -r -`; a ring of
#                  files rotates, each file valid; `capture stop PORT`;
#                  Ctrl-C (SIGINT) of the CLI and a SIGKILLed CLI each end
#                  theirs, and nothing is left (capture show empty, no
#                  writer thread).
#   MODE=bad:      an unwritable path, a port that does not exist, bad dir=,
#                  snaplen=, count=, ring=, buffer=, an unknown option: each a
#                  clear error, nothing started.
#   MODE=overload: a capture into a pipe nobody reads drops and counts what
#                  does not fit, while the stream under it loses nothing and
#                  keeps its rate (at least half of the same run uncaptured).
#
# usage: capture.sh PBGEN PATCHBAYD=... PATCHBAY=... [MODE=files|bad|overload]
#        [COUNT=20000] [SIZE=200]

MODE=files
COUNT=20000
SIZE=200
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"
command -v tshark >/dev/null || fail "tshark not found (scripts/setup.sh installs it)"
command -v capinfos >/dev/null || fail "capinfos not found (package tshark)"

# tshark as root warns on stderr; its output is what counts.
tsh() { tshark "$@" 2>>"$D/tshark.log"; }

# frames FILE: how many frames tshark reads.
frames() { tsh -r "$1" -T fields -e frame.number | wc -l; }

# shape FILE: "COUNT LEN CAPLEN FLAGS" lines, one per kind of frame.
shape() { tsh -r "$1" -T fields -e frame.len -e frame.cap_len -e frame.packet_flags_direction | sort | uniq -c | awk '{print $1, $2, $3, $4}'; }

valid() { capinfos "$1" >>"$D/capinfos.log" 2>&1 || fail "capinfos refuses $1"; }

daemon_pid() { tr -d ' \n' <"/proc/${PB_PID[patchbayd]}/task/${PB_PID[patchbayd]}/children"; }

# threads: how many threads the daemon runs.
threads() { find "/proc/$(daemon_pid)/task" -mindepth 1 -maxdepth 1 | wc -l; }

# writers: the capture writer threads the daemon runs now.
writers() { cat "/proc/$(daemon_pid)"/task/*/comm | grep -c '^pb-cap' || true; }

# ncaptures: how many captures the daemon lists.
ncaptures() { pbd_json capture show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["captures"]))'; }

# cap_field ID KEY: a field of capture ID as listed.
cap_field()
{
	pbd_json capture show | python3 -c '
import json, sys
for c in json.load(sys.stdin)["captures"]:
    if c["id"] == int(sys.argv[1]):
        print(c[sys.argv[2]])' "$1" "$2"
}

# first_field KEY: a field of the first capture listed.
first_field()
{
	pbd_json capture show | python3 -c '
import json, sys
print(json.load(sys.stdin)["captures"][0][sys.argv[1]])' "$1"
}

# wait_until WHAT SECS COMMAND...: until COMMAND succeeds.
wait_until()
{
	local what=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	fail "$what: not within $secs s"
}

# written_at_least N: the first capture listed has written N frames.
# shellcheck disable=SC2317 # these two are called through wait_until
written_at_least() { [ "$(first_field frames)" -ge "$1" ]; }
# shellcheck disable=SC2317
no_captures() { [ "$(ncaptures)" = 0 ]; }

expect_nothing_left()
{
	expect_eq "captures listed ($1)" "$(ncaptures)" 0
	expect_eq "writer threads ($1)" "$(writers)" 0
}

# send N: pbgen tx N frames of SIZE into vhost:1, pbgen rx takes them at vhost:2.
send()
{
	pbgen_bg rx rx "virtio:$RUN/vhost-2.sock" -n "$1" -s "$SIZE" --wait 20 --idle-timeout 5 -q
	pbd_wait_link vhost:2 up 10
	pbgen_bg tx tx "virtio:$RUN/vhost-1.sock" -n "$1" -s "$SIZE" --wait 20 -q
	pb_wait_exit tx 60
	expect_eq "pbgen tx exit status" "$PB_RC" 0
	pb_wait_exit rx 30
	expect_eq "pbgen rx exit status" "$PB_RC" 0
	expect_eq "frames at pbgen rx" "$(json_num rx frames_rx)" "$1"
	expect_eq "lost at pbgen rx" "$(json_num rx lost)" 0
}

# cli_bg NAME ARGS...: the CLI in the background in $D, stderr in NAME.log. Not
# under timeout(1): the test sends it SIGINT and SIGKILL itself (the CLI
# sets its own SIGINT handler, so the shell's ignoring it for a background
# job does not matter).
cli_bg()
{
	local name=$1
	shift
	log "start $name: patchbay $*"
	(cd "$D" && exec "$PATCHBAY" -r "$RUN" "$@" >"$D/$name.out" 2>"$D/$name.log") &
	pb_track "$name" $!
}

# wait_capture N: until N captures are listed.
wait_capture()
{
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(ncaptures)" -ge "$1" ] && return 0
		sleep 0.05
	done
	fail "not $1 capture(s) listed within 5 s"
}

pbd_start --workers 1
pbc add vhost:1
pbc add vhost:2
pbc patch vhost:1 vhost:2
BASE_THREADS=$(threads)
expect_ge "daemon threads (main, worker, link)" "$BASE_THREADS" 3

case "$MODE" in
files)
	# 1. rx of vhost:1 in the foreground, ending at count; tx of vhost:2,
	#    cut to 64 bytes, in the background.
	cli_bg fg capture vhost:1 rx.pcapng dir=rx count="$COUNT"
	wait_capture 1
	out=$(cd "$D" && "$PATCHBAY" -r "$RUN" capture vhost:2 tx.pcapng dir=tx snaplen=64 --background) ||
		fail "capture --background failed: $out"
	log "$out"
	BG=$(grep -o 'capture [0-9]*' <<<"$out" | head -n 1 | cut -d' ' -f2)
	pbc capture show
	send "$COUNT"
	pb_wait_exit fg 20
	expect_eq "foreground capture with count= exit status" "$PB_RC" 0
	grep -q "$COUNT frames" "$D/fg.log" || fail "the CLI did not report $COUNT frames: $(cat "$D/fg.log")"
	[ -f "$D/rx.pcapng" ] || fail "the relative file was not made in the CLI's directory"
	valid "$D/rx.pcapng"
	expect_eq "rx capture: frames, lengths, inbound flag" "$(shape "$D/rx.pcapng")" \
		"$COUNT $SIZE $SIZE 0x00000001"
	expect_eq "rx capture: interface name" \
		"$(tsh -r "$D/rx.pcapng" -T fields -e frame.interface_name -c 1)" "vhost:1"
	wait_until "the background capture to write $COUNT frames" 10 written_at_least "$COUNT"
	pbc capture show
	expect_eq "tx capture's drops" "$(cap_field "$BG" dropped)" 0
	pbc capture stop vhost:2
	valid "$D/tx.pcapng"
	expect_eq "tx capture: frames, snaplen 64, outbound flag" "$(shape "$D/tx.pcapng")" \
		"$COUNT $SIZE 64 0x00000002"
	expect_eq "tx capture: snaplen in the IDB" \
		"$(capinfos -I "$D/tx.pcapng" | grep -c 'Capture length = 64$')" 1
	expect_nothing_left "after count= and capture stop PORT"

	# 2. stdout into tshark, both directions of vhost:1 (it only receives).
	"$PATCHBAY" -r "$RUN" capture vhost:1 - count="$COUNT" 2>"$D/pipe-cli.log" |
		tshark -r - -T fields -e frame.len -e frame.packet_flags_direction \
			>"$D/pipe.txt" 2>>"$D/tshark.log" &
	pb_track pipe $!
	wait_capture 1
	send "$COUNT"
	pb_wait_exit pipe 20
	expect_eq "patchbay capture - | tshark -r - exit status" "$PB_RC" 0
	expect_eq "frames through the pipe" "$(sort "$D/pipe.txt" | uniq -c | awk '{print $1, $2, $3}')" \
		"$COUNT $SIZE 0x00000001"
	expect_nothing_left "after stdout mode"

	# 3. A ring of 3 files of 64 KiB: rotates, the oldest overwritten, each
	#    file a valid pcapng of at most 64 KiB.
	cli_bg ring capture vhost:1 "$D/ring.pcapng" ring=64k,3
	wait_capture 1
	send "$COUNT"
	wait_until "the ring to write $COUNT frames" 10 written_at_least "$COUNT"
	kill -INT "${PB_PID[ring]}"
	pb_wait_exit ring 10
	expect_eq "ring capture after Ctrl-C: exit status" "$PB_RC" 0
	total=0
	for i in 0 1 2; do
		f="$D/ring.pcapng.$i"
		[ -s "$f" ] || fail "ring file $f missing or empty"
		valid "$f"
		n=$(frames "$f")
		[ "$n" -ge 1 ] || fail "ring file $f holds no frame"
		[ "$(stat -c %s "$f")" -le 65536 ] || fail "ring file $f is over 64 KiB"
		total=$((total + n))
	done
	[ -e "$D/ring.pcapng.3" ] && fail "a fourth ring file"
	[ "$total" -lt "$COUNT" ] || fail "the ring kept all $COUNT frames: it did not rotate"
	log "ok: 3 ring files, $total frames of $COUNT kept, each valid"
	expect_nothing_left "after Ctrl-C"

	# 4. Ctrl-C of a plain capture: what was sent is in the file; a
	#    SIGKILLed CLI: its connection closes and the daemon stops the capture.
	cli_bg int capture vhost:1 "$D/int.pcapng"
	wait_capture 1
	send "$COUNT"
	wait_until "the capture to write $COUNT frames" 10 written_at_least "$COUNT"
	kill -INT "${PB_PID[int]}"
	pb_wait_exit int 10
	expect_eq "capture after Ctrl-C: exit status" "$PB_RC" 0
	expect_eq "frames after Ctrl-C" "$(frames "$D/int.pcapng")" "$COUNT"
	expect_nothing_left "after Ctrl-C"
	cli_bg kill9 capture vhost:1 "$D/kill9.pcapng"
	wait_capture 1
	kill -KILL "${PB_PID[kill9]}"
	wait "${PB_PID[kill9]}" 2>/dev/null
	wait_until "the daemon to stop a capture whose CLI died" 5 no_captures
	valid "$D/kill9.pcapng"
	expect_nothing_left "after SIGKILL of the CLI"
	expect_eq "daemon threads" "$(threads)" "$BASE_THREADS"
	pbd_stop
	pb_pass "captures read back by tshark: count, snaplen, directions, stdout, ring, stop, Ctrl-C"
	;;
bad)
	pbc_err 1 "cannot write /nonexistent/x.pcapng: No such file" capture vhost:1 /nonexistent/x.pcapng
	mkdir "$D/adir"
	pbc_err 1 "cannot write $D/adir: Is a directory" capture vhost:1 "$D/adir"
	pbc_err 1 "cannot write $D/adir/nope/r.0" capture vhost:1 "$D/adir/nope/r" ring=1m,2
	pbc_err 1 "no port vhost:9" capture vhost:9 "$D/x.pcapng"
	pbc_err 2 "dir: expected rx, tx or both" capture vhost:1 "$D/x.pcapng" dir=up
	pbc_err 2 "snaplen: expected 1..262144" capture vhost:1 "$D/x.pcapng" snaplen=0
	pbc_err 2 "snaplen: expected 1..262144" capture vhost:1 "$D/x.pcapng" snaplen=300000
	pbc_err 2 "count: expected a number" capture vhost:1 "$D/x.pcapng" count=0
	pbc_err 2 "count: expected a number" capture vhost:1 "$D/x.pcapng" count=12x
	pbc_err 2 "ring: expected SIZE,FILES" capture vhost:1 "$D/x.pcapng" ring=1m
	pbc_err 2 "ring: expected SIZE,FILES: SIZE 4k" capture vhost:1 "$D/x.pcapng" ring=1k,3
	pbc_err 2 "FILES 2..1000" capture vhost:1 "$D/x.pcapng" ring=1m,1
	pbc_err 2 "buffer: expected 64k..1g" capture vhost:1 "$D/x.pcapng" buffer=2g
	pbc_err 2 "unknown option 'speed'" capture vhost:1 "$D/x.pcapng" speed=9
	pbc_err 2 "missing the file" capture vhost:1
	pbc_err 2 "ring= rotates files, not stdout" capture vhost:1 - ring=1m,2
	pbc_err 1 "no capture 7" capture stop 7
	# The daemon checks the same for any client (here the raw protocol).
	python3 - "$RUN/control.sock" "$D/x" <<'PY' || fail "the protocol accepted a bad capture"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
x = sys.argv[2]  # a path of the test's own: a refused capture must not make it
f.readline()
def ask(args):
    f.write(json.dumps({"cmd": "capture", "args": args}) + "\n"); f.flush()
    return json.loads(f.readline())
for args, code in [
        ({"port": "vhost:1", "file": "rel.pcapng"}, "bad_args"),
        ({"port": "vhost:1", "file": "-"}, "bad_args"),
        ({"port": "vhost:1", "file": x, "snaplen": 0}, "bad_option"),
        ({"port": "vhost:1", "file": x, "dir": "up"}, "bad_option"),
        ({"port": "vhost:1", "file": x, "ring": {"size": 100, "files": 3}}, "bad_option"),
        ({"port": "vhost:1", "file": x, "ring": {"size": 8192}}, "bad_option"),
        ({"port": "vhost:1", "file": x, "count": -1}, "bad_option"),
        ({"port": "vhost:1", "file": x, "speed": 1}, "bad_args"),
        ({"op": "dance"}, "bad_args"),
        ({"op": "stop", "id": 0}, "bad_args")]:
    r = ask(args)
    assert not r["ok"] and r["error"]["code"] == code, (args, r)
    print("ok:", args, "->", r["error"]["code"], r["error"]["message"], file=sys.stderr)
PY
	[ -e "$D/x" ] && fail "a refused capture made a file"
	[ -e "$D/x.pcapng" ] && fail "a refused capture made a file"
	expect_nothing_left "after the refusals"
	expect_eq "daemon threads" "$(threads)" "$BASE_THREADS"
	pbd_stop
	pb_pass "bad captures refused with clear errors; nothing started"
	;;
overload)
	COUNT=1000000
	SIZE=64
	send "$COUNT"
	base=$(json_get tx mpps)
	# A pipe whose reader never reads: the writer cannot write, the 64 KiB
	# buffer fills, the rest is dropped and counted.
	# shellcheck disable=SC2216 # a reader that does not read is the point
	"$PATCHBAY" -r "$RUN" capture vhost:1 - buffer=64k 2>"$D/stuck-cli.log" | sleep 60 &
	pb_track stuck $!
	wait_capture 1
	# The best of two runs under it against the run without (the VM's
	# vCPUs are noisy; a capture that slowed the stream would lose both).
	send "$COUNT"
	under=$(json_get tx mpps)
	send "$COUNT"
	under=$(python3 -c 'import sys; print(max(map(float, sys.argv[1:])))' "$under" "$(json_get tx mpps)")
	log "rate uncaptured $base Mpps, under a stuck capture $under Mpps (best of 2)"
	python3 -c "import sys; b, u = map(float, sys.argv[1:]); sys.exit(0 if u >= 0.5 * b else 1)" \
		"$base" "$under" || fail "the stuck capture slowed the stream: $under Mpps, not >= half of $base"
	id=$(first_field id)
	dropped=$(cap_field "$id" dropped)
	expect_ge "frames the stuck capture dropped" "$dropped" 1
	res=$(pbd_json capture stop "$id")
	log "$res"
	read -r written lost < <(python3 -c 'import json,sys; c=json.load(sys.stdin)["stopped"][0]; print(c["frames"], c["dropped"])' <<<"$res")
	expect_eq "written + dropped" $((written + lost)) $((2 * COUNT))
	expect_eq "pbgen's frames at vhost:1" "$(pbd_stat vhost:1 rx_frames)" $((3 * COUNT))
	expect_nothing_left "after stopping a stuck capture"
	pbd_stop
	pb_pass "a stuck capture: $lost of $((2 * COUNT)) frames dropped and counted, none of the stream lost, its rate kept ($under vs $base Mpps)"
	;;
*) fail "MODE must be files, bad or overload" ;;
esac
