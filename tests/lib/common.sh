# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# common.sh - shared helpers of the shell tests (tests/interop, tests/loopback).
#
# A test script does:
#
#   . "$(dirname "$0")/../lib/common.sh"
#   SIZE=64                      # defaults, overridable as SIZE=1500 arguments
#   pb_init "$@"                 # first argument: the path of pbgen
#   pbgen_bg rx  rx vhost:$D/sock -n 1000 --cpu 0
#   ...
#   pb_pass "what was shown"
#
# pb_init makes a private temp dir $D, and installs a trap that, on any exit,
# stops every process started through these helpers (TERM, then KILL), prints
# every log of the test if it failed, and removes $D (keep it with
# PB_TEST_KEEP=1). Nothing here ever skips a test: a missing tool is a
# failure. Everything is bounded in time: each helper that waits has a limit,
# and each background process runs under timeout(1).
#
# Processes are named: NAME.log holds a process's stderr (and, for testpmd,
# its stdout), NAME.json pbgen's stdout (the JSON summary line).

set -u
set -o pipefail

PB_T0=${EPOCHREALTIME//[.,]/} # microseconds
PB_NAME=$(basename "$0" .sh)
PB_PIDS=()         # background processes to stop at exit
declare -A PB_PID  # NAME -> pid
declare -A TP_FD   # testpmd NAME -> fd of its command fifo
PB_CLEANUP_HOOKS=() # commands pb_cleanup runs once the processes are stopped
D=
PBGEN=

# Limits, overridable from the environment.
: "${PB_PROC_LIMIT:=90}"  # hard limit on any background process, seconds

# Two CPUs to keep the two ends of a link apart (both 0 on a 1-CPU machine):
# testpmd's two lcores (or the first pbgen) on CPU_A, the other end on CPU_B.
# shellcheck disable=SC2034
CPU_A=0
# shellcheck disable=SC2034
CPU_B=$(($(nproc) > 1 ? 1 : 0))

log()
{
	local us=$((${EPOCHREALTIME//[.,]/} - PB_T0))

	printf '[%3d.%02ds] %s\n' $((us / 1000000)) $((us / 10000 % 100)) "$*" >&2
}

fail()
{
	log "FAIL: $*"
	exit 1
}

# Print every log the test made, for a failure.
pb_dump_logs()
{
	local f

	[ -n "$D" ] && [ -d "$D" ] || return 0
	for f in "$D"/*.log "$D"/*.json; do
		[ -f "$f" ] || continue
		echo "======== $(basename "$f") ========" >&2
		# testpmd's logs can be long; its start and end are what matter.
		if [ "$(wc -l <"$f")" -gt 400 ]; then
			head -n 150 "$f" >&2
			echo "[... $(($(wc -l <"$f") - 350)) lines cut ...]" >&2
			tail -n 200 "$f" >&2
		else
			cat "$f" >&2
		fi
	done
}

# Stop a process: TERM, up to @2 seconds to exit, then KILL.
# (Processes run under timeout(1), which passes TERM on to its child.)
pb_stop_pid()
{
	local pid=$1 grace=${2:-3} i

	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < grace * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		# The process under the timeout(1) wrapper first, then the wrapper.
		# shellcheck disable=SC2046
		kill -KILL $(cat "/proc/$pid/task/$pid/children" 2>/dev/null) 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

pb_cleanup()
{
	local rc=$? pid p h

	trap - EXIT INT TERM
	for pid in "${PB_PIDS[@]}"; do
		pb_stop_pid "$pid" 2
	done
	for p in "${!TP_FD[@]}"; do
		eval "exec ${TP_FD[$p]}>&-" 2>/dev/null
		# DPDK's runtime dir for the file prefix (root / non-root / fallback).
		rm -rf "/var/run/dpdk/$(tp_prefix "$p")" \
			"${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$(tp_prefix "$p")" \
			"/tmp/dpdk/$(tp_prefix "$p")" 2>/dev/null
	done
	# What a user of these helpers made besides processes (network
	# namespaces, mounts, ...), undone while $D and its logs still exist.
	for h in "${PB_CLEANUP_HOOKS[@]}"; do
		"$h"
	done
	if [ "$rc" -ne 0 ]; then
		pb_dump_logs
		log "$PB_NAME: FAILED (exit $rc)"
	fi
	if [ -n "$D" ] && [ -d "$D" ]; then
		if [ -n "${PB_TEST_KEEP:-}" ]; then
			log "kept $D"
		else
			rm -rf "$D"
		fi
	fi
	exit "$rc"
}

# pb_init PBGEN_PATH [KEY=VALUE...]: check the tools, make $D, install the
# trap. Each KEY=VALUE sets the shell variable KEY (letters, digits and _)
# to VALUE, overriding the default the script set before calling pb_init.
pb_init()
{
	local __pb_a

	PBGEN=${1:-}
	[ $# -gt 0 ] && shift
	for __pb_a in "$@"; do
		[[ "$__pb_a" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] ||
			fail "bad argument '$__pb_a' (want KEY=VALUE)"
		printf -v "${__pb_a%%=*}" '%s' "${__pb_a#*=}"
	done
	[ -n "$PBGEN" ] || fail "usage: $0 PATH_TO_PBGEN"
	[ -x "$PBGEN" ] || fail "pbgen not found or not executable: $PBGEN"
	command -v timeout >/dev/null || fail "timeout(1) not found (coreutils)"
	pb_mktemp
	log "$PB_NAME $*: temp dir $D, pbgen $PBGEN"
}

# pb_mktemp: make the private temp dir $D and install the cleanup trap. The
# part of pb_init that needs no pbgen: the benchmark (bench/lib/bench.sh),
# which builds pbgen itself, calls it alone.
pb_mktemp()
{
	D=$(mktemp -d "${TMPDIR:-/tmp}/pb-${PB_NAME}.XXXXXX") || fail "mktemp failed"
	trap pb_cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM
}

pb_pass()
{
	log "PASS: $PB_NAME${1:+: $*}"
	exit 0
}

# Remember a background process under NAME.
pb_track()
{
	PB_PID[$1]=$2
	PB_PIDS+=("$2")
}

# pb_untrack PID: forget a process that has been waited for, so that the exit
# trap never signals its pid after the system gave it to another process (a
# run as long as the benchmark's outlives many pids).
pb_untrack()
{
	local i

	for i in "${!PB_PIDS[@]}"; do
		[ "${PB_PIDS[$i]}" = "$1" ] && unset 'PB_PIDS[i]'
	done
	return 0
}

pb_alive() { kill -0 "${PB_PID[$1]}" 2>/dev/null; }

# pb_kill9 NAME: SIGKILL a background process itself (not the timeout(1)
# wrapper it runs under, which would leave it running), and reap it.
pb_kill9()
{
	local pid=${PB_PID[$1]} kids

	kids=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null)
	log "kill -KILL $1 (pid ${kids:-?})"
	[ -n "$kids" ] || fail "$1: no process under timeout pid $pid"
	# shellcheck disable=SC2086
	kill -KILL $kids
	wait "$pid" 2>/dev/null
}

# pb_wait_exit NAME SECS: wait for a background process to exit by itself;
# sets PB_RC to its exit status. Fails if it is still running after SECS.
pb_wait_exit()
{
	local name=$1 secs=$2 pid=${PB_PID[$1]} i

	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "$name (pid $pid) still running after ${secs}s"
	fi
	wait "$pid"
	PB_RC=$?
	log "$name exited with status $PB_RC"
}

# pb_wait_for PATH SECS: wait for a file (a socket) to appear; status 1 if it
# did not within SECS (for a caller that carries on, as the benchmark does).
pb_wait_for()
{
	local path=$1 secs=$2 i

	for ((i = 0; i < secs * 10; i++)); do
		[ -e "$path" ] && return 0
		sleep 0.1
	done
	return 1
}

# pb_wait_file PATH SECS: the same for a test: the test fails if it did not.
pb_wait_file()
{
	pb_wait_for "$1" "$2" || fail "$1 did not appear within ${2}s"
}

# ---------------------------------------------------------------- pbgen

# pbgen_bg NAME ARGS...: run pbgen in the background; stdout (the JSON
# summary) to $D/NAME.json, stderr to $D/NAME.log.
pbgen_bg()
{
	local name=$1

	shift
	log "start $name: pbgen $*"
	timeout -s KILL "$PB_PROC_LIMIT" "$PBGEN" "$@" >"$D/$name.json" 2>"$D/$name.log" &
	pb_track "$name" $!
}

# json_get NAME KEY: a number (or string) from pbgen's summary line in
# $D/NAME.json. Keys are unique in pbgen's JSON, so nested ones ("port":
# {"rx_frames": ..}) are found by their own name. Prints nothing if absent.
json_get()
{
	local line

	line=$(grep '^{' "$D/$1.json" | tail -n 1)
	printf '%s\n' "$line" |
		sed -n -E "s/.*\"$2\":(\"([^\"]*)\"|(-?[0-9][0-9.eE+-]*)).*/\2\3/p" | head -n 1
}

# json_num NAME KEY: like json_get, but fails the test unless it is an integer.
json_num()
{
	local v

	v=$(json_get "$1" "$2")
	[[ "$v" =~ ^[0-9]+$ ]] || fail "$1: no integer \"$2\" in its JSON summary (got '$v')"
	echo "$v"
}

# expect_feature NAME BIT 0|1: whether virtio feature BIT was negotiated,
# from the "features" pbgen reports for its link.
expect_feature()
{
	local f

	f=$(json_get "$1" features)
	[[ "$f" =~ ^0x[0-9a-fA-F]+$ ]] || fail "$1: no \"features\" in its JSON summary"
	expect_eq "$1: virtio feature bit $2 negotiated ($f)" $(((f >> $2) & 1)) "$3"
}

# expect_opts_features NAME OPTS: the feature bits that spec options in OPTS
# switch off (mrg-rxbuf=0, event-idx=0, indirect=0) are off, packed=1
# really gave packed rings (VIRTIO_F_RING_PACKED, bit 34), and with copy=stream
# (copy=cache) every (no) frame NAME sent was written with streaming stores.
expect_opts_features()
{
	local o

	for o in ${2//,/ }; do
		case "$o" in
		mrg-rxbuf=0) expect_feature "$1" 15 0 ;;
		indirect=0) expect_feature "$1" 28 0 ;;
		event-idx=0) expect_feature "$1" 29 0 ;;
		packed=1) expect_feature "$1" 34 1 ;;
		copy=stream)
			# Streaming stores exist on x86-64 only (elsewhere copy=stream
			# copies as cache); every test frame has a whole line to stream.
			if [ "$(uname -m)" = x86_64 ]; then
				expect_eq "$1 port.tx_streamed" "$(json_num "$1" tx_streamed)" \
					"$(json_num "$1" tx_frames)"
			else
				expect_eq "$1 port.tx_streamed" "$(json_num "$1" tx_streamed)" 0
			fi
			;;
		copy=cache) expect_eq "$1 port.tx_streamed" "$(json_num "$1" tx_streamed)" 0 ;;
		esac
	done
}

