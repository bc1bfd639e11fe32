#!/usr/bin/env bash
# demo.sh - patchbay's "main job" in one command (`make demo`).
#
# Installs what it needs, builds, starts the patch panel (patchbayd) on its
# defaults, plugs two apps into it and moves frames between them:
#
#   pbgen tx ──virtio──▶ vhost:sender ══ patchbayd ══▶ vhost:receiver ──virtio──▶ pbgen rx
#
# Each app drives a virtio-net device whose rings live in its own memory;
# patchbayd serves them over vhost-user and copies each frame once, from the
# sender's ring into the receiver's, with no kernel on the way and no CPU
# burnt while idle. Shows the live per-port rates for a few seconds (one
# refreshing table), the topology, the receiver's loss/order check, and
# shuts everything down.
#
# Environment: DEMO_SECS (8), DEMO_SIZE (64 bytes), DEMO_RATE (frames per
# second, 0 = as fast as it goes; default 2000000), DEMO_SKIP_SETUP=1 to skip
# scripts/setup.sh. Exit status: 0 if every frame arrived intact and in order.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${DEMO_SECS:-8}
SIZE=${DEMO_SIZE:-64}
RATE=${DEMO_RATE:-2000000}
cd "$ROOT"

if [[ -f scripts/setup.sh && -z ${DEMO_SKIP_SETUP:-} ]]; then
	echo "demo: checking packages (scripts/setup.sh)"
	bash scripts/setup.sh
fi
echo "demo: building"
bash scripts/lib.sh build build >/dev/null
B=$ROOT/build
PBGEN=$B/tools/pbgen
PATCHBAYD=$B/daemon/patchbayd
PATCHBAY=$B/cli/patchbay

DIR=$(mktemp -d "${TMPDIR:-/tmp}/patchbay-demo.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The daemon's defaults: its run directory (/run/patchbay as root) holds the
# control socket and one vhost-user socket per port. If a patchbayd already
# serves there, the demo uses a private one instead of disturbing it.
RUN=
if "$PATCHBAY" version >/dev/null 2>&1; then
	RUN=$DIR/run
	echo "demo: a patchbayd already runs on the default run directory; using $RUN"
fi
pb() { "$PATCHBAY" ${RUN:+-r "$RUN"} "$@"; }

cat <<EOF

  patchbay: userspace networking for containers over virtio rings in shared memory.
  Each app below drives a virtio-net device whose rings live in its own memory;
  the patch panel (patchbayd) serves those rings over vhost-user on a Unix socket
  and copies every frame once, sender's ring -> receiver's ring. No kernel on the
  data path, no root needed, no hugepages, and its worker sleeps when idle.

EOF
echo "demo: starting patchbayd ${RUN:+-r $RUN}"
"$PATCHBAYD" ${RUN:+-r "$RUN"} -q 2>"$DIR/patchbayd.log" &
PIDS+=($!)
for _ in $(seq 100); do
	pb version >/dev/null 2>&1 && break
	sleep 0.05
done
pb version
echo "demo: patchbay add vhost:sender; patchbay add vhost:receiver; patchbay patch vhost:sender vhost:receiver"
pb add vhost:sender
pb add vhost:receiver
pb patch vhost:sender vhost:receiver
SOCKS=$(pb --json status | python3 -c '
import json, sys
print(" ".join(p["path"] for p in json.load(sys.stdin)["ports"]))')
read -r S_SOCK R_SOCK <<<"$SOCKS"

echo "demo: receiver app: pbgen rx virtio:$R_SOCK"
"$PBGEN" rx "virtio:$R_SOCK" -q --idle-timeout 2 >"$DIR/rx.json" 2>"$DIR/rx.log" &
RX=$!
PIDS+=($RX)
echo "demo: sender app:   pbgen tx virtio:$S_SOCK -s $SIZE -r $RATE -d $SECS"
"$PBGEN" tx "virtio:$S_SOCK" -q -s "$SIZE" -r "$RATE" -d "$SECS" >"$DIR/tx.json" 2>"$DIR/tx.log" &
TX=$!
PIDS+=($TX)
sleep 0.5
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
	"frames), $LOST lost, $REORD out of order, $BAD corrupted"
echo "demo: shutting down"
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
PIDS=()
if ((GOT == 0 || GOT != SENT || LOST > 0 || REORD > 0 || BAD > 0)); then
	echo "demo: FAILED" >&2
	exit 1
fi
echo "demo: OK"
