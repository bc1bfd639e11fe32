#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# patchbay-cni driven verb by verb the way the spec says a runtime runs a
# plugin (environment + config on stdin), for what libcni cannot drive (GC,
# STATUS, the versions) and for the mistakes. Two containers (network
# namespaces) are attached; the second's config patches it to the first, and
# traffic between them crosses patchbayd:
#   MODE=tap    a tap: port is each netns's eth0 with a host-local address;
#               the kernel's ping goes from one to the other
#   MODE=vhost  a vhost: port per container, its socket in the pod's
#               directory; pbgen echo on one, pbgen ping on the other
# Then CHECK (and what makes it fail), the result in each cniVersion, GC
# with cni.dev/valid-attachments, STATUS with and without patchbayd, DEL
# twice and with the daemon down; last the mistakes (missing variables, bad
# JSON, an unknown mode, a bad version, ADD twice, a patch to nowhere, DEL of
# something unknown), each with its documented code, nothing changed.
#
# usage: verbs.sh PBGEN PATCHBAYD=... PATCHBAY=... CNI=... [MODE=tap|vhost]

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/cni.sh"
MODE=tap
pb_init "$@"
cni_init

NET=pbv$$
SUBNET=10.$((100 + $$ % 100)).$(($$ / 100 % 250)).0/24
conf()
{ # conf VERSION [EXTRA_JSON_MEMBERS]
	printf '{"cniVersion":"%s","name":"%s","type":"patchbay-cni","mode":"%s","runDir":"%s",
	"socketDir":"%s","stateDir":"%s","ipam":{"type":"host-local","subnet":"%s",
	"dataDir":"%s"}%s}' "$1" "$NET" "$MODE" "$RUN" "$D/socks" "$D/state" "$SUBNET" \
		"$D/ipam" "${2:+,$2}"
}
pbd_start --workers 1
cni_netns a
cni_netns b
CID_A=aaaa0000000000000000000000000000000000000000000000000000000000a1
CID_B=bbbb0000000000000000000000000000000000000000000000000000000000b2
ARGS_A="IgnoreUnknown=1;K8S_POD_NAMESPACE=web;K8S_POD_NAME=pod-a"

# ---- ADD: A plain, B patched to A (both ways)
cni_ok ADD "$(conf 1.1.0)" a.json CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0 CNI_ARGS="$ARGS_A"
PORT_A=$(pbd_json status | py 'print(s["ports"][0]["name"])')
expect_eq "A's port" "$PORT_A" "$MODE:${CID_A:0:12}-eth0-$(cni_hash "$NET")"
cni_ok ADD "$(conf 1.1.0 "\"patch\":[\"$PORT_A\"],\"socketOwner\":\"65534:65534\"")" b.json CNI_CONTAINERID=$CID_B CNI_NETNS="$(cni_ns b)" CNI_IFNAME=eth0
PORT_B="$MODE:${CID_B:0:12}-eth0-$(cni_hash "$NET")"
expect_eq "B patched to A" "$(pbd_json show "$PORT_B" | py 'print(s["patched_to"])')" "['$PORT_A']"
expect_eq "A patched back to B" "$(pbd_json show "$PORT_A" | py 'print(s["patched_to"])')" "['$PORT_B']"
ADDR_A=$(cni_get a.json 'r["ips"][0]["address"]')
ADDR_B=$(cni_get b.json 'r["ips"][0]["address"]')
expect_eq "A's result names eth0" "$(cni_get a.json 'r["interfaces"][0]["name"]')" eth0
expect_eq "the ips point at interface 0" "$(cni_get a.json 'r["ips"][0]["interface"]')" 0
[ "$ADDR_A" != "$ADDR_B" ] || fail "A and B got the same address $ADDR_A"
log "A $ADDR_A, B $ADDR_B"

