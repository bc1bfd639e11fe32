/* SPDX-License-Identifier: MIT */
/*
 * tx_copy.h - how a port's tx_burst copies frames into buffers its peer
 * reads: ordinary stores ("cache") or streaming stores ("stream",
 * util/stream_copy.h), and, by default ("auto"), which of the two while
 * the port runs.
 *
 * Why choose at run time: which way is faster depends on where the two
 * CPUs sit, and a hypervisor moves them. Measured on the benchmark machine
 * (docs/PERFORMANCE.md): with the CPUs sharing a cache, 64-byte frames
 * run 1.2-1.8x faster with ordinary stores; without, 1.4-3.2x faster streamed.
 *
 * How auto chooses: it times windows of PB_TX_COPY_WINDOW frames. After
 * `hold` windows one way it runs one window (a probe) the other way and
 * compares the two times. Streaming must be clearly faster (by
 * PB_TX_COPY_STREAM_GAIN) to be kept; ordinary stores only need to be about
 * as fast (PB_TX_COPY_CACHE_SLACK), since they also leave the frame in a
 * cache for the receiver and spare memory bandwidth. A probe that loses
 * doubles `hold` (up to PB_TX_COPY_HOLD_MAX), so a settled port spends
 * under 1 % of its time probing; a switch resets it, so a move of the CPUs
 * is caught within a few hundred windows. What is timed is the sender's
 * whole loop between window ends (its own work, waits for ring space, the
 * receiver's pace), i.e. the rate the application gets. Windows that say
 * nothing about the copy are not compared: a window slower than
 * PB_TX_COPY_SLOW_NS (a low rate, where the copy does not matter: back to
 * ordinary stores), and a pair that differs by more than
 * PB_TX_COPY_OUTLIER times (an outage or a preemption, not a copy).
 *
 * Cost: a counter update per burst and a clock read per window.
 */
#ifndef PB_TX_COPY_H
#define PB_TX_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "port/spec.h" /* enum pb_copy_mode */
#include "util/stream_copy.h"

#define PB_TX_COPY_WINDOW      16384u	 /* frames per timed window */
#define PB_TX_COPY_HOLD_MIN    8u	 /* windows between probes after a switch */
#define PB_TX_COPY_HOLD_MAX    256u	 /* ... after probes kept losing */
#define PB_TX_COPY_STREAM_GAIN 90u	 /* streaming kept if it took < 90 % of the time */
#define PB_TX_COPY_CACHE_SLACK 105u	 /* ordinary kept if it took <= 105 % of it */
#define PB_TX_COPY_SLOW_NS     50000000u /* a window this long: under 0.33 Mpps */
#define PB_TX_COPY_OUTLIER     8u	 /* a pair further apart is not compared */

struct pb_tx_copy {
	enum pb_copy_mode mode;
	bool stream;	     /* how frames are copied now */
	bool probing;	     /* the current window tries the other way */
	bool timing;	     /* a window is being timed (start_ns is set) */
	bool fence_due;	     /* streamed since the last pb_tx_copy_fence() */
	bool frame_streamed; /* the frame being copied had lines streamed */
	uint32_t left;	     /* frames until the current window ends */
	uint32_t hold;	     /* windows between probes, now */
	uint32_t held;	     /* windows since the last probe */
	uint64_t start_ns;
	uint64_t base_ns;  /* the last window before the probe: the way to beat */
	uint64_t streamed; /* frames with lines written by streaming stores */
	uint64_t switches; /* probes that won */
};

void pb_tx_copy_init(struct pb_tx_copy *t, enum pb_copy_mode mode);

/* Forget the measurements (the link went down: the next peer may sit
 * elsewhere) and start again from ordinary stores; a fixed mode stays. */
void pb_tx_copy_reset(struct pb_tx_copy *t);

/* End the current window at @now_ns and decide what the next one does: the
 * heart of "auto", with the time passed in for the unit test. */
void pb_tx_copy_decide(struct pb_tx_copy *t, uint64_t now_ns);

/* A window's frames are done: read the clock and decide. */
void pb_tx_copy_window_done(struct pb_tx_copy *t);

/*
 * Copy @len bytes of a frame to @dst, where @room bytes from @dst are the
 * buffer's (room >= len). A frame may take several calls (a scattered
 * frame); pb_tx_copy_frame_done() counts it once. Before the buffers are
 * published the caller must call pb_tx_copy_fence().
 */
static inline void pb_tx_copy_bytes(struct pb_tx_copy *t, void *dst, const void *src, uint32_t len,
				    uint32_t room)
{
	if (t->stream)
		t->frame_streamed |= pb_stream_copy(dst, src, len, room);
	else
		memcpy(dst, src, len);
}

/* One frame's bytes are all copied. */
static inline void pb_tx_copy_frame_done(struct pb_tx_copy *t)
{
	if (t->frame_streamed) {
		t->streamed++;
		t->fence_due = true;
		t->frame_streamed = false;
	}
}

/* A frame in one piece: pb_tx_copy_bytes() and pb_tx_copy_frame_done(). */
static inline void pb_tx_copy_frame(struct pb_tx_copy *t, void *dst, const void *src, uint32_t len,
				    uint32_t room)
{
	pb_tx_copy_bytes(t, dst, src, len, room);
	pb_tx_copy_frame_done(t);
}

/* After the copies of one tx_burst, before the index or flags store that
 * publishes them: streamed lines must be visible first. */
static inline void pb_tx_copy_fence(struct pb_tx_copy *t)
{
	if (t->fence_due) {
		pb_stream_fence();
		t->fence_due = false;
	}
}

/* After the publish: count the burst's @frames into the window (the clock
 * is read off the publish path). */
static inline void pb_tx_copy_count(struct pb_tx_copy *t, unsigned frames)
{
	if (t->mode != PB_COPY_AUTO || frames == 0)
		return;
	if (frames < t->left) {
		t->left -= frames;
	} else {
		uint32_t over = frames - t->left; /* < a burst: carried over */

		pb_tx_copy_window_done(t);
		t->left -= PB_MIN(over, t->left - 1);
	}
}

#endif /* PB_TX_COPY_H */
