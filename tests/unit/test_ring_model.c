/* SPDX-License-Identifier: MIT */
/*
 * test_ring_model.c - the step-by-step model of the notification protocol,
 * over both ring kinds (ring_rig.h), for long enough that every index wraps
 * (split: past 65536; packed: thousands of laps, wrap counters flipping).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring_rig.h"

/* One side of the model's bookkeeping. */
struct model {
	struct rig *r;
	bool rx, event_idx;
	unsigned total;
	uint64_t seed;
	uint16_t *free_ids;
	uint32_t *sent_len;
	unsigned nfree, posted, sent, done, dev_seq;
	bool dev_asleep, drv_asleep, dev_kicked, drv_called;
	uint64_t kicks, calls, kicks_read, calls_read;
};

/* The driver's turn: wake if called, take what is used, post a random
 * batch, publish (checking the kick against the model), maybe sleep. */
static void driver_step(struct model *m, unsigned step)
{
	struct rig *r = m->r;
	const struct ring_ops *o = r->ops;

	if (m->drv_asleep) {
		uint64_t n = rig_fd_count(r->callfd);
		if (m->event_idx)
			assert_true(n <= 1); /* it asked once */
		m->calls_read += n;
		if (n) {
			m->drv_asleep = false;
			o->drv_set_notify(r, false);
		}
	}
	if (m->drv_asleep)
		return;
	uint16_t id = 0;
	uint32_t len = 0;
	for (uint16_t n = o->drv_used(r); n; n--) {
		assert_true(o->drv_take(r, &id, &len));
		m->posted--;
		if (m->rx) {
			assert_true(len >= 4);
			uint32_t seq;
			memcpy(&seq, rig_buf(r, id), 4);
			assert_int_equal(seq, m->done);
			rig_check_fill(rig_buf(r, id) + 4, len - 4, seq);
		} else {
			assert_int_equal(len, 0);
		}
		m->done++;
		m->free_ids[m->nfree++] = id;
	}
	unsigned want = m->nfree ? 1 + rig_rnd(&m->seed) % m->nfree : 0;
	if (!m->rx && want > m->total - m->sent)
		want = m->total - m->sent;
	for (unsigned k = 0; k < want; k++) {
		id = m->free_ids[--m->nfree];
		if (m->rx) {
			o->drv_post(r, id, r->buf_size);
		} else {
			uint32_t l = 4 + rig_rnd(&m->seed) % (r->buf_size - 3);
			memcpy(rig_buf(r, id), &m->sent, 4);
			rig_fill(rig_buf(r, id) + 4, l - 4, m->sent);
			m->sent_len[id] = l;
			o->drv_post(r, id, l);
			m->sent++;
		}
		m->posted++;
	}
	bool expect = want && m->dev_asleep && (m->event_idx ? !m->dev_kicked : true);
	bool kicked = o->drv_publish(r);
	if (kicked != expect)
		fail_msg("step %u: publish kicked %d, model says %d (dev %s)", step, kicked, expect,
			 m->dev_asleep ? "asleep" : "awake");
	m->kicks += kicked;
	if (kicked)
		m->dev_kicked = true;
	/* Sleep now and then, if something is in flight. */
	if (m->posted && (m->nfree == 0 || rig_rnd(&m->seed) % 2)) {
		if (o->drv_set_notify(r, true)) {
			/* "Don't sleep": something is used already. */
			assert_true(o->drv_used(r) > 0);
			o->drv_set_notify(r, false);
		} else {
			m->drv_asleep = true;
			m->drv_called = false;
		}
	}
}

/* The device's turn: wake if kicked, pop everything, push and flush in
 * random batches (checking each call against the model), maybe sleep. */
static void device_step(struct model *m, unsigned step)
{
	struct rig *r = m->r;
	const struct ring_ops *o = r->ops;

	if (m->dev_asleep) {
		uint64_t n = rig_fd_count(r->kickfd);
		if (m->event_idx)
			assert_true(n <= 1); /* it asked once */
		m->kicks_read += n;
		if (n) {
			m->dev_asleep = false;
			o->dev_set_notify(r, false);
		}
	}
	if (m->dev_asleep)
		return;
	uint16_t n = o->dev_avail(r);
	assert_false(o->dev_broken(r));
	while (n--) {
		struct pb_vq_chain *c = &r->chain;
		assert_int_equal(o->dev_pop(r, c), PB_VQ_POP_OK);
		assert_int_equal(c->nseg, 1);
		if (m->rx) {
			assert_int_equal(c->in_len, r->buf_size);
			uint32_t l = 4 + rig_rnd(&m->seed) % (r->buf_size - 3);
			memcpy(c->seg[0].base, &m->dev_seq, 4);
			rig_fill(c->seg[0].base + 4, l - 4, m->dev_seq);
			o->dev_push(r, c->head, l);
		} else {
			uint32_t seq;
			assert_int_equal(c->out_len, m->sent_len[c->head]);
			memcpy(&seq, c->seg[0].base, 4);
			assert_int_equal(seq, m->dev_seq);
			rig_check_fill(c->seg[0].base + 4, c->out_len - 4, seq);
			o->dev_push(r, c->head, 0);
		}
		m->dev_seq++;
		if (rig_rnd(&m->seed) % 4 == 0 || n == 0) {
			bool expect = m->drv_asleep && (m->event_idx ? !m->drv_called : true);
			bool called = o->dev_flush(r);
			if (called != expect)
				fail_msg("step %u: flush called %d, model says %d", step, called,
					 expect);
			m->calls += called;
			if (called)
				m->drv_called = true;
		}
	}
	assert_int_equal(o->dev_pop(r, &r->chain), PB_VQ_POP_EMPTY);
	if (rig_rnd(&m->seed) % 2) {
		if (o->dev_set_notify(r, true)) {
			/* "Don't sleep": something is available already. */
			assert_true(o->dev_avail(r) > 0);
			o->dev_set_notify(r, false);
		} else {
			m->dev_asleep = true;
			m->dev_kicked = false;
		}
	}
}

