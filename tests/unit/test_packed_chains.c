/* SPDX-License-Identifier: MIT */
/*
 * test_packed_chains.c - packed descriptor chains on the rig of
 * ring_rig.h: in consecutive slots with the id in the last, across the end
 * of the ring (the wrap counter flips inside), exactly num long, longer
 * than PB_VQ_MAX_SEGS, indirect tables (DPDK's writable header entry read
 * as readable), and chains given back (unpop).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packed_hand.h"

static void test_chain_direct(void **state)
{
	struct rig *r = packed_rig(8, 256, false, false, false);
	struct pb_vq_chain *c = &r->chain;
	struct pb_pq_dev *d = &r->pq.dev;

	(void)state;
	/* Slots 0-4: two readable, an empty one (skipped), two writable;
	 * the id (6) is in the last descriptor only. First flags last. */
	put(r, 1, G(rig_buf(r, 2)) + 6, 20, 0x1111, F_NEXT, true);
	put(r, 2, 0xdead0000, 0, 0x2222, F_NEXT | F_WRITE, true);
	put(r, 3, G(rig_buf(r, 7)), 30, 0x3333, F_NEXT | F_WRITE, true);
	put(r, 4, G(rig_buf(r, 1)), 256, 6, F_WRITE, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_EMPTY); /* the first is not there yet */
	put(r, 0, G(rig_buf(r, 5)), 10, 0x4444, F_NEXT, true);
	assert_int_equal(pb_pq_dev_avail(d), 5);
	assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_OK);
	assert_int_equal(c->head, 6);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->out_len, 30);
	assert_int_equal(c->in_len, 286);
	assert_ptr_equal(c->seg[0].base, rig_dev_view(r, rig_buf(r, 5)));
	assert_ptr_equal(c->seg[1].base, rig_dev_view(r, rig_buf(r, 2) + 6));
	assert_ptr_equal(c->seg[2].base, rig_dev_view(r, rig_buf(r, 7)));
	assert_ptr_equal(c->seg[3].base, rig_dev_view(r, rig_buf(r, 1)));
	assert_int_equal(d->last_avail, 5);
	assert_int_equal(d->inflight_desc, 5);
	assert_int_equal(pb_pq_dev_avail(d), 0);

	/* One used descriptor for the chain, in its first slot; the next
	 * one 5 slots on. */
	pb_pq_dev_push(d, 6, 100);
	pb_pq_dev_flush(d);
	assert_int_equal(r->pq.drv.desc[0].id, 6);
	assert_int_equal(r->pq.drv.desc[0].len, 100);
	assert_int_equal(r->pq.drv.desc[0].flags, F_AVAIL | F_USED | F_WRITE);
	assert_int_equal(d->used_idx, 5);
	assert_int_equal(d->inflight_desc, 0);

	/* Slots 5, 6, 7, 0: a chain across the end of the ring (the wrap
	 * counter flips inside it). */
	put(r, 6, G(rig_buf(r, 1)), 8, 0, F_NEXT, true);
	put(r, 7, G(rig_buf(r, 2)), 8, 0, F_NEXT, true);
	put(r, 0, G(rig_buf(r, 3)), 8, 3, 0, false);
	put(r, 5, G(rig_buf(r, 0)), 8, 0, F_NEXT, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 3);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(d->last_avail, 1);
	assert_false(d->avail_wrap);
	pb_pq_dev_push(d, 3, 0);
	pb_pq_dev_flush(d);
	assert_int_equal(r->pq.drv.desc[5].id, 3);
	assert_int_equal(r->pq.drv.desc[5].flags, F_AVAIL | F_USED);
	assert_int_equal(d->used_idx, 1);
	assert_false(d->used_wrap);

	/* Exactly num descriptors long: the longest legal chain. */
	for (uint16_t i = 1; i < 8; i++)
		put(r, i, G(rig_buf(r, i)), 8, 2, F_NEXT, false);
	put(r, 0, G(rig_buf(r, 0)), 8, 2, 0, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 8);
	assert_int_equal(c->out_len, 64);
	assert_int_equal(d->inflight_desc, 8);
	assert_int_equal(pb_pq_dev_avail(d), 0);
	assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_EMPTY);
	pb_pq_dev_push(d, 2, 0);
	pb_pq_dev_flush(d);
	/* A chain of nothing but empty descriptors. */
	assert_int_equal(d->last_avail, 1);
	assert_true(d->avail_wrap);
	put(r, 2, 0, 0, 4, F_NEXT, true);
	put(r, 3, 0, 0, 4, 0, true);
	put(r, 1, 0, 0, 4, F_NEXT, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 0);
	assert_int_equal(c->head, 4);
	assert_true(pb_pq_dev_attached(d));
	rig_free(r);
}

