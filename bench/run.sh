#!/usr/bin/env bash
# bench/run.sh - patchbay against DPDK 22.11 (and the kernel, and the copy
# limit) in one run, on this machine, each process pinned to its own CPU.
# `make bench` runs it; docs/PERFORMANCE.md explains every case.
#
# usage: bench/run.sh [--quick] [GROUP...]
#   GROUP   fe2be be2fe limit rtt idle switch idle64 chain (default: all, in
#           that order; switch: patchbayd against testpmd as a switch, and the
#           round trip through patchbayd asleep; idle64: 64 idle ports; chain:
#           a network function in a pbrun container, ours against testpmd, and
#           how fast a container starts), or
#           copy: ours alone with copy=cache, copy=stream and copy=auto in
#           each round, 64 and 1500 bytes both ways (see docs/PERFORMANCE.md,
#           "The copy"); written to bench/results/copy.txt instead
#   --quick a smoke run: 1 run of 2 s per case, short RTT and idle windows
# environment:
#   BENCH_SECS  seconds per throughput run (5)
#   BENCH_RUNS  runs per case; the median is reported (3)
#   BENCH_IDLE_SECS  idle-cpu measuring window (10)
#   BENCH_PINGS  round trips per RTT run (20000)
#   BENCH_ADAPTIVE_PINGS / BENCH_ADAPTIVE_RATE  the adaptive RTT runs: round
#                trips and their rate per second (5000 / 2000: 0.5 ms apart,
#                so that both ends go to sleep between two)
#   BENCH_CPU_BE / BENCH_CPU_FE  the two CPUs (0 / 1): backend side, frontend side
#   BENCH_NICE   nice value of every measured process when run as root (-20):
#                the two CPUs are meant to be the benchmark's; 0 = share them
#   BENCH_KEEP=1  keep the logs of every process (the path is printed at the end)
#
# Prints one line per case, also written to bench/results/latest.txt:
#   RESULT <case> ours=<v> dpdk=<v> ratio=<ours/dpdk> unit=<Mpps|us|%cpu>
# and draws docs/perf.png (gnuplot). A case that could not run prints NA.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

SECS=${BENCH_SECS:-5}
RUNS=${BENCH_RUNS:-3}
IDLE_SECS=${BENCH_IDLE_SECS:-10}
PINGS=${BENCH_PINGS:-20000}
APINGS=${BENCH_ADAPTIVE_PINGS:-5000}
ARATE=${BENCH_ADAPTIVE_RATE:-2000}
BE=${BENCH_CPU_BE:-0}
FE=${BENCH_CPU_FE:-1}
IDLE_PORTS=16
GROUPS_ALL="fe2be be2fe limit rtt idle switch idle64 chain"
groups=""
for a in "$@"; do
	case "$a" in
	--quick)
		SECS=${BENCH_SECS:-2}
		RUNS=${BENCH_RUNS:-1}
		IDLE_SECS=${BENCH_IDLE_SECS:-3}
		PINGS=${BENCH_PINGS:-5000}
		APINGS=${BENCH_ADAPTIVE_PINGS:-1000}
		;;
	-h | --help)
		sed -n '2,24p' "$ROOT/bench/run.sh" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	fe2be | be2fe | limit | rtt | idle | switch | idle64 | chain | copy) groups="$groups $a" ;;
	*)
		echo "bench: unknown argument '$a' (try --help)" >&2
		exit 2
		;;
	esac
done
groups=${groups:-$GROUPS_ALL}
want() { [[ " $groups " == *" $1 "* ]]; }

# Priority. The two CPUs are meant to be the benchmark's alone; on a shared
# machine, as root, it asks the scheduler for them: every measured process
# runs at nice BENCH_NICE, and since the kernel's autogroups (one per
# session) would make that nice count only against the benchmark's own
# processes, the whole run moves to a session (autogroup) of its own whose
# nice is set too. BENCH_NICE=0 turns both off.
NICE=()
PRIO="as started"
if [ "$(id -u)" = 0 ] && [ "${BENCH_NICE:--20}" != 0 ]; then
	NICE=(nice -n "${BENCH_NICE:--20}")
	PRIO="nice ${BENCH_NICE:--20}"
	if [ -z "${PB_BENCH_SESSION:-}" ] && [ -w /proc/self/autogroup ] &&
		command -v setsid >/dev/null; then
		# Run in a new session; forward signals, since it has no terminal.
		PB_BENCH_SESSION=1 setsid bash "$ROOT/bench/run.sh" "$@" &
		inner=$!
		trap 'kill -TERM $inner 2>/dev/null' INT TERM
		while :; do
			wait $inner
			rc=$?
			kill -0 $inner 2>/dev/null || exit $rc
		done
	fi
	if [ -n "${PB_BENCH_SESSION:-}" ] && echo "${BENCH_NICE:--20}" >/proc/self/autogroup 2>/dev/null; then
		PRIO="$PRIO, autogroup $(cat /proc/self/autogroup)"
	fi
fi

BUILD=$ROOT/build-bench
RESULTS=$ROOT/bench/results
CHART=$ROOT/docs/perf.png
mkdir -p "$RESULTS"
OUT=$RESULTS/latest.txt
DAT=$RESULTS/latest.dat
COPY_ONLY=0
if [ "${groups// /}" = copy ]; then # a study, not the results of record
	COPY_ONLY=1
	OUT=$RESULTS/copy.txt
	DAT=$RESULTS/copy.dat
fi

log() { printf '# %s\n' "$*" | tee -a "$OUT.tmp"; }
note() { printf '  %s\n' "$*" >&2; } # progress, not part of the results

# ---------------------------------------------------------------- processes
# Every background process is tracked and stopped on exit, whatever happens.
WORK=$(mktemp -d /tmp/pbbench.XXXXXX)
PFX=pbb$$ # DPDK --file-prefix and netns names: unique per run
NS_A=$PFX-a
NS_B=$PFX-b
NETNS_MADE=0
PIDS=()

track() { PIDS+=("$1"); }

# stop PID: SIGTERM (testpmd and pbgen exit cleanly on it), then SIGKILL.
stop() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