# pbgen_summary NAME: log the summary line.
pbgen_summary()
{
	log "$1 summary: $(grep '^{' "$D/$1.json" | tail -n 1)"
}

# expect_eq WHAT GOT WANT
expect_eq()
{
	[ "$2" = "$3" ] || fail "$1: got $2, expected $3"
	log "ok: $1 = $2"
}

# expect_ge WHAT GOT MIN
expect_ge()
{
	[ "$2" -ge "$3" ] 2>/dev/null || fail "$1: got $2, expected at least $3"
	log "ok: $1 = $2 (>= $3)"
}

# ---------------------------------------------------------------- testpmd
#
# testpmd runs interactively (-i), its commands written to a fifo, its output
# line-buffered (stdbuf) into $D/NAME.log. "show port stats 0" prints exact
# counters; "stop" stops forwarding while the port stays up, so a peer can
# drain the ring before the counters are compared. --no-flush-rx: by default
# testpmd's "start" throws away (but counts in RX-packets) every frame that
# arrived before it, e.g. a ping sent as soon as the link came up.

tp_prefix() { echo "pb$$-$1"; }

# How testpmd runs on this machine (DEVELOPERS.md): no hugepages, no PCI
# (EAL), a small mbuf pool and nothing locked in memory (the application).
# tp_start and the benchmark's testpmds (bench/lib/bench.sh) use both.
TP_EAL=(--no-huge -m 512 --no-pci)
TP_APP=(--no-mlockall --total-num-mbufs=16384)

