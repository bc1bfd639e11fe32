#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# patchbay-cni with "bridge" (and "vlan") in the network configuration,
# verb by verb as the spec says a runtime runs a plugin:
#  - bad "bridge" and "vlan" values, "vlan" without "bridge", "bridge" with
#    "patch": code 7, before IPAM runs; nothing made (ports, bridges,
#    leases, state)
#  - one container ADDed then DELed: the bridge it made is gone again
#  - three containers on one bridge: the bridge is made by the first ADD,
#    each port attached (in every VLAN); traffic between them crosses it
#    (MODE=tap: the kernel's ping between every pair; MODE=vhost: pbgen
#    ping and echo on the sockets, each pair); CHECK, and what makes it
#    fail (the port detached, attached in another VLAN, the bridge gone)
#  - DEL of one leaves the bridge with the other two (still talking); GC
#    removes the stale ones and a port no state knows; the last one gone,
#    the bridge goes
#  - VLANs: two networks on one bridge, access ports of VLAN 10 and 20
#    (tap: 10 reaches 10, never 20); the bridge stays until the last port of
#    either network leaves
#  - a bridge made by someone else, with a port of theirs on it, is used
#    and never removed
#  - a failed ADD (its state cannot be written: the last step) undoes the
#    port, its attachment, the lease and the bridge it made, not one that
#    was there
#  - ADDs and DELs of many containers at once on one bridge, and
#    containers each ADDing, CHECKing and DELing over and over (the bridge
#    made and removed under the others' ADDs): every ADD succeeds and its
#    port is on the bridge, the bridge holds exactly the ports left, and
#    goes with the last
#
# usage: bridge.sh PBGEN PATCHBAYD=... PATCHBAY=... CNI=... [MODE=tap|vhost]

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/cni.sh"
MODE=tap
pb_init "$@"
cni_init

NET=pbbr$$
BR=cnibr$$
SUBNET=10.$((100 + $$ % 100)).$(($$ / 100 % 250)).0/24
PFX=${SUBNET%.0/24}
conf()
{ # conf NETWORK [EXTRA_JSON_MEMBERS] [RANGE_START]: a network on bridge
  # $BR unless EXTRA says another; CNI_PATH decides which host-local runs
	printf '{"cniVersion":"1.1.0","name":"%s","type":"patchbay-cni","mode":"%s","runDir":"%s",
	"socketDir":"%s","stateDir":"%s","ipam":{"type":"host-local","dataDir":"%s",
	"ranges":[[{"subnet":"%s","rangeStart":"%s.%s"}]]}%s}' "$1" "$MODE" "$RUN" "$D/socks" \
		"$D/state" "$D/ipam" "$SUBNET" "$PFX" "${3:-10}" "${2:+,$2}"
}
# members BRIDGE: its ports, sorted, space-separated; "none" if there is no
# such bridge
members()
{
	pbd_json bridge show | py "
b = [b for b in s['bridges'] if b['name'] == '$1']
print(' '.join(sorted(m['port'] for m in b[0]['members'])) if b else 'none')"
}
# member BRIDGE PORT: its mode and VLANs on the bridge ("access 10")
member()
{
	pbd_json bridge show "$1" | py "
print(*[(m['mode'], m['vlans']) for m in s['bridges'][0]['members'] if m['port'] == '$2'][0])"
}
bridge_names() { pbd_json bridge show | py 'print(" ".join(sorted(b["name"] for b in s["bridges"])))'; }
port_of() { echo "$MODE:${1:0:12}-eth0-$(cni_hash "${2:-$NET}")"; }
# snap: what the plugin makes and the traffic does not change: ports,
# patches, bridges with their members, leases, state
snap()
{
	echo "$(pbd_status_snapshot) bridges: $(pbd_json bridge show | py '
print(sorted((b["name"], sorted((m["port"], m["mode"], m["vlans"]) for m in b["members"]))
             for b in s["bridges"]))') $(find "$D/ipam" "$D/state" -type f ! -name "last_reserved_ip*" ! -name lock 2>/dev/null | sort | tr '\n' ' ')"
}
# add NAME [NETWORK] [EXTRA] [RANGE_START] / del NAME [NETWORK] [EXTRA]:
# container NAME (its netns in tap mode) on NETWORK
add()
{
	cni_ok ADD "$(conf "${2:-$NET}" "${3:-\"bridge\":\"$BR\"}" "${4:-10}")" "$1.json" \
		CNI_CONTAINERID="ctr$1" CNI_IFNAME=eth0 CNI_NETNS="$(cni_ns "$1")"
}
del()
{
	cni_ok DEL "$(conf "${2:-$NET}" "${3:-\"bridge\":\"$BR\"}")" - CNI_CONTAINERID="ctr$1" CNI_IFNAME=eth0
}
addr() { local a; a=$(cni_get "$1.json" 'r["ips"][0]["address"]'); echo "${a%/*}"; }
# ping FROM TO: FROM's kernel pings TO's address (tap)
pings() { ip netns exec "$(cni_nsname "$1")" ping -c 2 -i 0.2 -W 2 "$(addr "$2")" >"$D/ping.log" 2>&1; }
# talk FROM TO: FROM reaches TO through the bridge (tap: ping; vhost: pbgen
# ping on FROM's socket, pbgen echo on TO's)
talk()
{
	if [ "$MODE" = tap ]; then
		pings "$1" "$2" || fail "$1 cannot ping $2 ($(addr "$2")) over bridge: $(cat "$D/ping.log")"
	else
		pbgen_bg "echo-$2" echo "virtio:$(cni_get "$2.json" 'r["interfaces"][0]["socketPath"]')" --wait 20 -q
		pbd_wait_link "$(port_of "ctr$2")" up 10
		pbgen_bg "ping-$1" ping "virtio:$(cni_get "$1.json" 'r["interfaces"][0]["socketPath"]')" -n 100 --wait 20 -q
		pb_wait_exit "ping-$1" 30
		expect_eq "pbgen ping $1 -> $2 exit" "$PB_RC" 0
		expect_eq "pings $1 -> $2 answered over the bridge" "$(json_num "ping-$1" frames_rx)" 100
		pb_stop_pid "${PB_PID[echo-$2]}" 2
		pbd_wait_link "$(port_of "ctr$1")" down 10
		pbd_wait_link "$(port_of "ctr$2")" down 10
	fi
}

