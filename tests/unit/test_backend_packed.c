/* SPDX-License-Identifier: MIT */
/*
 * test_backend_packed.c - the vhost-user back-end with packed rings, set
 * up by the scripted front-end of be_rig.h as DPDK's virtio-user does:
 * frames through them, a new memory table, GET/SET_VRING_BASE with their
 * wrap bits, sizes that are not powers of two, a broken ring, and a
 * front-end that acks packed rings that were never offered.
 */
#include <unistd.h>

#include "be_rig.h"

#define PACKED_FEATURES                                                                            \
	(PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VIRTIO_RING_F_EVENT_IDX) |                            \
	 PB_BIT(VIRTIO_F_RING_PACKED) | PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES))
#define FRESH_BASE 0x8000u /* slot 0, wrap counter 1 */

/* A back-end that offers packed rings too. */
static int setup_packed(void **state)
{
	return setup_with(state, PB_VNET_FEATURES | PB_BIT(VIRTIO_F_RING_PACKED));
}

#define TP(f) cmocka_unit_test_setup_teardown(f, setup_packed, teardown)

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TP(test_packed_setup),
	    TP(test_packed_sizes_and_bases),
	    TP(test_packed_broken_ring),
	    T(test_packed_not_offered),
	};

	/* Keep the output readable: warnings are expected here. */
	pb_set_log(NULL, PB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
