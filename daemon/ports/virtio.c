/* SPDX-License-Identifier: MIT */
/*
 * port_virtio.c - "virtio:ID": patchbayd as the virtio-user driver of an
 * external vhost-user device (DPDK's net_vhost, OVS-DPDK's dpdkvhostuser, a
 * pbgen vhost: sink). path= is required; server=1 listens instead of
 * connecting. Its set-up with the device runs on the link thread (the port
 * is opened lazy=1: `add` does not connect), never on a worker or the
 * control thread, so a device that is slow to answer holds up only this
 * port.
 */
#include <errno.h>
#include <stdio.h>

#include "ports/lib.h"
#include "ports/registry.h"

/* path= is the daemon's; the rest is the library's spec, less: client=
 * (a virtio: port connects unless server=1: one spelling), mac= (a driver
 * takes its device's MAC) and lazy= (the link thread connects when it is
 * ready anyway). */
static const char *const virtio_keys[] = {"path", NULL};
static const char *const virtio_refused[] = {"client", "mac", "lazy", NULL};

static int virtio_open(struct pbd_port *p, const struct pbd_opts *o, char *err, size_t errlen)
{
	static const char *const skip[] = {"path", NULL};
	const char *path = pbd_opt_str(o, "path", NULL);
	char spec[1024];

	if (!path) {
		snprintf(err, errlen,
			 "virtio ports need path=SOCKET (the vhost-user device's socket)");
		return -EINVAL;
	}
	/* lazy=1: the library's first connect and set-up wait for the device;
	 * they belong on the link thread, not in `add` on the control thread. */
	int n = snprintf(spec, sizeof(spec), "virtio:%s,lazy=1", path);
	if (n < 0 || (size_t)n >= sizeof(spec) ||
	    pbd_lib_append_opts(spec, sizeof(spec), o, skip) < 0) {
		snprintf(err, errlen, "socket path or options too long");
		return -ENAMETOOLONG;
	}
	return pbd_lib_open(p, spec, err, errlen);
}

const struct pbd_port_type pbd_port_virtio = {
    .name = "virtio",
    .summary = "virtio-user driver of an external vhost-user device (path= required)",
    .keys = virtio_keys,
    .lib_keys = true,
    .lib_role = PB_ROLE_DRIVER,
    .lib_refused = virtio_refused,
    .slow_dispatch = true,
    .open = virtio_open,
    PBD_LIB_OPS,
};
