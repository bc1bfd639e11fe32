/* SPDX-License-Identifier: MIT */
/*
 * test_backend_setup.c - the vhost-user back-end set up by the scripted
 * front-end of be_rig.h: ready with and without protocol features, the
 * pieces in any order, a ring stopped (GET_VRING_BASE) and restarted, a new
 * memory table under running rings, a device reset, and what a disconnect
 * gives back.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "be_rig.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_setup_ready),	 T(test_legacy_rings_enabled), T(test_any_order),
	    T(test_get_vring_base),	 T(test_remap_keeps_progress), T(test_reset_device),
	    T(test_disconnect_releases),
	};

	/* Keep the output readable: warnings are expected here. */
	pb_set_log(NULL, PB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
