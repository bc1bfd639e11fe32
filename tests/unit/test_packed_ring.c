/* SPDX-License-Identifier: MIT */
/*
 * test_packed_ring.c - what only the packed virtqueue has, on the rig of
 * ring_rig.h: attaching with a vring base that carries wrap counters,
 * GET_VRING_BASE values, many laps of small rings (sizes that are not
 * powers of two, wrap counters flipping once a lap), the driver's FIFO of
 * free ids, and the event words: an event inside a chain, the reserved
 * value, the need-event arithmetic against a brute-force count. Scenarios
 * both ring kinds share are test_ring_*.c; chains are test_packed_chains.c,
 * hostile rings test_packed_hostile.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packed_hand.h"

static void test_attach_errors(void **state)
{
	struct rig *r = packed_rig(8, 256, false, true, true);
	struct pb_pq_dev *d = &r->pq.dev;
	uint64_t desc = G(r->pq.drv.desc), drv = G(r->pq.drv.driver_event),
		 dev = G(r->pq.drv.device_event);

	(void)state;
	pb_pq_dev_detach(d);
	assert_false(pb_pq_dev_attached(d));
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 0, desc, drv, dev, BASE0, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 65535, desc, drv, dev, BASE0, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc + 8, drv, dev, BASE0, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv + 2, dev, BASE0, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev + 1, BASE0, true, true),
			 -EINVAL);
	/* A base whose position lies outside the ring, in either half. */
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev, 0x8008, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev, 0x7fff, true, true),
			 -EINVAL);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev, 0x80098000u, true, true),
			 -EINVAL);
	/* Areas outside guest memory, or running off its end. */
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, 0x1000, drv, dev, BASE0, true, true),
			 -EFAULT);
	assert_int_equal(
	    pb_pq_dev_attach(d, &r->mem, 8, G(r->map) + r->size - 64, drv, dev, BASE0, true, true),
	    -EFAULT);
	assert_int_equal(
	    pb_pq_dev_attach(d, &r->mem, 8, desc, G(r->map) + r->size, dev, BASE0, true, true),
	    -EFAULT);
	assert_int_equal(
	    pb_pq_dev_attach(d, &r->mem, 8, desc, drv, G(r->map) - 4, BASE0, true, true), -EFAULT);
	/* A GPA is not a UVA: ring addresses are translated as UVAs only. */
	struct pb_guest_mem *m2 = calloc(1, sizeof(*m2));
	assert_non_null(m2);
	pb_guest_mem_init(m2);
	assert_int_equal(pb_guest_mem_add(m2, r->fd, G(r->map), r->size, 0x10000000, 0), 0);
	assert_int_equal(pb_pq_dev_attach(d, m2, 8, desc, drv, dev, BASE0, true, true), -EFAULT);
	pb_guest_mem_clear(m2);
	free(m2);
	assert_false(pb_pq_dev_attached(d));
	/* Packed rings need not be a power of two in size. */
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 6, desc, drv, dev, 0x0005, false, false), 0);
	assert_int_equal(d->last_avail, 5);
	assert_false(d->avail_wrap);
	assert_int_equal(d->used_idx, 5); /* no used half: same as avail */
	assert_false(d->used_wrap);
	/* callfd and calls survive attach; so does nothing else. */
	d->callfd = 42;
	d->calls = 7;
	d->broken = true;
	pb_pq_dev_detach(d);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, desc, drv, dev, 0x80058003u, true, true),
			 0);
	assert_int_equal(d->callfd, 42);
	assert_int_equal(d->calls, 7);
	assert_true(pb_pq_dev_attached(d));
	assert_int_equal(d->last_avail, 3);
	assert_true(d->avail_wrap);
	assert_int_equal(d->used_idx, 5);
	assert_true(d->used_wrap);
	assert_int_equal(pb_pq_dev_base(d), 0x80058003u);
	assert_int_equal(pb_pq_dev_last_avail(d), 0x8003);
	/* Attached with kicks off. */
	assert_int_equal(dev_event(r), pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE));
	d->callfd = -1;
	rig_free(r);
}

