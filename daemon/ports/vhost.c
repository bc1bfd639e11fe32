/* SPDX-License-Identifier: MIT */
/*
 * port_vhost.c - "vhost:ID": a vhost-user device for a container's app or a
 * VM to plug into (their virtio-user or virtio-net driver is the peer).
 * Listens on RUN_DIR/vhost-ID.sock unless path= says otherwise; client=1
 * connects to a peer that listens (QEMU's server=on chardev, OVS-DPDK's
 * dpdkvhostuserclient convention). A peer that goes and comes back finds the
 * same port, with its patches and counters.
 */
#include <errno.h>
#include <stdio.h>

#include "ports/lib.h"
#include "ports/registry.h"

/* path= is the daemon's (a default under the run dir); the rest is the
 * library's spec. server= is refused: a vhost: port listens unless
 * client=1, and one spelling of that choice keeps recipes readable. */
static const char *const vhost_keys[] = {"path", NULL};
static const char *const vhost_refused[] = {"server", NULL};

static int vhost_open(struct pbd_port *p, const struct pbd_opts *o, char *err, size_t errlen)
{
	static const char *const skip[] = {"path", NULL};
	char spec[1024];
	const char *path = pbd_opt_str(o, "path", NULL);
	int n = path ? snprintf(spec, sizeof(spec), "vhost:%s", path)
		     : snprintf(spec, sizeof(spec), "vhost:%s/vhost-%s.sock", p->run_dir,
				pbd_port_id(p));

	if (n < 0 || (size_t)n >= sizeof(spec) ||
	    pbd_lib_append_opts(spec, sizeof(spec), o, skip) < 0) {
		snprintf(err, errlen, "socket path or options too long");
		return -ENAMETOOLONG;
	}
	return pbd_lib_open(p, spec, err, errlen);
}

const struct pbd_port_type pbd_port_vhost = {
    .name = "vhost",
    .summary = "vhost-user device for a container app or VM (socket vhost-ID.sock)",
    .keys = vhost_keys,
    .lib_keys = true,
    .lib_role = PB_ROLE_DEVICE,
    .lib_refused = vhost_refused,
    .open = vhost_open,
    PBD_LIB_OPS,
};
