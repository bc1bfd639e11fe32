#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# crash.sh - a container's app crashes in the middle of a running chain:
#
#   tx ─▶ vhost:src ══▶ vhost:fwd0 ─▶ l2fwd ─▶ vhost:fwd1 ══▶ vhost:dst ─▶ rx
#
# The l2fwd app is killed with SIGKILL. Its pbrun reports 137 and cleans
# up; the sender, the receiver and patchbayd go on; a new l2fwd instance
# takes the same ports and frames flow again (the receiver sees a gap, and
# nothing out of order or corrupted). Then pbrun itself is killed with
# SIGKILL: its container dies with it, and the next pbrun removes what it
# left (its instance directory and the port it made).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=crash
pb_init "$@"
pbd_start
for p in src fwd0 fwd1 dst; do pbc add "vhost:$p"; done
pbc patch vhost:src vhost:fwd0
pbc patch vhost:fwd1 vhost:dst

pbr_bg rx --port vhost:dst -- "$PBGEN" rx 'virtio:{port0}' -q --persist
pbr_bg fwd1 --port vhost:fwd0 --port vhost:fwd1 -- "$L2FWD" 'virtio:{port0}' 'virtio:{port1}'
pbd_wait_link vhost:dst up 20
pbd_wait_link vhost:fwd1 up 20
pbr_bg tx --port vhost:src -- "$PBGEN" tx 'virtio:{port0}' -q -r 200000 -d 60 --persist
pbd_wait_stat vhost:dst tx_frames 20000 20

app=$(pgrep -f "^/opt/pbrun/$(basename "$L2FWD") ")
[ -n "$app" ] || fail "the l2fwd app's process is not found"
log "kill -KILL the l2fwd app (pid $app)"
kill -KILL "$app"
pb_wait_exit fwd1 10
expect_eq "pbrun's status for an app killed by SIGKILL" "$PB_RC" 137
pbd_wait_link vhost:fwd0 down 10
before=$(pbd_stat vhost:dst tx_frames)
pb_alive tx || fail "the sender died with the forwarder"
pb_alive rx || fail "the receiver died with the forwarder"
pb_alive patchbayd || fail "patchbayd died with the forwarder"
[ ! -e "$RUN/pbrun/fwd1" ] || fail "the crashed instance's directory is left"

pbr_bg fwd2 --port vhost:fwd0 --port vhost:fwd1 -- "$L2FWD" 'virtio:{port0}' 'virtio:{port1}'
pbd_wait_link vhost:fwd0 up 20
pbd_wait_stat vhost:dst tx_frames $((before + 20000)) 20
log "frames flow again: $(pbd_stat vhost:dst tx_frames) after $before at the crash"
pbr_stop tx
pbr_stop rx
expect_eq "receiver: out of order" "$(json_num rx reordered)" 0
expect_eq "receiver: corrupted" "$(json_num rx corrupted)" 0
expect_ge "receiver: frames" "$(json_num rx frames_rx)" $((before + 20000))
pbr_stop fwd2

# pbrun itself killed: nothing outlives it for long.
pbr_bg orphan --port vhost -- "$ECHO" 'virtio:{port0}'
pbd_wait_link vhost:orphan.0 up 20
pb_kill9 orphan
for ((i = 0; i < 50; i++)); do
	pgrep -f "^/opt/pbrun/$(basename "$ECHO") " >/dev/null || break
	sleep 0.1
done
pgrep -f "^/opt/pbrun/$(basename "$ECHO") " >/dev/null && fail "the app outlived its pbrun"
[ -d "$RUN/pbrun/orphan" ] || fail "expected the killed pbrun's directory to be left (it could not clean up)"
sleep 2 # a directory younger than 2 s may be another pbrun's, mid-claim
"$PBRUN" -r "$RUN" --name next -- /bin/true 2>"$D/next.log" || fail "pbrun /bin/true failed: $(cat "$D/next.log")"
grep -q 'removed what instance orphan left behind' "$D/next.log" || fail "no word of the reaping: $(cat "$D/next.log")"
[ ! -e "$RUN/pbrun/orphan" ] || fail "the killed pbrun's directory is still there"
pbc_err 1 unknown_port show vhost:orphan.0
pbd_stop
pb_pass "the chain outlived a crashed forwarder and took a new one; a killed pbrun was reaped"
