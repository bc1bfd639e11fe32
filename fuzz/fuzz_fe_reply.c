/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fe_reply.c - the vhost-user front-end's set-up and goodbye against a
 * hostile back-end (libFuzzer): lib/vhost/frontend_setup.c through the
 * public front-end calls (frontend.h).
 *
 * A listening front-end (server=1) is made once per shape; each input
 * connects a fake back-end to it, run in a thread, which reads every
 * request the front-end sends and answers as the input says: the right
 * reply, or one with another request id, another payload size, file
 * descriptors, no REPLY flag, a bad version, a refusal, in two pieces, an
 * unprompted request (with or without fds) first, a reply nobody asked for,
 * garbage on the wire or a hang-up. Once the set-up is over the fake may
 * send unprompted messages, and the front-end is then told to disconnect
 * (its goodbye, GET_VRING_BASE, answered the same way). When the input runs
 * out the fake answers rightly, so short inputs still reach the end.
 *
 * Checked, besides no crash or sanitizer report:
 *  - a set-up that met a bad reply to a request it awaited fails (the link
 *    does not come up), and a failed one leaves no connection, no
 *    negotiated features, and one more peer error;
 *  - a link that came up negotiated only what we offer (features, protocol
 *    features), VERSION_1, packed rings only if offered, an MTU in
 *    [68, ours] and a unicast non-zero MAC;
 *  - the process has the same open fds after every input as before it: fds
 *    a back-end sends are closed, whatever they came with.
 *
 * Input: byte 0 mode (bit 0: the front-end that asks for packed rings, bit
 * 1: its MTU is 9000), 8 bytes XORed into the features the fake offers, 8
 * into its protocol features (zero: a DPDK-like offer), then one op byte
 * per reply (low nibble the kind, high nibble an argument) with the bytes
 * some kinds take.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <patchbay/patchbay.h>

#include "net/virtio_net.h"
#include "util/sock.h"
#include "vhost/codec.h"
#include "vhost/frontend.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a DPDK vhost back-end offers (and more: CTRL_VQ, MQ, BACKEND_REQ,
 * which the front-end must not take). */
#define OFFER_F                                                                                    \
	(PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES) |                     \
	 PB_BIT(VIRTIO_NET_F_MRG_RXBUF) | PB_BIT(VIRTIO_RING_F_EVENT_IDX) |                        \
	 PB_BIT(VIRTIO_NET_F_MTU) | PB_BIT(VIRTIO_NET_F_MAC) | PB_BIT(VIRTIO_F_RING_PACKED) |      \
	 PB_BIT(VIRTIO_NET_F_CTRL_VQ))
#define OFFER_PF                                                                                   \
	(PB_BIT(VHOST_USER_PROTOCOL_F_MQ) | PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |              \
	 PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) | PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |            \
	 PB_BIT(VHOST_USER_PROTOCOL_F_STATUS) | PB_BIT(VHOST_USER_PROTOCOL_F_BACKEND_REQ))
/* The protocol features the front-end implements (frontend_setup.c). */
#define FE_PF                                                                                      \
	(PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) | PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) |         \
	 PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) | PB_BIT(VHOST_USER_PROTOCOL_F_STATUS))
#define FEATURES_OK 8u

/* Op kinds (low nibble of an op byte). */
enum {
	OP_RIGHT = 0,	      /* the right reply */
	OP_VALUE = 1,	      /* the right reply, payload XORed with input bytes */
	OP_WRONG_ID = 2,      /* + 1 byte: that request id */
	OP_WRONG_SIZE = 3,    /* + 1 byte: that payload size */
	OP_FDS = 4,	      /* the right reply with 1 + arg % 8 eventfds */
	OP_NO_REPLY_FLAG = 5, /* the reply without REPLY (then the next op) */
	OP_UNPROMPTED = 6,    /* + 2 bytes (id, size) + payload: a request, arg fds */
	OP_HANGUP = 7,
	OP_GARBAGE = 8,	    /* + 1 byte n + n bytes on the wire, then hang up */
	OP_BAD_VERSION = 9, /* the reply with a version other than 1 */
	OP_TRICKLE = 10,    /* the right reply in two writes */
	OP_NACK = 11,	    /* + 1 byte: a non-zero ack status */
	OP_SPURIOUS = 13,   /* on a request with no reply: a reply anyway */
};

