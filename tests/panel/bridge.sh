#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Learning bridges with the kernel's own stack as the hosts: four network
# namespaces, each with a tap port patchbayd made inside it.
#  1. One bridge of all four (no VLANs): ping and arping between every
#     pair; each namespace's neighbour table holds the others' real MACs;
#     the bridge learned the four MACs on the right ports; a frame to an
#     unknown MAC is flooded to every other member, one to a learned MAC
#     is not; a static entry (fdb add) sends that MAC to its port alone.
#  2. The same hosts on two bridges in VLANs 10 and 20 (access ports), the
#     bridges joined by a trunk of both VLANs (two trunk taps joined by a
#     kernel bridge in a fifth namespace): a host reaches the host of its
#     VLAN on the other bridge, never one of the other VLAN on either;
#     tcpdump -e on the trunk sees both tags.
#
# usage: bridge.sh PBGEN PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

for t in ip ping arping tcpdump; do
	command -v "$t" >/dev/null || fail "$t not found (scripts/setup.sh installs it)"
done
NS=()
for i in 1 2 3 4 5; do NS[i]="pbb$$-$i"; done
pb_netns_add "${NS[@]}"
in_ns() { local i=$1; shift; ip netns exec "${NS[i]}" "$@"; }
mac_of() { in_ns "$1" cat "/sys/class/net/pb-h$1/address"; }
# br_ctr BRIDGE COUNTER
br_ctr() { pbd_json bridge show "$1" | py "print(s['bridges'][0]['counters']['$2'])"; }
py() { python3 -c "import json,sys; s=json.load(sys.stdin); $1"; }
pings() { in_ns "$1" ping -c "${3:-2}" -i 0.2 -W 1 "10.78.0.$2" >/dev/null 2>&1; }

pbd_start --workers 1
for i in 1 2 3 4; do
	pbc add "tap:h$i" netns="${NS[i]}" addr="10.78.0.$i/24"
done

# ---- 1. one bridge, no VLANs
pbc bridge add br0 aging=300
for i in 1 2 3 4; do pbc bridge attach br0 "tap:h$i"; done
for i in 1 2 3 4; do pbd_wait_link "tap:h$i" up 10; done
for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		[ "$i" = "$j" ] && continue
		pings "$i" "$j" || fail "ping 10.78.0.$j from ${NS[i]} over br0"
	done
done
log "ok: ping between every pair of four namespaces over br0"
for j in 2 3 4; do
	in_ns 1 arping -c 2 -w 3 -I pb-h1 "10.78.0.$j" >/dev/null ||
		fail "arping 10.78.0.$j from ${NS[1]}"
done
log "ok: arping from ${NS[1]} to the three others"
for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		[ "$i" = "$j" ] && continue
		got=$(in_ns "$i" ip neigh show 10.78.0.$j dev "pb-h$i" | awk '{print $3}')
		expect_eq "${NS[i]}'s neighbour 10.78.0.$j" "$got" "$(mac_of "$j")"
	done
done
fdb=$(pbd_json fdb show br0)
for i in 1 2 3 4; do
	port=$(py "print(' '.join(e['port'] for e in s['bridges'][0]['entries'] if e['mac'] == '$(mac_of "$i")' and e['vlan'] == 0))" <<<"$fdb")
	expect_eq "br0's entry for h$i's MAC" "$port" "tap:h$i"
done
expect_ge "br0 learned" "$(br_ctr br0 learned)" 4
expect_ge "br0 flooded (ARP broadcasts)" "$(br_ctr br0 flooded)" 4
out=$(pbc fdb show br0) # whole, then grep: grep -q would SIGPIPE the CLI
grep -q "$(mac_of 2) dev tap:h2 vlan 0 br0 age" <<<"$out" || fail "fdb show's text: $out"

