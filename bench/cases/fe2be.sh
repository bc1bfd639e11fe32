# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/fe2be.sh - throughput of one link, both ways, against testpmd
# (fe2be, be2fe), and against the bare copy loop (limit); sourced by
# bench/run.sh (docs/PERFORMANCE.md, "The cases" and "The copy limit").

# ours_tx SPEC CPU LEN DIR / ours_rx SPEC CPU DIR: one pbgen end of a
# throughput run in the background, its summary in DIR; BG = its pid. The
# sender runs SECS; the receiver ends 1 s after the frames stop.
BG=
ours_tx()
{
	"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBGEN" tx "$1$TX_OPTS" -q --cpu "$2" -s "$3" \
		-d "$SECS" >"$4/tx.json" 2>"$4/tx.log" &
	BG=$!
	pb_track tx $BG
}

ours_rx()
{
	"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBGEN" rx "$1" --no-verify -q --cpu "$2" \
		-d $((SECS + 20)) --idle-timeout 1 >"$3/rx.json" 2>"$3/rx.log" &
	BG=$!
	pb_track rx $BG
}

# ours_pair DIR LEN TAG: one patchbay throughput run; R = the receiver's Mpps.
# DIR fe2be: pbgen tx virtio -> pbgen rx vhost; be2fe: pbgen tx vhost -> pbgen
# rx virtio. The vhost end (CPU BE) listens, so it starts first.
# TX_OPTS (e.g. ",copy=stream") is appended to the sender's spec.
TX_OPTS=
ours_pair()
{
	local dir=$1 len=$2 d=$D/$3 rxp txp

	mkdir -p "$d"
	if [ "$dir" = fe2be ]; then
		ours_rx "vhost:$d/sock" "$BE" "$d"
		rxp=$BG
	else
		ours_tx "vhost:$d/sock" "$BE" "$len" "$d"
		txp=$BG
	fi
	wait_sock "$d/sock" || {
		stop "$BG"
		R=NA
		return
	}
	if [ "$dir" = fe2be ]; then
		ours_tx "virtio:$d/sock" "$FE" "$len" "$d"
		txp=$BG
	else
		ours_rx "virtio:$d/sock" "$FE" "$d"
		rxp=$BG
	fi
	reap "$txp" "$rxp"
	R=$(jget "$d/rx.json" mpps)
}

