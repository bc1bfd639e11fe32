#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Peers and the daemon dying under traffic.
#   MODE=frontend-kill: two patches on one worker, vhost:1 -> vhost:2 and
#     vhost:3 -> vhost:4, traffic on both; the sender on vhost:1 is killed
#     with SIGKILL. The daemon and the other patch carry on (the other
#     stream arrives whole); a new sender on vhost:1 gets the same port, its
#     patch and counters, and its stream arrives whole too.
#   MODE=daemon-restart: patchbayd started with --config (the ports and the
#     patch), SIGKILLed under traffic, and started again with the same
#     --config: the pbgen frontends reconnect by themselves and traffic
#     flows through the new daemon.
#
# usage: restart.sh PBGEN PATCHBAYD=... PATCHBAY=... MODE=frontend-kill|daemon-restart

MODE=frontend-kill
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

case "$MODE" in
frontend-kill)
	pbd_start --workers 1
	for i in 1 2 3 4; do pbc add vhost:$i; done
	pbc patch vhost:1 vhost:2
	pbc patch vhost:3 vhost:4
	pbgen_bg rx2 rx "virtio:$RUN/vhost-2.sock" --wait 20 -q
	pbgen_bg rx4 rx "virtio:$RUN/vhost-4.sock" -n 600000 --wait 20 --idle-timeout 5 -q
	pbd_wait_link vhost:2 up 10
	pbd_wait_link vhost:4 up 10
	pbgen_bg tx3 tx "virtio:$RUN/vhost-3.sock" -n 600000 -r 200000 --wait 20 -q
	pbgen_bg tx1 tx "virtio:$RUN/vhost-1.sock" -d 20 -r 200000 --wait 20 -q
	pbd_wait_stat vhost:1 rx_frames 100000 10
	pb_kill9 tx1
	pbd_wait_link vhost:1 down 10
	pbc version >/dev/null
	expect_eq "vhost:2 link after vhost:1's sender died" "$(pbd_link vhost:2)" up
	before=$(pbd_stat vhost:1 rx_frames)
	# A fresh receiver counts exactly what the second sender sends.
	pb_stop_pid "${PB_PID[rx2]}" 3
	pbd_wait_link vhost:2 down 10
	pbgen_bg rx2 rx "virtio:$RUN/vhost-2.sock" -n 100000 --wait 20 --idle-timeout 20 -q
	pbd_wait_link vhost:2 up 10
	pbgen_bg tx1b tx "virtio:$RUN/vhost-1.sock" -n 100000 --wait 20 -q
	pb_wait_exit tx1b 30
	expect_eq "second sender exit status" "$PB_RC" 0
	pb_wait_exit rx2 30
	pbgen_summary rx2
	expect_eq "second sender's stream at vhost:2" "$(json_num rx2 frames_rx)" 100000
	expect_eq "its losses" "$(json_num rx2 lost)" 0
	expect_eq "vhost:1 counters kept across the reconnect" \
		"$(pbd_stat vhost:1 rx_frames)" $((before + 100000))
	expect_ge "vhost:1 connects" "$(pbd_stat vhost:1 connects)" 2
	pb_wait_exit tx3 30
	pb_wait_exit rx4 30
	pbgen_summary rx4
	expect_eq "the other patch's stream, whole" "$(json_num rx4 frames_rx)" 600000
	expect_eq "its losses" "$(json_num rx4 lost)" 0
	pbd_stop
	pb_pass "a frontend SIGKILLed mid-traffic broke nothing else; its successor got the port back"
	;;
daemon-restart)
	printf '%s\n' "# the recipe" "add vhost:1" "add vhost:2" "patch vhost:1 vhost:2" \
		>"$D/panel.conf"
	pbd_start --workers 1 --config "$D/panel.conf"
	pbgen_bg rx rx "virtio:$RUN/vhost-2.sock,reconnect-ms=200" --persist --wait 20 -q
	pbgen_bg tx tx "virtio:$RUN/vhost-1.sock,reconnect-ms=200" --persist -d 8 -r 100000 \
		--wait 20 -q
	pbd_wait_stat vhost:2 tx_frames 100000 10
	pb_kill9 patchbayd
	sleep 0.5
	pbd_start --workers 1 --config "$D/panel.conf"
	pbc status
	pbd_wait_stat vhost:2 tx_frames 100000 10
	log "ok: traffic flows through the new daemon"
	pb_wait_exit tx 30
	pbgen_summary tx
	pb_stop_pid "${PB_PID[rx]}" 3
	pbgen_summary rx
	expect_ge "frames at the receiver over both daemons" "$(json_num rx frames_rx)" 200000
	pbd_stop
	pb_pass "patchbayd SIGKILLed and restarted with --config; the frontends came back by themselves"
	;;
*) fail "MODE must be frontend-kill or daemon-restart" ;;
esac
