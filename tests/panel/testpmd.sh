#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# patchbayd between DPDK 22.11's dpdk-testpmd and pbgen:
#   MODE=vu-tx:   testpmd net_virtio_user (txonly) -> vhost:1 -> vhost:2 -> pbgen rx
#   MODE=vu-rx:   pbgen tx -> vhost:1 -> vhost:2 -> testpmd net_virtio_user (rxonly)
#                 (LISTENER=dpdk: testpmd listens, vhost:2 has client=1)
#   MODE=vhost-rx: pbgen tx -> vhost:1 -> virtio:1 -> testpmd net_vhost (rxonly):
#                 patchbayd as the virtio-user driver of DPDK's vhost device
#                 (LISTENER=ours: virtio:1 has server=1, testpmd connects)
# Checks: every frame one side sent is what the other side counted, and the
# daemon's counters in between agree; no drops.
#
# usage: testpmd.sh PBGEN PATCHBAYD=... PATCHBAY=... MODE=... [SIZE=64]
#        [COUNT=300000] [LISTENER=ours|dpdk]

MODE=vu-tx
SIZE=64
COUNT=300000
LISTENER=ours
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

# The daemon's worker on CPU_B; testpmd's lcores on CPU_A.
pbd_start --workers 1 --cpus "$CPU_B"
pbc add vhost:1
case "$MODE" in
vu-tx)
	pbc add vhost:2
	pbc patch vhost:1 vhost:2
	pbgen_bg rx rx "virtio:$RUN/vhost-2.sock" --wait 20 --idle-timeout 3 -q
	pbd_wait_link vhost:2 up 10
	tp_start vu "$CPU_A" "net_virtio_user0,path=$RUN/vhost-1.sock" \
		--forward-mode=txonly --txpkts="$SIZE" --auto-start
	tp_ready vu
	pbd_wait_stat vhost:1 rx_frames "$COUNT" 30
	tp_cmd vu stop
	sleep 1
	tp_stats vu
	expect_ge "testpmd TX-packets" "$TP_TX_PKTS" "$COUNT"
	expect_eq "vhost:1 rx_frames (all testpmd sent)" "$(pbd_stat vhost:1 rx_frames)" "$TP_TX_PKTS"
	expect_eq "vhost:1 rx_bytes" "$(pbd_stat vhost:1 rx_bytes)" "$TP_TX_BYTES"
	pb_wait_exit rx 20
	pbgen_summary rx
	expect_eq "pbgen rx frames_rx" "$(json_num rx frames_rx)" "$TP_TX_PKTS"
	expect_eq "pbgen rx bytes_rx" "$(json_num rx bytes_rx)" "$TP_TX_BYTES"
	expect_eq "vhost:2 drops.no_buffer" "$(pbd_stat vhost:2 drops.no_buffer)" 0
	tp_quit vu
	;;
vu-rx)
	if [ "$LISTENER" = dpdk ]; then
		tp_start vu "$CPU_A" "net_virtio_user0,path=$D/vu.sock,server=1" \
			--forward-mode=rxonly --auto-start
		pb_wait_file "$D/vu.sock" 20
		pbc add vhost:2 path="$D/vu.sock" client=1 reconnect-ms=200
	else
		pbc add vhost:2
		tp_start vu "$CPU_A" "net_virtio_user0,path=$RUN/vhost-2.sock" \
			--forward-mode=rxonly --auto-start
	fi
	tp_ready vu
	pbc patch vhost:1 vhost:2
	pbd_wait_link vhost:2 up 20
	pbgen_bg tx tx "virtio:$RUN/vhost-1.sock" -n "$COUNT" -s "$SIZE" --wait 20 -q
	pb_wait_exit tx 60
	expect_eq "pbgen tx exit status" "$PB_RC" 0
	sleep 0.5
	tp_stats vu
	expect_eq "testpmd RX-packets" "$TP_RX_PKTS" "$COUNT"
	expect_eq "testpmd RX-bytes" "$TP_RX_BYTES" $((COUNT * SIZE))
	expect_eq "vhost:2 tx_frames" "$(pbd_stat vhost:2 tx_frames)" "$COUNT"
	tp_quit vu
	;;
vhost-rx)
	if [ "$LISTENER" = ours ]; then
		# patchbayd's virtio: port listens, DPDK's vhost device connects.
		pbc add virtio:1 path="$D/vh.sock" server=1
		tp_start vh "$CPU_A" "net_vhost0,iface=$D/vh.sock,client=1" --forward-mode=rxonly \
			--auto-start
	else
		tp_start vh "$CPU_A" "net_vhost0,iface=$D/vh.sock" --forward-mode=rxonly --auto-start
	fi
	tp_ready vh
	[ "$LISTENER" = ours ] || pbc add virtio:1 path="$D/vh.sock"
	pbd_wait_link virtio:1 up 20
	pbc patch vhost:1 virtio:1
	pbgen_bg tx tx "virtio:$RUN/vhost-1.sock" -n "$COUNT" -s "$SIZE" --wait 20 -q
	pb_wait_exit tx 60
	expect_eq "pbgen tx exit status" "$PB_RC" 0
	sleep 0.5
	tp_stats vh
	expect_eq "testpmd RX-packets" "$TP_RX_PKTS" "$COUNT"
	expect_eq "testpmd RX-bytes" "$TP_RX_BYTES" $((COUNT * SIZE))
	expect_eq "virtio:1 tx_frames" "$(pbd_stat virtio:1 tx_frames)" "$COUNT"
	pbc del virtio:1 --force
	tp_quit vh
	;;
*) fail "MODE must be vu-tx, vu-rx or vhost-rx" ;;
esac
pbd_stop
pb_pass "$MODE ($LISTENER listens), $SIZE B frames"
