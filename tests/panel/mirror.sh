#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Port mirrors: pbgen tx -> vhost:src -> (patch) -> vhost:dst -> pbgen rx,
# with a mirror of what vhost:src receives to vhost:mon, where a second
# pbgen rx checks the copies by sequence number.
# Checks: both receivers get every frame, none lost or reordered (the
# mirrored stream loses nothing); the mirror counts COUNT copies and no
# drop; a mirror with vlan= tags its copies (tshark reads the tag from a
# capture of the monitor port); the mistakes (a mirror to its own source,
# a loop, a patched or bridged destination, bad options) are refused with
# their reason and change nothing; del --force of a mirrored port removes
# the mirror; /metrics counts the copies.
#
# usage: mirror.sh PBGEN PATCHBAYD=... PATCHBAY=... [COUNT=40000]

COUNT=40000
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"
py() { python3 -c "import json,sys; s=json.load(sys.stdin); $1"; }
mirror_field() { pbd_json mirror show | py "print(s['mirrors'][0]['$1'])"; }

pbd_start --workers 1 --http "unix:$D/api.sock"
for p in src dst mon other; do pbc add "vhost:$p"; done
pbc patch vhost:src vhost:dst
pbc mirror add m1 src=vhost:src dir=rx dst=vhost:mon
out=$(pbc mirror show) # whole, then grep: grep -q would SIGPIPE the CLI
grep -q '^m1: vhost:src (rx) -> vhost:mon: 0 copies, 0 dropped$' <<<"$out" || fail "mirror show: $out"

# Rate-limited, and the monitor's ring deep (200 ms of frames), so that a
# copy lost is a bug, not a receiver descheduled on a busy machine: a
# mirror drops what its destination has no room for, by design.
pbgen_bg rx rx "virtio:$RUN/vhost-dst.sock,queue-size=4096" -n "$COUNT" --wait 20 --idle-timeout 5 -q
pbgen_bg mon rx "virtio:$RUN/vhost-mon.sock,queue-size=4096" -n "$COUNT" --wait 20 --idle-timeout 5 -q
pbd_wait_link vhost:dst up 10
pbd_wait_link vhost:mon up 10
pbgen_bg tx tx "virtio:$RUN/vhost-src.sock" -n "$COUNT" -r 20000 --wait 20 -q
for n in tx rx mon; do
	pb_wait_exit "$n" 60
	[ "$PB_RC" = 0 ] || log "mirror show: $(pbc mirror show); vhost:mon: $(pbd_json stats vhost:mon)"
	expect_eq "pbgen $n exit status" "$PB_RC" 0
