#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# pcap: capture files with odd records, crafted here in Python, each
# replayed by a pcap port of its own into one writer:
#   pcap:CASE rx=CASE.pcap  ->  pcap:out tx=out.pcap
# Each file holds good frames and one odd thing:
#   snaplen-big  the header's snaplen far above its frames' (normal): all go
#   snaplen-0    a snaplen of 0 (libpcap reads it as "no limit"): all go
#   over-snaplen a record of 1000 bytes in a file of snaplen 100: libpcap
#                gives its first 100 (as a capture with -s 100 holds), sent
#   huge-len     a record whose wire length is 4 GiB-1, its caplen 60: it goes
#   zero         a zero-length record between good ones: dropped, counted
#   jumbo        a record of 10000 bytes, over the largest frame replayed
#                (9216): dropped and counted, never cut and sent
#   huge-caplen  a record claiming 2 GiB: the replay ends there, the error
#                reported (show: rx_error; stats: peer_errors)
#   truncated    the last record cut short by the file's end: likewise
#   short-header the file ends inside a record's header: likewise
#   bad-magic    not a capture file: the port is refused, nothing made
# Checks per case: the port's rx_frames, rx_dropped and peer_errors, its
# rx_done and rx_error; patchbayd stays up throughout; and at the end
# out.pcap holds exactly the good frames, in order, byte for byte.
#
# usage: pcap_odd.sh PBGEN PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

# Writes CASE.pcap for every case and want.txt: CASE GOOD DROPPED ERRORS
# per line; good.bin: the good frames in replay order, as (len, bytes).
python3 - "$D" <<'PY' || fail "making the input files"
import random, struct, sys
d = sys.argv[1]
rnd = random.Random(7)
def frame(size):
    return (b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x88\xb5" +
            bytes(rnd.getrandbits(8) for _ in range(size - 14)))
def hdr(snaplen=65535, magic=0xa1b2c3d4):
    return struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, 1)
def rec(i, fr, caplen=None, wire=None):
    return struct.pack("<IIII", i, 0, len(fr) if caplen is None else caplen,
                       len(fr) if wire is None else wire) + fr
good, want = [], []
def case(name, body, ngood, dropped, errors):
    with open(f"{d}/{name}.pcap", "wb") as f:
        f.write(body)
    want.append(f"{name} {ngood} {dropped} {errors}")
def goods(n, sizes=(60, 333, 1514)):
    out = []
    for i in range(n):
        fr = frame(sizes[i % len(sizes)])
        good.append(fr)
        out.append(rec(i, fr))
    return b"".join(out)
case("snaplen-big", hdr(snaplen=262144) + goods(3), 3, 0, 0)
case("snaplen-0", hdr(snaplen=0) + goods(2), 2, 0, 0)
g = frame(1000); good.append(g[:100])
case("over-snaplen", hdr(snaplen=100) + rec(0, g) + goods(1, (60,)), 2, 0, 0)
g = frame(60); good.append(g)
case("huge-len", hdr() + rec(0, g, wire=0xffffffff) + goods(1), 2, 0, 0)
case("zero", hdr() + goods(2) + rec(9, b"") + goods(1), 3, 1, 0)
case("jumbo", hdr(snaplen=262144) + goods(1) + rec(9, frame(10000)) + goods(1), 2, 1, 0)
case("huge-caplen", hdr() + goods(2) + struct.pack("<IIII", 9, 0, 0x7fffffff, 0x7fffffff) +
     b"\0" * 64, 2, 0, 1)
case("truncated", hdr() + goods(2) + rec(9, frame(1000))[:16 + 10], 2, 0, 1)
case("short-header", hdr() + goods(1) + rec(9, frame(60))[:7], 1, 0, 1)
with open(f"{d}/bad-magic.pcap", "wb") as f:
    f.write(hdr(magic=0x12345678) + rec(0, frame(60)))
with open(f"{d}/want.txt", "w") as f:
    f.write("\n".join(want) + "\n")
with open(f"{d}/good.bin", "wb") as f:
    for fr in good:
        f.write(struct.pack("<I", len(fr)) + fr)
PY

pbd_start --workers 1
pbc add pcap:out tx="$D/out.pcap"

# show PORT KEY: a key of the port's `show`, as Python prints it.
show() { pbd_json show "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$2"; }

while read -r name ngood dropped errors; do
	pbc add "pcap:$name" rx="$D/$name.pcap"
	pbc patch "pcap:$name" pcap:out
	for ((i = 0; i < 50; i++)); do
		[ "$(show "pcap:$name" rx_done)" = True ] && break
		sleep 0.1
	done
	expect_eq "$name: replay ended" "$(show "pcap:$name" rx_done)" True
	expect_eq "$name: frames replayed" "$(pbd_stat "pcap:$name" rx_frames)" "$ngood"
	# (a port's rx_dropped is shown as drops.peer_broken)
	expect_eq "$name: records dropped" "$(pbd_stat "pcap:$name" drops.peer_broken)" "$dropped"
	expect_eq "$name: file errors" "$(pbd_stat "pcap:$name" peer_errors)" "$errors"
	err=$(show "pcap:$name" rx_error)
	if [ "$errors" = 0 ]; then
		expect_eq "$name: no rx_error" "$err" None
	else
		grep -q -E "^$D/$name.pcap: .*(invalid packet capture length|truncated)" <<<"$err" ||
			fail "$name: rx_error '$err' does not say what is wrong with the file"
		log "$name: rx_error: $err"
	fi
	pbc del "pcap:$name" --force
	pb_alive patchbayd || fail "patchbayd died on $name"
done <"$D/want.txt"

pbc_err 1 "bad-magic.pcap: .*(magic|format)" add pcap:bad rx="$D/bad-magic.pcap"
expect_eq "ports after a refused file" "$(pbd_json status | python3 -c 'import json, sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["ports"]))')" pcap:out

pbd_stop # closes out.pcap
python3 - "$D/good.bin" "$D/out.pcap" <<'PY' || fail "out.pcap is not the good frames in order"
import struct, sys
good, raw = [], open(sys.argv[1], "rb").read()
i = 0
while i < len(raw):
    (n,) = struct.unpack_from("<I", raw, i)
    good.append(raw[i + 4:i + 4 + n])
    i += 4 + n
out, raw = [], open(sys.argv[2], "rb").read()
i = 24
while i < len(raw):
    _, _, cap, _ = struct.unpack_from("<IIII", raw, i)
    out.append(raw[i + 16:i + 16 + cap])
    i += 16 + cap
if out != good:
    sys.exit(f"wrote {len(out)} frames, sizes {[len(f) for f in out]}; "
             f"want {len(good)}, sizes {[len(f) for f in good]}")
PY
log "ok: out.pcap holds the $(wc -l <"$D/want.txt") files' good frames, byte for byte"
pb_pass "odd pcap records: dropped and counted, or the replay ends with the error shown; good frames before them delivered; patchbayd stays up"
