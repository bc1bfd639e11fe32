#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A frontend that pulls its memory from under the daemon breaks only its
# own port. DPDK's testpmd (net_virtio_user, rxonly) on vhost:1 receives
# from pbgen through vhost:2; a second patch vhost:3 -> vhost:4 carries
# another pbgen stream on the same worker. testpmd is frozen (SIGSTOP) and
# its memory file (memfd, which DPDK does not seal) truncated to 0 bytes:
# the daemon's next copy into vhost:1's buffers raises SIGBUS.
# Checks: the daemon lives; vhost:1 counts a fault and goes down; the other
# stream arrives whole; a new frontend on vhost:1 gets traffic again.
#
# usage: fault.sh PBGEN PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

pbd_start --workers 1 --cpus "$CPU_B"
for i in 1 2 3 4; do pbc add vhost:$i; done
pbc patch vhost:2 vhost:1
pbc patch vhost:3 vhost:4
tp_start vu "$CPU_A" "net_virtio_user0,path=$RUN/vhost-1.sock" --forward-mode=rxonly --auto-start
tp_ready vu
pbd_wait_link vhost:1 up 10
pbgen_bg rx4 rx "virtio:$RUN/vhost-4.sock" -n 600000 --wait 20 --idle-timeout 5 -q
pbd_wait_link vhost:4 up 10
pbgen_bg tx2 tx "virtio:$RUN/vhost-2.sock" --persist -d 10 -r 100000 --wait 20 -q
pbd_wait_stat vhost:1 tx_frames 50000 10
pbgen_bg tx3 tx "virtio:$RUN/vhost-3.sock" -n 600000 -r 200000 --wait 20 -q

tp_pid=$(tr ' ' '\n' <"/proc/${PB_PID[vu]}/task/${PB_PID[vu]}/children" | head -n 1)
# stdbuf execs testpmd: the child of timeout is testpmd itself.
[ "$(cat "/proc/$tp_pid/comm")" = dpdk-testpmd ] || fail "testpmd's pid not found ($tp_pid)"
kill -STOP "$tp_pid"
n=0
for fd in /proc/"$tp_pid"/fd/*; do
	if [[ "$(readlink "$fd")" == /memfd:* ]]; then
		truncate -s 0 "$fd" || fail "truncating $(readlink "$fd")"
		n=$((n + 1))
	fi
done
expect_ge "testpmd memory files truncated" "$n" 1
pbd_wait_stat vhost:1 faults 1 10
pbd_wait_link vhost:1 down 10
pbc version >/dev/null
log "ok: the daemon lives; vhost:1 broke"
grep -q 'memory faulted' "$D/patchbayd.log" || fail "no log line for the fault"
kill -KILL "$tp_pid"
kill -CONT "$tp_pid" 2>/dev/null

# The other patch on the same worker never noticed.
pb_wait_exit tx3 30
pb_wait_exit rx4 30
pbgen_summary rx4
expect_eq "the other stream, whole" "$(json_num rx4 frames_rx)" 600000
expect_eq "its losses" "$(json_num rx4 lost)" 0
# vhost:1 takes a new frontend, and traffic from vhost:2 reaches it.
pbgen_bg rx1 rx "virtio:$RUN/vhost-1.sock" -n 20000 --wait 20 --idle-timeout 5 -q
pb_wait_exit rx1 20
expect_eq "a new frontend on the broken port receives" "$(json_num rx1 frames_rx)" 20000
expect_ge "vhost:1 peer counted as broken" "$(pbd_stat vhost:1 peer_errors)" 1
pbd_stop
pb_pass "a truncated memory file broke its own port only (SIGBUS caught), and the port recovered"
