#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# DPDK's vhost PMD sends to our frontend:
#   dpdk-testpmd --vdev net_vhost0,iface=SOCK (txonly)  ->  pbgen rx virtio:SOCK
# testpmd listens; once pbgen is connected testpmd sends for SECS seconds
# and stops (its port stays up), pbgen drains the ring and exits after 2 s
# without frames. testpmd's frames are not pbgen frames: pbgen counts them
# (frames_rx/bytes_rx, and "foreign") without checking their content.
# TXPKTS is testpmd's --txpkts: one length, or segment lengths that add up
# to SIZE ("1000,500": each frame in two mbufs).
# Checks: pbgen received exactly what testpmd sent (frames and bytes), and
# at least MIN frames; no drops; pbgen exits 0.
#
# usage: vhost_to_fe.sh PBGEN [SIZE=64] [TXPKTS=SIZE] [SECS=3] [MIN=10000] [OPTS=spec options]

SIZE=64
TXPKTS=
SECS=3
MIN=10000
OPTS= # appended to our spec, e.g. mrg-rxbuf=0
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"

tp_start vh "$CPU_A" "net_vhost0,iface=$D/sock" --forward-mode=txonly --txpkts="${TXPKTS:-$SIZE}"
tp_ready vh
pb_wait_file "$D/sock" 10

pbgen_bg rx rx "virtio:$D/sock${OPTS:+,$OPTS}" --no-verify --idle-timeout 2 --cpu "$CPU_B" -q
tp_wait vh 'link state change event' 15
tp_cmd vh start
sleep "$SECS"
tp_cmd vh stop
tp_wait vh 'Accumulated forward statistics' 10

pb_wait_exit rx 20
pbgen_summary rx
tp_stats vh
expect_ge "testpmd TX-packets" "$TP_TX_PKTS" "$MIN"
expect_eq "pbgen frames_rx (= testpmd TX-packets)" "$(json_num rx frames_rx)" "$TP_TX_PKTS"
expect_eq "pbgen bytes_rx (= testpmd TX-bytes)" "$(json_num rx bytes_rx)" "$TP_TX_BYTES"
expect_eq "testpmd TX-bytes" "$TP_TX_BYTES" $((TP_TX_PKTS * SIZE))
expect_eq "pbgen port.rx_dropped" "$(json_num rx rx_dropped)" 0
expect_eq "pbgen port.peer_errors" "$(json_num rx peer_errors)" 0
expect_eq "pbgen rx exit status" "$PB_RC" 0
tp_quit vh
expect_opts_features rx "$OPTS"
pb_pass "$TP_TX_PKTS x $SIZE B frames, DPDK net_vhost -> our frontend${OPTS:+ ($OPTS)}," \
	"$(json_get rx mpps) Mpps"
