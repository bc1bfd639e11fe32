#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Our frontend sends to DPDK's vhost PMD:
#   pbgen tx virtio:SOCK  ->  dpdk-testpmd --vdev net_vhost0,iface=SOCK (rxonly)
# testpmd listens; pbgen connects, sends COUNT frames of SIZE bytes and exits.
# Checks: pbgen sent COUNT; testpmd received exactly COUNT frames and
# COUNT*SIZE bytes (the vhost PMD counts frame bytes, without the virtio-net
# header).
#
# usage: fe_to_vhost.sh PBGEN [SIZE=64] [COUNT=300000] [OPTS=spec options]

SIZE=64
COUNT=300000
OPTS= # appended to our spec, e.g. event-idx=0
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"

tp_start vh "$CPU_A" "net_vhost0,iface=$D/sock" --forward-mode=rxonly --auto-start
tp_ready vh
pb_wait_file "$D/sock" 10

pbgen_bg tx tx "virtio:$D/sock${OPTS:+,$OPTS}" -n "$COUNT" -s "$SIZE" --cpu "$CPU_B" -q
pb_wait_exit tx 60
pbgen_summary tx
expect_eq "pbgen tx exit status" "$PB_RC" 0
expect_eq "pbgen frames_tx" "$(json_num tx frames_tx)" "$COUNT"
expect_eq "pbgen bytes_tx" "$(json_num tx bytes_tx)" $((COUNT * SIZE))
expect_eq "pbgen port.tx_dropped" "$(json_num tx tx_dropped)" 0

sleep 0.5 # testpmd polls: anything still in the ring is read by now
tp_stats vh
expect_eq "testpmd RX-packets" "$TP_RX_PKTS" "$COUNT"
expect_eq "testpmd RX-bytes" "$TP_RX_BYTES" $((COUNT * SIZE))
tp_quit vh
expect_opts_features tx "$OPTS"
pb_pass "$COUNT x $SIZE B frames, our frontend${OPTS:+ ($OPTS)} -> DPDK net_vhost"
