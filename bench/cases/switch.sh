# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/switch.sh - a switch hop measured with the tester layout
# (docs/PERFORMANCE.md, "The switch"): bench/tester owns the frontends of both
# of the switch's ports in one thread on CPU BE; the switch under test has
# CPU FE to itself. patchbayd against testpmd io forwarding (switch-*) and
# OVS-DPDK (switch-ovs-*, as root: it takes hugepages), and the round trip
# through patchbayd with everyone asleep (wake-rtt); sourced by bench/run.sh.

# shellcheck source=bench/ovs.sh
. "$ROOT/bench/ovs.sh"

# tester LEN JSON LOG [OPTION...] A_SPEC B_SPEC: the two-port tester in the
# foreground; R = the Mpps it got through.
tester()
{
	local len=$1 json=$2 log=$3

	shift 3
	"${NICE[@]}" timeout -k 2 $((SECS + 40)) "$BIN/tester" --cpu "$BE" -s "$len" -d "$SECS" \
		"$@" >"$json" 2>"$log"
	R=$(jget "$json" delivered_mpps)
}

# switch_ours LEN TAG: tester -> vhost:a -> patchbayd -> vhost:b -> tester.
switch_ours()
{
	local d=$D/$2

	R=NA
	pbd_up "$d" || return
	pbd_add_patch "$d" a b || return
	tester "$1" "$d.json" "$d.tlog" "virtio:$d/vhost-a.sock" "virtio:$d/vhost-b.sock"
	R2=$(jget "$d.json" lost)
	stop "$PBDP"
}

# switch_dpdk LEN TAG: the same tester through dpdk-testpmd, io forwarding
# between two net_vhost ports, its two lcores on CPU FE.
switch_dpdk()
{
	local d=$D/$2

	R=NA
	mkdir -p "$d"
	bench_testpmd "$2" "$FE" $((SECS + 40)) "$d/tp.log" --vdev "net_vhost0,iface=$d/a.sock" \
		--vdev "net_vhost1,iface=$d/b.sock" -- --forward-mode=io --stats-period 10
	if wait_sock "$d/a.sock" && wait_sock "$d/b.sock"; then
		tester "$1" "$d/t.json" "$d/t.log" "virtio:$d/a.sock" "virtio:$d/b.sock"
	fi
	stop "$TP"
}

# switch_ovs LEN TAG: the same tester through OVS-DPDK (bench/ovs.sh): two
# dpdkvhostuserclient ports, a port-to-port flow, one PMD thread on CPU FE.
switch_ovs()
{
	local d=$D/$2

	R=NA
	if ! ovs_start "$d" "$FE" >"$d.start.log" 2>&1; then
		note "OVS-DPDK did not start: $(tail -n 2 "$d.start.log" | tr '\n' ' ')"
		ovs_stop "$d" >/dev/null 2>&1
		return
	fi
	tester "$1" "$d.json" "$d.tlog" -w 20 "virtio:$d/vu0.sock,server=1" "virtio:$d/vu1.sock,server=1"
	ovs_stop "$d" >/dev/null 2>&1
}

# wake_ours TAG: pbgen ping -> vhost:a -> patchbayd -> vhost:b -> pbgen echo
# and back, everyone sleeping between round trips (APINGS at ARATE/s).
wake_ours()
{
	local d=$D/$1 ep pp

	R=NA R2=NA
	pbd_up "$d" || return
	pbd_add_patch "$d" a b --both || return
	"${NICE[@]}" timeout -k 2 120 "$PBGEN" echo "virtio:$d/vhost-b.sock" -q --cpu "$BE" -d 100 \
		>"$d/echo.json" 2>"$d/echo.log" &
	ep=$!
	pb_track echo $ep
	"${NICE[@]}" timeout -k 2 100 "$PBGEN" ping "virtio:$d/vhost-a.sock" -q --cpu "$BE" \
		-n "$APINGS" -r "$ARATE" >"$d/ping.json" 2>"$d/ping.log" &
	pp=$!
	pb_track ping $pp
	reap $pp
	stop $ep
	rtt_of "$d/ping.json"
	stop "$PBDP"
}

wake_rtt()
{
	local i o=() op=() k=() kp=() have_ns=1

	if [ "$NETNS_MADE" != 1 ]; then
		netns_up || have_ns=0
	fi
	note "wake-rtt: $RUNS x (through patchbayd, kernel veth UDP), $APINGS at $ARATE/s, all sleeping"
	for i in $(seq "$RUNS"); do
		wake_ours "wake-o$i"
		o+=("$R")
		op+=("$R2")
		if [ $have_ns = 1 ]; then
			kernel_rtt "wake-k$i" 0 -n "$APINGS" -r "$ARATE"
			k+=("$R")
			kp+=("$R2")
		else
			k+=(NA)
			kp+=(NA)
		fi
		note "  run $i (us): patchbayd ${o[-1]} p99 ${op[-1]}; kernel ${k[-1]} p99 ${kp[-1]}"
	done
	runs "wake-rtt patchbayd median" "${o[@]}"
	runs "wake-rtt patchbayd p99" "${op[@]}"
	runs "wake-rtt kernel median" "${k[@]}"
	runs "wake-rtt kernel p99" "${kp[@]}"
	result wake-rtt "$(median "${o[@]}")" "$(median "${k[@]}")" us
	result wake-rtt-p99 "$(median "${op[@]}")" "$(median "${kp[@]}")" us
}

case_switch()
{
	local len

	for len in 64 1500; do
		note "switch-$len: $RUNS x (patchbayd, testpmd io) with the two-port tester, ${SECS} s each"
		pair_rounds "switch-$len" Mpps measure patchbayd switch_ours testpmd switch_dpdk "$len"
	done
	if [ "$(id -u)" = 0 ]; then
		note "switch-ovs-64: $RUNS x (patchbayd, OVS-DPDK) with the two-port tester, ${SECS} s each"
		pair_rounds switch-ovs-64 Mpps measure patchbayd switch_ours ovs-dpdk switch_ovs 64
	else
		note "switch-ovs-64: needs root (OVS-DPDK takes hugepages): NA"
		result switch-ovs-64 NA NA Mpps
	fi
	wake_rtt
}

bench_case switch case_switch all "patchbayd as a switch against testpmd io and OVS-DPDK; the round trip through it asleep"
