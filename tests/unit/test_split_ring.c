/* SPDX-License-Identifier: MIT */
/*
 * test_split_ring.c - what only the split virtqueue has, on the rig of
 * ring_rig.h: attaching its three areas (alignment, translation, the base
 * across the avail index's wrap), avail indices too far ahead, heads and
 * next links out of range, loops, the order rule inside indirect tables,
 * used entries with 32-bit ids and used indices too far, and EVENT_IDX
 * ignoring the flags. Scenarios both ring kinds share are test_ring_*.c;
 * chains and indirect tables are test_split_chains.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "split_hand.h"

static void test_attach_errors(void **state)
{
	struct rig *r = split_rig(8, 256, false, true, true);
	struct pb_vq_dev *d = &r->vq.dev;
	uint64_t desc = G(r->vq.drv.desc), avail = G(r->vq.drv.avail), used = G(r->vq.drv.used);
	const uint16_t bad_num[] = {0, 3, 6, 100, 65535};

	(void)state;
	for (size_t i = 0; i < PB_ARRAY_SIZE(bad_num); i++)
		assert_int_equal(
		    pb_vq_dev_attach(d, &r->mem, bad_num[i], desc, avail, used, 0, true, true),
		    -EINVAL);
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc + 8, avail, used, 0, true, true),
			 -EINVAL);
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc, avail + 1, used, 0, true, true),
			 -EINVAL);
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc, avail, used + 2, 0, true, true),
			 -EINVAL);
	/* Areas outside guest memory, or running off its end. */
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, 0x1000, avail, used, 0, true, true),
			 -EFAULT);
	assert_int_equal(
	    pb_vq_dev_attach(d, &r->mem, 8, desc, G(r->map) + r->size - 8, used, 0, true, true),
	    -EFAULT);
	assert_int_equal(
	    pb_vq_dev_attach(d, &r->mem, 8, desc, avail, G(r->map) + r->size - 32, 0, true, true),
	    -EFAULT);
	/* A GPA is not a UVA: translate the ring addresses as UVAs only. */
	struct pb_guest_mem *m2 = calloc(1, sizeof(*m2));
	assert_non_null(m2);
	pb_guest_mem_init(m2);
	assert_int_equal(pb_guest_mem_add(m2, r->fd, G(r->map), r->size, 0x10000000, 0), 0);
	assert_int_equal(pb_vq_dev_attach(d, m2, 8, desc, avail, used, 0, true, true), -EFAULT);
	pb_guest_mem_clear(m2);
	/* Aligned UVAs that land on misaligned host bytes (the region's UVA is
	 * not congruent with its file offset): the index atomics need natural
	 * alignment, so refused. */
	uint64_t ring_off = G(r->vq.drv.desc) - G(r->map);
	assert_int_equal(pb_guest_mem_add(m2, r->fd, 0x10000, r->size - 8, 0x7000000, 8), 0);
	assert_int_equal(pb_vq_dev_attach(d, m2, 8, 0x7000000 + ring_off,
					  0x7000000 + ring_off + 4096, 0x7000000 + ring_off + 8192,
					  0, true, true),
			 -EINVAL);
	pb_guest_mem_clear(m2);
	free(m2);
	/* Failures leave the queue as it was. */
	assert_ptr_equal(d->desc, rig_dev_view(r, r->vq.drv.desc));
	assert_true(pb_vq_dev_attached(d));

	/* callfd survives attach; detach keeps last_avail (GET_VRING_BASE). */
	d->callfd = 42;
	d->last_avail = 5;
	pb_vq_dev_detach(d);
	assert_false(pb_vq_dev_attached(d));
	assert_int_equal(d->last_avail, 5);
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc, avail, used, 3, true, true), 0);
	assert_int_equal(d->callfd, 42);
	assert_int_equal(d->last_avail, 3);
	assert_int_equal(d->used_idx, 3);
	d->callfd = -1;
	/* Attaching also resets a broken queue. */
	d->broken = true;
	assert_int_equal(pb_vq_dev_attach(d, &r->mem, 8, desc, avail, used, 0, true, true), 0);
	assert_true(pb_vq_dev_attached(d));
	rig_free(r);
}

