#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A hostile host floods a bridge with source MACs: 200,000 frames, each from
# a random MAC (built with scapy, bridge_flood.py), into one tap port of a
# bridge with max-macs=1000, while two other hosts ping each other.
# Checks: the table never holds more than its bound (fdb_learned, the port's
# macs), the MACs it could not learn are counted (learn_full); the two
# hosts' MACs stay in the table and their ping keeps being answered during
# the flood and after; patchbayd's memory does not grow with the flood.
#
# usage: bridge_flood.sh PBGEN PATCHBAYD=... PATCHBAY=... [COUNT=200000]

COUNT=200000
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"
py() { python3 -c "import json,sys; s=json.load(sys.stdin); $1"; }
/usr/bin/python3 -c 'import scapy' 2>/dev/null || fail "no scapy for /usr/bin/python3 (scripts/setup.sh installs python3-scapy)"

NS=()
for i in 1 2 3; do NS[i]="pbf$$-$i"; done
pb_netns_add "${NS[@]}"
in_ns() { local i=$1; shift; ip netns exec "${NS[i]}" "$@"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/${PB_PID[patchbayd]}/status"; }
bridge() { pbd_json bridge show brf | py "b = s['bridges'][0]; $1"; }

pbd_start --workers 1
for i in 1 2 3; do pbc add "tap:f$i" netns="${NS[i]}" addr="10.78.9.$i/24"; done
pbc bridge add brf max-macs=1000
for i in 1 2 3; do pbc bridge attach brf "tap:f$i"; done
for i in 1 2 3; do pbd_wait_link "tap:f$i" up 10; done
in_ns 2 ping -c 3 -i 0.2 -W 1 10.78.9.3 >/dev/null || fail "ping f2 -> f3 before the flood"
mac2=$(in_ns 2 cat /sys/class/net/pb-f2/address)
mac3=$(in_ns 3 cat /sys/class/net/pb-f3/address)
rss0=$(rss_kb)

in_ns 2 ping -c 60 -i 0.1 -W 1 10.78.9.3 >"$D/ping-during.txt" 2>&1 &
PING=$!
pb_track ping "$PING"
sent=$(in_ns 1 timeout 120 /usr/bin/python3 "$(dirname "$0")/bridge_flood.py" pb-f1 "$COUNT") ||
	fail "bridge_flood.py: $sent"
log "flood: $sent of $COUNT frames sent from as many random MACs"
wait "$PING"
pb_untrack "$PING"
got=$(grep -o '[0-9]* received' "$D/ping-during.txt" | cut -d' ' -f1)
log "ping during the flood: $(tail -n 2 "$D/ping-during.txt" | tr '\n' ' ')"
[ "${got:-0}" -ge 54 ] || fail "ping f2 -> f3 during the flood: ${got:-0} of 60 answered"

learned=$(bridge "print(b['fdb_learned'])")
full=$(bridge "print(b['counters']['learn_full'])")
f1_macs=$(bridge "print([m['macs'] for m in b['members'] if m['port'] == 'tap:f1'][0])")
log "after the flood: $learned entries, $f1_macs of them on tap:f1, learn_full $full"
[ "$learned" -le 1000 ] || fail "the table holds $learned entries, over its bound of 1000"
[ "$f1_macs" -le 1000 ] || fail "tap:f1 holds $f1_macs entries, over its bound"
expect_ge "entries learned (the table filled up)" "$learned" 990
expect_ge "MACs not learned, counted (learn_full)" "$full" $((sent / 2))
fdb=$(pbd_json fdb show brf)
for m in "$mac2:tap:f2" "$mac3:tap:f3"; do
	want=${m##*:tap:}
	port=$(py "print(' '.join(e['port'] for e in s['bridges'][0]['entries'] if e['mac'] == '${m%%:tap:*}'))" <<<"$fdb")
	expect_eq "the entry for ${m%%:tap:*} after the flood" "$port" "tap:$want"
done
in_ns 2 ping -c 5 -i 0.2 -W 1 10.78.9.3 >/dev/null || fail "ping f2 -> f3 after the flood"
rss1=$(rss_kb)
log "patchbayd VmRSS: $rss0 kB before, $rss1 kB after"
[ "$rss1" -le $((rss0 + 8192)) ] || fail "patchbayd grew by $((rss1 - rss0)) kB during the flood"
pbd_stop
pb_pass "a flood of $sent source MACs: the table stayed at its bound, known MACs kept flowing, memory flat"
