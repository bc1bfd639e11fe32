# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# cni.sh - helpers of the CNI plugin's tests (tests/cni), on top of
# common.sh and panel.sh: network namespaces that go away at exit, running
# patchbay-cni the way the spec says a runtime does, reading its answers.
#
#   cni_init                         # after pb_init: CNI=path of the plugin
#   cni_netns a                      # a netns; cni_ns a is its path
#   cni_ok ADD "$CONF" a.json CNI_CONTAINERID=... CNI_IFNAME=eth0 ...
#   cni_err ADD "$CONF" 4 "CNI_IFNAME is not set" CNI_CONTAINERID=...
#   cni_get a.json 'r["ips"][0]["address"]'

CNI=
CNI_NS=()

cni_init()
{
	[ -x "$CNI" ] || fail "patchbay-cni not found: '$CNI' (pass CNI=...)"
	[ -x /usr/lib/cni/host-local ] || fail "host-local not in /usr/lib/cni (containernetworking-plugins)"
	[ -x /usr/bin/python3 ] || fail "python3 not found"
	# A hook of pb_cleanup, not a trap of our own: a trap that ran
	# cni_cleanup first handed pb_cleanup cni_cleanup's status as the
	# test's, so every failing test exited 0.
	PB_CLEANUP_HOOKS+=(cni_cleanup)
}

cni_cleanup()
{
	local n

	for n in "${CNI_NS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
}

cni_nsname() { echo "pbcni$$-$1"; }
cni_ns() { echo "/run/netns/$(cni_nsname "$1")"; }
cni_netns()
{
	ip netns add "$(cni_nsname "$1")" || fail "ip netns add $(cni_nsname "$1") (needs root)"
	CNI_NS+=("$(cni_nsname "$1")")
}

# The suffix patchbay-cni gives a network's ports: FNV-1a of its name.
cni_hash()
{
	/usr/bin/python3 -c '
import sys
h = 2166136261
for b in sys.argv[1].encode():
    h = ((h ^ b) * 16777619) & 0xffffffff
print("%08x" % h)' "$1"
}

# py EXPR: evaluate EXPR with s = the JSON on stdin.
py() { /usr/bin/python3 -c "import json, sys; s = json.load(sys.stdin); $1"; }

# cni_run VERB CONF OUT [VAR=VALUE...]: run the plugin with only the CNI
# variables given (CNI_PATH defaults to /usr/lib/cni); stdout to $D/OUT.
cni_run()
{
	local verb=$1 conf=$2 out=$3
	shift 3
	local rc
	env -u CNI_COMMAND -u CNI_CONTAINERID -u CNI_NETNS -u CNI_IFNAME -u CNI_ARGS \
		CNI_PATH=/usr/lib/cni ${verb:+CNI_COMMAND=$verb} "$@" \
		timeout 60 "$CNI" <<<"$conf" >"$D/$out" 2>"$D/cni-stderr.last"
	rc=$?
	cat "$D/cni-stderr.last" >>"$D/cni-stderr.log"
	# In the sanitizer build a failing verb must fail for its own reason.
	! grep -q 'Sanitizer' "$D/cni-stderr.last" ||
		fail "patchbay-cni $verb: $(grep -A20 Sanitizer "$D/cni-stderr.last")"
	return "$rc"
}

# cni_ok VERB CONF OUT|- [VAR=VALUE...]: the verb must succeed.
cni_ok()
{
	local verb=$1 conf=$2 out=${3/#-/last.json}
	shift 3
	cni_run "$verb" "$conf" "$out" "$@" ||
		fail "patchbay-cni $verb ($*) failed: $(cat "$D/$out")"
	log "ok: $verb ${*//CNI_/}"
}

# cni_err VERB CONF CODE PATTERN [VAR=VALUE...]: the verb must fail with the
# spec's error object: exit non-zero, {"code": CODE, "msg": /PATTERN/}.
cni_err()
{
	local verb=$1 conf=$2 code=$3 want=$4 got msg
	shift 4
	cni_run "$verb" "$conf" err.json "$@" && fail "patchbay-cni $verb ($*) succeeded, expected code $code"
	got=$(py 'print(s["code"])' <"$D/err.json") || fail "$verb: no error object: $(cat "$D/err.json")"
	msg=$(py 'print(s["msg"])' <"$D/err.json")
	[ "$got" = "$code" ] || fail "patchbay-cni $verb ($*): code $got, expected $code ($msg)"
	grep -q -E -- "$want" <<<"$msg" || fail "patchbay-cni $verb: said '$msg', expected /$want/"
	log "ok: $verb -> $code: $msg"
}

# cni_get FILE EXPR: evaluate EXPR with r = the JSON in $D/FILE.
cni_get() { /usr/bin/python3 -c "import json; r = json.load(open('$D/$1')); print($2)"; }
