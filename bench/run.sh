#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh - patchbay against DPDK 22.11 (and the kernel, and the copy
# limit) in one run, on this machine, each process pinned to its own CPU.
# `make bench` runs it; docs/PERFORMANCE.md explains every case.
#
# The driver only: the case groups are bench/cases/*.sh (each registers its
# name, the function that runs it and one line of help with bench_case), what
# they share is bench/lib/bench.sh on top of tests/lib/common.sh, the set-up
# around them bench/lib/setup.sh. `bench/run.sh --help` lists the groups.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BENCH_BUILD:-$ROOT/build-bench}

# shellcheck source=tests/lib/common.sh
. "$ROOT/tests/lib/common.sh"
PB_NAME=bench # its temp dir is /tmp/pb-bench.XXXXXX
# shellcheck source=bench/lib/bench.sh
. "$ROOT/bench/lib/bench.sh"
# shellcheck source=bench/lib/setup.sh
. "$ROOT/bench/lib/setup.sh"
# The groups, in the order of a run (and of --help).
# shellcheck source=bench/cases/fe2be.sh
. "$ROOT/bench/cases/fe2be.sh"
# shellcheck source=bench/cases/rtt.sh
. "$ROOT/bench/cases/rtt.sh"
# shellcheck source=bench/cases/idle.sh
. "$ROOT/bench/cases/idle.sh"
# shellcheck source=bench/cases/switch.sh
. "$ROOT/bench/cases/switch.sh"
# shellcheck source=bench/cases/idle64.sh
. "$ROOT/bench/cases/idle64.sh"
# shellcheck source=bench/cases/chain.sh
. "$ROOT/bench/cases/chain.sh"
# shellcheck source=bench/cases/copy.sh
. "$ROOT/bench/cases/copy.sh"
# shellcheck source=bench/cases/bridge.sh
. "$ROOT/bench/cases/bridge.sh"
# shellcheck source=bench/cases/capture.sh
. "$ROOT/bench/cases/capture.sh"

usage()
{
	cat <<EOF
usage: bench/run.sh [--quick] [GROUP...]
  GROUP    any of these (default: all but those only run when asked for),
           run in this order whatever the order given:
$(bench_case_list | sed 's/^/         /')
  --quick  a smoke run: 1 run of 2 s per case, short RTT and idle windows
environment:
  BENCH_SECS  seconds per throughput run (5)
  BENCH_RUNS  runs per case; the median is reported (3)
  BENCH_IDLE_SECS  idle-cpu measuring window (10)
  BENCH_PINGS  round trips per RTT run (20000)
  BENCH_ADAPTIVE_PINGS / BENCH_ADAPTIVE_RATE  the adaptive RTT runs: round
               trips and their rate per second (5000 / 2000: 0.5 ms apart,
               so that both ends go to sleep between two)
  BENCH_CPU_BE / BENCH_CPU_FE  the two CPUs (0 / 1): backend side, frontend side
  BENCH_NICE   nice value of every measured process when run as root (-20):
               the two CPUs are meant to be the benchmark's; 0 = share them
  BENCH_KEEP=1  keep the logs of every process (the path is printed at the end)
  BENCH_BUILD  the build dir to build and run (build-bench; made as a release
               build if it does not exist)
  BENCH_RESULTS / BENCH_CHART  where the results and the chart go
               (bench/results, docs/perf.png)

Prints one line per case, also written to bench/results/latest.txt:
  RESULT <case> ours=<v> dpdk=<v> ratio=<ours/dpdk> unit=<Mpps|us|%cpu>
and draws docs/perf.png (gnuplot). A case that could not run prints NA.
A group only run when asked for, asked for alone, writes
bench/results/GROUP.txt instead, and no chart.
EOF
}

SECS=${BENCH_SECS:-5}
RUNS=${BENCH_RUNS:-3}
IDLE_SECS=${BENCH_IDLE_SECS:-10}
PINGS=${BENCH_PINGS:-20000}
APINGS=${BENCH_ADAPTIVE_PINGS:-5000}
ARATE=${BENCH_ADAPTIVE_RATE:-2000}
BE=${BENCH_CPU_BE:-0}
FE=${BENCH_CPU_FE:-1}
groups=()
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
		usage
		exit 0
		;;
	*) groups+=("$a") ;;
	esac
done
bench_select "${groups[@]}" || exit 2

bench_priority "$ROOT/bench/run.sh" "$@"

RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}
CHART=${BENCH_CHART:-$ROOT/docs/perf.png}
mkdir -p "$RESULTS"
OUT=$RESULTS/latest.txt
DAT=$RESULTS/latest.dat
study=$(bench_study)
if [ -n "$study" ]; then # not the results of record
	OUT=$RESULTS/$study.txt
	DAT=$RESULTS/$study.dat
	CHART=
fi

PFX=pbb$$ # DPDK --file-prefix and netns names: unique per run
NS_A=$PFX-a
NS_B=$PFX-b
pb_mktemp
PB_TEST_KEEP=${BENCH_KEEP:-}
PB_CLEANUP_HOOKS+=(bench_cleanup)

bench_build
bench_header
bench_run
bench_finish "$CHART"
