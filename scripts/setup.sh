#!/usr/bin/env bash
# setup.sh - install the Debian 12 packages patchbay needs to build, test and
# demo. The one place anything gets installed: `make`, `make test` and
# `make demo` run it first, so they work on a fresh machine.
#
# Idempotent and quick: when every package is already there it only asks
# dpkg (well under a second) and never touches the network. Otherwise it runs
# `apt-get update` once and installs what is missing.
#
# Usage: scripts/setup.sh [EXTRA_PACKAGE...]
set -euo pipefail

# What each package is for; keep the list sorted by purpose.
packages=(
	make pkg-config meson ninja-build python3 # the build (meson needs python3)
	gcc libc6-dev                             # the default compiler
	clang libclang-rt-14-dev                  # fuzzers: libFuzzer, sanitizers
	libcmocka-dev                             # unit tests
	libjansson-dev                            # patchbayd's control protocol (JSON)
	libedit-dev                               # the patchbay CLI's shell
	libpcap-dev                               # patchbayd's pcap: ports
	tcpdump                                   # tests: pcap files to replay
	tshark                                    # tests: captures read back (tshark, capinfos)
	dpdk                                      # DPDK 22.11 runtime
	dpdk-dev                                  # interop peer: dpdk-testpmd (in dpdk-dev on Debian 12)
	iproute2 procps util-linux                # demo and tests: ip, ps/pkill, taskset
	iputils-ping iputils-arping               # tests: ping and arping through tap ports and bridges
	python3-scapy                             # tests: frames of many MACs flooded into a bridge (Debian's /usr/bin/python3)
	qemu-system-x86 linux-image-amd64         # tests: Linux guests on vhost: ports
	busybox-static cpio                       # tests: the guests' tiny initramfs
	graphviz                                  # patchbay topo --svg/--png, and its test
	podman runc                               # pbrun --engine podman, and its tests
	lxc                                       # pbrun --print lxc, run as printed by its test
	clang-format                              # make format / format-check
	gnuplot-nox                               # make bench: the chart in docs/perf.png
	git                                       # make format lists the files
	libmicrohttpd-dev                         # patchbayd's REST API and /metrics
	libnl-route-3-dev                         # patchbay-cni: addresses and routes in a netns
	containernetworking-plugins               # CNI: host-local IPAM, tests' reference plugins
	golang-go golang-github-appc-cni-dev      # tests: libcni drives patchbay-cni as runtimes do
	prometheus                                # tests: promtool and a real scraping server
	python3-jsonschema python3-yaml curl      # tests: the REST API against docs/openapi.yaml
	shellcheck mandoc                         # tests/docs: every shell script shellcheck clean; man pages linted
)
packages+=("$@")

# dpkg-query prints "ii " for an installed package; anything else (or no
# record at all) means it must be installed.
missing=()
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" != "ii " ]; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "setup: not root and no sudo; as root run: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may be running its first apt jobs: wait for the lock
# instead of failing on it.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q)
"${apt[@]}" update </dev/null
"${apt[@]}" install "${missing[@]}" </dev/null
echo "setup: done"
