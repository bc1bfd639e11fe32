#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# twins.sh - the same app twice, side by side, with nothing told apart by
# hand: no --name (random instance names), "--port vhost" (ports named
# after the instance, made by pbrun and deleted when it ends), and two DPDK
# testpmds with the same command line, without --file-prefix or hugepages,
# which on a plain host clash on their runtime files.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=twins
pb_init "$@"
pbd_start

ports_like() { pbd_json status | python3 -c '
import json, sys
print(" ".join(p["name"] for p in json.load(sys.stdin)["ports"] if p["name"].startswith(sys.argv[1])))' "$1"; }

# Two echo containers, identical command lines.
for i in 1 2; do
	log "start echo$i: pbrun --port vhost -- example_echo virtio:{port0}"
	timeout -s KILL "$PB_PROC_LIMIT" "$PBRUN" -r "$RUN" --port vhost -- "$ECHO" 'virtio:{port0}' \
		>"$D/echo$i.out" 2>&1 &
	pb_track "echo$i" $!
done
for ((i = 0; i < 100; i++)); do
	read -r -a made <<<"$(ports_like vhost:pb-)"
	[ "${#made[@]}" -eq 2 ] && break
	sleep 0.1
done
[ "${#made[@]}" -eq 2 ] || fail "expected two ports vhost:pb-XXXXXXXX.0, have: ${made[*]}"
[ "${made[0]}" != "${made[1]}" ] || fail "two instances got one name"
log "the twins' ports: ${made[*]}"

# Ping through each: the host's pbgen on its own port, patched both ways.
n=0
for p in "${made[@]}"; do
	n=$((n + 1))
	pbd_wait_link "$p" up 20
	pbc add "vhost:probe$n"
	pbc patch "vhost:probe$n" "$p" --both
	"$PBGEN" ping "virtio:$RUN/vhost-probe$n.sock" -q -n 1000 -w 10 >"$D/ping$n.json" 2>"$D/ping$n.log" ||
		fail "ping through $p: $(tail -n 2 "$D/ping$n.log")"
	expect_eq "pings answered through $p" "$(json_num "ping$n" frames_rx)" 1000
done

for i in 1 2; do
	pbr_stop "echo$i"
	expect_eq "echo$i's exit status after SIGTERM" "$PB_RC" 0
	grep -q 'echo: rx 1000 frames, tx 1000 frames' "$D/echo$i.out" || fail "echo$i's count: $(cat "$D/echo$i.out")"
done
expect_eq "ports left of the twins" "$(ports_like vhost:pb-)" ""
expect_eq "instance directories left" "$(find "$RUN/pbrun" -mindepth 1 | wc -l)" 0

# Two testpmds, one command line, no --file-prefix.
pbc add null:sink
for t in 1 2; do
	pbc add "vhost:t$t"
	pbc patch "vhost:t$t" null:sink
	log "start testpmd$t"
	timeout -s KILL "$PB_PROC_LIMIT" "$PBRUN" -r "$RUN" --port "vhost:t$t" -- \
		dpdk-testpmd --no-huge -m 256 --no-pci --lcores "0@$CPU_A,1@$CPU_A" \
		--vdev 'net_virtio_user0,path={port0}' -- --forward-mode=txonly --auto-start \
		--stats-period 1 --no-mlockall --total-num-mbufs=8192 >"$D/testpmd$t.out" 2>&1 &
	pb_track "testpmd$t" $!
done
pbd_wait_stat vhost:t1 rx_frames 10000 60
pbd_wait_stat vhost:t2 rx_frames 10000 60
pb_alive testpmd1 || fail "testpmd1 exited: $(tail -n 5 "$D/testpmd1.out")"
pb_alive testpmd2 || fail "testpmd2 exited: $(tail -n 5 "$D/testpmd2.out")"
pbr_stop testpmd1
pbr_stop testpmd2
pbd_stop
pb_pass "two echo twins answered 1000 pings each; two testpmds ran side by side without --file-prefix"
