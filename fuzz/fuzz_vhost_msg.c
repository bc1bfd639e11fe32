/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vhost_msg.c - libFuzzer harness for the vhost-user back-end: the
 * input is a sequence of front-end messages, fed either straight to
 * pb_vhost_backend_handle() or through the socket, the codec and dispatch.
 *
 * Input:
 *   byte 0        mode: bit 0 set = through the socket (codec + dispatch),
 *                 bit 1 set = the backend offers packed rings too
 *   then records:
 *     byte        fd count (low nibble, modulo PB_VU_MAX_FDS + 1)
 *     1 byte/fd   bit 7: an eventfd; else a memfd of ((b & 15) + 1) pages
 *     12 bytes    header (request, flags, size), as on the wire
 *     payload     min(size, what is left, 4096) bytes
 *
 * Every iteration starts from a fresh back-end and must end with the same
 * open fds it started with and nothing mapped: a leak aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <patchbay/patchbay.h>

#include "vhost/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t n;
};

static struct pb_vhost_backend be;
static struct pb_vu_msg msg;

__attribute__((format(printf, 2, 0))) static void quiet_log(enum pb_log_level level,
							    const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static size_t take(struct input *in, void *out, size_t len)
{
	size_t n = len < in->n ? len : in->n;

	memcpy(out, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

static int take_byte(struct input *in)
{
	uint8_t b;

	return take(in, &b, 1) ? b : -1;
}

static int make_fd(int kind)
{
	if (kind & 0x80)
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, ((kind & 15) + 1) * 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A fresh connection: the back-end gets one end, we keep the other. */
static int connect_pair(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	if (pb_vhost_backend_attach(&be, sv[0]) < 0)
		abort();
	return sv[1];
}

/* Read and discard whatever the back-end replied. */
static void drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* Next record into msg; false at the end of the input. */
static bool next_msg(struct input *in)
{
	int f = take_byte(in);

	if (f < 0)
		return false;
	msg.nfds = 0;
	for (unsigned i = 0; i < (unsigned)(f & 15) % (PB_VU_MAX_FDS + 1); i++) {
		int kind = take_byte(in);
		int fd = make_fd(kind < 0 ? 0 : kind);
		if (fd >= 0)
			msg.fds[msg.nfds++] = fd;
	}
	if (take(in, &msg.hdr, sizeof(msg.hdr)) < sizeof(msg.hdr)) {
		pb_vu_msg_close_fds(&msg);
		return false;
	}
	memset(&msg.payload, 0, sizeof(msg.payload));
	take(in, msg.payload.raw,
	     msg.hdr.size < sizeof(msg.payload) ? msg.hdr.size : sizeof(msg.payload));
	return true;
}

/* Straight to the handler, as dispatch would after the codec. */
static int feed_direct(int peer)
{
	int rc = pb_vhost_backend_handle(&be, &msg);

	drain(peer);
	if (rc < 0) {
		pb_vhost_backend_disconnect(&be, "fuzz");
		close(peer);
		peer = connect_pair();
	}
	return peer;
}

/* Through the socket: the bytes as given, the fds beside them. */
static int feed_socket(int peer)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PB_VU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	size_t plen = msg.hdr.size < sizeof(msg.payload) ? msg.hdr.size : sizeof(msg.payload);
	struct iovec iov[2] = {{&msg.hdr, sizeof(msg.hdr)}, {msg.payload.raw, plen}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	if (msg.nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * msg.nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * msg.nfds);
		memcpy(CMSG_DATA(c), msg.fds, sizeof(int) * msg.nfds);
	}
	(void)sendmsg(peer, &mh, MSG_NOSIGNAL | MSG_DONTWAIT); /* a full socket drops it */
	pb_vu_msg_close_fds(&msg);			       /* the kernel passed copies */
	pb_vhost_backend_dispatch(&be);
	drain(peer);
	if (be.conn.fd < 0) {
		close(peer);
		peer = connect_pair();
	}
	return peer;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct pb_vhost_backend_cfg cfg = {.mac = {0x02, 0, 0, 0, 0, 1}};
	int mode = take_byte(&in);
	int fds = open_fds();

	/* bit 1: the backend also offers packed rings (as a vhost: port does) */
	if (mode >= 0 && (mode & 2))
		cfg.features = PB_VNET_FEATURES | PB_BIT(VIRTIO_F_RING_PACKED);
	if (mode < 0)
		return 0;
	pb_set_log(quiet_log, PB_LOG_ERR);
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || pb_vhost_backend_init(&be, &cfg, epfd) < 0)
		abort();
	int peer = connect_pair();
	while (next_msg(&in))
		peer = (mode & 1) ? feed_socket(peer) : feed_direct(peer);
	pb_vhost_backend_fini(&be);
	close(peer);
	close(epfd);
	/* No fd and no mapping outlives the back-end. */
	if (be.mem.nregions != 0 || open_fds() != fds)
		abort();
	return 0;
}
