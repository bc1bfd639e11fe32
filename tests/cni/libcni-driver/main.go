// SPDX-License-Identifier: MIT
//
// libcni-driver drives a CNI network list through libcni, the library
// kubelet's runtimes (containerd, CRI-O) and podman build on, the way they
// do: load the .conflist from a directory, validate it, then ADD, CHECK or
// DEL one attachment with a result cache of its own. Built by the test
// against Debian's golang-github-appc-cni-dev (libcni 1.1.2, spec up to
// 1.0.0, so it has no GC or STATUS: tests/cni/verbs.sh drives those).
//
// usage: libcni-driver VALIDATE|ADD|CHECK|DEL CONFDIR NETWORK CONTAINERID NETNS IFNAME [K=V;K=V]
//
// CNI_PATH (colon-separated) says where the plugins are; ADD prints the
// result as JSON; a failure prints libcni's error and exits 1.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "libcni-driver: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 4 || (os.Args[1] != "VALIDATE" && len(os.Args) < 7) {
		die("usage: libcni-driver VALIDATE CONFDIR NETWORK\n" +
			"       libcni-driver ADD|CHECK|DEL CONFDIR NETWORK CONTAINERID NETNS IFNAME [ARGS]")
	}
	verb, dir, name := os.Args[1], os.Args[2], os.Args[3]
	rt := &libcni.RuntimeConf{CacheDir: filepath.Join(dir, "cache")}
	if len(os.Args) >= 7 {
		rt.ContainerID, rt.NetNS, rt.IfName = os.Args[4], os.Args[5], os.Args[6]
	}
	if len(os.Args) > 7 {
		for _, kv := range strings.Split(os.Args[7], ";") {
			if p := strings.SplitN(kv, "=", 2); len(p) == 2 {
				rt.Args = append(rt.Args, [2]string{p[0], p[1]})
			}
		}
	}
	list, err := libcni.LoadConfList(dir, name)
	if err != nil {
		die("loading network %s from %s: %v", name, dir, err)
	}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(os.Getenv("CNI_PATH")), rt.CacheDir, nil)
	ctx := context.Background()
	switch verb {
	case "VALIDATE":
		caps, err := cni.ValidateNetworkList(ctx, list)
		if err != nil {
			die("VALIDATE: %v", err)
		}
		fmt.Printf("{\"capabilities\": %d}\n", len(caps))
	case "ADD":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			die("ADD: %v", err)
		}
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
	case "CHECK":
		if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
			die("CHECK: %v", err)
		}
	case "DEL":
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			die("DEL: %v", err)
		}
	default:
		die("unknown verb %s", verb)
	}
}