/* Chains longer than PB_VQ_MAX_SEGS are legal: walked to the end (where
 * the id is), reported TOO_LONG, pushed with len 0; the queue goes on. */
static void test_chain_too_long(void **state)
{
	struct rig *r = packed_rig(512, 64, false, false, true);
	struct pb_vq_chain *c = &r->chain;
	struct pb_pq_dev *d = &r->pq.dev;

	(void)state;
	/* Exactly PB_VQ_MAX_SEGS: fine. */
	for (uint16_t i = 1; i < PB_VQ_MAX_SEGS; i++)
		put(r, i, G(rig_buf(r, i)), 4, 77, i < PB_VQ_MAX_SEGS - 1 ? F_NEXT : 0, true);
	put(r, 0, G(rig_buf(r, 0)), 4, 0, F_NEXT, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 77);
	assert_int_equal(c->nseg, PB_VQ_MAX_SEGS);
	pb_pq_dev_push(d, 77, 0);

	/* 100 readable descriptors, then 100 writable ones. */
	uint16_t slot = PB_VQ_MAX_SEGS;
	for (unsigned w = 0; w < 2; w++) {
		uint16_t first = slot;
		for (uint16_t i = 1; i < 100; i++)
			put(r, (uint16_t)(first + i), G(rig_buf(r, i)), 4, (uint16_t)(10 + w),
			    (i < 99 ? F_NEXT : 0) | (w ? F_WRITE : 0), true);
		put(r, first, G(rig_buf(r, 0)), 4, 0, F_NEXT | (w ? F_WRITE : 0), true);
		assert_int_equal(rig_pop(r), PB_VQ_POP_TOO_LONG);
		assert_int_equal(c->head, 10 + w);
		assert_int_equal(c->nseg, PB_VQ_MAX_SEGS);
		assert_false(d->broken);
		assert_int_equal(d->last_avail, first + 100);
		pb_pq_dev_push(d, c->head, 0);
		slot = (uint16_t)(first + 100);
	}
	assert_int_equal(d->used_idx, slot);
	/* 100 descriptors in an indirect table: one slot. */
	struct vring_packed_desc *t = (struct vring_packed_desc *)r->scratch;
	for (uint16_t i = 0; i < 100; i++)
		put_ind(t, i, G(rig_buf(r, i)), 4, 0);
	put(r, slot, G(t), 100 * sizeof(*t), 12, F_IND, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_TOO_LONG);
	assert_int_equal(c->head, 12);
	assert_int_equal(d->inflight[12], 1);
	pb_pq_dev_push(d, 12, 0);
	pb_pq_dev_flush(d);
	assert_int_equal(d->used_idx, slot + 1);
	assert_false(d->broken);
	rig_free(r);
}

