/* SPDX-License-Identifier: MIT */
/*
 * test_ring_notify.c - when each side kicks or calls the other, over both
 * ring kinds (ring_rig.h), with real eventfds: EVENT_IDX (an event
 * position, asked once, crossed once) and the flags-only mode (every time
 * while asked). The notification words themselves are read through the
 * ops, which know split's indices and flags and packed's event words.
 */
#include <stdint.h>

#include "ring_rig.h"

/* Take every used buffer back. */
static void take_all(struct rig *r)
{
	uint16_t id = 0;
	uint32_t len = 0;

	while (r->ops->drv_used(r))
		assert_true(r->ops->drv_take(r, &id, &len));
}

/* Pop and push back everything available. */
static void consume_all(struct rig *r)
{
	while (r->ops->dev_pop(r, &r->chain) == PB_VQ_POP_OK)
		r->ops->dev_push(r, r->chain.head, 0);
}

static void test_event_idx_kick(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r = rig_new(o, 16, 64, false, true, true);

	rig_eventfds(r);
	/* Attached with kicks off: the driver must not kick. */
	o->expect_kick_event(r, RIG_EV_OFF);
	o->drv_post(r, 0, 1);
	assert_false(o->drv_publish(r));
	assert_int_equal(rig_fd_count(r->kickfd), 0);

	/* Asking for kicks with a chain already there: "don't sleep". */
	assert_true(o->dev_set_notify(r, true));
	o->expect_kick_event(r, 0);
	o->dev_set_notify(r, false);
	assert_int_equal(o->dev_avail(r), 1);
	assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
	o->dev_push(r, r->chain.head, 0);
	/* The driver has calls off. */
	assert_false(o->dev_flush(r));
	assert_int_equal(rig_fd_count(r->callfd), 0);

	/* Drained: ask, nothing there, sleep; the next publish kicks once. */
	assert_false(o->dev_set_notify(r, true));
	o->expect_kick_event(r, 1);
	o->drv_post(r, 1, 1);
	assert_true(o->drv_publish(r));
	assert_int_equal(rig_fd_count(r->kickfd), 1);
	/* It asked once, so only once. */
	o->drv_post(r, 2, 1);
	assert_false(o->drv_publish(r));
	assert_int_equal(rig_fd_count(r->kickfd), 0);
	assert_int_equal(o->drv_kicks(r), 1);

	/* A batch published at once is one kick. */
	assert_int_equal(o->dev_avail(r), 2);
	consume_all(r);
	o->dev_flush(r);
	assert_false(o->dev_set_notify(r, true));
	for (uint16_t i = 3; i < 8; i++)
		o->drv_post(r, i, 1);
	assert_true(o->drv_publish(r));
	assert_int_equal(rig_fd_count(r->kickfd), 1);
	assert_int_equal(o->drv_kicks(r), 2);
	/* Asking while chains wait: "don't sleep", and no kick needed. */
	assert_true(o->dev_set_notify(r, true));
	/* Kicks off again: nothing. */
	o->dev_set_notify(r, false);
	o->drv_post(r, 8, 1);
	assert_false(o->drv_publish(r));
	assert_int_equal(rig_fd_count(r->kickfd), 0);
	assert_int_equal(o->drv_kicks(r), 2);

	/* Across the end of the ring: an event in the next lap. */
	assert_int_equal(o->dev_avail(r), 6);
	consume_all(r);
	o->dev_flush(r);
	for (uint16_t i = 9; i < 13; i++)
		o->drv_post(r, i, 1);
	o->drv_publish(r);
	assert_int_equal(o->dev_avail(r), 4);
	consume_all(r);
	o->dev_flush(r);
	assert_int_equal(o->dev_used_pos(r), 13);
	take_all(r);
	/* A device event further on, in the next lap: position 17 (packed:
	 * slot 1, wrap 0). */
	o->set_kick_event(r, 17);
	for (uint16_t i = 13; i < 16; i++)
		o->drv_post(r, i, 1);
	assert_false(o->drv_publish(r)); /* 13..15: not yet */
	o->drv_post(r, 0, 1);
	assert_false(o->drv_publish(r)); /* 16 */
	o->drv_post(r, 1, 1);
	assert_true(o->drv_publish(r)); /* 17 */
	/* An event behind us (packed: the same slot in the wrong lap) is a
	 * whole ring or more away. */
	o->set_kick_event(r, 2);
	o->drv_post(r, 2, 1);
	assert_false(o->drv_publish(r));
	assert_int_equal(rig_fd_count(r->kickfd), 1);
	assert_false(o->drv_broken(r));
	rig_free(r);
}

