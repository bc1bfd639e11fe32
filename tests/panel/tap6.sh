#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# IPv6 through the panel: two network namespaces, each with a tap port
# patchbayd made inside it with an IPv6 addr= (fd00:77::1/64, ::2/64),
# patched both ways; ping -6 from one answers from the other. The kernel
# runs duplicate address detection on each address, so the test waits for
# both to leave "tentative" before pinging.
# Checks: each interface has its address with its prefix; ping -6 gets
# COUNT replies both ways; the taps' counters; addr= values that are not an
# IPv6 (or IPv4) address with a length in range are refused with the
# option named, and leave no port and no interface.
#
# usage: tap6.sh PBGEN PATCHBAYD=... PATCHBAY=... [COUNT=5]

COUNT=5
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

command -v ip >/dev/null || fail "ip not found (iproute2)"
command -v ping >/dev/null || fail "ping not found (iputils-ping)"
NS1="pbt6$$a"
NS2="pbt6$$b"
# shellcheck disable=SC2317 # run by pb_cleanup as a hook, not called directly
cleanup_ns() { ip netns del "$NS1" 2>/dev/null; ip netns del "$NS2" 2>/dev/null; }
PB_CLEANUP_HOOKS+=(cleanup_ns)
ip netns add "$NS1" || fail "ip netns add (needs root)"
ip netns add "$NS2" || fail "ip netns add"

pbd_start --workers 1
pbc add tap:a netns="$NS1" addr=fd00:77::1/64
pbc add tap:b netns="$NS2" addr=fd00:77::2/64 ifname=pbtapb
expect_eq "show: tap:a's addr" "$(pbd_json show tap:a | python3 -c 'import json,sys; print(json.load(sys.stdin)["addr"])')" fd00:77::1/64
for n in "$NS1 pb-a fd00:77::1/64" "$NS2 pbtapb fd00:77::2/64"; do
	read -r ns dev addr <<<"$n"
	out=$(ip -n "$ns" -6 -o addr show dev "$dev" scope global)
	grep -q "inet6 $addr " <<<"$out" || fail "$dev in $ns has not $addr: $out"
done
pbc patch tap:a tap:b --both

# DAD: an address is tentative (and cannot be used) until the kernel has
# seen no one else answer for it, about a second.
for ((i = 0; i < 100; i++)); do
	[ -z "$(ip -n "$NS1" -6 addr show tentative)$(ip -n "$NS2" -6 addr show tentative)" ] && break
	sleep 0.1
done
t=$(ip -n "$NS1" -6 addr show tentative; ip -n "$NS2" -6 addr show tentative)
[ -z "$t" ] || fail "addresses still tentative after 10 s: $t"
! ip -n "$NS1" -6 addr show dadfailed | grep -q inet6 || fail "DAD failed in $NS1"

out=$(ip netns exec "$NS1" ping -6 -c "$COUNT" -i 0.2 -W 2 fd00:77::2 2>&1)
log "ping -6: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
grep -q "$COUNT received" <<<"$out" || fail "ping -6 through the panel: $out"
expect_ge "tap:a rx_frames (requests, ND)" "$(pbd_stat tap:a rx_frames)" "$COUNT"
expect_ge "tap:b tx_frames" "$(pbd_stat tap:b tx_frames)" "$COUNT"
expect_ge "tap:a tx_frames (replies)" "$(pbd_stat tap:a tx_frames)" "$COUNT"
ip netns exec "$NS2" ping -6 -c 2 -i 0.2 -W 2 fd00:77::1 >/dev/null || fail "ping -6 from $NS2"

# Not addresses: refused, naming the option; no port, no interface left.
for bad in fd00:77::zz/64 fd00:77::3/129 fd00:77::3/ fd00:77::3/6x 10.1.2.3/33; do
	pbc_err 1 "option addr=$bad: expected A.B.C.D/LEN or an IPv6 address/LEN" \
		add tap:bad netns="$NS1" ifname=pbbad addr="$bad"
done
ip -n "$NS1" link show pbbad >/dev/null 2>&1 && fail "a refused tap left pbbad in $NS1"
expect_eq "ports after the refusals" "$(pbd_json status | python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["ports"]))')" "tap:a tap:b"
pbd_stop
pb_pass "ping -6 between two namespaces through two tap ports with IPv6 addr="
