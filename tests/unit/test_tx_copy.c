/* SPDX-License-Identifier: MIT */
/*
 * test_tx_copy.c - the streaming copy (every alignment, length and room:
 * the bytes land, nothing outside the buffer changes) and the "auto"
 * chooser's decisions on made-up window times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "port/tx_copy.h"

#define AREA  1024
#define GUARD 0xA5

/*
 * For dst offsets 0..63 into a line, lengths 0..300 and rooms from len to
 * len + 130: the frame arrives, bytes before dst and past dst + room are
 * untouched, and something was streamed exactly when a whole line fitted.
 */
static void test_stream_copy_bounds(void **state)
{
	static uint8_t area[AREA] __attribute__((aligned(64)));
	static uint8_t src[400];

	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	for (size_t off = 0; off < 64; off += 1) {
		for (size_t len = 0; len <= 300; len += (len < 70 ? 1 : 13)) {
			for (size_t extra = 0; extra <= 130; extra += 13) {
				size_t room = len + extra;
				uint8_t *dst = area + 64 + off;

				memset(area, GUARD, sizeof(area));
				bool streamed = pb_stream_copy(dst, src, len, room);
				pb_stream_fence();
				assert_memory_equal(dst, src, len);
				for (uint8_t *p = area; p < dst; p++)
					assert_int_equal(*p, GUARD);
				for (uint8_t *p = dst + room; p < area + AREA; p++)
					assert_int_equal(*p, GUARD);
				if (PB_HAVE_STREAM) {
					/* A whole line starts at the first boundary at or
					 * after dst and ends within room. */
					size_t head = (64 - (uintptr_t)dst % 64) % 64;
					bool line = len > head && room >= head + 64;
					assert_int_equal(streamed, line);
				} else {
					assert_false(streamed);
				}
			}
		}
	}
}

/* The frame through pb_tx_copy_frame() in each mode, and the fence flag. */
static void test_copy_frame_modes(void **state)
{
	static uint8_t buf[256] __attribute__((aligned(64)));
	uint8_t src[100];
	struct pb_tx_copy t;

	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(0x40 + i);

	pb_tx_copy_init(&t, PB_COPY_CACHE);
	assert_false(t.stream);
	memset(buf, 0, sizeof(buf));
	pb_tx_copy_frame(&t, buf + 64, src, sizeof(src), 192);
	assert_memory_equal(buf + 64, src, sizeof(src));
	assert_false(t.fence_due);
	assert_int_equal(t.streamed, 0);

	pb_tx_copy_init(&t, PB_COPY_STREAM);
	assert_int_equal(t.stream, PB_HAVE_STREAM);
	memset(buf, 0, sizeof(buf));
	pb_tx_copy_frame(&t, buf + 64, src, sizeof(src), 192);
	assert_int_equal(t.fence_due, PB_HAVE_STREAM);
	pb_tx_copy_fence(&t);
	assert_false(t.fence_due);
	assert_memory_equal(buf + 64, src, sizeof(src));
	assert_int_equal(t.streamed, PB_HAVE_STREAM ? 1 : 0);

	/* A frame with no whole line to stream is not counted as streamed. */
	pb_tx_copy_frame(&t, buf + 65, src, 60, 60);
	assert_memory_equal(buf + 65, src, 60);
	assert_false(t.fence_due);
	assert_int_equal(t.streamed, PB_HAVE_STREAM ? 1 : 0);

	/* Fixed modes never count windows. */
	pb_tx_copy_count(&t, 1000000);
	assert_int_equal(t.left, PB_TX_COPY_WINDOW);
}

/* Run @n windows of @ns each way: @cache_ns with ordinary stores,
 * @stream_ns streamed. */
static uint64_t run_windows(struct pb_tx_copy *t, uint64_t now, unsigned n, uint64_t cache_ns,
			    uint64_t stream_ns)
{
	for (unsigned i = 0; i < n; i++) {
		now += t->stream ? stream_ns : cache_ns;
		pb_tx_copy_decide(t, now);
	}
	return now;
}

/* Count the windows out of @n that stream. */
static unsigned streamed_windows(struct pb_tx_copy *t, uint64_t *now, unsigned n, uint64_t cache_ns,
				 uint64_t stream_ns)
{
	unsigned s = 0;

	for (unsigned i = 0; i < n; i++) {
		s += t->stream;
		*now = run_windows(t, *now, 1, cache_ns, stream_ns);
	}
	return s;
}

/* Run 2000 windows at the given times, then return how many of the next
 * 1000 streamed. Between probes (which back off to one per
 * PB_TX_COPY_HOLD_MAX + 1 windows) the mode is steady. */
static unsigned settle(struct pb_tx_copy *t, uint64_t *now, uint64_t cache_ns, uint64_t stream_ns)
{
	*now = run_windows(t, *now, 2000, cache_ns, stream_ns);
	return streamed_windows(t, now, 1000, cache_ns, stream_ns);
}

