# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bench/cases/chain.sh - a service chain in pbrun containers
# (docs/PERFORMANCE.md, "The chain"), and how fast a container starts;
# sourced by bench/run.sh.
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
wait_up()
{
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
chain_run()
{
	local d=$D/$3 f p fwd

	R=NA
	pbd_up "$d" || return
	for p in a f0 f1 b; do "$PBC" -r "$d" add "vhost:$p" >/dev/null; done
	if ! "$PBC" -r "$d" patch vhost:a vhost:f0 >/dev/null ||
		! "$PBC" -r "$d" patch vhost:f1 vhost:b >/dev/null; then
		stop "$PBDP"
		return
	fi
	# The forwarder's command, its ports named by pbrun's {portN}.
	if [ "$1" = l2fwd ]; then
		fwd=("$L2FWD" 'virtio:{port0}' 'virtio:{port1}')
	else
		fwd=(dpdk-testpmd --lcores "0@$BE,1@$BE" "${TP_EAL[@]}"
			--vdev 'net_virtio_user0,path={port0}' --vdev 'net_virtio_user1,path={port1}'
			-- "${TP_APP[@]}" --forward-mode=io --auto-start --stats-period 10)
	fi
	"${NICE[@]}" timeout -k 2 $((SECS + 60)) "$PBRUN" -r "$d" --cpus "$BE" \
		--port vhost:f0 --port vhost:f1 -- "${fwd[@]}" >"$d/fwd.log" 2>&1 &
	f=$!
	pb_track forwarder $f
	if wait_up "$d" vhost:f0 vhost:f1; then
		"${NICE[@]}" timeout -k 2 $((SECS + 30)) "$PBRUN" -r "$d" --cpus "$BE" --no-prefix \
			--port vhost:a --port vhost:b -- "$BIN/tester" -s "$2" -d "$SECS" \
			'virtio:{port0}' 'virtio:{port1}' >"$d.json" 2>"$d.tlog"
		R=$(jget "$d.json" delivered_mpps)
	else
		note "the forwarder's ports did not come up (see $d/fwd.log)"
	fi
	stop $f
	stop "$PBDP"
}

chain_l2fwd() { chain_run l2fwd "$@"; }
chain_testpmd() { chain_run testpmd "$@"; }

# start_once DIR ENGINE N: R = ms from starting pbrun to the app's port up
# (pbgen rx in the container, port vhost:sN), as seen on patchbayd's
# control socket, polled every 0.2 ms from an open connection.
start_once()
{
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

start_case()
{
	local d=$D/start i ours=() ref=() conf=$D/containers.conf

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
	stop "$PBDP"
	runs "start-ms builtin" "${ours[@]}"
	runs "start-ms podman" "${ref[@]}"
	result start-ms "$(median "${ours[@]}")" "$(median "${ref[@]}")" ms
}

case_chain()
{
	note "chain-64: $RUNS x (l2fwd, testpmd io) in a pbrun container between two patchbayd hops, ${SECS} s each"
	pair_rounds chain-64 Mpps once l2fwd chain_l2fwd testpmd chain_testpmd 64
	start_case
}

bench_case chain case_chain all "a network function in a pbrun container, l2fwd against testpmd; container start time"
