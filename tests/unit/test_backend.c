/* SPDX-License-Identifier: MIT */
/*
 * test_backend.c - the vhost-user back-end driven by a scripted front-end
 * over a socketpair (and over real sockets for the server/client modes).
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <patchbay/patchbay.h>

#include "util/sock.h"
#include "vhost/backend.h"

/* The front-end's memory: one memfd, both rings and some buffers. */
#define MEM_SIZE     (64 * 1024)
#define MEM_GPA	     0x100000ULL
#define MEM_UVA	     0x7f0000000000ULL
#define QSIZE	     256
#define RING_OFF(q)  ((uint64_t)(q)*16384)
#define DESC_OFF(q)  (RING_OFF(q))
#define AVAIL_OFF(q) (RING_OFF(q) + 4096)
#define USED_OFF(q)  (RING_OFF(q) + 8192)
#define BUF_OFF	     32768

static const uint8_t test_mac[6] = {0x02, 0, 0, 0xaa, 0xbb, 0xcc};

struct fx {
	struct pb_vhost_backend be;
	struct pb_vu_conn fe; /* the scripted front-end's end */
	int epfd;
	int memfd;
	uint8_t *mem;
	int kick[2];
	int call[2];
	int fds_before;
};

static struct fx fx_storage;

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct pb_vhost_backend_cfg test_cfg(void)
{
	struct pb_vhost_backend_cfg cfg = {.mtu = 1500};

	memcpy(cfg.mac, test_mac, 6);
	return cfg;
}

static int setup_with(void **state, uint64_t features)
{
	struct fx *f = &fx_storage;
	struct pb_vhost_backend_cfg cfg = test_cfg();
	int sv[2];

	cfg.features = features;
	memset(f, 0, sizeof(*f));
	f->fds_before = open_fds();
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	f->memfd = memfd_create("test-backend", MFD_CLOEXEC);
	if (f->epfd < 0 || f->memfd < 0 || ftruncate(f->memfd, MEM_SIZE) < 0)
		return -1;
	f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	if (f->mem == MAP_FAILED)
		return -1;
	for (int q = 0; q < 2; q++) {
		f->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	if (pb_vhost_backend_init(&f->be, &cfg, f->epfd) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (pb_vhost_backend_attach(&f->be, sv[0]) < 0)
		return -1;
	pb_vu_conn_init(&f->fe, sv[1]);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0);
}

/* A back-end that offers packed rings too. */
static int setup_packed(void **state)
{
	return setup_with(state, PB_VNET_FEATURES | PB_BIT(VIRTIO_F_RING_PACKED));
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pb_vhost_backend_fini(&f->be);
	pb_vu_conn_close(&f->fe);
	for (int q = 0; q < 2; q++) {
		close(f->kick[q]);
		close(f->call[q]);
	}
	munmap(f->mem, MEM_SIZE);
	close(f->memfd);
	close(f->epfd);
	/* Every fd the back-end was given or made is closed again. */
	assert_int_equal(open_fds(), f->fds_before);
	assert_int_equal(f->be.mem.nregions, 0);
	return 0;
}

/* ---- the scripted front-end -------------------------------------------- */

/* Send a request and let the back-end handle it. */
static void request(struct fx *f, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
		    const int *fds, unsigned nfds)
{
	static struct pb_vu_msg m;

	pb_vu_msg_set(&m, req, flags, size);
	if (size)
		memcpy(m.payload.raw, payload, size);
	for (unsigned i = 0; i < nfds; i++)
		m.fds[i] = fds[i];
	m.nfds = nfds;
	assert_int_equal(pb_vu_conn_send(&f->fe, &m), 0);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
}

static void request_u64(struct fx *f, uint32_t req, uint32_t flags, uint64_t v)
{
	request(f, req, flags, &v, sizeof(v), NULL, 0);
}

static void request_state(struct fx *f, uint32_t req, uint32_t flags, uint32_t index, uint32_t num)
{
	struct pb_vu_vring_state s = {index, num};

	request(f, req, flags, &s, sizeof(s), NULL, 0);
}

/* The reply to @req, already sent by the back-end (dispatch is synchronous). */
static struct pb_vu_msg *reply(struct fx *f, uint32_t req)
{
	static struct pb_vu_msg r;

	assert_int_equal(pb_vu_conn_recv(&f->fe, &r), 1);
	assert_int_equal(r.hdr.request, req);
	assert_int_equal(r.hdr.flags, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	assert_int_equal(r.nfds, 0);
	return &r;
}

static uint64_t reply_u64(struct fx *f, uint32_t req)
{
	struct pb_vu_msg *r = reply(f, req);

	assert_int_equal(r->hdr.size, 8);
	return r->payload.u64;
}

static void assert_no_reply(struct fx *f)
{
	struct pb_vu_msg r;

	assert_int_equal(pb_vu_conn_recv(&f->fe, &r), 0);
}

static void assert_connected(struct fx *f)
{
	assert_true(f->be.conn.fd >= 0);
	assert_int_equal(f->be.peer_errors, 0);
	assert_int_equal(f->be.disconnects, 0);
}

static void assert_dropped(struct fx *f, uint64_t peer_errors)
{
	struct pb_vu_msg r;

	assert_int_equal(f->be.conn.fd, -1);
	assert_int_equal(f->be.disconnects, 1);
	assert_int_equal(f->be.peer_errors, peer_errors);
	assert_int_equal(pb_vu_conn_recv(&f->fe, &r), -ECONNRESET);
	/* Everything of that connection is gone. */
	assert_int_equal(f->be.mem.nregions, 0);
	assert_true(f->be.features == 0 && f->be.protocol_features == 0);
	for (int q = 0; q < 2; q++) {
		assert_int_equal(f->be.vring[q].kickfd, -1);
		assert_int_equal(f->be.vring[q].dq.callfd, -1);
		assert_null(f->be.vring[q].dq.desc);
	}
}

static void send_mem_table(struct fx *f, uint32_t flags)
{
	struct pb_vu_memory t = {.nregions = 1};

	t.regions[0] = (struct pb_vu_mem_region){MEM_GPA, MEM_SIZE, MEM_UVA, 0};
	request(f, VHOST_USER_SET_MEM_TABLE, flags, &t, 8 + 32, &f->memfd, 1);
}

static void send_vring_fd(struct fx *f, uint32_t req, uint32_t flags, unsigned q, int fd)
{
	uint64_t v = q;

	request(f, req, flags, &v, 8, &fd, 1);
}

static void send_vring_addr(struct fx *f, unsigned q)
{
	struct pb_vu_vring_addr a = {
	    .index = q,
	    .desc_user_addr = MEM_UVA + DESC_OFF(q),
	    .avail_user_addr = MEM_UVA + AVAIL_OFF(q),
	    .used_user_addr = MEM_UVA + USED_OFF(q),
	};

	request(f, VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
}

#define TEST_PROTOCOL_FEATURES                                                                     \
	(PB_BIT(VHOST_USER_PROTOCOL_F_MQ) | PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |              \
	 PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) | PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |            \
	 PB_BIT(VHOST_USER_PROTOCOL_F_STATUS) | PB_BIT(VHOST_USER_PROTOCOL_F_RESET_DEVICE) |       \
	 PB_BIT(VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS))

/* ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK */
#define STATUS_DRIVER_UP 0xfu

static void negotiate(struct fx *f, bool protocol)
{
	uint64_t offered;

	request(f, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
	offered = reply_u64(f, VHOST_USER_GET_FEATURES);
	assert_true(offered & PB_BIT(VIRTIO_F_VERSION_1));
	assert_true(offered & PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES));
	assert_true(offered & PB_BIT(VIRTIO_RING_F_EVENT_IDX));
	if (protocol) {
		request(f, VHOST_USER_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0);
		uint64_t pf = reply_u64(f, VHOST_USER_GET_PROTOCOL_FEATURES);
		assert_true((pf & TEST_PROTOCOL_FEATURES) == TEST_PROTOCOL_FEATURES);
		request_u64(f, VHOST_USER_SET_PROTOCOL_FEATURES, 0, TEST_PROTOCOL_FEATURES);
	}
	request(f, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	request_u64(f, VHOST_USER_SET_FEATURES, 0,
		    PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VIRTIO_RING_F_EVENT_IDX) |
			(protocol ? PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES) : 0));
	assert_no_reply(f);
}

/* What QEMU does after negotiating: memory, then each ring, then enable. */
static void setup_rings(struct fx *f, bool protocol, uint16_t base1)
{
	send_mem_table(f, VHOST_USER_NEED_REPLY);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_MEM_TABLE), 0);
	assert_int_equal(f->be.mem.nregions, 1);
	for (unsigned q = 0; q < 2; q++) {
		send_vring_fd(f, VHOST_USER_SET_VRING_CALL, 0, q, f->call[q]);
		request_state(f, VHOST_USER_SET_VRING_NUM, 0, q, QSIZE);
		request_state(f, VHOST_USER_SET_VRING_BASE, 0, q, q == 1 ? base1 : 0);
		send_vring_addr(f, q);
		assert_true(pb_vq_dev_attached(&f->be.vring[q].dq));
		send_vring_fd(f, VHOST_USER_SET_VRING_KICK, 0, q, f->kick[q]);
	}
	assert_no_reply(f);
	if (protocol) {
		/* Rings start disabled once protocol features are negotiated. */
		assert_false(pb_vhost_backend_ready(&f->be));
		for (unsigned q = 0; q < 2; q++)
			request_state(f, VHOST_USER_SET_VRING_ENABLE, 0, q, 1);
		/* With PROTOCOL_F_STATUS the device waits for DRIVER_OK. */
		assert_false(pb_vhost_backend_ready(&f->be));
		request_u64(f, VHOST_USER_SET_STATUS, 0, STATUS_DRIVER_UP);
	}
	assert_true(pb_vhost_backend_ready(&f->be));
	assert_connected(f);
}

