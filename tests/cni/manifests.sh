#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# deploy/kubernetes, checked without a cluster (none runs here): every
# manifest parses and is the kind it should be; the DaemonSet mounts the
# directories the networks' configs name and runs patchbayd on the runDir
# they use; each NetworkAttachmentDefinition's config is one patchbay-cni
# takes, as written: ADD and DEL of a container with it succeed against a
# patchbayd (its directories moved into the test's own), and the vhost
# socket lands where pod.yaml's subPathExpr mounts it.
#
# usage: manifests.sh PBGEN PATCHBAYD=... PATCHBAY=... CNI=... DEPLOY=deploy/kubernetes

. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/panel.sh"
. "$(dirname "$0")/../lib/cni.sh"
DEPLOY=
pb_init "$@"
cni_init
[ -d "$DEPLOY" ] || fail "DEPLOY=deploy/kubernetes not given"

/usr/bin/python3 - "$DEPLOY" "$D" <<'PY' || fail "the manifests are not as docs/CNI.md says"
import json, sys, yaml
deploy, out = sys.argv[1], sys.argv[2]
docs = {}
for f in ("patchbay-daemonset.yaml", "network-attachments.yaml", "pod.yaml"):
    for d in yaml.safe_load_all(open(f"{deploy}/{f}")):
        assert d["apiVersion"] and d["metadata"]["name"], f
        docs[(d["kind"], d["metadata"]["name"])] = d
ds = docs[("DaemonSet", "patchbay")]["spec"]["template"]["spec"]
cmd = ds["containers"][0]["command"]
assert cmd[0] == "patchbayd" and cmd[cmd.index("--run-dir") + 1] == "/run/patchbay", cmd
host = {v["name"]: v["hostPath"]["path"] for v in ds["volumes"]}
mounts = {m["mountPath"] for m in ds["containers"][0]["volumeMounts"]}
assert "/run/patchbay" in mounts and "/var/run/netns" in mounts, mounts
assert host["cni-bin"] == "/opt/cni/bin"
for name in ("patchbay-tap", "patchbay-vhost"):
    c = json.loads(docs[("NetworkAttachmentDefinition", name)]["spec"]["config"])
    assert c["type"] == "patchbay-cni" and c["name"] == name, c
    assert c["runDir"] == "/run/patchbay", c
    json.dump(c, open(f"{out}/{name}.json", "w"))
pod = docs[("Pod", "vhost-app")]["spec"]
m = pod["containers"][0]["volumeMounts"][0]
assert m["subPathExpr"] == "$(POD_NAMESPACE)_$(POD_NAME)", m
assert pod["volumes"][0]["hostPath"]["path"] == "/run/patchbay/cni"
assert "patchbay-vhost" in docs[("Pod", "vhost-app")]["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"]
print("manifests ok", file=sys.stderr)
PY
log "ok: the manifests parse and agree with each other"

pbd_start --workers 1
cni_netns pod
for name in patchbay-tap patchbay-vhost; do
	# The config as written, its node paths moved under $D.
	conf=$(/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
s["ipam"]["dataDir"], s["stateDir"] = sys.argv[2], sys.argv[3]
print(json.dumps(s).replace("/run/patchbay", sys.argv[4]))' "$D/$name.json" "$D/ipam" "$D/state" "$RUN")
	args="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=vhost-app;K8S_POD_INFRA_CONTAINER_ID=x"
	cni_ok ADD "$conf" "$name.result" CNI_CONTAINERID=sandbox0001 CNI_NETNS="$(cni_ns pod)" CNI_IFNAME=net1 CNI_ARGS="$args"
	if [ "$name" = patchbay-vhost ]; then
		[ -S "$RUN/cni/default_vhost-app/net1.sock" ] ||
			fail "the vhost socket is not where pod.yaml mounts it ($RUN/cni/default_vhost-app/net1.sock)"
	else
		ip -n "$(cni_nsname pod)" -o addr show net1 | grep -q 'inet 10\.250\.0\.' ||
			fail "net1 in the pod lacks its 10.250.0.0/24 address"
	fi
	cni_ok DEL "$conf" - CNI_CONTAINERID=sandbox0001 CNI_NETNS="$(cni_ns pod)" CNI_IFNAME=net1 CNI_ARGS="$args"
done
expect_eq "ports left" "$(pbd_json status | py 'print(len(s["ports"]))')" 0
pbd_stop
pb_pass "deploy/kubernetes parses and agrees with itself; both networks' configs attach and detach a pod as written"
