#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Bridges refuse what is wrong with an error that names it, and change
# nothing: VLAN 0, 4095 and 4096, a bad MAC, a port attached twice or to
# two bridges, a bridge that does not exist, a bridged port patched or a
# patched port bridged, a bridge with ports deleted without --force, bad
# options. After all of them the bridges, the ports and the patches are as
# they were. Then what --force and detach do: del --force of a bridged
# port and of a bridge with ports; REST's /v1/bridges and its fdb; save
# and --config give back bridges, members and static entries.
#
# usage: bridge_bad.sh PBGEN PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"
py() { python3 -c "import json,sys; s=json.load(sys.stdin); $1"; }

pbd_start --workers 1
pbc add null:a
pbc add null:b
pbc add null:c
pbc add null:p
pbc add null:q
pbc bridge add br0 aging=60 max-macs=100
pbc bridge add br1
pbc bridge attach br0 null:a vlan=10
pbc bridge attach br0 null:b trunk=10,20
pbc patch null:p null:q
pbc fdb add br0 02:00:00:00:00:01 null:a
snap() { echo "$(pbd_status_snapshot) $(pbd_json bridge show | py "print([(b['name'], [(m['port'], m['vlans']) for m in b['members']]) for b in s['bridges']])") $(pbd_json fdb show | py "print([(b['bridge'], [(e['mac'], e['port']) for e in b['entries']]) for b in s['bridges']])")"; }
before=$(snap)
log "before: $before"

pbc_err 1 "vlan=0: expected a VLAN 1..4094" bridge attach br0 null:c vlan=0
pbc_err 1 "vlan=4095: expected a VLAN 1..4094" bridge attach br0 null:c vlan=4095
pbc_err 1 "vlan=4096: expected a VLAN 1..4094" bridge attach br0 null:c vlan=4096
pbc_err 1 "'4096' is not a VLAN" bridge attach br0 null:c trunk=10,4096
pbc_err 1 "trunk=10,,20: expected all or VLANs" bridge attach br0 null:c trunk=10,,20
pbc_err 1 "vlan= \\(an access port\\) and trunk= cannot both" bridge attach br0 null:c vlan=10 trunk=20
pbc_err 1 "unknown option 'colour' for a bridge port" bridge attach br0 null:c colour=red
pbc_err 1 "max-macs=101: expected a whole number in 1..100" bridge attach br0 null:c max-macs=101
pbc_err 1 "port null:a is on bridge br0 already" bridge attach br0 null:a
pbc_err 1 "port null:a is on bridge br0 already" bridge attach br1 null:a
pbc_err 1 "port null:p is patched" bridge attach br1 null:p
pbc_err 1 "no bridge nope" bridge attach nope null:c
pbc_err 1 "no port null:zz" bridge attach br0 null:zz
pbc_err 1 "port null:a is on bridge br0: a bridged port cannot be patched" patch null:a null:c
pbc_err 1 "port null:b is on bridge br0: a bridged port cannot be patched" patch null:c null:b
pbc_err 1 "port null:a is on bridge br0: detach it first" del null:a
pbc_err 1 "bridge br0 has ports: detach them first" bridge del br0
pbc_err 1 "bridge br0 exists" bridge add br0
pbc_err 1 "bad bridge name 'b/r'" bridge add b/r
pbc_err 1 "bad bridge name" bridge add 0123456789012345678901234567890123
pbc_err 1 "aging=-1: expected a whole number" bridge add br2 aging=-1
pbc_err 1 "max-macs=0: expected a whole number in 1..1000000" bridge add br2 max-macs=0
pbc_err 1 "flood=maybe: expected on or off" bridge add br2 flood=maybe
pbc_err 1 "unknown option 'vlan' for a bridge" bridge add br2 vlan=10
pbc_err 1 "bad MAC '02:00:00:00:00'" fdb add br0 02:00:00:00:00 null:a
pbc_err 1 "bad MAC 'zz:00:00:00:00:01'" fdb add br0 zz:00:00:00:00:01 null:a
pbc_err 1 "group address" fdb add br0 01:00:5e:00:00:01 null:a
pbc_err 1 "port null:c is not on bridge br0" fdb add br0 02:00:00:00:00:02 null:c
pbc_err 1 "port null:a is not in VLAN 20 on br0" fdb add br0 02:00:00:00:00:02 null:a vlan=20
pbc_err 1 "has a static entry on br0 already" fdb add br0 02:00:00:00:00:01 null:a
pbc_err 1 "no static entry for 02:00:00:00:00:09" fdb del br0 02:00:00:00:00:09
pbc_err 1 "port null:c is on no bridge" bridge detach null:c
pbc_err 1 "port null:b is not on bridge br1" bridge detach br1 null:b
pbc_err 2 "unknown subcommand" bridge frobnicate br0
pbc_err 2 "missing a word" bridge attach br0
pbc_err 2 "too many words" fdb del br0 02:00:00:00:00:01 null:a extra
after=$(snap)
[ "$before" = "$after" ] || fail "a refused request changed something: before $before, after $after"
log "ok: every refused request left bridges, ports, patches and the fdb as they were"

