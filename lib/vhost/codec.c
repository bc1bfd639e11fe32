/* SPDX-License-Identifier: MIT */
/*
 * codec.c - vhost-user framing on a Unix stream socket: a 12-byte header,
 * hdr.size bytes of payload, and up to PB_VU_MAX_FDS descriptors in
 * SCM_RIGHTS beside them.
 *
 * Security model: the peer controls every byte and every descriptor. The
 * header is checked (version, payload size) before any payload is read into
 * the fixed-size buffer; descriptors beyond PB_VU_MAX_FDS are closed and the
 * stream is declared broken (-EPROTO), as is a control message the kernel had
 * to truncate. Nothing here trusts a length it did not bound first, and a
 * partial message keeps its descriptors in the connection, so closing the
 * connection never leaks one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/log.h"
#include "util/sock.h"
#include "vhost/codec.h"

#define HDR_SIZE sizeof(struct pb_vu_hdr)

const char *pb_vu_request_name(uint32_t request)
{
	switch (request) {
#define PB_VU_NAME(id, name)                                                                       \
	case id:                                                                                   \
		return #name;
		PB_VU_REQUESTS(PB_VU_NAME)
#undef PB_VU_NAME
	}
	return "UNKNOWN";
}

void pb_vu_msg_close_fds(struct pb_vu_msg *msg)
{
	unsigned n = PB_MIN(msg->nfds, (unsigned)PB_VU_MAX_FDS);

	for (unsigned i = 0; i < n; i++) {
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
		msg->fds[i] = -1;
	}
	msg->nfds = 0;
}

void pb_vu_conn_init(struct pb_vu_conn *conn, int fd)
{
	conn->fd = fd;
	conn->have = 0;
	conn->rx.nfds = 0;
	if (fd >= 0) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK))
			fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
}

void pb_vu_conn_close(struct pb_vu_conn *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
	conn->have = 0;
	pb_vu_msg_close_fds(&conn->rx);
}

/*
 * Take the SCM_RIGHTS descriptors of one recvmsg() into the partial message.
 * Every received descriptor is either kept or closed here. Returns 0, or
 * -EPROTO when the peer sent more than a message may carry.
 */
static int take_fds(struct pb_vu_conn *conn, struct msghdr *mh)
{
	struct pb_vu_msg *rx = &conn->rx;
	int err = 0;

	/* The kernel closed what did not fit; we cannot tell how many. */
	if (mh->msg_flags & MSG_CTRUNC)
		err = -EPROTO;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *p = CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, p + i * sizeof(int), sizeof(int));
			if (rx->nfds < PB_VU_MAX_FDS) {
				rx->fds[rx->nfds++] = fd;
			} else {
				close(fd);
				err = -EPROTO;
			}
		}
	}
	return err;
}

