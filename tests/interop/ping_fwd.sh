#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# pbgen frames through DPDK and back: testpmd forwards on its one port
# (--port-topology=loop: what comes in goes back out, unchanged) in "io
# retry" mode: when our receive ring is full it waits and retries instead of
# dropping, so nothing is lost even when a CPU is busy elsewhere.
#   fe: pbgen virtio:SOCK  <->  testpmd --vdev net_vhost0,iface=SOCK
#   be: pbgen vhost:SOCK   <->  testpmd --vdev net_virtio_user0,path=SOCK
# First pbgen ping sends one frame at a time and checks each reply; then
# pbgen tx streams COUNT frames as fast as the rings take them and verifies
# every one that comes back.
# Checks: every ping answered; every streamed frame back, none lost,
# reordered or corrupted.
#
# MBUF is testpmd's --mbuf-size: smaller than a frame, testpmd holds each
# frame in a chain of mbufs, so it is gathered from and scattered into
# several buffers on the way (mergeable receive buffers, descriptor chains).
#
# usage: ping_fwd.sh PBGEN SIDE=fe|be [SIZE=64] [PINGS=2000] [COUNT=200000] [MBUF=default] [OPTS=]

SIDE=fe
SIZE=64
PINGS=2000
COUNT=200000
MBUF=
OPTS= # appended to our spec, e.g. mrg-rxbuf=0
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"

# start_tp NAME: a forwarding testpmd on the socket, forwarding started.
start_tp()
{
	# The vhost PMD chains mbufs by itself (and rejects the scatter
	# offload); the virtio PMD needs to be asked.
	if [ "$SIDE" = fe ]; then
		tp_start "$1" "$CPU_A" "net_vhost0,iface=$D/sock" --port-topology=loop \
			${MBUF:+--mbuf-size=$MBUF}
	else
		tp_start "$1" "$CPU_A" "net_virtio_user0,path=$D/sock" --port-topology=loop \
			${MBUF:+--mbuf-size=$MBUF --enable-scatter}
	fi
	tp_ready "$1"
	tp_cmd "$1" "set fwd io retry"
	tp_cmd "$1" "set burst tx delay 10 retry 100000" # up to 1 s
	tp_cmd "$1" "start"
	tp_wait "$1" 'io packet forwarding with retry' 10
}

# run_pbgen NAME MODE ARGS...: our end. The frontend connects to a testpmd
# that is already listening; the backend listens first, and testpmd (which
# does not reconnect) is started for it.
run_pbgen()
{
	local name=$1

	shift
	if [ "$SIDE" = fe ]; then
		pbgen_bg "$name" "$@" "virtio:$D/sock${OPTS:+,$OPTS}" -s "$SIZE" --cpu "$CPU_B" -q
	else
		pbgen_bg "$name" "$@" "vhost:$D/sock${OPTS:+,$OPTS}" -s "$SIZE" --wait 20 --cpu "$CPU_B" -q
		pb_wait_file "$D/sock" 10
		start_tp "tp-$name"
	fi
	pb_wait_exit "$name" 40
	pbgen_summary "$name"
	[ "$SIDE" = fe ] || tp_quit "tp-$name"
}

case "$SIDE" in
fe)
	start_tp tp
	pb_wait_file "$D/sock" 10
	;;
be) ;;
*) fail "side must be fe or be" ;;
esac

# A generous reply timeout: testpmd's port is up (and the first ping in its
# ring) a moment before its forwarding starts, longer on a busy machine.
run_pbgen ping ping -n "$PINGS" --idle-timeout 10
expect_eq "pbgen ping exit status" "$PB_RC" 0
expect_eq "pings sent" "$(json_num ping frames_tx)" "$PINGS"
expect_eq "replies" "$(json_num ping frames_rx)" "$PINGS"
expect_eq "lost" "$(json_num ping lost)" 0
expect_eq "corrupted" "$(json_num ping corrupted)" 0

run_pbgen tx tx -n "$COUNT"
expect_eq "pbgen tx exit status" "$PB_RC" 0
expect_eq "frames sent" "$(json_num tx frames_tx)" "$COUNT"
expect_eq "frames back" "$(json_num tx frames_rx)" "$COUNT"
expect_eq "bytes back" "$(json_num tx bytes_rx)" $((COUNT * SIZE))
expect_eq "lost" "$(json_num tx lost)" 0
expect_eq "reordered" "$(json_num tx reordered)" 0
expect_eq "corrupted" "$(json_num tx corrupted)" 0
expect_eq "foreign" "$(json_num tx foreign)" 0
[ "$SIDE" = fe ] && tp_quit tp
expect_opts_features tx "$OPTS"
pb_pass "$PINGS pings and $COUNT frames of $SIZE B through testpmd io forwarding ($SIDE${MBUF:+, $MBUF-byte mbufs}${OPTS:+, $OPTS})," \
	"median RTT $(json_get ping median) us"
