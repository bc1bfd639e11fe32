#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Our frontend sends to DPDK's vhost PMD:
#   pbgen tx virtio:SOCK  ->  dpdk-testpmd --vdev net_vhost0,iface=SOCK (rxonly)
# testpmd listens and pbgen connects; with LISTENER=ours pbgen listens
# (virtio:SOCK,server=1) and testpmd connects (net_vhost0,...,client=1).
# pbgen sends COUNT frames of SIZE bytes and exits.
# Checks: pbgen sent COUNT; testpmd received exactly COUNT frames and
# COUNT*SIZE bytes (the vhost PMD counts frame bytes, without the virtio-net
# header).
#
# usage: fe_to_vhost.sh PBGEN [SIZE=64] [COUNT=300000] [LISTENER=dpdk|ours] [OPTS=spec options]

SIZE=64
COUNT=300000
LISTENER=dpdk
OPTS= # appended to our spec, e.g. event-idx=0
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"

spec="virtio:$D/sock"
start_tp()
{
	tp_start vh "$CPU_A" "net_vhost0,iface=$D/sock$1" --forward-mode=rxonly --auto-start
	tp_ready vh
}
start_pbgen()
{
	pbgen_bg tx tx "$spec${OPTS:+,$OPTS}" -n "$COUNT" -s "$SIZE" --wait 20 --cpu "$CPU_B" -q
}
case "$LISTENER" in
dpdk)
	start_tp ""
	pb_wait_file "$D/sock" 10
	start_pbgen
	;;
ours)
	spec+=",server=1"
	start_pbgen
	pb_wait_file "$D/sock" 10
	start_tp ",client=1"
	;;
*) fail "LISTENER must be dpdk or ours" ;;
esac
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
pb_pass "$COUNT x $SIZE B frames, our frontend${OPTS:+ ($OPTS)} -> DPDK net_vhost ($LISTENER listens)"