/*
 * Driver and device take turns, each sleeping at random (asking for a
 * notification first, as a real loop does). Each notification decision is
 * checked against the model: with EVENT_IDX exactly the first publish/flush
 * after the other side went to sleep notifies; with flags, every one while
 * it sleeps does; an awake side is never notified. A lost wake-up shows as
 * both sides asleep with no fd signalled. Payloads carry a sequence number
 * and are checked byte for byte.
 */
static void run_model(const struct ring_ops *o, uint16_t num, bool rx, bool event_idx,
		      unsigned total, uint64_t seed)
{
	struct model m = {
	    .r = rig_new(o, num, 256, rx, event_idx, false),
	    .rx = rx,
	    .event_idx = event_idx,
	    .total = total,
	    .seed = seed,
	    .free_ids = calloc(num, sizeof(uint16_t)),
	    .sent_len = calloc(num, sizeof(uint32_t)),
	    .posted = rx ? num : 0,
	};
	struct rig *r = m.r;

	rig_eventfds(r);
	assert_non_null(m.free_ids);
	assert_non_null(m.sent_len);
	if (!rx)
		for (uint16_t i = 0; i < num; i++)
			m.free_ids[m.nfree++] = i;
	for (unsigned step = 0; m.done < total; step++) {
		if (step > 50 * total)
			fail_msg("no progress: %u of %u", m.done, total);
		driver_step(&m, step);
		device_step(&m, step);
		/* Both asleep with nobody notified: a lost wake-up. */
		if (m.dev_asleep && m.drv_asleep && !m.dev_kicked && !m.drv_called)
			fail_msg("step %u: both asleep, no notification pending", step);
	}
	assert_int_equal(o->drv_kicks(r), m.kicks);
	assert_int_equal(o->dev_calls(r), m.calls);
	/* The eventfds saw exactly the notifications the calls reported. */
	assert_int_equal(m.kicks_read + rig_fd_count(r->kickfd), m.kicks);
	assert_int_equal(m.calls_read + rig_fd_count(r->callfd), m.calls);
	assert_true(m.kicks > 100 && m.calls > 100);
	assert_false(o->drv_broken(r));
	assert_true(o->dev_attached(r));
	/* Every index went round: split's 16-bit ones past 65536, packed's
	 * slots a thousand laps (their wrap counters flipping each time). */
	if (o->kind == RING_SPLIT)
		assert_true(m.done > 65536);
	else
		assert_true(m.done / num > 1000);
	free(m.free_ids);
	free(m.sent_len);
	rig_free(r);
}

/* Ring sizes: split rings are powers of two; 256 RX buffers go round a
 * packed ring only 273 times, so packed takes 6 (as it always did). */
static uint16_t rx_event_idx_size(const struct ring_ops *o)
{
	return o->kind == RING_SPLIT ? 256 : 6;
}

static void test_model_tx_event_idx(void **state)
{
	run_model(rig_ops(state), 16, false, true, 70000, 1);
}

static void test_model_tx_flags(void **state)
{
	run_model(rig_ops(state), 8, false, false, 70000, 2);
}

static void test_model_rx_event_idx(void **state)
{
	run_model(rig_ops(state), rx_event_idx_size(rig_ops(state)), true, true, 70000, 3);
}

static void test_model_rx_flags(void **state)
{
	run_model(rig_ops(state), 4, true, false, 70000, 4);
}

/* Packed rings need not be a power of two in size; split rings must be. */
static void test_model_odd_sizes(void **state)
{
	run_model(rig_ops(state), 3, false, true, 20000, 5);
	run_model(rig_ops(state), 7, true, true, 20000, 6);
	run_model(rig_ops(state), 5, false, false, 20000, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RING_TESTS(test_model_tx_event_idx),	 RING_TESTS(test_model_tx_flags),
	    RING_TESTS(test_model_rx_event_idx),	 RING_TESTS(test_model_rx_flags),
	    RING_TEST_ONE(test_model_odd_sizes, packed),
	};

	return RIG_RUN(tests);
}
