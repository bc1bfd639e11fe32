/* SPDX-License-Identifier: MIT */
/*
 * test_ring_roundtrip.c - frames through a ring and back, over both ring
 * kinds (ring_rig.h): TX and RX, batches invisible until published or
 * flushed, completions out of order, the payload checked byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ring_rig.h"

static void test_tx_roundtrip(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r = rig_new(o, 8, 512, false, false, false);
	unsigned seed = 0;

	for (unsigned round = 1; round <= 8; round++) {
		uint16_t ids[8];
		uint32_t lens[8];
		for (unsigned k = 0; k < round; k++) {
			ids[k] = (uint16_t)((k * 5 + round) & 7); /* any order */
			lens[k] =
			    (k + round) % 4 == 0 ? 0 : 1 + (k * 97 + round * 31) % r->buf_size;
			rig_fill(rig_buf(r, ids[k]), lens[k], seed + k);
			o->drv_post(r, ids[k], lens[k]);
		}
		/* Nothing visible before publish (packed: the first flags wait). */
		assert_int_equal(o->dev_avail(r), 0);
		assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_EMPTY);
		assert_false(o->drv_publish(r)); /* no kick fd */
		assert_int_equal(o->dev_avail(r), round);
		for (unsigned k = 0; k < round; k++) {
			struct pb_vq_chain *c = &r->chain;
			assert_int_equal(o->dev_pop(r, c), PB_VQ_POP_OK);
			assert_int_equal(c->head, ids[k]);
			assert_int_equal(c->nseg, lens[k] ? 1 : 0);
			assert_int_equal(c->nout, c->nseg);
			assert_int_equal(c->out_len, lens[k]);
			assert_int_equal(c->in_len, 0);
			if (lens[k]) {
				assert_ptr_equal(c->seg[0].base,
						 rig_dev_view(r, rig_buf(r, ids[k])));
				assert_int_equal(c->seg[0].len, lens[k]);
				rig_check_fill(c->seg[0].base, lens[k], seed + k);
			}
		}
		assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_EMPTY);
		/* Complete out of order; invisible until flush. */
		for (unsigned k = round; k-- > 0;)
			o->dev_push(r, ids[k], 0);
		assert_int_equal(o->drv_used(r), 0);
		assert_false(o->dev_flush(r)); /* no call fd */
		assert_false(o->dev_flush(r)); /* nothing new */
		assert_int_equal(o->drv_used(r), round);
		for (unsigned k = round; k-- > 0;) {
			uint16_t id = 0;
			uint32_t len = 99;
			assert_true(o->drv_take(r, &id, &len));
			assert_int_equal(id, ids[k]);
			assert_int_equal(len, 0);
		}
		assert_int_equal(o->drv_used(r), 0);
		seed += round;
	}
	assert_false(o->drv_broken(r));
	assert_true(o->dev_attached(r));
	rig_free(r);
}

/* Packed only: what the used descriptors of a batch look like before and
 * after the flush, and the wrap counters after the first lap. */
static void check_packed_rx_batch(struct rig *r, bool flushed)
{
	const uint16_t f_avail = VRING_PACKED_DESC_F_AVAIL, f_used = VRING_PACKED_DESC_F_USED;

	if (r->ops->kind != RING_PACKED)
		return;
	if (!flushed) {
		/* The batch's first used descriptor waits for flush (slot 0
		 * still reads as available); the rest are written already,
		 * with WRITE set (the device wrote into them). */
		assert_int_equal(r->pq.drv.desc[0].flags, f_avail | VRING_DESC_F_WRITE);
		assert_int_equal(r->pq.drv.desc[1].flags, f_avail | f_used | VRING_DESC_F_WRITE);
	} else {
		/* A whole lap: every wrap counter has flipped to 0. */
		assert_false(r->pq.drv.used_wrap);
		assert_false(r->pq.dev.used_wrap);
		assert_false(r->pq.dev.avail_wrap);
	}
}

static void test_rx_roundtrip(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r = rig_new(o, 8, 512, true, false, false);

	/* RX: every buffer was posted at init. */
	assert_int_equal(o->dev_avail(r), 8);
	for (unsigned k = 0; k < 8; k++) {
		struct pb_vq_chain *c = &r->chain;
		assert_int_equal(o->dev_pop(r, c), PB_VQ_POP_OK);
		assert_int_equal(c->head, k);
		assert_int_equal(c->nseg, 1);
		assert_int_equal(c->nout, 0);
		assert_int_equal(c->out_len, 0);
		assert_int_equal(c->in_len, r->buf_size);
		assert_ptr_equal(c->seg[0].base, rig_dev_view(r, rig_buf(r, (uint16_t)k)));
		unsigned len = 1 + k * 57;
		rig_fill(c->seg[0].base, len, 100 + k);
		o->dev_push(r, c->head, len);
	}
	assert_int_equal(o->dev_avail(r), 0); /* every buffer is the device's */
	check_packed_rx_batch(r, false);
	assert_int_equal(o->drv_used(r), 0);
	o->dev_flush(r);
	assert_int_equal(o->drv_used(r), 8);
	for (unsigned k = 0; k < 8; k++) {
		uint16_t id = 0;
		uint32_t len = 0;
		assert_true(o->drv_take(r, &id, &len));
		assert_int_equal(id, k);
		assert_int_equal(len, 1 + k * 57);
		rig_check_fill(rig_buf(r, id), len, 100 + k);
		if (k % 2)
			o->drv_post(r, id, r->buf_size);
	}
	check_packed_rx_batch(r, true);
	o->drv_publish(r);
	assert_int_equal(o->dev_avail(r), 4);
	for (unsigned k = 1; k < 8; k += 2) {
		assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
		assert_int_equal(r->chain.head, k);
		o->dev_push(r, r->chain.head, 0);
	}
	o->dev_flush(r);
	/* Nothing written: length 0 (packed: a used descriptor without WRITE
	 * carries no length, §2.8.5). */
	assert_int_equal(o->drv_used(r), 4);
	for (unsigned k = 1; k < 8; k += 2) {
		uint16_t id = 0;
		uint32_t len = 5;
		assert_true(o->drv_take(r, &id, &len));
		assert_int_equal(id, k);
		assert_int_equal(len, 0);
	}
	assert_false(o->drv_broken(r));
	rig_free(r);
}

/* A ring stopped with every buffer back, detached and attached again where
 * the driver stands (GET/SET_VRING_BASE), goes on where it was. */
static void test_reattach(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r = rig_new(o, 8, 128, false, false, false);
	uint16_t id = 0;
	uint32_t len = 0;

	for (unsigned round = 0; round < 3; round++) {
		for (uint16_t k = 0; k < 5; k++) {
			o->drv_post(r, k, 10u + k);
			o->drv_publish(r);
			assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
			assert_int_equal(r->chain.out_len, 10u + k);
			o->dev_push(r, r->chain.head, 0);
			o->dev_flush(r);
			assert_true(o->drv_take(r, &id, &len));
			assert_int_equal(id, k);
		}
		o->dev_detach(r);
		assert_false(o->dev_attached(r));
		assert_int_equal(o->dev_attach(r, &r->mem), 0);
		assert_true(o->dev_attached(r));
		assert_int_equal(o->dev_avail(r), 0);
	}
	assert_false(o->drv_broken(r));
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RING_TESTS(test_tx_roundtrip),
	    RING_TESTS(test_rx_roundtrip),
	    RING_TESTS(test_reattach),
	};

	return RIG_RUN(tests);
}
