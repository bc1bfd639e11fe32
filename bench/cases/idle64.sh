# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/idle64.sh - patchbayd's CPU with 64 connected idle vhost ports
# against testpmd's with two (it polls whatever the count); the frontends are
# bench/idle_ports --virtio on CPU BE; sourced by bench/run.sh.

# idle64_ours TAG: R = patchbayd's CPU over IDLE_SECS, % of a core.
idle64_ours()
{
	local d=$D/$1 fp i up

	R=NA
	pbd_up "$d" || return
	for i in $(seq 0 63); do
		"$PBC" -r "$d" add "vhost:$i" >/dev/null || {
			stop "$PBDP"
			return
		}
	done
	"${NICE[@]}" "$BIN/idle_ports" --virtio -n 64 --cpu "$BE" -d $((IDLE_SECS + 30)) \
		"$d/vhost-" >"$d/fe.json" 2>"$d/fe.log" &
	fp=$!
	pb_track idle_ports $fp
	for i in $(seq 200); do
		up=$("$PBC" -r "$d" --json status | python3 -c '
import json, sys
print(sum(p["link"] == "up" for p in json.load(sys.stdin)["ports"]))' 2>/dev/null)
		[ "$up" = 64 ] && break
		sleep 0.1
	done
	[ "$up" = 64 ] || {
		note "idle-64ports: only $up of 64 ports came up"
		stop $fp
		stop "$PBDP"
		return
	}
	sleep 1
	ns_window "$(leaf "$PBDP")"
	stop $fp
	stop "$PBDP"
}

# idle64_dpdk TAG: testpmd with two connected idle net_vhost ports; R = % of
# a core.
idle64_dpdk()
{
	local d=$D/$1 tp fp

	# shellcheck disable=SC2034 # read by pair_rounds (lib/bench.sh)
	R=NA
	mkdir -p "$d"
	bench_testpmd "$1" "$FE" $((IDLE_SECS + 40)) "$d/tp.log" --vdev "net_vhost0,iface=$d/p0.sock" \
		--vdev "net_vhost1,iface=$d/p1.sock" -- --forward-mode=rxonly --stats-period 10
	tp=$TP
	wait_sock "$d/p1.sock" || {
		stop "$tp"
		return
	}
	"${NICE[@]}" "$BIN/idle_ports" --virtio -n 2 --cpu "$BE" -d $((IDLE_SECS + 30)) "$d/p" \
		>"$d/fe.json" 2>"$d/fe.log" &
	fp=$!
	pb_track idle_ports $fp
	sleep 2
	ns_window "$(leaf "$tp")"
	stop $fp
	stop "$tp"
}

case_idle64()
{
	note "idle-64ports: $RUNS x (patchbayd 64 ports, testpmd), ${IDLE_SECS} s window"
	pair_rounds idle-64ports %cpu once patchbayd idle64_ours testpmd idle64_dpdk
}

bench_case idle64 case_idle64 all "CPU of patchbayd with 64 connected idle ports, against testpmd"
