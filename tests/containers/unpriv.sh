#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# unpriv.sh - pbrun without root: patchbayd, pbrun and the apps as nobody.
# pbrun then puts each container in a user namespace that maps only its own
# uid; the rest (mount, pid, net, uts, ipc namespaces, the read-only root,
# its own sockets, no capabilities, no_new_privs) is the same. A sender and
# a receiver container move 200000 frames through patchbayd, every one in
# order; a limit that needs root is refused with its reason.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=pbrun-unpriv
COUNT=200000
pb_init "$@"
command -v setpriv >/dev/null || fail "setpriv not found (util-linux)"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- "$@"; }

chmod 755 "$D"
mkdir "$D/bin" && cp "$PATCHBAYD" "$PATCHBAY" "$PBGEN" "$PBRUN" "$D/bin/" && chmod 755 "$D/bin"/*
B=$D/bin
RUN=$D/run
mkdir -m 700 "$RUN" && chown nobody:nogroup "$RUN"

log "start patchbayd as nobody"
timeout -s KILL "$PB_PROC_LIMIT" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all -- "$B/patchbayd" -r "$RUN" >>"$D/patchbayd.log" 2>&1 &
pb_track patchbayd $!
PATCHBAY=$B/patchbay
for ((i = 0; i < 100; i++)); do
	as_nobody "$B/patchbay" -r "$RUN" version >/dev/null 2>&1 && break
	sleep 0.1
done
pbn() { as_nobody "$B/patchbay" -r "$RUN" "$@" || fail "patchbay $* (as nobody) failed"; }
pbn add vhost:src
pbn add vhost:dst
pbn patch vhost:src vhost:dst

out=$(as_nobody "$B/pbrun" -r "$RUN" --no-prefix --port vhost:src -- /bin/sh -c '
	id -u; grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status; ls /run/patchbay; hostname' 2>&1) ||
	fail "pbrun as nobody: $out"
log "inside: $(printf '%s' "$out" | tr -s '[:space:]' ' ')"
for want in 65534 "CapEff:	0000000000000000" "CapBnd:	0000000000000000" "NoNewPrivs:	1" vhost-src.sock; do
	grep -qxF -- "$want" <<<"$out" || fail "inside the container as nobody: expected '$want' in: $out"
done

log "start rx and tx containers as nobody"
timeout -s KILL "$PB_PROC_LIMIT" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all -- "$B/pbrun" -r "$RUN" --name rx --no-prefix --port vhost:dst -- \
	"$B/pbgen" rx 'virtio:{port0}' -q -n "$COUNT" --idle-timeout 5 >"$D/rx.json" 2>"$D/rx.log" &
pb_track rx $!
for ((i = 0; i < 100; i++)); do
	pbn --json stats vhost:dst | grep -q '"link": *"up"' && break
	sleep 0.1
done
as_nobody "$B/pbrun" -r "$RUN" --name tx --no-prefix --port vhost:src -- \
	"$B/pbgen" tx 'virtio:{port0}' -q -n "$COUNT" >"$D/tx.json" 2>"$D/tx.log" ||
	fail "the sender container failed: $(cat "$D/tx.log")"
pb_wait_exit rx 60
expect_eq "receiver's exit status" "$PB_RC" 0
expect_eq "frames received" "$(json_num rx frames_rx)" "$COUNT"
expect_eq "frames lost" "$(json_num rx lost)" 0
expect_eq "frames out of order" "$(json_num rx reordered)" 0

# cgroup limits need root here: refused, saying so, nothing left
if as_nobody "$B/pbrun" -r "$RUN" --memory 64M -- /bin/true 2>"$D/mem.log"; then
	fail "--memory as nobody was accepted on a host where nobody cannot make cgroups"
fi
grep -q 'cgroup: cannot make' "$D/mem.log" || fail "--memory as nobody: $(cat "$D/mem.log")"
expect_eq "instances left" "$(find "$RUN/pbrun" -mindepth 1 | wc -l)" 0
pbd_stop
pb_pass "$COUNT frames between two containers, daemon, pbrun and apps all as nobody"
