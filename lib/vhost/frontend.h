/* SPDX-License-Identifier: MIT */
/*
 * frontend.h - the vhost-user front-end ("virtio-user"): the app's end. It
 * owns one sealed memfd holding both rings and all packet buffers, connects
 * to (or accepts) a back-end, negotiates features and hands it the rings.
 * If the back-end goes away the rings are reset and handed to the next one.
 *
 * Memory layout of the memfd (GPA == our virtual address, see split_driver.h):
 *   [RX ring][TX ring][RX buffers: num x buf_size][TX buffers: num x buf_size]
 * Each ring area is sized for either format, split or packed: which one a
 * connection runs is settled by feature negotiation (cfg.packed asks for
 * VIRTIO_F_RING_PACKED; a back-end that does not offer it gets split rings,
 * and a warning), and the rings are reset in that format for it.
 *
 * The same memfd serves every back-end in turn, and a back-end keeps its
 * mapping after it hangs up: a departed back-end could still read or write
 * the rings and buffers of its successor. We ask a well-behaved one to stop
 * its rings before we reset them (GET_VRING_BASE); a hostile one is not
 * stopped by anything short of a fresh memfd per connection.
 */
#ifndef PB_VHOST_FRONTEND_H
#define PB_VHOST_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/virtio_net.h"
#include "ring/packed_driver.h"
#include "ring/split_driver.h"
#include "vhost/codec.h"

struct pb_vhost_frontend_cfg {
	const char *path;
	bool server;	       /* listen (else connect, and retry) */
	uint16_t queue_size;   /* power of two, 2..32768 */
	uint16_t mtu;	       /* sizes the buffers; asked for if the backend offers MTU;
				  0: PB_MTU_DEFAULT */
	uint64_t features;     /* virtio features we accept (PB_VNET_FEATURES subset;
				  0: all of it); VIRTIO_F_VERSION_1 is always asked */
	bool hugetlb;	       /* MFD_HUGETLB */
	bool packed;	       /* ask for packed rings (split if the back-end lacks them) */
	uint32_t reconnect_ms; /* client: retry interval; 0: PB_FE_RECONNECT_MS */
	bool lazy;	       /* client: no connect in init; the first dispatch tries */
};

#define PB_FE_RECONNECT_MS     1000
#define PB_FE_REPLY_TIMEOUT_MS 2000 /* each reply of the set-up */
#define PB_FE_SETUP_TIMEOUT_MS 5000 /* the whole set-up: a slow peer cannot stall us longer */

struct pb_vhost_frontend {
	struct pb_vhost_frontend_cfg cfg;
	char path[108];
	int epfd;      /* the port's epoll set */
	int listen_fd; /* server: -1 otherwise */
	struct pb_vu_conn conn;
	uint64_t next_connect_ns;
	int timerfd;	      /* client: fires when a reconnect is due (in epfd); -1 otherwise */
	uint64_t deadline_ns; /* the set-up (or goodbye) under way gives up at this time */

	int memfd;
	uint8_t *mem;
	size_t mem_size;
	struct pb_vq_drv vq[2]; /* [PB_VNET_RXQ], [PB_VNET_TXQ]: split rings */
	struct pb_pq_drv pq[2]; /* the same ring areas as packed rings */
	bool packed;		/* this connection negotiated VIRTIO_F_RING_PACKED: the
				   data path drives pq[], else vq[] */
	int callfd[2];		/* ours to wait on; kick fds are vq[i].kickfd (== pq[i].kickfd) */

	uint64_t features;	    /* negotiated */
	uint64_t protocol_features; /* negotiated */
	struct virtio_net_config config;
	bool up;      /* set-up finished, rings handed over */
	bool closing; /* in fini: leave the rings as they are */

	uint64_t peer_errors; /* failed set-ups, malformed messages, broken rings */
	uint64_t connects;
	uint64_t disconnects;
	uint64_t ignored_msgs;	 /* sent unprompted by the back-end, dropped */
	uint32_t setup_failures; /* in a row; after the first they log at debug */
};

/* Create the memfd and rings; listen, or try a first connect (and set-up).
 * A back-end that is not there yet (or fails the set-up) is not an error: a
 * client retries from dispatch. @epfd may be -1 (no fds are registered).
 * Returns 0 or -errno (-EINVAL for a bad cfg, -ENOMEM, socket errors). */
int pb_vhost_frontend_init(struct pb_vhost_frontend *fe, const struct pb_vhost_frontend_cfg *cfg,
			   int epfd);
void pb_vhost_frontend_fini(struct pb_vhost_frontend *fe);

/* Accept/retry connections (running the set-up, which waits up to 2 s per
 * reply and 5 s in all), notice a back-end that hung up or broke a ring, drain call fds and
 * the reconnect timer. Call it whenever one of our fds in epfd is readable,
 * and from time to time. Returns 0 (peer trouble is handled, not returned). */
int pb_vhost_frontend_dispatch(struct pb_vhost_frontend *fe);

/* Drop the back-end: ask it to stop the rings (GET_VRING_BASE, bounded by
 * the reply timeout), close the socket, reset both rings to their initial
 * state; a client schedules a reconnect. */
void pb_vhost_frontend_disconnect(struct pb_vhost_frontend *fe, const char *why);

/* Drop the back-end as a faulty one (peer_errors): no goodbye, nothing
 * waited for; a client schedules a reconnect. */
void pb_vhost_frontend_drop(struct pb_vhost_frontend *fe, const char *why);

#endif /* PB_VHOST_FRONTEND_H */