cleanup() {
	local p
	# An OVS-DPDK left running (interrupted mid-case) holds hugepages.
	if [ -n "${OVS_DIR:-}" ] && declare -F ovs_stop >/dev/null; then
		ovs_stop "$OVS_DIR" >/dev/null 2>&1
	fi
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$NETNS_MADE" = 1 ]; then
		ip netns del "$NS_A" 2>/dev/null
		ip netns del "$NS_B" 2>/dev/null
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench: logs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	rm -rf /var/run/dpdk/"$PFX"-* "${XDG_RUNTIME_DIR:-/nonexistent}"/dpdk/"$PFX"-* 2>/dev/null
	rm -f "$OUT.tmp" "$DAT.tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_sock PATH [SECS]: until a listening socket file exists.
wait_sock() {
	local i
	for i in $(seq $((${2:-20} * 20))); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	note "socket $1 never appeared"
	return 1
}

# jget FILE KEY[.KEY...]: a number from a one-line JSON summary, or NA.
jget() {
	python3 - "$1" "$2" <<'EOF' 2>/dev/null || echo NA
import json, sys
try:
    with open(sys.argv[1]) as f:
        v = json.loads(f.read().strip().splitlines()[-1])
    for k in sys.argv[2].split('.'):
        v = v[k]
    print(v)
except Exception:
    print("NA")
EOF
}

# median V...: the median of the values that are not NA (NA if none). A value
# may carry "@C2C" (see measure); one marked "!" (the placement changed while
# it ran) counts only when no value is unmarked.
median() {
	local v=()
	mapfile -t v < <(printf '%s\n' "$@" | grep -v '^NA')
	if [ ${#v[@]} = 0 ]; then
		echo NA
		return
	fi
	if printf '%s\n' "${v[@]}" | grep -qv '!'; then
		mapfile -t v < <(printf '%s\n' "${v[@]}" | grep -v '!')
	fi
	printf '%s\n' "${v[@]}" | sed 's/@.*//' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "NA"; exit }
			if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
			else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# result CASE OURS REF UNIT: print and record one RESULT line.
result() {
	local ratio line
	ratio=$(awk -v a="$2" -v b="$3" 'BEGIN {
		if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.3g\n", a / b }')
	line="RESULT $1 ours=$(fmt "$2") dpdk=$(fmt "$3") ratio=$ratio unit=$4"
	echo "$line" | tee -a "$OUT.tmp"
	printf '%s %s %s %s\n' "$1" "$2" "$3" "$4" >>"$DAT.tmp"
}
fmt() { awk -v a="$1" 'BEGIN { if (a == "NA") print a; else printf "%.2f\n", a }'; }

# ratios A B: the per-round ratios of two arrays (named), as one string.
ratios() {
	local -n x=$1 y=$2
	local i p q out=()
	for i in "${!x[@]}"; do
		p=${x[$i]} q=${y[$i]:-NA}
		out+=("$(awk -v a="${p%%@*}" -v b="${q%%@*}" 'BEGIN {
			if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.3g\n", a / b }')")
	done
	echo "${out[*]}"
}

# runs LABEL VALUES...: the per-run figures, for judging the noise.
runs() {
	local label=$1
	shift
	log "  $label runs: $*"
}

# ---------------------------------------------------------------- setup, build
if [ -f scripts/setup.sh ]; then
	# gnuplot-nox draws the chart; setup.sh installs whatever is missing.
	# gnuplot draws the chart; OVS-DPDK is a reference switch (switch-ovs-*).
	bash scripts/setup.sh gnuplot-nox openvswitch-switch-dpdk || {
		echo "bench: scripts/setup.sh failed" >&2
		exit 1
	}
fi
for t in meson ninja dpdk-testpmd python3; do
	command -v "$t" >/dev/null || {
		echo "bench: $t is missing (scripts/setup.sh installs it)" >&2
		exit 1
	}
done

note "building $BUILD (release)"
if [ ! -f "$BUILD/meson-private/coredata.dat" ]; then
	meson setup "$BUILD" --buildtype=release -Dtests=false -Dwerror=false >"$WORK/setup.log" 2>&1 || {
		cat "$WORK/setup.log" >&2
		exit 1
	}
fi
ninja -C "$BUILD" >"$WORK/build.log" 2>&1 || {
	tail -40 "$WORK/build.log" >&2
	exit 1
}
PBGEN=$BUILD/tools/pbgen
BIN=$BUILD/bench
if [ ! -x "$BIN/copy_limit" ]; then
	# The top meson.build does not build bench/ (yet): compile here.
	BIN=$BUILD/bench-cc
	mkdir -p "$BIN"
	cflags=(-O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror)
	cc "${cflags[@]}" -Ilib -o "$BIN/copy_limit" bench/copy_limit.c &&
		cc "${cflags[@]}" -o "$BIN/udp_pingpong" bench/udp_pingpong.c &&
		cc "${cflags[@]}" -Iinclude -o "$BIN/idle_ports" bench/idle_ports.c \
			"$BUILD/lib/libpatchbay.a" &&
		cc "${cflags[@]}" -Iinclude -o "$BIN/tester" bench/tester.c \
			"$BUILD/lib/libpatchbay.a" || exit 1
fi
[ -x "$PBGEN" ] || {
	echo "bench: $PBGEN was not built" >&2
	exit 1
}

# others_busy: how busy the CPUs are with other work, in % of all CPUs over
# one second, while the benchmark runs nothing: the noise it will run in.
others_busy() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		busy = y[1] - x[1]; idle = y[2] - x[2]
		printf "%.0f%%\n", (busy + idle > 0) ? busy / (busy + idle) * 100 : 0 }'
}

# ---------------------------------------------------------------- the header
: >"$OUT.tmp"
: >"$DAT.tmp"
model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
log "patchbay bench $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
log "machine: $model, $(nproc) CPUs, $(uname -r)"
log "noise: CPUs busy with other work just before the run: $(others_busy) of $(nproc) CPUs;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "each case: median of $RUNS run(s); throughput runs ${SECS} s; ours and the reference alternate"
log "CPUs: backend side (vhost, echo, rx of fe2be) on CPU $BE, frontend side (virtio, ping) on CPU $FE;" \
	"priority: $PRIO"
log "columns: ours = patchbay; dpdk = the reference: DPDK 22.11 dpdk-testpmd for fe2be/be2fe/idle-cpu,"
log "  testpmd io forwarding between two net_vhost ports for switch-*, OVS-DPDK 3.1 for switch-ovs-*"
log "  (both with the two-port tester), testpmd for idle-64ports, the kernel for wake-rtt,"
log "  the bare shared-memory copy loop (bench/copy_limit) for limit-*, the kernel (UDP over veth"
log "  between two network namespaces) for rtt-*; Mpps: higher is better, us and %cpu: lower is better"

DPDK_EAL=(--no-huge -m 512 --no-pci)
DPDK_TP=(--no-mlockall --total-num-mbufs=16384 --auto-start --stats-period 1)

# ---------------------------------------------------------------- throughput
# The run functions below return through the globals R (and R2), not stdout:
# a command substitution would run them in a subshell, whose background
# processes the cleanup trap could not see.
R=NA
R2=NA
R3=NA

# ours_pair DIR LEN TAG: one patchbay throughput run; R = the receiver's Mpps.
# DIR fe2be: pbgen tx virtio -> pbgen rx vhost; be2fe: pbgen tx vhost -> pbgen rx virtio.
# TX_OPTS (e.g. ",copy=stream") is appended to the sender's spec.
TX_OPTS=
ours_pair() {
	local dir=$1 len=$2 d=$WORK/$3 rxp txp
	mkdir -p "$d"
	if [ "$dir" = fe2be ]; then
		"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBGEN" rx "vhost:$d/sock" --no-verify -q --cpu "$BE" \
			-d $((SECS + 20)) --idle-timeout 1 >"$d/rx.json" 2>"$d/rx.log" &
		rxp=$!
		track $rxp
		wait_sock "$d/sock" || {
			stop $rxp
			R=NA
			return
		}
		"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBGEN" tx "virtio:$d/sock$TX_OPTS" -q --cpu "$FE" -s "$len" \
			-d "$SECS" >"$d/tx.json" 2>"$d/tx.log" &
		txp=$!
	else
		"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBGEN" tx "vhost:$d/sock$TX_OPTS" -q --cpu "$BE" -s "$len" \
			-d "$SECS" >"$d/tx.json" 2>"$d/tx.log" &
		txp=$!
		track $txp
		wait_sock "$d/sock" || {
			stop $txp
			R=NA
			return
		}
		"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBGEN" rx "virtio:$d/sock" --no-verify -q --cpu "$FE" \
			-d $((SECS + 20)) --idle-timeout 1 >"$d/rx.json" 2>"$d/rx.log" &
		rxp=$!
	fi
	track $txp
	track $rxp
	wait $txp
	wait $rxp
	R=$(jget "$d/rx.json" mpps)
}

# dpdk_pair DIR LEN TAG: the same with two testpmds; R = the receiver's Mpps,
# the mean of its Rx-pps lines (one a second) without the first and the last
# (the partial seconds of the start and the stop).
dpdk_pair() {
	local dir=$1 len=$2 d=$WORK/$3 hm cm rxlog hp cp
	mkdir -p "$d"
	if [ "$dir" = fe2be ]; then
		hm=rxonly cm=txonly rxlog=$d/host.log
	else
		hm=txonly cm=rxonly rxlog=$d/ctr.log
	fi
	"${NICE[@]}" dpdk-testpmd --lcores "0@$BE,1@$BE" "${DPDK_EAL[@]}" --file-prefix="$PFX-$3-h" \
		--vdev "net_vhost0,iface=$d/sock" -- "${DPDK_TP[@]}" --txpkts="$len" \
		--forward-mode=$hm </dev/null >"$d/host.log" 2>&1 &
	hp=$!
	track $hp
	wait_sock "$d/sock" || {
		stop $hp
		R=NA
		return
	}
	"${NICE[@]}" dpdk-testpmd --lcores "0@$FE,1@$FE" "${DPDK_EAL[@]}" --file-prefix="$PFX-$3-c" \
		--vdev "net_virtio_user0,path=$d/sock" -- "${DPDK_TP[@]}" --txpkts="$len" \
		--forward-mode=$cm </dev/null >"$d/ctr.log" 2>&1 &
	cp=$!
	track $cp
	sleep $((SECS + 3)) # ~1 s to come up, SECS full seconds, a partial one
	stop $cp
	stop $hp
	R=$(awk '/Rx-pps:/ && $2 > 0 { v[++n] = $2 }
		END {
			if (n < 3) { print "NA"; exit }
			for (i = 2; i < n; i++) s += v[i]
			printf "%.3f\n", s / (n - 2) / 1e6
		}' "$rxlog")
}

# copy_limit_run LEN: R = the bare copy loop's Mpps.
copy_limit_run() {
	local j=$WORK/copy-$1.json cp m st v best=NA
	# The limit is the best the bare loop can do: ordinary and streaming
	# stores (streaming wins when the two CPUs share no cache), slots 2048
	# bytes apart and 2112 as a port's buffers (which keeps consecutive
	# frames out of the same cache sets): the fastest of the four.
	for st in 2048 2112; do
		for m in "" --stream; do
			"${NICE[@]}" timeout -k 2 $((SECS + 20)) "$BIN/copy_limit" -s "$1" -d "$SECS" \
				$m --stride "$st" --rx-cpu "$BE" --tx-cpu "$FE" >"$j" 2>"$WORK/copy-$1.log" &
			cp=$!
			track $cp
			wait $cp
			v=$(jget "$j" mpps)
			best=$(awk -v a="$best" -v b="$v" 'BEGIN {
				if (b == "NA") print a; else if (a == "NA" || b + 0 > a + 0) print b; else print a }')
		done
	done
	R=$best
}

# c2c_probe: C2C = the cache-line round trip between the two CPUs in ns, a
# witness of where the hypervisor runs the two vCPUs (see docs/PERFORMANCE.md,
# "Noise"); a few milliseconds.
C2C=NA
c2c_probe() {
	local j=$WORK/c2c.json cp
	"${NICE[@]}" timeout -k 2 20 "$BIN/copy_limit" --c2c --rx-cpu "$BE" --tx-cpu "$FE" \
		>"$j" 2>/dev/null &
	cp=$!
	track $cp
	wait $cp
	C2C=$(jget "$j" round_trip_ns)
	C2C=${C2C%.*}
}

# measure FN ARG...: one measurement (FN sets R, R2) between two c2c probes.
# If the round trip moved by 30% or more, the hypervisor moved a vCPU during
# the measurement: it is made once more. Sets A = "@C2C" to append to the
# values for the log, with a "!" when the placement changed both times.
A=
measure() {
	local a b try
	for try in 1 2; do
		c2c_probe
		a=$C2C
		"$@"
		c2c_probe
		b=$C2C
		if awk -v a="$a" -v b="$b" 'BEGIN { exit !(a != "NA" && b != "NA" &&
			a > 0 && b > 0 && (a > b ? a / b : b / a) < 1.3) }'; then
			A="@$a"
			return
		fi
		note "    c2c moved from $a to $b ns during: $*" \
			"$([ $try = 1 ] && echo '(measuring again)')"
	done
	A="@$a>$b!"
}

# The limit cases compare ours fe2be with the copy loop measured in the same
# rounds (the noise of a shared machine drifts within minutes): with the limit
# group, fe2be runs copy_limit as a third member of each round.
declare -A OURS_FE2BE LIMIT # LEN -> medians, for the limit cases

# throughput DIR LEN: RUNS rounds of (ours, DPDK[, copy limit]).
throughput() {
	local dir=$1 len=$2 i o r c ours=() ref=() lim=() with_limit=0
	[ "$dir" = fe2be ] && want limit && with_limit=1
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
limit() {
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

# ---------------------------------------------------------------- round trip
# ours_rtt TAG BUSY [PING_OPTION...]: pbgen echo (backend) <-> pbgen ping
# (frontend), both with --busy-poll if BUSY is 1; R, R2 = median, p99 in µs.
ours_rtt() {
	local d=$WORK/$1 ep pp busy=()
	[ "$2" = 1 ] && busy=(--busy-poll)
	shift 2
	mkdir -p "$d"
	"${NICE[@]}" timeout -k 2 120 "$PBGEN" echo "vhost:$d/sock" -q --cpu "$BE" "${busy[@]}" -d 100 \
		>"$d/echo.json" 2>"$d/echo.log" &
	ep=$!
	track $ep
	wait_sock "$d/sock" || {
		stop $ep
		R=NA R2=NA
		return
	}
	"${NICE[@]}" timeout -k 2 100 "$PBGEN" ping "virtio:$d/sock" -q --cpu "$FE" "${busy[@]}" "$@" \
		>"$d/ping.json" 2>"$d/ping.log" &
	pp=$!
	track $pp
	wait $pp
	stop $ep
	R=$(jget "$d/ping.json" rtt_us.median)
	R2=$(jget "$d/ping.json" rtt_us.p99)
}

# netns_up: two namespaces joined by a veth pair, TEST-NET-1 addresses that
# exist only inside them. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN).
netns_up() {
	local va=${PFX}a vb=${PFX}b
	ip netns add "$NS_A" 2>/dev/null || return 1
	NETNS_MADE=1
	ip netns add "$NS_B" &&
		ip link add "$va" type veth peer name "$vb" &&
		ip link set "$va" netns "$NS_A" &&
		ip link set "$vb" netns "$NS_B" &&
		ip -n "$NS_A" addr add 192.0.2.1/24 dev "$va" &&
		ip -n "$NS_B" addr add 192.0.2.2/24 dev "$vb" &&
		ip -n "$NS_A" link set "$va" up &&
		ip -n "$NS_B" link set "$vb" up &&
		ip -n "$NS_A" link set lo up &&
		ip -n "$NS_B" link set lo up
}

# kernel_rtt TAG BUSY [CLIENT_OPTION...]: udp_pingpong over the veth, both
# ends with --busy if BUSY is 1; R, R2 = median, p99.
kernel_rtt() {
	local d=$WORK/$1 sp cp busy=()
	[ "$2" = 1 ] && busy=(--busy)
	shift 2
	mkdir -p "$d"
	ip netns exec "$NS_A" "${NICE[@]}" timeout -k 2 100 "$BIN/udp_pingpong" server -a 192.0.2.1 \
		--cpu "$BE" "${busy[@]}" -d 90 >/dev/null 2>"$d/server.log" &
	sp=$!
	track $sp
	ip netns exec "$NS_B" "${NICE[@]}" timeout -k 2 90 "$BIN/udp_pingpong" client -a 192.0.2.1 \
		--cpu "$FE" "${busy[@]}" "$@" -s 64 >"$d/client.json" 2>"$d/client.log" &
	cp=$!
	track $cp
	wait $cp
	stop $sp
	R=$(jget "$d/client.json" rtt_us.median)
	R2=$(jget "$d/client.json" rtt_us.p99)
}

rtt() {
	local i a b c k ob=() op=() oa=() kb=() kp=() ka=() have_ns=1
	netns_up || {
		have_ns=0
		note "rtt: cannot make network namespaces (not root?): no kernel reference"
	}
	note "rtt-64: $RUNS x (patchbay busy, kernel busy: $PINGS back to back;" \
		"patchbay adaptive, kernel blocking: $APINGS at $ARATE/s)"
	for i in $(seq "$RUNS"); do
		measure ours_rtt "rtt-ob$i" 1 -n "$PINGS"
		ob+=("$R$A")
		op+=("$R2$A")
		measure ours_rtt "rtt-oa$i" 0 -n "$APINGS" -r "$ARATE"
		c=$R$A
		oa+=("$c")
		if [ $have_ns = 1 ]; then
			measure kernel_rtt "rtt-kb$i" 1 -n "$PINGS"
			a=$R$A b=$R2$A
			measure kernel_rtt "rtt-ka$i" 0 -n "$APINGS" -r "$ARATE"
			k=$R$A
		else
			a=NA b=NA k=NA
		fi
		kb+=("$a")
		kp+=("$b")
		ka+=("$k")
		note "  run $i (us@c2c ns): ours ${ob[-1]} p99 ${op[-1]}, adaptive $c;" \
			"kernel $a p99 $b, blocking $k"
	done
	runs "rtt-64 ours busy-poll median" "${ob[@]}"
	runs "rtt-64 ours busy-poll p99" "${op[@]}"
	runs "rtt-64 ours adaptive median" "${oa[@]}"
	runs "rtt-64 kernel busy median" "${kb[@]}"
	runs "rtt-64 kernel busy p99" "${kp[@]}"
	runs "rtt-64 kernel blocking median" "${ka[@]}"
	result rtt-64 "$(median "${ob[@]}")" "$(median "${kb[@]}")" us
	result rtt-64-p99 "$(median "${op[@]}")" "$(median "${kp[@]}")" us
	result rtt-64-adaptive "$(median "${oa[@]}")" "$(median "${ka[@]}")" us
}

# ---------------------------------------------------------------- idle CPU
# ticks PID...: utime + stime of the processes, in clock ticks.
ticks() {
	local p t=0 s
	for p in "$@"; do
		s=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || s=0
		t=$((t + ${s:-0}))
	done
	echo $t
}
HZ=$(getconf CLK_TCK)

# runtime_ns PID...: CPU time of all their threads in ns (/proc/PID/task/*/
# schedstat), a finer cross-check of the tick-based figure (1 tick = 1/HZ s).
runtime_ns() {
	local p
	for p in "$@"; do
		cat /proc/"$p"/task/*/schedstat 2>/dev/null
	done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# ns_pct NS0 NS1 T0 T1: runtime between two samples as % of one core.
ns_pct() { awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" \
	'BEGIN { printf "%.4f\n", (b - a) / (t1 - t0) * 100 }'; }

# cpu_pct TICKS0 TICKS1 NS0 NS1: the ticks between two samples as % of one
# core over the wall-clock time between them.
cpu_pct() { awk -v a="$1" -v b="$2" -v hz="$HZ" -v t0="$3" -v t1="$4" \
	'BEGIN { printf "%.3f\n", (b - a) / hz / ((t1 - t0) / 1e9) * 100 }'; }

# ours_idle TAG: idle_ports (16 vhost ports, CPU BE) + 16 idle pbgen rx virtio
# frontends (CPU FE); R, R2 = backend %, frontends %.
ours_idle() {
	local d=$WORK/$1 ip i fes=() b0 b1 f0 f1 n0 n1 t0 t1 up
	mkdir -p "$d"
	"${NICE[@]}" "$BIN/idle_ports" -n $IDLE_PORTS --cpu "$BE" -d $((IDLE_SECS + 30)) "$d/p" \
		>"$d/ports.json" 2>"$d/ports.log" &
	ip=$!
	track $ip
	for i in $(seq 0 $((IDLE_PORTS - 1))); do
		wait_sock "$d/p$i.sock" || {
			stop $ip
			R=NA R2=NA
			return
		}
		"${NICE[@]}" "$PBGEN" rx "virtio:$d/p$i.sock" -q --cpu "$FE" -d $((IDLE_SECS + 25)) \
			>"$d/fe$i.json" 2>"$d/fe$i.log" &
		fes+=($!)
		track $!
	done
	# idle_ports prints "up K/N" when K changes: measure once all are up.
	for i in $(seq 200); do
		[ "$(tail -n 1 "$d/ports.log")" = "up $IDLE_PORTS/$IDLE_PORTS" ] && break
		sleep 0.05
	done
	sleep 1 # let the set-up traffic settle
	t0=$(date +%s%N)
	b0=$(ticks $ip)
	f0=$(ticks "${fes[@]}")
	n0=$(runtime_ns $ip)
	sleep "$IDLE_SECS"
	n1=$(runtime_ns $ip)
	b1=$(ticks $ip)
	f1=$(ticks "${fes[@]}")
	t1=$(date +%s%N)
	kill -0 $ip 2>/dev/null || b1=NA
	up=$(tail -n 1 "$d/ports.log")
	if [ "$up" != "up $IDLE_PORTS/$IDLE_PORTS" ]; then
		note "ours idle: not all ports up (idle_ports says '$up')"
		b1=NA
	fi
	for i in "${fes[@]}"; do
		stop "$i"
	done
	stop $ip
	if [ "$b1" = NA ]; then
		R=NA R2=NA
		return
	fi
	R=$(cpu_pct "$b0" "$b1" "$t0" "$t1")
	R2=$(cpu_pct "$f0" "$f1" "$t0" "$t1")
	R3=$(ns_pct "$n0" "$n1" "$t0" "$t1")
	R3=$(ns_pct "$n0" "$n1" "$t0" "$t1")
}

# dpdk_idle TAG: one vhost testpmd with 16 net_vhost ports (CPU BE) and one
# virtio-user testpmd with 16 net_virtio_user ports (CPU FE), both rxonly
# with nothing sent; R, R2 = backend %, frontend %.
dpdk_idle() {
	local d=$WORK/$1 hp cp i vh=() vu=() b0 b1 f0 f1 n0 n1 t0 t1 ready
	mkdir -p "$d"
	for i in $(seq 0 $((IDLE_PORTS - 1))); do
		vh+=(--vdev "net_vhost$i,iface=$d/p$i.sock")
		vu+=(--vdev "net_virtio_user$i,path=$d/p$i.sock")
	done
	"${NICE[@]}" dpdk-testpmd --lcores "0@$BE,1@$BE" "${DPDK_EAL[@]}" --file-prefix="$PFX-$1-h" "${vh[@]}" \
		-- "${DPDK_TP[@]}" --forward-mode=rxonly </dev/null >"$d/host.log" 2>&1 &
	hp=$!
	track $hp
	wait_sock "$d/p$((IDLE_PORTS - 1)).sock" || {
		stop $hp
		R=NA R2=NA
		return
	}
	"${NICE[@]}" dpdk-testpmd --lcores "0@$FE,1@$FE" "${DPDK_EAL[@]}" --file-prefix="$PFX-$1-c" "${vu[@]}" \
		-- "${DPDK_TP[@]}" --forward-mode=rxonly </dev/null >"$d/ctr.log" 2>&1 &
	cp=$!
	track $cp
	sleep 3
	t0=$(date +%s%N)
	b0=$(ticks $hp)
	f0=$(ticks $cp)
	n0=$(runtime_ns $hp)
	sleep "$IDLE_SECS"
	n1=$(runtime_ns $hp)
	b1=$(ticks $hp)
	f1=$(ticks $cp)
	t1=$(date +%s%N)
	ready=$(grep -c 'virtio is now ready' "$d/host.log")
	stop $cp
	stop $hp
	if [ "$ready" -lt $IDLE_PORTS ]; then
		note "dpdk idle: only $ready of $IDLE_PORTS vhost ports came up"
		R=NA R2=NA
		return
	fi
	R=$(cpu_pct "$b0" "$b1" "$t0" "$t1")
	R2=$(cpu_pct "$f0" "$f1" "$t0" "$t1")
	R3=$(ns_pct "$n0" "$n1" "$t0" "$t1")
}

idle() {
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

# copy_modes DIR LEN: RUNS rounds of ours with copy=cache, copy=stream and
# copy=auto (the default), each value with its @c2c: how much each way of
# copying gives in each vCPU placement, and whether auto finds the better.
copy_modes() {
	local dir=$1 len=$2 i m v line
	local -A got=()
	note "copy $dir-$len: $RUNS x (cache, stream, auto), ${SECS} s each"
	for i in $(seq "$RUNS"); do
		line=
		for m in cache stream auto; do
			TX_OPTS=",copy=$m"
			measure ours_pair "$dir" "$len" "copy-$dir-$len-$m$i"
			TX_OPTS=
			v=$R$A
			got[$m]="${got[$m]:-} $v"
			line="$line $m $v"
		done
		note "  run $i (Mpps@c2c ns):$line"
	done
	for m in cache stream auto; do
		runs "copy-$dir-$len $m" ${got[$m]}
	done
}

# ---------------------------------------------------------------- the switch
# A switch hop measured with the tester layout (docs/PERFORMANCE.md, "The
# switch"): bench/tester owns the frontends of both of the switch's ports in
# one thread on CPU BE; the switch under test has CPU FE to itself.
PBD=$BUILD/daemon/patchbayd
PBC=$BUILD/cli/patchbay

# pbd_up DIR [ARGS...]: start patchbayd on DIR (one worker on CPU FE).
PBDP=
pbd_up() {
	local d=$1 i
	shift
	"${NICE[@]}" timeout -k 2 300 "$PBD" -r "$d" --workers 1 --cpus "$FE" -q "$@" \
		>"$d.log" 2>&1 &
	PBDP=$!
	track $PBDP
	for i in $(seq 100); do
		"$PBC" -r "$d" version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	note "patchbayd did not start (see $d.log)"
	return 1
}

# switch_ours LEN TAG: tester -> vhost:a -> patchbayd -> vhost:b -> tester.
switch_ours() {
	local d=$WORK/$2
	R=NA
	pbd_up "$d" || return
	"$PBC" -r "$d" add vhost:a >/dev/null && "$PBC" -r "$d" add vhost:b >/dev/null &&
		"$PBC" -r "$d" patch vhost:a vhost:b >/dev/null || {
		stop $PBDP
		return
	}
	"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$BIN/tester" --cpu "$BE" -s "$1" -d "$SECS" \
		"virtio:$d/vhost-a.sock" "virtio:$d/vhost-b.sock" >"$d.json" 2>"$d.tlog"
	R=$(jget "$d.json" delivered_mpps)
	R2=$(jget "$d.json" lost)
	stop $PBDP
}

# switch_dpdk LEN TAG: the same tester through dpdk-testpmd, io forwarding
# between two net_vhost ports, its two lcores on CPU FE.
switch_dpdk() {
	local d=$WORK/$2 tp
	R=NA
	mkdir -p "$d"
	"${NICE[@]}" timeout -k 2 $((SECS + 40)) dpdk-testpmd --lcores "0@$FE,1@$FE" "${DPDK_EAL[@]}" \
		--file-prefix="$PFX-$2" --vdev "net_vhost0,iface=$d/a.sock" \
		--vdev "net_vhost1,iface=$d/b.sock" -- --no-mlockall --total-num-mbufs=16384 \
		--forward-mode=io --auto-start --stats-period 10 >"$d/tp.log" 2>&1 &
	tp=$!
	track $tp
	wait_sock "$d/a.sock" && wait_sock "$d/b.sock" || {
		stop $tp
		return
	}
	"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$BIN/tester" --cpu "$BE" -s "$1" -d "$SECS" \
		"virtio:$d/a.sock" "virtio:$d/b.sock" >"$d/t.json" 2>"$d/t.log"
	R=$(jget "$d/t.json" delivered_mpps)
	stop $tp
}

# switch_ovs LEN TAG: the same tester through OVS-DPDK (bench/ovs.sh): two
# dpdkvhostuserclient ports, a port-to-port flow, one PMD thread on CPU FE.
switch_ovs() {
	local d=$WORK/$2
	R=NA
	if ! ovs_start "$d" "$FE" >"$d.start.log" 2>&1; then
		note "OVS-DPDK did not start: $(tail -n 2 "$d.start.log" | tr '\n' ' ')"
		ovs_stop "$d" >/dev/null 2>&1
		return
	fi
	"${NICE[@]}" timeout -k 2 $((SECS + 40)) "$BIN/tester" --cpu "$BE" -s "$1" -d "$SECS" -w 20 \
		"virtio:$d/vu0.sock,server=1" "virtio:$d/vu1.sock,server=1" >"$d.json" 2>"$d.tlog"
	R=$(jget "$d.json" delivered_mpps)
	ovs_stop "$d" >/dev/null 2>&1
}

switch_ovs_case() {
	local len=$1 i o r ours=() ref=()
	note "switch-ovs-$len: $RUNS x (patchbayd, OVS-DPDK) with the two-port tester, ${SECS} s each"
	for i in $(seq "$RUNS"); do
		measure switch_ours "$len" "swo-$len-o$i"
		o=$R$A
		measure switch_ovs "$len" "swo-$len-v$i"
		r=$R$A
		ours+=("$o")
		ref+=("$r")
		note "  run $i (Mpps@c2c ns): patchbayd $o, OVS-DPDK $r"
	done
	runs "switch-ovs-$len patchbayd" "${ours[@]}"
	runs "switch-ovs-$len ovs-dpdk" "${ref[@]}"
	runs "switch-ovs-$len ratio" "$(ratios ours ref)"
	result "switch-ovs-$len" "$(median "${ours[@]}")" "$(median "${ref[@]}")" Mpps
}

switch_case() {
	local len=$1 i o r ours=() ref=()
	note "switch-$len: $RUNS x (patchbayd, testpmd io) with the two-port tester, ${SECS} s each"
	for i in $(seq "$RUNS"); do
		measure switch_ours "$len" "sw-$len-o$i"
		o=$R$A
		measure switch_dpdk "$len" "sw-$len-d$i"
		r=$R$A
		ours+=("$o")
		ref+=("$r")
		note "  run $i (Mpps@c2c ns): patchbayd $o, testpmd $r"
	done
	runs "switch-$len patchbayd" "${ours[@]}"
	runs "switch-$len testpmd" "${ref[@]}"
	runs "switch-$len ratio" "$(ratios ours ref)"
	result "switch-$len" "$(median "${ours[@]}")" "$(median "${ref[@]}")" Mpps
}

# leaf PID: the process at the bottom of PID's chain of children (timeout(1)
# and nice run what they start as a child or in place).
leaf() {
	local p=$1 c
	while c=$(cat "/proc/$p/task/$p/children" 2>/dev/null) && [ -n "$c" ]; do
		p=${c%% *}
	done
	echo "$p"
}

# idle64 TAG: patchbayd's CPU with 64 connected idle vhost ports over
# IDLE_SECS (frontends: bench/idle_ports --virtio on CPU BE); R = % of a core.
idle64_ours() {
	local d=$WORK/$1 fp i t0 t1 b0 b1 up
	R=NA
	pbd_up "$d" || return
	for i in $(seq 0 63); do
		"$PBC" -r "$d" add "vhost:$i" >/dev/null || {
			stop $PBDP
			return
		}
	done
	"${NICE[@]}" "$BIN/idle_ports" --virtio -n 64 --cpu "$BE" -d $((IDLE_SECS + 30)) \
		"$d/vhost-" >"$d/fe.json" 2>"$d/fe.log" &
	fp=$!
	track $fp
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
		stop $PBDP
		return
	}
	sleep 1
	local pd
	pd=$(leaf $PBDP)
	t0=$(date +%s%N)
	b0=$(runtime_ns "$pd")
	sleep "$IDLE_SECS"
	b1=$(runtime_ns "$pd")
	t1=$(date +%s%N)
	R=$(ns_pct "$b0" "$b1" "$t0" "$t1")
	stop $fp
	stop $PBDP
}

# idle64_dpdk TAG: testpmd with two connected idle net_vhost ports (it polls
# whatever the count); R = % of a core.
idle64_dpdk() {
	local d=$WORK/$1 tp fp t0 t1 b0 b1
	R=NA
	mkdir -p "$d"
	"${NICE[@]}" timeout -k 2 $((IDLE_SECS + 40)) dpdk-testpmd --lcores "0@$FE,1@$FE" \
		"${DPDK_EAL[@]}" --file-prefix="$PFX-$1" --vdev "net_vhost0,iface=$d/p0.sock" \
		--vdev "net_vhost1,iface=$d/p1.sock" -- --no-mlockall --total-num-mbufs=16384 \
		--forward-mode=rxonly --auto-start --stats-period 10 >"$d/tp.log" 2>&1 &
	tp=$!
	track $tp
	wait_sock "$d/p1.sock" || {
		stop $tp
		return
	}
	"${NICE[@]}" "$BIN/idle_ports" --virtio -n 2 --cpu "$BE" -d $((IDLE_SECS + 30)) "$d/p" \
		>"$d/fe.json" 2>"$d/fe.log" &
	fp=$!
	track $fp
	sleep 2
	local pt
	pt=$(leaf $tp)
	t0=$(date +%s%N)
	b0=$(runtime_ns "$pt")
	sleep "$IDLE_SECS"
	b1=$(runtime_ns "$pt")
	t1=$(date +%s%N)
	R=$(ns_pct "$b0" "$b1" "$t0" "$t1")
	stop $fp
	stop $tp
}

idle64() {
	local i o=() r=()
	note "idle-64ports: $RUNS x (patchbayd 64 ports, testpmd), ${IDLE_SECS} s window"
	for i in $(seq "$RUNS"); do
		idle64_ours "i64-o$i"
		o+=("$R")
		idle64_dpdk "i64-d$i"
		r+=("$R")
		note "  run $i (% of a core): patchbayd ${o[-1]}, testpmd ${r[-1]}"
	done
	runs "idle-64ports patchbayd" "${o[@]}"
	runs "idle-64ports testpmd" "${r[@]}"
	result idle-64ports "$(median "${o[@]}")" "$(median "${r[@]}")" %cpu
}

# wake_ours TAG: pbgen ping -> vhost:a -> patchbayd -> vhost:b -> pbgen echo
# and back, everyone sleeping between round trips (APINGS at ARATE/s).
wake_ours() {
	local d=$WORK/$1 ep pp
	R=NA R2=NA
	pbd_up "$d" || return
	"$PBC" -r "$d" add vhost:a >/dev/null && "$PBC" -r "$d" add vhost:b >/dev/null &&
		"$PBC" -r "$d" patch vhost:a vhost:b --both >/dev/null || {
		stop $PBDP
		return
	}
	"${NICE[@]}" timeout -k 2 120 "$PBGEN" echo "virtio:$d/vhost-b.sock" -q --cpu "$BE" -d 100 \
		>"$d/echo.json" 2>"$d/echo.log" &
	ep=$!
	track $ep
	"${NICE[@]}" timeout -k 2 100 "$PBGEN" ping "virtio:$d/vhost-a.sock" -q --cpu "$BE" \
		-n "$APINGS" -r "$ARATE" >"$d/ping.json" 2>"$d/ping.log" &
	pp=$!
	track $pp
	wait $pp
	stop $ep
	R=$(jget "$d/ping.json" rtt_us.median)
	R2=$(jget "$d/ping.json" rtt_us.p99)
	stop $PBDP
}

wake_rtt() {
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

# ---------------------------------------------------------------- run
start=$(date +%s)
if want fe2be; then
	throughput fe2be 64
	throughput fe2be 1500
fi
if want be2fe; then
	throughput be2fe 64
	throughput be2fe 1500
fi
if want limit; then
	limit 64
	limit 1500
fi
want rtt && rtt
want idle && idle
# ---------------------------------------------------------------- chain
# A service chain in pbrun containers (docs/PERFORMANCE.md, "The chain"):
#
#   tester ─▶ vhost:a ══▶ vhost:f0 ─▶ FORWARDER ─▶ vhost:f1 ══▶ vhost:b ─▶ tester
#
# patchbayd's worker has CPU FE to itself (its two hops are the same work
# for both forwarders); the two-port tester (sender and receiver in one
# thread) and the forwarder share CPU BE, each in its container, as
# containers share CPUs. The forwarder is our examples/l2fwd, or
# dpdk-testpmd in io mode with two net_virtio_user ports (unprivileged, no
# hugepages) on the same ports, its two lcores on CPU BE.
PBRUN=$BUILD/tools/pbrun
L2FWD=$BUILD/examples/example_l2fwd

# wait_up DIR PORT...: until patchbayd on DIR has every PORT up.
wait_up() {
	local d=$1 i p ok
	shift
	for i in $(seq 400); do
		ok=1
		for p in "$@"; do
			"$PBC" -r "$d" --json stats "$p" 2>/dev/null | grep -q '"link": *"up"' || ok=0
		done
		((ok)) && return 0
		sleep 0.05
	done
	return 1
}

# chain_run FWD LEN TAG: R = the tester's delivered Mpps through FWD.
chain_run() {
	local d=$WORK/$3 f
	R=NA
	pbd_up "$d" || return
	for p in a f0 f1 b; do "$PBC" -r "$d" add "vhost:$p" >/dev/null; done
	"$PBC" -r "$d" patch vhost:a vhost:f0 >/dev/null &&
		"$PBC" -r "$d" patch vhost:f1 vhost:b >/dev/null || {
		stop $PBDP
		return
	}
	if [ "$1" = l2fwd ]; then
		"${NICE[@]}" timeout -k 2 $((SECS + 60)) "$PBRUN" -r "$d" --cpus "$BE" \
			--port vhost:f0 --port vhost:f1 -- "$L2FWD" 'virtio:{port0}' 'virtio:{port1}' \
			>"$d/fwd.log" 2>&1 &
	else
		"${NICE[@]}" timeout -k 2 $((SECS + 60)) "$PBRUN" -r "$d" --cpus "$BE" \
			--port vhost:f0 --port vhost:f1 -- dpdk-testpmd --lcores "0@$BE,1@$BE" \
			--no-huge -m 512 --no-pci --vdev 'net_virtio_user0,path={port0}' \
			--vdev 'net_virtio_user1,path={port1}' -- --no-mlockall \
			--total-num-mbufs=16384 --forward-mode=io --auto-start --stats-period 10 \
			>"$d/fwd.log" 2>&1 &
	fi
	f=$!
	track $f
	if wait_up "$d" vhost:f0 vhost:f1; then
		"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBRUN" -r "$d" --cpus "$BE" --no-prefix \
			--port vhost:a --port vhost:b -- "$BIN/tester" -s "$2" -d "$SECS" \
			'virtio:{port0}' 'virtio:{port1}' >"$d.json" 2>"$d.tlog"
		R=$(jget "$d.json" delivered_mpps)
	else
		note "the forwarder's ports did not come up (see $d/fwd.log)"
	fi
	stop $f
	stop $PBDP
}

chain_case() {
	local len=$1 i o r ours=() ref=()
	note "chain-$len: $RUNS x (l2fwd, testpmd io) in a pbrun container between two patchbayd hops, ${SECS} s each"
	for i in $(seq "$RUNS"); do
		chain_run l2fwd "$len" "ch-$len-o$i"
		o=$R
		chain_run testpmd "$len" "ch-$len-d$i"
		r=$R
		ours+=("$o")
		ref+=("$r")
		note "  run $i (Mpps): l2fwd $o, testpmd $r"
	done
	runs "chain-$len l2fwd" "${ours[@]}"
	runs "chain-$len testpmd" "${ref[@]}"
	runs "chain-$len ratio" "$(ratios ours ref)"
	result "chain-$len" "$(median "${ours[@]}")" "$(median "${ref[@]}")" Mpps
}

# start_once DIR ENGINE N: R = ms from starting pbrun to the app's port up
# (pbgen rx in the container, port vhost:sN), as seen on patchbayd's
# control socket, polled every 0.2 ms from an open connection.
start_once() {
	R=$(python3 - "$1" "$2" "$3" "$PBRUN" "$PBGEN" <<'PY'
import json, socket, subprocess, sys, time
run, engine, n, pbrun, pbgen = sys.argv[1:]
s = socket.socket(socket.AF_UNIX)
s.connect(run + "/control.sock")
f = s.makefile("rw")
f.readline()  # the greeting
req = json.dumps({"cmd": "stats", "args": {"port": "vhost:s" + n}}) + "\n"
t0 = time.monotonic()
p = subprocess.Popen([pbrun, "-r", run, "--engine", engine, "--port", "vhost:s" + n, "--",
                      pbgen, "rx", "virtio:{port0}", "-q"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ms = "NA"
while time.monotonic() - t0 < 20:
    f.write(req)
    f.flush()
    r = json.loads(f.readline())
    if r.get("ok") and r["result"]["ports"][0]["link"] == "up":
        ms = "%.1f" % ((time.monotonic() - t0) * 1000)
        break
    time.sleep(0.0002)
p.terminate()
p.wait(timeout=30)
print(ms)
PY
)
}

start_case() {
	local d=$WORK/start i ours=() ref=() conf=$WORK/containers.conf
	note "start-ms: 10 x pbrun to the app's port up, built-in runtime and podman"
	pbd_up "$d" || return
	# podman here: runc, and ulimits it may set (DEVELOPERS.md)
	printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\n' >"$conf"
	CONTAINERS_CONF=$conf "$PBRUN" --engine podman --build-image >/dev/null 2>&1
	for i in $(seq 10); do
		start_once "$d" builtin "b$i"
		ours+=("$R")
		CONTAINERS_CONF=$conf start_once "$d" podman "p$i"
		ref+=("$R")
	done
	stop $PBDP
	runs "start-ms builtin" "${ours[@]}"
	runs "start-ms podman" "${ref[@]}"
	result start-ms "$(median "${ours[@]}")" "$(median "${ref[@]}")" ms
}

chain() {
	chain_case 64
	start_case
}

if want switch; then
	switch_case 64
	switch_case 1500
	if [ "$(id -u)" = 0 ]; then
		. "$ROOT/bench/ovs.sh"
		switch_ovs_case 64
	else
		note "switch-ovs-64: needs root (OVS-DPDK takes hugepages): NA"
		result switch-ovs-64 NA NA Mpps
	fi
	wake_rtt
fi
want idle64 && idle64
want chain && chain
if want copy; then
	for d in be2fe fe2be; do
		copy_modes $d 64
		copy_modes $d 1500
	done
fi
log "noise: CPUs busy with other work just after the run: $(others_busy) of $(nproc) CPUs;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg); the run took $(($(date +%s) - start)) s"

mv "$OUT.tmp" "$OUT"
mv "$DAT.tmp" "$DAT"
if [ $COPY_ONLY = 0 ] && command -v gnuplot >/dev/null; then
	stamp="$(date -u '+%Y-%m-%d') $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
	if gnuplot -e "datafile='$DAT'; outfile='$CHART'; stamp='$stamp'" bench/chart.gp \
		2>"$WORK/gnuplot.log"; then
		note "chart: $CHART"
	else
		note "chart failed:"
		cat "$WORK/gnuplot.log" >&2
	fi
fi
note "results: $OUT"
