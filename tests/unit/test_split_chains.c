/* SPDX-License-Identifier: MIT */
/*
 * test_split_chains.c - split descriptor chains on the rig of ring_rig.h:
 * next links followed in any order, chains exactly num long, longer than
 * PB_VQ_MAX_SEGS (TOO_LONG, counted truthfully), indirect tables (with
 * direct descriptors before them, misaligned ones).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "split_hand.h"

static void test_chain_direct(void **state)
{
	struct rig *r = split_rig(8, 256, false, false, false);
	struct pb_vq_chain *c = &r->chain;

	(void)state;
	/* 5 -> 2 -> 7 -> 1: two readable, then two writable; one zero-length
	 * descriptor in the middle is skipped. */
	put_desc(r, 5, G(rig_buf(r, 5)), 10, VRING_DESC_F_NEXT, 2);
	put_desc(r, 2, G(rig_buf(r, 2)) + 6, 20, VRING_DESC_F_NEXT, 3);
	put_desc(r, 3, 0xdead0000, 0, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 7);
	put_desc(r, 7, G(rig_buf(r, 7)), 30, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	put_desc(r, 1, G(rig_buf(r, 1)), 200, VRING_DESC_F_WRITE, 4);
	offer(r, 5);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 5);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->out_len, 30);
	assert_int_equal(c->in_len, 230);
	assert_ptr_equal(c->seg[0].base, rig_dev_view(r, rig_buf(r, 5)));
	assert_ptr_equal(c->seg[1].base, rig_dev_view(r, rig_buf(r, 2) + 6));
	assert_ptr_equal(c->seg[2].base, rig_dev_view(r, rig_buf(r, 7)));
	assert_ptr_equal(c->seg[3].base, rig_dev_view(r, rig_buf(r, 1)));
	assert_int_equal(c->seg[1].len, 20);
	assert_int_equal(c->seg[3].len, 200);

	/* Exactly num descriptors long: the longest chain that is not a loop. */
	for (uint16_t i = 0; i < 8; i++)
		put_desc(r, i, G(rig_buf(r, i)), 8, i < 7 ? VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	offer(r, 0);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 8);
	assert_int_equal(c->out_len, 64);
	/* A chain made of nothing but empty descriptors. */
	put_desc(r, 6, 0, 0, 0, 0);
	offer(r, 6);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 0);
	assert_true(pb_vq_dev_attached(&r->vq.dev));
	rig_free(r);
}

/* Chains longer than PB_VQ_MAX_SEGS are legal: the head is consumed and
 * reported TOO_LONG, the queue keeps going. */
static void test_chain_too_long(void **state)
{
	struct rig *r = split_rig(256, 64, false, false, true);
	struct pb_vq_chain *c = &r->chain;

	(void)state;
	/* Exactly PB_VQ_MAX_SEGS: fine. */
	for (uint16_t i = 0; i < PB_VQ_MAX_SEGS; i++)
		put_desc(r, i, G(rig_buf(r, i)), 4, i < PB_VQ_MAX_SEGS - 1 ? VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	offer(r, 0);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, PB_VQ_MAX_SEGS);
	assert_int_equal(c->nout, PB_VQ_MAX_SEGS);

	/* 100 readable descriptors, then 100 writable ones. */
	for (unsigned w = 0; w < 2; w++) {
		uint16_t first = (uint16_t)(w * 100);
		for (uint16_t i = first; i < first + 100; i++)
			put_desc(r, i, G(rig_buf(r, i)), 4,
				 (i < first + 99 ? VRING_DESC_F_NEXT : 0) |
				     (w ? VRING_DESC_F_WRITE : 0),
				 (uint16_t)(i + 1));
		offer(r, first);
		assert_int_equal(rig_pop(r), PB_VQ_POP_TOO_LONG);
		assert_int_equal(c->head, first);
		assert_false(r->vq.dev.broken);
		pb_vq_dev_push(&r->vq.dev, c->head, 0);
	}
	/* 100 descriptors in an indirect table. */
	struct vring_desc *t = (struct vring_desc *)r->scratch;
	for (uint16_t i = 0; i < 100; i++)
		put_ind(t, i, G(rig_buf(r, i)), 4, i < 99 ? VRING_DESC_F_NEXT : 0,
			(uint16_t)(i + 1));
	put_desc(r, 250, G(t), 100 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 250);
	assert_int_equal(rig_pop(r), PB_VQ_POP_TOO_LONG);
	assert_int_equal(c->head, 250);
	assert_false(r->vq.dev.broken);

	/* The queue still works. */
	put_desc(r, 240, G(rig_buf(r, 240)), 33, 0, 0);
	offer(r, 240);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 240);
	assert_int_equal(c->nseg, 1);
	assert_int_equal(c->out_len, 33);
	assert_true(pb_vq_dev_attached(&r->vq.dev));
	rig_free(r);
}

/* A TOO_LONG chain still describes seg[] truthfully: nseg and nout count
 * segments that are in the array (a caller that loops over the readable
 * segments of a dropped chain, e.g. to log or count it, must not run past
 * seg[PB_VQ_MAX_SEGS - 1]), and out_len/in_len add up what is there. */
