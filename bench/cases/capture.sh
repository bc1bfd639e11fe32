# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/capture.sh - capture-64: the highest rate of 64-byte frames
# written to a capture file with nothing dropped, patchbayd's capture
# against tcpdump -w on the kernel path; sourced by bench/run.sh.
#   ours:   pbgen tx (CPU BE) -> vhost:a, patched to null:sink, `patchbay
#           capture vhost:a FILE dir=rx` (pcapng, the writer thread of
#           patchbayd), FILE on the run's temp dir;
#   kernel: pbgen tx -> vhost:a, patched to tap:t in a namespace whose
#           kernel bridge sends the frames out of a veth pair; `tcpdump -w`
#           (pcap, filtered to pbgen's ethertype) on the far end of the
#           pair, its buffer as large as our capture's (8 MiB).
# Each side is offered 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8 Mpps in turn for SECS seconds;
# its figure is the rate it wrote (frames sent over SECS: a slow path slows
# pbgen, so that may be below the rung) at the highest rung where every
# frame sent was written (the RFC 2544 idea of a zero-loss rate, on a ladder
# rather than a search).

CAP_LADDER="0.05 0.1 0.25 0.5 1 2 4 8"

# capture_run SIDE MPPS TAG: one rung; OK=1 if every frame was written.
capture_run()
{
	local side=$1 mpps=$2 d=$D/$3 pps tp sent wrote

	OK=0
	pps=$(awk -v m="$mpps" 'BEGIN { printf "%d", m * 1e6 }')
	pbd_up "$d" || return
	"$PBC" -r "$d" add vhost:a >/dev/null || { stop "$PBDP"; return; }
	if [ "$side" = ours ]; then
		if ! { "$PBC" -r "$d" add null:sink && "$PBC" -r "$d" patch vhost:a null:sink &&
			"$PBC" -r "$d" capture vhost:a "$d.pcapng" dir=rx --background; } >/dev/null; then
			stop "$PBDP"
			return
		fi
	else
		ip -n "$NS_A" link add kb type bridge 2>/dev/null
		if ! { "$PBC" -r "$d" add tap:t netns="$NS_A" && "$PBC" -r "$d" patch vhost:a tap:t &&
			ip -n "$NS_A" link set pb-t master kb && ip -n "$NS_A" link set "${PFX}a" master kb &&
			ip -n "$NS_A" link set kb up; } >/dev/null; then
			stop "$PBDP"
			return
		fi
		ip netns exec "$NS_B" timeout -k 2 $((SECS + 30)) tcpdump -n -i "${PFX}b" -B 8192 -w "$d.pcap" \
			'ether proto 0x88b5' >"$d.tcpdump.log" 2>&1 &
		tp=$!
		pb_track "tcpdump-$3" "$tp"
		for _ in $(seq 50); do grep -q 'listening on' "$d.tcpdump.log" && break; sleep 0.1; done
	fi
	"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBGEN" tx "virtio:$d/vhost-a.sock" -q --cpu "$BE" \
		-r "$pps" -d "$SECS" >"$d.gen.json" 2>"$d.gen.log"
	sent=$(jget "$d.gen.json" frames_tx)
	if [ "$side" = ours ]; then
		sleep 0.5 # the writer drains its ring
		wrote=$("$PBC" -r "$d" --json capture show | python3 -c '
import json, sys
c = json.load(sys.stdin)["captures"][0]
print(c["frames"] if c["dropped"] == 0 else -1)')
		"$PBC" -r "$d" capture stop >/dev/null
	else
		sleep 0.5
		stop "$tp"
		# Frames the kernel path lost anywhere (tap queue, bridge, veth,
		# tcpdump's buffer) are frames missing from its file.
		wrote=$(capinfos -c -M "$d.pcap" 2>/dev/null | awk '/Number of packets/ { print $NF }')
		ip -n "$NS_A" link del kb 2>/dev/null
	fi
	stop "$PBDP"
	[ -n "$sent" ] && [ "$sent" != NA ] && [ "${wrote:--1}" -ge "$sent" ] && [ "$sent" -gt 0 ] && OK=1
	RATE=$(awk -v n="${sent:-0}" -v s="$SECS" 'BEGIN { printf "%.3f", n / s / 1e6 }')
	note "    $side at $mpps Mpps: $sent sent, ${wrote:-?} written"
}

# capture_side SIDE TAG: R = the highest rung with nothing lost (0 if none).
capture_side()
{
	local side=$1 tag=$2 m

	R=0
	for m in $CAP_LADDER; do
		capture_run "$side" "$m" "$tag-$m"
		[ "$OK" = 1 ] || break
		R=$RATE
	done
}

capture_ours() { capture_side ours "$1"; }
capture_kernel() { capture_side kernel "$1"; }

case_capture()
{
	local i o=() k=()

	if [ "$NETNS_MADE" != 1 ] && ! netns_up; then
		note "capture-64: needs root (namespaces, a tap): NA"
		result capture-64 NA NA Mpps
		return
	fi
	note "capture-64: $RUNS x (patchbayd capture, tcpdump -w on a veth), zero-loss rate on the ladder $CAP_LADDER Mpps, ${SECS} s per rung"
	for i in $(seq "$RUNS"); do
		capture_ours "cap-o$i"
		o+=("$R")
		capture_kernel "cap-k$i"
		k+=("$R")
		note "  run $i (Mpps with nothing lost): patchbayd ${o[-1]}, tcpdump ${k[-1]}"
	done
	runs "capture-64 patchbayd" "${o[@]}"
	runs "capture-64 tcpdump" "${k[@]}"
	result capture-64 "$(median "${o[@]}")" "$(median "${k[@]}")" Mpps
}

bench_case capture case_capture all "capture to a file at the highest zero-loss rate: patchbayd's pcapng against tcpdump -w on a veth"
