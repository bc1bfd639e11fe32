#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A port outlives its peers: one long-lived end (SURVIVOR, run by the echo
# example, which stays up across disconnects) and a series of short-lived
# pbgen peers on the other end:
#   1. the survivor starts first (a connecting survivor retries meanwhile);
#   2. pbgen ping: every frame comes back, verified;
#   3. pbgen tx streams frames at the survivor, which echoes them, and is
#      killed (SIGKILL) mid-stream: the survivor's link drops under load;
#   4. pbgen ping again, a new process: the survivor must come back up with
#      it (reconnect, or accept a new connection; a stale socket file from
#      the killed listener must not stop the new one) and echo every frame;
#   5. the survivor counted 3 connections and is still running.
# SURVIVOR is fe (virtio) or be (vhost); LISTENER (fe or be) says which end
# listens on the socket.
#
# pbgen itself ends when its peer goes away, so the long-lived end is the
# echo example (examples/echo.c).
#
# usage: reconnect.sh PBGEN ECHO=path SURVIVOR=fe|be [LISTENER=be] [SIZE=64]

ECHO=
SURVIVOR=fe
LISTENER=be
SIZE=64
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
pb_init "$@"
PINGS=1000
if [ -z "$ECHO" ] || [ ! -x "$ECHO" ]; then
	fail "echo example not found: '$ECHO' (ECHO=path)"
fi

if [ "$LISTENER" = be ]; then
	fe_spec="virtio:$D/sock,reconnect-ms=200"
	be_spec="vhost:$D/sock"
else
	fe_spec="virtio:$D/sock,server=1"
	be_spec="vhost:$D/sock,client=1,reconnect-ms=200"
fi
case "$SURVIVOR" in
fe) surv_spec=$fe_spec peer_spec=$be_spec ;;
be) surv_spec=$be_spec peer_spec=$fe_spec ;;
*) fail "survivor must be fe or be" ;;
esac

log "start echo: $ECHO $surv_spec"
timeout -s KILL "$PB_PROC_LIMIT" "$ECHO" "$surv_spec" >"$D/echo.log" 2>&1 &
pb_track echo $!
sleep 1
pb_alive echo || fail "the echo example exited early"

# ping NAME: a pbgen ping peer, every reply verified.
ping_peer()
{
	pbgen_bg "$1" ping "$peer_spec" -n "$PINGS" -s "$SIZE" --idle-timeout 5 --wait 15 \
		--cpu "$CPU_B" -q
	pb_wait_exit "$1" 30
	pbgen_summary "$1"
	expect_eq "$1 exit status" "$PB_RC" 0
	expect_eq "$1 replies" "$(json_num "$1" frames_rx)" "$PINGS"
	expect_eq "$1 lost" "$(json_num "$1" lost)" 0
	expect_eq "$1 corrupted" "$(json_num "$1" corrupted)" 0
	pb_alive echo || fail "the echo example exited"
}

ping_peer ping1

pbgen_bg stream tx "$peer_spec" -d 20 -s "$SIZE" --wait 15 --cpu "$CPU_B"
# Wait until frames flow both ways: a per-second line with rx above 0.
for ((i = 0; i < 100; i++)); do
	grep -q -E 'rx +(0\.0[1-9]|0\.[1-9][0-9]|[1-9][0-9]*\.[0-9]+) Mpps' "$D/stream.log" && break
	pb_alive stream || fail "the streaming pbgen exited early"
	sleep 0.1
done
((i < 100)) || fail "no frames came back to the streaming pbgen within 10 s"
sleep 0.5
pb_kill9 stream # mid-stream
sleep 0.5
pb_alive echo || fail "the echo example died with its peer"

ping_peer ping2

kill -TERM "${PB_PID[echo]}"
pb_wait_exit echo 10
cat "$D/echo.log" >&2
expect_eq "echo exit status" "$PB_RC" 0
connects=$(sed -n -E 's/.* ([0-9]+) connects.*/\1/p' "$D/echo.log" | tail -n 1)
expect_eq "echo connects" "$connects" 3
pb_pass "$SURVIVOR survived 3 peers ($LISTENER listens)"