pbd_start --workers 2
for n in a b c d e f g h; do cni_netns $n; done
# No IPv6 but in a, b and c: ADD waits out DAD of the link-local address.
for n in d e f g h; do
	ip netns exec "$(cni_nsname $n)" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
# A host-local that logs its calls, so "IPAM was not run" is seen.
mkdir -p "$D/cnipath"
# shellcheck disable=SC2016 # $CNI_COMMAND is the wrapper's to expand when host-local is called
printf '#!/bin/sh\necho "$CNI_COMMAND" >>"%s"\nexec /usr/lib/cni/host-local "$@"\n' \
	"$D/ipam-calls" >"$D/cnipath/host-local"
chmod +x "$D/cnipath/host-local"

# ---- bad values: code 7, no IPAM call, nothing made
before=$(snap)
bad()
{ # bad EXTRA_MEMBERS PATTERN
	cni_err ADD "$(conf "$NET" "$1")" 7 "$2" CNI_CONTAINERID=ctrbad CNI_IFNAME=eth0 \
		CNI_NETNS="$(cni_ns a)" CNI_PATH="$D/cnipath"
}
long=$(printf 'b%.0s' {1..32})
for b in '""' '"a b"' "\"$long\"" '7' '"../x"' '"br/0"' '"é"' 'null' '["br0"]'; do
	bad "\"bridge\":$b" "^bridge must name a bridge on patchbayd: 1 to 31 letters, digits, '-', '_', '\.'"
done
for v in 0 4095 -1 65536 '"10"' 10.5 true; do
	bad "\"bridge\":\"$BR\",\"vlan\":$v" "^vlan must be an integer 1\.\.4094 \(0 and 4095 are reserved\), not "
done
bad '"vlan":10' "^vlan needs bridge"
bad "\"bridge\":\"$BR\",\"patch\":[\"vhost:x\"]" "^bridge and patch do not go together"
[ ! -e "$D/ipam-calls" ] || fail "IPAM was run for a bad bridge/vlan: $(tr '\n' ' ' <"$D/ipam-calls")"
! grep -q "added $MODE:ctrbad" "$D/patchbayd.log" || fail "patchbayd made a port for a bad config"
[ "$before" = "$(snap)" ] || fail "a bad bridge config changed something:
before $before
after  $(snap)"
# 31 characters is a name (the longest); "vlan" at either end of its range
add a "$NET" "\"bridge\":\"$(printf 'b%.0s' {1..31})\",\"vlan\":4094"
del a "$NET" "\"bridge\":\"$(printf 'b%.0s' {1..31})\",\"vlan\":4094"
log "ok: bad bridge/vlan values refused (7) before IPAM, nothing made; a 31-character name taken"

