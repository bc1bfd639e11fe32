/* SPDX-License-Identifier: MIT */
/*
 * be_rig.c - the fixture and the scripted front-end of be_rig.h, shared by
 * the test_backend_*.c programs.
 */
#include "be_rig.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

const uint8_t test_mac[6] = {0x02, 0, 0, 0xaa, 0xbb, 0xcc};

static struct fx fx_storage;

int open_fds(void)
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

struct pb_vhost_backend_cfg test_cfg(void)
{
	struct pb_vhost_backend_cfg cfg = {.mtu = 1500};

	memcpy(cfg.mac, test_mac, 6);
	return cfg;
}

int setup_with(void **state, uint64_t features)
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

int setup(void **state)
{
	return setup_with(state, 0);
}

int teardown(void **state)
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
void request(struct fx *f, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
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

void request_u64(struct fx *f, uint32_t req, uint32_t flags, uint64_t v)
{
	request(f, req, flags, &v, sizeof(v), NULL, 0);
}

void request_state(struct fx *f, uint32_t req, uint32_t flags, uint32_t index, uint32_t num)
{
	struct pb_vu_vring_state s = {index, num};

	request(f, req, flags, &s, sizeof(s), NULL, 0);
}

/* The reply to @req, already sent by the back-end (dispatch is synchronous). */
struct pb_vu_msg *reply(struct fx *f, uint32_t req)
{
	static struct pb_vu_msg r;

	assert_int_equal(pb_vu_conn_recv(&f->fe, &r), 1);
	assert_int_equal(r.hdr.request, req);
	assert_int_equal(r.hdr.flags, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	assert_int_equal(r.nfds, 0);
	return &r;
}

uint64_t reply_u64(struct fx *f, uint32_t req)
{
	struct pb_vu_msg *r = reply(f, req);

	assert_int_equal(r->hdr.size, 8);
	return r->payload.u64;
}

void assert_no_reply(struct fx *f)
{
	struct pb_vu_msg r;

	assert_int_equal(pb_vu_conn_recv(&f->fe, &r), 0);
}

void assert_connected(struct fx *f)
{
	assert_true(f->be.conn.fd >= 0);
	assert_int_equal(f->be.peer_errors, 0);
	assert_int_equal(f->be.disconnects, 0);
}

void assert_dropped(struct fx *f, uint64_t peer_errors)
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

void send_mem_table(struct fx *f, uint32_t flags)
{
	struct pb_vu_memory t = {.nregions = 1};

	t.regions[0] = (struct pb_vu_mem_region){MEM_GPA, MEM_SIZE, MEM_UVA, 0};
	request(f, VHOST_USER_SET_MEM_TABLE, flags, &t, 8 + 32, &f->memfd, 1);
}

void send_vring_fd(struct fx *f, uint32_t req, uint32_t flags, unsigned q, int fd)
{
	uint64_t v = q;

	request(f, req, flags, &v, 8, &fd, 1);
}

void send_vring_addr(struct fx *f, unsigned q)
{
	struct pb_vu_vring_addr a = {
	    .index = q,
	    .desc_user_addr = MEM_UVA + DESC_OFF(q),
	    .avail_user_addr = MEM_UVA + AVAIL_OFF(q),
	    .used_user_addr = MEM_UVA + USED_OFF(q),
	};

	request(f, VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
}

void negotiate(struct fx *f, bool protocol)
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
void setup_rings(struct fx *f, bool protocol, uint16_t base1)
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
