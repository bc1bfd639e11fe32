#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The whole chain as an unprivileged user: patchbayd, the patchbay CLI and
# two pbgen apps all run as USER (default nobody), with no capabilities and
# no hugepages, in a run directory of that user's. The daemon runs with
# --group users: another user in that group may use its sockets, a user
# outside it may not (sockets 0660, run directory 2770 of group users): the
# socket permissions are the access control.
#
# usage: unpriv.sh PBGEN PATCHBAYD=... PATCHBAY=... [USER_=nobody] [COUNT=300000]

USER_=nobody
COUNT=300000
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

command -v setpriv >/dev/null || fail "setpriv not found (util-linux)"
id "$USER_" >/dev/null 2>&1 || fail "no user $USER_"
uid=$(id -u "$USER_")
gid=$(id -g "$USER_")
ops=$(getent group users | cut -d: -f3) # Debian's "users" group (100)
[ -n "$ops" ] || fail "no group 'users'"
as_user() { setpriv --reuid="$uid" --regid="$gid" --groups="$ops" --inh-caps=-all -- "$@"; }
# Binaries must be reachable by the user: the build tree may sit under a
# private home. Copy them to a world-readable place of the test's own.
chmod 755 "$D"
mkdir "$D/bin" && cp "$PATCHBAYD" "$PATCHBAY" "$PBGEN" "$D/bin/" && chmod 755 "$D/bin"/*
home=$D/home
mkdir -m 711 "$home" && chown "$uid:$gid" "$home"
RUN=$home/run

log "start patchbayd as $USER_ (uid $uid)"
timeout -s KILL 60 setpriv --reuid="$uid" --regid="$gid" --groups="$ops" --inh-caps=-all -- \
	"$D/bin/patchbayd" -r "$RUN" --workers 1 --group users >>"$D/patchbayd.log" 2>&1 &
pb_track patchbayd $!
PATCHBAY="$D/bin/patchbay"
for ((i = 0; i < 100; i++)); do
	as_user "$D/bin/patchbay" -r "$RUN" version >/dev/null 2>&1 && break
	sleep 0.05
done
as_user "$D/bin/patchbay" -r "$RUN" version || fail "the daemon does not answer its own user"
dpid=$(cat "/proc/${PB_PID[patchbayd]}/task/${PB_PID[patchbayd]}/children")
expect_eq "patchbayd's real and effective uid" \
	"$(awk '/^Uid:/ { print $2 "/" $3 }' "/proc/${dpid// /}/status")" "$uid/$uid"
expect_eq "control socket mode" "$(stat -c %a "$RUN/control.sock")" 660
expect_eq "run directory mode and group" "$(stat -c '%a %G' "$RUN")" "2770 users"
expect_eq "control socket group" "$(stat -c %G "$RUN/control.sock")" users

as_user "$D/bin/patchbay" -r "$RUN" add vhost:1 || fail "add vhost:1 as $USER_"
as_user "$D/bin/patchbay" -r "$RUN" add vhost:2 || fail "add vhost:2"
as_user "$D/bin/patchbay" -r "$RUN" patch vhost:1 vhost:2 || fail "patch"
expect_eq "port socket mode" "$(stat -c %a "$RUN/vhost-1.sock")" 660
# A tap port needs CAP_NET_ADMIN: a clear error, nothing else changes.
out=$(as_user "$D/bin/patchbay" -r "$RUN" add tap:x 2>&1) && fail "an unprivileged tap port was created"
grep -q "CAP_NET_ADMIN" <<<"$out" || fail "tap error does not say what is missing: $out"
log "ok: tap refused: $out"
# Another unprivileged user may not connect, unless in the daemon's group.
out=$(setpriv --reuid=65533 --regid=65533 --clear-groups --inh-caps=-all -- \
	"$D/bin/patchbay" -r "$RUN" status 2>&1) && fail "a stranger used the control socket"
grep -q -i "permission denied" <<<"$out" || fail "a stranger was not told 'permission denied': $out"
log "ok: stranger refused: $out"
out=$(setpriv --reuid=65533 --regid=65533 --groups="$ops" --inh-caps=-all -- \
	"$D/bin/patchbay" -r "$RUN" status 2>&1) || fail "a member of the group was refused: $out"
log "ok: a member of group users may: $(head -n 1 <<<"$out")"

log "start rx and tx as $USER_"
timeout -s KILL 60 setpriv --reuid="$uid" --regid="$gid" --groups="$ops" --inh-caps=-all -- \
	"$D/bin/pbgen" rx "virtio:$RUN/vhost-2.sock" -n "$COUNT" --wait 20 -q >"$D/rx.json" 2>"$D/rx.log" &
pb_track rx $!
pbd_wait_link vhost:2 up 10 # (root may read the user's socket: it bypasses the modes)
timeout -s KILL 60 setpriv --reuid="$uid" --regid="$gid" --groups="$ops" --inh-caps=-all -- \
	"$D/bin/pbgen" tx "virtio:$RUN/vhost-1.sock" -n "$COUNT" --wait 20 -q >"$D/tx.json" 2>"$D/tx.log" &
pb_track tx $!
pb_wait_exit tx 40
expect_eq "tx exit status" "$PB_RC" 0
pb_wait_exit rx 40
expect_eq "rx exit status" "$PB_RC" 0
expect_eq "frames received" "$(json_num rx frames_rx)" "$COUNT"
expect_eq "lost" "$(json_num rx lost)" 0
kill -TERM "$(cat "/proc/${PB_PID[patchbayd]}/task/${PB_PID[patchbayd]}/children")"
pb_wait_exit patchbayd 10
expect_eq "patchbayd exit status" "$PB_RC" 0
[ -z "$(find "$RUN" -type s)" ] || fail "sockets left behind"
pb_pass "daemon, CLI and apps as $USER_: $COUNT frames, none lost; its group admitted, strangers and taps refused"
