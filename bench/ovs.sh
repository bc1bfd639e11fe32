# shellcheck shell=bash
# bench/ovs.sh - OVS-DPDK as the reference switch of bench/run.sh (sourced).
#
# A private OVS (its own database, sockets and logs in DIR, nothing of the
# system's openvswitch-switch service is used or changed): ovsdb-server and
# ovs-vswitchd-dpdk with one PMD thread on CPU, a netdev bridge with two
# dpdkvhostuserclient ports (OVS connects; the tester's frontends listen) and
# a port-to-port flow. DPDK in OVS needs hugepages: ovs_start reserves
# OVS_HUGEPAGES 2 MB pages for it and ovs_stop gives them back (patchbay
# itself never uses any).
#
#   ovs_start DIR CPU   -> 0 when br0 forwards vu0 -> vu1; sockets DIR/vu0.sock, DIR/vu1.sock
#   ovs_stop DIR

OVS_HUGEPAGES=${OVS_HUGEPAGES:-600}
OVS_SWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OVS_PAGES_BEFORE=

ovs_vsctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=20 "$@"; }

ovs_start() {
	OVS_DIR=$1
	local cpu=$2 mask i
	mkdir -p "$OVS_DIR"
	# Every OVS tool finds its sockets (br0.mgmt, ...) here, not in /run.
	export OVS_RUNDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR
	[ -x "$OVS_SWITCHD" ] || {
		echo "ovs: $OVS_SWITCHD not found (Debian: openvswitch-switch-dpdk)" >&2
		return 1
	}
	OVS_PAGES_BEFORE=$(cat /proc/sys/vm/nr_hugepages)
	echo "$OVS_HUGEPAGES" >/proc/sys/vm/nr_hugepages || return 1
	# A hugetlbfs of its own: the machine may have none mounted.
	mkdir -p "$OVS_DIR/huge"
	mount -t hugetlbfs -o pagesize=2M none "$OVS_DIR/huge" || return 1
	mask=$(printf '0x%x' $((1 << cpu)))
	ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/ovsdb.pid" --detach --log-file="$OVS_DIR/ovsdb.log" \
		--unixctl="$OVS_DIR/ovsdb.ctl" || return 1
	ovs_vsctl --no-wait init
	ovs_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask="$mask" other_config:pmd-cpu-mask="$mask" \
		other_config:dpdk-socket-mem=1024 other_config:dpdk-extra="--no-pci --huge-dir=$OVS_DIR/huge"
	"$OVS_SWITCHD" "unix:$OVS_DIR/db.sock" --pidfile="$OVS_DIR/vswitchd.pid" --detach \
		--log-file="$OVS_DIR/vswitchd.log" --unixctl="$OVS_DIR/vswitchd.ctl" || return 1
	for i in $(seq 100); do
		ovs_vsctl get Open_vSwitch . dpdk_initialized 2>/dev/null | grep -q true && break
		sleep 0.2
	done
	ovs_vsctl add-br br0 -- set bridge br0 datapath_type=netdev || return 1
	for i in 0 1; do
		ovs_vsctl add-port br0 "vu$i" -- set Interface "vu$i" type=dpdkvhostuserclient \
			options:vhost-server-path="$OVS_DIR/vu$i.sock" ofport_request=$((i + 1)) || return 1
	done
	ovs-ofctl del-flows br0 && ovs-ofctl add-flow br0 in_port=1,actions=output:2 || return 1
	return 0
}

ovs_stop() {
	local f
	for f in vswitchd ovsdb; do
		[ -f "$OVS_DIR/$f.pid" ] && kill -TERM "$(cat "$OVS_DIR/$f.pid")" 2>/dev/null
	done
	sleep 1
	for f in vswitchd ovsdb; do
		[ -f "$OVS_DIR/$f.pid" ] && kill -KILL "$(cat "$OVS_DIR/$f.pid")" 2>/dev/null
	done
	mountpoint -q "$OVS_DIR/huge" && umount "$OVS_DIR/huge"
	[ -n "$OVS_PAGES_BEFORE" ] && echo "$OVS_PAGES_BEFORE" >/proc/sys/vm/nr_hugepages
	OVS_PAGES_BEFORE=
	return 0
}
