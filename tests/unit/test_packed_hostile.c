/* SPDX-License-Identifier: MIT */
/*
 * test_packed_hostile.c - hostile packed rings on the rig of ring_rig.h:
 * ids out of range or twice in flight, chains longer than the ring or
 * running into slots that are not available, an indirect descriptor inside
 * a chain, flags that change under the walk, and used descriptors a
 * device should not write. The hostile cases both ring kinds share are in
 * test_ring_hostile.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packed_hand.h"

static void set_id_out_of_range(struct rig *r)
{
	put(r, 0, G(rig_buf(r, 0)), 8, 8, 0, true);
}

static void set_id_twice(struct rig *r)
{
	put(r, 0, G(rig_buf(r, 0)), 8, 3, 0, true);
	put(r, 1, G(rig_buf(r, 1)), 8, 3, 0, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
}

static void set_chain_loop(struct rig *r)
{
	/* Every slot says NEXT: the walk must end at num. */
	for (uint16_t i = 1; i < 8; i++)
		put(r, i, G(rig_buf(r, i)), 8, 0, F_NEXT, true);
	put(r, 0, G(rig_buf(r, 0)), 8, 0, F_NEXT, true);
}

static void set_chain_over_held(struct rig *r)
{
	/* 3 slots held by the device, then a chain of 6: it would run into
	 * the slots the device holds. */
	for (uint16_t i = 0; i < 3; i++)
		put(r, i, G(rig_buf(r, i)), 8, i, 0, true);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	for (uint16_t i = 3; i < 8; i++)
		put(r, i, G(rig_buf(r, i)), 8, 5, F_NEXT, true);
	put(r, 0, G(rig_buf(r, 0)), 8, 5, 0, false); /* looks right under the next lap */
}

static void set_chain_hole(struct rig *r)
{
	/* The second descriptor of the chain is not available. */
	r->pq.drv.desc[1] = (struct vring_packed_desc){G(rig_buf(r, 1)), 8, 1, 0};
	put(r, 0, G(rig_buf(r, 0)), 8, 0, F_NEXT, true);
}

static void set_chain_wrong_wrap(struct rig *r)
{
	/* The second descriptor has the other lap's flags. */
	put(r, 1, G(rig_buf(r, 1)), 8, 1, 0, false);
	put(r, 0, G(rig_buf(r, 0)), 8, 0, F_NEXT, true);
}

static void test_hostile_chains(void **state)
{
	(void)state;
	rig_hostile(&ring_packed, false, set_id_out_of_range, "buffer id out of range");
	rig_hostile(&ring_packed, false, set_id_twice, "buffer id already in flight");
	rig_hostile(&ring_packed, false, set_chain_loop, "descriptor chain longer than the ring");
	rig_hostile(&ring_packed, false, set_chain_over_held,
		    "descriptor chain longer than the ring");
	rig_hostile(&ring_packed, false, set_chain_hole,
		    "chain continues into a slot that is not available");
	rig_hostile(&ring_packed, false, set_chain_wrong_wrap,
		    "chain continues into a slot that is not available");
}

static void set_ind_in_chain(struct rig *r)
{
	put_ind((struct vring_packed_desc *)r->scratch, 0, G(rig_buf(r, 0)), 8, 0);
	put(r, 1, G(r->scratch), 16, 0, F_IND, true);
	put(r, 0, G(rig_buf(r, 0)), 8, 0, F_NEXT, true);
}

/* Split allows direct descriptors before an indirect one; packed does not. */
static void test_hostile_indirect_in_chain(void **state)
{
	(void)state;
	rig_hostile(&ring_packed, true, set_ind_in_chain, "indirect descriptor in a chain");
}

/* Flags that change under us: available when counted, then taken back;
 * and descriptors that were never made available properly. */
