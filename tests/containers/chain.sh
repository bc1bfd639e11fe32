#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# chain.sh - the service chain of the demo, checked: a pbgen sender, a
# forwarder and a pbgen receiver, each in its own pbrun container, wired
# through patchbayd:
#
#   tx ─▶ vhost:src ══▶ vhost:fwd0 ─▶ FWD ─▶ vhost:fwd1 ══▶ vhost:dst ─▶ rx
#
# ENGINE=builtin|podman: the runtime. FWD=l2fwd (ours: every frame must
# arrive, in order, intact) or testpmd (DPDK's dpdk-testpmd in io mode with
# two net_virtio_user ports, unprivileged, no hugepages, no --file-prefix:
# it drops when full, so most frames must arrive, in order, intact).
# The forwarder runs under --cpus and --memory limits (cgroups). At the end
# nothing may be left: instances, sockets, mounts, processes, netns, cgroups.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=chain
ENGINE=builtin
FWD=l2fwd
COUNT=1000000
pb_init "$@"
PB_NAME=chain-$ENGINE-$FWD

pbd_start
E=(--engine "$ENGINE")
[ "$ENGINE" = podman ] && pbr_podman_conf
BEFORE=$(pbr_leftovers)

for p in src fwd0 fwd1 dst; do pbc add "vhost:$p"; done
pbc patch vhost:src vhost:fwd0
pbc patch vhost:fwd1 vhost:dst

pbr_bg rx "${E[@]}" --port vhost:dst -- "$PBGEN" rx 'virtio:{port0}' -q -n "$COUNT" --idle-timeout 5
case $FWD in
l2fwd)
	pbr_bg fwd "${E[@]}" --cpus "$CPU_B" --memory 256M --port vhost:fwd0 --port vhost:fwd1 -- \
		"$L2FWD" 'virtio:{port0}' 'virtio:{port1}'
	;;
testpmd)
	pbr_bg fwd "${E[@]}" --cpus "$CPU_B" --memory 1G --port vhost:fwd0 --port vhost:fwd1 -- \
		dpdk-testpmd --no-huge -m 512 --no-pci --lcores "0@$CPU_B,1@$CPU_B" \
		--vdev 'net_virtio_user0,path={port0}' --vdev 'net_virtio_user1,path={port1}' \
		-- --forward-mode=io --auto-start --stats-period 1 --no-mlockall \
		--total-num-mbufs=16384
	;;
*) fail "FWD=$FWD: l2fwd or testpmd" ;;
esac
pbd_wait_link vhost:dst up 60
pbd_wait_link vhost:fwd0 up 60
pbd_wait_link vhost:fwd1 up 60
pbr_bg tx "${E[@]}" --port vhost:src -- "$PBGEN" tx 'virtio:{port0}' -q -n "$COUNT"
pb_wait_exit tx 120
expect_eq "sender's exit status" "$PB_RC" 0
pb_wait_exit rx 120
got=$(json_num rx frames_rx)
expect_eq "frames out of order" "$(json_num rx reordered)" 0
expect_eq "frames corrupted" "$(json_num rx corrupted)" 0
expect_eq "frames from elsewhere" "$(json_num rx foreign)" 0
if [ "$FWD" = l2fwd ]; then
	expect_eq "receiver's exit status" "$PB_RC" 0
	expect_eq "frames received" "$got" "$COUNT"
	expect_eq "frames lost" "$(json_num rx lost)" 0
else
	expect_ge "frames received through testpmd" "$got" $((COUNT / 2))
	grep -q 'Forward statistics\|RX-packets' "$D/fwd.json" ||
		fail "testpmd printed no statistics"
fi

# The forwarder ran under its limits: a cpuset of one CPU.
pbr_stop fwd
expect_eq "forwarder's exit status after SIGTERM" "$PB_RC" 0
[ "$FWD" = l2fwd ] && { grep -q "port0 -> port1: $COUNT frames forwarded, 0 dropped" "$D/fwd.json" ||
	fail "l2fwd's own count: $(cat "$D/fwd.json")"; }

for p in src fwd0 fwd1 dst; do pbc del --force "vhost:$p"; done
AFTER=$(pbr_leftovers)
[ "$BEFORE" = "$AFTER" ] || fail "left behind: before
$BEFORE
after
$AFTER"
pbd_stop
pb_pass "$got of $COUNT frames through $FWD in $ENGINE containers, nothing left behind"
