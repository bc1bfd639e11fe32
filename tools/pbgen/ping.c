/* SPDX-License-Identifier: MIT */
/*
 * ping.c - the RTT probe: one frame at a time to an echoing peer.
 *
 * Ping i carries sequence number i and is answered when a frame with that
 * number comes back intact; a reply that takes longer than --idle-timeout
 * counts the ping as lost (and the reply, if it comes later, as late). The
 * clock is read per ping here: a ping is a whole round trip, not a burst.
 */
#include <stdlib.h>

#include "pbgen.h"

void pbgen_rtt_free(struct pbgen_rtt *rtt)
{
	free(rtt->ns);
	*rtt = (struct pbgen_rtt){0};
}

/* Keep one sample; the array doubles when full, so allocation is rare. */
static void rtt_add(struct pbgen_rtt *rtt, uint64_t ns)
{
	if (rtt->n == rtt->cap) {
		size_t cap = rtt->cap ? rtt->cap * 2 : 4096;
		uint64_t *p = realloc(rtt->ns, cap * sizeof(*p));

		if (!p)
			return; /* the sample is lost, not the run */
		rtt->ns = p;
		rtt->cap = cap;
	}
	rtt->ns[rtt->n++] = ns;
}

/* Send one frame, retrying while the ring is full. False if the run ended. */
static bool send_one(struct pbgen_run *r, struct pb_frame *f)
{
	while (!pb_port_tx_burst(r->port, f, 1)) {
		uint64_t now = pbgen_now();

		pbgen_tick(r, now);
		if (r->done)
			return false;
		pbgen_idle(r, now, PB_WAIT_TX);
	}
	r->c.frames_tx++;
	r->c.bytes_tx += f->len;
	return true;
}

/*
 * Wait for the reply to ping @seq sent at @sent. Returns true with the round
 * trip in @rtt, false on timeout or when the run ended.
 */
static bool wait_reply(struct pbgen_run *r, uint64_t seq, uint64_t sent, uint64_t *rtt)
{
	uint64_t timeout = (uint64_t)(r->o->idle_timeout * PBGEN_NS_PER_S);
	struct pb_frame in[PBGEN_MAX_BURST];
	bool got = false;

	r->idle_since = 0;
	for (;;) {
		unsigned n = pb_port_rx_burst(r->port, in, r->o->burst);
		uint64_t now = pbgen_now(); /* after the burst: it is the arrival time */

		for (unsigned i = 0; i < n; i++) {
			uint64_t s;

			r->c.frames_rx++;
			r->c.bytes_rx += in[i].len;
			switch (pbgen_check_frame(&r->check, &in[i], &s)) {
			case PBGEN_OK:
				r->c.frames_own++;
				if (s == seq && !got) {
					*rtt = now - sent;
					got = true;
				} else {
					r->rtt.late++;
				}
				break;
			case PBGEN_BAD:
				r->c.frames_own++;
				r->c.corrupted++;
				break;
			case PBGEN_FOREIGN:
				r->c.foreign++;
				break;
			}
		}
		if (n) {
			if (!r->first_rx)
				r->first_rx = now;
			r->last_rx = now;
			r->idle_since = 0;
		}
		if (got)
			return true;
		if (now - sent > timeout)
			return false;
		pbgen_tick(r, now);
		if (r->done)
			return false;
		if (!n)
			pbgen_idle(r, now, PB_WAIT_RX);
	}
}

void pbgen_run_ping(struct pbgen_run *r)
{
	const struct pbgen_opts *o = r->o;
	uint64_t start = pbgen_now();

	r->first_tx = start;
	for (uint64_t i = 0; i < o->count && !r->done; i++) {
		struct pb_frame f = {.len = r->tx.size};
		uint64_t now = pbgen_now(), rtt;

		if (o->rate > 0) {
			uint64_t due = start + (uint64_t)((double)i * 1e9 / o->rate);

			while (now < due && !r->done) {
				pbgen_sleep_until(r, now, due);
				now = pbgen_now();
				pbgen_tick(r, now);
			}
			if (r->done)
				break;
		}
		f.data = pbgen_tx_frame(&r->tx, i, now);
		if (!send_one(r, &f))
			break;
		if (wait_reply(r, i, now, &rtt))
			rtt_add(&r->rtt, rtt);
		else
			r->seq.lost++; /* timed out, or the run ended first */
		r->last_tx = now;
	}
	if (!r->done) {
		r->done = true;
		r->end_reason = "count";
	}
	r->tx_end = pbgen_now();
}
