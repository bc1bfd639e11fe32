#!/usr/bin/env bash
# demo.sh - patchbay's "main job" in one command (`make demo`).
#
# Installs what it needs, builds, starts the patch panel (patchbayd) on its
# defaults, and runs a service chain of three containers wired through it:
#
#   [sender: pbgen tx] ─▶ vhost:sender ══▶ vhost:fwd-in  ─▶ [l2fwd] ─▶ vhost:fwd-out ══▶ vhost:receiver ─▶ [receiver: pbgen rx]
#                         └──────────────── patchbayd ─────────────────────────────────────┘
#
# Each container is started by pbrun: its own namespaces, no network but its
# sockets, an unprivileged uid, no capabilities, no hugepages. Shows the
# live per-port rates (one refreshing table), the topology, the receiver's
# loss/order check, shuts everything down and checks nothing was left
# behind (processes, sockets, mounts, namespaces, cgroups).
#
# Environment: DEMO_SECS (10), DEMO_SIZE (64 bytes), DEMO_RATE (frames per
# second, 0 = as fast as the chain goes; default 0), DEMO_SKIP_SETUP=1 to
# skip scripts/setup.sh, DEMO_SKIP_BUILD=1 to use build/ as it is,
# DEMO_RUN_DIR to run the panel there instead of its default (the test of
# the demo does). Exit status: 0 if every frame arrived intact and in order
# and nothing was left behind.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${DEMO_SECS:-10}
SIZE=${DEMO_SIZE:-64}
RATE=${DEMO_RATE:-0}
cd "$ROOT"

if [[ $(id -u) != 0 ]]; then
	echo "demo: run it as root (it installs packages and runs containers)" >&2
	exit 2
fi
if [[ -f scripts/setup.sh && -z ${DEMO_SKIP_SETUP:-} ]]; then
	echo "demo: checking packages (scripts/setup.sh)"
	bash scripts/setup.sh
fi
if [[ -z ${DEMO_SKIP_BUILD:-} ]]; then
	echo "demo: building"
	bash scripts/lib.sh build build >/dev/null
fi
B=$ROOT/build
PBGEN=$B/tools/pbgen
PBRUN=$B/tools/pbrun
L2FWD=$B/examples/example_l2fwd
PATCHBAYD=$B/daemon/patchbayd
PATCHBAY=$B/cli/patchbay

DIR=$(mktemp -d "${TMPDIR:-/tmp}/patchbay-demo.XXXXXX")
PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}
trap 'stop_all; rm -rf "$DIR" ${RM_RUN:+"$RM_RUN"}' EXIT
trap 'exit 130' INT TERM

# The daemon's defaults: its run directory (/run/patchbay as root) holds the
# control socket and one vhost-user socket per port. If a patchbayd already
# serves there, the demo uses a private one instead of disturbing it.
RUN=${DEMO_RUN_DIR:-}
RM_RUN=
[[ -n $RUN && ! -e $RUN ]] && RM_RUN=$RUN
if [[ -z $RUN ]] && "$PATCHBAY" version >/dev/null 2>&1; then
	RUN=$DIR/run
	echo "demo: a patchbayd already runs on the default run directory; using $RUN"
fi
RUN_ARGS=(${RUN:+-r "$RUN"})
pb() { "$PATCHBAY" "${RUN_ARGS[@]}" "$@"; }

# What exists before, to show that the demo leaves nothing behind.
snapshot() {
	{
		echo "mounts $(grep -c pbrun /proc/self/mountinfo || true)"
		echo "netns $(lsns -t net -n 2>/dev/null | wc -l)"
		echo "cgroups $(find /sys/fs/cgroup -path '*patchbay/*' -type d 2>/dev/null | wc -l)"
		echo "processes $(pgrep -c -f "$B/(tools|examples)/" || true)"
	}
}
BEFORE=$(snapshot)

cat <<EOF

  patchbay: userspace networking for containers over virtio rings in shared memory.

  Three containers form a chain: a traffic sender, a forwarder (l2fwd) and a
  receiver. Each app drives virtio-net devices whose rings live in its own
  memory; the patch panel, patchbayd, serves those rings over vhost-user on
  Unix sockets and copies each frame once from one app's ring into the next
  one's. No kernel on the data path, no system call per packet, no hugepages,
  no root inside the containers; every process sleeps when there is no traffic.

