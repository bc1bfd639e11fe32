#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# firewall.sh - the sample firewall in a pbrun container, its rule file
# mounted read-only (--volume), between two pcap: ports of patchbayd:
#
#   pcap:in (rx=in.pcap) ══▶ vhost:fw0 ─▶ firewall ─▶ vhost:fw1 ══▶ pcap:out (tx=out.pcap)
#
# in.pcap holds frames each rule decides (UDP to a denied port range, TCP,
# ICMP from in and out of a prefix, ARP, a non-first fragment, a VLAN-tagged
# packet), 20 rounds; out.pcap must hold exactly the allowed ones, in order.
# Then a rule file with a mistake is refused with its line, before any
# traffic, and pbrun removes the ports it made.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=firewall
FIREWALL=
ROUNDS=20
pb_init "$@"

cat >"$D/fw.rules" <<'RULES'
# the sample firewall's rules (see examples/fw_rules.h)
default deny
deny  udp  any          any  10.0.0.2  5000-5010   # a denied range
allow udp  any          any  any       any
allow tcp  any          any  any       80
allow icmp 10.0.0.0/24  any  any       any
RULES

python3 - "$D/in.pcap" "$D/expected" "$ROUNDS" <<'PY' || fail "making the input file"
import struct, sys
path, expected, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01"
def ip(proto, src, dst, l4, frag=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, frag, 64, proto, 0,
                      bytes(src), bytes(dst))
    return hdr + l4
def udp(sp, dp, tag): return struct.pack("!HHHH", sp, dp, 8 + 8, 0) + tag
def tcp(sp, dp, tag): return struct.pack("!HHIIHHHH", sp, dp, 0, 0, 0x5002, 1024, 0, 0) + tag
def icmp(tag): return struct.pack("!BBHHH", 8, 0, 0, 1, 1) + tag
A, B, OUT = [10, 0, 0, 1], [10, 0, 0, 2], [10, 1, 0, 1]
frames = []   # (frame, allowed)
for r in range(rounds):
    t = lambda k: struct.pack("!II", r, k)
    v4 = lambda p: eth + b"\x08\x00" + p
    frames += [
        (v4(ip(17, A, B, udp(1234, 5005, t(0)))), False),   # denied range
        (v4(ip(17, A, B, udp(1234, 6000, t(1)))), True),    # other UDP
        (v4(ip(6, A, B, tcp(1234, 80, t(2)))), True),       # TCP to 80
        (v4(ip(6, A, B, tcp(1234, 22, t(3)))), False),      # TCP to 22: default
        (v4(ip(1, A, B, icmp(t(4)))), True),                # ICMP from the /24
        (v4(ip(1, OUT, B, icmp(t(5)))), False),             # ICMP from elsewhere
        (eth + b"\x08\x06" + bytes(28) + t(6), True),       # ARP: not IPv4
        (v4(ip(17, A, B, udp(1234, 5005, t(7)), frag=100)), True),  # fragment: no ports
        (eth + b"\x81\x00\x00\x05\x08\x00" + ip(17, A, B, udp(1, 5001, t(8))), False),
    ]
frames = [(f + bytes(max(0, 60 - len(f))), ok) for f, ok in frames]
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, (fr, _) in enumerate(frames):
        f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)
with open(expected, "wb") as f:
    for fr, ok in frames:
        if ok:
            f.write(fr.hex().encode() + b"\n")
PY
want=$(wc -l <"$D/expected")
total=$((ROUNDS * 9))

pbd_start --workers 1
pbc add pcap:out tx="$D/out.pcap"
pbr_bg fw --port vhost:fw0 --port vhost:fw1 --volume "$D/fw.rules:/etc/fw.rules" -- \
	"$FIREWALL" --rules /etc/fw.rules 'virtio:{port0}' 'virtio:{port1}'
pbd_wait_link vhost:fw0 up 20
pbd_wait_link vhost:fw1 up 20
pbc patch vhost:fw1 pcap:out
pbc add pcap:in rx="$D/in.pcap" rate=20000
pbc patch pcap:in vhost:fw0
pbd_wait_stat pcap:out tx_frames "$want" 30
sleep 0.5
expect_eq "pcap:in frames replayed" "$(pbd_stat pcap:in rx_frames)" "$total"
expect_eq "frames through the firewall" "$(pbd_stat pcap:out tx_frames)" "$want"
pbc del pcap:out --force
python3 - "$D/out.pcap" "$D/expected" <<'PY' || fail "the firewall passed other frames than its rules allow"
import struct, sys
data = open(sys.argv[1], "rb").read()
got, off = [], 24
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack_from("<IIII", data, off)
    got.append(data[off + 16:off + 16 + incl].hex())
    off += 16 + incl
want = open(sys.argv[2]).read().split()
if got != want:
    print(f"got {len(got)} frames, want {len(want)}", file=sys.stderr)
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            print(f"first difference at frame {i}:\n got  {g}\n want {w}", file=sys.stderr)
            break
    sys.exit(1)
PY
pbr_stop fw
expect_eq "firewall's exit status" "$PB_RC" 0
grep -q "port0 -> port1: $want passed, $((total - want)) denied, 0 dropped" "$D/fw.json" ||
	fail "the firewall's own count: $(cat "$D/fw.json")"

# A rule file with a mistake: refused, with its line; pbrun's ports go.
printf 'default deny\nallow udp any 53 10.0.0.300 any\n' >"$D/bad.rules"
if "$PBRUN" -r "$RUN" --name badfw --port vhost --volume "$D/bad.rules:/etc/fw.rules" -- \
	"$FIREWALL" --rules /etc/fw.rules 'virtio:{port0}' 'virtio:{port0}' >"$D/badfw.out" 2>&1; then
	fail "a bad rule file was accepted"
fi
grep -q "line 2: '10.0.0.300': expected any, A.B.C.D or A.B.C.D/LEN" "$D/badfw.out" ||
	fail "the bad rule file's error: $(cat "$D/badfw.out")"
pbc_err 1 unknown_port show vhost:badfw.0
pbd_stop
pb_pass "$want of $total frames passed, exactly those the rules allow"