static void test_indirect_ok(void **state)
{
	struct rig *r = packed_rig(8, 256, false, true, true);
	struct pb_vq_chain *c = &r->chain;
	struct pb_vq_chain c2;
	struct pb_pq_dev *d = &r->pq.dev;

	(void)state;
	/* A table of packed descriptors: every entry is part of the buffer,
	 * in order; NEXT and ids there are ignored, only WRITE counts. */
	struct vring_packed_desc *t = (struct vring_packed_desc *)(r->scratch + 256);
	put_ind(t, 0, G(rig_buf(r, 0)), 12, 0);
	put_ind(t, 1, G(rig_buf(r, 1)), 100, F_NEXT);
	put_ind(t, 2, G(rig_buf(r, 2)), 0, F_WRITE); /* empty: skipped */
	put_ind(t, 3, G(rig_buf(r, 3)), 200, F_WRITE | F_NEXT);
	put_ind(t, 4, G(rig_buf(r, 4)), 256, F_WRITE);
	put(r, 0, G(t), 5 * sizeof(*t), 5, F_IND | F_WRITE /* ignored */, true);
	/* A plain one behind it. */
	put(r, 1, G(rig_buf(r, 6)), 33, 6, 0, true);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_OK);
	assert_int_equal(c->head, 5);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->out_len, 112);
	assert_int_equal(c->in_len, 456);
	assert_ptr_equal(c->seg[3].base, rig_dev_view(r, rig_buf(r, 4)));
	assert_int_equal(d->last_avail, 1);
	assert_int_equal(pb_pq_dev_pop(d, &c2), PB_VQ_POP_OK);
	assert_int_equal(c2.head, 6);
	assert_int_equal(c2.out_len, 33);
	/* Done out of order: the used descriptors go in completion order. */
	pb_pq_dev_push(d, 6, 0);
	pb_pq_dev_push(d, 5, 456);
	pb_pq_dev_flush(d);
	assert_int_equal(r->pq.drv.desc[0].id, 6);
	assert_int_equal(r->pq.drv.desc[1].id, 5);
	assert_int_equal(r->pq.drv.desc[1].len, 456);

	/* A misaligned table (the spec sets no alignment for it). */
	uint8_t *mis = r->scratch + 1024 + 3;
	struct vring_packed_desc e = {.addr = G(rig_buf(r, 7)), .len = 17, .flags = 0};
	memcpy(mis, &e, sizeof(e));
	put(r, 2, G(mis), sizeof(e), 1, F_IND, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 1);
	assert_int_equal(c->out_len, 17);
	assert_true(pb_pq_dev_attached(d));
	rig_free(r);
}

/*
 * DPDK 22.11's virtio-user, packed ring, two-segment TX mbufs with
 * indirect descriptors, as seen on the wire: the header entry still says
 * WRITE, the data entries say NEXT and AVAIL. Read as all readable; a
 * writable entry stays writable only if nothing readable follows it.
 */
static void test_indirect_dpdk_header(void **state)
{
	struct rig *r = packed_rig(8, 2048, false, false, true);
	struct pb_vq_chain *c = &r->chain;
	struct pb_pq_dev *d = &r->pq.dev;
	struct vring_packed_desc *t = (struct vring_packed_desc *)r->scratch;

	(void)state;
	put_ind(t, 0, G(rig_buf(r, 0)), 12, F_WRITE);
	put_ind(t, 1, G(rig_buf(r, 0)) + 12, 1000, F_NEXT | F_AVAIL);
	put_ind(t, 2, G(rig_buf(r, 1)), 500, F_AVAIL);
	put(r, 0, G(t), 48, 0, F_IND | F_AVAIL, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 3);
	assert_int_equal(c->nout, 3);
	assert_int_equal(c->out_len, 1512);
	assert_int_equal(c->in_len, 0);
	assert_ptr_equal(c->seg[0].base, rig_dev_view(r, rig_buf(r, 0)));
	assert_int_equal(d->relabeled, 1);
	pb_pq_dev_push(d, 0, 0);

	/* R W R W: the first three read, the last one written. */
	put_ind(t, 0, G(rig_buf(r, 0)), 10, 0);
	put_ind(t, 1, G(rig_buf(r, 1)), 20, F_WRITE);
	put_ind(t, 2, G(rig_buf(r, 2)), 30, 0);
	put_ind(t, 3, G(rig_buf(r, 3)), 40, F_WRITE);
	put(r, 1, G(t), 64, 1, F_IND, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 3);
	assert_int_equal(c->out_len, 60);
	assert_int_equal(c->in_len, 40);
	assert_int_equal(d->relabeled, 2);

	/* In the ring itself the order is still the law. */
	put(r, 3, G(rig_buf(r, 1)), 8, 2, 0, true);
	put(r, 2, G(rig_buf(r, 0)), 8, 2, F_NEXT | F_WRITE, true);
	rig_last_log[0] = 0;
	rig_expect_broken(r, rig_pop(r), "readable after writable descriptor");
	rig_free(r);
}

