/* SPDX-License-Identifier: MIT */
/*
 * codec.h - framing of vhost-user messages on a Unix stream socket, with the
 * file descriptors that travel in SCM_RIGHTS beside them.
 *
 * Receiving is incremental and never blocks (the backend serves many
 * connections from one thread): bytes accumulate in the connection until a
 * whole header+payload is there. A peer that sends a bad version, a payload
 * larger than any message, or more fds than allowed gets -EPROTO and is
 * expected to be disconnected by the caller.
 */
#ifndef PB_VHOST_CODEC_H
#define PB_VHOST_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "vhost/wire.h"

struct pb_vu_msg {
	struct pb_vu_hdr hdr;
	union pb_vu_payload payload; /* hdr.size bytes are valid */
	int fds[PB_VU_MAX_FDS];	     /* owned by whoever holds the message */
	unsigned nfds;
};

struct pb_vu_conn {
	int fd; /* the connected socket, non-blocking; -1 when none */
	/* partial message being received */
	size_t have; /* bytes of hdr+payload received so far */
	struct pb_vu_msg rx;
};

/* Attach a connected socket (made non-blocking here). */
void pb_vu_conn_init(struct pb_vu_conn *conn, int fd);

/* Close the socket and any fds of a partial message. Idempotent. */
void pb_vu_conn_close(struct pb_vu_conn *conn);

/*
 * Receive without blocking. On 1, *msg holds a whole message and owns its
 * fds (close them with pb_vu_msg_close_fds() if unused).
 * Returns 1 (message), 0 (incomplete: wait for the socket), -ECONNRESET
 * (peer closed), -EPROTO (malformed framing), or another -errno.
 */
int pb_vu_conn_recv(struct pb_vu_conn *conn, struct pb_vu_msg *msg);

/* As pb_vu_conn_recv() but waits up to @timeout_ms for a whole message;
 * -ETIMEDOUT when none came. */
int pb_vu_conn_recv_wait(struct pb_vu_conn *conn, struct pb_vu_msg *msg, int timeout_ms);

/* Send hdr + hdr.size payload bytes + msg->fds. The fds stay the caller's.
 * Returns 0 or -errno (-EAGAIN if the socket is full is an error here: vhost
 * messages are small and a peer that does not read is broken). */
int pb_vu_conn_send(struct pb_vu_conn *conn, const struct pb_vu_msg *msg);

/* Close msg->fds and set nfds to 0. */
void pb_vu_msg_close_fds(struct pb_vu_msg *msg);

/* Fill a message header; size is the payload length. */
static inline void pb_vu_msg_set(struct pb_vu_msg *msg, uint32_t request, uint32_t flags,
				 uint32_t size)
{
	msg->hdr.request = request;
	msg->hdr.flags = VHOST_USER_VERSION | flags;
	msg->hdr.size = size;
	msg->nfds = 0;
}

#endif /* PB_VHOST_CODEC_H */