static void test_chain_too_long_counts(void **state)
{
	struct rig *r = split_rig(256, 64, false, false, true);
	struct pb_vq_chain *c = &r->chain;

	(void)state;
	for (unsigned w = 0; w < 2; w++) {
		uint16_t first = (uint16_t)(w * 100);
		for (uint16_t i = first; i < first + 100; i++)
			put_desc(r, i, G(rig_buf(r, i)), 4,
				 (i < first + 99 ? VRING_DESC_F_NEXT : 0) |
				     (w ? VRING_DESC_F_WRITE : 0),
				 (uint16_t)(i + 1));
		offer(r, first);
		assert_int_equal(rig_pop(r), PB_VQ_POP_TOO_LONG);
		assert_true(c->nseg <= PB_VQ_MAX_SEGS);
		if (c->nout > c->nseg)
			fail_msg("TOO_LONG chain: nout %u > nseg %u (seg[] has %u)", c->nout,
				 c->nseg, PB_VQ_MAX_SEGS);
		uint32_t out = 0, in = 0;
		for (unsigned k = 0; k < c->nseg; k++)
			*(k < c->nout ? &out : &in) += c->seg[k].len;
		assert_int_equal(c->out_len, out);
		assert_int_equal(c->in_len, in);
	}
	rig_free(r);
}

static void test_indirect_ok(void **state)
{
	struct rig *r = split_rig(8, 256, false, true, true);
	struct pb_vq_chain *c = &r->chain;
	struct vring_desc *t = (struct vring_desc *)r->scratch;

	(void)state;
	/* Table order 0 -> 2 -> 1: next is followed inside the table. */
	put_ind(t, 0, G(rig_buf(r, 1)), 10, VRING_DESC_F_NEXT, 2);
	put_ind(t, 2, G(rig_buf(r, 2)), 20, VRING_DESC_F_NEXT, 1);
	put_ind(t, 1, G(rig_buf(r, 3)), 30, VRING_DESC_F_WRITE, 0);
	put_desc(r, 4, G(t), 3 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 4);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->head, 4);
	assert_int_equal(c->nseg, 3);
	assert_int_equal(c->nout, 2);
	assert_int_equal(c->out_len, 30);
	assert_int_equal(c->in_len, 30);
	assert_ptr_equal(c->seg[0].base, rig_dev_view(r, rig_buf(r, 1)));
	assert_ptr_equal(c->seg[1].base, rig_dev_view(r, rig_buf(r, 2)));
	assert_ptr_equal(c->seg[2].base, rig_dev_view(r, rig_buf(r, 3)));

	/* §2.7.5.3.2: the WRITE flag of the descriptor naming the table is
	 * ignored. */
	put_desc(r, 5, G(t), 3 * sizeof(*t), VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	offer(r, 5);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 3);
	assert_int_equal(c->nout, 2);

	/* §2.7.5.3.2: direct descriptors followed by one indirect one. */
	put_desc(r, 0, G(rig_buf(r, 0)), 7, VRING_DESC_F_NEXT, 6);
	put_desc(r, 6, G(t), 3 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 0);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 4);
	assert_int_equal(c->nout, 3);
	assert_int_equal(c->out_len, 37);
	assert_ptr_equal(c->seg[0].base, rig_dev_view(r, rig_buf(r, 0)));

	/* The longest loop-free chain in a table is the table. */
	struct vring_desc *t2 = t + 16;
	for (uint16_t i = 0; i < 16; i++)
		put_ind(t2, i, G(rig_buf(r, 7)) + i, 1, i < 15 ? VRING_DESC_F_NEXT : 0,
			(uint16_t)(i + 1));
	put_desc(r, 7, G(t2), 16 * sizeof(*t), VRING_DESC_F_INDIRECT, 0);
	offer(r, 7);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->nseg, 16);
	assert_true(pb_vq_dev_attached(&r->vq.dev));
	rig_free(r);
}

/* The spec puts no alignment on an indirect table ("anywhere in memory"):
 * one at an odd address is legal and must be read correctly (and, under
 * UBSan, without misaligned loads). */
static void test_indirect_unaligned(void **state)
{
	struct rig *r = split_rig(8, 256, false, true, true);
	struct pb_vq_chain *c = &r->chain;
	const size_t skew[] = {8, 4, 1};

	(void)state;
	for (size_t k = 0; k < PB_ARRAY_SIZE(skew); k++) {
		uint8_t *at = r->scratch + 256 * (k + 1) + skew[k];
		struct vring_desc t[2] = {
		    {.addr = G(rig_buf(r, 1)), .len = 10, .flags = VRING_DESC_F_NEXT, .next = 1},
		    {.addr = G(rig_buf(r, 2)), .len = 20, .flags = VRING_DESC_F_WRITE, .next = 0},
		};
		memcpy(at, t, sizeof(t));
		put_desc(r, (uint16_t)k, G(at), sizeof(t), VRING_DESC_F_INDIRECT, 0);
		offer(r, (uint16_t)k);
		assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
		assert_int_equal(c->nseg, 2);
		assert_int_equal(c->nout, 1);
		assert_int_equal(c->out_len, 10);
		assert_int_equal(c->in_len, 20);
		assert_ptr_equal(c->seg[1].base, rig_dev_view(r, rig_buf(r, 2)));
	}
	rig_free(r);
}

#define T(f) cmocka_unit_test_teardown(f, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* Regressions: TOO_LONG miscounted nout, and a misaligned indirect
	     * table was read with misaligned atomics (UBSan). */
	    T(test_chain_direct),	   T(test_chain_too_long),     T(test_indirect_ok),
	    T(test_chain_too_long_counts), T(test_indirect_unaligned),
	};

	return RIG_RUN(tests);
}
