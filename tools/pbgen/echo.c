/* SPDX-License-Identifier: MIT */
/*
 * echo.c - the echo mode: every frame received goes back unchanged.
 *
 * Received frames live in ring memory that stays valid only until the next
 * rx burst, dispatch or prepare_sleep on the port. The fast path sends them
 * straight back from there. When the ring is full, waiting for room means
 * dispatching and perhaps sleeping, so the frames still unsent are first
 * copied into the echo's own stash; then nothing is lost by waiting.
 */
#include <stdlib.h>

#include "pbgen.h"

struct stash {
	uint8_t *buf; /* burst * PBGEN_MAX_FRAME bytes */
	struct pb_frame f[PBGEN_MAX_BURST];
};

static void count_tx(struct pbgen_run *r, const struct pb_frame *f, unsigned n)
{
	r->c.frames_tx += n;
	for (unsigned i = 0; i < n; i++)
		r->c.bytes_tx += f[i].len;
}

/* Copy @n frames out of the ring; frames too large for the stash are dropped. */
static unsigned stash_frames(struct stash *st, const struct pb_frame *f, unsigned n)
{
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++) {
		if (f[i].len > PBGEN_MAX_FRAME)
			continue;
		st->f[m].data = st->buf + (size_t)m * PBGEN_MAX_FRAME;
		st->f[m].len = f[i].len;
		memcpy(st->f[m].data, f[i].data, f[i].len);
		m++;
	}
	return m;
}

/* Send @n frames (owned by the stash), waiting for room as the run allows. */
static void send_stashed(struct pbgen_run *r, struct stash *st, unsigned n)
{
	unsigned off = 0;

	while (off < n) {
		unsigned k = pb_port_tx_burst(r->port, st->f + off, n - off);
		uint64_t now;

		count_tx(r, st->f + off, k);
		off += k;
		if (k) {
			r->idle_since = 0;
			continue;
		}
		now = pbgen_now();
		pbgen_tick(r, now);
		if (r->done || !pb_port_is_up(r->port))
			return; /* the rest is dropped */
		pbgen_idle(r, now, PB_WAIT_TX);
	}
}

/* Send @n received frames back; all go (or are dropped) before returning. */
static void echo_back(struct pbgen_run *r, struct stash *st, const struct pb_frame *f, unsigned n)
{
	unsigned off = 0, k;

	/* Fast path: straight from the ring, while it takes them. */
	while (off < n && (k = pb_port_tx_burst(r->port, f + off, n - off))) {
		count_tx(r, f + off, k);
		off += k;
	}
	if (off < n)
		send_stashed(r, st, stash_frames(st, f + off, n - off));
}

void pbgen_run_echo(struct pbgen_run *r)
{
	const struct pbgen_opts *o = r->o;
	struct pb_frame in[PBGEN_MAX_BURST];
	struct stash st = {.buf = malloc((size_t)o->burst * PBGEN_MAX_FRAME)};

	if (!st.buf) {
		fprintf(stderr, "pbgen: out of memory\n");
		r->done = true;
		r->end_reason = "out of memory";
		return;
	}
	while (!r->done) {
		uint64_t now = pbgen_now();
		unsigned want = o->burst, got;

		if (o->count)
			want =
			    (unsigned)(o->count - r->c.frames_tx < want ? o->count - r->c.frames_tx
									: want);
		got = pb_port_rx_burst(r->port, in, want);
		if (got) {
			if (!r->first_rx)
				r->first_rx = now;
			r->last_rx = now;
			r->c.frames_rx += got;
			for (unsigned i = 0; i < got; i++)
				r->c.bytes_rx += in[i].len;
			echo_back(r, &st, in, got);
			r->idle_since = 0;
		} else {
			pbgen_idle(r, now, PB_WAIT_RX);
		}
		if (o->count && r->c.frames_tx >= o->count) {
			r->done = true;
			r->end_reason = "count";
		} else if (pbgen_idle_expired(r, now)) {
			r->done = true;
			r->end_reason = "idle timeout";
		}
		pbgen_tick(r, now);
	}
	free(st.buf);
}