/* A ring taken over mid-life (SET_VRING_BASE) just before avail->idx wraps. */
static void test_attach_base_wrap(void **state)
{
	struct rig *r = split_rig(8, 128, false, false, false);
	const uint16_t base = 65532;

	(void)state;
	pb_vq_dev_detach(&r->vq.dev);
	r->vq.drv.avail->idx = base;
	r->vq.drv.used->idx = base;
	for (uint16_t k = 0; k < 7; k++) {
		put_desc(r, k, G(rig_buf(r, k)), 10 + k, 0, 0);
		offer(r, k);
	}
	assert_int_equal(r->vq.drv.avail->idx, (uint16_t)(base + 7));
	assert_int_equal(pb_vq_dev_attach(&r->vq.dev, &r->mem, 8, G(r->vq.drv.desc),
					  G(r->vq.drv.avail), G(r->vq.drv.used), base, false,
					  false),
			 0);
	assert_int_equal(pb_vq_dev_avail(&r->vq.dev), 7);
	for (uint16_t k = 0; k < 7; k++) {
		assert_int_equal(pb_vq_dev_pop(&r->vq.dev, &r->chain), PB_VQ_POP_OK);
		assert_int_equal(r->chain.head, k);
		assert_int_equal(r->chain.out_len, 10 + k);
		pb_vq_dev_push(&r->vq.dev, k, k);
	}
	assert_int_equal(pb_vq_dev_pop(&r->vq.dev, &r->chain), PB_VQ_POP_EMPTY);
	pb_vq_dev_flush(&r->vq.dev);
	assert_int_equal(r->vq.drv.used->idx, (uint16_t)(base + 7));
	for (uint16_t k = 0; k < 7; k++) {
		assert_int_equal(r->vq.drv.used->ring[(uint16_t)(base + k) & 7].id, k);
		assert_int_equal(r->vq.drv.used->ring[(uint16_t)(base + k) & 7].len, k);
	}
	assert_int_equal(r->vq.dev.last_avail, (uint16_t)(base + 7));
	rig_free(r);
}

static void test_avail_idx_too_far(void **state)
{
	struct rig *r = split_rig(8, 256, false, true, true);

	(void)state;
	/* Exactly num ahead is a full ring: fine. */
	for (uint16_t i = 0; i < 8; i++)
		offer(r, i);
	assert_int_equal(pb_vq_dev_avail(&r->vq.dev), 8);
	for (uint16_t i = 0; i < 8; i++)
		assert_int_equal(pb_vq_dev_pop(&r->vq.dev, &r->chain), PB_VQ_POP_OK);
	assert_true(pb_vq_dev_attached(&r->vq.dev));
	/* num + 1 ahead: broken (and said so), nothing popped. */
	rig_last_log[0] = 0;
	r->vq.drv.avail->idx = (uint16_t)(8 + 9);
	assert_int_equal(pb_vq_dev_avail(&r->vq.dev), 0);
	assert_true(r->vq.dev.broken);
	assert_non_null(strstr(rig_last_log, "avail"));
	assert_int_equal(pb_vq_dev_pop(&r->vq.dev, &r->chain), PB_VQ_POP_BROKEN);
	assert_int_equal(r->vq.dev.last_avail, 8);
	rig_free(r);

	/* Going backwards looks like 65535 ahead. */
	r = split_rig(8, 256, false, true, true);
	offer(r, 0);
	assert_int_equal(pb_vq_dev_avail(&r->vq.dev), 1);
	assert_int_equal(pb_vq_dev_pop(&r->vq.dev, &r->chain), PB_VQ_POP_OK);
	r->vq.drv.avail->idx = 0;
	assert_int_equal(pb_vq_dev_avail(&r->vq.dev), 0);
	assert_true(r->vq.dev.broken);
	rig_free(r);
}