if [ "$MODE" = tap ]; then
	expect_eq "A's result sandbox" "$(cni_get a.json 'r["interfaces"][0]["sandbox"]')" "$(cni_ns a)"
	mac=$(ip -n "$(cni_nsname a)" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	expect_eq "A's result mac is eth0's" "$(cni_get a.json 'r["interfaces"][0]["mac"]')" "$mac"
	ip -n "$(cni_nsname a)" -o addr show eth0 | grep -q "inet $ADDR_A " || fail "eth0 in A lacks $ADDR_A"
	# The kernel's ping from B to A, through patchbayd's two tap ports.
	ip netns exec "$(cni_nsname b)" ping -c 3 -i 0.2 -W 2 "${ADDR_A%/*}" >"$D/ping.log" 2>&1 ||
		fail "B cannot ping A through patchbayd: $(cat "$D/ping.log")"
	expect_ge "frames patchbayd moved B -> A" "$(pbd_stat "$PORT_A" tx_frames)" 3
else
	SOCK_A=$D/socks/web_pod-a/eth0.sock
	expect_eq "A's socketPath (the pod's directory)" "$(cni_get a.json 'r["interfaces"][0]["socketPath"]')" "$SOCK_A"
	SOCK_B=$(cni_get b.json 'r["interfaces"][0]["socketPath"]')
	expect_eq "B's socketPath (no pod name: the container ID)" "$SOCK_B" "$D/socks/$CID_B/eth0.sock"
	{ [ -S "$SOCK_A" ] && [ -S "$SOCK_B" ]; } || fail "the sockets are not there"
	expect_eq "B's socket owner (socketOwner)" "$(stat -c %u:%g "$SOCK_B")" 65534:65534
	pbgen_bg echo echo "virtio:$SOCK_A" --wait 20 -q
	pbd_wait_link "$PORT_A" up 10
	pbgen_bg ping ping "virtio:$SOCK_B" -n 200 --wait 20 -q
	pb_wait_exit ping 30
	expect_eq "pbgen ping exit" "$PB_RC" 0
	expect_eq "pings answered through patchbayd" "$(json_num ping frames_rx)" 200
	pb_stop_pid "${PB_PID[echo]}" 2
fi

# ---- CHECK: as made, then each thing it checks broken
prev()
{ # prev RESULT_FILE [EXTRA]: the config with prevResult
	conf 1.1.0 "${2:+$2,}\"prevResult\":$(cat "$D/$1")"
}
cni_ok CHECK "$(prev a.json)" - CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0 CNI_ARGS="$ARGS_A"
cni_ok CHECK "$(prev b.json "\"patch\":[\"$PORT_A\"]")" - CNI_CONTAINERID=$CID_B CNI_NETNS="$(cni_ns b)" CNI_IFNAME=eth0
pbc unpatch "$PORT_A" "$PORT_B"
cni_err CHECK "$(prev b.json "\"patch\":[\"$PORT_A\"]")" 102 "not patched back" CNI_CONTAINERID=$CID_B CNI_NETNS="$(cni_ns b)" CNI_IFNAME=eth0
pbc patch "$PORT_A" "$PORT_B"
if [ "$MODE" = tap ]; then
	ip -n "$(cni_nsname a)" link set eth0 down
	cni_err CHECK "$(prev a.json)" 102 "eth0 in .* is down" CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0
	ip -n "$(cni_nsname a)" link set eth0 up
	ip -n "$(cni_nsname a)" addr del "$ADDR_A" dev eth0
	cni_err CHECK "$(prev a.json)" 102 "lacks its address $ADDR_A" CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0
	ip -n "$(cni_nsname a)" addr add "$ADDR_A" dev eth0
else
	mv "$SOCK_A" "$D/moved.sock"
	cni_err CHECK "$(prev a.json)" 102 "socket .* is gone" CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0 CNI_ARGS="$ARGS_A"
	mv "$D/moved.sock" "$SOCK_A"
fi
cni_ok CHECK "$(prev a.json)" - CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0 CNI_ARGS="$ARGS_A"
cni_err CHECK "$(conf 1.1.0)" 7 "prevResult" CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0

# ---- the result in each version a runtime may ask for
cni_netns c
for v in 0.4.0 1.0.0; do
	cni_ok ADD "$(conf $v)" c.json CNI_CONTAINERID=cccc$v CNI_NETNS="$(cni_ns c)" CNI_IFNAME=net1
	expect_eq "result version" "$(cni_get c.json 'r["cniVersion"]')" "$v"
	expect_eq "no socketPath before 1.1.0" "$(cni_get c.json '"socketPath" in r["interfaces"][0]')" False
	[ "$v" = 0.4.0 ] && expect_eq "0.4.0 ips carry their version" "$(cni_get c.json 'r["ips"][0]["version"]')" 4
	cni_ok DEL "$(conf $v)" - CNI_CONTAINERID=cccc$v CNI_NETNS="$(cni_ns c)" CNI_IFNAME=net1
done
cni_ok VERSION '{"cniVersion":"1.0.0"}' v.json
expect_eq "VERSION answers in the version asked" "$(cni_get v.json 'r["cniVersion"]')" 1.0.0
expect_eq "supportedVersions" "$(cni_get v.json '" ".join(r["supportedVersions"])')" "0.3.0 0.3.1 0.4.0 1.0.0 1.1.0"