/* Check a complete header before its payload is read. */
static int check_hdr(const struct pb_vu_hdr *h)
{
	if ((h->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
		pb_warn("vhost-user: bad version in flags 0x%x", h->flags);
		return -EPROTO;
	}
	if (h->size > sizeof(union pb_vu_payload)) {
		pb_warn("vhost-user: %s: payload of %u bytes is too large",
			pb_vu_request_name(h->request), h->size);
		return -EPROTO;
	}
	return 0;
}

/* Hand the finished message to the caller and start a new one. */
static void deliver(struct pb_vu_conn *conn, struct pb_vu_msg *msg)
{
	struct pb_vu_msg *rx = &conn->rx;
	uint32_t size = rx->hdr.size;

	msg->hdr = rx->hdr;
	memcpy(msg->payload.raw, rx->payload.raw, size);
	/* A handler that reads past hdr.size sees zeros, not an older message. */
	memset(msg->payload.raw + size, 0, sizeof(msg->payload) - size);
	memcpy(msg->fds, rx->fds, rx->nfds * sizeof(int));
	msg->nfds = rx->nfds;
	rx->nfds = 0;
	conn->have = 0;
}

int pb_vu_conn_recv(struct pb_vu_conn *conn, struct pb_vu_msg *msg)
{
	struct pb_vu_msg *rx = &conn->rx;
	union {
		char buf[CMSG_SPACE(sizeof(int) * PB_VU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;

	if (conn->fd < 0)
		return -ENOTCONN;
	for (;;) {
		/* One message at a time: read no further than its end, so the
		 * next message's descriptors arrive with the next message. */
		struct iovec iov;
		if (conn->have < HDR_SIZE) {
			iov.iov_base = (uint8_t *)&rx->hdr + conn->have;
			iov.iov_len = HDR_SIZE - conn->have;
		} else {
			size_t off = conn->have - HDR_SIZE;
			iov.iov_base = rx->payload.raw + off;
			iov.iov_len = rx->hdr.size - off;
		}
		struct msghdr mh = {
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = ctl.buf,
		    .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n = recvmsg(conn->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return errno == ECONNRESET ? -ECONNRESET : -errno;
		}
		int err = take_fds(conn, &mh);
		if (err)
			return err;
		if (n == 0)
			return -ECONNRESET;
		conn->have += (size_t)n;
		if (conn->have == HDR_SIZE) {
			err = check_hdr(&rx->hdr);
			if (err)
				return err;
		}
		if (conn->have >= HDR_SIZE && conn->have == HDR_SIZE + rx->hdr.size) {
			deliver(conn, msg);
			return 1;
		}
	}
}

int pb_vu_conn_recv_wait(struct pb_vu_conn *conn, struct pb_vu_msg *msg, int timeout_ms)
{
	uint64_t deadline = pb_now_ns() + (uint64_t)PB_MAX(timeout_ms, 0) * 1000000ULL;

	for (;;) {
		int rc = pb_vu_conn_recv(conn, msg);
		if (rc != 0)
			return rc;
		uint64_t now = pb_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		/* Round up so a sub-millisecond remainder still waits. */
		int wait_ms = (int)((deadline - now + 999999) / 1000000);
		struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
		rc = poll(&pfd, 1, wait_ms);
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

int pb_vu_conn_send(struct pb_vu_conn *conn, const struct pb_vu_msg *msg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PB_VU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	uint32_t size = msg->hdr.size;

	if (conn->fd < 0)
		return -ENOTCONN;
	if (size > sizeof(msg->payload) || msg->nfds > PB_VU_MAX_FDS)
		return -EINVAL;

	/* The header and the payload are not contiguous in struct pb_vu_msg
	 * (the union is 8-byte aligned): send them as two iovecs. */
	struct iovec iov[2] = {
	    {.iov_base = (void *)&msg->hdr, .iov_len = HDR_SIZE},
	    {.iov_base = (void *)msg->payload.raw, .iov_len = size},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
	if (msg->nfds) {
		memset(ctl.buf, 0, sizeof(ctl.buf));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * msg->nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * msg->nfds);
		memcpy(CMSG_DATA(c), msg->fds, sizeof(int) * msg->nfds);
	}

	size_t left = HDR_SIZE + size;
	while (left) {
		ssize_t n = sendmsg(conn->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* vhost-user is request/reply and a message is a few
			 * hundred bytes: a socket buffer that is full means the
			 * peer stopped reading. Waiting would let it stall the
			 * thread (and every other port on it); it is an error. */
			return -errno;
		}
		/* The descriptors went with the first bytes; never again. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		left -= (size_t)n;
		/* Advance the iovecs past what was written. */
		while (n > 0 && mh.msg_iovlen) {
			size_t step = PB_MIN((size_t)n, mh.msg_iov->iov_len);
			mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base + step;
			mh.msg_iov->iov_len -= step;
			n -= (ssize_t)step;
			if (mh.msg_iov->iov_len == 0) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return 0;
}
