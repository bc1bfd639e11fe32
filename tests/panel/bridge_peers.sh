#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Real peers of every kind on one bridge: a QEMU guest (Linux's virtio-net
# driver, on a vhost: port), DPDK's testpmd (net_virtio_user on a vhost:
# port, --forward-mode=macswap) and a network namespace (the kernel, on a
# tap port).
# Checks: the guest pings the namespace and the namespace the guest; frames
# the namespace sends to testpmd's MAC come back macswapped (tcpdump counts
# them); the bridge learned each peer's MAC on its own port.
#
# usage: bridge_peers.sh PBGEN PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
PB_PROC_LIMIT=180
pb_init "$@"
py() { python3 -c "import json,sys; s=json.load(sys.stdin); $1"; }

command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not found (scripts/setup.sh)"
bash "$(dirname "$0")/guest_initrd.sh" "$D" || fail "building the guest"
NS="pbq$$"
pb_netns_add "$NS"
TP_MAC=02:00:00:00:77:77
G_MAC=52:54:00:89:00:0a

pbd_start --workers 1
pbc add tap:h netns="$NS" addr=10.89.0.1/24
pbc add vhost:g
pbc add vhost:tp
pbc bridge add br0
for p in tap:h vhost:g vhost:tp; do pbc bridge attach br0 "$p"; done
H_MAC=$(ip netns exec "$NS" cat /sys/class/net/pb-h/address)

tp_start tp 0 "net_virtio_user0,path=$RUN/vhost-tp.sock,mac=$TP_MAC" --forward-mode=macswap --auto-start
tp_ready tp
pbd_wait_link vhost:tp up 20
log "start guest"
timeout -s KILL "$PB_PROC_LIMIT" qemu-system-x86_64 -accel tcg -m 256 -smp 1 \
	-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
	-kernel "$D/vmlinuz" -initrd "$D/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 pb_ip=10.89.0.10/24 pb_ping=10.89.0.1 pb_tries=120 pb_stay=60" \
	-chardev "socket,id=c0,path=$RUN/vhost-g.sock" -netdev vhost-user,id=n0,chardev=c0 \
	-device "virtio-net-pci,netdev=n0,vectors=0,mac=$G_MAC" \
	-display none -nodefaults -serial "file:$D/g.log" -no-reboot >"$D/g.qemu.log" 2>&1 &
pb_track guest $!
for _ in $(seq 1500); do
	grep -a -q -E 'PB-PING-(OK|FAIL)' "$D/g.log" 2>/dev/null && break
	pb_alive guest || break
	sleep 0.1
done
grep -a -q "PB-NET-UP" "$D/g.log" || fail "the guest did not bring eth0 up"
grep -a -q "PB-PING-OK" "$D/g.log" || fail "the guest's pings to the namespace were not answered"
log "guest: $(grep -a -E 'packets transmitted' "$D/g.log" | tr '\n' ' ')"
ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 10.89.0.10 >/dev/null || fail "the namespace's ping to the guest"
log "ok: the guest and the namespace ping each other over br0"

# The namespace to testpmd: frames to its MAC come back from it, swapped.
ip netns exec "$NS" timeout 20 tcpdump -e -n -l -i pb-h -c 100 "ether src $TP_MAC and ether dst $H_MAC" \
	>"$D/swapped.txt" 2>"$D/tcpdump.err" &
TD=$!
pb_track tcpdump "$TD"
for _ in $(seq 50); do grep -q 'listening on' "$D/tcpdump.err" && break; sleep 0.1; done
ip netns exec "$NS" python3 - "$TP_MAC" "$H_MAC" <<'PY' || fail "sending to testpmd"
import socket, sys, time
dst = bytes.fromhex(sys.argv[1].replace(":", ""))
src = bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("pb-h", 0))
for i in range(100):
    s.send(dst + src + b"\x88\xb5" + i.to_bytes(4, "big") + b"\0" * 42)
    time.sleep(0.002)
PY
wait "$TD"
pb_untrack "$TD"
expect_eq "frames testpmd sent back macswapped" "$(grep -c "$TP_MAC > $H_MAC" "$D/swapped.txt")" 100
log "ok: testpmd (macswap) answered every frame over br0"

fdb=$(pbd_json fdb show br0)
for m in "$H_MAC=tap:h" "$G_MAC=vhost:g" "$TP_MAC=vhost:tp"; do
	port=$(py "print(' '.join(e['port'] for e in s['bridges'][0]['entries'] if e['mac'] == '${m%%=*}'))" <<<"$fdb")
	expect_eq "br0's entry for ${m%%=*}" "$port" "${m##*=}"
done
tp_quit tp
pb_stop_pid "${PB_PID[guest]}" 2
pbd_stop
pb_pass "a QEMU guest, testpmd (macswap) and a namespace on one bridge reach each other"
