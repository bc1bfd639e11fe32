#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Nothing slow on a worker: a virtio: port whose vhost-user device accepts
# the connection and then never answers (the set-up waits for replies that
# never come) shares its worker with a busy patch vhost:1 -> vhost:2.
# The set-up runs on the link thread, so the patch keeps its rate.
# Checks: `add` of the virtio: port answers at once (its set-up is not run
# on the control thread); another port's handshake meanwhile completes at
# once (each set-up attempt runs on a thread of its own); the rate through the patch while the silent device
# is being set up and retried is at least MIN_RATIO of the rate before
# (medians of the per-second figures); the virtio: port stays down; the
# daemon answers.
#
# usage: slowpeer.sh PBGEN PATCHBAYD=... PATCHBAY=... [MIN_RATIO=0.6]

MIN_RATIO=0.6
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

# A device that accepts and then says nothing, ever.
python3 - "$D/silent.sock" >"$D/silent.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(16)
held = []
s.settimeout(0.2)
end = time.time() + 40
while time.time() < end:
    try:
        c, _ = s.accept()
        held.append(c)
        print("accepted", len(held), flush=True)
    except socket.timeout:
        pass
PY
pb_track silent $!
pb_wait_file "$D/silent.sock" 5

pbd_start --workers 1 --cpus "$CPU_B"
pbc add vhost:1
pbc add vhost:2
pbc patch vhost:1 vhost:2

# rate NAME SECS: run a pair for SECS and print the median of the
# receiver's per-second rates (Mpps).
rate()
{
	pbgen_bg "rx$1" rx "virtio:$RUN/vhost-2.sock" --wait 20 --idle-timeout 2 --no-verify
	pbd_wait_link vhost:2 up 10
	pbgen_bg "tx$1" tx "virtio:$RUN/vhost-1.sock" -d "$2" -s 64 --wait 20 -q --cpu "$CPU_A"
	pb_wait_exit "tx$1" $(($2 + 20)) >&2
	pb_wait_exit "rx$1" 20 >&2
	pbd_wait_link vhost:2 down 10
	grep -o 'rx *[0-9.]* Mpps' "$D/rx$1.log" | awk '{ print $2 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}

before=$(rate a 4)
log "median rate before: $before Mpps"
# The add answers at once: the port is opened lazy, its connect and set-up
# run on the link thread (and are retried every reconnect-ms there).
t0=${EPOCHREALTIME//[.,]/}
pbc add virtio:slow path="$D/silent.sock" reconnect-ms=300
ms=$(((${EPOCHREALTIME//[.,]/} - t0) / 1000))
[ "$ms" -lt 1000 ] || fail "add virtio:slow took $ms ms: it waited for the silent device"
log "ok: add virtio:slow answered in $ms ms"
# Meanwhile another port's handshake is not held up either: the set-up
# attempts run on threads of their own, beside the link thread.
pbc add vhost:3
pbgen_bg late rx "virtio:$RUN/vhost-3.sock" -d 3 --wait 20 -q
pbd_wait_link vhost:3 up 10
# From the daemon's own log: the port added (its frontend starts right
# after) -> the port is up. (Not "front-end connected": the link thread
# logs that only once it gets to the accept.)
ms=$(python3 - "$D/patchbayd.log" <<'PY'
import re, sys
from datetime import datetime
ts = {}
for line in open(sys.argv[1]):
    m = re.match(r'ts=(\S+)Z .*msg="(.*)"', line)
    if not m:
        continue
    t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    if m.group(2) == "added vhost:3":
        ts.setdefault("conn", t)
    if m.group(2) == "vhost:3: up":
        ts.setdefault("up", t)
print(int((ts["up"] - ts["conn"]) * 1000) if len(ts) == 2 else 99999)
PY
)
[ "$ms" -lt 500 ] || fail "vhost:3's handshake took $ms ms: the silent device held it up"
log "ok: vhost:3's handshake took $ms ms while the silent device was being retried"
during=$(rate b 6)
log "median rate while the silent device is set up and retried: $during Mpps"
pbc version >/dev/null # the control thread answers meanwhile
expect_ge "attempts on the silent device" "$(grep -c accepted "$D/silent.log")" 2
expect_eq "virtio:slow link" "$(pbd_link virtio:slow)" down
python3 -c "import sys; b, d, m = map(float, sys.argv[1:]); sys.exit(0 if b > 0 and d >= m * b else 1)" \
	"$before" "$during" "$MIN_RATIO" ||
	fail "the patch's rate fell from $before to $during Mpps (below ${MIN_RATIO}x)"
log "ok: rate kept: $during / $before Mpps"
pbc del virtio:slow
pbd_stop
pb_pass "a silent vhost-user device did not slow the busy patch on the same worker ($during vs $before Mpps)"
