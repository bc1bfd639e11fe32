#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The REST API against its document. patchbayd serves --http on TCP with a
# bearer token and on a Unix socket; rest_check.py drives every operation in
# docs/openapi.yaml (ports made, patched, counted, cleared, removed) and
# checks each answer's status, content type and body against the document,
# then the mistakes: no token, a wrong one, a 10 MiB body, unknown paths,
# methods, fields and parameters, malformed JSON. Each gets its documented
# error and the panel is unchanged. patchbayd's own bad --http options are
# refused at start with a message naming them.
#
# usage: api.sh PBGEN PATCHBAYD=... PATCHBAY=... OPENAPI=...

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
OPENAPI=
pb_init "$@"
[ -f "$OPENAPI" ] || fail "OPENAPI=path/to/docs/openapi.yaml not given"
# Debian's python3 with its python3-yaml and python3-jsonschema (setup.sh).
CHECK=(/usr/bin/python3 "$(dirname "$0")/rest_check.py")

free_port()
{
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Refused starts: exit status and a message naming the problem.
pbd_bad()
{
	local want_rc=$1 want=$2 out rc
	shift 2
	out=$(timeout 10 "$PATCHBAYD" -r "$D/bad-run" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "patchbayd $*: exit $rc, expected $want_rc ($out)"
	grep -q -E -- "$want" <<<"$out" || fail "patchbayd $*: said '$out', expected /$want/"
	log "ok: patchbayd $* -> $rc: $(tail -n 1 <<<"$out")"
}
printf 'secret-%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$D/token"
chmod 600 "$D/token"
cp "$D/token" "$D/token-open"
chmod 644 "$D/token-open"
: >"$D/token-empty"
chmod 600 "$D/token-empty"
touch "$D/not-a-socket"
PORT=$(free_port)
pbd_bad 1 "a TCP listener needs --http-token" --http "127.0.0.1:$PORT"
pbd_bad 1 "mode 644 lets others read it" --http "127.0.0.1:$PORT" --http-token "$D/token-open"
pbd_bad 1 "the file is empty" --http "127.0.0.1:$PORT" --http-token "$D/token-empty"
pbd_bad 1 "No such file" --http "127.0.0.1:$PORT" --http-token "$D/nope"
pbd_bad 1 "the port must be 1..65535" --http "127.0.0.1:99999" --http-token "$D/token"
pbd_bad 1 "not an IPv4 address" --http "localhost:$PORT" --http-token "$D/token"
pbd_bad 1 "exists and is not a socket" --http "unix:$D/not-a-socket"
pbd_bad 2 "--http-token needs --http" --http-token "$D/token"
[ -z "$(find "$D/bad-run" -type s 2>/dev/null)" ] || fail "a refused start left sockets behind"

pbd_start --workers 1 --http "127.0.0.1:$PORT" --http-token "$D/token"
"${CHECK[@]}" "$OPENAPI" "http://127.0.0.1:$PORT" "$D/token" ||
	fail "the API over TCP does not answer as documented"
pbd_stop

# The Unix socket: no token, the socket's mode and group are the access
# control, as the control socket's.
pbd_start --workers 1 --http "unix:$D/api.sock" --group nogroup
expect_eq "mode and group of the API socket" "$(stat -c '%a %G' "$D/api.sock")" "660 nogroup"
"${CHECK[@]}" "$OPENAPI" "unix:$D/api.sock" --short ||
	fail "the API over the Unix socket does not answer as documented"
# A second daemon must not take over a live API socket.
pbd_bad 1 "something answers there" --http "unix:$D/api.sock"
curl -sS --unix-socket "$D/api.sock" http://x/v1/version >/dev/null || fail "the API socket was lost"
pbd_stop
[ ! -e "$D/api.sock" ] || fail "the API socket is left after shutdown"
pb_pass "every documented operation as documented, over TCP with a token and over a Unix socket; mistakes refused, state unchanged"