# REST: the bridges and a table.
pbd_stop
pbd_start --workers 1 --http "unix:$D/api.sock"
pbc add null:a
pbc bridge add br0
pbc bridge attach br0 null:a vlan=7
pbc fdb add br0 02:00:00:00:00:07 null:a
get() { curl -sS --unix-socket "$D/api.sock" "$@"; }
url=http://x
get -f "$url/v1/bridges" | py "b = s['bridges'][0]; assert b['name'] == 'br0' and b['members'][0]['vlans'] == '7', s" ||
	fail "GET /v1/bridges"
get -f "$url/v1/bridges/br0/fdb" | py "assert s[0]['mac'] == '02:00:00:00:00:07' and s[0]['vlan'] == 7 and s[0]['static'], s" ||
	fail "GET /v1/bridges/br0/fdb"
code=$(get -o /dev/null -w '%{http_code}' "$url/v1/bridges/nope")
expect_eq "GET /v1/bridges/nope" "$code" 404
get -f "$url/metrics" >"$D/metrics" || fail "GET /metrics"
promtool check metrics <"$D/metrics" || fail "promtool check metrics: $(grep bridge "$D/metrics")"
grep -qx 'patchbay_bridge_fdb_entries{bridge="br0",kind="static"} 1' "$D/metrics" ||
	fail "no static entry count in /metrics: $(grep bridge "$D/metrics")"
grep -qx 'patchbay_bridge_ports{bridge="br0"} 1' "$D/metrics" || fail "no port count in /metrics"
grep -qx 'patchbay_bridge_dropped_total{bridge="br0",reason="vlan"} 0' "$D/metrics" ||
	fail "no drops by reason in /metrics"
log "ok: REST lists bridges and their tables; /metrics has them (promtool accepts it)"

# del --force of a bridged port detaches it; bridge del --force its ports.
pbc add null:b
pbc bridge attach br0 null:b
pbc del null:a --force
expect_eq "br0's members after del --force null:a" \
	"$(pbd_json bridge show br0 | py "print(' '.join(m['port'] for m in s['bridges'][0]['members']))")" null:b
expect_eq "br0's static entries after its port went" \
	"$(pbd_json bridge show br0 | py "print(s['bridges'][0]['fdb_static'])")" 0
pbc bridge del br0 --force
expect_eq "bridges after del --force" "$(pbd_json bridge show | py "print(len(s['bridges']))")" 0
pbc patch null:b null:b
log "ok: del --force detaches; a detached port can be patched again"

# save -> --config gives back the bridges, their members and static entries.
pbc unpatch null:b
pbc add null:c
pbc add null:d
pbc bridge add brs aging=0 max-macs=50 flood=off
pbc bridge attach brs null:b vlan=5
pbc bridge attach brs null:c trunk=5,6,7 max-macs=9
pbc bridge attach brs null:d
pbc fdb add brs 02:00:00:00:00:05 null:b
pbc fdb add brs 02:00:00:00:00:06 null:c vlan=6
pbc add null:e
pbc mirror add mm src=null:b,null:c dst=null:e dir=tx vlan=9
bstate() { pbd_json bridge show | py "
for b in s['bridges']:
    print(b['name'], b['aging_s'], b['max_macs'], b['flood'], b['fdb_static'], [(m['port'], m['mode'], m['vlans'], m['max_macs']) for m in b['members']])"
	pbd_json mirror show | py "print([(m['name'], m['src'], m['dst'], m['dir'], m.get('vlan')) for m in s['mirrors']])"; }
# status, topo and its DOT show the bridge and the mirror.
# (Output captured first: grep -q stops reading early, and under pipefail
# the writer's SIGPIPE would fail the pipeline.)
out=$(pbc status)
grep -q '^null:c .*bridge brs (vlans 5,6,7)' <<<"$out" || fail "status: $out"
out=$(pbc topo)
grep -q '^bridge brs: null:b (vlans 5) null:c (vlans 5,6,7) null:d (vlans all)$' <<<"$out" || fail "topo: $out"
grep -q '^mirror mm: null:b null:c ┈▶ null:e (tx)$' <<<"$out" || fail "topo: $out"
dot=$(pbc topo --dot)
grep -qF '"null:c" -> "bridge:brs" [dir=both, label="vlans 5,6,7"];' <<<"$dot" || fail "topo --dot: $dot"
grep -qF '"null:b" -> "null:e" [style=dashed, label="mirror mm"];' <<<"$dot" || fail "topo --dot: $dot"
pbc topo --svg "$D/topo.svg"
grep -q 'bridge:brs' "$D/topo.svg" || fail "topo --svg drew no bridge"
log "ok: status, topo (text, DOT, SVG) show bridges and mirrors"
before=$(bstate)
pbc save "$D/recipe"
pbd_stop
RUN=$D/run2
pbd_start --workers 1 --config "$D/recipe"
after=$(bstate)
[ "$before" = "$after" ] || fail "bridges replayed differ: before $before, after $after, recipe $(cat "$D/recipe")"
log "ok: save and --config give back the bridges and mirrors: $after"
pbd_stop
pb_pass "bridges refuse bad requests (each named, nothing changed); --force, detach and REST"
