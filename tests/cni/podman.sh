#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# patchbay-cni under a real CNI runtime: podman's CNI network backend
# (Debian's podman 4.3 with containernetworking-plugins), run with a
# containers.conf, storage and a .conflist directory of the test's own.
# Container A is attached to network one; network two's config patches its
# containers to A's port; container B on network two reaches A through
# patchbayd:
#   MODE=tap    B's busybox ping answers from A's kernel: each container's
#               eth0 is a tap: port of patchbayd with a host-local address
#   MODE=vhost  A runs pbgen echo and B pbgen ping on the vhost: sockets
#               the plugin put in each container's directory (bind-mounted
#               by name: socketDir/CONTAINER_NAME)
# Removing the containers (podman's CNI DEL) removes their ports, leases
# and sockets.
#
# usage: podman.sh PBGEN PATCHBAYD=... PATCHBAY=... CNI=... [MODE=tap|vhost]

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/cni.sh"
MODE=tap
pb_init "$@"
cni_init
command -v podman >/dev/null || fail "podman not installed (scripts/setup.sh installs it)"
command -v runc >/dev/null || fail "runc not installed"
[ -x /bin/busybox ] || fail "no static busybox (busybox-static)"

NET=pbpm$$
SUBNET=10.$((100 + $$ % 100)).$(($$ / 100 % 250)).0/24
A=pba$$
B=pbb$$
mkdir -p "$D/net.d" "$D/socks/$A" "$D/socks/$B" "$D/rootfs/bin" "$D/rootfs/pbgen"
cat >"$D/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$(dirname "$CNI")", "/usr/lib/cni"]
network_config_dir = "$D/net.d"
CONF
export CONTAINERS_CONF=$D/containers.conf
pm() { timeout 60 podman --root "$D/storage" --runroot "$D/runroot" "$@"; }
# shellcheck disable=SC2317 # run by the EXIT trap below, not called directly
podman_cleanup()
{
	local rc=$? # the test's status, for pb_cleanup to see and exit with

	pm rm -f -t 0 "$A" "$B" >/dev/null 2>&1
	(exit "$rc")
	pb_cleanup # cni_cleanup is its hook
}
trap podman_cleanup EXIT
# (Its output captured first: grep -q stops reading early, and under
# pipefail podman's SIGPIPE would fail the pipeline.)
info=$(pm info 2>/dev/null)
grep -q 'networkBackend: cni' <<<"$info" || fail "podman does not use the CNI backend with $CONTAINERS_CONF"

# A rootfs of a static busybox; vhost mode adds the host's /usr read-only
# for pbgen (mounted at /pbgen).
cp /bin/busybox "$D/rootfs/bin/"
for a in sh ping ip sleep cat ls; do ln -s busybox "$D/rootfs/bin/$a"; done
mkdir -p "$D/rootfs/"{proc,sys,dev,etc,tmp,run,usr}
ln -s usr/lib "$D/rootfs/lib"
ln -s usr/lib64 "$D/rootfs/lib64"
conflist()
{ # conflist NAME FIRST_ADDRESS [EXTRA_MEMBERS]
	cat >"$D/net.d/$1.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "$1", "plugins": [{
  "type": "patchbay-cni", "mode": "$MODE", "runDir": "$RUN", "socketDir": "$D/socks",
  "stateDir": "$D/state"${3:+, $3},
  "ipam": {"type": "host-local", "dataDir": "$D/ipam",
           "ranges": [[{"subnet": "$SUBNET", "rangeStart": "${SUBNET%.0/24}.$2"}]]}}]}
JSON
}
run_opts=(--runtime runc --rootfs "$D/rootfs")
[ "$MODE" = vhost ] && run_opts=(-v /usr:/usr:ro -v "$(readlink -f "$PBGEN"):/pbgen/pbgen:ro" "${run_opts[@]}")

pbd_start --workers 1
conflist "$NET" 10
log "start container $A on network $NET"
if [ "$MODE" = tap ]; then
	cid=$(pm run -d --name "$A" --network "$NET" "${run_opts[@]}" /bin/sleep 60) ||
		fail "podman run $A failed: $cid"
else
	cid=$(pm run -d --name "$A" --network "$NET" -v "$D/socks/$A:/run/pb" "${run_opts[@]}" \
		/pbgen/pbgen echo virtio:/run/pb/eth0.sock --wait 30 -q) || fail "podman run $A failed: $cid"
fi
PORT_A="$MODE:${cid:0:12}-eth0-$(cni_hash "$NET")"
expect_eq "A's port on patchbayd" "$(pbd_json show "$PORT_A" | py 'print(s["name"])')" "$PORT_A"
ADDR_A=$(find "$D/ipam/$NET" -name "${SUBNET%.0/24}.*" -printf '%f\n')
[ -n "$ADDR_A" ] || fail "no host-local lease for A"
log "A is $cid at $ADDR_A, port $PORT_A"

conflist "$NET-two" 100 "\"patch\": [\"$PORT_A\"]"
log "run container $B on network $NET-two (patched to A)"
if [ "$MODE" = tap ]; then
	[ "$(pbd_json show "$PORT_A" | py 'print(s["netns"].startswith("/run/netns/"))')" = True ] ||
		fail "A's tap port is not in podman's netns"
	pm run --rm --name "$B" --network "$NET-two" "${run_opts[@]}" \
		/bin/ping -c 3 -i 0.2 -W 2 "$ADDR_A" >"$D/ping.log" 2>&1 ||
		fail "B cannot ping A at $ADDR_A through patchbayd: $(cat "$D/ping.log")"
	grep -q '3 packets received' "$D/ping.log" || fail "B's ping: $(cat "$D/ping.log")"
	log "ok: B's ping: $(grep received "$D/ping.log")"
else
	pbd_wait_link "$PORT_A" up 20
	pm run --rm --name "$B" --network "$NET-two" -v "$D/socks/$B:/run/pb" "${run_opts[@]}" \
		/pbgen/pbgen ping virtio:/run/pb/eth0.sock -n 200 --wait 20 -q >"$D/ping.json" 2>"$D/ping.log" ||
		fail "B's pbgen ping failed: $(cat "$D/ping.log" "$D/ping.json")"
	expect_eq "B's pings answered by A through patchbayd" "$(json_num ping frames_rx)" 200
fi
expect_ge "frames patchbayd moved to A" "$(pbd_stat "$PORT_A" tx_frames)" 3
expect_eq "B's port removed when B exited (podman's DEL)" \
	"$(pbd_json status | py 'print(" ".join(p["name"] for p in s["ports"]))')" "$PORT_A"

pm rm -f -t 0 "$A" >/dev/null || fail "podman rm $A"
expect_eq "ports after A is removed" "$(pbd_json status | py 'print(len(s["ports"]))')" 0
left=$(find "$D/ipam" -name "${SUBNET%.0/24}.*"; find "$D/socks" -type s; find "$D/state" -name '*.json')
[ -z "$left" ] || fail "left behind after podman removed the containers: $left"
pbd_stop
pb_pass "$MODE: podman's CNI backend attached two containers through patchbay-cni; B reached A through patchbayd; nothing left"