/* ---- tests -------------------------------------------------------------- */

static void test_setup_ready(void **state)
{
	struct fx *f = *state;
	struct pb_vhost_backend *be = &f->be;
	struct epoll_event ev;
	uint64_t v;

	negotiate(f, true);
	setup_rings(f, true, 0);
	assert_int_equal(be->connects, 1);
	assert_true(be->features & PB_BIT(VIRTIO_RING_F_EVENT_IDX));
	for (int q = 0; q < 2; q++) {
		struct pb_vq_dev *dq = &be->vring[q].dq;
		assert_true(dq->event_idx);
		assert_false(dq->indirect);
		assert_int_equal(dq->num, QSIZE);
		/* The ring areas are where the front-end put them. */
		uint8_t *host = be->mem.regions[0].host;
		assert_int_equal((uint8_t *)dq->desc - host, DESC_OFF(q));
		assert_int_equal((uint8_t *)dq->avail - host, AVAIL_OFF(q));
		assert_int_equal((uint8_t *)dq->used - host, USED_OFF(q));
		assert_true(dq->callfd >= 0 && dq->callfd != f->call[q]);
	}
	/* The mapping is shared with the front-end's. */
	f->mem[BUF_OFF] = 0x5a;
	assert_int_equal(be->mem.regions[0].host[BUF_OFF], 0x5a);

	/* Kick fds are in the caller's epoll set and drained by dispatch. */
	v = 1;
	assert_int_equal(write(f->kick[1], &v, 8), 8);
	assert_int_equal(epoll_wait(f->epfd, &ev, 1, 0), 1);
	assert_int_equal(pb_vhost_backend_dispatch(be), 0);
	assert_int_equal(read(f->kick[1], &v, 8), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(epoll_wait(f->epfd, &ev, 1, 0), 0);

	/* Ready is counted once per connection. */
	assert_int_equal(pb_vhost_backend_dispatch(be), 0);
	assert_int_equal(be->connects, 1);
}

/* Without VHOST_USER_F_PROTOCOL_FEATURES rings start enabled. */
static void test_legacy_rings_enabled(void **state)
{
	struct fx *f = *state;

	negotiate(f, false);
	setup_rings(f, false, 0);
	assert_true(f->be.vring[0].enabled && f->be.vring[1].enabled);
}

/* Rings come up whatever order the pieces arrive in (DPDK sends memory
 * after the call fds, addresses after the base, ...). */
static void test_any_order(void **state)
{
	struct fx *f = *state;

	negotiate(f, false);
	for (unsigned q = 0; q < 2; q++) {
		send_vring_fd(f, VHOST_USER_SET_VRING_KICK, 0, q, f->kick[q]);
		send_vring_addr(f, q);
		request_state(f, VHOST_USER_SET_VRING_BASE, 0, q, 7);
		assert_false(pb_vq_dev_attached(&f->be.vring[q].dq));
		request_state(f, VHOST_USER_SET_VRING_NUM, 0, q, QSIZE);
		assert_false(pb_vq_dev_attached(&f->be.vring[q].dq)); /* no memory yet */
	}
	assert_false(pb_vhost_backend_ready(&f->be));
	send_mem_table(f, 0);
	assert_true(pb_vhost_backend_ready(&f->be));
	assert_int_equal(f->be.vring[1].dq.last_avail, 7);
	assert_int_equal(f->be.vring[1].dq.callfd, -1); /* no call fd: the driver polls */
	assert_connected(f);
}

/* Post @n chains of one 64-byte buffer on ring @q, starting at avail index
 * @from, as the driver would. */
static void driver_post(struct fx *f, unsigned q, uint16_t from, unsigned n)
{
	struct vring_desc *desc = (struct vring_desc *)(f->mem + DESC_OFF(q));
	struct vring_avail *avail = (struct vring_avail *)(f->mem + AVAIL_OFF(q));

	for (unsigned i = 0; i < n; i++) {
		uint16_t head = (uint16_t)((from + i) % QSIZE);
		desc[head] = (struct vring_desc){MEM_GPA + BUF_OFF + head * 64u, 64, 0, 0};
		avail->ring[head] = head;
	}
	__atomic_store_n(&avail->idx, (uint16_t)(from + n), __ATOMIC_RELEASE);
}

/* The data path consumes what is available, as the port would. */
static unsigned device_consume(struct pb_vq_dev *dq)
{
	struct pb_vq_chain c;
	unsigned n = pb_vq_dev_avail(dq), done = 0;

	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(pb_vq_dev_pop(dq, &c), PB_VQ_POP_OK);
		assert_int_equal(c.out_len, 64);
		pb_vq_dev_push(dq, c.head, 0);
		done++;
	}
	pb_vq_dev_flush(dq);
	return done;
}

