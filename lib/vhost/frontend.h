/* SPDX-License-Identifier: MIT */
/*
 * frontend.h - the vhost-user front-end ("virtio-user"): the app's end. It
 * owns one sealed memfd holding both rings and all packet buffers, connects
 * to (or accepts) a back-end, negotiates features and hands it the rings.
 * If the back-end goes away the rings are reset and handed to the next one.
 *
 * Memory layout of the memfd (GPA == our virtual address, see split_driver.h):
 *   [RX ring][TX ring][RX buffers: num x buf_size][TX buffers: num x buf_size]
 */
#ifndef PB_VHOST_FRONTEND_H
#define PB_VHOST_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/virtio_net.h"
#include "ring/split_driver.h"
#include "vhost/codec.h"

struct pb_vhost_frontend_cfg {
	const char *path;
	bool server;           /* listen (else connect, and retry) */
	uint16_t queue_size;   /* power of two */
	uint16_t mtu;          /* sizes the buffers; asked for if the backend offers MTU */
	uint64_t features;     /* virtio features we accept (PB_VNET_FEATURES subset) */
	bool hugetlb;          /* MFD_HUGETLB */
	uint32_t reconnect_ms; /* client: retry interval */
};

struct pb_vhost_frontend {
	struct pb_vhost_frontend_cfg cfg;
	char path[108];
	int epfd;      /* the port's epoll set */
	int listen_fd; /* server: -1 otherwise */
	struct pb_vu_conn conn;
	uint64_t next_connect_ns;

	int memfd;
	uint8_t *mem;
	size_t mem_size;
	struct pb_vq_drv vq[2]; /* [PB_VNET_RXQ], [PB_VNET_TXQ] */
	int callfd[2];          /* ours to wait on; kick fds are vq[i].kickfd */

	uint64_t features;          /* negotiated */
	uint64_t protocol_features; /* negotiated */
	struct virtio_net_config config;
	bool up; /* set-up finished, rings handed over */

	uint64_t peer_errors;
	uint64_t connects;
	uint64_t disconnects;
};

/* Create the memfd and rings; listen, or try a first connect (and set-up).
 * Returns 0 or -errno. */
int pb_vhost_frontend_init(struct pb_vhost_frontend *fe, const struct pb_vhost_frontend_cfg *cfg,
			   int epfd);
void pb_vhost_frontend_fini(struct pb_vhost_frontend *fe);

/* Accept/retry connections (running the set-up, which waits up to 2 s per
 * reply), notice a back-end that hung up, drain call fds. */
int pb_vhost_frontend_dispatch(struct pb_vhost_frontend *fe);

/* Drop the back-end: close the socket, reset both rings to their initial
 * state; a client schedules a reconnect. */
void pb_vhost_frontend_disconnect(struct pb_vhost_frontend *fe, const char *why);

#endif /* PB_VHOST_FRONTEND_H */
