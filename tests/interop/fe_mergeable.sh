#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Mergeable receive buffers in the frontend role, against DPDK's vhost PMD
# with small mbufs:
#   fe_merge_peer virtio:A  ->  testpmd net_vhost0 (A) = io => net_vhost1 (B)  ->  virtio:B
# and back the other way. testpmd runs two vhost ports paired (what comes
# in on one goes out on the other) in io retry mode, with MBUF-byte mbufs:
# every frame longer than MBUF - 128 bytes is a chain of mbufs in testpmd,
# gathered from one of our TX buffers and scattered into our RX buffers.
#
# Four runs, each a fresh pair of connections (fe_merge_peer TX RX COUNT LENS):
#  1. A (MTU 9000) -> B (MTU 1500): lengths from 60 to 9018. What fits B
#     (up to 1518 bytes) must arrive in order and intact; what does not must
#     be dropped by B and counted (rx_dropped) - above 2048 bytes DPDK spreads
#     each such frame over several of B's buffers (num_buffers > 1), so this
#     is the gather path of lib/port/virtio_port.c giving every buffer back
#     while it drops: the frames after them must still arrive.
#  2. B (MTU 1500) -> A (MTU 9000): lengths up to 1518, all intact.
#  3./4. A <-> B both at MTU 9000: jumbo frames (each a chain of up to
#     MBUF-sized pieces in testpmd) both ways, all intact.
# Checks (fe_merge_peer): every frame that fits arrives once, in order,
# byte for byte; each that does not is one rx_dropped; no peer errors.
#
# Note: a frame that fits our buffers never needs more than one of them
# (docs/ARCHITECTURE.md, "Frontend memory"), so DPDK never merges a frame we
# keep: the gather's work against a real peer is to drop jumbo frames
# cleanly. Delivered merged frames are covered by fuzz/fuzz_fe_rx_gather.c.
#
# usage: fe_mergeable.sh PBGEN FE_MERGE_PEER [MBUF=512] [COUNT=3000] [OPTS=spec options]

MBUF=512
COUNT=3000
OPTS= # appended to our specs, e.g. packed=1
PEER=$2
set -- "$1" "${@:3}"
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"
[ -x "$PEER" ] || fail "fe_merge_peer not found: $PEER"

# Two vhost ports in one testpmd: tp_start takes one --vdev; the second
# goes with the EAL arguments it passes on.
TP_EAL+=(--vdev "net_vhost1,iface=$D/b.sock")
tp_start tp "$CPU_A" "net_vhost0,iface=$D/a.sock" --port-topology=paired --mbuf-size="$MBUF"
tp_ready tp
tp_cmd tp "set fwd io retry"
tp_cmd tp "set burst tx delay 10 retry 100000"
tp_cmd tp "start"
tp_wait tp 'io packet forwarding with retry' 10
pb_wait_file "$D/a.sock" 10
pb_wait_file "$D/b.sock" 10

# run NAME TX_SPEC RX_SPEC LENS: one fe_merge_peer run; its summary is logged.
run()
{
	local name=$1 rc

	log "$name: fe_merge_peer $2 $3 $COUNT $4"
	timeout -s KILL 60 taskset -c "$CPU_B" "$PEER" "$2${OPTS:+,$OPTS}" "$3${OPTS:+,$OPTS}" \
		"$COUNT" "$4" >"$D/$name.out" 2>"$D/$name.log"
	rc=$?
	log "$name: $(cat "$D/$name.out")"
	[ "$rc" -eq 0 ] || fail "$name: fe_merge_peer exited $rc: $(tail -n 5 "$D/$name.log")"
}

a="virtio:$D/a.sock" b="virtio:$D/b.sock"
run jumbo-to-1500 "$a,mtu=9000" "$b,mtu=1500" \
	60,64,383,384,385,1000,1514,1518,1519,2048,2049,2060,4000,9018,1400,9000,100
run 1500-to-jumbo "$b,mtu=1500" "$a,mtu=9000" 60,383,384,385,767,768,769,1514,1518
run jumbo-a-to-b "$a,mtu=9000" "$b,mtu=9000" 1518,2049,4097,8000,9017,9018,60
run jumbo-b-to-a "$b,mtu=9000" "$a,mtu=9000" 9018,60,4097,1519,8191

# Both runs that receive frames spread by DPDK must have had MRG_RXBUF
# (bit 15) and, with OPTS=packed=1, packed rings (bit 34).
for r in jumbo-to-1500 jumbo-a-to-b; do
	f=$(sed -n -E 's/.*rx features (0x[0-9a-f]+).*/\1/p' "$D/$r.out")
	[[ "$f" =~ ^0x[0-9a-f]+$ ]] || fail "$r: no features in its output"
	expect_eq "$r: MRG_RXBUF negotiated ($f)" $(((f >> 15) & 1)) 1
	case ",$OPTS," in
	*,packed=1,*) expect_eq "$r: packed rings ($f)" $(((f >> 34) & 1)) 1 ;;
	*) expect_eq "$r: split rings ($f)" $(((f >> 34) & 1)) 0 ;;
	esac
done
tp_cmd tp "stop"
tp_wait tp 'Accumulated forward statistics' 10
tp_quit tp
pb_pass "4 x $COUNT frames of 60..9018 B through testpmd with $MBUF-byte mbufs${OPTS:+ ($OPTS)}"