static void test_get_vring_base(void **state)
{
	struct fx *f = *state;
	struct pb_vu_msg *r;

	negotiate(f, true);
	setup_rings(f, true, 5);
	driver_post(f, 1, 5, 3);
	assert_int_equal(device_consume(&f->be.vring[1].dq), 3);

	request_state(f, VHOST_USER_GET_VRING_BASE, 0, 1, 0);
	r = reply(f, VHOST_USER_GET_VRING_BASE);
	assert_int_equal(r->hdr.size, 8);
	assert_int_equal(r->payload.state.index, 1);
	assert_int_equal(r->payload.state.num, 8); /* 5 + the 3 consumed */
	/* The ring is stopped: no kick fd, not attached, not live. */
	assert_false(pb_vhost_vring_live(&f->be.vring[1]));
	assert_false(pb_vhost_backend_ready(&f->be));
	assert_int_equal(f->be.vring[1].kickfd, -1);
	assert_null(f->be.vring[1].dq.desc);
	assert_true(pb_vhost_vring_live(&f->be.vring[0]));

	/* A restart as QEMU does it: base, addresses, kick. */
	request_state(f, VHOST_USER_SET_VRING_BASE, 0, 1, 8);
	send_vring_addr(f, 1);
	send_vring_fd(f, VHOST_USER_SET_VRING_KICK, 0, 1, f->kick[1]);
	assert_true(pb_vhost_backend_ready(&f->be));
	assert_int_equal(f->be.vring[1].dq.last_avail, 8);
	assert_connected(f);
}

/* A new memory table re-binds running rings where they were, not at the
 * base they were set up with. */
static void test_remap_keeps_progress(void **state)
{
	struct fx *f = *state;

	negotiate(f, true);
	setup_rings(f, true, 5);
	driver_post(f, 1, 5, 3);
	assert_int_equal(device_consume(&f->be.vring[1].dq), 3);
	uint64_t calls = f->be.vring[1].dq.calls;

	send_mem_table(f, VHOST_USER_NEED_REPLY);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_MEM_TABLE), 0);
	assert_true(pb_vhost_backend_ready(&f->be));
	assert_int_equal(f->be.vring[1].dq.last_avail, 8);
	assert_int_equal(f->be.vring[1].dq.used_idx, 8);
	assert_true(f->be.vring[1].dq.calls == calls);
	driver_post(f, 1, 8, 2);
	assert_int_equal(device_consume(&f->be.vring[1].dq), 2);
	assert_connected(f);
}

static void test_reply_ack(void **state)
{
	struct fx *f = *state;

	negotiate(f, true);
	setup_rings(f, true, 0);
	request_state(f, VHOST_USER_SET_VRING_ENABLE, VHOST_USER_NEED_REPLY, 0, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_VRING_ENABLE), 0);
	assert_false(f->be.vring[0].enabled);
	/* Not a power of two: the request fails, the link stays. */
	request_state(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY, 0, 100);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_NUM), 0);
	request_state(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY, 0, 65536);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_NUM), 0);
	/* A request that replies anyway replies once, with its body. */
	request(f, VHOST_USER_GET_FEATURES, VHOST_USER_NEED_REPLY, NULL, 0, NULL, 0);
	assert_true(reply_u64(f, VHOST_USER_GET_FEATURES) & PB_BIT(VIRTIO_F_VERSION_1));
	assert_no_reply(f);
	/* Without NEED_REPLY, no ack. */
	request_state(f, VHOST_USER_SET_VRING_ENABLE, 0, 0, 1);
	assert_no_reply(f);
	assert_true(pb_vhost_backend_ready(&f->be));
	/* A driver reset (status 0) takes the device down until DRIVER_OK. */
	request_u64(f, VHOST_USER_SET_STATUS, 0, 0);
	assert_false(pb_vhost_backend_ready(&f->be));
	request_u64(f, VHOST_USER_SET_STATUS, 0, STATUS_DRIVER_UP);
	assert_true(pb_vhost_backend_ready(&f->be));
	assert_connected(f);
}

static void test_bad_ring_index(void **state)
{
	struct fx *f = *state;
	int efd = eventfd(0, EFD_CLOEXEC);
	int fds = open_fds();

	negotiate(f, true);
	request_state(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY, 2, QSIZE);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_NUM), 0);
	request_state(f, VHOST_USER_SET_VRING_ENABLE, VHOST_USER_NEED_REPLY, 0xffffffff, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_ENABLE), 0);
	/* The fd of a refused SET_VRING_KICK is closed, not kept. */
	send_vring_fd(f, VHOST_USER_SET_VRING_KICK, VHOST_USER_NEED_REPLY, 255, efd);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_KICK), 0);
	assert_int_equal(open_fds(), fds);
	/* A query about a ring we lack gets a failure answer, not silence. */
	request_state(f, VHOST_USER_GET_VRING_BASE, 0, 2, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_GET_VRING_BASE), 0);
	assert_connected(f);
	close(efd);
}