# ---- ADD then DEL: the bridge ADD made goes with DEL
add a
expect_eq "bridge $BR after ADD" "$(members "$BR")" "$(port_of ctra)"
expect_eq "a's port on $BR in every VLAN" "$(member "$BR" "$(port_of ctra)")" "all all"
expect_eq "a's state names the bridge" "$(py 'print(s["bridge"])' <"$D/state/$NET/ctra@eth0.json")" "$BR"
del a
expect_eq "bridges after ADD and DEL" "$(bridge_names)" ""
[ "$before" = "$(snap)" ] || fail "ADD and DEL left something:
before $before
after  $(snap)"
del a
log "ok: ADD made bridge $BR and attached the port; DEL (twice) left no port, no bridge"

# ---- three containers on one bridge
add a
add b
add c
PA=$(port_of ctra)
PB=$(port_of ctrb)
PC=$(port_of ctrc)
expect_eq "members of $BR" "$(members "$BR")" "$(printf '%s\n' "$PA" "$PB" "$PC" | sort | tr '\n' ' ' | sed 's/ $//')"
for p in "$PA" "$PB" "$PC"; do
	expect_eq "$p is not patched" "$(pbd_json show "$p" | py 'print(s["patched_to"])')" "[]"
done
if [ "$MODE" = tap ]; then
	for i in a b c; do for j in a b c; do [ $i = $j ] || talk $i $j; done; done
	log "ok: a, b, c ping each other over bridge $BR"
else
	talk a b
	talk b c
	talk c a
	log "ok: pbgen a -> b, b -> c, c -> a over bridge $BR"
fi

# ---- CHECK
prev()
{ # prev NAME [EXTRA]: the config with a's prevResult
	conf "$NET" "${2:-\"bridge\":\"$BR\"},\"prevResult\":$(cat "$D/$1.json")"
}
check_ok() { cni_ok CHECK "$(prev "$1" "${2:-}")" - CNI_CONTAINERID="ctr$1" CNI_IFNAME=eth0 CNI_NETNS="$(cni_ns "$1")"; }
check_err() { cni_err CHECK "$(prev "$1" "${3:-}")" 102 "$2" CNI_CONTAINERID="ctr$1" CNI_IFNAME=eth0 CNI_NETNS="$(cni_ns "$1")"; }
check_ok a
pbc bridge detach "$PA"
check_err a "port $PA is not on bridge $BR"
pbc bridge attach "$BR" "$PA" vlan=5
check_err a "port $PA is on bridge $BR as access of VLANs 5, not of every VLAN"
check_err a "port $PA is on bridge $BR as access of VLANs 5, not in VLAN 6" "\"bridge\":\"$BR\",\"vlan\":6"
check_ok a "\"bridge\":\"$BR\",\"vlan\":5"
pbc bridge detach "$PA"
pbc bridge attach "$BR" "$PA"
check_ok a
check_err a "bridge nobr$$ is gone from patchbayd" "\"bridge\":\"nobr$$\""
log "ok: CHECK finds the port on its bridge, in its VLANs, or says why not"

# ---- DEL of one: the other two stay on the bridge, still talking
del b
expect_eq "members of $BR after b's DEL" "$(members "$BR")" "$(printf '%s\n' "$PA" "$PC" | sort | tr '\n' ' ' | sed 's/ $//')"
talk a c
talk c a
del b
expect_eq "members of $BR after b's second DEL" "$(members "$BR")" "$(printf '%s\n' "$PA" "$PC" | sort | tr '\n' ' ' | sed 's/ $//')"
log "ok: b's DEL left a and c on $BR, reaching each other"