struct fake {
	int fd, evfd;
	struct pb_vu_conn conn;
	const uint8_t *p;
	size_t n;
	uint64_t features, pf, status;
	bool bad;      /* a bad reply to an awaited request was sent */
	bool unjudged; /* a reply nobody asked for: the front-end may desync */
	bool closed;
	atomic_int phase; /* 0 set-up, 1 after it (post ops), 2 done */
	atomic_bool post_done, exited;
};

static struct pb_vu_msg rxm; /* the thread's; one fake at a time */

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

static int next_byte(struct fake *f)
{
	if (!f->n)
		return -1;
	f->n--;
	return *f->p++;
}

static void take(struct fake *f, void *dst, size_t len)
{
	size_t n = f->n < len ? f->n : len;

	memcpy(dst, f->p, n);
	memset((uint8_t *)dst + n, 0, len - n);
	f->p += n;
	f->n -= n;
}

/* Bytes and fds on the wire as given; a full socket or a hung-up peer ends
 * the fake. */
static void send_raw(struct fake *f, const void *buf, size_t len, unsigned nfds)
{
	int fds[16];
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (f->closed)
		return;
	nfds = nfds > 16 ? 16 : nfds;
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	if (nfds) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(f->fd, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		f->closed = true;
	for (unsigned i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void send_msg(struct fake *f, uint32_t req, uint32_t flags, const void *payload,
		     uint32_t size, unsigned nfds)
{
	uint8_t buf[12 + 256];
	struct pb_vu_hdr h = {.request = req, .flags = flags, .size = size};

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + 12, payload, size);
	send_raw(f, buf, 12 + size, nfds);
}

static bool is_get(uint32_t req)
{
	return req == VHOST_USER_GET_FEATURES || req == VHOST_USER_GET_PROTOCOL_FEATURES ||
	       req == VHOST_USER_GET_CONFIG || req == VHOST_USER_GET_STATUS ||
	       req == VHOST_USER_GET_VRING_BASE || req == VHOST_USER_GET_QUEUE_NUM;
}

/* The right payload for a reply to @m, and its size. */
static uint32_t right_payload(struct fake *f, const struct pb_vu_msg *m, uint8_t *out)
{
	uint64_t v = 0;

	switch (m->hdr.request) {
	case VHOST_USER_GET_FEATURES:
		v = f->features;
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		v = f->pf;
		break;
	case VHOST_USER_GET_STATUS:
		v = f->status;
		break;
	case VHOST_USER_GET_CONFIG: {
		struct pb_vu_config c = {.offset = 0, .size = sizeof(struct virtio_net_config)};
		struct virtio_net_config nc = {.mac = {0x02, 0, 0, 0, 0, 1},
					       .status = VIRTIO_NET_S_LINK_UP,
					       .max_virtqueue_pairs = 1,
					       .mtu = 1500};
		memcpy(c.region, &nc, sizeof(nc));
		memcpy(out, &c, PB_VU_CONFIG_HDR_SIZE + sizeof(nc));
		return PB_VU_CONFIG_HDR_SIZE + sizeof(nc);
	}
	case VHOST_USER_GET_VRING_BASE: {
		struct pb_vu_vring_state s = {.index = m->payload.state.index, .num = 0};
		memcpy(out, &s, sizeof(s));
		return sizeof(s);
	}
	default:
		break; /* an ack: 0 is success */
	}
	memcpy(out, &v, sizeof(v));
	return sizeof(v);
}

/* Would the front-end be right to refuse this otherwise well-formed reply? */
static bool refusable(const struct pb_vu_msg *m, const uint8_t *pl, uint32_t size)
{
	uint64_t v;

	if (m->hdr.request == VHOST_USER_GET_CONFIG) {
		struct pb_vu_config c;
		memcpy(&c, pl, PB_VU_CONFIG_HDR_SIZE);
		return c.offset != 0 || c.size != sizeof(struct virtio_net_config);
	}
	memcpy(&v, pl, sizeof(v));
	(void)size;
	switch (m->hdr.request) {
	case VHOST_USER_GET_FEATURES:
		return !(v & PB_BIT(VIRTIO_F_VERSION_1));
	case VHOST_USER_GET_STATUS:
		return !(v & FEATURES_OK);
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_GET_QUEUE_NUM:
		return false;
	default:
		return v != 0; /* an ack */
	}
}

/* Mark a bad reply; only the set-up's replies are judged. */
static void bad(struct fake *f)
{
	if (atomic_load(&f->phase) == 0)
		f->bad = true;
}

/* An unprompted request (kind OP_UNPROMPTED), with arg fds. */
static void unprompted(struct fake *f, unsigned arg)
{
	uint8_t pl[sizeof(union pb_vu_payload)];
	int id = next_byte(f), sz = next_byte(f);
	uint32_t size = sz < 0 ? 0 : (uint32_t)sz % (sizeof(pl) + 1);

	take(f, pl, size);
	send_msg(f, id < 0 ? VHOST_USER_SET_OWNER : (uint32_t)id, VHOST_USER_VERSION, pl, size,
		 arg);
	if (arg > PB_VU_MAX_FDS)
		bad(f); /* the codec breaks the stream: the set-up cannot go on */
}

/* Answer request @m as the input says. */
static void answer(struct fake *f, const struct pb_vu_msg *m)
{
	const uint32_t rf = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	bool needs = is_get(m->hdr.request) || (m->hdr.flags & VHOST_USER_NEED_REPLY);
	uint8_t pl[256];
	uint32_t size;

	if (m->hdr.request == VHOST_USER_SET_STATUS && m->hdr.size == 8)
		f->status = m->payload.u64;
	if (!needs) {
		if (f->n && (f->p[0] & 15) == OP_SPURIOUS) {
			next_byte(f);
			uint64_t z = 0;
			send_msg(f, m->hdr.request, rf, &z, sizeof(z), 0);
			f->unjudged = true;
		}
		return;
	}
	while (!f->closed) {
		int op = next_byte(f);
		unsigned kind = op < 0 ? OP_RIGHT : (unsigned)op & 15,
			 arg = op < 0 ? 0 : (unsigned)op >> 4;
		size = right_payload(f, m, pl);
		switch (kind) {
		case OP_VALUE: {
			uint8_t x[24];
			take(f, x, size);
			for (uint32_t i = 0; i < size; i++)
				pl[i] ^= x[i];
			if (refusable(m, pl, size))
				bad(f);
			send_msg(f, m->hdr.request, rf, pl, size, 0);
			return;
		}
		case OP_WRONG_ID: {
			int id = next_byte(f);
			uint32_t req = id < 0 ? 0 : (uint32_t)id;
			if (req != m->hdr.request)
				bad(f);
			send_msg(f, req, rf, pl, size, 0);
			return;
		}
		case OP_WRONG_SIZE: {
			int sz = next_byte(f);
			uint32_t want = size;
			size = sz < 0 ? 0 : (uint32_t)sz;
			if (size > want)
				take(f, pl + want, size - want);
			if (size != want && !(m->hdr.request == VHOST_USER_GET_CONFIG && size == 0))
				bad(f);
			send_msg(f, m->hdr.request, rf, pl, size, 0);
			return;
		}
		case OP_FDS:
			bad(f);
			send_msg(f, m->hdr.request, rf, pl, size, 1 + arg % 8);
			return;
		case OP_NO_REPLY_FLAG:
			/* Read as an unprompted request and dropped; the front-end
			 * still waits for its reply: the next op gives it. */
			send_msg(f, m->hdr.request, VHOST_USER_VERSION, pl, size, 0);
			continue;
		case OP_UNPROMPTED:
			unprompted(f, arg);
			continue;
		case OP_HANGUP:
			bad(f);
			f->closed = true;
			return;
		case OP_GARBAGE: {
			uint8_t g[256];
			int nb = next_byte(f);
			size_t len = nb < 0 ? 1 : (size_t)nb + 1;
			take(f, g, len);
			bad(f);
			send_raw(f, g, len, 0);
			f->closed = true;
			return;
		}
		case OP_BAD_VERSION: {
			uint32_t v = arg & VHOST_USER_VERSION_MASK;
			if (v == VHOST_USER_VERSION)
				v = 2;
			bad(f);
			send_msg(f, m->hdr.request, v | VHOST_USER_REPLY_MASK, pl, size, 0);
			return;
		}
		case OP_TRICKLE: {
			uint8_t buf[12 + 256];
			struct pb_vu_hdr h = {.request = m->hdr.request, .flags = rf, .size = size};
			size_t cut = 1 + arg % (11 + size);
			memcpy(buf, &h, sizeof(h));
			memcpy(buf + 12, pl, size);
			send_raw(f, buf, cut, 0);
			usleep(20);
			send_raw(f, buf + cut, 12 + size - cut, 0);
			return;
		}
		case OP_NACK: {
			int s = next_byte(f);
			if (!is_get(m->hdr.request)) {
				uint64_t v = 1 + (uint64_t)(s < 0 ? 0 : s);
				memcpy(pl, &v, sizeof(v));
				bad(f);
			}
			send_msg(f, m->hdr.request, rf, pl, size, 0);
			return;
		}
		default:
			send_msg(f, m->hdr.request, rf, pl, size, 0);
			return;
		}
	}
}

/* After the set-up: the unprompted messages, garbage or hang-up at the
 * head of what is left of the input. */
static void post_ops(struct fake *f)
{
	while (!f->closed && f->n) {
		unsigned kind = f->p[0] & 15, arg = f->p[0] >> 4;
		if (kind == OP_UNPROMPTED) {
			next_byte(f);
			unprompted(f, arg);
		} else if (kind == OP_HANGUP) {
			next_byte(f);
			f->closed = true;
		} else if (kind == OP_GARBAGE) {
			uint8_t g[256];
			next_byte(f);
			int nb = next_byte(f);
			size_t len = nb < 0 ? 1 : (size_t)nb + 1;
			take(f, g, len);
			send_raw(f, g, len, 0);
			f->closed = true;
		} else {
			break;
		}
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	pb_vu_conn_init(&f->conn, f->fd);
	while (!f->closed) {
		struct pollfd pfd[2] = {{.fd = f->fd, .events = POLLIN},
					{.fd = f->evfd, .events = POLLIN}};
		/* A bound in case the front-end waits on us for a reason this
		 * fake did not foresee: it costs time, not a hang. */
		if (poll(pfd, 2, 10000) <= 0)
			break;
		if (pfd[1].revents) {
			uint64_t v;
			if (read(f->evfd, &v, sizeof(v)) < 0) {
				/* spurious wake-up */
			}
			int ph = atomic_load(&f->phase);
			if (ph == 1 && !atomic_load(&f->post_done)) {
				post_ops(f);
				atomic_store(&f->post_done, true);
			}
			if (ph == 2)
				break;
		}
		if (pfd[0].revents) {
			int r;
			while (!f->closed && (r = pb_vu_conn_recv(&f->conn, &rxm)) == 1) {
				answer(f, &rxm);
				pb_vu_msg_close_fds(&rxm);
			}
			if (!f->closed && r < 0 && r != -EAGAIN && r != -EINTR)
				break; /* the front-end hung up */
		}
	}
	pb_vu_conn_close(&f->conn);
	atomic_store(&f->exited, true);
	return NULL;
}

/* The two front-ends, made once: split-first with MTU 1500, packed-asking
 * with 9000 (bit 0 / bit 1 of the mode byte pick them apart). */
struct fe_slot {
	struct pb_vhost_frontend fe;
	int epfd;
	char path[108];
	bool made;
};
static struct fe_slot slots[4];
static char dir[64];

static struct fe_slot *get_fe(unsigned i)
{
	struct fe_slot *s = &slots[i];

	if (s->made)
		return s;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/pb-fuzz-fe-reply.XXXXXX");
		CHECK(mkdtemp(dir));
	}
	snprintf(s->path, sizeof(s->path), "%s/fe%u", dir, i);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(s->epfd >= 0);
	struct pb_vhost_frontend_cfg cfg = {
	    .path = s->path,
	    .server = true,
	    .queue_size = 8,
	    .mtu = (i & 2) ? 9000 : 1500,
	    .packed = i & 1,
	};
	CHECK(pb_vhost_frontend_init(&s->fe, &cfg, s->epfd) == 0);
	s->made = true;
	return s;
}

static void wake(struct fake *f)
{
	uint64_t one = 1;

	CHECK(write(f->evfd, &one, sizeof(one)) == sizeof(one));
}

static void check_up(const struct pb_vhost_frontend *fe)
{
	static const uint8_t zero[6];
	uint64_t allowed = fe->cfg.features | PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES);

	CHECK(fe->conn.fd >= 0);
	CHECK((fe->features & ~allowed) == 0);
	CHECK(fe->features & PB_BIT(VIRTIO_F_VERSION_1));
	CHECK((fe->protocol_features & ~FE_PF) == 0);
	CHECK(fe->packed == !!(fe->features & PB_BIT(VIRTIO_F_RING_PACKED)));
	CHECK(fe->config.mtu >= PB_MTU_MIN && fe->config.mtu <= fe->cfg.mtu);
	CHECK(!(fe->config.mac[0] & 1) && memcmp(fe->config.mac, zero, 6) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake f;
	uint64_t xf = 0, xpf = 0;

	/* FUZZ_VERBOSE=1: what each input did (for writing seeds). */
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	pb_set_log(quiet_log, PB_LOG_DEBUG);
	if (size < 1)
		return 0;
	struct fe_slot *s = get_fe(data[0] & 3);
	struct pb_vhost_frontend *fe = &s->fe;
	int fds_before = open_fds();

	memset(&f, 0, sizeof(f));
	f.p = data + 1;
	f.n = size - 1;
	take(&f, &xf, sizeof(xf));
	take(&f, &xpf, sizeof(xpf));
	f.features = OFFER_F ^ xf;
	f.pf = OFFER_PF ^ xpf;
	f.fd = pb_sock_connect(s->path);
	CHECK(f.fd >= 0);
	f.evfd = eventfd(0, EFD_CLOEXEC);
	CHECK(f.evfd >= 0);

	pthread_t thr;
	uint64_t errors = fe->peer_errors;
	CHECK(pthread_create(&thr, NULL, fake_main, &f) == 0);
	CHECK(!fe->up);
	pb_vhost_frontend_dispatch(fe); /* accepts and runs the whole set-up */
	bool up = fe->up;

	/* Read by the main thread only after the fake has finished the set-up
	 * replies: the front-end's last request was answered before dispatch
	 * returned (or the set-up failed, and then `bad` no longer changes). */
	atomic_store(&f.phase, 1);
	wake(&f);
	for (int i = 0; i < 20000 && !atomic_load(&f.post_done) && !atomic_load(&f.exited); i++)
		usleep(50);
	bool was_bad = f.bad, unjudged = f.unjudged;
	if (verbose)
		fprintf(stderr, "up %d, bad reply %d, unjudged %d, features 0x%llx, pf 0x%llx\n",
			up, was_bad, unjudged, (unsigned long long)fe->features,
			(unsigned long long)fe->protocol_features);
	if (up) {
		if (was_bad && !unjudged)
			fprintf(stderr, "the link came up after a bad reply\n");
		CHECK(!was_bad || unjudged);
		check_up(fe);
		/* What the fake sent after the set-up, then the goodbye. */
		for (int i = 0; i < 3; i++)
			pb_vhost_frontend_dispatch(fe);
		pb_vhost_frontend_disconnect(fe, "fuzz");
	} else {
		CHECK(fe->conn.fd < 0);
		CHECK(fe->features == 0 && fe->protocol_features == 0);
		CHECK(fe->peer_errors == errors + 1);
	}
	CHECK(!fe->up && fe->conn.fd < 0);
	atomic_store(&f.phase, 2);
	wake(&f);
	CHECK(pthread_join(thr, NULL) == 0);
	close(f.evfd);
	/* A refused second connection or a stray call: nothing left over. */
	pb_vhost_frontend_dispatch(fe);
	int fds_after = open_fds();
	if (fds_after != fds_before)
		fprintf(stderr, "open fds: %d before, %d after\n", fds_before, fds_after);
	CHECK(fds_after == fds_before);
	return 0;
}
