# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/rtt.sh - the round trip of one link, pbgen ping <-> pbgen echo,
# busy-polling and adaptive, against the kernel's UDP over a veth pair
# (kernel_rtt, bench/lib/bench.sh); sourced by bench/run.sh.

# ours_rtt TAG BUSY [PING_OPTION...]: pbgen echo (backend) <-> pbgen ping
# (frontend), both with --busy-poll if BUSY is 1; R, R2 = median, p99 in µs.
ours_rtt()
{
	local d=$D/$1 ep pp busy=()

	[ "$2" = 1 ] && busy=(--busy-poll)
	shift 2
	mkdir -p "$d"
	"${NICE[@]}" timeout -k 2 120 "$PBGEN" echo "vhost:$d/sock" -q --cpu "$BE" "${busy[@]}" -d 100 \
		>"$d/echo.json" 2>"$d/echo.log" &
	ep=$!
	pb_track echo $ep
	wait_sock "$d/sock" || {
		stop $ep
		R=NA R2=NA
		return
	}
	"${NICE[@]}" timeout -k 2 100 "$PBGEN" ping "virtio:$d/sock" -q --cpu "$FE" "${busy[@]}" "$@" \
		>"$d/ping.json" 2>"$d/ping.log" &
	pp=$!
	pb_track ping $pp
	reap $pp
	stop $ep
	rtt_of "$d/ping.json"
}

case_rtt()
{
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

bench_case rtt case_rtt all "round trip, busy-polling and adaptive, against the kernel (UDP over veth)"