static void test_unknown_request(void **state)
{
	struct fx *f = *state;
	int efd = eventfd(0, EFD_CLOEXEC);
	int fds = open_fds();
	uint64_t v = 0;

	negotiate(f, true);
	request_u64(f, 99, VHOST_USER_NEED_REPLY, 0);
	assert_int_not_equal(reply_u64(f, 99), 0);
	request_u64(f, 99, 0, 0);
	assert_no_reply(f);
	request_u64(f, 0, 0, 0);
	assert_no_reply(f);
	/* Not offered: logging. Its fd is closed. */
	request(f, VHOST_USER_SET_LOG_FD, 0, NULL, 0, &efd, 1);
	assert_no_reply(f);
	assert_int_equal(open_fds(), fds);
	request(f, VHOST_USER_SET_LOG_BASE, VHOST_USER_NEED_REPLY, &v, 8, &efd, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_LOG_BASE), 0);
	assert_int_equal(open_fds(), fds);
	/* IOTLB messages are always answered: with a failure. */
	struct pb_vu_iotlb iotlb = {.type = 2};
	request(f, VHOST_USER_IOTLB_MSG, 0, &iotlb, sizeof(iotlb), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_IOTLB_MSG), 0);
	/* Postcopy is not offered: a failure, not a hang. */
	request(f, VHOST_USER_POSTCOPY_ADVISE, 0, NULL, 0, NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_POSTCOPY_ADVISE), 0);
	/* Nor inflight tracking: an empty area. */
	struct pb_vu_inflight inf = {.mmap_size = 4096, .num_queues = 2, .queue_size = 256};
	request(f, VHOST_USER_GET_INFLIGHT_FD, 0, &inf, sizeof(inf), NULL, 0);
	struct pb_vu_msg *r = reply(f, VHOST_USER_GET_INFLIGHT_FD);
	assert_int_equal(r->hdr.size, sizeof(inf));
	assert_true(r->payload.inflight.mmap_size == 0);
	assert_no_reply(f);
	/* Gated on a protocol feature that was not acked: not served. */
	request(f, VHOST_USER_SET_BACKEND_REQ_FD, VHOST_USER_NEED_REPLY, NULL, 0, &efd, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_BACKEND_REQ_FD), 0);
	assert_int_equal(f->be.backend_req_fd, -1);
	assert_int_equal(open_fds(), fds);
	assert_connected(f);
	close(efd);
}

/* One malformed message per case; each must cost the peer its link. */
struct bad_msg {
	const char *what;
	uint32_t req;
	uint32_t size;
	uint8_t payload[64];
	unsigned nfds; /* eventfds attached */
};

static const struct bad_msg bad_msgs[] = {
    {"short state", VHOST_USER_SET_VRING_NUM, 4, {0}, 0},
    {"long state", VHOST_USER_SET_VRING_BASE, 12, {0}, 0},
    {"u64 missing", VHOST_USER_SET_FEATURES, 0, {0}, 0},
    {"short address", VHOST_USER_SET_VRING_ADDR, 32, {0}, 0},
    {"payload on a query", VHOST_USER_GET_FEATURES, 8, {0}, 0},
    {"fd on SET_OWNER", VHOST_USER_SET_OWNER, 0, {0}, 1},
    {"two kick fds", VHOST_USER_SET_VRING_KICK, 8, {0}, 2},
    {"no fd, flag clear", VHOST_USER_SET_VRING_CALL, 8, {0}, 0},
    {"fd with the no-fd flag", VHOST_USER_SET_VRING_KICK, 8, {0, 1}, 1},
    {"2 regions, 1 fd", VHOST_USER_SET_MEM_TABLE, 8 + 64, {2}, 1},
    {"9 regions", VHOST_USER_SET_MEM_TABLE, 8 + 9 * 32 - 8, {9}, 0},
    {"table size mismatch", VHOST_USER_SET_MEM_TABLE, 8 + 40, {1}, 1},
    {"short table", VHOST_USER_SET_MEM_TABLE, 4, {0}, 0},
    {"unoffered feature", VHOST_USER_SET_FEATURES, 8, {0, 0, 0, 0, 0, 0, 0, 0x80}, 0},
    {"unoffered protocol feature", VHOST_USER_SET_PROTOCOL_FEATURES, 8, {0, 0x40}, 0},
    {"config size mismatch", VHOST_USER_GET_CONFIG, 12 + 4, {0, 0, 0, 0, 12}, 0},
    {"short config", VHOST_USER_GET_CONFIG, 8, {0}, 0},
};

static void test_malformed_disconnects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_msgs) / sizeof(bad_msgs[0]); i++) {
		const struct bad_msg *b = &bad_msgs[i];
		static uint8_t payload[4096];
		int fds[2];
		void *st;

		print_message("malformed: %s\n", b->what);
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		for (unsigned k = 0; k < b->nfds; k++)
			fds[k] = eventfd(0, EFD_CLOEXEC);
		memset(payload, 0, sizeof(payload));
		memcpy(payload, b->payload, sizeof(b->payload));
		request(f, b->req, VHOST_USER_NEED_REPLY, payload, b->size, fds, b->nfds);
		for (unsigned k = 0; k < b->nfds; k++)
			close(fds[k]);
		assert_dropped(f, 1);
		teardown(&st);
	}
}

/* Trouble after a full set-up: everything is released. */
static void test_malformed_after_setup(void **state)
{
	struct fx *f = *state;

	negotiate(f, true);
	setup_rings(f, true, 0);
	request(f, VHOST_USER_SET_VRING_NUM, 0, "abc", 3, NULL, 0);
	assert_dropped(f, 1);
	assert_false(pb_vhost_backend_ready(&f->be));
	/* Counters survive the connection. */
	assert_int_equal(f->be.connects, 1);
}

/* A front-end that writes garbage into its avail index breaks the ring;
 * dispatch drops it. */
static void test_broken_ring(void **state)
{
	struct fx *f = *state;
	struct vring_avail *avail = (struct vring_avail *)(f->mem + AVAIL_OFF(1));

	negotiate(f, true);
	setup_rings(f, true, 0);
	avail->idx = 1000; /* more than QSIZE ahead */
	assert_int_equal(pb_vq_dev_avail(&f->be.vring[1].dq), 0);
	assert_true(f->be.vring[1].dq.broken);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_dropped(f, 1);
}

/* A broken ring cannot be mended by re-sending its address: the drop
 * happens before the next message is read. */
static void test_broken_ring_not_reset(void **state)
{
	struct fx *f = *state;
	struct vring_avail *avail = (struct vring_avail *)(f->mem + AVAIL_OFF(1));

	negotiate(f, true);
	setup_rings(f, true, 0);
	avail->idx = 1000;
	assert_int_equal(pb_vq_dev_avail(&f->be.vring[1].dq), 0);
	send_vring_addr(f, 1);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_dropped(f, 1);
}

/* Notification fds must be eventfds: a pipe is refused with a NACK. */
static void test_kick_not_eventfd(void **state)
{
	struct fx *f = *state;
	int p[2];

	negotiate(f, true);
	assert_int_equal(pipe(p), 0);
	send_vring_fd(f, VHOST_USER_SET_VRING_CALL, VHOST_USER_NEED_REPLY, 0, p[1]);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_CALL), 0);
	assert_int_equal(f->be.vring[0].dq.callfd, -1);
	send_vring_fd(f, VHOST_USER_SET_VRING_KICK, VHOST_USER_NEED_REPLY, 1, p[0]);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_KICK), 0);
	assert_false(f->be.vring[1].started);
	assert_connected(f);
	close(p[0]);
	close(p[1]);
}

/* ---- packed rings ---- */