static void setup_head_num(struct rig *r)
{
	offer(r, 8);
}

static void setup_head_ffff(struct rig *r)
{
	offer(r, 0xffff);
}

static void setup_next_oob(struct rig *r)
{
	put_desc(r, 0, G(rig_buf(r, 0)), 16, VRING_DESC_F_NEXT, 8);
	offer(r, 0);
}

static void setup_loop2(struct rig *r)
{
	put_desc(r, 0, G(rig_buf(r, 0)), 16, VRING_DESC_F_NEXT, 1);
	put_desc(r, 1, G(rig_buf(r, 1)), 16, VRING_DESC_F_NEXT, 0);
	offer(r, 0);
}

static void setup_loop_self(struct rig *r)
{
	put_desc(r, 3, G(rig_buf(r, 3)), 16, VRING_DESC_F_NEXT, 3);
	offer(r, 3);
}

/* A loop of empty descriptors: no translation on the way to slow it down. */
static void setup_loop_empty(struct rig *r)
{
	put_desc(r, 2, 0, 0, VRING_DESC_F_NEXT, 5);
	put_desc(r, 5, 0, 0, VRING_DESC_F_NEXT, 2);
	offer(r, 2);
}

/* A rho: a tail into a cycle that does not include the head. */
static void setup_loop_rho(struct rig *r)
{
	put_desc(r, 0, G(rig_buf(r, 0)), 1, VRING_DESC_F_NEXT, 1);
	put_desc(r, 1, G(rig_buf(r, 1)), 1, VRING_DESC_F_NEXT, 2);
	put_desc(r, 2, G(rig_buf(r, 2)), 1, VRING_DESC_F_NEXT, 3);
	put_desc(r, 3, G(rig_buf(r, 3)), 1, VRING_DESC_F_NEXT, 1);
	offer(r, 0);
}