static void run_laps(uint16_t num, bool rx, unsigned total, uint64_t seed)
{
	struct rig *r = packed_rig(num, 128, rx, false, false);
	struct pb_pq_drv *v = &r->pq.drv;
	struct pb_pq_dev *d = &r->pq.dev;
	uint16_t free_ids[64];
	unsigned nfree = 0, sent = 0, done = 0, dev_seq = 0;
	unsigned avail_flips = 0, used_flips = 0, drv_used_flips = 0;
	bool aw = d->avail_wrap, uw = d->used_wrap, duw = v->used_wrap;

	assert_true(num <= 64);
	if (!rx)
		for (uint16_t i = 0; i < num; i++)
			free_ids[nfree++] = i;
	while (done < total) {
		/* driver: take what is used, post a random batch */
		uint16_t id = 0;
		uint32_t len = 0;
		for (uint16_t n = pb_pq_drv_used(v); n; n--) {
			assert_true(pb_pq_drv_take(v, &id, &len));
			if (rx) {
				uint32_t seq;
				assert_true(len >= 4);
				memcpy(&seq, rig_buf(r, id), 4);
				assert_int_equal(seq, done);
				rig_check_fill(rig_buf(r, id) + 4, len - 4, seq);
			}
			done++;
			free_ids[nfree++] = id;
		}
		unsigned want = nfree ? 1 + rig_rnd(&seed) % nfree : 0;
		for (unsigned k = 0; k < want && (rx || sent < total); k++) {
			id = free_ids[--nfree];
			if (rx) {
				pb_pq_drv_post(v, id, r->buf_size);
			} else {
				uint32_t l = 4 + rig_rnd(&seed) % (r->buf_size - 3);
				memcpy(rig_buf(r, id), &sent, 4);
				rig_fill(rig_buf(r, id) + 4, l - 4, sent);
				pb_pq_drv_post(v, id, l);
				sent++;
			}
		}
		pb_pq_drv_publish(v);
		/* device: consume a random part, flush */
		uint16_t n = pb_pq_dev_avail(d);
		unsigned take = n ? 1 + rig_rnd(&seed) % n : 0;
		for (unsigned k = 0; k < take; k++) {
			struct pb_vq_chain *c = &r->chain;
			assert_int_equal(pb_pq_dev_pop(d, c), PB_VQ_POP_OK);
			if (rx) {
				uint32_t l = 4 + rig_rnd(&seed) % (r->buf_size - 3);
				memcpy(c->seg[0].base, &dev_seq, 4);
				rig_fill(c->seg[0].base + 4, l - 4, dev_seq);
				pb_pq_dev_push(d, c->head, l);
			} else {
				uint32_t seq;
				memcpy(&seq, c->seg[0].base, 4);
				assert_int_equal(seq, dev_seq);
				rig_check_fill(c->seg[0].base + 4, c->out_len - 4, seq);
				pb_pq_dev_push(d, c->head, 0);
			}
			dev_seq++;
			if (rig_rnd(&seed) % 3 == 0)
				pb_pq_dev_flush(d);
		}
		pb_pq_dev_flush(d);
		avail_flips += d->avail_wrap != aw;
		used_flips += d->used_wrap != uw;
		drv_used_flips += v->used_wrap != duw;
		aw = d->avail_wrap;
		uw = d->used_wrap;
		duw = v->used_wrap;
	}
	/* One flip per lap (a side may flip at most once per step: a step
	 * moves fewer than num slots). */
	assert_true(avail_flips >= total / num - 2);
	assert_true(used_flips >= total / num - 2);
	assert_true(drv_used_flips >= total / num - 2);
	assert_false(v->broken);
	assert_true(pb_pq_dev_attached(d));
	rig_free(r);
}

static void test_laps(void **state)
{
	(void)state;
	run_laps(4, false, 20000, 11);
	run_laps(4, true, 20000, 12);
	run_laps(5, false, 20000, 13);
	run_laps(6, true, 20000, 14);
	run_laps(64, false, 70000, 15);
}

