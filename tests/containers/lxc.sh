#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# lxc.sh - `pbrun --print lxc` run as printed, under Debian's LXC:
#
#   tx ─▶ vhost:src ══▶ vhost:fwd0 ─▶ l2fwd in LXC ─▶ vhost:fwd1 ══▶ vhost:dst ─▶ rx
#
# The forwarder is the example l2fwd copied out of the build tree into the
# test's temp dir (an app from outside /usr: pbrun binds it at /opt/pbrun).
# The test saves pbrun's text as a file and runs the steps it prints (its
# indented comment lines, THIS_FILE being the file's name) in sh, nothing
# else: they add the ports, make the root and run lxc-execute -n NAME -f
# FILE. The app
# runs as nobody (lxc.init.uid/gid) without capabilities, in its own network
# namespace, under --cpus and --memory; every frame must come through, in
# order, intact. Then its SIGTERM ends the container with the app's status,
# and nothing of it is left: processes, mounts, cgroups, the root.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=lxc
COUNT=300000
pb_init "$@"
command -v lxc-execute >/dev/null || fail "lxc-execute not found: scripts/setup.sh installs Debian's lxc"
[ "$(id -u)" -eq 0 ] || fail "lxc-execute here needs root (the app itself runs as nobody)"

NAME=pbt-lxc-$$
ROOT=/var/lib/lxc/$NAME
[ -e "$ROOT" ] && fail "$ROOT exists already"
APP_PID=

# The container is stopped before its root goes: the root is the test's
# to remove (the printed steps made it), and only once nothing is mounted
# under it.
# shellcheck disable=SC2317 # run by the EXIT trap below, not called directly
lxc_cleanup()
{
	local rc=$?

	[ -n "${PB_PID[fwd]:-}" ] && pb_stop_pid "${PB_PID[fwd]}" 3
	if [ -d "$ROOT" ] && ! grep -qF " $ROOT/" /proc/self/mountinfo; then
		rm -rf --one-file-system "$ROOT"
	fi
	(exit "$rc")
	pb_cleanup
}
trap lxc_cleanup EXIT

# The app from outside /usr, readable by the container's user.
mkdir -m 0755 "$D/app"
cp "$L2FWD" "$D/app/example_l2fwd"
chmod 0755 "$D/app/example_l2fwd"

pbd_start
cgroups_before=$(find /sys/fs/cgroup -name "lxc.payload.$NAME" 2>/dev/null | wc -l)
pbc add vhost:src
pbc add vhost:dst

"$PBRUN" -r "$RUN" --name "$NAME" --port vhost:fwd0 --port vhost:fwd1 --cpus "$CPU_B" \
	--memory 256M --print lxc -- "$D/app/example_l2fwd" 'virtio:{port0}' 'virtio:{port1}' \
	>"$D/lxc.conf" || fail "pbrun --print lxc failed"
log "printed: $(cat "$D/lxc.conf")"
sed -n 's/^#   //p' "$D/lxc.conf" | sed "s|THIS_FILE|$D/lxc.conf|g" >"$D/steps.sh"
grep -q "^lxc-execute -n $NAME -f $D/lxc.conf\$" "$D/steps.sh" ||
	fail "--print lxc printed no lxc-execute step: $(cat "$D/lxc.conf")"
# The steps call patchbay; the build's, as a user's PATH would find it.
PATH=$(dirname "$PATCHBAY"):$PATH timeout -s KILL "$PB_PROC_LIMIT" sh -e "$D/steps.sh" \
	>"$D/fwd.json" 2>"$D/fwd.log" &
pb_track fwd $!

# The steps make the ports first; a step that fails ends them.
for ((i = 0; i < 300; i++)); do
	[ -S "$RUN/vhost-fwd1.sock" ] && break
	pb_alive fwd || fail "the printed steps failed: $(cat "$D/fwd.log" "$D/fwd.json")"
	sleep 0.1
