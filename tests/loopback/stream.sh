#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Two pbgen processes over one link, content verified end to end:
#   pbgen tx <one end> -n COUNT -s SIZE   ->   pbgen rx <other end> -n COUNT
# The frontend is virtio:SOCK, the backend vhost:SOCK. SENDER (fe or be) says
# which end sends. By default the backend listens and the frontend connects
# (LISTENER=be); with LISTENER=fe the frontend listens (virtio:SOCK,server=1)
# and the backend connects (vhost:SOCK,client=1). FIRST says which process
# starts first: the listener (the usual order) or the connector, which must
# keep retrying until the listener appears. FE_OPTS and BE_OPTS are appended
# to the two specs (e.g. queue-size=16, mtu=9000, event-idx=0).
# Checks: both exit 0; the receiver got exactly COUNT frames and COUNT*SIZE
# bytes, none lost, reordered, corrupted or foreign, nothing dropped; one
# connection each; the feature bits that the options switch off are off;
# copy= in the sender's options did what it says (expect_opts_features).
#
# usage: stream.sh PBGEN [SENDER=fe] [SIZE=64] [COUNT=1000000] [LISTENER=be]
#                        [FIRST=listener|connector] [FE_OPTS=] [BE_OPTS=]

SENDER=fe
SIZE=64
COUNT=1000000
LISTENER=be
FIRST=listener
FE_OPTS=
BE_OPTS=
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"

if [ "$LISTENER" = be ]; then
	fe_spec="virtio:$D/sock"
	be_spec="vhost:$D/sock"
else
	fe_spec="virtio:$D/sock,server=1"
	be_spec="vhost:$D/sock,client=1,reconnect-ms=200"
fi
fe_spec+=${FE_OPTS:+,$FE_OPTS}
be_spec+=${BE_OPTS:+,$BE_OPTS}
case "$SENDER" in
fe) tx_spec=$fe_spec rx_spec=$be_spec ;;
be) tx_spec=$be_spec rx_spec=$fe_spec ;;
*) fail "sender must be fe or be" ;;
esac
# Which of tx/rx is the listener.
if [ "$SENDER" = "$LISTENER" ]; then listener=tx connector=rx; else listener=rx connector=tx; fi

start()
{
	case "$1" in
	tx) pbgen_bg tx tx "$tx_spec" -n "$COUNT" -s "$SIZE" --wait 20 --cpu "$CPU_B" -q ;;
	rx) pbgen_bg rx rx "$rx_spec" -n "$COUNT" --idle-timeout 10 --wait 20 --cpu "$CPU_A" -q ;;
	esac
}

if [ "$FIRST" = listener ]; then
	start "$listener"
	pb_wait_file "$D/sock" 10
	start "$connector"
else
	start "$connector"
	sleep 2 # it finds no listener and keeps retrying
	pb_alive "$connector" || fail "the $connector side gave up without a listener"
	start "$listener"
fi

pb_wait_exit tx 60
TX_RC=$PB_RC
pb_wait_exit rx 10
RX_RC=$PB_RC
pbgen_summary tx
pbgen_summary rx
expect_eq "tx exit status" "$TX_RC" 0
expect_eq "tx frames_tx" "$(json_num tx frames_tx)" "$COUNT"
expect_eq "tx port.tx_dropped" "$(json_num tx tx_dropped)" 0
expect_eq "rx frames_rx" "$(json_num rx frames_rx)" "$COUNT"
expect_eq "rx bytes_rx" "$(json_num rx bytes_rx)" $((COUNT * SIZE))
expect_eq "rx lost" "$(json_num rx lost)" 0
expect_eq "rx reordered" "$(json_num rx reordered)" 0
expect_eq "rx corrupted" "$(json_num rx corrupted)" 0
expect_eq "rx foreign" "$(json_num rx foreign)" 0
expect_eq "rx port.rx_dropped" "$(json_num rx rx_dropped)" 0
expect_eq "rx port.peer_errors" "$(json_num rx peer_errors)" 0
expect_eq "tx port.peer_errors" "$(json_num tx peer_errors)" 0
expect_eq "rx port.connects" "$(json_num rx connects)" 1
expect_eq "tx port.connects" "$(json_num tx connects)" 1
expect_eq "rx exit status" "$RX_RC" 0
expect_opts_features rx "$FE_OPTS,$BE_OPTS"
if [ "$SENDER" = fe ]; then tx_opts=$FE_OPTS; else tx_opts=$BE_OPTS; fi
expect_opts_features tx "$tx_opts"
for o in ${FE_OPTS//,/ }; do
	case "$o" in
	queue-size=*)
		expect_eq "rx link queue_size" "$(json_num rx queue_size)" "${o#*=}"
		expect_eq "tx link queue_size" "$(json_num tx queue_size)" "${o#*=}"
		;;
	mtu=*)
		expect_eq "rx link mtu" "$(json_num rx mtu)" "${o#*=}"
		expect_eq "tx link mtu" "$(json_num tx mtu)" "${o#*=}"
		;;
	esac
done
pb_pass "$COUNT x $SIZE B, $SENDER sends, $LISTENER listens, $FIRST first${FE_OPTS:+, fe $FE_OPTS}${BE_OPTS:+, be $BE_OPTS}:" \
	"$(json_get rx mpps) Mpps received"
