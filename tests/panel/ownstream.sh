#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# ownstream.sh - `pbgen rx --stream ID -n N` counts its own stream only:
#
#   pbgen tx --stream 9 -n FOREIGN -> vhost:f --.
#                                                >-> vhost:r -> pbgen rx --stream 7 -n COUNT
#   pbgen tx --stream 7 -n COUNT   -> vhost:o --'
#
# The foreign sender goes first and sends more than COUNT frames, so a
# receiver that counted them towards -n would stop before its own stream
# began. It must instead report exactly COUNT own frames (frames_own), the
# other stream as foreign, nothing lost, end by "count" and exit 0.
#
# usage: ownstream.sh PBGEN PATCHBAYD=... PATCHBAY=... [COUNT=20000] [FOREIGN=30000]

COUNT=20000
FOREIGN=30000
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

pbd_start
pbc add vhost:r
pbc add vhost:f
pbc add vhost:o
pbc patch vhost:f vhost:r
pbc patch vhost:o vhost:r
# A generous idle timeout: the receiver must still be waiting for its own
# stream when the foreign sender has finished.
pbgen_bg rx rx "virtio:$RUN/vhost-r.sock" --stream 7 -n "$COUNT" --wait 20 --idle-timeout 10 -q
pbd_wait_link vhost:r up 10

pbgen_bg foreign tx "virtio:$RUN/vhost-f.sock" --stream 9 -n "$FOREIGN" --wait 20 -q
pb_wait_exit foreign 40
expect_eq "foreign sender exit status" "$PB_RC" 0
# Every foreign frame handed to the receiver, and the receiver still there
# (before the fix it stopped at COUNT frames of the other stream).
for ((i = 0; i < 100; i++)); do
	pb_alive rx || fail "pbgen rx ended on the other stream's frames: $(cat "$D/rx.log" "$D/rx.json")"
	[ "$(pbd_stat vhost:r tx_frames)" -ge "$FOREIGN" ] && break
	sleep 0.1
done
expect_eq "vhost:r tx_frames (the foreign stream)" "$(pbd_stat vhost:r tx_frames)" "$FOREIGN"

pbgen_bg own tx "virtio:$RUN/vhost-o.sock" --stream 7 -n "$COUNT" --wait 20 -q
pb_wait_exit own 40
expect_eq "own sender exit status" "$PB_RC" 0
pb_wait_exit rx 20
pbgen_summary rx
expect_eq "pbgen rx exit status" "$PB_RC" 0
expect_eq "rx end" "$(json_get rx end)" count
expect_eq "rx frames_own" "$(json_num rx frames_own)" "$COUNT"
expect_eq "rx foreign" "$(json_num rx foreign)" "$FOREIGN"
expect_eq "rx frames_rx (everything)" "$(json_num rx frames_rx)" $((COUNT + FOREIGN))
expect_eq "rx lost" "$(json_num rx lost)" 0
expect_eq "rx corrupted" "$(json_num rx corrupted)" 0
grep -q "^pbgen: $FOREIGN foreign frames" "$D/rx.log" ||
	fail "rx did not report the foreign frames on stderr: $(cat "$D/rx.log")"
expect_eq "vhost:r drops.no_buffer" "$(pbd_stat vhost:r drops.no_buffer)" 0
pbd_stop
pb_pass "rx -n $COUNT --stream 7: $COUNT own frames counted, $FOREIGN of stream 9 apart"