done
pbc patch vhost:src vhost:fwd0
pbc patch vhost:fwd1 vhost:dst
pbd_wait_link vhost:fwd0 up 30
pbd_wait_link vhost:fwd1 up 30

# The app as LXC runs it: nobody, no capabilities, no_new_privs, its own
# network namespace, the cgroup limits.
for pid in $(pgrep -x example_l2fwd); do
	tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "PATCHBAY_NAME=$NAME" && APP_PID=$pid
done
[ -n "$APP_PID" ] || fail "no example_l2fwd with PATCHBAY_NAME=$NAME running"
st=/proc/$APP_PID/status
expect_eq "app's uids" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st")" "65534 65534 65534 65534"
expect_eq "app's gids" "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$st")" "65534 65534 65534 65534"
expect_eq "app's capabilities" "$(awk '/^CapEff:/ {print $2}' "$st")" 0000000000000000
expect_eq "app's bounding set" "$(awk '/^CapBnd:/ {print $2}' "$st")" 0000000000000000
expect_eq "app's no_new_privs" "$(awk '/^NoNewPrivs:/ {print $2}' "$st")" 1
[ "$(readlink "/proc/$APP_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ] ||
	fail "the app shares the host's network namespace"
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$APP_PID/cgroup")
	expect_eq "app's cpuset" "$(cat "$cg/cpuset.cpus")" "$CPU_B"
	expect_eq "app's memory limit" "$(cat "$cg/memory.max")" 268435456
else
	cg=$(sed -n 's/^[0-9]*:cpuset://p' "/proc/$APP_PID/cgroup")
	expect_eq "app's cpuset" "$(cat "/sys/fs/cgroup/cpuset$cg/cpuset.cpus")" "$CPU_B"
	cg=$(sed -n 's/^[0-9]*:memory://p' "/proc/$APP_PID/cgroup")
	expect_eq "app's memory limit" "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" 268435456
fi

pbgen_bg rx rx "virtio:$RUN/vhost-dst.sock" -q -n "$COUNT" --idle-timeout 5 --wait 20
pbd_wait_link vhost:dst up 20
pbgen_bg tx tx "virtio:$RUN/vhost-src.sock" -q -n "$COUNT" --wait 20
pb_wait_exit tx 60
expect_eq "sender's exit status" "$PB_RC" 0
pb_wait_exit rx 60
pbgen_summary rx
expect_eq "receiver's exit status" "$PB_RC" 0
expect_eq "frames through the LXC container" "$(json_num rx frames_own)" "$COUNT"
expect_eq "frames lost" "$(json_num rx lost)" 0
expect_eq "frames out of order" "$(json_num rx reordered)" 0
expect_eq "frames corrupted" "$(json_num rx corrupted)" 0

# SIGTERM to the app (by its pid): it prints its counts and exits 0, and
# lxc-execute, the last step, ends with it.
kill -TERM "$APP_PID"
pb_wait_exit fwd 20
expect_eq "the printed steps' exit status (lxc-execute's, the app's)" "$PB_RC" 0
grep -q "port0 -> port1: $COUNT frames forwarded, 0 dropped" "$D/fwd.json" ||
	fail "l2fwd's own count: $(cat "$D/fwd.json" "$D/fwd.log")"
kill -0 "$APP_PID" 2>/dev/null && fail "the app outlived its container"

# Nothing of the container is left but the root the steps made.
grep -qF " $ROOT/" /proc/self/mountinfo && fail "mounts left under $ROOT"
expect_eq "LXC cgroups left" "$(find /sys/fs/cgroup -name "lxc.payload.$NAME" 2>/dev/null | wc -l)" \
	"$cgroups_before"
# --print touches nothing, so the ports the steps added are the user's to delete.
for p in src fwd0 fwd1 dst; do pbc del --force "vhost:$p"; done
pbd_stop
pb_pass "pbrun --print lxc run as printed: l2fwd as nobody under lxc-execute, $COUNT frames through it"
