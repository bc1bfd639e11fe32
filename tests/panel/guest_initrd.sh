#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# guest_initrd.sh OUT_DIR: a tiny Linux guest for the QEMU tests, made from
# the host's packages (linux-image-amd64, busybox-static): OUT_DIR/vmlinuz
# and OUT_DIR/initrd.gz, whose /init loads virtio-net (the kernel's own
# driver, the point of the test), sets the address given on the kernel
# command line (pb_ip=A.B.C.D/LEN) and, with pb_ping=PEER, pings PEER
# until it answers (at most pb_tries times) and prints PB-PING-OK or
# PB-PING-FAIL on the console; then it stays up for pb_stay seconds (the
# peer may still be pinging) and powers off.
set -euo pipefail
out=$1
kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
{ [ -n "$kver" ] && [ -f "/boot/vmlinuz-$kver" ]; } || {
	echo "guest_initrd: no kernel in /boot (Debian: apt-get install linux-image-amd64)" >&2
	exit 1
}
[ -x /bin/busybox ] || {
	echo "guest_initrd: no /bin/busybox (Debian: apt-get install busybox-static)" >&2
	exit 1
}
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,mod}
cp /bin/busybox "$root/bin/"
for m in drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko \
	drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci_legacy_dev.ko \
	drivers/virtio/virtio_pci.ko net/core/failover.ko drivers/net/net_failover.ko \
	drivers/net/virtio_net.ko; do
	f=/lib/modules/$kver/kernel/$m
	if [ ! -f "$f" ]; then
		packed=("$f".*) # compressed modules; the pattern itself when none
		f=${packed[0]}
	fi
	{ [ -n "$f" ] && [ -f "$f" ]; } || { echo "guest_initrd: $m missing for $kver" >&2; exit 1; }
	cp "$f" "$root/mod/"
done
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
	insmod /mod/$m.ko* || echo "PB-INSMOD-FAIL $m"
done
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
ip=$(arg pb_ip); peer=$(arg pb_ping); tries=$(arg pb_tries); stay=$(arg pb_stay)
for i in $(seq 1 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip link set lo up
ip link set eth0 up && ip addr add "$ip" dev eth0 && echo "PB-NET-UP $ip $(cat /sys/class/net/eth0/address)"
if [ -n "$peer" ]; then
	ok=0
	for i in $(seq 1 "${tries:-60}"); do
		if ping -c 1 -W 1 "$peer" >/dev/null 2>&1; then ok=1; break; fi
	done
	if [ "$ok" = 1 ] && ping -c 5 -i 0.2 -W 2 "$peer"; then echo PB-PING-OK; else echo PB-PING-FAIL; fi
fi
sleep "${stay:-1}"
echo PB-GUEST-DONE
poweroff -f
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.gz"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
