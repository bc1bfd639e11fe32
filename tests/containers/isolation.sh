#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# isolation.sh - what an app in a built-in pbrun container is and sees:
# nobody, no capabilities (none in its bounding set either), no_new_privs,
# its own hostname, pid 1 its init, only lo, a read-only root, only its own
# sockets in /run/patchbay; and it cannot reach another container's socket,
# neither by its inner path nor by the host's. Then a rogue app tries
# both with pbgen, which must fail while the owner's link stays up.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=isolation
pb_init "$@"
pbd_start
pbc add vhost:a
pbc add vhost:b

# A owns vhost:a and keeps it up.
pbr_bg a --port vhost:a -- "$PBGEN" rx 'virtio:{port0}' -q --persist
pbd_wait_link vhost:a up 20

# B looks around.
# shellcheck disable=SC2016 # the script is B's shell's to expand, inside the container
"$PBRUN" -r "$RUN" --name b --no-prefix --port vhost:b -- /bin/sh -c '
	echo "uid=$(id -u) gid=$(id -g)"
	grep -E "^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status
	echo "hostname=$(hostname)"
	echo "pid1=$(tr "\0" " " </proc/1/cmdline | cut -c1-200)"
	echo "links=$(ls /sys/class/net | tr "\n" " ")"
	echo "sockets=$(ls /run/patchbay | tr "\n" " ")"
	echo "env=$PATCHBAY_PORT0"
	touch /usr/x 2>/dev/null && echo "usr=writable" || echo "usr=read-only"
	touch /x 2>/dev/null && echo "root=writable" || echo "root=read-only"
	touch /tmp/x && echo "tmp=writable"
	ls '"$RUN"' >/dev/null 2>&1 && echo "host-run=visible" || echo "host-run=invisible"
' >"$D/b.out" 2>"$D/b.log" || fail "pbrun sh failed: $(cat "$D/b.log")"
cat "$D/b.out" >&2
want() { grep -qxF -- "$1" "$D/b.out" || fail "inside the container: expected '$1'"; }
want "uid=65534 gid=65534"
want "CapEff:	0000000000000000"
want "CapPrm:	0000000000000000"
want "CapBnd:	0000000000000000"
want "CapAmb:	0000000000000000"
want "NoNewPrivs:	1"
want "hostname=b"
want "links=lo "
want "sockets=vhost-b.sock "
want "env=/run/patchbay/vhost-b.sock"
want "usr=read-only"
want "root=read-only"
want "tmp=writable"
want "host-run=invisible"
grep -q '^pid1=pbrun-init *$' "$D/b.out" || fail "pid 1 is not pbrun's init, or shows more than its name"

# A rogue app: A's socket by its inner name and by the host's path.
for target in /run/patchbay/vhost-a.sock "$RUN/vhost-a.sock"; do
	if "$PBRUN" -r "$RUN" --name rogue --no-prefix --port vhost:b -- \
		"$PBGEN" tx "virtio:$target" -q -n 1000 -w 2 >"$D/rogue.out" 2>"$D/rogue.log"; then
		fail "a container sent to another container's socket $target"
	fi
	log "rogue on $target: $(tail -n 1 "$D/rogue.log")"
done
expect_eq "A's link after the rogue's attempts" "$(pbd_link vhost:a)" up
expect_eq "frames A got" "$(pbd_stat vhost:a tx_frames)" 0

pbr_stop a
pbd_stop
pb_pass "nobody, no capabilities, its own sockets only; the other container's socket unreachable"
