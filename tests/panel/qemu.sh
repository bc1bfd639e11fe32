#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Two QEMU guests running Linux, each with a virtio-net-pci device on a
# patchbayd vhost: port (the guest kernel's own virtio-net driver, QEMU's
# vhost-user front-end), patched both ways: guest 1 pings guest 2 through
# the panel. QEMU runs under TCG here; the device has vectors=0 (QEMU 7.2
# under TCG crashes with vhost-user and MSI-X) and guest memory is a shared
# memfd, as vhost-user needs.
# Checks: both guests bring eth0 up; guest 1's pings are answered; the
# ports counted the frames both ways.
#
# With G2_LISTENS=1 guest 2's QEMU listens (chardev server=on) and its
# vhost: port connects to it (client=1), as OVS-DPDK's dpdkvhostuserclient.
#
# usage: qemu.sh PBGEN PATCHBAYD=... PATCHBAY=... [G2_LISTENS=0|1]

G2_LISTENS=0
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
PB_PROC_LIMIT=150
pb_init "$@"

command -v qemu-system-x86_64 >/dev/null ||
	fail "qemu-system-x86_64 not found (Debian: apt-get install qemu-system-x86)"
bash "$(dirname "$0")/guest_initrd.sh" "$D" || fail "building the guest"

pbd_start --workers 1
pbc add vhost:g1
if [ "$G2_LISTENS" = 1 ]; then
	pbc add vhost:g2 path="$D/g2.sock" client=1 reconnect-ms=200
else
	pbc add vhost:g2
fi
pbc patch vhost:g1 vhost:g2 --both

# guest NAME N CHARDEV ARGS: guest N on vhost:NAME, console in $D/NAME.log
guest()
{
	local name=$1 n=$2 chardev=$3

	shift 3
	log "start guest $name"
	timeout -s KILL "$PB_PROC_LIMIT" qemu-system-x86_64 -accel tcg -m 256 -smp 1 \
		-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
		-kernel "$D/vmlinuz" -initrd "$D/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 pb_ip=10.88.0.$n/24 $*" \
		-chardev "$chardev" \
		-netdev vhost-user,id=n0,chardev=c0 \
		-device "virtio-net-pci,netdev=n0,vectors=0,mac=52:54:00:88:00:0$n" \
		-display none -nodefaults -serial "file:$D/$name.log" -no-reboot \
		>"$D/$name.qemu.log" 2>&1 &
	pb_track "$name" $!
}
if [ "$G2_LISTENS" = 1 ]; then
	guest g2 2 "socket,id=c0,path=$D/g2.sock,server=on,wait=off" pb_stay=120
else
	guest g2 2 "socket,id=c0,path=$RUN/vhost-g2.sock" pb_stay=120
fi
guest g1 1 "socket,id=c0,path=$RUN/vhost-g1.sock" pb_ping=10.88.0.2 pb_tries=90 pb_stay=1
pb_wait_exit g1 140
grep -a -q "PB-NET-UP" "$D/g1.log" || fail "guest 1 did not bring eth0 up"
grep -a -q "PB-NET-UP" "$D/g2.log" || fail "guest 2 did not bring eth0 up"
grep -a -q "PB-PING-OK" "$D/g1.log" || fail "guest 1's pings were not answered"
log "guest 1: $(grep -a -E 'packets transmitted|round-trip' "$D/g1.log" | tr '\n' ' ')"
expect_ge "vhost:g1 rx_frames (guest 1 sent)" "$(pbd_stat vhost:g1 rx_frames)" 5
expect_ge "vhost:g2 rx_frames (guest 2 answered)" "$(pbd_stat vhost:g2 rx_frames)" 5
expect_ge "vhost:g2 tx_frames" "$(pbd_stat vhost:g2 tx_frames)" 5
pb_stop_pid "${PB_PID[g2]}" 2
pbd_stop
pb_pass "two Linux guests (virtio-net driver) ping each other through patchbayd"
