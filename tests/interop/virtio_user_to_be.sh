#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# DPDK's virtio-user PMD sends to our backend:
#   dpdk-testpmd --vdev net_virtio_user0,path=SOCK,mrg_rxbuf=MRG (txonly)
#     ->  pbgen rx vhost:SOCK
# pbgen listens; testpmd connects, sends for SECS seconds and stops (its
# port stays up), pbgen drains the ring and exits after 2 s without frames.
# testpmd's frames are not pbgen frames: pbgen counts them without checking.
# TXPKTS is testpmd's --txpkts: one length, or segment lengths that add up
# to SIZE ("1000,500": each frame a chain of descriptors).
# Checks: pbgen received exactly what testpmd sent (frames and bytes), and
# at least MIN frames; no drops or peer errors; pbgen exits 0.
#
# usage: virtio_user_to_be.sh PBGEN [SIZE=64] [MRG=1] [TXPKTS=SIZE] [SECS=3] [MIN=10000]

SIZE=64
MRG=1
TXPKTS=
SECS=3
MIN=10000
OPTS= # appended to our spec
VU_OPTS= # appended to testpmd's net_virtio_user0 vdev, e.g. ",packed_vq=1"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"

pbgen_bg rx rx "vhost:$D/sock${OPTS:+,$OPTS}" --no-verify --idle-timeout 2 --wait 20 \
	--cpu "$CPU_B" -q
pb_wait_file "$D/sock" 10

tp_start vu "$CPU_A" "net_virtio_user0,path=$D/sock,mrg_rxbuf=$MRG$VU_OPTS" \
	--forward-mode=txonly --txpkts="${TXPKTS:-$SIZE}"
tp_ready vu
tp_cmd vu start
sleep "$SECS"
tp_cmd vu stop
tp_wait vu 'Accumulated forward statistics' 10

pb_wait_exit rx 20
pbgen_summary rx
tp_stats vu
expect_ge "testpmd TX-packets" "$TP_TX_PKTS" "$MIN"
expect_eq "pbgen frames_rx (= testpmd TX-packets)" "$(json_num rx frames_rx)" "$TP_TX_PKTS"
expect_eq "pbgen bytes_rx (= testpmd TX-bytes)" "$(json_num rx bytes_rx)" "$TP_TX_BYTES"
expect_eq "testpmd TX-bytes" "$TP_TX_BYTES" $((TP_TX_PKTS * SIZE))
expect_eq "pbgen port.rx_dropped" "$(json_num rx rx_dropped)" 0
expect_eq "pbgen port.peer_errors" "$(json_num rx peer_errors)" 0
expect_eq "pbgen rx exit status" "$PB_RC" 0
tp_quit vu
expect_opts_features rx "$OPTS"
expect_feature rx 15 "$MRG" # VIRTIO_NET_F_MRG_RXBUF, as testpmd was told
case "$VU_OPTS" in *packed_vq=1*) expect_feature rx 34 1 ;; esac # VIRTIO_F_RING_PACKED
pb_pass "$TP_TX_PKTS x $SIZE B frames (txpkts ${TXPKTS:-$SIZE}), DPDK net_virtio_user" \
	"(mrg_rxbuf=$MRG$VU_OPTS) -> our backend, $(json_get rx mpps) Mpps"