# tp_start NAME CPU VDEV [TESTPMD_APP_ARGS...]: both lcores on CPU.
tp_start()
{
	local name=$1 cpu=$2 vdev=$3 fd

	shift 3
	command -v dpdk-testpmd >/dev/null ||
		fail "dpdk-testpmd not found (Debian: apt-get install dpdk-dev)"
	command -v stdbuf >/dev/null || fail "stdbuf not found (coreutils)"
	mkfifo "$D/$name.in" || fail "mkfifo"
	# Opened read-write so that neither side blocks on the open.
	exec {fd}<>"$D/$name.in"
	TP_FD[$name]=$fd
	log "start $name: testpmd --vdev $vdev -- $*"
	timeout -s KILL "$PB_PROC_LIMIT" stdbuf -oL -eL dpdk-testpmd \
		--lcores "0@$cpu,1@$cpu" "${TP_EAL[@]}" \
		--file-prefix="$(tp_prefix "$name")" --log-level=lib.eal:notice \
		--vdev "$vdev" -- \
		"${TP_APP[@]}" --no-flush-rx -i "$@" \
		<"$D/$name.in" >"$D/$name.log" 2>&1 &
	pb_track "$name" $!
}

tp_cmd()
{
	log "$1> $2"
	echo "$2" >&"${TP_FD[$1]}"
}