static void test_hostile_flags(void **state)
{
	struct rig *r = packed_rig(8, 64, false, true, false);
	struct pb_pq_dev *d = &r->pq.dev;

	(void)state;
	/* Zeroed ring, and flags that are not "available" under wrap 1:
	 * nothing there, and that is no fault. */
	assert_int_equal(rig_pop(r), PB_VQ_POP_EMPTY);
	r->pq.drv.desc[0] = (struct vring_packed_desc){G(rig_buf(r, 0)), 8, 0, F_AVAIL | F_USED};
	assert_int_equal(rig_pop(r), PB_VQ_POP_EMPTY);
	r->pq.drv.desc[0].flags = F_USED;
	assert_int_equal(rig_pop(r), PB_VQ_POP_EMPTY);
	assert_false(d->broken);

	/* Counted as available, then flipped back before the pop. */
	put(r, 0, G(rig_buf(r, 0)), 8, 0, 0, true);
	put(r, 1, G(rig_buf(r, 1)), 8, 1, 0, true);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	r->pq.drv.desc[0].flags = 0;
	rig_last_log[0] = 0;
	rig_expect_broken(r, pb_pq_dev_pop(d, &r->chain), "available descriptor taken back");
	rig_free(r);

	/* The same after a first pop: the second slot flips. */
	r = packed_rig(8, 64, false, true, false);
	d = &r->pq.dev;
	put(r, 0, G(rig_buf(r, 0)), 8, 0, 0, true);
	put(r, 1, G(rig_buf(r, 1)), 8, 1, 0, true);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	r->pq.drv.desc[1].flags = F_AVAIL | F_USED;
	rig_last_log[0] = 0;
	rig_expect_broken(r, pb_pq_dev_pop(d, &r->chain), "available descriptor taken back");
	/* A broken queue is still pushed to harmlessly, and detached. */
	pb_pq_dev_push(d, 0, 0);
	rig_free(r);

	/* A writable buffer over the ring itself (found by the fuzzer): the
	 * device writes a frame into it, which rewrites the next slot under
	 * the walk. Nothing outside guest memory is touched; the ring breaks. */
	r = packed_rig(8, 64, false, true, false);
	d = &r->pq.dev;
	put(r, 1, G(rig_buf(r, 1)), 8, 1, 0, true);
	put(r, 0, G(&r->pq.drv.desc[1]), sizeof(r->pq.drv.desc[1]), 0, F_WRITE, true);
	assert_int_equal(pb_pq_dev_avail(d), 2);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	assert_ptr_equal(r->chain.seg[0].base, rig_dev_view(r, &r->pq.drv.desc[1]));
	memset(r->chain.seg[0].base, 0, r->chain.seg[0].len);
	pb_pq_dev_push(d, r->chain.head, 16);
	rig_last_log[0] = 0;
	rig_expect_broken(r, pb_pq_dev_pop(d, &r->chain), "available descriptor taken back");
	rig_free(r);

	/* A full ring the device holds: even if the driver rewrites a held
	 * slot to look available, nothing more is counted or popped. */
	r = packed_rig(4, 64, true, true, false);
	d = &r->pq.dev;
	assert_int_equal(pb_pq_dev_avail(d), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_OK);
	put(r, 0, G(rig_buf(r, 0)), 8, 0, F_WRITE, false);
	assert_int_equal(pb_pq_dev_avail(d), 0);
	assert_int_equal(pb_pq_dev_pop(d, &r->chain), PB_VQ_POP_EMPTY);
	assert_false(pb_pq_dev_set_notify(d, true));
	assert_false(d->broken);
	rig_free(r);
}

/* What only a packed used ring can get wrong: lengths without WRITE,
 * more used descriptors than buffers in flight, flags that flip back or
 * belong to the other lap. The cases both kinds share are in
 * test_ring_hostile.c. */
static void test_driver_hostile_used_packed(void **state)
{
	struct rig *r;
	uint16_t id = 0;
	uint32_t len = 0;

	(void)state;
	/* ... unless WRITE is clear: then the length is reserved, ignored. */
	r = packed_rig(8, 64, false, false, false);
	pb_pq_drv_post(&r->pq.drv, 0, 10);
	pb_pq_drv_publish(&r->pq.drv);
	used_desc(r, 0, 0, 0xffffffff, 0, true);
	assert_true(pb_pq_drv_take(&r->pq.drv, &id, &len));
	assert_int_equal(len, 0);
	assert_false(r->pq.drv.broken);
	rig_free(r);

	/* More used than in flight: counted only up to what it holds. */
	r = packed_rig(8, 64, false, false, false);
	for (uint16_t i = 0; i < 3; i++)
		pb_pq_drv_post(&r->pq.drv, i, 10);
	pb_pq_drv_publish(&r->pq.drv);
	for (uint16_t i = 0; i < 8; i++)
		used_desc(r, i, i, 0, 0, true);
	assert_int_equal(pb_pq_drv_used(&r->pq.drv), 3);
	for (int i = 0; i < 3; i++)
		assert_true(pb_pq_drv_take(&r->pq.drv, &id, &len));
	assert_false(pb_pq_drv_take(&r->pq.drv, &id, &len)); /* holds nothing */
	assert_false(r->pq.drv.broken);
	/* Posted, not published: the device cannot have used it. */
	pb_pq_drv_post(&r->pq.drv, 5, 10);
	assert_int_equal(pb_pq_drv_used(&r->pq.drv), 0);
	assert_false(pb_pq_drv_take(&r->pq.drv, &id, &len));
	assert_false(r->pq.drv.broken);
	rig_free(r);

	/* Used flags that flip back after being counted. */
	r = packed_rig(8, 64, true, false, false);
	used_desc(r, 0, 0, 10, F_WRITE, true);
	assert_int_equal(pb_pq_drv_used(&r->pq.drv), 1);
	r->pq.drv.desc[0].flags = F_AVAIL;
	assert_false(pb_pq_drv_take(&r->pq.drv, &id, &len));
	assert_true(r->pq.drv.broken);
	rig_free(r);

	/* Flags of the wrong lap are not used; no fault, nothing taken. */
	r = packed_rig(8, 64, true, false, false);
	used_desc(r, 0, 0, 10, F_WRITE, false);
	assert_int_equal(pb_pq_drv_used(&r->pq.drv), 0);
	assert_false(pb_pq_drv_take(&r->pq.drv, &id, &len));
	assert_false(r->pq.drv.broken);
	rig_free(r);
}

#define T(f) cmocka_unit_test_teardown(f, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_hostile_chains),
	    T(test_hostile_indirect_in_chain),
	    T(test_hostile_flags),
	    T(test_driver_hostile_used_packed),
	};

	return RIG_RUN(tests);
}
