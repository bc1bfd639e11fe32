# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/lib/bench.sh - what every case of the benchmark uses (sourced by
# bench/run.sh, after tests/lib/common.sh, whose temp dir $D, process
# tracking, cleanup trap, waiting and testpmd settings it builds on):
#
#   the case table     bench_case NAME FN KIND HELP; bench_want NAME
#   the results        record (header lines), result (a RESULT line), runs,
#                      median, ratios
#   measuring          measure (between two c2c probes), pair_rounds (RUNS
#                      rounds of ours against the reference), CPU time
#   processes          stop, reap, wait_sock, bench_testpmd, pbd_up, netns_up,
#                      kernel_rtt, leaf, jget
#
# The run functions return through the globals R, R2 and R3, never stdout:
# a command substitution would run them in a subshell, whose background
# processes the cleanup trap could not see.
#
# Globals the driver sets: ROOT and BUILD before sourcing this; BIN, PBGEN,
# SECS, RUNS, IDLE_SECS, PINGS, APINGS, ARATE, BE, FE, OUT, DAT, PFX, NS_A
# and NS_B before a case runs.

PBD=$BUILD/daemon/patchbayd
PBC=$BUILD/cli/patchbay
BIN=$BUILD/bench # bench_build may put them elsewhere
NICE=()          # the priority of every measured process (bench_priority)

# ---------------------------------------------------------------- the cases
# Each bench/cases/*.sh registers its groups here; bench/run.sh runs them in
# the order they were registered and prints its help from this table.
BENCH_CASES=()            # group names, in registration (= run) order
declare -A BENCH_CASE_FN   # group -> function that runs it
declare -A BENCH_CASE_KIND # group -> "all" (in the default run) or "study"
declare -A BENCH_CASE_HELP # group -> one line for --help
BENCH_GROUPS=""            # the groups this run was asked for

# bench_case NAME FN KIND HELP: register group NAME, run by FN. KIND "all"
# puts it in the default run; a "study" runs only when asked for, and when
# it is the only group its lines go to bench/results/NAME.txt instead of
# latest.txt (it is not the results of record).
bench_case()
{
	BENCH_CASES+=("$1")
	BENCH_CASE_FN[$1]=$2
	BENCH_CASE_KIND[$1]=$3
	BENCH_CASE_HELP[$1]=$4
}

bench_want() { [[ " $BENCH_GROUPS " == *" $1 "* ]]; }

