#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The kernel's own stack through the panel: two network namespaces, each
# with a tap port patchbayd made inside it (netns=, addr=), patched both
# ways. ping from one answers from the other. The first tap also feeds a
# vhost: port (fan-out) where pbgen rx counts the same frames.
# Checks: ping gets COUNT replies; the taps' counters; pbgen saw the
# requests (non-pbgen frames: "foreign"); deleting a tap removes its
# interface from the namespace.
#
# usage: tap.sh PBGEN PATCHBAYD=... PATCHBAY=... [COUNT=5]

COUNT=5
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

command -v ip >/dev/null || fail "ip not found (iproute2)"
command -v ping >/dev/null || fail "ping not found (iputils-ping)"
NS1="pbt$$a"
NS2="pbt$$b"
# shellcheck disable=SC2317 # run by pb_cleanup as a hook, not called directly
cleanup_ns() { ip netns del "$NS1" 2>/dev/null; ip netns del "$NS2" 2>/dev/null; }
# A hook, not a trap of our own: pb_cleanup must see the test's status, not
# cleanup_ns's.
PB_CLEANUP_HOOKS+=(cleanup_ns)
ip netns add "$NS1" || fail "ip netns add (needs root)"
ip netns add "$NS2" || fail "ip netns add"

pbd_start --workers 1
pbc add tap:a netns="$NS1" addr=10.77.0.1/24
pbc add tap:b netns="$NS2" addr=10.77.0.2/24 ifname=pbtapb
pbc add vhost:mon
ip netns exec "$NS1" ip link show pb-a >/dev/null || fail "tap pb-a is not in $NS1"
out=$(ip netns exec "$NS2" ip -4 addr show pbtapb)
grep -q 10.77.0.2/24 <<<"$out" || fail "pbtapb has no address: $out"
pbc patch tap:a tap:b --both
pbc patch tap:a vhost:mon
pbgen_bg mon rx "virtio:$RUN/vhost-mon.sock" --wait 20 -q
pbd_wait_link vhost:mon up 10

out=$(ip netns exec "$NS1" ping -c "$COUNT" -i 0.2 -W 2 10.77.0.2 2>&1)
log "ping: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
grep -q "$COUNT received" <<<"$out" || fail "ping through the panel: $out"
expect_ge "tap:a rx_frames (requests, ARP)" "$(pbd_stat tap:a rx_frames)" "$COUNT"
expect_ge "tap:b tx_frames" "$(pbd_stat tap:b tx_frames)" "$COUNT"
expect_ge "tap:a tx_frames (replies)" "$(pbd_stat tap:a tx_frames)" "$COUNT"
# The other way, too: ns2 reaches ns1.
ip netns exec "$NS2" ping -c 2 -i 0.2 -W 2 10.77.0.1 >/dev/null || fail "ping from $NS2"

pbgen_summary mon
pb_stop_pid "${PB_PID[mon]}" 3
v=$(json_get mon foreign)
[[ "$v" =~ ^[0-9]+$ ]] || fail "pbgen mon: no summary"
expect_ge "frames pbgen saw on the fan-out (foreign: ICMP, ARP)" "$v" "$COUNT"

pbc del tap:a --force
ip netns exec "$NS1" ip link show pb-a >/dev/null 2>&1 && fail "pb-a still in $NS1 after del"
pbd_stop
pb_pass "ping between two namespaces through two tap ports, and a fan-out to pbgen"