# ---- the mistakes: each its code, nothing changed (ports, patches, leases, state)
snap()
{
	# shellcheck disable=SC2012 # a listing only compared with another; the names are ours (addresses, container IDs)
	echo "$(pbd_status_snapshot) $(ls "$D/ipam/$NET" "$D/state/$NET" | tr '\n' ' ')"
}
before=$(snap)
cni_err ADD "$(conf 1.1.0)" 100 "ADD twice without DEL" CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0)" 4 "CNI_CONTAINERID is not set" CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0)" 4 "CNI_IFNAME is not set" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)"
cni_err ADD "$(conf 1.1.0)" 4 "CNI_IFNAME 'eth0/x' must be" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0/x
cni_err ADD "$(conf 1.1.0)" 4 "CNI_CONTAINERID '../x' must be" CNI_CONTAINERID=../x CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0)" 4 "CNI_PATH is not set" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0 CNI_PATH=
[ "$MODE" = tap ] && cni_err ADD "$(conf 1.1.0)" 4 "CNI_NETNS is not set" CNI_CONTAINERID=x1 CNI_IFNAME=eth0
[ "$MODE" = tap ] && cni_err ADD "$(conf 1.1.0)" 3 "netns /run/netns/pb-none-$$: No such file" CNI_CONTAINERID=x1 CNI_NETNS=/run/netns/pb-none-$$ CNI_IFNAME=eth0
cni_err "" "$(conf 1.1.0)" 4 "CNI_COMMAND is not set" CNI_CONTAINERID=x1 CNI_IFNAME=eth0
cni_err ATTACH "$(conf 1.1.0)" 4 "'ATTACH' is not a CNI verb" CNI_CONTAINERID=x1 CNI_IFNAME=eth0
cni_err ADD '{"cniVersion": "1.1.0", "name": ' 6 "not JSON: line [0-9]+, column [0-9]+" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD '[1]' 6 "must be an object" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0 | sed "s/\"mode\":\"$MODE\"/\"mode\":\"bridge\"/")" 2 'mode: "bridge" is not supported' CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 9.9.9)" 1 'cniVersion "9.9.9" is not supported' CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0 '"socketOwner":"nobody"')" 7 'socketOwner must be "UID:GID"' CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0 '"mtu":"big"')" 7 "mtu must be an integer" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0 '"portOptions":{"path":"/etc/x"}')" 2 'portOptions.path: "/etc/x" is set by the plugin' CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0 '"portOptions":{"nope":"1"}')" 101 "unknown option 'nope'" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0 '"patch":["vhost:nowhere"]')" 7 "patch: port vhost:nowhere is not on patchbayd" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err ADD "$(conf 1.1.0 | sed 's|"socketDir":"[^"]*"|"socketDir":"relative"|')" 7 "socketDir must be an absolute path" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
cni_err GC "$(conf 1.0.0)" 1 "GC needs cniVersion 1.1.0"
cni_err GC "$(conf 1.1.0)" 7 "GC needs cni.dev/valid-attachments"
cni_err CHECK "$(conf 0.3.1)" 1 "CHECK needs cniVersion 0.4.0" CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0
cni_ok DEL "$(conf 1.1.0)" - CNI_CONTAINERID=never-added CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
after=$(snap)
[ "$before" = "$after" ] || fail "a mistake changed something:
before $before
after  $after"
log "ok: after every mistake, ports, patches, leases and state are as before"

# ---- mtu: one range, what every port type takes, refused before anything
# is made. A host-local that logs its calls stands in CNI_PATH, so "IPAM
# was not run" is seen, not inferred from a lease rolled back.
mkdir -p "$D/cnipath"
# shellcheck disable=SC2016 # $CNI_COMMAND is the wrapper's to expand when host-local is called
printf '#!/bin/sh\necho "$CNI_COMMAND" >>"%s"\nexec /usr/lib/cni/host-local "$@"\n' \
	"$D/ipam-calls" >"$D/cnipath/host-local"
chmod +x "$D/cnipath/host-local"
before=$(snap)
for mtu in 9001 65535 67; do
	cni_err ADD "$(conf 1.1.0 "\"mtu\":$mtu")" 7 "^mtu must be an integer 68\.\.9000.*not $mtu" \
		CNI_CONTAINERID=mtu$mtu CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0 CNI_PATH="$D/cnipath"
done
[ ! -e "$D/ipam-calls" ] || fail "IPAM was run for a bad mtu: $(tr '\n' ' ' <"$D/ipam-calls")"
! grep -q "added $MODE:mtu" "$D/patchbayd.log" || fail "patchbayd made a port for a bad mtu"
[ "$before" = "$(snap)" ] || fail "a bad mtu changed something"
# The top of the range is what the ports take: made, and the link has it.
cni_ok ADD "$(conf 1.1.0 '"mtu":9000')" m.json CNI_CONTAINERID=mtu9000 CNI_NETNS="$(cni_ns c)" \
	CNI_IFNAME=eth0 CNI_PATH="$D/cnipath"
