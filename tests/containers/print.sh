#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# print.sh - pbrun --print: what it prints for docker and LXC (checked as
# text: every isolation flag there, no privilege asked for; lxc.sh runs the
# LXC one; the docker one says it is not run), the Kubernetes
# fragment (read with a YAML parser), and the podman script, which is run:
# its container must answer 1000 pings through patchbayd and leave nothing.
# Printing never touches patchbayd.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/pbrun.sh"

PB_NAME=print
pb_init "$@"
RUN=$D/run
mkdir -p "$RUN"
APP=(-- "$ECHO" 'virtio:{port0}')
OPTS=(-r "$RUN" --name web --port vhost:web --cpus 0 --memory 256M)

# No daemon runs yet: printing must not need one.
"$PBRUN" "${OPTS[@]}" --print docker "${APP[@]}" >"$D/docker.sh" || fail "--print docker failed"
has() { grep -qF -- "$2" "$D/$1" || fail "--print $1: expected '$2' in: $(cat "$D/$1")"; }
hasnt() { ! grep -v '^#' "$D/$1" | grep -qiF -- "$2" || fail "--print $1: '$2' must not be there"; }
for want in "exec docker run" --rm --network=none --cap-drop=all \
	--security-opt=no-new-privileges --user=65534:65534 --read-only --volume=/usr:/usr:ro \
	"--volume=$RUN/vhost-web.sock:/run/patchbay/vhost-web.sock" --cpuset-cpus=0 \
	--memory=268435456 "--env=PATCHBAY_PORT0=/run/patchbay/vhost-web.sock" \
	"/opt/pbrun/example_echo virtio:/run/patchbay/vhost-web.sock" \
	"patchbay -r $RUN add vhost:web" "chown 65534:65534 $RUN/vhost-web.sock" \
	"# NEVER RUN by patchbay's tests"; do
	has docker.sh "$want"
done
for bad in --privileged hugepages file-prefix --cap-add; do hasnt docker.sh "$bad"; done
sh -n "$D/docker.sh" || fail "--print docker is not a valid shell script"

"$PBRUN" "${OPTS[@]}" --print lxc "${APP[@]}" >"$D/lxc.conf" || fail "--print lxc failed"
for want in "lxc.uts.name = web" "lxc.net.0.type = empty" "lxc.cap.keep = none" \
	"lxc.no_new_privs = 1" "lxc.init.uid = 65534" "lxc.init.gid = 65534" \
	"lxc.mount.entry = $RUN/vhost-web.sock run/patchbay/vhost-web.sock none bind,create=file 0 0" \
	"lxc.mount.entry = /usr usr none bind,ro,create=dir 0 0" \
	"lxc.environment = PATCHBAY_PORT0=/run/patchbay/vhost-web.sock" \
	"lxc.cgroup2.cpuset.cpus = 0" "lxc.cgroup2.memory.max = 268435456" \
	"lxc.cgroup.cpuset.cpus = 0" "lxc.cgroup.memory.limit_in_bytes = 268435456" \
	"lxc.execute.cmd = /opt/pbrun/example_echo virtio:/run/patchbay/vhost-web.sock" \
	"lxc.rootfs.path = dir:/var/lib/lxc/web/rootfs" "#   mkdir -p /var/lib/lxc/web/rootfs" \
	"#   patchbay -r $RUN add vhost:web" "#   chown 65534:65534 $RUN/vhost-web.sock" \
	"#   lxc-execute -n web -f THIS_FILE" \
	"lxc.mount.entry = $(readlink -f "$ECHO") opt/pbrun/example_echo none bind,ro,create=file 0 0"; do
	has lxc.conf "$want"
done
# the limits under this host's cgroup version's keys, the other's commented out
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	grep -q '^lxc.cgroup2.memory.max = ' "$D/lxc.conf" || fail "--print lxc: no v2 limit on a v2 host"
else
	grep -q '^lxc.cgroup.memory.limit_in_bytes = ' "$D/lxc.conf" || fail "--print lxc: no v1 limit on a v1 host"
fi
{ grep -q '^lxc.cgroup2\?\..*' "$D/lxc.conf" && [ "$(grep -c '^lxc.cgroup' "$D/lxc.conf")" -eq 2 ]; } ||
	fail "--print lxc: expected two live cgroup keys: $(grep cgroup "$D/lxc.conf")"
# (tests/containers/lxc.sh runs these steps under lxc-execute)
# every line a comment or KEY = VALUE with a key LXC knows the family of
grep -v '^#' "$D/lxc.conf" | grep -vE '^lxc\.[a-z0-9._]+ = .+$' && fail "--print lxc: lines that are not KEY = VALUE"

"$PBRUN" "${OPTS[@]}" --print k8s "${APP[@]}" >"$D/k8s.yaml" || fail "--print k8s failed"
python3 - "$D/k8s.yaml" "$RUN" <<'PY' || fail "--print k8s: $(cat "$D/k8s.yaml")"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
c = d["containers"][0]
sc = c["securityContext"]
assert c["name"] == "web"
assert sc["runAsUser"] == 65534 and sc["runAsNonRoot"] is True
assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
assert sc["capabilities"]["drop"] == ["ALL"]
assert "privileged" not in sc
assert c["resources"]["limits"] == {"cpu": "1", "memory": "268435456"}
assert {"name": "PATCHBAY_PORT0", "value": "/run/patchbay/vhost-web.sock"} in c["env"]
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
vols = {v["name"]: v["hostPath"] for v in d["volumes"]}
assert mounts["patchbay-port0"] == "/run/patchbay/vhost-web.sock"
assert vols["patchbay-port0"] == {"path": sys.argv[2] + "/vhost-web.sock", "type": "Socket"}
assert set(mounts) == set(vols)
assert c["args"] == ["virtio:/run/patchbay/vhost-web.sock"]
PY
[ -z "$(ls -A "$RUN")" ] || fail "printing made files in the run dir: $(ls -A "$RUN")"

# The podman script, run as printed.
pbd_start
pbr_podman_conf
"$PBRUN" "${OPTS[@]}" --print podman "${APP[@]}" >"$D/podman.sh" || fail "--print podman failed"
PATH=$(dirname "$PATCHBAY"):$(dirname "$PBRUN"):$PATH timeout -s KILL 120 sh "$D/podman.sh" >"$D/podman.out" 2>&1 &
pb_track podman $!
pb_wait_file "$RUN/vhost-web.sock" 60
pbd_wait_link vhost:web up 60
pbc add vhost:probe
pbc patch vhost:probe vhost:web --both
"$PBGEN" ping "virtio:$RUN/vhost-probe.sock" -q -n 1000 -w 10 >"$D/ping.json" 2>"$D/ping.log" ||
	fail "ping through the printed podman container: $(cat "$D/ping.log" "$D/podman.out")"
expect_eq "pings answered" "$(json_num ping frames_rx)" 1000
kill -TERM "$(cat "/proc/${PB_PID[podman]}/task/${PB_PID[podman]}/children")"
pb_wait_exit podman 30
grep -q 'echo: rx 1000 frames, tx 1000 frames' "$D/podman.out" || fail "the echo's count: $(cat "$D/podman.out")"
podman ps -a --format '{{.Names}}' | grep -qx pbrun-web && fail "the container is left (--rm)"
pbc del --force vhost:web
pbc del --force vhost:probe
pbd_stop
pb_pass "docker and LXC text, the k8s fragment, and the podman script run: 1000 pings"