static void test_event_idx_call(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r = rig_new(o, 16, 64, false, true, true);
	uint16_t id = 0;
	uint32_t len = 0;

	rig_eventfds(r);
	for (uint16_t i = 0; i < 12; i++)
		o->drv_post(r, i, 1);
	o->drv_publish(r);
	assert_int_equal(o->dev_avail(r), 12);

	/* Calls off after init. */
	o->expect_call_event(r, RIG_EV_OFF);
	assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
	o->dev_push(r, r->chain.head, 0);
	assert_false(o->dev_flush(r));
	assert_int_equal(rig_fd_count(r->callfd), 0);

	/* The driver asks while a used element waits: "don't sleep". */
	assert_true(o->drv_set_notify(r, true));
	assert_true(o->drv_take(r, &id, &len));
	/* Now asks with nothing there: the next flush calls, once. */
	assert_false(o->drv_set_notify(r, true));
	o->expect_call_event(r, 1);
	assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
	o->dev_push(r, r->chain.head, 0);
	assert_true(o->dev_flush(r));
	assert_int_equal(rig_fd_count(r->callfd), 1);
	assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
	o->dev_push(r, r->chain.head, 0);
	assert_false(o->dev_flush(r));
	assert_int_equal(rig_fd_count(r->callfd), 0);
	assert_int_equal(o->dev_calls(r), 1);
	take_all(r);

	/* A driver that wants a call only after 3 more (event ahead). */
	o->set_call_event(r, o->drv_used_pos(r) + 2);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
		o->dev_push(r, r->chain.head, 0);
		assert_int_equal(o->dev_flush(r), k == 2);
	}
	assert_int_equal(rig_fd_count(r->callfd), 1);
	/* And the same crossed by one flush of several. */
	o->set_call_event(r, o->dev_used_pos(r) + 1);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
		o->dev_push(r, r->chain.head, 0);
	}
	assert_true(o->dev_flush(r));
	assert_int_equal(rig_fd_count(r->callfd), 1);
	assert_int_equal(o->dev_calls(r), 3);

	/* Calls off: nothing. */
	o->drv_set_notify(r, false);
	assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
	o->dev_push(r, r->chain.head, 0);
	assert_false(o->dev_flush(r));
	assert_int_equal(rig_fd_count(r->callfd), 0);
	rig_free(r);
}

/* Without EVENT_IDX: asked or not, every time. */
static void test_flags_suppression(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r = rig_new(o, 16, 64, false, false, false);

	rig_eventfds(r);
	o->expect_kick_event(r, RIG_EV_OFF);
	o->expect_call_event(r, RIG_EV_OFF);
	o->drv_post(r, 0, 1);
	assert_false(o->drv_publish(r));
	assert_int_equal(rig_fd_count(r->kickfd), 0);

	assert_true(o->dev_set_notify(r, true)); /* one waiting */
	o->expect_kick_event(r, RIG_EV_ON);
	o->drv_post(r, 1, 1);
	assert_true(o->drv_publish(r));
	o->drv_post(r, 2, 1);
	assert_true(o->drv_publish(r));	 /* still asked: again */
	assert_false(o->drv_publish(r)); /* nothing new: no kick */
	assert_int_equal(rig_fd_count(r->kickfd), 2);
	assert_int_equal(o->drv_kicks(r), 2);
	/* An event position is not looked at (split: the avail_event word;
	 * packed: a DESC word reads as ENABLE, it is only valid with
	 * EVENT_IDX). */
	o->set_kick_event(r, 1000);
	o->drv_post(r, 3, 1);
	assert_true(o->drv_publish(r));
	o->dev_set_notify(r, false);
	o->expect_kick_event(r, RIG_EV_OFF);
	o->drv_post(r, 4, 1);
	assert_false(o->drv_publish(r));
	assert_int_equal(rig_fd_count(r->kickfd), 1);
	assert_int_equal(o->drv_kicks(r), 3);

	assert_int_equal(o->dev_avail(r), 5);
	for (unsigned k = 0; k < 5; k++) {
		assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_OK);
		o->dev_push(r, r->chain.head, 0);
		if (k == 0) {
			assert_false(o->dev_flush(r));		 /* calls off */
			assert_true(o->drv_set_notify(r, true)); /* one waiting */
			o->expect_call_event(r, RIG_EV_ON);
			o->set_call_event(r, 1000); /* ignored, as above */
		} else if (k < 4) {
			assert_true(o->dev_flush(r));
		} else {
			o->drv_set_notify(r, false);
			assert_false(o->dev_flush(r));
		}
	}
	assert_int_equal(rig_fd_count(r->callfd), 3);
	assert_int_equal(o->dev_calls(r), 3);
	take_all(r);
	assert_false(o->drv_set_notify(r, true)); /* nothing waiting */
	assert_false(o->drv_broken(r));
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RING_TESTS(test_event_idx_kick),
	    RING_TESTS(test_event_idx_call),
	    RING_TESTS(test_flags_suppression),
	};

	return RIG_RUN(tests);
}
