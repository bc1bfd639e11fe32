# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# panel.sh - helpers of the patchbayd tests (tests/panel), on top of
# common.sh. A test script does:
#
#   . "$(dirname "$0")/../lib/common.sh"
#   . "$(dirname "$0")/../lib/panel.sh"
#   pb_init "$@"            # PBGEN=... PATCHBAYD=... PATCHBAY=... among the KEY=VALUEs
#   pbd_start               # patchbayd on $RUN (= $D/run), logging to $D/patchbayd.log
#   pbc add vhost:1         # the CLI against it; fails the test if the CLI fails
#   pbd_wait_link vhost:1 up 10
#   expect_eq "..." "$(pbd_stat vhost:1 tx_frames)" 1000
#
# Everything the daemon made must be gone when it stops: pbd_stop checks.

PATCHBAYD=
PATCHBAY=
RUN=

# pbd_start [ARGS...]: start patchbayd on $RUN and wait for its socket.
pbd_start()
{
	[ -x "$PATCHBAYD" ] || fail "patchbayd not found: '$PATCHBAYD' (pass PATCHBAYD=...)"
	[ -x "$PATCHBAY" ] || fail "patchbay CLI not found: '$PATCHBAY' (pass PATCHBAY=...)"
	RUN=${RUN:-$D/run}
	log "start patchbayd -r $RUN $*"
	timeout -s KILL "$PB_PROC_LIMIT" "$PATCHBAYD" -r "$RUN" "$@" >>"$D/patchbayd.log" 2>&1 &
	pb_track patchbayd $!
	pbd_wait_socket 10
}

pbd_wait_socket()
{
	local i

	for ((i = 0; i < $1 * 20; i++)); do
		"$PATCHBAY" -r "$RUN" version >/dev/null 2>&1 && return 0
		pb_alive patchbayd || fail "patchbayd exited at start"
		sleep 0.05
	done
	fail "patchbayd did not answer on $RUN within $1 s"
}

# pbc ARGS...: run the CLI; its output on stdout; fails the test on failure.
pbc()
{
	local out rc

	out=$("$PATCHBAY" -r "$RUN" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] || fail "patchbay $* -> exit $rc: $out"
	[ -n "$out" ] && printf '%s\n' "$out"
	return 0
}

# pbc_err WANT_EXIT WANT_TEXT ARGS...: the CLI must fail with exit status
# WANT_EXIT and say WANT_TEXT (a grep -E pattern) on stderr.
pbc_err()
{
	local want_rc=$1 want=$2 out rc

	shift 2
	out=$("$PATCHBAY" -r "$RUN" "$@" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "patchbay $*: exit $rc, expected $want_rc ($out)"
	grep -q -E -- "$want" <<<"$out" || fail "patchbay $*: said '$out', expected /$want/"
	log "ok: patchbay $* -> $rc: $out"
}

# pbd_json ARGS...: a read command's JSON result.
pbd_json() { pbc --json "$@"; }

# pbd_stat PORT KEY: a port counter (KEY rx_frames, ... or drops.no_buffer).
pbd_stat()
{
	pbd_json stats "$1" | python3 -c '
import json, sys
p = json.load(sys.stdin)["ports"][0]
for k in sys.argv[1].split("."):
    p = p[k]
print(p)' "$2"
}

# pbd_link PORT: up or down.
pbd_link()
{
	pbd_json stats "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["link"])'
}

# pbd_wait_link PORT up|down SECS
pbd_wait_link()
{
	local i

	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(pbd_link "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 not $2 within $3 s"
}

# pbd_wait_stat PORT KEY MIN SECS: wait until a counter reaches MIN.
pbd_wait_stat()
{
	local i v

	for ((i = 0; i < $4 * 10; i++)); do
		v=$(pbd_stat "$1" "$2")
		[ "$v" -ge "$3" ] && return 0
		sleep 0.1
	done
	fail "$1 $2 = $v, not $3 within $4 s"
}

# pbd_stop: SIGTERM, wait for a clean exit, check nothing is left behind.
pbd_stop()
{
	local pid=${PB_PID[patchbayd]} kid

	kid=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null)
	[ -n "$kid" ] || fail "patchbayd is not running"
	kill -TERM "$kid"
	pb_wait_exit patchbayd 10
	expect_eq "patchbayd exit status after SIGTERM" "$PB_RC" 0
	local left
	left=$(find "$RUN" -type s 2>/dev/null)
	[ -z "$left" ] || fail "sockets left in $RUN after shutdown: $left"
	grep -q 'level=error' "$D/patchbayd.log" && log "note: patchbayd logged errors (see its log)"
	return 0
}

# pbd_status_snapshot: status as JSON without what the peers, not the
# panel's configuration, decide (link state, owner, negotiated ring).
pbd_status_snapshot()
{
	pbd_json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
for p in s["ports"]:
    for k in ("features", "queue_size", "link", "owner", "ring"):
        p.pop(k, None)
print(json.dumps(s, sort_keys=True))'
}

# pb_netns_add NAME...: network namespaces for hosts on tap ports, deleted
# by pb_cleanup. IPv6 is off in them: its multicast (router and neighbour
# solicitations, MLD) would be sent at any moment and blur the counts of
# what a test's own frames did.
PB_NETNS=()
pb_netns_add()
{
	local n

	for n in "$@"; do
		ip netns add "$n" || fail "ip netns add $n (needs root)"
		PB_NETNS+=("$n")
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	[[ " ${PB_CLEANUP_HOOKS[*]} " == *" pb_netns_del "* ]] || PB_CLEANUP_HOOKS+=(pb_netns_del)
}

# shellcheck disable=SC2317 # run by pb_cleanup as a hook
pb_netns_del()
{
	local n

	for n in "${PB_NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
}
