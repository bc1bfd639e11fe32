#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `patchbay save FILE` writes the running panel as a recipe, and
# `patchbayd --config FILE` replays it to the same state: the same ports
# with the same options (a value with a blank survives the quoting), the
# same patches. Also `types` and the bash completion; `types`: every type the registry serves, with its
# options (the library's keys for vhost:/virtio:, not a copy).
#
# usage: save.sh PATCHBAYD=... PATCHBAY=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
pb_init "$@"

pbd_start --workers 1
pbc add vhost:a mtu=9000 mrg-rxbuf=0 >/dev/null
pbc add vhost:b path="$D/b.sock" client=1 >/dev/null
pbc add null:sink >/dev/null
pbc add pcap:out tx="$D/out file.pcap" >/dev/null
pbc patch vhost:a vhost:b --both >/dev/null
pbc patch vhost:a null:sink >/dev/null
pbc patch vhost:b pcap:out >/dev/null

# The state, as a sorted text, to compare before and after.
state()
{
	pbd_json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
for p in sorted(s["ports"], key=lambda p: p["name"]):
    print(p["name"], sorted(p["opts"].items()))
for x in sorted((x["from"], x["to"]) for x in s["patches"]):
    print("patch", *x)'
}
before=$(state)
pbc save "$D/recipe" >/dev/null
[ -s "$D/recipe" ] || fail "save wrote no file"
grep -q "^add vhost:a " "$D/recipe" || fail "recipe lacks vhost:a: $(cat "$D/recipe")"
out=$(pbc save) # to stdout
grep -q "^patch vhost:b pcap:out$" <<<"$out" || fail "save to stdout lacks a patch: $out"
pbc_err 2 "one file at a time" save a b
pbc_err 1 "cannot write" save /nonexistent-dir/recipe
pbd_stop

RUN=$D/run2
pbd_start --workers 1 --config "$D/recipe"
after=$(state)
[ "$before" = "$after" ] || fail "replayed state differs:
before:
$before
after:
$after"
log "ok: save -> --config gives back the same panel"

types=$(pbd_json types)
python3 - "$types" <<'PY' || fail "types: $types"
import json, sys
t = {x["name"]: x for x in json.loads(sys.argv[1])["types"]}
assert sorted(t) == ["null", "pcap", "tap", "vhost", "virtio"], sorted(t)
keys = lambda n: [o["name"] for o in t[n]["options"]]
assert "path" in keys("vhost") and "indirect" in keys("vhost"), keys("vhost")
assert "server" not in keys("vhost") and "client" in keys("vhost"), keys("vhost")
assert "queue-size" in keys("virtio") and "packed" in keys("virtio"), keys("virtio")
assert t["pcap"]["source"] and not t["vhost"]["source"]
assert all(x["summary"] for x in t.values())
PY
out=$(pbc types)
grep -q "^virtio " <<<"$out" || fail "types text: $out"
log "ok: types"

# The bash completion (cli/patchbay.bash): commands from the table, port
# names and types from this daemon.
complete_words()
{
	PATH="$(dirname "$PATCHBAY"):$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_patchbay; printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$(dirname "$0")/../../cli/patchbay.bash" patchbay -r "$RUN" "$@"
}
out=$(complete_words sa)
[ "$out" = "save" ] || fail "completion of 'sa': '$out'"
out=$(complete_words show vhost:)
[ "$(tr '\n' ' ' <<<"$out")" = "vhost:a vhost:b " ] || fail "completion of ports: '$out'"
out=$(complete_words add vi)
[ "$out" = "virtio:" ] || fail "completion of types: '$out'"
log "ok: bash completion"
pbd_stop
pb_pass "save -> --config round trip, types"
