# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/lib/setup.sh - what bench/run.sh does before and after the cases:
# the priority it asks for, the build, the header of the results and the
# chart (sourced, after bench/lib/bench.sh).
#
#   bench_priority SELF ARG...   NICE, PRIO; as root may re-run SELF in a session
#   bench_build                  the packages, the tools, BUILD; PBGEN, BIN
#   bench_header                 the first lines of the results
#   bench_finish                 the last one, the results files, the chart

# bench_priority SELF ARG...: the two CPUs are meant to be the benchmark's
# alone; on a shared machine, as root, it asks the scheduler for them: every
# measured process runs at nice BENCH_NICE, and since the kernel's autogroups
# (one per session) would make that nice count only against the benchmark's
# own processes, the whole run moves to a session (autogroup) of its own
# whose nice is set too: SELF ARG... is run again there and this process only
# waits for it. BENCH_NICE=0 turns both off. Sets NICE (the command prefix)
# and PRIO (its description).
PRIO="as started"
bench_priority()
{
	local self=$1 inner rc

	shift
	[ "$(id -u)" = 0 ] && [ "${BENCH_NICE:--20}" != 0 ] || return 0
	# shellcheck disable=SC2034 # the prefix of every measured command
	NICE=(nice -n "${BENCH_NICE:--20}")
	PRIO="nice ${BENCH_NICE:--20}"
	if [ -z "${PB_BENCH_SESSION:-}" ] && [ -w /proc/self/autogroup ] &&
		command -v setsid >/dev/null; then
		# Run in a new session; forward signals, since it has no terminal.
		PB_BENCH_SESSION=1 setsid bash "$self" "$@" &
		inner=$!
		# shellcheck disable=SC2064 # the pid is known now
		trap "kill -TERM $inner 2>/dev/null" INT TERM
		while :; do
			wait $inner
			rc=$?
			kill -0 $inner 2>/dev/null || exit $rc
		done
	fi
	if [ -n "${PB_BENCH_SESSION:-}" ] && echo "${BENCH_NICE:--20}" >/proc/self/autogroup 2>/dev/null; then
		PRIO="$PRIO, autogroup $(cat /proc/self/autogroup)"
	fi
}

bench_die()
{
	echo "bench: $*" >&2
	exit 1
}

# bench_build: what the benchmark needs installed (scripts/setup.sh installs
# what is missing), then BUILD (a release build unless it exists already)
# and the helper programs; sets PBGEN, and BIN if bench/ is not in BUILD.
bench_build()
{
	local t cflags

	if [ -f scripts/setup.sh ]; then
		# gnuplot draws the chart; OVS-DPDK is a reference switch (switch-ovs-*).
		bash scripts/setup.sh gnuplot-nox openvswitch-switch-dpdk ||
			bench_die "scripts/setup.sh failed"
	fi
	for t in meson ninja dpdk-testpmd python3; do
		command -v "$t" >/dev/null || bench_die "$t is missing (scripts/setup.sh installs it)"
	done
	note "building $BUILD"
	if [ ! -f "$BUILD/meson-private/coredata.dat" ]; then
		meson setup "$BUILD" --buildtype=release -Dtests=false -Dwerror=false >"$D/setup.log" 2>&1 || {
			cat "$D/setup.log" >&2
			exit 1
		}
	fi
	ninja -C "$BUILD" >"$D/build.log" 2>&1 || {
		tail -40 "$D/build.log" >&2
		exit 1
	}
	PBGEN=$BUILD/tools/pbgen
	if [ ! -x "$BIN/copy_limit" ]; then
		# A build without bench/ (an older tree's meson.build): compile here.
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
	[ -x "$PBGEN" ] || bench_die "$PBGEN was not built"
}

# bench_header: the machine, the noise before the run, the settings, and
# what each column is.
BENCH_START=
bench_header()
{
	local model

	: >"$OUT.tmp"
	: >"$DAT.tmp"
	model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
	record "patchbay bench $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
	record "machine: $model, $(nproc) CPUs, $(uname -r)"
	record "noise: CPUs busy with other work just before the run: $(others_busy) of $(nproc) CPUs;" \
		"load average $(cut -d' ' -f1-3 /proc/loadavg)"
	record "each case: median of $RUNS run(s); throughput runs ${SECS} s; ours and the reference alternate"
	record "CPUs: backend side (vhost, echo, rx of fe2be) on CPU $BE, frontend side (virtio, ping) on CPU $FE;" \
		"priority: $PRIO"
	record "columns: ours = patchbay; dpdk = the reference: DPDK 22.11 dpdk-testpmd for fe2be/be2fe/idle-cpu,"
	record "  testpmd io forwarding between two net_vhost ports for switch-*, OVS-DPDK 3.1 for switch-ovs-*"
	record "  (both with the two-port tester), testpmd for idle-64ports, the kernel for wake-rtt,"
	record "  the bare shared-memory copy loop (bench/copy_limit) for limit-*, the kernel (UDP over veth"
	record "  between two network namespaces) for rtt-*; Mpps: higher is better, us and %cpu: lower is better"
	BENCH_START=$(date +%s)
}

# bench_finish CHART: the noise after the run; the results files in place;
# the chart drawn to CHART unless it is empty (a study has none).
bench_finish()
{
	local chart=$1 stamp

	record "noise: CPUs busy with other work just after the run: $(others_busy) of $(nproc) CPUs;" \
		"load average $(cut -d' ' -f1-3 /proc/loadavg); the run took $(($(date +%s) - BENCH_START)) s"
	mv "$OUT.tmp" "$OUT"
	mv "$DAT.tmp" "$DAT"
	if [ -n "$chart" ] && command -v gnuplot >/dev/null; then
		stamp="$(date -u '+%Y-%m-%d') $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
		if gnuplot -e "datafile='$DAT'; outfile='$chart'; stamp='$stamp'" bench/chart.gp \
			2>"$D/gnuplot.log"; then
			note "chart: $chart"
		else
			note "chart failed:"
			cat "$D/gnuplot.log" >&2
		fi
	fi
	note "results: $OUT"
}