# bench_select GROUP...: the groups of this run (BENCH_GROUPS): those named,
# or with none named every group of kind "all". Status 1 with a message for
# a name that is no group.
bench_select()
{
	local c

	BENCH_GROUPS=
	for c in "$@"; do
		if [ -z "$c" ] || [ -z "${BENCH_CASE_FN[$c]:-}" ]; then
			echo "bench: unknown argument '$c' (try --help)" >&2
			return 1
		fi
		BENCH_GROUPS="$BENCH_GROUPS $c"
	done
	[ $# -gt 0 ] && return 0
	for c in "${BENCH_CASES[@]}"; do
		[ "${BENCH_CASE_KIND[$c]}" = all ] && BENCH_GROUPS="$BENCH_GROUPS $c"
	done
	return 0
}

# bench_study: the group's name when the run is one study alone, else
# nothing (its results then go to a file of its own).
bench_study()
{
	local g

	read -ra g <<<"$BENCH_GROUPS"
	if [ ${#g[@]} = 1 ] && [ "${BENCH_CASE_KIND[${g[0]}]}" = study ]; then
		echo "${g[0]}"
	fi
}

# bench_run: every group asked for, in registration order.
bench_run()
{
	local c

	for c in "${BENCH_CASES[@]}"; do
		if bench_want "$c"; then
			"${BENCH_CASE_FN[$c]}"
		fi
	done
}

# bench_case_list: the registered groups and their help, for --help.
bench_case_list()
{
	local c

	for c in "${BENCH_CASES[@]}"; do
		printf '  %-8s %s%s\n' "$c" "${BENCH_CASE_HELP[$c]}" \
			"$([ "${BENCH_CASE_KIND[$c]}" = study ] && echo ' (only when asked for)')"
	done
}

# ---------------------------------------------------------------- output
note() { printf '  %s\n' "$*" >&2; } # progress, not part of the results

# record TEXT...: a header or per-round line of the results file, on stdout.
record() { printf '# %s\n' "$*" | tee -a "$OUT.tmp"; }

fmt() { awk -v a="$1" 'BEGIN { if (a == "NA") print a; else printf "%.2f\n", a }'; }

# ratio A B: A / B to 3 significant digits; NA if either is NA or B is 0.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.3g\n", a / b }'
}

# result CASE OURS REF UNIT: print and record one RESULT line.
result()
{
	local line

	line="RESULT $1 ours=$(fmt "$2") dpdk=$(fmt "$3") ratio=$(ratio "$2" "$3") unit=$4"
	echo "$line" | tee -a "$OUT.tmp"
	printf '%s %s %s %s\n' "$1" "$2" "$3" "$4" >>"$DAT.tmp"
}

# runs LABEL VALUES...: the per-run figures, for judging the noise.
runs()
{
	local label=$1

	shift
	record "  $label runs: $*"
}

# median V...: the median of the values that are not NA (NA if none). A value
# may carry "@C2C" (see measure); one marked "!" (the placement changed while
# it ran) counts only when no value is unmarked.
median()
{
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

# ratios A B: the per-round ratios of two arrays (named), as one string.
ratios()
{
	local -n x=$1 y=$2
	local i p q out=()

	for i in "${!x[@]}"; do
		p=${x[$i]} q=${y[$i]:-NA}
		out+=("$(ratio "${p%%@*}" "${q%%@*}")")
	done
	echo "${out[*]}"
}

# jget FILE KEY[.KEY...]: a number from a one-line JSON summary, or NA.
jget()
{
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

# rtt_of FILE: R, R2 = the median and p99 round trip of a ping summary.
rtt_of()
{
	R=$(jget "$1" rtt_us.median)
	# shellcheck disable=SC2034 # read by the cases
	R2=$(jget "$1" rtt_us.p99)
}

# others_busy: how busy the CPUs are with other work, in % of all CPUs over
# one second, while the benchmark runs nothing: the noise it will run in.
others_busy()
{
	local a b

	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		busy = y[1] - x[1]; idle = y[2] - x[2]
		printf "%.0f%%\n", (busy + idle > 0) ? busy / (busy + idle) * 100 : 0 }'
}

# ---------------------------------------------------------------- processes
# Every background process is tracked (pb_track) and stopped on exit by
# common.sh's trap, whatever happens; bench_cleanup undoes the rest.

# stop PID: SIGTERM (testpmd and pbgen exit cleanly on it), 5 s to exit, then
# SIGKILL: testpmd prints its statistics on the way out.
stop()
{
	pb_stop_pid "$1" 5
	pb_untrack "$1"
}

# reap PID...: wait for processes that end by themselves.
reap()
{
	local p

	for p in "$@"; do
		wait "$p"
		pb_untrack "$p"
	done
}

# wait_sock PATH [SECS]: until a listening socket file exists (20 s).
wait_sock()
{
	pb_wait_for "$1" "${2:-20}" && return 0
	note "socket $1 never appeared"
	return 1
}

# bench_testpmd NAME CPU LIMIT LOG [EAL_ARG...] -- [APP_ARG...]: testpmd in the
# background, auto-started, both lcores on CPU, at the benchmark's priority,
# under timeout(1) unless LIMIT is 0 (the idle case reads the CPU time of the
# testpmd process itself, so it must be the process started); TP = its pid.
# Every caller passes --stats-period: testpmd then runs until SIGTERM instead
# of waiting for a key on stdin.
TP=
bench_testpmd()
{
	local name=$1 cpu=$2 limit=$3 log=$4 eal=() to=()

	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		eal+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	[ "$limit" != 0 ] && to=(timeout -k 2 "$limit")
	"${NICE[@]}" "${to[@]}" dpdk-testpmd --lcores "0@$cpu,1@$cpu" "${TP_EAL[@]}" \
		--file-prefix="$PFX-$name" "${eal[@]}" -- "${TP_APP[@]}" --auto-start "$@" \
		</dev/null >"$log" 2>&1 &
	TP=$!
	pb_track "$name" "$TP"
}

# pbd_up DIR [ARGS...]: start patchbayd on DIR (one worker on CPU FE);
# PBDP = its pid (timeout's: see leaf).
PBDP=
pbd_up()
{
	local d=$1 i

	shift
	"${NICE[@]}" timeout -k 2 300 "$PBD" -r "$d" --workers 1 --cpus "$FE" -q "$@" \
		>"$d.log" 2>&1 &
	PBDP=$!
	pb_track "patchbayd-${d##*/}" "$PBDP"
	for i in $(seq 100); do
		"$PBC" -r "$d" version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	note "patchbayd did not start (see $d.log)"
	return 1
}

# pbd_add_patch DIR A B [PATCH_OPTION...]: add vhost:A and vhost:B to the
# patchbayd on DIR and patch them; on failure stops patchbayd, status 1.
pbd_add_patch()
{
	local d=$1 a=$2 b=$3

	shift 3
	"$PBC" -r "$d" add "vhost:$a" >/dev/null && "$PBC" -r "$d" add "vhost:$b" >/dev/null &&
		"$PBC" -r "$d" patch "vhost:$a" "vhost:$b" "$@" >/dev/null && return 0
	stop "$PBDP"
	return 1
}

# leaf PID: the process at the bottom of PID's chain of children (timeout(1)
# and nice run what they start as a child or in place).
leaf()
{
	local p=$1 c

	while c=$(cat "/proc/$p/task/$p/children" 2>/dev/null) && [ -n "$c" ]; do
		p=${c%% *}
	done
	echo "$p"
}

# netns_up: two namespaces joined by a veth pair, TEST-NET-1 addresses that
# exist only inside them. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN). The rtt
# and switch groups both use them; made once a run.
NETNS_MADE=0
netns_up()
{
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

# kernel_rtt TAG BUSY [CLIENT_OPTION...]: bench/udp_pingpong over the veth of
# netns_up, both ends with --busy if BUSY is 1; R, R2 = median, p99. The
# kernel reference of the rtt group and of wake-rtt (switch group).
kernel_rtt()
{
	local d=$D/$1 sp cp busy=()

	[ "$2" = 1 ] && busy=(--busy)
	shift 2
	mkdir -p "$d"
	ip netns exec "$NS_A" "${NICE[@]}" timeout -k 2 100 "$BIN/udp_pingpong" server -a 192.0.2.1 \
		--cpu "$BE" "${busy[@]}" -d 90 >/dev/null 2>"$d/server.log" &
	sp=$!
	pb_track "$1-server" $sp
	ip netns exec "$NS_B" "${NICE[@]}" timeout -k 2 90 "$BIN/udp_pingpong" client -a 192.0.2.1 \
		--cpu "$FE" "${busy[@]}" "$@" -s 64 >"$d/client.json" 2>"$d/client.log" &
	cp=$!
	pb_track "$1-client" $cp
	reap $cp
	stop $sp
	rtt_of "$d/client.json"
}

# bench_cleanup: what common.sh's trap does not know of (a PB_CLEANUP_HOOKS
# entry): an OVS-DPDK left running (interrupted mid-case) holds hugepages;
# the namespaces; DPDK's runtime dirs for our file prefixes; the results in
# the making.
bench_cleanup()
{
	if [ -n "${OVS_DIR:-}" ] && declare -F ovs_stop >/dev/null; then
		ovs_stop "$OVS_DIR" >/dev/null 2>&1
	fi
	if [ "$NETNS_MADE" = 1 ]; then
		ip netns del "$NS_A" 2>/dev/null
		ip netns del "$NS_B" 2>/dev/null
	fi
	rm -rf /var/run/dpdk/"$PFX"-* "${XDG_RUNTIME_DIR:-/nonexistent}"/dpdk/"$PFX"-* 2>/dev/null
	rm -f "$OUT.tmp" "$DAT.tmp"
}

# ---------------------------------------------------------------- measuring
R=NA

# c2c_probe: C2C = the cache-line round trip between the two CPUs in ns, a
# witness of where the hypervisor runs the two vCPUs (see docs/PERFORMANCE.md,
# "Noise"); a few milliseconds.
C2C=NA
c2c_probe()
{
	local j=$D/c2c.json cp

	"${NICE[@]}" timeout -k 2 20 "$BIN/copy_limit" --c2c --rx-cpu "$BE" --tx-cpu "$FE" \
		>"$j" 2>/dev/null &
	cp=$!
	pb_track c2c $cp
	reap $cp
	C2C=$(jget "$j" round_trip_ns)
	C2C=${C2C%.*}
}

# measure FN ARG...: one measurement (FN sets R, R2) between two c2c probes.
# If the round trip moved by 30% or more, the hypervisor moved a vCPU during
# the measurement: it is made once more. Sets A = "@C2C" to append to the
# values for the log, with a "!" when the placement changed both times.
A=
measure()
{
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

# once FN ARG...: one measurement without the c2c witness (A is empty), for
# the cases whose figure does not hang on where the vCPUs run.
once()
{
	"$@"
	A=
}

# pair_rounds CASE UNIT HOW OURS_NAME OURS_FN REF_NAME REF_FN [ARG...]: RUNS
# rounds of `OURS_FN ARG... CASE-oN` then `REF_FN ARG... CASE-dN` (each sets
# R; the last argument is the run's tag, its directory under $D), each made
# through HOW (measure or once); the per-round figures, their ratios and the
# RESULT line of CASE, the medians.
pair_rounds()
{
	local case=$1 unit=$2 how=$3 on=$4 of=$5 rn=$6 rf=$7 i o r ours=() ref=()

	shift 7
	for i in $(seq "$RUNS"); do
		"$how" "$of" "$@" "$case-o$i"
		o=$R$A
		"$how" "$rf" "$@" "$case-d$i"
		r=$R$A
		ours+=("$o")
		ref+=("$r")
		note "  run $i ($unit$([ "$how" = measure ] && echo '@c2c ns')): $on $o, $rn $r"
	done
	runs "$case $on" "${ours[@]}"
	runs "$case $rn" "${ref[@]}"
	runs "$case ratio" "$(ratios ours ref)"
	result "$case" "$(median "${ours[@]}")" "$(median "${ref[@]}")" "$unit"
}

# ---------------------------------------------------------------- CPU time
HZ=$(getconf CLK_TCK)

# ticks PID...: utime + stime of the processes, in clock ticks.
ticks()
{
	local p t=0 s

	for p in "$@"; do
		s=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || s=0
		t=$((t + ${s:-0}))
	done
	echo $t
}

# runtime_ns PID...: CPU time of all their threads in ns (/proc/PID/task/*/
# schedstat), a finer cross-check of the tick-based figure (1 tick = 1/HZ s).
runtime_ns()
{
	local p

	for p in "$@"; do
		cat /proc/"$p"/task/*/schedstat 2>/dev/null
	done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# ns_pct NS0 NS1 T0 T1: runtime between two samples as % of one core.
ns_pct()
{
	awk -v a="$1" -v b="$2" -v t0="$3" -v t1="$4" \
		'BEGIN { printf "%.4f\n", (b - a) / (t1 - t0) * 100 }'
}

# cpu_pct TICKS0 TICKS1 NS0 NS1: the ticks between two samples as % of one
# core over the wall-clock time between them.
cpu_pct()
{
	awk -v a="$1" -v b="$2" -v hz="$HZ" -v t0="$3" -v t1="$4" \
		'BEGIN { printf "%.3f\n", (b - a) / hz / ((t1 - t0) / 1e9) * 100 }'
}

# ns_window PID: R = PID's CPU time (schedstat) over an IDLE_SECS window, in
# % of one core.
ns_window()
{
	local t0 t1 b0 b1

	t0=$(date +%s%N)
	b0=$(runtime_ns "$1")
	sleep "$IDLE_SECS"
	b1=$(runtime_ns "$1")
	t1=$(date +%s%N)
	R=$(ns_pct "$b0" "$b1" "$t0" "$t1")
}