# Known unicast is not flooded: h1 -> h2 again, with ARP cached.
f0=$(br_ctr br0 flooded)
t3=$(pbd_stat tap:h3 tx_frames)
pings 1 2 5 || fail "ping h1 -> h2"
expect_eq "frames flooded by a ping between learned MACs" "$(br_ctr br0 flooded)" "$f0"
expect_eq "frames h3 was sent meanwhile" "$(pbd_stat tap:h3 tx_frames)" "$t3"
# Unknown unicast is: a neighbour nobody is behind.
in_ns 1 ip neigh replace 10.78.0.99 lladdr 02:00:00:00:99:99 dev pb-h1
t4=$(pbd_stat tap:h4 tx_frames)
pings 1 99 3 && fail "a ping to nobody was answered"
expect_ge "frames flooded to the unknown MAC" "$(br_ctr br0 flooded)" $((f0 + 3))
expect_ge "h3 got the unknown unicast" "$(pbd_stat tap:h3 tx_frames)" $((t3 + 3))
expect_ge "h4 got the unknown unicast" "$(pbd_stat tap:h4 tx_frames)" $((t4 + 3))
# A static entry sends it to h2 alone (SPP's classifier_mac).
pbc fdb add br0 02:00:00:00:99:99 tap:h2
f1=$(br_ctr br0 flooded) t2=$(pbd_stat tap:h2 tx_frames) t3=$(pbd_stat tap:h3 tx_frames)
pings 1 99 3
expect_eq "frames flooded with the static entry" "$(br_ctr br0 flooded)" "$f1"
expect_ge "h2 got them" "$(pbd_stat tap:h2 tx_frames)" $((t2 + 3))
expect_eq "h3 got none" "$(pbd_stat tap:h3 tx_frames)" "$t3"
out=$(pbc fdb show br0)
grep -q "02:00:00:00:99:99 dev tap:h2 vlan 0 br0 static" <<<"$out" || fail "the static entry in fdb show: $out"
pbc fdb del br0 02:00:00:00:99:99
log "ok: learned unicast goes to its port alone, unknown unicast is flooded, a static entry classifies"

# ---- 2. two bridges, VLANs 10 and 20, a trunk between them
for i in 1 2 3 4; do pbc bridge detach "tap:h$i"; done
pbc bridge del br0
pbc bridge add brA
pbc bridge add brB
pbc add tap:ta netns="${NS[5]}"
pbc add tap:tb netns="${NS[5]}"
pbc bridge attach brA tap:h1 vlan=10
pbc bridge attach brA tap:h2 vlan=20
pbc bridge attach brB tap:h3 vlan=10
pbc bridge attach brB tap:h4 vlan=20
pbc bridge attach brA tap:ta trunk=10,20
pbc bridge attach brB tap:tb trunk=10,20
in_ns 5 ip link add brk type bridge
in_ns 5 ip link set pb-ta master brk
in_ns 5 ip link set pb-tb master brk
in_ns 5 ip link set brk up
for p in h1 h2 h3 h4 ta tb; do pbd_wait_link "tap:$p" up 10; done
for i in 1 2 3 4; do in_ns "$i" ip neigh flush dev "pb-h$i"; done

in_ns 5 timeout 30 tcpdump -e -n -l -i pb-tb -c 400 >"$D/trunk.txt" 2>"$D/tcpdump.err" &
TD=$!
pb_track tcpdump "$TD"
for _ in $(seq 50); do grep -q 'listening on' "$D/tcpdump.err" && break; sleep 0.1; done
pings 1 3 3 || fail "VLAN 10 across the trunk: h1 -> h3"
pings 2 4 3 || fail "VLAN 20 across the trunk: h2 -> h4"
log "ok: each VLAN crosses the trunk"
pings 1 2 2 && fail "h1 (VLAN 10) reached h2 (VLAN 20) on one bridge"
pings 1 4 2 && fail "h1 (VLAN 10) reached h4 (VLAN 20) across the trunk"
pings 4 1 2 && fail "h4 (VLAN 20) reached h1 (VLAN 10)"
log "ok: VLANs 10 and 20 do not reach each other, on one bridge or across the trunk"
kill "$TD" 2>/dev/null
wait "$TD" 2>/dev/null
pb_untrack "$TD"
grep -q 'vlan 10,' "$D/trunk.txt" || fail "no VLAN 10 tag on the trunk: $(head -n 5 "$D/trunk.txt")"
grep -q 'vlan 20,' "$D/trunk.txt" || fail "no VLAN 20 tag on the trunk: $(head -n 5 "$D/trunk.txt")"
grep -E -q "^[^ ]+ $(mac_of 1) > .*vlan 10," "$D/trunk.txt" || fail "h1's frames are not in VLAN 10 on the trunk"
log "ok: tcpdump -e on the trunk sees tags 10 and 20 ($(grep -c vlan "$D/trunk.txt") tagged frames)"
fdb=$(pbd_json fdb show brA)
vl=$(py "print(' '.join(str(e['vlan']) for e in s['bridges'][0]['entries'] if e['mac'] == '$(mac_of 3)'))" <<<"$fdb")
expect_eq "brA learned h3's MAC in VLAN" "$vl" 10
port=$(py "print(' '.join(e['port'] for e in s['bridges'][0]['entries'] if e['mac'] == '$(mac_of 3)'))" <<<"$fdb")
expect_eq "brA learned h3's MAC behind" "$port" tap:ta

pbd_stop
pb_pass "bridges: four namespaces switched by MAC, flooding and learning, static entries, VLANs over a trunk"
