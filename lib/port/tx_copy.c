/* SPDX-License-Identifier: MIT */
/* tx_copy.c - the "auto" choice between ordinary and streaming copies; see tx_copy.h. */
#include <time.h>

#include "port/tx_copy.h"

void pb_tx_copy_init(struct pb_tx_copy *t, enum pb_copy_mode mode)
{
	memset(t, 0, sizeof(*t));
	t->mode = PB_HAVE_STREAM ? mode : PB_COPY_CACHE;
	pb_tx_copy_reset(t);
}

void pb_tx_copy_reset(struct pb_tx_copy *t)
{
	t->stream = t->mode == PB_COPY_STREAM;
	t->probing = false;
	t->timing = false;
	t->left = PB_TX_COPY_WINDOW;
	t->hold = PB_TX_COPY_HOLD_MIN;
	t->held = 0;
}

/* True if @a and @b are too far apart to be the same traffic's two ways. */
static bool outliers(uint64_t a, uint64_t b)
{
	return a > b * PB_TX_COPY_OUTLIER || b > a * PB_TX_COPY_OUTLIER;
}

void pb_tx_copy_decide(struct pb_tx_copy *t, uint64_t now_ns)
{
	bool was_timing = t->timing && now_ns > t->start_ns;
	uint64_t took = now_ns - t->start_ns;

	t->start_ns = now_ns;
	t->timing = true;
	t->left = PB_TX_COPY_WINDOW;
	if (!was_timing)
		return; /* the first window only starts the clock */
	if (t->probing) {
		t->probing = false;
		t->held = 0;
		if (took > PB_TX_COPY_SLOW_NS || outliers(took, t->base_ns)) {
			t->stream = !t->stream; /* says nothing: back home, hold as it was */
			return;
		}
		/* @took: the other way; base_ns: the home way, as many frames. */
		bool won = t->stream ? took * 100 < t->base_ns * PB_TX_COPY_STREAM_GAIN
				     : took * 100 <= t->base_ns * PB_TX_COPY_CACHE_SLACK;
		if (won) {
			t->switches++;
			t->hold = PB_TX_COPY_HOLD_MIN;
		} else {
			t->stream = !t->stream;
			t->hold = PB_MIN(t->hold * 2, PB_TX_COPY_HOLD_MAX);
		}
		return;
	}
	if (took > PB_TX_COPY_SLOW_NS) {
		/* A low rate: the copy is not what limits it. */
		t->stream = false;
		t->held = 0;
		return;
	}
	if (++t->held >= t->hold) {
		t->base_ns = took;
		t->probing = true;
		t->stream = !t->stream;
	}
}

void pb_tx_copy_window_done(struct pb_tx_copy *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pb_tx_copy_decide(t, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}
