#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# patchbay-cni's "bridge" under a real CNI runtime: podman's CNI network
# backend (Debian's podman 4.3), with a containers.conf, storage and a
# .conflist directory of the test's own. One network whose config names a
# bridge; three containers on it (tap mode: each container's eth0 is a tap:
# port of patchbayd with a host-local address, attached to the bridge):
#  - the first container's ADD makes the bridge, each ADD attaches its port
#  - each container pings each of the others (busybox ping in podman exec)
#  - removing one (podman rm: CNI DEL) leaves the bridge with the other two,
#    which still ping each other
#  - removing the last two removes the bridge; no port, lease, state left
#
# usage: podman-bridge.sh PBGEN PATCHBAYD=... PATCHBAY=... CNI=... [MODE=tap]

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/cni.sh"
MODE=tap
pb_init "$@"
cni_init
command -v podman >/dev/null || fail "podman not installed (scripts/setup.sh installs it)"
command -v runc >/dev/null || fail "runc not installed"
[ -x /bin/busybox ] || fail "no static busybox (busybox-static)"
[ "$MODE" = tap ] || fail "MODE=$MODE: this test pings between kernels (tap mode only)"

NET=pbpb$$
BR=pbpod$$
SUBNET=10.$((100 + $$ % 100)).$(($$ / 100 % 250)).0/24
CTRS=(pbx$$ pby$$ pbz$$)
mkdir -p "$D/net.d" "$D/rootfs/bin"
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

	pm rm -f -t 0 "${CTRS[@]}" >/dev/null 2>&1
	(exit "$rc")
	pb_cleanup # cni_cleanup is its hook
}
trap podman_cleanup EXIT
# (Its output captured first: grep -q stops reading early, and under
# pipefail podman's SIGPIPE would fail the pipeline.)
info=$(pm info 2>/dev/null)
grep -q 'networkBackend: cni' <<<"$info" || fail "podman does not use the CNI backend with $CONTAINERS_CONF"

# A rootfs of a static busybox.
cp /bin/busybox "$D/rootfs/bin/"
for a in sh ping ip sleep cat; do ln -s busybox "$D/rootfs/bin/$a"; done
mkdir -p "$D/rootfs/"{proc,sys,dev,etc,tmp,run}
# members: the bridge's ports, sorted; "none" without the bridge
members()
{
	pbd_json bridge show | py "
b = [b for b in s['bridges'] if b['name'] == '$BR']
print(' '.join(sorted(m['port'] for m in b[0]['members'])) if b else 'none')"
}
# ping FROM TO: container FROM's busybox pings container TO's address
ping_ctr()
{
	pm exec "$1" /bin/ping -c 2 -i 0.2 -W 2 "${ADDR[$2]}" >"$D/ping.log" 2>&1 ||
		fail "$1 cannot ping $2 at ${ADDR[$2]} over bridge $BR: $(cat "$D/ping.log")"
	grep -q '2 packets received' "$D/ping.log" || fail "$1's ping of $2: $(cat "$D/ping.log")"
}
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

pbd_start --workers 1
cat >"$D/net.d/$NET.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "$NET", "plugins": [{
  "type": "patchbay-cni", "mode": "tap", "runDir": "$RUN", "stateDir": "$D/state",
  "bridge": "$BR",
  "ipam": {"type": "host-local", "dataDir": "$D/ipam", "subnet": "$SUBNET"}}]}
JSON

declare -A PORT ADDR
for c in "${CTRS[@]}"; do
	cid=$(pm run -d --name "$c" --network "$NET" --runtime runc --rootfs "$D/rootfs" /bin/sleep 90) ||
		fail "podman run $c failed: $cid"
	PORT[$c]="tap:${cid:0:12}-eth0-$(cni_hash "$NET")"
	ADDR[$c]=$(grep -l -r "^$cid" "$D/ipam/$NET" | xargs -n1 basename) # ID\r\nIFNAME
	[ -n "${ADDR[$c]}" ] || fail "no host-local lease for $c ($cid)"
	[ "$(pbd_json show "${PORT[$c]}" | py 'print(s["netns"].startswith("/run/netns/"))')" = True ] ||
		fail "$c's tap port is not in podman's netns"
	log "$c is $cid at ${ADDR[$c]}, port ${PORT[$c]}"
done
X=${CTRS[0]} Y=${CTRS[1]} Z=${CTRS[2]}
expect_eq "bridge $BR's members" "$(members)" "$(sorted "${PORT[$X]}" "${PORT[$Y]}" "${PORT[$Z]}")"
for a in "${CTRS[@]}"; do
	for b in "${CTRS[@]}"; do
		[ "$a" = "$b" ] || ping_ctr "$a" "$b"
	done
done
log "ok: the three containers ping each other over bridge $BR"
for c in "${CTRS[@]}"; do
	expect_ge "frames patchbayd switched to $c" "$(pbd_stat "${PORT[$c]}" tx_frames)" 4
done

pm rm -f -t 0 "$X" >/dev/null || fail "podman rm $X"
expect_eq "bridge $BR's members after $X is removed" "$(members)" "$(sorted "${PORT[$Y]}" "${PORT[$Z]}")"
ping_ctr "$Y" "$Z"
ping_ctr "$Z" "$Y"
log "ok: with $X removed, $Y and $Z still ping each other over $BR"

pm rm -f -t 0 "$Y" "$Z" >/dev/null || fail "podman rm $Y $Z"
expect_eq "bridge $BR after the last container is removed" "$(members)" none
expect_eq "ports left" "$(pbd_json status | py 'print(len(s["ports"]))')" 0
left=$(find "$D/ipam" -name "${SUBNET%.0/24}.*"; find "$D/state" -name '*.json')
[ -z "$left" ] || fail "left behind after podman removed the containers: $left"
pbd_stop
pb_pass "podman's CNI backend put three containers on bridge $BR; each pinged the others; the bridge kept the two left and went with the last"