#define PACKED_FEATURES                                                                            \
	(PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VIRTIO_RING_F_EVENT_IDX) |                            \
	 PB_BIT(VIRTIO_F_RING_PACKED) | PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES))
#define FRESH_BASE 0x8000u /* slot 0, wrap counter 1 */

static void negotiate_packed(struct fx *f)
{
	request(f, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
	uint64_t offered = reply_u64(f, VHOST_USER_GET_FEATURES);
	assert_true(offered & PB_BIT(VIRTIO_F_RING_PACKED));
	request_u64(f, VHOST_USER_SET_PROTOCOL_FEATURES, 0, TEST_PROTOCOL_FEATURES);
	request(f, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	request_u64(f, VHOST_USER_SET_FEATURES, 0, PACKED_FEATURES);
	assert_no_reply(f);
	assert_true(f->be.vring[0].packed && f->be.vring[1].packed);
}

/* As DPDK's virtio-user sends a packed ring: call fd first, then num,
 * base (slot | wrap << 15, low half only), addresses, kick, enable. */
static void setup_packed_rings(struct fx *f, uint32_t base1)
{
	send_mem_table(f, 0);
	for (unsigned q = 0; q < 2; q++) {
		send_vring_fd(f, VHOST_USER_SET_VRING_CALL, 0, q, f->call[q]);
		request_state(f, VHOST_USER_SET_VRING_NUM, 0, q, QSIZE);
		request_state(f, VHOST_USER_SET_VRING_BASE, 0, q, q == 1 ? base1 : FRESH_BASE);
		send_vring_addr(f, q); /* avail: driver area, used: device area */
		assert_true(pb_pq_dev_attached(&f->be.vring[q].pq));
		assert_null(f->be.vring[q].dq.desc);
		send_vring_fd(f, VHOST_USER_SET_VRING_KICK, 0, q, f->kick[q]);
		request_state(f, VHOST_USER_SET_VRING_ENABLE, 0, q, 1);
	}
	request_u64(f, VHOST_USER_SET_STATUS, 0, STATUS_DRIVER_UP);
	assert_no_reply(f);
	assert_true(pb_vhost_backend_ready(&f->be));
	assert_connected(f);
}

/* The driver makes @n one-buffer chains available on packed ring @q from
 * slot @slot on, under wrap counter @wrap, ids = slots. */
static void packed_post(struct fx *f, unsigned q, uint16_t slot, bool wrap, unsigned n)
{
	struct vring_packed_desc *d = (struct vring_packed_desc *)(f->mem + DESC_OFF(q));

	for (unsigned i = 0; i < n; i++) {
		uint16_t s = (uint16_t)((slot + i) % QSIZE);
		bool w = (slot + i) / QSIZE ? !wrap : wrap;
		d[s].addr = MEM_GPA + BUF_OFF + (s % 32) * 64u;
		d[s].len = 64;
		d[s].id = s;
		__atomic_store_n(
		    &d[s].flags,
		    (uint16_t)(w ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED),
		    __ATOMIC_RELEASE);
	}
}

static unsigned packed_consume(struct pb_pq_dev *pq)
{
	struct pb_vq_chain c;
	unsigned done = 0;

	pb_pq_dev_avail(pq);
	while (pb_pq_dev_pop(pq, &c) == PB_VQ_POP_OK) {
		assert_int_equal(c.out_len, 64);
		pb_pq_dev_push(pq, c.head, 0);
		done++;
	}
	pb_pq_dev_flush(pq);
	return done;
}

static void test_packed_setup(void **state)
{
	struct fx *f = *state;
	struct pb_vhost_backend *be = &f->be;
	uint64_t v;

	negotiate_packed(f);
	setup_packed_rings(f, FRESH_BASE);
	for (int q = 0; q < 2; q++) {
		struct pb_pq_dev *pq = &be->vring[q].pq;
		uint8_t *host = be->mem.regions[0].host;
		assert_true(pq->event_idx);
		assert_false(pq->indirect);
		assert_int_equal(pq->num, QSIZE);
		assert_int_equal((uint8_t *)pq->desc - host, DESC_OFF(q));
		assert_int_equal((uint8_t *)pq->driver_event - host, AVAIL_OFF(q));
		assert_int_equal((uint8_t *)pq->device_event - host, USED_OFF(q));
		assert_int_equal(pq->last_avail, 0);
		assert_true(pq->avail_wrap && pq->used_wrap);
		/* One call fd, seen by both views. */
		assert_true(pq->callfd >= 0 && pq->callfd == be->vring[q].dq.callfd);
		assert_true(pb_vhost_vring_live(&be->vring[q]));
	}
	/* Frames through the TX ring; the driver asked for calls (ENABLE). */
	packed_post(f, 1, 0, true, 3);
	assert_int_equal(packed_consume(&be->vring[1].pq), 3);
	assert_int_equal(read(f->call[1], &v, 8), 8);
	assert_true(pb_vhost_vring_calls(&be->vring[1]) == 1);
	struct vring_packed_desc *d = (struct vring_packed_desc *)(f->mem + DESC_OFF(1));
	assert_int_equal(d[0].flags & (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED),
			 VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED);

	/* A new memory table re-binds the ring where it was. */
	send_mem_table(f, VHOST_USER_NEED_REPLY);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_MEM_TABLE), 0);
	assert_true(pb_vhost_backend_ready(be));
	assert_int_equal(be->vring[1].pq.last_avail, 3);
	assert_int_equal(be->vring[1].pq.used_idx, 3);
	assert_true(pb_vhost_vring_calls(&be->vring[1]) == 1);

	/* GET_VRING_BASE: both halves, with their wrap bits. */
	request_state(f, VHOST_USER_GET_VRING_BASE, 0, 1, 0);
	struct pb_vu_msg *r = reply(f, VHOST_USER_GET_VRING_BASE);
	assert_int_equal(r->payload.state.num, 0x80038003u);
	assert_false(pb_vhost_vring_live(&be->vring[1]));
	assert_null(be->vring[1].pq.desc);

	/* Restarted DPDK-style (low half only), past the end of the ring. */
	request_state(f, VHOST_USER_SET_VRING_BASE, 0, 1, QSIZE - 2 + FRESH_BASE);
	send_vring_addr(f, 1);
	send_vring_fd(f, VHOST_USER_SET_VRING_KICK, 0, 1, f->kick[1]);
	assert_true(pb_vhost_backend_ready(be));
	assert_int_equal(be->vring[1].pq.last_avail, QSIZE - 2);
	assert_int_equal(be->vring[1].pq.used_idx, QSIZE - 2);
	packed_post(f, 1, QSIZE - 2, true, 4);
	assert_int_equal(packed_consume(&be->vring[1].pq), 4);
	request_state(f, VHOST_USER_GET_VRING_BASE, 0, 1, 0);
	r = reply(f, VHOST_USER_GET_VRING_BASE);
	assert_int_equal(r->payload.state.num, 0x00020002u); /* slot 2, wrap 0 */
	assert_connected(f);
}