# tp_wait NAME REGEX SECS [N]: wait until NAME's log has N (1) lines that
# match REGEX (grep -E).
tp_wait()
{
	local name=$1 re=$2 secs=$3 n=${4:-1} i c

	for ((i = 0; i < secs * 10; i++)); do
		c=$(grep -c -E -- "$re" "$D/$name.log" 2>/dev/null)
		[ "${c:-0}" -ge "$n" ] && return 0
		pb_alive "$name" || fail "$name exited while waiting for /$re/"
		sleep 0.1
	done
	fail "$name: no /$re/ (x$n) in its log within ${secs}s"
}

# tp_ready NAME: wait for testpmd's prompt (ports configured and started);
# fail if its port did not come up.
tp_ready()
{
	local bad='No probed ethernet devices|Start ports failed|Not all ports were started|Fail to configure port|probe failed'

	tp_wait "$1" '^testpmd> ' "${2:-20}"
	if grep -q -E "$bad" "$D/$1.log"; then
		fail "$1: testpmd's port did not start: $(grep -E "$bad" "$D/$1.log" | head -n 1)"
	fi
}

# tp_stats NAME: exact port counters into TP_RX_PKTS, TP_RX_BYTES,
# TP_TX_PKTS, TP_TX_BYTES (from "show port stats 0").
tp_stats()
{
	local name=$1 n block

	n=$(grep -c 'NIC statistics for port 0' "$D/$name.log")
	tp_cmd "$name" "show port stats 0"
	# The block ends with a line of '#'; wait for the new one's end.
	tp_wait "$name" 'Tx-pps:' 10 $((n + 1))
	sleep 0.2
	block=$(awk '/NIC statistics for port 0/ { b = "" } { b = b $0 "\n" } END { printf "%s", b }' \
		"$D/$name.log" | sed -n '1,/Tx-pps/p')
	TP_RX_PKTS=$(sed -n -E 's/.*RX-packets: *([0-9]+).*/\1/p' <<<"$block" | head -n 1)
	TP_RX_BYTES=$(sed -n -E 's/.*RX-bytes: *([0-9]+).*/\1/p' <<<"$block" | head -n 1)
	TP_TX_PKTS=$(sed -n -E 's/.*TX-packets: *([0-9]+).*/\1/p' <<<"$block" | head -n 1)
	TP_TX_BYTES=$(sed -n -E 's/.*TX-bytes: *([0-9]+).*/\1/p' <<<"$block" | head -n 1)
	[[ "$TP_RX_PKTS$TP_RX_BYTES$TP_TX_PKTS$TP_TX_BYTES" =~ ^[0-9]+$ ]] ||
		fail "$name: could not parse 'show port stats 0'"
	log "$name stats: RX-packets $TP_RX_PKTS RX-bytes $TP_RX_BYTES TX-packets $TP_TX_PKTS TX-bytes $TP_TX_BYTES"
}

# tp_quit NAME: quit testpmd and wait for it (10 s, then it is killed).
tp_quit()
{
	local name=$1 pid=${PB_PID[$1]} i

	pb_alive "$name" || return 0
	tp_cmd "$name" "quit"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	pb_stop_pid "$pid" 2
}
