#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# patchbay-cni under libcni, the library kubelet's runtimes build on: a Go
# driver (tests/cni/libcni-driver, built here against Debian's libcni 1.1.2)
# loads two .conflists from a directory, validates them (the plugin's
# VERSION), and ADDs, CHECKs and DELs two containers as a runtime does, its
# result cache giving CHECK and DEL their prevResult. The second network
# patches its container to the first's; traffic crosses patchbayd (MODE=tap:
# the kernel's ping between the two netns; MODE=vhost: pbgen through the
# sockets, found where the config says, since libcni 1.1.2 drops the 1.1.0
# socketPath). CHECK fails once a port is taken away; DEL twice succeeds;
# at the end nothing is left: no port, no lease, no state.
#
# usage: libcni.sh PBGEN PATCHBAYD=... PATCHBAY=... CNI=... [MODE=tap|vhost]

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/cni.sh"
MODE=tap
pb_init "$@"
cni_init
command -v go >/dev/null || fail "go not installed (golang-go, from scripts/setup.sh)"
[ -d /usr/share/gocode/src/github.com/containernetworking/cni/libcni ] ||
	fail "libcni sources not installed (golang-github-appc-cni-dev)"

log "build the libcni driver"
(cd "$(dirname "$0")/libcni-driver" && GO111MODULE=off GOPATH=/usr/share/gocode \
	GOCACHE="${GOCACHE:-$D/gocache}" go build -o "$D/driver" .) >"$D/go-build.log" 2>&1 ||
	fail "building the libcni driver: $(cat "$D/go-build.log")"

NET=pblc$$
SUBNET=10.$((100 + $$ % 100)).$(($$ / 100 % 250)).0/24
mkdir -p "$D/net.d"
conflist()
{ # conflist NAME FIRST_ADDRESS [EXTRA_MEMBERS]: the two networks share the
  # subnet, each its own range of it (host-local keeps a store per network)
	cat >"$D/net.d/$1.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "$1", "plugins": [{
  "type": "patchbay-cni", "mode": "$MODE", "runDir": "$RUN", "socketDir": "$D/socks",
  "stateDir": "$D/state", "comment": "unknown keys are passed through"${3:+, $3},
  "ipam": {"type": "host-local", "dataDir": "$D/ipam",
           "ranges": [[{"subnet": "$SUBNET", "rangeStart": "${SUBNET%.0/24}.$2"}]]}}]}
JSON
}
CNI_PATH="$(dirname "$CNI"):/usr/lib/cni"
export CNI_PATH
drive() { "$D/driver" "$@" 2>&1; }

pbd_start --workers 1
cni_netns a
cni_netns b
PORT_A="$MODE:ctr-a-000000-eth0-$(cni_hash "$NET")"
conflist "$NET" 10
conflist "$NET-b" 100 "\"patch\": [\"$PORT_A\"]"
for n in "$NET" "$NET-b"; do
	out=$(drive VALIDATE "$D/net.d" "$n") || fail "libcni VALIDATE $n: $out"
done
log "ok: libcni validated both network lists (the plugin's VERSION)"
res_a=$(drive ADD "$D/net.d" "$NET" ctr-a-0000000001 "$(cni_ns a)" eth0 "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-a") ||
	fail "libcni ADD A: $res_a"
res_b=$(drive ADD "$D/net.d" "$NET-b" ctr-b-0000000002 "$(cni_ns b)" eth0) || fail "libcni ADD B: $res_b"
log "A: $res_a"
PORT_B="$MODE:ctr-b-000000-eth0-$(cni_hash "$NET-b")"
expect_eq "ports on patchbayd" "$(pbd_json status | py 'print(" ".join(sorted(p["name"] for p in s["ports"])))')" "$PORT_A $PORT_B"
expect_eq "B patched to A" "$(pbd_json show "$PORT_B" | py 'print(s["patched_to"])')" "['$PORT_A']"
ADDR_A=$(py 'print(s["ips"][0]["address"])' <<<"$res_a")
if [ "$MODE" = tap ]; then
	ip netns exec "$(cni_nsname b)" ping -c 3 -i 0.2 -W 2 "${ADDR_A%/*}" >"$D/ping.log" 2>&1 ||
		fail "B cannot ping A ($ADDR_A) through patchbayd: $(cat "$D/ping.log")"
	log "ok: B pings A at $ADDR_A through patchbayd"
else
	# Where the network config says: socketDir/NAMESPACE_POD/IFNAME.sock.
	pbgen_bg echo echo "virtio:$D/socks/ns_pod-a/eth0.sock" --wait 20 -q
	pbd_wait_link "$PORT_A" up 10
	pbgen_bg ping ping "virtio:$D/socks/ctr-b-0000000002/eth0.sock" -n 100 --wait 20 -q
	pb_wait_exit ping 30
	expect_eq "pings answered through patchbayd" "$(json_num ping frames_rx)" 100
	pb_stop_pid "${PB_PID[echo]}" 2
fi
out=$(drive CHECK "$D/net.d" "$NET" ctr-a-0000000001 "$(cni_ns a)" eth0 "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-a") ||
	fail "libcni CHECK A: $out"
out=$(drive CHECK "$D/net.d" "$NET-b" ctr-b-0000000002 "$(cni_ns b)" eth0) || fail "libcni CHECK B: $out"
log "ok: libcni CHECK of both"
pbc del "$PORT_B" --force
out=$(drive CHECK "$D/net.d" "$NET-b" ctr-b-0000000002 "$(cni_ns b)" eth0) &&
	fail "libcni CHECK B passed with its port gone"
grep -q "is gone from patchbayd" <<<"$out" || fail "CHECK B said '$out'"
log "ok: CHECK of B without its port: $out"
for i in 1 2; do
	out=$(drive DEL "$D/net.d" "$NET-b" ctr-b-0000000002 "$(cni_ns b)" eth0) || fail "libcni DEL B ($i): $out"
	out=$(drive DEL "$D/net.d" "$NET" ctr-a-0000000001 "$(cni_ns a)" eth0 "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-a") ||
		fail "libcni DEL A ($i): $out"
done
log "ok: libcni DEL of both, twice"
expect_eq "ports left" "$(pbd_json status | py 'print(len(s["ports"]))')" 0
left=$(find "$D/ipam" "$D/state" "$D/socks" -type f -name '10.*' -o -type f -name '*.json' -o -type s 2>/dev/null)
[ -z "$left" ] || fail "left behind after DEL: $left"
pbd_stop
pb_pass "$MODE: libcni validated, added, checked and deleted two containers; traffic through patchbayd; nothing left"
