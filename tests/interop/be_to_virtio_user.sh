#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Our backend sends to DPDK's virtio-user PMD:
#   pbgen tx vhost:SOCK  ->  dpdk-testpmd --vdev net_virtio_user0,path=SOCK,mrg_rxbuf=MRG (rxonly)
# pbgen listens and testpmd connects; with LISTENER=dpdk testpmd listens
# (net_virtio_user0,...,server=1: it waits for the connection before it
# starts) and pbgen connects (vhost:SOCK,client=1). pbgen sends COUNT frames
# of SIZE bytes into testpmd's receive buffers and exits. MBUF is testpmd's
# --mbuf-size: smaller than a frame (with MRG=1), each frame is spread over
# several receive buffers (num_buffers > 1).
# Checks: pbgen sent COUNT; testpmd received exactly COUNT frames and
# COUNT*SIZE bytes.
#
# Known DPDK race: the virtio PMD's port start posts its receive buffers and
# then discards whatever is already in the used ring; a frame our backend
# puts there in between is lost without being counted. pbgen sleeps while
# the ring has no buffers and is woken by the PMD's kick, which comes after
# that, so this does not happen in practice.
#
# usage: be_to_virtio_user.sh PBGEN [SIZE=64] [MRG=1] [COUNT=300000] [MBUF=default]
#                                  [LISTENER=ours|dpdk]

SIZE=64
MRG=1
COUNT=300000
MBUF=
LISTENER=ours
OPTS= # appended to our spec
VU_OPTS= # appended to testpmd's net_virtio_user0 vdev, e.g. ",packed_vq=1"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"

spec="vhost:$D/sock"
start_tp()
{
	tp_start vu "$CPU_A" "net_virtio_user0,path=$D/sock,mrg_rxbuf=$MRG$VU_OPTS$1" \
		--forward-mode=rxonly --auto-start ${MBUF:+--mbuf-size=$MBUF --enable-scatter}
}
start_pbgen()
{
	pbgen_bg tx tx "$spec${OPTS:+,$OPTS}" -n "$COUNT" -s "$SIZE" --wait 20 --cpu "$CPU_B" -q
}
case "$LISTENER" in
ours)
	start_pbgen
	pb_wait_file "$D/sock" 10
	start_tp ""
	;;
dpdk)
	spec+=",client=1"
	start_tp ",server=1"
	pb_wait_file "$D/sock" 10
	start_pbgen
	;;
*) fail "LISTENER must be ours or dpdk" ;;
esac
tp_ready vu

pb_wait_exit tx 60
pbgen_summary tx
expect_eq "pbgen tx exit status" "$PB_RC" 0
expect_eq "pbgen frames_tx" "$(json_num tx frames_tx)" "$COUNT"
expect_eq "pbgen port.tx_dropped" "$(json_num tx tx_dropped)" 0

sleep 0.5 # testpmd polls: anything still in the ring is read by now
tp_stats vu
expect_eq "testpmd RX-packets" "$TP_RX_PKTS" "$COUNT"
expect_eq "testpmd RX-bytes" "$TP_RX_BYTES" $((COUNT * SIZE))
tp_quit vu
expect_opts_features tx "$OPTS"
expect_feature tx 15 "$MRG" # VIRTIO_NET_F_MRG_RXBUF, as testpmd was told
case "$VU_OPTS" in *packed_vq=1*) expect_feature tx 34 1 ;; esac # VIRTIO_F_RING_PACKED
pb_pass "$COUNT x $SIZE B frames, our backend -> DPDK net_virtio_user" \
	"(mrg_rxbuf=$MRG$VU_OPTS${MBUF:+, $MBUF-byte mbufs}, $LISTENER listens)"
