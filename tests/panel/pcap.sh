#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# pcap: replay a capture file through a patch into a pcap port that writes
# one, and compare the two frame by frame.
#   pcap:in rx=in.pcap  ->  (PATH=direct) pcap:out tx=out.pcap
#                       ->  (PATH=vhost)  vhost:1 -> pbgen echo -> vhost:1 -> pcap:out
# The input holds COUNT frames of sizes 60..1514 with random bytes (made
# here in Python). FORMAT=pcapng writes it as pcapng (libpcap reads both).
# Checks: out.pcap holds the same frames in the same order, byte for byte.
#
# usage: pcap.sh PBGEN PATCHBAYD=... PATCHBAY=... [COUNT=2000] [VIA=direct|vhost]
#        [FORMAT=pcap|pcapng] [RATE=0]

COUNT=2000
VIA=direct
FORMAT=pcap
RATE=0
LOOP=0 # LOOP=1: the replay starts over at the end; the writer takes 3 rounds
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

python3 - "$D/in.pcap" "$COUNT" "$FORMAT" <<'PY' || fail "making the input file"
import random, struct, sys
path, n, fmt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(42)
frames = []
for i in range(n):
    size = rnd.choice([60, 64, 128, 333, 1000, 1514])
    body = bytes(rnd.getrandbits(8) for _ in range(size - 14))
    frames.append(b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x88\xb5" + body)
with open(path, "wb") as f:
    if fmt == "pcap":
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)
    else:
        def block(t, body):
            pad = (-len(body)) % 4
            ln = 12 + len(body) + pad
            return struct.pack("<II", t, ln) + body + b"\0" * pad + struct.pack("<I", ln)
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", 1, 0, 65535)))
        for i, fr in enumerate(frames):
            f.write(block(6, struct.pack("<IIIII", 0, 0, i, len(fr), len(fr)) + fr))
PY

pbd_start --workers 1
pbc add pcap:out tx="$D/out.pcap"
case "$VIA" in
direct)
	if [ "$LOOP" = 1 ]; then
		# Exactly three rounds: a sink counts, then the writer gets them.
		pbc add pcap:in rx="$D/in.pcap" rate="$RATE" loop=1
		pbc add null:sink
		pbc patch pcap:in null:sink
		pbd_wait_stat null:sink tx_frames $((3 * COUNT)) 30
		pbc del pcap:in --force
		expect_ge "frames replayed with loop=1" "$(pbd_stat null:sink tx_frames)" $((3 * COUNT))
		# A file with no frame at all, looped: the replay ends, the worker
		# is not caught in reopening it.
		head -c 24 "$D/in.pcap" >"$D/empty.pcap"
		pbc add pcap:empty rx="$D/empty.pcap" loop=1
		pbc patch pcap:empty null:sink
		for ((i = 0; i < 50; i++)); do
			pbd_json show pcap:empty | grep -q '"rx_done": true' && break
			sleep 0.1
		done
		pbd_json show pcap:empty | grep -q '"rx_done": true' ||
			fail "an empty looped file did not end its replay"
		log "ok: an empty file with loop=1 ends its replay"
		pbd_stop
		pb_pass "loop=1 replayed $COUNT frames at least 3 times"
	fi
	pbc add pcap:in rx="$D/in.pcap" rate="$RATE"
	pbc patch pcap:in pcap:out
	;;
vhost)
	pbc add vhost:1
	pbgen_bg echo echo "virtio:$RUN/vhost-1.sock" --wait 20 -q
	pbd_wait_link vhost:1 up 10
	pbc patch vhost:1 pcap:out
	pbc add pcap:in rx="$D/in.pcap" rate="$RATE"
	pbc patch pcap:in vhost:1
	;;
*) fail "VIA must be direct or vhost" ;;
esac
pbd_wait_stat pcap:out tx_frames "$COUNT" 30
expect_eq "pcap:in rx_frames" "$(pbd_stat pcap:in rx_frames)" "$COUNT"
pbc show pcap:in
pbc del pcap:out --force # closes the file: flushed
python3 - "$D/in.pcap" "$D/out.pcap" <<'PY' || fail "the written file differs from the replayed one"
import struct, sys
def frames(path):
    data = open(path, "rb").read()
    out = []
    if struct.unpack_from("<I", data)[0] == 0x0A0D0D0A:
        off = 0
        while off < len(data):
            t, ln = struct.unpack_from("<II", data, off)
            if t == 6:
                cap = struct.unpack_from("<I", data, off + 20)[0]
                out.append(data[off + 28:off + 28 + cap])
            off += ln
        return out
    magic = struct.unpack_from("<I", data)[0]
    assert magic == 0xa1b2c3d4, hex(magic)
    off = 24
    while off < len(data):
        _, _, cap, _ = struct.unpack_from("<IIII", data, off)
        out.append(data[off + 16:off + 16 + cap])
        off += 16 + cap
    return out
a, b = frames(sys.argv[1]), frames(sys.argv[2])
print(f"in: {len(a)} frames, out: {len(b)} frames", file=sys.stderr)
assert len(a) == len(b), (len(a), len(b))
for i, (x, y) in enumerate(zip(a, b)):
    assert x == y, f"frame {i} differs ({len(x)} vs {len(y)} bytes)"
PY
log "ok: $COUNT frames identical, in order"
pbd_stop
pb_pass "$COUNT frames replayed ($FORMAT, $VIA) and written back identical"