/* Packed rings may have any size; their base is checked against it. */
static void test_packed_sizes_and_bases(void **state)
{
	struct fx *f = *state;
	struct pb_vhost_backend *be = &f->be;

	negotiate_packed(f);
	send_mem_table(f, 0);
	request_state(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY, 0, 100);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_VRING_NUM), 0);
	request_state(f, VHOST_USER_SET_VRING_BASE, 0, 0, 0x8000 | 99);
	send_vring_addr(f, 0);
	assert_true(pb_pq_dev_attached(&be->vring[0].pq));
	assert_int_equal(be->vring[0].pq.last_avail, 99);
	/* A position beyond the ring: the ring does not attach. */
	request_state(f, VHOST_USER_SET_VRING_BASE, VHOST_USER_NEED_REPLY, 0, 0x8000 | 100);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_VRING_BASE), 1);
	assert_false(pb_pq_dev_attached(&be->vring[0].pq));
	request_state(f, VHOST_USER_SET_VRING_BASE, VHOST_USER_NEED_REPLY, 0,
		      (100u << 16) | 0x8000);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_VRING_BASE), 1);
	/* QEMU's form: both halves. */
	request_state(f, VHOST_USER_SET_VRING_BASE, VHOST_USER_NEED_REPLY, 0, 0x00058007u);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_VRING_BASE), 0);
	assert_int_equal(be->vring[0].pq.last_avail, 7);
	assert_true(be->vring[0].pq.avail_wrap);
	assert_int_equal(be->vring[0].pq.used_idx, 5);
	assert_false(be->vring[0].pq.used_wrap);
	/* Dropping VIRTIO_F_RING_PACKED turns the rings split again: a split
	 * ring of 100 is not a thing, and a packed base is not a split one. */
	request_u64(f, VHOST_USER_SET_FEATURES, VHOST_USER_NEED_REPLY,
		    PACKED_FEATURES & ~PB_BIT(VIRTIO_F_RING_PACKED));
	assert_int_equal(reply_u64(f, VHOST_USER_SET_FEATURES), 1);
	assert_false(be->vring[0].packed);
	assert_null(be->vring[0].pq.desc);
	assert_null(be->vring[0].dq.desc);
	request_state(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY, 0, 100);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_VRING_NUM), 1);
	assert_connected(f);
}

/* A driver that breaks a packed ring loses the connection. */
static void test_packed_broken_ring(void **state)
{
	struct fx *f = *state;
	struct vring_packed_desc *d = (struct vring_packed_desc *)(f->mem + DESC_OFF(1));

	negotiate_packed(f);
	setup_packed_rings(f, FRESH_BASE);
	d[0] = (struct vring_packed_desc){MEM_GPA + BUF_OFF, 64, QSIZE, VRING_PACKED_DESC_F_AVAIL};
	struct pb_vq_chain c;
	assert_int_equal(pb_pq_dev_pop(&f->be.vring[1].pq, &c), PB_VQ_POP_BROKEN);
	assert_false(pb_vhost_vring_live(&f->be.vring[1]));
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_dropped(f, 1);
	assert_null(f->be.vring[1].pq.desc);
	assert_int_equal(f->be.vring[1].pq.callfd, -1);
}

/* A front-end that never offered packed rings cannot ack them. */
static void test_packed_not_offered(void **state)
{
	struct fx *f = *state;

	request(f, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
	assert_false(reply_u64(f, VHOST_USER_GET_FEATURES) & PB_BIT(VIRTIO_F_RING_PACKED));
	request_u64(f, VHOST_USER_SET_FEATURES, 0, PACKED_FEATURES);
	assert_dropped(f, 1);
}

static void test_config(void **state)
{
	struct fx *f = *state;
	struct pb_vu_config c = {.offset = 0, .size = 12};
	struct pb_vu_msg *r;
	struct virtio_net_config nc;

	negotiate(f, true);
	request(f, VHOST_USER_GET_CONFIG, 0, &c, 12 + 12, NULL, 0);
	r = reply(f, VHOST_USER_GET_CONFIG);
	assert_int_equal(r->hdr.size, 24);
	memcpy(&nc, r->payload.config.region, sizeof(nc));
	assert_memory_equal(nc.mac, test_mac, 6);
	assert_int_equal(nc.status, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(nc.max_virtqueue_pairs, 1);
	assert_int_equal(nc.mtu, 1500);

	/* DPDK asks for [0, offset+len) and fields we do not have read 0. */
	c.size = 24;
	request(f, VHOST_USER_GET_CONFIG, 0, &c, 12 + 24, NULL, 0);
	r = reply(f, VHOST_USER_GET_CONFIG);
	assert_int_equal(r->hdr.size, 36);
	assert_int_equal(r->payload.config.region[12], 0);

	/* Out of config space: the empty answer. */
	c.offset = 250;
	c.size = 10;
	request(f, VHOST_USER_GET_CONFIG, 0, &c, 12 + 10, NULL, 0);
	assert_int_equal(reply(f, VHOST_USER_GET_CONFIG)->hdr.size, 0);

	request_u64(f, VHOST_USER_NET_SET_MTU, VHOST_USER_NEED_REPLY, 9000);
	assert_int_equal(reply_u64(f, VHOST_USER_NET_SET_MTU), 0);
	assert_int_equal(f->be.config.mtu, 9000);
	request_u64(f, VHOST_USER_NET_SET_MTU, VHOST_USER_NEED_REPLY, 20);
	assert_int_not_equal(reply_u64(f, VHOST_USER_NET_SET_MTU), 0);
	assert_int_equal(f->be.config.mtu, 9000);

	/* Read-only config space refuses a plain write. */
	c.offset = 0;
	c.size = 6;
	c.flags = 0;
	request(f, VHOST_USER_SET_CONFIG, VHOST_USER_NEED_REPLY, &c, 12 + 6, NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_CONFIG), 0);
	assert_connected(f);
}

static void test_queries_and_status(void **state)
{
	struct fx *f = *state;

	negotiate(f, true);
	request(f, VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_GET_QUEUE_NUM), 1);
	request(f, VHOST_USER_GET_MAX_MEM_SLOTS, 0, NULL, 0, NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_GET_MAX_MEM_SLOTS), PB_GUEST_MEM_MAX_REGIONS);
	request_u64(f, VHOST_USER_SET_STATUS, VHOST_USER_NEED_REPLY, 0xf);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_STATUS), 0);
	request(f, VHOST_USER_GET_STATUS, 0, NULL, 0, NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_GET_STATUS), 0xf);
	request_u64(f, VHOST_USER_SET_STATUS, VHOST_USER_NEED_REPLY, 0x100);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_STATUS), 0);
	request_u64(f, VHOST_USER_SEND_RARP, 0, 0);
	assert_no_reply(f);
	assert_connected(f);
}

