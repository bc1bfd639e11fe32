/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the vhost-user back-end (device side): owns the socket, serves
 * the front-end's control messages, maps its memory and hands each ring,
 * translated and validated, to the data path (struct pb_vq_dev).
 *
 * Single-threaded: dispatch and the data path run on the same thread, so a
 * SET_MEM_TABLE that remaps memory cannot race a packet copy.
 */
#ifndef PB_VHOST_BACKEND_H
#define PB_VHOST_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guest_mem.h"
#include "net/virtio_net.h"
#include "ring/split_device.h"
#include "vhost/codec.h"

/* One queue pair: the driver's RX (0, we write) and TX (1, we read). */
#define PB_VHOST_NQUEUES 2

struct pb_vhost_backend_cfg {
	const char *path;
	bool server;           /* listen (else connect, and retry) */
	uint64_t features;     /* virtio features offered (PB_VNET_FEATURES subset) */
	uint16_t mtu;          /* reported in config space / VIRTIO_NET_F_MTU */
	uint8_t mac[6];        /* reported in config space */
	uint32_t reconnect_ms; /* client: retry interval */
};

struct pb_vhost_vring {
	struct pb_vq_dev dq; /* the data path's view; dq.callfd is the call fd */
	uint16_t num;        /* SET_VRING_NUM; 0 until set */
	struct pb_vu_vring_addr addr;
	bool addr_set;
	uint16_t base; /* SET_VRING_BASE */
	int kickfd;    /* -1: none */
	int errfd;     /* -1: none */
	bool started;  /* kick fd received; stopped again by GET_VRING_BASE */
	bool enabled;  /* SET_VRING_ENABLE (or enabled at start without protocol features) */
};

struct pb_vhost_backend {
	struct pb_vhost_backend_cfg cfg;
	char path[108];
	int epfd;      /* the port's epoll set: listen, conn, kick fds are added here */
	int listen_fd; /* server: -1 otherwise */
	struct pb_vu_conn conn;
	uint64_t next_connect_ns; /* client: when to retry */

	uint64_t features;          /* acked by SET_FEATURES */
	uint64_t protocol_features; /* acked by SET_PROTOCOL_FEATURES */
	bool features_set;
	uint8_t status; /* SET_STATUS */
	int backend_req_fd;
	struct virtio_net_config config;
	struct pb_guest_mem mem;
	struct pb_vhost_vring vring[PB_VHOST_NQUEUES];

	uint64_t peer_errors;
	uint64_t connects;
	uint64_t disconnects;
	bool was_ready; /* for counting connects on the ready edge */
};

/* Set up (listen, or a first connect attempt). Returns 0 or -errno. */
int pb_vhost_backend_init(struct pb_vhost_backend *be, const struct pb_vhost_backend_cfg *cfg,
			  int epfd);
void pb_vhost_backend_fini(struct pb_vhost_backend *be);

/* Accept/connect, receive and handle every complete message, drain kicks.
 * Never blocks. Returns 0 (peer faults are handled by disconnecting). */
int pb_vhost_backend_dispatch(struct pb_vhost_backend *be);

/* Handle one whole message: the fuzzer's entry point. Takes ownership of
 * msg->fds. Replies on be->conn. Returns 0, or -errno when the connection
 * must be dropped (the caller then calls pb_vhost_backend_disconnect). */
int pb_vhost_backend_handle(struct pb_vhost_backend *be, struct pb_vu_msg *msg);

/* Drop the connection, unmap memory, reset every ring; a server keeps
 * listening, a client schedules a reconnect. */
void pb_vhost_backend_disconnect(struct pb_vhost_backend *be, const char *why);

/* The ring can carry packets: attached, started, enabled, not broken. */
static inline bool pb_vhost_vring_live(const struct pb_vhost_vring *vr)
{
	return vr->started && vr->enabled && pb_vq_dev_attached(&vr->dq);
}

/* Both rings of the pair are live. */
static inline bool pb_vhost_backend_ready(const struct pb_vhost_backend *be)
{
	return pb_vhost_vring_live(&be->vring[0]) && pb_vhost_vring_live(&be->vring[1]);
}

#endif /* PB_VHOST_BACKEND_H */
