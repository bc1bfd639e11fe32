/* SPDX-License-Identifier: MIT */
/*
 * port.c - the public port API: parse the spec, pick the driver, forward
 * calls. Counters common to all drivers are kept here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "port/port_impl.h"
#include "net/virtio_net.h"
#include "ring/split_device.h"
#include "util/compiler.h"
#include "util/log.h"

PB_API struct pb_port *pb_port_open_err(const char *spec, char *err, size_t errlen)
{
	char why[256], scratch[1];
	struct pb_port *port;
	int ret;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = 0;
	if (!spec) {
		snprintf(err, errlen, "no port spec");
		errno = EINVAL;
		return NULL;
	}
	port = calloc(1, sizeof(*port));
	if (!port) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ret = pb_port_spec_parse(spec, &port->spec, why, sizeof(why));
	if (ret < 0) {
		snprintf(err, errlen, "port spec '%s': %s", spec, why);
		free(port);
		errno = -ret;
		return NULL;
	}
	port->ops = port->spec.role == PB_ROLE_DEVICE ? &pb_vhost_port_ops : &pb_virtio_port_ops;
	port->max_frame = port->spec.mtu + PB_ETH_OVERHEAD;
	pb_tx_copy_init(&port->tx_copy, port->spec.copy);
	port->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (port->epfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "epoll_create1: %s", pb_strerror(ret, why, sizeof(why)));
		free(port);
		errno = -ret;
		return NULL;
	}
	ret = port->ops->open(port);
	if (ret < 0) {
		snprintf(err, errlen, "%s port %s: %s", port->ops->name, port->spec.path,
			 pb_strerror(ret, why, sizeof(why)));
		close(port->epfd);
		free(port);
		errno = -ret;
		return NULL;
	}
	return port;
}

PB_API struct pb_port *pb_port_open(const char *spec)
{
	char err[512];
	struct pb_port *port = pb_port_open_err(spec, err, sizeof(err));

	if (!port && err[0]) {
		int e = errno;
		pb_err("%s", err);
		errno = e;
	}
	return port;
}

PB_API void pb_port_close(struct pb_port *port)
{
	if (!port)
		return;
	port->ops->close(port);
	close(port->epfd);
	free(port);
}

PB_API int pb_port_fd(const struct pb_port *port)
{
	return port->epfd;
}

PB_API int pb_port_dispatch(struct pb_port *port)
{
	int rc = port->ops->dispatch(port);
	bool up = port->ops->is_up(port);

	/* A new link may have its peer on other CPUs: measure afresh. */
	if (up && !port->was_up)
		pb_tx_copy_reset(&port->tx_copy);
	port->was_up = up;
	return rc;
}

PB_API bool pb_port_is_up(const struct pb_port *port)
{
	return port->ops->is_up(port);
}

PB_API unsigned pb_port_rx_burst(struct pb_port *port, struct pb_frame *frames, unsigned n)
{
	return port->ops->rx_burst(port, frames, PB_MIN(n, PB_PORT_MAX_BURST));
}

PB_API unsigned pb_port_tx_burst(struct pb_port *port, const struct pb_frame *frames, unsigned n)
{
	return port->ops->tx_burst(port, frames, PB_MIN(n, PB_PORT_MAX_BURST));
}

PB_API int pb_port_prepare_sleep(struct pb_port *port, unsigned what)
{
	return port->ops->prepare_sleep(port, what);
}

PB_API void pb_port_get_stats(const struct pb_port *port, struct pb_port_stats *stats)
{
	*stats = port->stats;
	stats->tx_streamed = port->tx_copy.streamed;
	stats->tx_copy_switches = port->tx_copy.switches;
	port->ops->get_stats(port, stats);
}

PB_API void pb_port_get_info(const struct pb_port *port, struct pb_port_info *info)
{
	memset(info, 0, sizeof(*info));
	info->role = port->spec.role;
	info->server = port->spec.server;
	snprintf(info->path, sizeof(info->path), "%s", port->spec.path);
	port->ops->get_info(port, info);
}

PB_API bool pb_port_maps(const struct pb_port *port, const void *addr)
{
	return port && port->ops->maps(port, addr);
}

PB_API void pb_port_drop_peer(struct pb_port *port, const char *why)
{
	port->ops->drop_peer(port, why ? why : "dropped by the application");
}

PB_API int pb_fault_patch(void *addr)
{
	long page = sysconf(_SC_PAGESIZE); /* async-signal-safe in glibc (no locks) */
	uintptr_t base = (uintptr_t)addr & ~((uintptr_t)page - 1);
	void *p = mmap((void *)base, (size_t)page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	return p == MAP_FAILED ? -errno : 0;
}

uint32_t pb_port_gather(uint8_t *dst, const struct pb_vq_seg *seg, unsigned nseg, uint32_t skip,
			uint32_t len)
{
	uint32_t done = 0;

	for (unsigned i = 0; i < nseg && done < len; i++) {
		uint32_t l = seg[i].len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		uint32_t n = PB_MIN(l - skip, len - done);
		memcpy(dst + done, seg[i].base + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}