# dpdk_pair DIR LEN TAG: the same with two testpmds; R = the receiver's Mpps,
# the mean of its Rx-pps lines (one a second) without the first and the last
# (the partial seconds of the start and the stop).
dpdk_pair()
{
	local dir=$1 len=$2 d=$D/$3 hm cm rxlog hp

	mkdir -p "$d"
	if [ "$dir" = fe2be ]; then
		hm=rxonly cm=txonly rxlog=$d/host.log
	else
		hm=txonly cm=rxonly rxlog=$d/ctr.log
	fi
	bench_testpmd "$3-h" "$BE" 0 "$d/host.log" --vdev "net_vhost0,iface=$d/sock" -- \
		--stats-period 1 --txpkts="$len" --forward-mode=$hm
	hp=$TP
	wait_sock "$d/sock" || {
		stop "$hp"
		R=NA
		return
	}
	bench_testpmd "$3-c" "$FE" 0 "$d/ctr.log" --vdev "net_virtio_user0,path=$d/sock" -- \
		--stats-period 1 --txpkts="$len" --forward-mode=$cm
	sleep $((SECS + 3)) # ~1 s to come up, SECS full seconds, a partial one
	stop "$TP"
	stop "$hp"
	R=$(awk '/Rx-pps:/ && $2 > 0 { v[++n] = $2 }
		END {
			if (n < 3) { print "NA"; exit }
			for (i = 2; i < n; i++) s += v[i]
			printf "%.3f\n", s / (n - 2) / 1e6
		}' "$rxlog")
}

# copy_limit_run LEN: R = the bare copy loop's Mpps.
copy_limit_run()
{
	local j=$D/copy-$1.json cp m st v best=NA

	# The limit is the best the bare loop can do: ordinary and streaming
	# stores (streaming wins when the two CPUs share no cache), slots 2048
	# bytes apart and 2112 as a port's buffers (which keeps consecutive
	# frames out of the same cache sets): the fastest of the four.
	for st in 2048 2112; do
		for m in "" --stream; do
			"${NICE[@]}" timeout -k 2 $((SECS + 20)) "$BIN/copy_limit" -s "$1" -d "$SECS" \
				${m:+"$m"} --stride "$st" --rx-cpu "$BE" --tx-cpu "$FE" >"$j" 2>"$D/copy-$1.log" &
			cp=$!
			pb_track copy_limit $cp
			reap $cp
			v=$(jget "$j" mpps)
			best=$(awk -v a="$best" -v b="$v" 'BEGIN {
				if (b == "NA") print a; else if (a == "NA" || b + 0 > a + 0) print b; else print a }')
		done
	done
	R=$best
}

# The limit cases compare ours fe2be with the copy loop measured in the same
# rounds (the noise of a shared machine drifts within minutes): with the limit
# group, fe2be runs copy_limit as a third member of each round.
declare -A OURS_FE2BE LIMIT # LEN -> medians, for the limit cases

# throughput DIR LEN: RUNS rounds of (ours, DPDK[, copy limit]).
throughput()
{
	local dir=$1 len=$2 i o r c ours=() ref=() lim=() with_limit=0

	[ "$dir" = fe2be ] && bench_want limit && with_limit=1
	note "$dir-$len: $RUNS x (patchbay, DPDK$([ $with_limit = 1 ] && echo ', copy limit')), ${SECS} s each"
	for i in $(seq "$RUNS"); do
		measure ours_pair "$dir" "$len" "$dir-$len-o$i"
		o=$R$A
		measure dpdk_pair "$dir" "$len" "$dir-$len-d$i"
		r=$R$A
		ours+=("$o")
		ref+=("$r")
		c=
		if [ $with_limit = 1 ]; then
			measure copy_limit_run "$len"
			c=", copy limit $R$A"
			lim+=("$R$A")
		fi
		note "  run $i (Mpps@c2c ns): ours $o, dpdk $r$c"
	done
	runs "$dir-$len ours" "${ours[@]}"
	runs "$dir-$len dpdk" "${ref[@]}"
	runs "$dir-$len ratio" "$(ratios ours ref)"
	o=$(median "${ours[@]}")
	result "$dir-$len" "$o" "$(median "${ref[@]}")" Mpps
	if [ $with_limit = 1 ]; then
		runs "limit-$len copy_limit" "${lim[@]}"
		runs "limit-$len ratio" "$(ratios ours lim)"
		OURS_FE2BE[$len]=$o
		LIMIT[$len]=$(median "${lim[@]}")
	fi
}

# limit LEN: ours fe2be against the copy loop; from the fe2be rounds if they
# ran, else RUNS rounds of (ours, copy limit) here.
limit()
{
	local len=$1 i ours=() lim=()

	if [ -z "${LIMIT[$len]:-}" ]; then
		note "limit-$len: $RUNS x (patchbay fe2be, copy limit), ${SECS} s each"
		for i in $(seq "$RUNS"); do
			measure ours_pair fe2be "$len" "limit-$len-o$i"
			ours+=("$R$A")
			measure copy_limit_run "$len"
			lim+=("$R$A")
			note "  run $i (Mpps@c2c ns): ours ${ours[-1]}, copy limit ${lim[-1]}"
		done
		runs "limit-$len ours(fe2be)" "${ours[@]}"
		runs "limit-$len copy_limit" "${lim[@]}"
		runs "limit-$len ratio" "$(ratios ours lim)"
		OURS_FE2BE[$len]=$(median "${ours[@]}")
		LIMIT[$len]=$(median "${lim[@]}")
	fi
	result "limit-$len" "${OURS_FE2BE[$len]}" "${LIMIT[$len]}" Mpps
}

case_fe2be()
{
	throughput fe2be 64
	throughput fe2be 1500
}

case_be2fe()
{
	throughput be2fe 64
	throughput be2fe 1500
}

case_limit()
{
	limit 64
	limit 1500
}

bench_case fe2be case_fe2be all "pbgen virtio -> pbgen vhost against two testpmds, 64 and 1500 bytes"
bench_case be2fe case_be2fe all "pbgen vhost -> pbgen virtio against two testpmds, 64 and 1500 bytes"
bench_case limit case_limit all "ours fe2be against the bare shared-memory copy loop (bench/copy_limit)"