static void test_add_rem_mem_reg(void **state)
{
	struct fx *f = *state;
	struct pb_vu_single_region reg = {0, {MEM_GPA, MEM_SIZE, MEM_UVA, 0}};

	negotiate(f, true);
	for (unsigned q = 0; q < 2; q++) {
		request_state(f, VHOST_USER_SET_VRING_NUM, 0, q, QSIZE);
		send_vring_addr(f, q);
		send_vring_fd(f, VHOST_USER_SET_VRING_KICK, 0, q, f->kick[q]);
		request_state(f, VHOST_USER_SET_VRING_ENABLE, 0, q, 1);
	}
	request_u64(f, VHOST_USER_SET_STATUS, 0, STATUS_DRIVER_UP);
	assert_false(pb_vhost_backend_ready(&f->be));
	request(f, VHOST_USER_ADD_MEM_REG, VHOST_USER_NEED_REPLY, &reg, sizeof(reg), &f->memfd, 1);
	assert_int_equal(reply_u64(f, VHOST_USER_ADD_MEM_REG), 0);
	assert_true(pb_vhost_backend_ready(&f->be));
	/* The same region again overlaps: refused. */
	request(f, VHOST_USER_ADD_MEM_REG, VHOST_USER_NEED_REPLY, &reg, sizeof(reg), &f->memfd, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_ADD_MEM_REG), 0);
	assert_int_equal(f->be.mem.nregions, 1);
	/* A region larger than its file is refused (it would SIGBUS). */
	struct pb_vu_single_region big = {0, {0x40000000, 2 * MEM_SIZE, 0x100000000, 0}};
	request(f, VHOST_USER_ADD_MEM_REG, VHOST_USER_NEED_REPLY, &big, sizeof(big), &f->memfd, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_ADD_MEM_REG), 0);

	request(f, VHOST_USER_REM_MEM_REG, VHOST_USER_NEED_REPLY, &reg, sizeof(reg), NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_REM_MEM_REG), 0);
	assert_int_equal(f->be.mem.nregions, 0);
	assert_false(pb_vhost_backend_ready(&f->be));
	assert_null(f->be.vring[0].dq.desc);
	request(f, VHOST_USER_REM_MEM_REG, VHOST_USER_NEED_REPLY, &reg, sizeof(reg), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_REM_MEM_REG), 0);
	assert_connected(f);
}

/* Ring addresses outside the memory: the ring stays unbound, a NACK. */
static void test_ring_outside_memory(void **state)
{
	struct fx *f = *state;
	struct pb_vu_vring_addr a = {
	    .index = 0,
	    .desc_user_addr = MEM_UVA + MEM_SIZE - 4096, /* 256 x 16 = 4096: fits */
	    .avail_user_addr = MEM_UVA + MEM_SIZE - 16,	 /* 518 bytes: does not */
	    .used_user_addr = MEM_UVA,
	};

	negotiate(f, true);
	send_mem_table(f, 0);
	request_state(f, VHOST_USER_SET_VRING_NUM, 0, 0, QSIZE);
	request(f, VHOST_USER_SET_VRING_ADDR, VHOST_USER_NEED_REPLY, &a, sizeof(a), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_ADDR), 0);
	assert_null(f->be.vring[0].dq.desc);
	a.avail_user_addr = MEM_UVA + 8 + 1; /* misaligned */
	request(f, VHOST_USER_SET_VRING_ADDR, VHOST_USER_NEED_REPLY, &a, sizeof(a), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_ADDR), 0);
	assert_null(f->be.vring[0].dq.desc);
	assert_connected(f);
}

/*
 * Found by fuzz_vhost_msg: a region whose user address is not congruent
 * with its file offset (uva = mmap base + 1) makes aligned ring addresses
 * land on misaligned host pointers, and the data path's atomics on them are
 * undefined (UBSan: misaligned vring_used). Whether guest memory refuses the
 * region or the ring refuses the addresses, the ring must not be bound.
 */
static void test_misaligned_region(void **state)
{
	struct fx *f = *state;
	struct pb_vu_memory t = {.nregions = 1};
	struct pb_vu_vring_addr a = {
	    .index = 0,
	    .desc_user_addr = MEM_UVA + 16,
	    .avail_user_addr = MEM_UVA + 4096,
	    .used_user_addr = MEM_UVA + 8192,
	};

	negotiate(f, true);
	t.regions[0] = (struct pb_vu_mem_region){MEM_GPA, MEM_SIZE - 4096, MEM_UVA + 1, 0};
	request(f, VHOST_USER_SET_MEM_TABLE, VHOST_USER_NEED_REPLY, &t, 8 + 32, &f->memfd, 1);
	reply_u64(f, VHOST_USER_SET_MEM_TABLE); /* refusing the region is one way */
	request_state(f, VHOST_USER_SET_VRING_NUM, 0, 0, QSIZE);
	request(f, VHOST_USER_SET_VRING_ADDR, VHOST_USER_NEED_REPLY, &a, sizeof(a), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_ADDR), 0);
	assert_null(f->be.vring[0].dq.desc);
	assert_connected(f);
}

static void test_reset_device(void **state)
{
	struct fx *f = *state;

	negotiate(f, true);
	setup_rings(f, true, 0);
	request(f, VHOST_USER_RESET_DEVICE, VHOST_USER_NEED_REPLY, NULL, 0, NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_RESET_DEVICE), 0);
	assert_false(pb_vhost_backend_ready(&f->be));
	assert_int_equal(f->be.mem.nregions, 0);
	assert_true(f->be.features == 0);
	assert_int_equal(f->be.vring[0].kickfd, -1);
	/* The session (protocol features) survives: the device can be set
	 * up again on the same connection. */
	assert_true(f->be.protocol_features == TEST_PROTOCOL_FEATURES);
	negotiate(f, true);
	setup_rings(f, true, 0);
}

/* The fds of a set-up are closed on disconnect, and the mapping goes. */
static void test_disconnect_releases(void **state)
{
	struct fx *f = *state;
	int fds = open_fds();

	negotiate(f, true);
	setup_rings(f, true, 0);
	assert_true(open_fds() >= fds + 4); /* 2 kick + 2 call */
	pb_vhost_backend_disconnect(&f->be, "test");
	assert_int_equal(open_fds(), fds - 1); /* and the socket */
	assert_int_equal(f->be.mem.nregions, 0);
	assert_int_equal(f->be.disconnects, 1);
	assert_int_equal(f->be.peer_errors, 0);
	/* Idempotent. */
	pb_vhost_backend_disconnect(&f->be, "again");
	assert_int_equal(f->be.disconnects, 1);
}

/* ---- real sockets ------------------------------------------------------- */

static char tmpdir[64];
static char sockpath[128];

static void make_tmp_path(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pb-test-backend-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(sockpath, sizeof(sockpath), "%s/vhost.sock", tmpdir);
}