EOF
echo "demo: patchbayd ${RUN:+-r $RUN}   (the patch panel, on its defaults)"
"$PATCHBAYD" ${RUN:+-r "$RUN"} -q 2>"$DIR/patchbayd.log" &
PIDS+=($!)
for _ in $(seq 100); do
	pb version >/dev/null 2>&1 && break
	sleep 0.05
done
pb version >/dev/null

echo "demo: patchbay add vhost:sender vhost:fwd-in vhost:fwd-out vhost:receiver; two patches"
for p in sender fwd-in fwd-out receiver; do pb add "vhost:$p" >/dev/null; done
pb patch vhost:sender vhost:fwd-in
pb patch vhost:fwd-out vhost:receiver

echo "demo: pbrun --name receiver --port vhost:receiver -- pbgen rx virtio:{port0}"
"$PBRUN" "${RUN_ARGS[@]}" --name receiver --no-prefix --port vhost:receiver -- \
	"$PBGEN" rx 'virtio:{port0}' -q --idle-timeout 2 >"$DIR/rx.json" 2>"$DIR/rx.log" &
RX=$!
PIDS+=("$RX")
echo "demo: pbrun --name l2fwd --port vhost:fwd-in --port vhost:fwd-out -- l2fwd virtio:{port0} virtio:{port1}"
"$PBRUN" "${RUN_ARGS[@]}" --name l2fwd --port vhost:fwd-in --port vhost:fwd-out -- \
	"$L2FWD" 'virtio:{port0}' 'virtio:{port1}' >"$DIR/l2fwd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
	[[ $(pb --json status | grep -o '"link": *"up"' | wc -l) -ge 3 ]] && break
	sleep 0.05
done
echo "demo: pbrun --name sender --port vhost:sender -- pbgen tx virtio:{port0} -s $SIZE -d $SECS"
"$PBRUN" "${RUN_ARGS[@]}" --name sender --no-prefix --port vhost:sender -- \
	"$PBGEN" tx 'virtio:{port0}' -q -s "$SIZE" -r "$RATE" -d "$SECS" >"$DIR/tx.json" 2>"$DIR/tx.log" &
TX=$!
PIDS+=("$TX")
sleep 1
echo
pb stats -w --count $((SECS - 2)) || true
echo
echo "demo: patchbay topo"
pb topo
wait "$TX" || true
wait "$RX" || true
echo
echo "demo: patchbay workers (the worker sleeps once the traffic stops)"
sleep 0.5
pb workers

num() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | head -1; }
SENT=$(num "$DIR/tx.json" frames_tx)
GOT=$(num "$DIR/rx.json" frames_rx)
LOST=$(num "$DIR/rx.json" lost)
REORD=$(num "$DIR/rx.json" reordered)
BAD=$(num "$DIR/rx.json" corrupted)
MPPS=$(num "$DIR/rx.json" mpps)
SENT=${SENT:-0} GOT=${GOT:-0} LOST=${LOST:-0} REORD=${REORD:-0} BAD=${BAD:-0}
echo
echo "demo: the receiver's check: $GOT of $SENT frames arrived (${MPPS:-0} Mpps of $SIZE-byte" \
	"frames through two patchbay hops and the l2fwd container), $LOST lost, $REORD out" \
	"of order, $BAD corrupted"
echo "demo: shutting down"
stop_all
sed 's/^/demo: /' "$DIR/l2fwd.log" | grep -v forwarding || true

AFTER=$(snapshot)
RUNDIR=${RUN:-/run/patchbay}
LEFT=$(find "$RUNDIR/pbrun" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
SOCKS=$(find "$RUNDIR" -maxdepth 1 -name '*.sock' 2>/dev/null | wc -l)
echo "demo: left behind: $LEFT pbrun instances, $SOCKS sockets; before/after: ${BEFORE//$'\n'/ } / ${AFTER//$'\n'/ }"
rc=0
if ((GOT == 0 || GOT != SENT || LOST > 0 || REORD > 0 || BAD > 0)); then
	echo "demo: FAILED: frames lost or out of order" >&2
	rc=1
fi
if [[ $BEFORE != "$AFTER" || $LEFT != 0 || $SOCKS != 0 ]]; then
	echo "demo: FAILED: something was left behind" >&2
	rc=1
fi
((rc == 0)) && echo "demo: OK"
exit $rc
