/* SPDX-License-Identifier: MIT */
/* tx_copy.c - the "auto" choice between ordinary and streaming copies; see tx_copy.h. */
#include <time.h>

#include "port/tx_copy.h"

void pb_tx_copy_init(struct pb_tx_copy *t, enum pb_copy_mode mode)
{
	memset(t, 0, sizeof(*t));
	t->mode = PB_HAVE_STREAM ? mode : PB_COPY_CACHE;
	t->stream = t->mode == PB_COPY_STREAM;
	t->left = PB_TX_COPY_WINDOW;
	t->hold = PB_TX_COPY_HOLD_MIN;
}

void pb_tx_copy_window_end(struct pb_tx_copy *t, uint64_t now_ns)
{
	uint64_t took = now_ns - t->start_ns;
	bool was_timing = t->timing;

	t->start_ns = now_ns;
	t->timing = true;
	t->left = PB_TX_COPY_WINDOW;
	if (!was_timing)
		return; /* the first window only starts the clock */
	if (t->probing) {
		/* @took: the other way; base_ns: the home way, as many frames. */
		bool won =
		    t->stream ? took * 100 < t->base_ns * 90 : took * 100 <= t->base_ns * 105;

		t->probing = false;
		t->held = 0;
		if (won) {
			t->switches++;
			t->hold = PB_TX_COPY_HOLD_MIN;
		} else {
			t->stream = !t->stream;
			t->hold = PB_MIN(t->hold * 2, PB_TX_COPY_HOLD_MAX);
		}
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
	pb_tx_copy_window_end(t, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}
