# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/idle.sh - what 16 connected idle ports cost in CPU: the
# library's adaptive loop (bench/idle_ports) against testpmd's polling;
# sourced by bench/run.sh.

IDLE_PORTS=16

# idle_window BACKEND FRONTEND...: R, R2 = the CPU of the backend process and
# of the frontends (ticks, % of one core), R3 = the backend's from schedstat,
# over IDLE_SECS.
idle_window()
{
	local b=$1 t0 t1 b0 b1 f0 f1 n0 n1

	shift
	t0=$(date +%s%N)
	b0=$(ticks "$b")
	f0=$(ticks "$@")
	n0=$(runtime_ns "$b")
	sleep "$IDLE_SECS"
	n1=$(runtime_ns "$b")
	b1=$(ticks "$b")
	f1=$(ticks "$@")
	t1=$(date +%s%N)
	R=$(cpu_pct "$b0" "$b1" "$t0" "$t1")
	R2=$(cpu_pct "$f0" "$f1" "$t0" "$t1")
	R3=$(ns_pct "$n0" "$n1" "$t0" "$t1")
}

# ours_idle TAG: idle_ports (16 vhost ports, CPU BE) + 16 idle pbgen rx virtio
# frontends (CPU FE); R, R2 = backend %, frontends %.
ours_idle()
{
	local d=$D/$1 ip i fes=() ok=1 up

	mkdir -p "$d"
	"${NICE[@]}" "$BIN/idle_ports" -n $IDLE_PORTS --cpu "$BE" -d $((IDLE_SECS + 30)) "$d/p" \
		>"$d/ports.json" 2>"$d/ports.log" &
	ip=$!
	pb_track idle_ports $ip
	for i in $(seq 0 $((IDLE_PORTS - 1))); do
		wait_sock "$d/p$i.sock" || {
			stop $ip
			R=NA R2=NA
			return
		}
		"${NICE[@]}" "$PBGEN" rx "virtio:$d/p$i.sock" -q --cpu "$FE" -d $((IDLE_SECS + 25)) \
			>"$d/fe$i.json" 2>"$d/fe$i.log" &
		fes+=($!)
		pb_track "fe$i" $!
	done
	# idle_ports prints "up K/N" when K changes: measure once all are up.
	for i in $(seq 200); do
		[ "$(tail -n 1 "$d/ports.log")" = "up $IDLE_PORTS/$IDLE_PORTS" ] && break
		sleep 0.05
	done
	sleep 1 # let the set-up traffic settle
	idle_window $ip "${fes[@]}"
	kill -0 $ip 2>/dev/null || ok=0
	up=$(tail -n 1 "$d/ports.log")
	if [ "$up" != "up $IDLE_PORTS/$IDLE_PORTS" ]; then
		note "ours idle: not all ports up (idle_ports says '$up')"
		ok=0
	fi
	for i in "${fes[@]}"; do
		stop "$i"
	done
	stop $ip
	[ $ok = 1 ] || R=NA R2=NA R3=NA
}

# dpdk_idle TAG: one vhost testpmd with 16 net_vhost ports (CPU BE) and one
# virtio-user testpmd with 16 net_virtio_user ports (CPU FE), both rxonly
# with nothing sent; R, R2 = backend %, frontend %.
dpdk_idle()
{
	local d=$D/$1 hp i vh=() vu=() ready

	mkdir -p "$d"
	for i in $(seq 0 $((IDLE_PORTS - 1))); do
		vh+=(--vdev "net_vhost$i,iface=$d/p$i.sock")
		vu+=(--vdev "net_virtio_user$i,path=$d/p$i.sock")
	done
	bench_testpmd "$1-h" "$BE" 0 "$d/host.log" "${vh[@]}" -- --stats-period 1 --forward-mode=rxonly
	hp=$TP
	wait_sock "$d/p$((IDLE_PORTS - 1)).sock" || {
		stop "$hp"
		R=NA R2=NA
		return
	}
	bench_testpmd "$1-c" "$FE" 0 "$d/ctr.log" "${vu[@]}" -- --stats-period 1 --forward-mode=rxonly
	sleep 3
	idle_window "$hp" "$TP"
	ready=$(grep -c 'virtio is now ready' "$d/host.log")
	stop "$TP"
	stop "$hp"
	if [ "$ready" -lt $IDLE_PORTS ]; then
		note "dpdk idle: only $ready of $IDLE_PORTS vhost ports came up"
		R=NA R2=NA R3=NA
	fi
}

case_idle()
{
	local i a b c e ob=() of=() db=() df=() obn=() dbn=()

	note "idle-cpu: $RUNS x (patchbay, DPDK), $IDLE_PORTS idle ports, ${IDLE_SECS} s window"
	for i in $(seq "$RUNS"); do
		R3=NA
		ours_idle "idle-o$i"
		a=$R b=$R2
		obn+=("$R3")
		R3=NA
		dpdk_idle "idle-d$i"
		c=$R e=$R2
		dbn+=("$R3")
		ob+=("$a")
		of+=("$b")
		db+=("$c")
		df+=("$e")
		note "  run $i: ours backend $a% (16 frontends $b%), dpdk backend $c% (frontend $e%)"
	done
	runs "idle-cpu ours backend" "${ob[@]}"
	runs "idle-cpu ours backend (schedstat)" "${obn[@]}"
	runs "idle-cpu dpdk backend" "${db[@]}"
	runs "idle-cpu dpdk backend (schedstat)" "${dbn[@]}"
	runs "idle-cpu ours 16 frontends" "${of[@]}"
	runs "idle-cpu dpdk frontend" "${df[@]}"
	result idle-cpu "$(median "${ob[@]}")" "$(median "${db[@]}")" %cpu
	result idle-cpu-frontends "$(median "${of[@]}")" "$(median "${df[@]}")" %cpu
}

bench_case idle case_idle all "CPU of 16 connected idle ports, backend and frontends, against testpmd"
