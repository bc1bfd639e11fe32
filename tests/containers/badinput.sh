#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# badinput.sh - pbrun's mistakes: every bad option exits 2 naming the
# option and the problem, before anything is made; every failure to start
# (no such app, no patchbayd, a name in use, a placeholder with no port)
# exits 125 saying why, and removes whatever it had made. patchbayd's
# state, and a container already running, are unchanged throughout.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=pbrun-badinput
pb_init "$@"
pbd_start
pbc add vhost:keep
pbr_bg keep --port vhost:keep -- "$ECHO" 'virtio:{port0}'
pbd_wait_link vhost:keep up 20
BEFORE=$(pbd_status_snapshot)

# refuse RC PATTERN PBRUN-ARGS...: exits RC and says PATTERN.
refuse()
{
	local rc=$1 want=$2 out got
	shift 2
	out=$("$PBRUN" -r "$RUN" "$@" 2>&1 </dev/null)
	got=$?
	[ "$got" -eq "$rc" ] || fail "pbrun $*: exit $got, expected $rc ($out)"
	grep -qE -- "$want" <<<"$out" || fail "pbrun $*: said '$out', expected /$want/"
	log "ok: pbrun $* -> $got: $(head -n 1 <<<"$out")"
}

refuse 2 'no APP given' --port vhost
refuse 2 '--engine lxd: expected builtin, podman or docker' --engine lxd -- /bin/true
refuse 2 '--print helm: expected podman, docker, lxc or k8s' --print helm -- /bin/true
refuse 2 "--name a/b: 1 to 31 letters" --name a/b -- /bin/true
refuse 2 "--name -x: 1 to 31 letters" --name -x -- /bin/true
refuse 2 '--port tap:t0: pbrun wires vhost: ports' --port tap:t0 -- /bin/true
refuse 2 '--port vhost:c,client=1: client=1 would make patchbayd connect' --port vhost:c,client=1 -- /bin/true
refuse 2 '--port vhost:o,mtu: options are KEY=VALUE' --port vhost:o,mtu -- /bin/true
refuse 2 '--memory 12: expected a size of at least 1M' --memory 12 -- /bin/true
refuse 2 '--memory lots: expected a size' --memory lots -- /bin/true
refuse 2 '--cpus one: expected a CPU list' --cpus one -- /bin/true
refuse 2 '--user nosuchuser: no such user' --user nosuchuser -- /bin/true
refuse 2 '--volume data:/data: expected /HOST:/PATH' --volume data:/data -- /bin/true
refuse 2 '--volume /tmp:/x:rx: expected' --volume /tmp:/x:rx -- /bin/true
refuse 2 '--env NOEQUALS: expected KEY=VALUE' --env NOEQUALS -- /bin/true
refuse 2 '--rootfs /nonexistent: not an absolute path to a directory' --rootfs /nonexistent -- /bin/true
refuse 2 'unrecognized option' --frobnicate -- /bin/true
refuse 125 '/nonexistent/app: no such program' --port vhost:made -- /nonexistent/app
refuse 125 'there is no port 1 \(1 --port given\)' --port vhost:made -- /bin/echo '{port1}'
refuse 125 'instance keep is already running' --name keep -- /bin/true
refuse 125 'cannot add port vhost:bad\.name!' --port 'vhost:bad.name!' -- /bin/true
refuse 125 'port vhost:keep exists: using it|--port vhost:keep given twice' --port vhost:keep --port vhost:keep -- /bin/true
refuse 125 'the app.s ports need patchbayd' -r "$D/nothing-here" --port vhost -- /bin/true
# A lying daemon: its reply names a file that is not its socket. pbrun (as
# root) must neither chown it nor mount it into the container.
mkdir "$D/liar"
python3 - "$D/liar/control.sock" <<'PY' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(4)
s.settimeout(30)
for _ in range(4):
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    f = c.makefile("rw")
    f.write(json.dumps({"patchbay": "fake", "v": 1}) + "\n"); f.flush()
    for line in f:
        req = json.loads(line)
        res = {"name": "vhost:x", "path": sys.argv[1] + "/../victim", "socket": "server"}
        f.write(json.dumps({"v": 1, "id": req.get("id"), "ok": True, "result": res}) + "\n")
        f.flush()
    c.close()
PY
pb_track liar $!
echo secret >"$D/liar/victim"
chmod 600 "$D/liar/victim"
pb_wait_file "$D/liar/control.sock" 10
refuse 125 "is not a socket of patchbayd's" -r "$D/liar" --port vhost:x -- /bin/true
expect_eq "owner of the file the liar named" "$(stat -c %u "$D/liar/victim")" 0

# an app that fails in its container: its status, and no leftovers
refuse 3 '' --port vhost:made -- /bin/sh -c 'exit 3'

expect_eq "patchbayd's state after the refusals" "$(pbd_status_snapshot)" "$BEFORE"
expect_eq "instances left besides keep" "$(ls "$RUN/pbrun")" keep
pb_alive keep || fail "the running container died"
expect_eq "its link" "$(pbd_link vhost:keep)" up
pbr_stop keep
pbd_stop
pb_pass "each mistake refused with its reason; nothing made, nothing running lost"