/* A port that pops chains for one frame and then finds too few gives them
 * back, most recent first; they come out again the same. */
static void test_unpop(void **state)
{
	struct rig *r = packed_rig(8, 256, true, false, false);
	struct pb_pq_dev *d = &r->pq.dev;
	struct pb_vq_chain c[3];

	(void)state;
	/* RX ring, all 8 posted. Pop 3, give back 2. */
	assert_int_equal(pb_pq_dev_avail(d), 8);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pb_pq_dev_pop(d, &c[i]), PB_VQ_POP_OK);
	pb_pq_dev_unpop(d, c[2].head);
	pb_pq_dev_unpop(d, c[1].head);
	pb_pq_dev_unpop(d, 7); /* not in flight: ignored */
	assert_int_equal(d->last_avail, 1);
	assert_int_equal(d->inflight_desc, 1);
	assert_int_equal(pb_pq_dev_avail(d), 7);
	assert_int_equal(pb_pq_dev_pop(d, &c[1]), PB_VQ_POP_OK);
	assert_int_equal(c[1].head, 1);
	pb_pq_dev_push(d, c[0].head, 10);
	pb_pq_dev_push(d, c[1].head, 10);
	/* Back across the end of the ring. */
	for (int i = 2; i < 8; i++)
		assert_int_equal(pb_pq_dev_pop(d, &c[0]), PB_VQ_POP_OK);
	pb_pq_dev_flush(d);
	uint16_t id;
	uint32_t len;
	assert_int_equal(pb_pq_drv_used(&r->pq.drv), 2);
	assert_true(pb_pq_drv_take(&r->pq.drv, &id, &len));
	assert_true(pb_pq_drv_take(&r->pq.drv, &id, &len));
	pb_pq_drv_post(&r->pq.drv, 0, r->buf_size);
	pb_pq_drv_post(&r->pq.drv, 1, r->buf_size);
	pb_pq_drv_publish(&r->pq.drv);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	assert_int_equal(pb_pq_dev_pop(d, &c[1]), PB_VQ_POP_OK);
	assert_int_equal(c[1].head, 0);
	assert_false(d->avail_wrap);
	assert_int_equal(d->last_avail, 1);
	pb_pq_dev_unpop(d, c[1].head);
	assert_false(d->avail_wrap);
	assert_int_equal(d->last_avail, 0);
	pb_pq_dev_unpop(d, 7); /* the last chain of the ring, popped before */
	assert_int_equal(d->last_avail, 7);
	assert_true(d->avail_wrap);
	assert_int_equal(pb_pq_dev_avail(d), 3);
	assert_int_equal(pb_pq_dev_pop(d, &c[1]), PB_VQ_POP_OK);
	assert_int_equal(c[1].head, 7);
	assert_int_equal(pb_pq_dev_pop(d, &c[1]), PB_VQ_POP_OK);
	assert_int_equal(c[1].head, 0);
	assert_false(d->broken);
	rig_free(r);
}

#define T(f) cmocka_unit_test_teardown(f, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_chain_direct),	  T(test_chain_too_long), T(test_indirect_ok),
	    T(test_indirect_dpdk_header), T(test_unpop),
	};

	return RIG_RUN(tests);
}