# ---- GC: c is stale; then a port no state knows; then all
valid_a="\"cni.dev/valid-attachments\":[{\"containerID\":\"ctra\",\"ifname\":\"eth0\"}]"
cni_ok GC "$(conf "$NET" "\"bridge\":\"$BR\",$valid_a")" -
expect_eq "members of $BR after GC" "$(members "$BR")" "$PA"
gc_opts=()
[ "$MODE" = tap ] && gc_opts=("ifname=pbgc$$")
ORPHAN="$MODE:zzzz00000000-eth9-$(cni_hash "$NET")"
pbc add "$ORPHAN" "${gc_opts[@]}"
pbc bridge attach "$BR" "$ORPHAN"
cni_ok GC "$(conf "$NET" "\"bridge\":\"$BR\",$valid_a")" -
expect_eq "members of $BR after GC of a port with no state" "$(members "$BR")" "$PA"
expect_eq "ports after GC" "$(pbd_json status | py 'print(" ".join(p["name"] for p in s["ports"]))')" "$PA"
cni_ok GC "$(conf "$NET" "\"bridge\":\"$BR\",\"cni.dev/valid-attachments\":[]")" -
expect_eq "bridges after GC of every attachment" "$(bridge_names)" ""
expect_eq "ports after GC of every attachment" "$(pbd_json status | py 'print(len(s["ports"]))')" 0
log "ok: GC removed the stale attachments from $BR, then $BR with the last"

# ---- VLANs: two networks on one bridge, access ports of VLAN 10 and 20
BRV=cnivl$$
V10="\"bridge\":\"$BRV\",\"vlan\":10"
V20="\"bridge\":\"$BRV\",\"vlan\":20"
add d "$NET-10" "$V10" 20
add e "$NET-10" "$V10" 20
add f "$NET-20" "$V20" 30
PD=$(port_of ctrd "$NET-10")
PF=$(port_of ctrf "$NET-20")
expect_eq "d on $BRV" "$(member "$BRV" "$PD")" "access 10"
expect_eq "f on $BRV" "$(member "$BRV" "$PF")" "access 20"
cni_ok CHECK "$(conf "$NET-10" "$V10,\"prevResult\":$(cat "$D/d.json")" 20)" - CNI_CONTAINERID=ctrd CNI_IFNAME=eth0 CNI_NETNS="$(cni_ns d)"
if [ "$MODE" = tap ]; then
	talk d e
	talk e d
	! pings d f || fail "d (VLAN 10) reached f (VLAN 20) over $BRV"
	! pings f e || fail "f (VLAN 20) reached e (VLAN 10) over $BRV"
	log "ok: VLAN 10 reaches VLAN 10 over $BRV, never VLAN 20"
fi
del d "$NET-10" "$V10"
del e "$NET-10" "$V10"
expect_eq "members of $BRV with network $NET-10 gone" "$(members "$BRV")" "$PF"
del f "$NET-20" "$V20"
expect_eq "bridges after the last VLAN port's DEL" "$(bridge_names)" ""
log "ok: two networks share $BRV in their VLANs; it went with the last port of either"

# ---- a bridge someone else made, with a port of theirs: used, never removed
BRX=cniup$$
pbc add null:up$$
pbc bridge add "$BRX"
pbc bridge attach "$BRX" null:up$$
add g "$NET" "\"bridge\":\"$BRX\""
expect_eq "members of $BRX" "$(members "$BRX")" "null:up$$ $(port_of ctrg)"
del g "$NET" "\"bridge\":\"$BRX\""
expect_eq "members of $BRX after DEL" "$(members "$BRX")" "null:up$$"
cni_ok GC "$(conf "$NET" "\"bridge\":\"$BRX\",\"cni.dev/valid-attachments\":[]")" -
expect_eq "members of $BRX after GC" "$(members "$BRX")" "null:up$$"
log "ok: an existing bridge with another's port is used and kept"

# ---- a failed ADD undoes the attachment and the bridge it made (not one
# that was there): its last step, the state, cannot be written
touch "$D/notadir"
before=$(snap)
for br in "cninew$$" "$BRX"; do
	: >"$D/ipam-calls"
	cni_err ADD "$(conf "$NET" "\"bridge\":\"$br\"" | sed "s|\"stateDir\":\"[^\"]*\"|\"stateDir\":\"$D/notadir/state\"|")" \
		5 "state directory" CNI_CONTAINERID=ctrh CNI_IFNAME=eth0 CNI_PATH="$D/cnipath" CNI_NETNS="$(cni_ns h)"
	grep -q "attached $(port_of ctrh) to $br" "$D/patchbayd.log" || fail "the failed ADD never attached to $br"
	expect_eq "IPAM calls of the failed ADD" "$(sort -u "$D/ipam-calls" | tr '\n' ' ')" "ADD DEL "
	[ "$before" = "$(snap)" ] || fail "a failed ADD on $br left something:
before $before
after  $(snap)"
done
expect_eq "bridges after the failed ADDs" "$(bridge_names)" "$BRX"
pbc bridge del "$BRX" --force
pbc del null:up$$
log "ok: a failed ADD left no port, attachment, lease, or bridge it made; the one that was there stayed"

# ---- many at once: ADDs racing, ADDs racing DELs, DELs racing; then
# containers each adding, checking and deleting over and over, so that the
# bridge is made and removed under the others' ADDs. (No IPv6 in these
# namespaces: ADD waits out its link-local address's DAD, a second or two.)
BRR=cnirace$$
N=5
for i in $(seq 1 $((2 * N))); do
	cni_netns "r$i"
	ip netns exec "$(cni_nsname "r$i")" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
rconf() { conf "$NET" "\"bridge\":\"$BRR\"${1:+,$1}"; }
rns() { echo "CNI_NETNS=$(cni_ns "r$1")"; }
par()
{ # par VERB FIRST LAST: VERB of containers rFIRST..rLAST, all at once
	local verb=$1 i pids=()
	for ((i = $2; i <= $3; i++)); do
		cni_run "$verb" "$(rconf)" "par-$verb-$i.json" CNI_CONTAINERID="ctrr$i" CNI_IFNAME=eth0 "$(rns "$i")" &
		pids+=($!)
	done
	for ((i = $2; i <= $3; i++)); do
		wait "${pids[i - $2]}" || fail "$verb of r$i (at once with others) failed: $(cat "$D/par-$verb-$i.json")"
	done
}
race_ports() { for ((i = $1; i <= $2; i++)); do port_of "ctrr$i"; done | sort | tr '\n' ' ' | sed 's/ $//'; }
par ADD 1 $N
expect_eq "members of $BRR after $N ADDs at once" "$(members "$BRR")" "$(race_ports 1 $N)"
par DEL 1 $N &
dels=$!
par ADD $((N + 1)) $((2 * N))
wait $dels || fail "the DELs at once failed"
expect_eq "members of $BRR after $N DELs racing $N ADDs" "$(members "$BRR")" "$(race_ports $((N + 1)) $((2 * N)))"
par DEL $((N + 1)) $((2 * N))
expect_eq "bridges after the last DELs" "$(bridge_names)" ""
# churn I: container rI, ADD, CHECK (its port is on the bridge), DEL, again
churn()
{
	local i=$1 k
	for ((k = 1; k <= 4; k++)); do
		cni_run ADD "$(rconf)" "churn-$i.json" CNI_CONTAINERID="ctrr$i" CNI_IFNAME=eth0 "$(rns "$i")" ||
			fail "churn $i.$k: ADD failed: $(cat "$D/churn-$i.json")"
		cni_run CHECK "$(rconf "\"prevResult\":$(cat "$D/churn-$i.json")")" "churn-check-$i.json" \
			CNI_CONTAINERID="ctrr$i" CNI_IFNAME=eth0 "$(rns "$i")" ||
			fail "churn $i.$k: CHECK after ADD failed: $(cat "$D/churn-check-$i.json")"
		cni_run DEL "$(rconf)" "churn-del-$i.json" CNI_CONTAINERID="ctrr$i" CNI_IFNAME=eth0 ||
			fail "churn $i.$k: DEL failed: $(cat "$D/churn-del-$i.json")"
	done
}
made0=$(grep -c "added bridge $BRR " "$D/patchbayd.log")
pids=()
for i in $(seq 1 $N); do
	churn "$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a churning container failed (above)"; done
made=$(($(grep -c "added bridge $BRR " "$D/patchbayd.log") - made0))
expect_eq "bridges after the churn" "$(bridge_names)" ""
expect_eq "ports after the races" "$(pbd_json status | py 'print(len(s["ports"]))')" 0
log "ok: ADDs and DELs at once: every ADD attached (and CHECK found it on $BRR), the bridge went with the last; made $made times in the churn"

[ -z "$(find "$D/state" "$D/ipam" -type f -name '*.json' -o -type f -name '10.*')" ] ||
	fail "left behind: $(find "$D/state" "$D/ipam" -type f)"
pbd_stop
pb_pass "$MODE: bridge and vlan keys: bad values refused, three containers on one bridge, DEL/GC/CHECK, VLANs, an existing bridge kept, a failed ADD undone, races"