static void setup_ind_loop(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(rig_buf(r, 1)), 16, VRING_DESC_F_NEXT, 1);
	put_ind(t, 1, G(rig_buf(r, 2)), 16, VRING_DESC_F_NEXT, 0);
	put_desc(r, 0, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void test_hostile_indices(void **state)
{
	(void)state;
	rig_hostile(&ring_split, true, setup_head_num, "head out of range");
	rig_hostile(&ring_split, true, setup_head_ffff, "head out of range");
	rig_hostile(&ring_split, true, setup_next_oob, "next index out of range");
}

static void test_hostile_loops(void **state)
{
	(void)state;
	rig_hostile(&ring_split, true, setup_loop2, "loops");
	rig_hostile(&ring_split, true, setup_loop_self, "loops");
	rig_hostile(&ring_split, true, setup_loop_empty, "loops");
	rig_hostile(&ring_split, true, setup_loop_rho, "loops");
	rig_hostile(&ring_split, true, setup_ind_loop, "loops");
}

/* next must be checked against the table's length, not the ring's. */
static void setup_ind_next_oob(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(rig_buf(r, 1)), 16, VRING_DESC_F_NEXT, 2);
	put_ind(t, 1, G(rig_buf(r, 2)), 16, 0, 0);
	put_ind(t, 2, G(rig_buf(r, 3)), 16, 0, 0); /* present, but past len */
	put_desc(r, 0, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

static void setup_ind_rw_order(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(rig_buf(r, 1)), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	put_ind(t, 1, G(rig_buf(r, 2)), 16, 0, 0);
	put_desc(r, 0, G(t), 2 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

/* Writable direct descriptor, then an indirect table with a readable one. */
static void setup_ind_rw_order_mixed(struct rig *r)
{
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	put_ind(t, 0, G(rig_buf(r, 1)), 16, 0, 0);
	put_desc(r, 0, G(rig_buf(r, 0)), 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	put_desc(r, 1, G(t), sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
}

/* Inside a table too: next checked against the table's length, and the
 * readable-before-writable order across direct and indirect parts. */
static void test_hostile_indirect_links(void **state)
{
	(void)state;
	rig_hostile(&ring_split, true, setup_ind_next_oob, "next index out of range");
	rig_hostile(&ring_split, true, setup_ind_rw_order, "readable after writable");
	rig_hostile(&ring_split, true, setup_ind_rw_order_mixed, "readable after writable");
}

/* What only a split used ring can get wrong: an id wider than 16 bits
 * (le32 on the wire) and a used index too far ahead or behind. The cases
 * both kinds share are in test_ring_hostile.c. */
static void test_driver_hostile_used_split(void **state)
{
	struct rig *r;
	uint16_t id = 0;
	uint32_t len = 0;

	(void)state;
	/* A huge id (le32 on the wire). */
	r = split_rig(8, 256, false, true, true);
	pb_vq_drv_post(&r->vq.drv, 0, 10);
	pb_vq_drv_publish(&r->vq.drv);
	put_used(r, 0, 0x10000, 0); /* truncates to 0, which is posted */
	r->vq.drv.used->idx = 1;
	assert_false(pb_vq_drv_take(&r->vq.drv, &id, &len));
	assert_true(r->vq.drv.broken);
	rig_free(r);

	/* used idx: num ahead is a full ring, num + 1 (or backwards) breaks. */
	r = split_rig(8, 256, true, true, true);
	r->vq.drv.used->idx = 8;
	assert_int_equal(pb_vq_drv_used(&r->vq.drv), 8);
	assert_false(r->vq.drv.broken);
	r->vq.drv.used->idx = 9;
	assert_int_equal(pb_vq_drv_used(&r->vq.drv), 0);
	assert_true(r->vq.drv.broken);
	rig_free(r);
	r = split_rig(8, 256, true, true, true);
	r->vq.drv.used->idx = 0xffff;
	assert_int_equal(pb_vq_drv_used(&r->vq.drv), 0);
	assert_true(r->vq.drv.broken);
	rig_free(r);
}

/* Under EVENT_IDX the flags are ignored both ways (§2.7.7.2, §2.7.10.2). */
static void test_event_idx_ignores_flags(void **state)
{
	struct rig *r = split_rig(16, 64, false, true, true);
	struct pb_vq_dev *d = &r->vq.dev;

	(void)state;
	rig_eventfds(r);
	assert_int_equal(r->vq.drv.used->flags, 0); /* device leaves flags at 0 */
	assert_int_equal(r->vq.drv.avail->flags, 0);
	assert_false(pb_vq_dev_set_notify(d, true));
	assert_int_equal(r->vq.drv.used->flags, 0);
	r->vq.drv.used->flags = VRING_USED_F_NO_NOTIFY; /* a confused device */
	pb_vq_drv_post(&r->vq.drv, 0, 1);
	assert_true(pb_vq_drv_publish(&r->vq.drv));

	assert_false(pb_vq_drv_set_notify(&r->vq.drv, true));
	assert_int_equal(r->vq.drv.avail->flags, 0);
	r->vq.drv.avail->flags = VRING_AVAIL_F_NO_INTERRUPT; /* a confused driver */
	assert_int_equal(pb_vq_dev_avail(d), 1);
	assert_int_equal(pb_vq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	pb_vq_dev_push(d, r->chain.head, 0);
	assert_true(pb_vq_dev_flush(d));
	assert_int_equal(rig_fd_count(r->kickfd), 1);
	assert_int_equal(rig_fd_count(r->callfd), 1);
	rig_free(r);
}

#define T(f) cmocka_unit_test_teardown(f, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_attach_errors),
	    T(test_attach_base_wrap),
	    T(test_avail_idx_too_far),
	    T(test_hostile_indices),
	    T(test_hostile_loops),
	    T(test_hostile_indirect_links),
	    T(test_driver_hostile_used_split),
	    T(test_event_idx_ignores_flags),
	};

	return RIG_RUN(tests);
}