/* TX ids come back round in FIFO order, whatever the ring size. */
static void test_free_fifo(void **state)
{
	struct rig *r = packed_rig(5, 64, false, false, false);
	struct pb_pq_drv *v = &r->pq.drv;

	(void)state;
	assert_int_equal(v->free.count, 5);
	for (uint16_t i = 0; i < 3; i++)
		assert_int_equal(pb_id_fifo_get(&v->free), i);
	pb_id_fifo_put(&v->free, 1);
	pb_id_fifo_put(&v->free, 0);
	assert_int_equal(v->free.count, 4);
	const uint16_t want[] = {3, 4, 1, 0};
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pb_id_fifo_get(&v->free), want[i]);
	assert_int_equal(v->free.count, 0);
	for (uint16_t i = 0; i < 5; i++)
		pb_id_fifo_put(&v->free, (uint16_t)(4 - i));
	for (uint16_t i = 0; i < 5; i++)
		assert_int_equal(pb_id_fifo_get(&v->free), 4 - i);
	/* A reset starts over in order; an RX ring has none free. */
	pb_pq_drv_reset(v, false);
	assert_int_equal(pb_id_fifo_get(&v->free), 0);
	rig_free(r);
}

static void test_vring_base(void **state)
{
	struct rig *r = packed_rig(8, 64, false, false, false);
	struct pb_pq_dev *d = &r->pq.dev;
	uint16_t id;
	uint32_t len;

	(void)state;
	assert_int_equal(pb_pq_drv_base(&r->pq.drv), BASE0);
	assert_int_equal(pb_pq_dev_last_avail(d), BASE0);
	assert_int_equal(pb_pq_dev_base(d), 0x80008000u);
	/* 11 through: one lap and 3 slots. */
	for (uint16_t k = 0; k < 11; k++) {
		pb_pq_drv_post(&r->pq.drv, (uint16_t)(k % 8), 10);
		pb_pq_drv_publish(&r->pq.drv);
		assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
		pb_pq_dev_push(d, r->chain.head, 0);
		pb_pq_dev_flush(d);
		assert_true(pb_pq_drv_take(&r->pq.drv, &id, &len));
	}
	assert_int_equal(pb_pq_dev_last_avail(d), 3); /* slot 3, wrap 0 */
	assert_int_equal(pb_pq_dev_base(d), 0x00030003u);
	/* Two more made available, one popped and not pushed: the halves differ. */
	pb_pq_drv_post(&r->pq.drv, 0, 10);
	pb_pq_drv_post(&r->pq.drv, 1, 10);
	pb_pq_drv_publish(&r->pq.drv);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(pb_pq_dev_base(d), 0x00030004u);
	pb_pq_dev_push(d, r->chain.head, 0);
	/* Detach (memory going away) publishes what was pushed and keeps
	 * the positions; re-attaching from the base continues. */
	pb_pq_dev_detach(d);
	assert_int_equal(pb_pq_drv_used(&r->pq.drv), 1);
	uint32_t base = pb_pq_dev_base(d);
	assert_int_equal(base, 0x00040004u);
	assert_int_equal(pb_pq_dev_attach(d, &r->mem, 8, G(r->pq.drv.desc),
					  G(r->pq.drv.driver_event), G(r->pq.drv.device_event),
					  base, false, false),
			 0);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(r->chain.head, 1);
	pb_pq_dev_push(d, 1, 0);
	pb_pq_dev_flush(d);
	assert_int_equal(pb_pq_drv_used(&r->pq.drv), 2);
	/* Past a second lap the wrap bit is back. */
	for (uint16_t k = 0; k < 2; k++)
		assert_true(pb_pq_drv_take(&r->pq.drv, &id, &len));
	for (uint16_t k = 0; k < 4; k++) {
		pb_pq_drv_post(&r->pq.drv, k, 10);
		pb_pq_drv_publish(&r->pq.drv);
		assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
		pb_pq_dev_push(d, r->chain.head, 0);
		pb_pq_dev_flush(d);
		assert_true(pb_pq_drv_take(&r->pq.drv, &id, &len));
	}
	assert_int_equal(pb_pq_dev_base(d), 0x80018001u);
	assert_false(r->pq.drv.broken);
	rig_free(r);
}

/* A chain takes several slots and gets one used descriptor: an event on
 * any slot it covers is crossed. */
