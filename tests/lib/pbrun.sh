# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# pbrun.sh - helpers of the container tests (tests/containers), on top of
# common.sh and panel.sh:
#
#   pbr_bg NAME [PBRUN OPTIONS] -- APP ARGS   pbrun in the background; its
#                                     stdout to $D/NAME.json (unprefixed),
#                                     stderr to $D/NAME.log
#   pbr_leftovers                     what containers could leave behind
#   pbr_podman_conf                   a containers.conf for podman on this host
#
# PBRUN, L2FWD and ECHO come as KEY=VALUE arguments from meson.

PBRUN=
# shellcheck disable=SC2034 # set by pb_init, used by the scripts that source this
L2FWD=
# shellcheck disable=SC2034 # set by pb_init, used by the scripts that source this
ECHO=

pbr_bg()
{
	local name=$1

	shift
	log "start $name: pbrun -r $RUN --name $name $*"
	timeout -s KILL "$PB_PROC_LIMIT" "$PBRUN" -r "$RUN" --name "$name" --no-prefix "$@" \
		>"$D/$name.json" 2>"$D/$name.log" &
	pb_track "$name" $!
}

# pbr_stop NAME: SIGTERM the pbrun (not its timeout wrapper) and wait.
pbr_stop()
{
	local pid=${PB_PID[$1]} kid

	kid=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null)
	[ -n "$kid" ] && kill -TERM "$kid"
	pb_wait_exit "$1" 10
}

# One line per kind of thing a container run may leave: pbrun's instance
# directories, sockets in the run dir, mounts of its roots, processes of
# the tools under test, network namespaces, cgroups.
pbr_leftovers()
{
	echo "instances: $(find "$RUN/pbrun" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
	echo "sockets: $(find "$RUN" -maxdepth 1 -name 'vhost-*.sock' 2>/dev/null | sort | tr '\n' ' ')"
	echo "mounts: $(grep -c "$RUN" /proc/self/mountinfo)"
	echo "processes: $(pgrep -f -c -- "$PBRUN |/opt/pbrun/" || true)"
	echo "netns: $(lsns -t net -n -o NS 2>/dev/null | sort -u | wc -l)"
	echo "cgroups: $(find /sys/fs/cgroup -path '*/patchbay/*' -type d 2>/dev/null | wc -l)"
}

# podman here: runc, and ulimits it may set (see DEVELOPERS.md).
pbr_podman_conf()
{
	cat >"$D/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
	export CONTAINERS_CONF=$D/containers.conf
}