# (ADD twice when host-local refuses 1.1.0 and is asked again in 1.0.0)
expect_eq "IPAM calls for mtu 9000" "$(sort -u "$D/ipam-calls")" ADD
if [ "$MODE" = tap ]; then
	ip -n "$(cni_nsname c)" -o link show eth0 | grep -q " mtu 9000 " ||
		fail "eth0 in C has not mtu 9000: $(ip -n "$(cni_nsname c)" -o link show eth0)"
fi
cni_ok DEL "$(conf 1.1.0 '"mtu":9000')" - CNI_CONTAINERID=mtu9000 CNI_NETNS="$(cni_ns c)" \
	CNI_IFNAME=eth0 CNI_PATH="$D/cnipath"
[ "$before" = "$(snap)" ] || fail "ADD and DEL with mtu 9000 left something"
# The user's page says the range the plugin checks.
# shellcheck disable=SC2016 # the backquotes are the Markdown table's, matched literally
grep -E '^\| `mtu` \|' "$(dirname "$0")/../../docs/CNI.md" | grep -q '68\.\.9000' ||
	fail "docs/CNI.md's mtu row does not say 68..9000"
log "ok: mtu outside 68..9000 refused (7) with no IPAM call and no port; 9000 made"

# ---- an IPAM plugin that answers nonsense: code 103, nothing left. Its
# address has a leading-zero prefix, which libnl would read as octal.
printf '#!/bin/sh\ncat >/dev/null\necho %s\n' \
	"'{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.9.9.9/024\"}]}'" >"$D/cnipath/bad-ipam"
chmod +x "$D/cnipath/bad-ipam"
before=$(snap)
cni_err ADD "$(conf 1.1.0 | sed 's/"type":"host-local"/"type":"bad-ipam"/')" 103 \
	"IPAM plugin bad-ipam: ips\[0\]\.address is not ADDR/LEN" \
	CNI_CONTAINERID=badipam CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0 CNI_PATH="$D/cnipath"
! grep -q "added $MODE:badipam" "$D/patchbayd.log" || fail "a port was made for a bad IPAM answer"
[ "$before" = "$(snap)" ] || fail "a bad IPAM answer changed something"

# ---- IPv6 (tap): a dual-stack network, host-local with an IPv4 and an
# IPv6 range; D and E ping each other over both through patchbayd.
if [ "$MODE" = tap ]; then
	NET6=pbv6$$
	SUB6="fd00:$(printf %x $(($$ % 65536)))::/64"
	conf6()
	{
		printf '{"cniVersion":"1.1.0","name":"%s","type":"patchbay-cni","mode":"tap",
		"runDir":"%s","stateDir":"%s","ipam":{"type":"host-local","dataDir":"%s",
		"ranges":[[{"subnet":"10.199.%d.0/24"}],[{"subnet":"%s"}]]}%s}' "$NET6" "$RUN" \
			"$D/state" "$D/ipam" $(($$ % 250)) "$SUB6" "${1:+,$1}"
	}
	cni_netns d
	cni_netns e
	cni_ok ADD "$(conf6)" d.json CNI_CONTAINERID=dddd6 CNI_NETNS="$(cni_ns d)" CNI_IFNAME=eth0
	PORT_D="tap:dddd6-eth0-$(cni_hash "$NET6")"
	cni_ok ADD "$(conf6 "\"patch\":[\"$PORT_D\"]")" e.json CNI_CONTAINERID=eeee6 CNI_NETNS="$(cni_ns e)" CNI_IFNAME=eth0
	V6_D=$(cni_get d.json '[i["address"] for i in r["ips"] if ":" in i["address"]][0]')
	V4_D=$(cni_get d.json '[i["address"] for i in r["ips"] if ":" not in i["address"]][0]')
	expect_eq "D's result: two ips, both on interface 0" "$(cni_get d.json '[i["interface"] for i in r["ips"]]')" "[0, 0]"
	ip -n "$(cni_nsname d)" -6 -o addr show eth0 scope global | grep -q "inet6 $V6_D " ||
		fail "eth0 in D lacks $V6_D: $(ip -n "$(cni_nsname d)" -6 -o addr show eth0)"
	# ADD waited for DAD: the addresses are usable, none tentative.
	t=$(ip -n "$(cni_nsname d)" -6 addr show tentative; ip -n "$(cni_nsname e)" -6 addr show tentative)
	[ -z "$t" ] || fail "ADD returned with tentative addresses: $t"
	ip netns exec "$(cni_nsname e)" ping -6 -c 3 -i 0.2 -W 2 "${V6_D%/*}" >"$D/ping6.log" 2>&1 ||
		fail "E cannot ping D over IPv6 through patchbayd: $(cat "$D/ping6.log")"
	ip netns exec "$(cni_nsname e)" ping -c 2 -i 0.2 -W 2 "${V4_D%/*}" >"$D/ping4.log" 2>&1 ||
		fail "E cannot ping D over IPv4 on the dual-stack network: $(cat "$D/ping4.log")"
	expect_ge "frames patchbayd moved E -> D" "$(pbd_stat "$PORT_D" tx_frames)" 5
	cni_ok CHECK "$(conf6 "\"prevResult\":$(cat "$D/d.json")")" - CNI_CONTAINERID=dddd6 CNI_NETNS="$(cni_ns d)" CNI_IFNAME=eth0
	cni_ok DEL "$(conf6)" - CNI_CONTAINERID=eeee6 CNI_NETNS="$(cni_ns e)" CNI_IFNAME=eth0
	cni_ok DEL "$(conf6)" - CNI_CONTAINERID=dddd6 CNI_NETNS="$(cni_ns d)" CNI_IFNAME=eth0
	[ ! -e "$D/ipam/$NET6/${V6_D%/*}" ] || fail "DEL left D's IPv6 lease"
	[ -z "$(ls "$D/state/$NET6")" ] || fail "state left after DEL: $(ls "$D/state/$NET6")"
	log "ok: dual-stack tap network: ping -6 and ping between two containers through patchbayd"