done
expect_eq "frames at the patch's receiver" "$(json_num rx frames_rx)" "$COUNT"
expect_eq "lost at the patch's receiver" "$(json_num rx lost)" 0
expect_eq "copies at the monitor" "$(json_num mon frames_rx)" "$COUNT"
expect_eq "copies lost" "$(json_num mon lost)" 0
expect_eq "copies reordered" "$(json_num mon reordered)" 0
expect_eq "the mirror's copies" "$(mirror_field frames)" "$COUNT"
expect_eq "the mirror's drops" "$(mirror_field dropped)" 0
out=$(curl -fsS --unix-socket "$D/api.sock" http://x/metrics)
grep -qx "patchbay_mirror_frames_total{mirror=\"m1\"} $COUNT" <<<"$out" || fail "/metrics: $(grep mirror <<<"$out")"
out=$(curl -fsS --unix-socket "$D/api.sock" http://x/v1/mirrors)
py "m = s['mirrors'][0]; assert m['name'] == 'm1' and m['src'] == ['vhost:src'] and m['frames'] == $COUNT, s" <<<"$out" ||
	fail "GET /v1/mirrors: $out"
log "ok: every frame reached its receiver and its copy the monitor, in order"

# ---- the mistakes, each named; nothing changes
pbc add vhost:free
pbc bridge add br0
pbc bridge attach br0 vhost:other
snap() { echo "$(pbd_status_snapshot) $(pbd_json mirror show | py "print([(m['name'], m['src'], m['dst'], m['dir']) for m in s['mirrors']])")"; }
before=$(snap)
pbc_err 1 "vhost:mon cannot mirror to itself" mirror add m2 src=vhost:mon dst=vhost:mon
pbc_err 1 "vhost:mon is the destination of mirror m1: mirroring it would loop" mirror add m2 src=vhost:mon dst=vhost:free
pbc_err 1 "vhost:mon is in mirror m1 already" mirror add m2 src=vhost:free dst=vhost:mon
pbc_err 1 "vhost:dst is patched: a mirror's destination is a port of its own" mirror add m2 src=vhost:free dst=vhost:dst
pbc_err 1 "vhost:other is on a bridge" mirror add m2 src=vhost:free dst=vhost:other
pbc_err 1 "mirror m1 exists" mirror add m1 src=vhost:free dst=vhost:free
pbc_err 1 "dir=sideways: expected rx, tx or both" mirror add m2 src=vhost:src dst=vhost:free dir=sideways
pbc_err 1 "vlan=0: expected a VLAN 1..4094" mirror add m2 src=vhost:src dst=vhost:free vlan=0
pbc_err 1 "vlan=4095: expected a VLAN 1..4094" mirror add m2 src=vhost:src dst=vhost:free vlan=4095
pbc_err 1 "src=: no port vhost:nope" mirror add m2 src=vhost:nope dst=vhost:free
pbc_err 1 "src=: vhost:src given twice" mirror add m2 src=vhost:src,vhost:src dst=vhost:free
pbc_err 1 "dst=: no port vhost:nope" mirror add m2 src=vhost:src dst=vhost:nope
pbc_err 1 "needs src=PORT" mirror add m2 dst=vhost:free
pbc_err 1 "unknown option 'colour' for a mirror" mirror add m2 src=vhost:src dst=vhost:free colour=red
pbc_err 1 "bad mirror name" mirror add 'm/2' src=vhost:src dst=vhost:free
pbc_err 1 "no mirror nope" mirror del nope
pbc_err 1 "port vhost:mon is the destination of mirror m1: it cannot be patched" patch vhost:free vhost:mon
pbc_err 1 "port vhost:mon is the destination of mirror m1: it cannot be bridged" bridge attach br0 vhost:mon
pbc_err 1 "port vhost:mon is in mirror m1: mirror del it first" del vhost:mon
pbc_err 2 "unknown subcommand" mirror frobnicate
[ "$before" = "$(snap)" ] || fail "a refused mirror request changed something: $before / $(snap)"
log "ok: every refused mirror request named its reason and changed nothing"

# ---- a tagged mirror: the monitor port's sent frames carry VLAN 99
pbc mirror del m1
pbc mirror add m2 src=vhost:src dst=vhost:mon vlan=99 dir=rx
pbgen_bg rx rx "virtio:$RUN/vhost-dst.sock" -n 50 --wait 20 --idle-timeout 5 -q
pbgen_bg mon rx "virtio:$RUN/vhost-mon.sock" -d 30 --wait 20 -q
pbd_wait_link vhost:dst up 10
pbd_wait_link vhost:mon up 10
pbc capture vhost:mon "$D/mon.pcapng" dir=tx count=50 --background >/dev/null
pbgen_bg tx tx "virtio:$RUN/vhost-src.sock" -n 50 -r 10000 --wait 20 -q
pb_wait_exit tx 30
pb_wait_exit rx 30
expect_eq "frames at the receiver (tagged mirror)" "$(json_num rx frames_rx)" 50
for _ in $(seq 50); do
	[ "$(pbd_json capture show | py "print(s['captures'][0]['state'])")" = "done" ] && break
	sleep 0.1
done
pbc capture stop >/dev/null
tags=$(tshark -r "$D/mon.pcapng" -T fields -e vlan.id 2>/dev/null | sort | uniq -c | awk '{print $1 "x" $2}')
expect_eq "VLAN tags on the monitor port's copies" "$tags" 50x99
pb_stop_pid "${PB_PID[mon]}" 3

# del --force of a mirrored port takes its mirror with it.
pbc del vhost:src --force
expect_eq "mirrors after del --force of the source" "$(pbd_json mirror show | py "print(len(s['mirrors']))")" 0
pbd_stop
pb_pass "mirrors: every frame copied in order without a loss to the mirrored stream; tags; refusals"
