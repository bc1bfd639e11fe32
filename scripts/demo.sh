#!/usr/bin/env bash
# demo.sh - patchbay's "main job" in one command (`make demo`).
#
# Builds patchbay, then moves frames between its two ends over a vhost-user
# socket: a backend port (`pbgen rx vhost:...`, what the patch panel runs)
# receives and verifies every frame that a frontend port (`pbgen tx virtio:...`,
# what an app in a container runs) sends for a few seconds. Prints both sides'
# per-second lines, both JSON summaries and a one-line verdict.
#
# Environment: DEMO_SECS (5), DEMO_SIZE (64 bytes), BUILD_DIR (build),
# DEMO_SKIP_SETUP=1 to skip scripts/setup.sh.
# Exit status: 0 if frames moved intact, 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
SECS=${DEMO_SECS:-5}
SIZE=${DEMO_SIZE:-64}
cd "$ROOT"

if [[ -f scripts/setup.sh && -z ${DEMO_SKIP_SETUP:-} ]]; then
	echo "demo: running scripts/setup.sh"
	bash scripts/setup.sh
fi
# The project's own build configurations come from scripts/lib.sh; any other
# BUILD_DIR is a plain meson build.
if [[ -f scripts/lib.sh && ($BUILD_DIR == build || $BUILD_DIR == build-asan) ]]; then
	bash scripts/lib.sh build "$BUILD_DIR" >/dev/null
else
	[[ -f $BUILD_DIR/build.ninja ]] || meson setup "$BUILD_DIR" >/dev/null
	ninja -C "$BUILD_DIR" tools/pbgen >/dev/null
fi
PBGEN=$ROOT/$BUILD_DIR/tools/pbgen

DIR=$(mktemp -d "${TMPDIR:-/tmp}/patchbay-demo.XXXXXX")
RX_PID=
cleanup() {
	[[ -n $RX_PID ]] && kill "$RX_PID" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two CPUs or more: one each, like a patch panel worker and an app.
RX_CPU=() TX_CPU=()
if (($(nproc) >= 2)); then
	RX_CPU=(--cpu 0) TX_CPU=(--cpu 1)
fi

SOCK=$DIR/demo.sock
# The two pbgens' per-second lines (stderr) go to our stdout with a prefix,
# through fd 3; their JSON summaries (stdout) go to files.
exec 3>&1
echo "demo: backend  pbgen rx vhost:$SOCK ${RX_CPU[*]}"
"$PBGEN" rx "vhost:$SOCK" "${RX_CPU[@]}" >"$DIR/rx.json" 2> >(sed -u 's/^/  backend  | /' >&3) &
RX_PID=$!

# The backend listens once its socket exists; the frontend would retry
# anyway, but waiting here keeps the demo from losing its first second.
for _ in $(seq 50); do
	[[ -S $SOCK ]] && break
	sleep 0.1
done

echo "demo: frontend pbgen tx virtio:$SOCK -d $SECS -s $SIZE ${TX_CPU[*]}"
TX_RC=0
"$PBGEN" tx "virtio:$SOCK" -d "$SECS" -s "$SIZE" "${TX_CPU[@]}" >"$DIR/tx.json" \
	2> >(sed -u 's/^/  frontend | /' >&3) || TX_RC=$?

# The backend's run ends when its peer leaves; give it a moment, then stop it
# (SIGTERM still makes it print its summary).
RX_RC=0
for _ in $(seq 50); do
	kill -0 "$RX_PID" 2>/dev/null || break
	sleep 0.1
done
kill -TERM "$RX_PID" 2>/dev/null || true
wait "$RX_PID" || RX_RC=$?
RX_PID=
sleep 0.1 # let the sed prefixers flush

echo "demo: frontend summary (exit $TX_RC): $(cat "$DIR/tx.json")"
echo "demo: backend  summary (exit $RX_RC): $(cat "$DIR/rx.json")"

# A number from a one-line JSON summary (its keys are unique).
num() {
	sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | head -1
}
SENT=$(num "$DIR/tx.json" frames_tx)
MOVED=$(num "$DIR/rx.json" frames_rx)
GAPS=$(num "$DIR/rx.json" lost)
BAD=$(num "$DIR/rx.json" corrupted)
MPPS=$(num "$DIR/rx.json" mpps)
GBPS=$(num "$DIR/rx.json" gbps)
SENT=${SENT:-0} MOVED=${MOVED:-0} GAPS=${GAPS:-0} BAD=${BAD:-0}
# Lost: frames the frontend sent that the backend never saw (gaps and tail).
LOST=$((SENT > MOVED ? SENT - MOVED : 0))
((GAPS > LOST)) && LOST=$GAPS

echo "demo: $MOVED frames moved frontend->backend (${MPPS:-0} Mpps, ${GBPS:-0} Gbps," \
	"$SIZE-byte frames), $LOST lost, $BAD corrupted"
if ((MOVED == 0 || BAD > 0)); then
	echo "demo: FAILED" >&2
	exit 1
fi