static void test_event_idx_chain(void **state)
{
	struct rig *r = packed_rig(16, 64, false, true, false);
	struct pb_pq_dev *d = &r->pq.dev;

	(void)state;
	rig_eventfds(r);
	put(r, 1, G(rig_buf(r, 1)), 8, 5, F_NEXT, true);
	put(r, 2, G(rig_buf(r, 2)), 8, 5, 0, true);
	put(r, 0, G(rig_buf(r, 0)), 8, 0, F_NEXT, true);
	put(r, 3, G(rig_buf(r, 3)), 8, 6, 0, true);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(r->chain.head, 5);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(r->chain.head, 6);
	/* The driver waits for slot 1, inside the chain. */
	pb_store_once(r->pq.drv.driver_event, desc_word(1, true));
	pb_pq_dev_push(d, 5, 0);
	assert_true(pb_pq_dev_flush(d));
	assert_int_equal(r->pq.drv.desc[0].id, 5);
	assert_int_equal(d->used_idx, 3);
	/* Then for slot 3: the next used descriptor. */
	pb_store_once(r->pq.drv.driver_event, desc_word(3, true));
	pb_pq_dev_push(d, 6, 0);
	assert_true(pb_pq_dev_flush(d));
	assert_int_equal(r->pq.drv.desc[3].id, 6);
	assert_int_equal(rig_fd_count(r->callfd), 2);
	/* A push of an id not in flight is our bug: the queue stops. */
	rig_last_log[0] = 0;
	pb_pq_dev_push(d, 6, 0);
	assert_true(d->broken);
	assert_non_null(strstr(rig_last_log, "not in flight"));
	rig_free(r);
}

/* The arithmetic on its own, against a brute-force count. */
static void test_need_event(void **state)
{
	(void)state;
	for (uint16_t num = 1; num <= 9; num++) {
		uint32_t span = 2u * num;
		for (uint32_t old = 0; old < span; old++) {
			for (uint32_t n = 0; n <= num; n++) {
				uint32_t now = (old + n) % span;
				for (uint32_t ev = 0; ev < span; ev++) {
					uint16_t pos = (uint16_t)(ev % num);
					bool wrap = ev < num;
					uint32_t word = desc_word(pos, wrap);
					bool in = false;
					for (uint32_t k = 0; k < n; k++)
						in |= (old + k) % span == ev;
					assert_int_equal(
					    pb_packed_need_event(word, true, old, now, num), in);
					/* Hostile offsets: any answer, no fault. */
					(void)pb_packed_need_event(0xffff0000u | word, true, old,
								   now, num);
					(void)pb_packed_need_event(desc_word(0x7fff, wrap), true,
								   old, now, num);
				}
			}
		}
	}
}

/* Without EVENT_IDX a DESC word is read as ENABLE, and the reserved
 * flags value 3 as "notify" rather than a stall. (The rest of this mode
 * runs for both kinds in test_ring_notify.c.) */
static void test_event_word_odd_values(void **state)
{
	struct rig *r = packed_rig(16, 64, false, false, false);
	struct pb_pq_dev *d = &r->pq.dev;

	(void)state;
	rig_eventfds(r);
	pb_pq_drv_post(&r->pq.drv, 0, 1);
	assert_false(pb_pq_drv_publish(&r->pq.drv));
	assert_true(pb_pq_dev_set_notify(d, true)); /* one waiting */
	/* A DESC word far away: ENABLE without EVENT_IDX. */
	pb_store_once(d->device_event, desc_word(9, false));
	pb_pq_drv_post(&r->pq.drv, 1, 1);
	assert_true(pb_pq_drv_publish(&r->pq.drv));
	/* The reserved value 3: notify rather than stall. */
	pb_store_once(d->device_event, pb_packed_event_word(0, 3));
	pb_pq_drv_post(&r->pq.drv, 2, 1);
	assert_true(pb_pq_drv_publish(&r->pq.drv));
	pb_pq_dev_set_notify(d, false);
	pb_pq_drv_post(&r->pq.drv, 3, 1);
	assert_false(pb_pq_drv_publish(&r->pq.drv));
	assert_int_equal(rig_fd_count(r->kickfd), 2);
	assert_int_equal(r->pq.drv.kicks, 2);
	assert_false(r->pq.drv.broken);
	rig_free(r);
}

#define T(f) cmocka_unit_test_teardown(f, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_attach_errors),   T(test_laps),
	    T(test_free_fifo),	     T(test_vring_base),
	    T(test_event_idx_chain), T(test_event_word_odd_values),
	    T(test_need_event),
	};

	return RIG_RUN(tests);
}