static void test_auto_chooses(void **state)
{
	struct pb_tx_copy t;
	uint64_t now = 1000;
	unsigned before;

	(void)state;
	if (!PB_HAVE_STREAM) {
		pb_tx_copy_init(&t, PB_COPY_AUTO);
		assert_int_equal(t.mode, PB_COPY_CACHE);
		return;
	}
	pb_tx_copy_init(&t, PB_COPY_AUTO);
	assert_false(t.stream); /* starts with ordinary stores */

	/* Streaming 3x faster (CPUs far apart): it switches at the first
	 * probe, then probes back off and it streams nearly all the time. */
	pb_tx_copy_decide(&t, now); /* starts the clock */
	now = run_windows(&t, now, PB_TX_COPY_HOLD_MIN + 1, 3000, 1000);
	assert_true(t.stream);
	assert_int_equal(t.switches, 1);
	assert_true(settle(&t, &now, 3000, 1000) >= 990);
	assert_int_equal(t.hold, PB_TX_COPY_HOLD_MAX);
	assert_int_equal(t.switches, 1);

	/* The CPUs move together: ordinary stores 20 % faster. The next probe
	 * of the cache way wins, and it stays there. */
	assert_true(settle(&t, &now, 1000, 1200) <= 10);
	assert_int_equal(t.switches, 2);

	/* A tie (a rate-limited sender): ordinary stores stay. */
	assert_true(settle(&t, &now, 1000, 1000) <= 10);
	/* Streaming 5 % faster is inside the margin: still no switch. */
	before = (unsigned)t.switches;
	assert_true(settle(&t, &now, 1000, 950) <= 10);
	assert_int_equal(t.switches, before);
	/* 20 % faster is not. */
	assert_true(settle(&t, &now, 1200, 1000) >= 990);
	assert_int_equal(t.switches, before + 1);

	/* From streaming, ordinary stores only need to be within 5 %. */
	assert_true(settle(&t, &now, 1040, 1000) <= 10);
	assert_int_equal(t.switches, before + 2);
}

/* Windows that say nothing about the copy are not compared. */
static void test_auto_ignores_noise(void **state)
{
	struct pb_tx_copy t;
	uint64_t now = 1000;

	(void)state;
	if (!PB_HAVE_STREAM)
		return;
	pb_tx_copy_init(&t, PB_COPY_AUTO);
	pb_tx_copy_decide(&t, now);

	/* A low rate (windows of 60 ms): ordinary stores, never a probe. */
	now = run_windows(&t, now, 100, 60000000, 20000000);
	assert_false(t.stream);
	assert_false(t.probing);
	assert_int_equal(t.switches, 0);

	/* A probe window 10x longer than its base (a preemption, an outage):
	 * back home, hold unchanged, no switch. */
	now = run_windows(&t, now, PB_TX_COPY_HOLD_MIN, 1000, 1000);
	assert_true(t.probing);
	assert_true(t.stream);
	now += 10000;
	pb_tx_copy_decide(&t, now);
	assert_false(t.stream);
	assert_false(t.probing);
	assert_int_equal(t.switches, 0);
	assert_int_equal(t.hold, PB_TX_COPY_HOLD_MIN);

	/* The clock standing still or going back only restarts the window. */
	pb_tx_copy_decide(&t, now);
	pb_tx_copy_decide(&t, now - 5);
	assert_int_equal(t.held, 0);
	assert_int_equal(t.switches, 0);

	/* A reset (a new link) starts from ordinary stores and a short hold. */
	t.stream = true;
	t.hold = PB_TX_COPY_HOLD_MAX;
	pb_tx_copy_reset(&t);
	assert_false(t.stream);
	assert_false(t.timing);
	assert_int_equal(t.hold, PB_TX_COPY_HOLD_MIN);
	pb_tx_copy_init(&t, PB_COPY_STREAM);
	pb_tx_copy_reset(&t);
	assert_true(t.stream); /* a fixed mode stays */
}

/* count() adds frames into windows, ends one when they run out, and
 * carries the frames past its end into the next. */
static void test_window_counting(void **state)
{
	struct pb_tx_copy t;

	(void)state;
	pb_tx_copy_init(&t, PB_COPY_AUTO);
	if (t.mode != PB_COPY_AUTO)
		return; /* no streaming on this CPU: nothing is counted */
	pb_tx_copy_count(&t, 0);
	assert_int_equal(t.left, PB_TX_COPY_WINDOW);
	pb_tx_copy_count(&t, 32);
	assert_int_equal(t.left, PB_TX_COPY_WINDOW - 32);
	assert_false(t.timing);
	pb_tx_copy_count(&t, PB_TX_COPY_WINDOW - 32 + 10); /* 10 past the end */
	assert_true(t.timing);
	assert_int_equal(t.left, PB_TX_COPY_WINDOW - 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stream_copy_bounds), cmocka_unit_test(test_copy_frame_modes),
	    cmocka_unit_test(test_auto_chooses),       cmocka_unit_test(test_auto_ignores_noise),
	    cmocka_unit_test(test_window_counting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
