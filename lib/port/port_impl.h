/* SPDX-License-Identifier: MIT */
/*
 * port_impl.h - what a port driver provides, and the state every port has.
 * One driver per file: vhost_port.c (device side), virtio_port.c (driver side).
 */
#ifndef PB_PORT_IMPL_H
#define PB_PORT_IMPL_H

#include <patchbay/port.h>

#include "port/spec.h"
#include "port/tx_copy.h"

/* Frames handled per burst call at most; larger requests return this many. */
#define PB_PORT_MAX_BURST 256

struct pb_port;

struct pb_port_ops {
	const char *name;
	int (*open)(struct pb_port *port);
	void (*close)(struct pb_port *port);
	int (*dispatch)(struct pb_port *port);
	bool (*is_up)(const struct pb_port *port);
	unsigned (*rx_burst)(struct pb_port *port, struct pb_frame *frames, unsigned n);
	unsigned (*tx_burst)(struct pb_port *port, const struct pb_frame *frames, unsigned n);
	int (*prepare_sleep)(struct pb_port *port, unsigned what);
	/* Fill the driver-specific parts of stats (connects, peer_errors, ...). */
	void (*get_stats)(const struct pb_port *port, struct pb_port_stats *stats);
	void (*get_info)(const struct pb_port *port, struct pb_port_info *info);
	/* Async-signal-safe: does @addr lie in memory the peer controls? */
	bool (*maps)(const struct pb_port *port, const void *addr);
	/* Drop the peer as a faulty one (peer_errors), without waiting for it. */
	void (*drop_peer)(struct pb_port *port, const char *why);
};

struct pb_port {
	const struct pb_port_ops *ops;
	struct pb_port_spec spec;
	int epfd;
	uint32_t max_frame;	    /* largest Ethernet frame: mtu + 18 */
	struct pb_port_stats stats; /* the data-path counters */
	struct pb_tx_copy tx_copy;  /* how tx_burst copies (copy=) */
	bool was_up;		    /* is_up() at the end of the last dispatch */
	void *priv;		    /* the driver's state */
};

extern const struct pb_port_ops pb_vhost_port_ops;
extern const struct pb_port_ops pb_virtio_port_ops;

/* Gather @len bytes starting @skip bytes into a segment list (used when a
 * frame is not contiguous). Returns bytes copied. */
struct pb_vq_seg;
uint32_t pb_port_gather(uint8_t *dst, const struct pb_vq_seg *seg, unsigned nseg, uint32_t skip,
			uint32_t len);

#endif /* PB_PORT_IMPL_H */
