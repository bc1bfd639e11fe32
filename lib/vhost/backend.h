/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the vhost-user back-end (device side): owns the socket, serves
 * the front-end's control messages, maps its memory and hands each ring,
 * translated and validated, to the data path: struct pb_vq_dev for a split
 * ring, struct pb_pq_dev for a packed one (VIRTIO_F_RING_PACKED negotiated;
 * offered only when cfg.features has it).
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
#include "ring/packed_device.h"
#include "ring/split_device.h"
#include "vhost/codec.h"

/* One queue pair: the driver's RX (0, we write) and TX (1, we read). */
#define PB_VHOST_NQUEUES 2

struct pb_vhost_backend_cfg {
	const char *path;      /* NULL: no socket of our own (see pb_vhost_backend_attach) */
	bool server;	       /* listen (else connect, and retry) */
	uint64_t features;     /* virtio features offered (PB_VNET_FEATURES subset,
				  plus VIRTIO_F_RING_PACKED if wanted; 0: all of
				  PB_VNET_FEATURES, split rings only) */
	uint16_t mtu;	       /* reported in config space / VIRTIO_NET_F_MTU; 0: PB_MTU_DEFAULT */
	uint8_t mac[6];	       /* reported in config space */
	uint32_t reconnect_ms; /* client: retry interval; 0: PB_VHOST_RECONNECT_MS */
};

#define PB_VHOST_RECONNECT_MS 1000

/* The protocol features the back-end offers (GET_PROTOCOL_FEATURES). */
#define PB_VHOST_PROTOCOL_FEATURES                                                                 \
	(PB_BIT(VHOST_USER_PROTOCOL_F_MQ) | PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |              \
	 PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) | PB_BIT(VHOST_USER_PROTOCOL_F_BACKEND_REQ) |       \
	 PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) | PB_BIT(VHOST_USER_PROTOCOL_F_RESET_DEVICE) |       \
	 PB_BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | PB_BIT(VHOST_USER_PROTOCOL_F_STATUS))

/*
 * One ring. Its format follows the negotiated features: `packed` is
 * VIRTIO_F_RING_PACKED as last acked, and says which of dq / pq the data
 * path drives (the other stays detached). The call fd is owned by dq.callfd
 * and mirrored into pq.callfd; the kick fd is kickfd, whichever the format.
 */
struct pb_vhost_vring {
	struct pb_vq_dev dq; /* split: the data path's view; dq.callfd is the call fd */
	struct pb_pq_dev pq; /* packed: the data path's view; pq.callfd == dq.callfd */
	bool packed;	     /* the ring is packed (dq unused) */
	uint16_t num;	     /* SET_VRING_NUM; 0 until set */
	struct pb_vu_vring_addr addr;
	bool addr_set;
	uint32_t base; /* SET_VRING_BASE: split, the avail index; packed, the
			  vhost-user "descriptor indices" (see pb_pq_dev_attach) */
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
	int timerfd;   /* client: fires when a reconnect is due (in epfd); -1 otherwise */
	struct pb_vu_conn conn;
	uint64_t next_connect_ns; /* client: when to retry */

	uint64_t features;	    /* acked by SET_FEATURES */
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
	bool was_ready;	 /* this connection has been ready: counted in connects */
	uint64_t warned; /* bit per request id (63: any id >= 63) already logged at warn */
};

/* Set up (listen, or a first connect attempt: a front-end that is not there
 * yet is not an error, a client retries from dispatch). @epfd may be -1 (no
 * fds are registered). Returns 0 or -errno (-EINVAL, -ENAMETOOLONG, socket
 * errors); on error nothing is left open. */
int pb_vhost_backend_init(struct pb_vhost_backend *be, const struct pb_vhost_backend_cfg *cfg,
			  int epfd);
/* Disconnect, stop listening (unlinking the socket we created). Idempotent. */
void pb_vhost_backend_fini(struct pb_vhost_backend *be);

/* Serve a front-end on @fd, an already connected stream socket (taken over:
 * closed on error and on disconnect), e.g. one end of a socketpair or a
 * socket inherited by a back-end program (--fd=N). Returns 0, -EBUSY if a
 * front-end is connected already, or -errno from epoll. */
int pb_vhost_backend_attach(struct pb_vhost_backend *be, int fd);

/* Accept/connect, receive and handle every complete message, drain kicks,
 * drop a peer that broke a ring. Call it whenever one of our fds in epfd is
 * readable, and from time to time. Never blocks (beyond a reply to a peer
 * whose socket is full, bounded at 100 ms). Returns 0 (peer faults are
 * handled by disconnecting, and counted). */
int pb_vhost_backend_dispatch(struct pb_vhost_backend *be);

/* Handle one whole message: the fuzzer's entry point. Takes ownership of
 * msg->fds (all are closed or kept by the time it returns). Replies on
 * be->conn, overwriting *msg. A request that fails (bad ring index, memory
 * that cannot be mapped, ...) is answered with a failure ack if one is asked
 * for, and is not an error here. Returns 0, or -errno when the connection
 * must be dropped: -EPROTO for a protocol fault (counted in peer_errors),
 * another -errno when a reply cannot be sent. The caller then calls
 * pb_vhost_backend_disconnect(). */
int pb_vhost_backend_handle(struct pb_vhost_backend *be, struct pb_vu_msg *msg);

/* Drop the connection, unmap memory, reset every ring; a server keeps
 * listening, a client schedules a reconnect. */
void pb_vhost_backend_disconnect(struct pb_vhost_backend *be, const char *why);

/* The ring is attached, in whichever format, and not broken. */
static inline bool pb_vhost_vring_attached(const struct pb_vhost_vring *vr)
{
	return vr->packed ? pb_pq_dev_attached(&vr->pq) : pb_vq_dev_attached(&vr->dq);
}

/* The ring can carry packets: attached, started, enabled, not broken. */
static inline bool pb_vhost_vring_live(const struct pb_vhost_vring *vr)
{
	return vr->started && vr->enabled && pb_vhost_vring_attached(vr);
}

/* Signals sent to the driver on this ring, both formats (a statistic). */
static inline uint64_t pb_vhost_vring_calls(const struct pb_vhost_vring *vr)
{
	return vr->dq.calls + vr->pq.calls;
}

/* Device status bit (virtio 1.x §2.1) the back-end waits for. */
#define PB_VHOST_S_DRIVER_OK 4u

/* Both rings of the pair are live, and, when the front-end reports its
 * status (PROTOCOL_F_STATUS), it has said DRIVER_OK: until then it may still
 * be configuring the device (what DPDK's vhost library does too). */
static inline bool pb_vhost_backend_ready(const struct pb_vhost_backend *be)
{
	/* A legacy driver (firmware, say) may run the device for a while
	 * without VERSION_1; our data path speaks only virtio 1 (12-byte
	 * header, little-endian rings), so it waits for a driver that does. */
	if (!(be->features & PB_BIT(VIRTIO_F_VERSION_1)))
		return false;
	if ((be->protocol_features & PB_BIT(VHOST_USER_PROTOCOL_F_STATUS)) &&
	    !(be->status & PB_VHOST_S_DRIVER_OK))
		return false;
	return pb_vhost_vring_live(&be->vring[0]) && pb_vhost_vring_live(&be->vring[1]);
}

#endif /* PB_VHOST_BACKEND_H */