fi

# ---- GC: only A is valid; B goes (port, lease, state, socket directory)
cni_ok GC "$(conf 1.1.0 "\"cni.dev/valid-attachments\":[{\"containerID\":\"$CID_A\",\"ifname\":\"eth0\"}]")" -
expect_eq "ports after GC" "$(pbd_json status | py 'print(" ".join(p["name"] for p in s["ports"]))')" "$PORT_A"
[ ! -e "$D/ipam/$NET/${ADDR_B%/*}" ] || fail "GC left B's address lease"
[ ! -e "$D/state/$NET/$CID_B@eth0.json" ] || fail "GC left B's state"
[ "$MODE" = vhost ] && { [ ! -e "$D/socks/$CID_B" ] || fail "GC left B's socket directory"; }
# A port of the network that patchbayd has but no state knows (a daemon
# restarted with --config): GC finds it by the network's suffix.
gc_opts=()
[ "$MODE" = tap ] && gc_opts=("ifname=pbgc$$")
pbc add "$MODE:zzzz00000000-eth9-$(cni_hash "$NET")" "${gc_opts[@]}"
cni_ok GC "$(conf 1.1.0 "\"cni.dev/valid-attachments\":[{\"containerID\":\"$CID_A\",\"ifname\":\"eth0\"}]")" -
expect_eq "ports after the second GC" "$(pbd_json status | py 'print(" ".join(p["name"] for p in s["ports"]))')" "$PORT_A"

# ---- STATUS, DEL with the daemon up, twice, and with it down
cni_ok STATUS "$(conf 1.1.0)" -
pbd_stop
cni_err STATUS "$(conf 1.1.0)" 51 "patchbayd is not reachable"
cni_ok DEL "$(conf 1.1.0)" - CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0 CNI_ARGS="$ARGS_A"
cni_ok DEL "$(conf 1.1.0)" - CNI_CONTAINERID=$CID_A CNI_NETNS="$(cni_ns a)" CNI_IFNAME=eth0 CNI_ARGS="$ARGS_A"
[ ! -e "$D/ipam/$NET/${ADDR_A%/*}" ] || fail "DEL with patchbayd down left A's lease"
[ -z "$(ls "$D/state/$NET")" ] || fail "state left after DEL: $(ls "$D/state/$NET")"
[ "$MODE" = vhost ] && { [ ! -e "$D/socks/web_pod-a" ] || fail "DEL left A's socket directory"; }
cni_err STATUS "$(conf 1.1.0)" 50 "patchbayd is not reachable"
cni_err ADD "$(conf 1.1.0)" 11 "patchbayd is not reachable" CNI_CONTAINERID=x1 CNI_NETNS="$(cni_ns c)" CNI_IFNAME=eth0
pb_pass "$MODE: ADD/CHECK/DEL/GC/STATUS/VERSION as the spec says; traffic between two containers through patchbayd; mistakes refused"
