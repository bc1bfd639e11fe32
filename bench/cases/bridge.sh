# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/bridge.sh - the switching features against the plain hop, in
# the tester layout of bench/cases/switch.sh (the tester on CPU BE, the
# switch alone on CPU FE); sourced by bench/run.sh.
#   bridge-64-N   a learning bridge of two ports with N MACs learned behind
#                 B (tester --macs N: every frame a lookup among N), against
#                 our own patch in the same rounds with the same tester
#                 (its frames to the same N MACs): the cost of a lookup.
#                 Goal >= 0.8 at 100,000 MACs.
#   bridge-ovs-64 the same bridge with 1,000 MACs against OVS-DPDK with
#                 actions=NORMAL (its learning switch), same tester. Goal >= 3.
#   mirror-64     the patch with a mirror of A's frames to a third port (a
#                 pbgen rx on CPU BE drains it) against the same patch with
#                 no mirror: what mirroring costs the mirrored stream. Goal >= 0.7.
# (switch_ours, tester and switch_ovs are bench/cases/switch.sh's.)

# bridge_ours LEN MACS TAG: tester -> vhost:a -> bridge br0 -> vhost:b -> tester.
bridge_ours()
{
	local d=$D/$3 max=$(($2 + 1000))

	R=NA
	pbd_up "$d" || return
	if ! { "$PBC" -r "$d" add vhost:a && "$PBC" -r "$d" add vhost:b &&
		"$PBC" -r "$d" bridge add br0 max-macs="$max" &&
		"$PBC" -r "$d" bridge attach br0 vhost:a && "$PBC" -r "$d" bridge attach br0 vhost:b; } >/dev/null; then
		note "bridge set-up failed (see $d.log)"
		stop "$PBDP"
		return
	fi
	tester "$1" "$d.json" "$d.tlog" --macs "$2" "virtio:$d/vhost-a.sock" "virtio:$d/vhost-b.sock"
	"$PBC" -r "$d" --json bridge show br0 >"$d.bridge.json" 2>/dev/null
	stop "$PBDP"
}

# bridge_ovs LEN MACS TAG: the tester through OVS-DPDK's NORMAL action.
bridge_ovs()
{
	local d=$D/$3

	R=NA
	if ! ovs_start "$d" "$FE" >"$d.start.log" 2>&1 ||
		! { ovs-ofctl del-flows br0 && ovs-ofctl add-flow br0 actions=NORMAL; } >>"$d.start.log" 2>&1; then
		note "OVS-DPDK did not start: $(tail -n 2 "$d.start.log" | tr '\n' ' ')"
		ovs_stop "$d" >/dev/null 2>&1
		return
	fi
	tester "$1" "$d.json" "$d.tlog" -w 20 --macs "$2" "virtio:$d/vu0.sock,server=1" "virtio:$d/vu1.sock,server=1"
	ovs_stop "$d" >/dev/null 2>&1
}

# mirror_ours LEN TAG MIRROR(0|1): tester through a patch; with 1, A's
# received frames mirrored to vhost:m, drained by pbgen rx on CPU BE.
mirror_ours()
{
	local d=$D/$2 mp=

	pbd_up "$d" || return
	pbd_add_patch "$d" a b || return
	if [ "$3" = 1 ]; then
		if ! { "$PBC" -r "$d" add vhost:m && "$PBC" -r "$d" mirror add m src=vhost:a dir=rx dst=vhost:m; } >/dev/null; then
			stop "$PBDP"
			return
		fi
		"${NICE[@]}" timeout -k 2 $((SECS + 60)) "$PBGEN" rx "virtio:$d/vhost-m.sock" -q \
			--cpu "$BE" --no-verify -d $((SECS + 30)) >"$d.mon.json" 2>"$d.mon.log" &
		mp=$!
		pb_track "mon-$2" "$mp"
	fi
	tester "$1" "$d.json" "$d.tlog" "virtio:$d/vhost-a.sock" "virtio:$d/vhost-b.sock"
	[ -n "$mp" ] && "$PBC" -r "$d" --json mirror show >"$d.mirror.json" 2>/dev/null
	stop "$PBDP"
	[ -n "$mp" ] && stop "$mp"
}

bridge_1() { bridge_ours "$1" 1 "$2"; }
bridge_1k() { bridge_ours "$1" 1000 "$2"; }
bridge_100k() { bridge_ours "$1" 100000 "$2"; }
bridge_ovs_1k() { bridge_ovs "$1" 1000 "$2"; }
bridge_ours_1k() { bridge_ours "$1" 1000 "$2"; }
# The patch with the tester doing the same work (its frames to N MACs in
# turn), so that the ratio is the bridge's cost, not the tester's.
patch_macs()
{
	local d=$D/$3

	# shellcheck disable=SC2034 # the figure pair_rounds reads (tester sets it)
	R=NA
	pbd_up "$d" || return
	pbd_add_patch "$d" a b || return
	tester "$1" "$d.json" "$d.tlog" --macs "$2" "virtio:$d/vhost-a.sock" "virtio:$d/vhost-b.sock"
	stop "$PBDP"
}
patch_1() { patch_macs "$1" 1 "$2"; }
patch_1k() { patch_macs "$1" 1000 "$2"; }
patch_100k() { patch_macs "$1" 100000 "$2"; }
mirrored() { mirror_ours "$1" "$2" 1; }
unmirrored() { mirror_ours "$1" "$2" 0; }

case_bridge()
{
	local n

	for n in 1 1k 100k; do
		note "bridge-64-$n: $RUNS x (a bridge with $n MACs learned, our patch) with the two-port tester, ${SECS} s each"
		pair_rounds "bridge-64-$n" Mpps measure bridge "bridge_$n" patch "patch_$n" 64
	done
	if [ "$(id -u)" = 0 ]; then
		note "bridge-ovs-64: $RUNS x (our bridge, OVS-DPDK NORMAL), 1,000 MACs, the two-port tester, ${SECS} s each"
		pair_rounds bridge-ovs-64 Mpps measure bridge bridge_ours_1k ovs-normal bridge_ovs_1k 64
	else
		note "bridge-ovs-64: needs root (OVS-DPDK takes hugepages): NA"
		result bridge-ovs-64 NA NA Mpps
	fi
	note "mirror-64: $RUNS x (the patch mirrored to a third port, the same patch unmirrored), ${SECS} s each"
	pair_rounds mirror-64 Mpps measure mirrored mirrored unmirrored unmirrored 64
}

bench_case bridge case_bridge all "learning bridges (1, 1k, 100k MACs) against our patch and OVS NORMAL; a mirror's cost"