static void request_on(struct pb_vu_conn *c, struct pb_vhost_backend *be, uint32_t req)
{
	struct pb_vu_msg m;

	pb_vu_msg_set(&m, req, 0, 0);
	assert_int_equal(pb_vu_conn_send(c, &m), 0);
	assert_int_equal(pb_vhost_backend_dispatch(be), 0);
}

static void test_server(void **state)
{
	static struct pb_vhost_backend be;
	struct pb_vhost_backend_cfg cfg = test_cfg();
	struct pb_vu_conn c1, c2;
	struct pb_vu_msg r;
	int fds = open_fds();

	(void)state;
	make_tmp_path();
	cfg.path = sockpath;
	cfg.server = true;
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), 0);
	assert_true(be.listen_fd >= 0);

	pb_vu_conn_init(&c1, pb_sock_connect(sockpath));
	assert_true(c1.fd >= 0);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_true(be.conn.fd >= 0);

	/* One front-end at a time: a second is accepted and closed. */
	pb_vu_conn_init(&c2, pb_sock_connect(sockpath));
	assert_true(c2.fd >= 0);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_int_equal(pb_vu_conn_recv_wait(&c2, &r, 1000), -ECONNRESET);
	pb_vu_conn_close(&c2);

	request_on(&c1, &be, VHOST_USER_GET_FEATURES);
	assert_int_equal(pb_vu_conn_recv_wait(&c1, &r, 1000), 1);
	assert_true(r.payload.u64 & PB_BIT(VIRTIO_F_VERSION_1));

	/* The first hangs up: the server keeps listening. */
	pb_vu_conn_close(&c1);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_int_equal(be.conn.fd, -1);
	assert_int_equal(be.disconnects, 1);
	assert_int_equal(be.peer_errors, 0);
	pb_vu_conn_init(&c2, pb_sock_connect(sockpath));
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_true(be.conn.fd >= 0);
	pb_vu_conn_close(&c2);

	pb_vhost_backend_fini(&be);
	assert_int_equal(access(sockpath, F_OK), -1); /* unlinked */
	assert_int_equal(open_fds(), fds);
	rmdir(tmpdir);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void test_client_reconnect(void **state)
{
	static struct pb_vhost_backend be;
	struct pb_vhost_backend_cfg cfg = test_cfg();
	struct pb_vu_conn c;
	struct pb_vu_msg r;
	struct epoll_event ev;
	int fds = open_fds();
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	(void)state;
	make_tmp_path();
	cfg.path = sockpath;
	cfg.reconnect_ms = 200;
	/* Nobody listens yet: not an error, a retry. */
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, epfd), 0);
	assert_int_equal(be.conn.fd, -1);
	int lfd = pb_sock_listen(sockpath);
	assert_true(lfd >= 0);
	/* Too early: no retry. */
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_int_equal(be.conn.fd, -1);
	/* The reconnect timer wakes the caller's epoll. */
	assert_int_equal(epoll_wait(epfd, &ev, 1, 1000), 1);
	assert_int_equal(ev.data.fd, be.timerfd);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_true(be.conn.fd >= 0);

	int afd = -1;
	for (int i = 0; i < 100 && afd < 0; i++, sleep_ms(1))
		afd = pb_sock_accept(lfd);
	assert_true(afd >= 0);
	pb_vu_conn_init(&c, afd);
	request_on(&c, &be, VHOST_USER_GET_QUEUE_NUM);
	assert_int_equal(pb_vu_conn_recv_wait(&c, &r, 1000), 1);
	assert_true(r.payload.u64 == 1);

	/* The front-end goes away: the client retries later. */
	pb_vu_conn_close(&c);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_int_equal(be.conn.fd, -1);
	assert_int_equal(be.disconnects, 1);
	sleep_ms(250);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_true(be.conn.fd >= 0);

	pb_vhost_backend_fini(&be);
	/* A client does not unlink the front-end's socket. */
	assert_int_equal(access(sockpath, F_OK), 0);
	close(lfd);
	unlink(sockpath);
	rmdir(tmpdir);
	close(epfd);
	assert_int_equal(open_fds(), fds);
}

static void test_init_errors(void **state)
{
	static struct pb_vhost_backend be;
	struct pb_vhost_backend_cfg cfg = test_cfg();
	char longpath[200];
	int fds = open_fds();

	(void)state;
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	cfg.path = longpath;
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), -ENAMETOOLONG);
	cfg.path = "";
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), -EINVAL);
	cfg.path = NULL;
	cfg.mtu = 20;
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), -EINVAL);
	cfg.mtu = 0;
	cfg.features = PB_BIT(VIRTIO_F_IN_ORDER) | PB_BIT(VIRTIO_NET_F_CTRL_VQ);
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), 0);
	/* Defaults, and only what the device side implements. */
	assert_int_equal(be.config.mtu, PB_MTU_DEFAULT);
	assert_true(be.cfg.features == PB_BIT(VIRTIO_F_VERSION_1));
	pb_vhost_backend_fini(&be);
	/* Packed rings are implemented, offered only when asked for. */
	cfg.features = PB_BIT(VIRTIO_F_RING_PACKED);
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), 0);
	assert_true(be.cfg.features == (PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VIRTIO_F_RING_PACKED)));
	pb_vhost_backend_fini(&be);
	cfg.features = 0;
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), 0);
	assert_false(be.cfg.features & PB_BIT(VIRTIO_F_RING_PACKED));
	pb_vhost_backend_fini(&be);
	pb_vhost_backend_fini(&be); /* idempotent */
	assert_int_equal(open_fds(), fds);
}

#define T(f)  cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TP(f) cmocka_unit_test_setup_teardown(f, setup_packed, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_setup_ready),
	    T(test_legacy_rings_enabled),
	    T(test_any_order),
	    T(test_get_vring_base),
	    T(test_remap_keeps_progress),
	    T(test_reply_ack),
	    T(test_bad_ring_index),
	    T(test_unknown_request),
	    cmocka_unit_test(test_malformed_disconnects),
	    T(test_malformed_after_setup),
	    T(test_broken_ring),
	    T(test_broken_ring_not_reset),
	    T(test_kick_not_eventfd),
	    TP(test_packed_setup),
	    TP(test_packed_sizes_and_bases),
	    TP(test_packed_broken_ring),
	    T(test_packed_not_offered),
	    T(test_config),
	    T(test_queries_and_status),
	    T(test_add_rem_mem_reg),
	    T(test_ring_outside_memory),
	    T(test_misaligned_region),
	    T(test_reset_device),
	    T(test_disconnect_releases),
	    cmocka_unit_test(test_server),
	    cmocka_unit_test(test_client_reconnect),
	    cmocka_unit_test(test_init_errors),
	};

	/* Keep the output readable: warnings are expected here. */
	pb_set_log(NULL, PB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
